/* The audit log: one segment per generation, chained by hash (state.h). */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include "common/error_internal.h"
#include "common/io.h"
#include "state/state_internal.h"

void nm_state_audit_path(char *out, size_t cap, const nm_state *st, uint32_t gen) {
    snprintf(out, cap, "%s/audit/gen-%06u.log.zst", st->dir, gen);
}

static int put_escaped(nm_buf *b, const char *s, size_t n) {
    if (!n) return nm_buf_putc(b, '-');
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        int rc = c == '\t' ? nm_buf_append(b, "\\t", 2)
                 : c == '\n' ? nm_buf_append(b, "\\n", 2)
                 : c == '\\' ? nm_buf_append(b, "\\\\", 2)
                             : nm_buf_putc(b, c);
        if (rc) return rc;
    }
    return NM_OK;
}

int nm_state_audit_add(nm_state *st, const nm_id_event *ev, size_t n, const nm_key *keys,
                       const nm_key *deleted_keys, nm_err *err) {
    nm_buf *b = &st->audit;
    size_t mark = b->len;
    for (size_t i = 0; i < n; i++) {
        const nm_id_event *e = &ev[i];
        char id[NM_ID_LEN + 1] = "-", other[NM_ID_LEN + 1] = "-";
        if (e->id != NM_ID_NONE) nm_id_format(e->id, id);
        if (e->other != NM_ID_NONE) nm_id_format(e->other, other);
        int rc = nm_buf_printf(b, "%s\t%s\t%s\t", nm_event_name(e->type), id, other);
        if (e->rec != NM_ID_NONE) {
            const nm_key *k = e->deleted ? &deleted_keys[e->rec] : &keys[e->rec];
            const char *z = memchr(k->p, 0, k->len);
            size_t sl = z ? (size_t)(z - k->p) : k->len;
            rc |= put_escaped(b, k->p, sl);
            rc |= nm_buf_putc(b, '\t');
            rc |= put_escaped(b, z ? z + 1 : "", z ? k->len - sl - 1 : 0);
        } else {
            rc |= nm_buf_append(b, "-\t-", 3);
        }
        if (isnan(e->weight)) rc |= nm_buf_append(b, "\t-\n", 3);
        else rc |= nm_buf_printf(b, "\t%.3f\n", e->weight);
        if (rc) {
            b->len = mark;   /* all or nothing */
            return nm_err_set(err, NM_E_NOMEM, "out of memory");
        }
    }
    return NM_OK;
}

int nm_state_audit_foreach(nm_state *st, int (*fn)(void *ctx, uint32_t gen, const char *text, size_t len),
                           void *ctx, nm_err *err) {
    uint64_t chain = 0;
    for (uint32_t g = 1; g <= st->gen; g++) {
        char path[PATH_MAX];
        nm_state_audit_path(path, sizeof path, st, g);
        char *text;
        size_t len;
        int rc = nm_read_all(path, &text, &len, err);
        if (rc == NM_E_NOTFOUND)
            return nm_err_set(err, NM_E_CORRUPT, "%s: missing (the audit log is damaged)", path);
        if (rc) return rc;
        chain = nm_hash64(text, len, chain);
        rc = fn(ctx, g, text, len);
        free(text);
        if (rc) return rc;
    }
    if (chain != st->audit_chain)
        return nm_err_set(err, NM_E_CORRUPT, "state %s: the audit log does not match its chain hash", st->dir);
    return NM_OK;
}

int nm_state_write_audit(nm_state *st, uint32_t gen, int64_t run_time, uint64_t *chain, nm_err *err) {
    char dir[PATH_MAX], path[PATH_MAX];
    snprintf(dir, sizeof dir, "%s/audit", st->dir);
    if (mkdir(dir, 0755) && errno != EEXIST) return nm_err_set(err, NM_E_IO, "%s: cannot create: %s", dir, strerror(errno));
    nm_state_audit_path(path, sizeof path, st, gen);
    char when[32];
    time_t t = (time_t)run_time;
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
    char prefix[64];
    int pl = snprintf(prefix, sizeof prefix, "%u\t%s\t", gen, when);
    nm_sink s;
    NM_TRY(nm_sink_open(&s, path, 0, err));
    int rc = NM_OK;
    const char *p = st->audit.data, *end = p + st->audit.len;
    while (!rc && p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t ll = (size_t)(nl - p) + 1;
        rc = nm_sink_write(&s, prefix, (size_t)pl, err);
        if (!rc) rc = nm_sink_write(&s, p, ll, err);
        p += ll;
    }
    if (rc) {
        nm_sink_abort(&s);
        return rc;
    }
    /* The chain hashes the raw text: recompute it from what was written. */
    uint64_t raw, hash;
    XXH3_state_t *h = XXH3_createState();
    if (!h) {
        nm_sink_abort(&s);
        return nm_err_set(err, NM_E_NOMEM, "out of memory");
    }
    XXH3_64bits_reset_withSeed(h, st->audit_chain);
    p = st->audit.data;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t ll = (size_t)(nl - p) + 1;
        XXH3_64bits_update(h, prefix, (size_t)pl);
        XXH3_64bits_update(h, p, ll);
        p += ll;
    }
    *chain = XXH3_64bits_digest(h);
    XXH3_freeState(h);
    return nm_sink_commit(&s, &raw, &hash, err);
}

