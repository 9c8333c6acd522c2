/* The state directory: generations, atomic switch, lock, audit segments
 * (layout and rules: state.h). */
#define _GNU_SOURCE   /* memmem */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "common/error_internal.h"
#include "common/hash.h"
#include "common/io.h"
#include "state/state_internal.h"

#define MANIFEST_MAGIC "npimatch-state"
#define KEEP_GENERATIONS 2

/* ---- the state object -------------------------------------------------- */

uint32_t nm_state_generation(const nm_state *st) { return st->gen; }
int64_t nm_state_run_time(const nm_state *st) { return st->run_time; }
const char *nm_state_dir(const nm_state *st) { return st->dir; }
nm_state_records *nm_state_records_of(nm_state *st) { return &st->recs; }
nm_idtab *nm_state_ids(nm_state *st) { return &st->ids; }

void nm_state_set_records(nm_state *st, nm_state_records *r) {
    nm_records_free(&st->recs);
    st->recs = *r;
    memset(r, 0, sizeof *r);
}

static void gen_name(char *out, size_t cap, uint32_t gen) { snprintf(out, cap, "gen-%06u", gen); }

static void gen_path(char *out, size_t cap, const nm_state *st, uint32_t gen, const char *file) {
    char g[32];
    gen_name(g, sizeof g, gen);
    if (file) snprintf(out, cap, "%s/%s/%s", st->dir, g, file);
    else snprintf(out, cap, "%s/%s", st->dir, g);
}

static void section_file(char *out, size_t cap, const char *name) { snprintf(out, cap, "s-%s.zst", name); }

/* ---- fault injection ----------------------------------------------------- */

/* The points are named in state.h. _exit skips atexit handlers and stdio
 * flushing, like a crash; 137 is the status a SIGKILLed shell job reports. */
void nm_state_fault(const char *point) {
    const char *f = getenv("NPIMATCH_FAULT");
    if (f && !strcmp(f, point)) _exit(137);
}

/* ---- writing files ------------------------------------------------------- */

int nm_sink_open(nm_sink *s, const char *path, uint64_t fault_at, nm_err *err) {
    memset(s, 0, sizeof *s);
    s->h = XXH3_createState();
    if (!s->h) return nm_err_set(err, NM_E_NOMEM, "out of memory");
    XXH3_64bits_reset(s->h);
    s->fault_at = fault_at;
    int rc = nm_writer_open(path, 3, &s->w, err);
    if (rc) XXH3_freeState(s->h);
    return rc;
}

int nm_sink_write(nm_sink *s, const void *p, size_t n, nm_err *err) {
    const char *c = p;
    while (n) {
        size_t k = n < WRITE_CHUNK ? n : WRITE_CHUNK;
        XXH3_64bits_update(s->h, c, k);
        NM_TRY(nm_writer_write(s->w, c, k, err));
        s->raw += k;
        c += k;
        n -= k;
        if (s->fault_at && s->raw >= s->fault_at) nm_state_fault("mid_section");
    }
    return NM_OK;
}

int nm_sink_commit(nm_sink *s, uint64_t *raw, uint64_t *hash, nm_err *err) {
    *raw = s->raw;
    *hash = XXH3_64bits_digest(s->h);
    XXH3_freeState(s->h);
    return nm_writer_commit(s->w, err);
}

void nm_sink_abort(nm_sink *s) {
    XXH3_freeState(s->h);
    nm_writer_abort(s->w);
}

/* ---- reading files ------------------------------------------------------- */

/* Read a whole file and check it against its manifest entry. */
/* Read a whole file and check it against its manifest entry. The manifest
 * gives the raw size, so the buffer is allocated once at its final size
 * (sections can be gigabytes: no doubling, no copy). */
static int read_checked(const char *path, uint64_t raw, uint64_t hash, char **out, size_t *len, nm_err *err) {
    *out = NULL;
    *len = 0;
    if (raw > SIZE_MAX - 1) return nm_err_set(err, NM_E_CORRUPT, "%s: size out of range", path);
    nm_reader *r;
    int rc = nm_reader_open(path, &r, err);
    if (rc == NM_E_NOTFOUND)
        return nm_err_set(err, NM_E_CORRUPT, "%s: missing (the state directory is damaged)", path);
    if (rc) return rc;
    char *buf = malloc((size_t)raw + 1);
    if (!buf) {
        nm_reader_close(r);
        return nm_err_set(err, NM_E_NOMEM, "out of memory");
    }
    size_t got = 0;
    char extra;
    for (;;) {
        /* One byte past the expected end proves the file is not longer. */
        ssize_t n = got < raw ? nm_reader_read(r, buf + got, (size_t)raw - got, err) : nm_reader_read(r, &extra, 1, err);
        if (n < 0) {
            rc = (int)n;
            break;
        }
        if (n == 0) break;
        if (got == raw) {
            got++;
            break;
        }
        got += (size_t)n;
    }
    nm_reader_close(r);
    if (!rc && (got != raw || nm_hash64(buf, (size_t)raw, 0) != hash))
        rc = nm_err_set(err, NM_E_CORRUPT, "%s: checksum mismatch (the state directory is damaged)", path);
    if (rc) {
        free(buf);
        return rc;   /* the reader's message names the file */
    }
    buf[raw] = 0;
    *out = buf;
    *len = (size_t)raw;
    return NM_OK;
}

static int rm_tree_flat(const char *path) {   /* a generation directory holds only files */
    DIR *d = opendir(path);
    if (!d) return errno == ENOENT ? 0 : -1;
    struct dirent *e;
    char p[PATH_MAX + 512];
    while ((e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        snprintf(p, sizeof p, "%s/%s", path, e->d_name);
        unlink(p);
    }
    closedir(d);
    return rmdir(path);
}

/* ---- records and ids serialisation --------------------------------------- */

static int write_records(nm_state *st, const char *path, int fault_mid, uint64_t *raw, uint64_t *hash, nm_err *err) {
    const nm_state_records *r = &st->recs;
    uint64_t hdr[2] = {r->n, r->keys.len};
    uint64_t zero = 0;
    uint64_t total = sizeof hdr + (r->n + 1) * 8 + r->keys.len + r->n * 12;
    nm_sink s;
    NM_TRY(nm_sink_open(&s, path, fault_mid ? total / 2 : 0, err));
    int rc = nm_sink_write(&s, hdr, sizeof hdr, err);
    if (!rc) rc = r->n ? nm_sink_write(&s, r->key_off.v, (r->n + 1) * 8, err) : nm_sink_write(&s, &zero, 8, err);
    if (!rc && r->keys.len) rc = nm_sink_write(&s, r->keys.data, r->keys.len, err);
    if (!rc && r->n) rc = nm_sink_write(&s, r->first_seen.v, r->n * 4, err);
    if (!rc && r->n) rc = nm_sink_write(&s, r->person.v, r->n * 4, err);
    if (!rc && r->n) rc = nm_sink_write(&s, r->confidence.v, r->n * 4, err);
    if (rc) {
        nm_sink_abort(&s);
        return rc;
    }
    return nm_sink_commit(&s, raw, hash, err);
}

static int parse_records(const char *path, const char *b, size_t len, nm_state_records *r, nm_err *err) {
    uint64_t hdr[2];
    if (len < sizeof hdr) return nm_err_set(err, NM_E_CORRUPT, "%s: truncated", path);
    memcpy(hdr, b, sizeof hdr);
    uint64_t n = hdr[0], kl = hdr[1];
    if (n > UINT32_MAX || kl > len || len != sizeof hdr + (n + 1) * 8 + kl + n * 12)
        return nm_err_set(err, NM_E_CORRUPT, "%s: sizes do not add up", path);
    size_t nn = (size_t)n;
    r->key_off.v = malloc((nn + 1) * 8);
    r->keys.data = malloc(kl + 1);
    r->first_seen.v = malloc(nn * 4 + 1);
    r->person.v = malloc(nn * 4 + 1);
    r->confidence.v = malloc(nn * 4 + 1);
    if (!r->key_off.v || !r->keys.data || !r->first_seen.v || !r->person.v || !r->confidence.v) {
        nm_records_free(r);
        return nm_err_set(err, NM_E_NOMEM, "out of memory");
    }
    const char *p = b + sizeof hdr;
    memcpy(r->key_off.v, p, (nn + 1) * 8), p += (nn + 1) * 8;
    memcpy(r->keys.data, p, kl), p += kl;
    r->keys.data[kl] = 0;
    memcpy(r->first_seen.v, p, nn * 4), p += nn * 4;
    memcpy(r->person.v, p, nn * 4), p += nn * 4;
    memcpy(r->confidence.v, p, nn * 4);
    r->n = nn;
    r->key_off.n = r->key_off.cap = nn + 1;
    r->keys.len = kl;
    r->keys.cap = kl + 1;
    r->first_seen.n = r->person.n = r->confidence.n = nn;
    r->first_seen.cap = r->person.cap = r->confidence.cap = nn;
    int ok = r->key_off.v[0] == 0 && r->key_off.v[nn] == kl;
    for (size_t i = 0; ok && i < nn; i++) ok = r->key_off.v[i] <= r->key_off.v[i + 1];
    if (!ok) {
        nm_records_free(r);
        return nm_err_set(err, NM_E_CORRUPT, "%s: key offsets out of order", path);
    }
    return NM_OK;
}

static int write_ids(nm_state *st, const char *path, uint64_t *raw, uint64_t *hash, nm_err *err) {
    uint64_t n = st->ids.n;
    nm_sink s;
    NM_TRY(nm_sink_open(&s, path, 0, err));
    int rc = nm_sink_write(&s, &n, 8, err);
    if (!rc && n) rc = nm_sink_write(&s, st->ids.v, st->ids.n * sizeof *st->ids.v, err);
    if (rc) {
        nm_sink_abort(&s);
        return rc;
    }
    return nm_sink_commit(&s, raw, hash, err);
}

static int parse_ids(const char *path, const char *b, size_t len, nm_idtab *t, nm_err *err) {
    uint64_t n;
    if (len < 8) return nm_err_set(err, NM_E_CORRUPT, "%s: truncated", path);
    memcpy(&n, b, 8);
    if (n >= NM_ID_NONE || len != 8 + n * sizeof(nm_id_entry))
        return nm_err_set(err, NM_E_CORRUPT, "%s: sizes do not add up", path);
    t->v = malloc((size_t)n * sizeof *t->v + 1);
    if (!t->v) return nm_err_set(err, NM_E_NOMEM, "out of memory");
    memcpy(t->v, b + 8, (size_t)n * sizeof *t->v);
    t->n = t->cap = (size_t)n;
    for (size_t i = 0; i < t->n; i++) {
        const nm_id_entry *e = &t->v[i];
        int ok = (e->status == NM_ID_LIVE || e->status == NM_ID_EMPTY) ? e->successor == NM_ID_NONE
                 : e->status == NM_ID_RETIRED                          ? e->successor < i   /* merged into an older ID */
                                                                       : 0;
        if (!ok) return nm_err_set(err, NM_E_CORRUPT, "%s: ID entry %zu is inconsistent", path, i);
    }
    return NM_OK;
}

/* ---- manifest ------------------------------------------------------------ */

typedef struct manifest {
    uint32_t gen;
    int64_t run_time;
    uint64_t chain;
    uint64_t rec_raw, rec_hash, ids_raw, ids_hash;
} manifest;

static int parse_manifest(nm_state *st, const char *path, const char *text, size_t len, manifest *m, nm_err *err) {
    size_t ml = strlen(MANIFEST_MAGIC);
    if (len < ml + 2 || memcmp(text, MANIFEST_MAGIC " ", ml + 1))
        return nm_err_set(err, NM_E_FORMAT, "%s: not an npimatch state manifest", path);
    long ver = strtol(text + ml + 1, NULL, 10);
    if (ver != NM_STATE_FORMAT)
        return nm_err_set(err, NM_E_VERSION,
                          "state %s was written in state format %ld; this npimatch reads format %d only", st->dir,
                          ver, NM_STATE_FORMAT);
    /* The last line "end <hash>" covers every byte before it. */
    const char *end = NULL;
    for (const char *p = text; (p = memmem(p, len - (size_t)(p - text), "\nend ", 5)); p++) end = p + 1;
    uint64_t want = 0;
    if (!end || sscanf(end, "end %" SCNx64, &want) != 1 || nm_hash64(text, (size_t)(end - text), 0) != want)
        return nm_err_set(err, NM_E_CORRUPT, "%s: checksum mismatch (the state directory is damaged)", path);
    memset(m, 0, sizeof *m);
    int have = 0;
    const char *line = text;
    while (line < end) {
        const char *nl = memchr(line, '\n', (size_t)(end - line));
        size_t ll = nl ? (size_t)(nl - line) : (size_t)(end - line);
        char buf[256];
        if (ll >= sizeof buf) return nm_err_set(err, NM_E_CORRUPT, "%s: line too long", path);
        memcpy(buf, line, ll);
        buf[ll] = 0;
        unsigned g;
        char name[64];
        uint64_t a, b;
        if (sscanf(buf, "generation %u", &g) == 1) m->gen = g, have |= 1;
        else if (sscanf(buf, "run_time %" SCNd64, &m->run_time) == 1) have |= 2;
        else if (sscanf(buf, "audit_chain %" SCNx64, &m->chain) == 1) have |= 4;
        else if (sscanf(buf, "file records.zst %" SCNu64 " %" SCNx64, &a, &b) == 2) m->rec_raw = a, m->rec_hash = b, have |= 8;
        else if (sscanf(buf, "file ids.zst %" SCNu64 " %" SCNx64, &a, &b) == 2) m->ids_raw = a, m->ids_hash = b, have |= 16;
        else if (sscanf(buf, "section %56s %" SCNu64 " %" SCNx64, name, &a, &b) == 3) {
            nm_state_section s = {0};
            if (strlen(name) > SECTION_NAME_MAX) return nm_err_set(err, NM_E_CORRUPT, "%s: bad section name", path);
            strcpy(s.name, name);
            s.raw = a;
            s.hash = b;
            if (NM_VEC_PUSH(&st->secs, s)) return nm_err_set(err, NM_E_NOMEM, "out of memory");
        }
        line += ll + 1;
    }
    if (have != 31) return nm_err_set(err, NM_E_CORRUPT, "%s: incomplete manifest", path);
    return NM_OK;
}

static int write_manifest(nm_state *st, uint32_t gen, int64_t run_time, uint64_t chain, const uint64_t *rec,
                          const uint64_t *ids, nm_err *err) {
    nm_buf b = {0};
    int rc = nm_buf_printf(&b, "%s %d\ngeneration %u\nrun_time %" PRId64 "\naudit_chain %016" PRIx64 "\n",
                           MANIFEST_MAGIC, NM_STATE_FORMAT, gen, run_time, chain);
    rc |= nm_buf_printf(&b, "records %zu\nids %zu\n", st->recs.n, st->ids.n);
    rc |= nm_buf_printf(&b, "file records.zst %" PRIu64 " %016" PRIx64 "\n", rec[0], rec[1]);
    rc |= nm_buf_printf(&b, "file ids.zst %" PRIu64 " %016" PRIx64 "\n", ids[0], ids[1]);
    for (size_t i = 0; i < st->secs.n; i++)
        rc |= nm_buf_printf(&b, "section %s %" PRIu64 " %016" PRIx64 "\n", st->secs.v[i].name, st->secs.v[i].raw,
                            st->secs.v[i].hash);
    rc |= nm_buf_printf(&b, "end %016" PRIx64 "\n", nm_hash64(b.data, b.len, 0));
    if (rc) {
        nm_buf_free(&b);
        return nm_err_set(err, NM_E_NOMEM, "out of memory");
    }
    char path[PATH_MAX];
    gen_path(path, sizeof path, st, gen, "MANIFEST");
    nm_writer *w;
    rc = nm_writer_open(path, 0, &w, err);
    if (!rc) {
        rc = nm_writer_write(w, b.data, b.len, err);
        if (rc) nm_writer_abort(w);
        else rc = nm_writer_commit(w, err);
    }
    nm_buf_free(&b);
    return rc;
}

/* ---- open and close ------------------------------------------------------ */

static int take_lock(nm_state *st, nm_err *err) {
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/LOCK", st->dir);
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) return nm_err_set(err, NM_E_IO, "%s: %s", path, strerror(errno));
    if (flock(fd, LOCK_EX | LOCK_NB)) {
        int e = errno;
        char buf[32] = {0};
        ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
        close(fd);
        if (e != EWOULDBLOCK) return nm_err_set(err, NM_E_IO, "%s: flock: %s", path, strerror(e));
        long pid = n > 0 ? strtol(buf, NULL, 10) : 0;
        return nm_err_set(err, NM_E_LOCKED, "state %s is locked by another run (pid %ld)", st->dir, pid);
    }
    /* The pid is for the message above only; the lock itself is the flock,
     * which the kernel drops when the process dies, however it dies. */
    char buf[32];
    int n = snprintf(buf, sizeof buf, "%ld\n", (long)getpid());
    if (ftruncate(fd, 0) || pwrite(fd, buf, (size_t)n, 0) != n) {
        close(fd);
        return nm_err_set(err, NM_E_IO, "%s: cannot write the pid: %s", path, strerror(errno));
    }
    st->lock_fd = fd;
    return NM_OK;
}

static int parse_gen_name(const char *name, const char *prefix, uint32_t *gen) {
    size_t pl = strlen(prefix);
    if (strncmp(name, prefix, pl)) return 0;
    const char *p = name + pl;
    if (strlen(p) < 6) return 0;
    char *end;
    unsigned long g = strtoul(p, &end, 10);
    if (end != p + 6 || g > UINT32_MAX) return 0;
    *gen = (uint32_t)g;
    return *end == 0 ? 1 : 2;   /* 2: the number is followed by a suffix */
}

/* Remove what a crashed or finished run leaves behind: generations above
 * CURRENT (never switched in), generations older than the kept ones, audit
 * segments above CURRENT, CURRENT.next and temporary files. */
static void clean_debris(nm_state *st) {
    char p[PATH_MAX + 512];
    DIR *d = opendir(st->dir);
    if (d) {
        struct dirent *e;
        while ((e = readdir(d))) {
            uint32_t g;
            snprintf(p, sizeof p, "%s/%s", st->dir, e->d_name);
            if (parse_gen_name(e->d_name, "gen-", &g) == 1) {
                if (g > st->gen || g + KEEP_GENERATIONS <= st->gen) rm_tree_flat(p);
            } else if (!strncmp(e->d_name, "CURRENT.", 8)) {
                unlink(p);
            }
        }
        closedir(d);
    }
    char ad[PATH_MAX];
    snprintf(ad, sizeof ad, "%s/audit", st->dir);
    d = opendir(ad);
    if (d) {
        struct dirent *e;
        while ((e = readdir(d))) {
            uint32_t g;
            int k = parse_gen_name(e->d_name, "gen-", &g);
            if (k && (g > st->gen || strstr(e->d_name, ".tmp."))) {
                snprintf(p, sizeof p, "%s/%s", ad, e->d_name);
                unlink(p);
            }
        }
        closedir(d);
    }
}

static int read_current(nm_state *st, uint32_t *gen, nm_err *err) {
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/CURRENT", st->dir);
    char *text;
    size_t len;
    int rc = nm_read_all(path, &text, &len, err);
    if (rc) return rc;
    uint32_t g = 0;
    int ok = len == 11 && text[10] == '\n' && (text[10] = 0, parse_gen_name(text, "gen-", &g) == 1);
    free(text);
    if (!ok) return nm_err_set(err, NM_E_CORRUPT, "%s: not a generation name", path);
    *gen = g;
    return NM_OK;
}

static int load_generation(nm_state *st, nm_err *err) {
    char path[PATH_MAX];
    gen_path(path, sizeof path, st, st->gen, "MANIFEST");
    char *text;
    size_t len;
    int rc = nm_read_all(path, &text, &len, err);
    if (rc == NM_E_NOTFOUND) return nm_err_set(err, NM_E_CORRUPT, "%s: missing (the state directory is damaged)", path);
    if (rc) return rc;
    manifest m;
    rc = parse_manifest(st, path, text, len, &m, err);
    free(text);
    if (rc) return rc;
    if (m.gen != st->gen) return nm_err_set(err, NM_E_CORRUPT, "%s: names generation %u", path, m.gen);
    st->run_time = m.run_time;
    st->audit_chain = m.chain;
    char *b;
    gen_path(path, sizeof path, st, st->gen, "records.zst");
    NM_TRY(read_checked(path, m.rec_raw, m.rec_hash, &b, &len, err));
    rc = parse_records(path, b, len, &st->recs, err);
    free(b);
    if (rc) return rc;
    gen_path(path, sizeof path, st, st->gen, "ids.zst");
    NM_TRY(read_checked(path, m.ids_raw, m.ids_hash, &b, &len, err));
    rc = parse_ids(path, b, len, &st->ids, err);
    free(b);
    if (rc) return rc;
    /* Every row must hold a live ID (what commit checked): readers index the
     * ID table with these values. */
    for (size_t i = 0; i < st->recs.n; i++) {
        uint32_t p = st->recs.person.v[i];
        if (p >= st->ids.n || st->ids.v[p].status != NM_ID_LIVE)
            return nm_err_set(err, NM_E_CORRUPT, "state %s: record row %zu holds no live ID", st->dir, i);
    }
    return NM_OK;
}

int nm_state_open(const char *dir, int mode, nm_state **out, nm_err *err) {
    *out = NULL;
    nm_state *st = calloc(1, sizeof *st);
    if (!st || !(st->dir = strdup(dir))) {
        free(st);
        return nm_err_set(err, NM_E_NOMEM, "out of memory");
    }
    st->mode = mode;
    st->lock_fd = -1;
    int rc = NM_OK;
    if (mode == NM_STATE_WRITE) {
        if (mkdir(dir, 0755) && errno != EEXIST) {
            rc = nm_err_set(err, NM_E_IO, "%s: cannot create: %s", dir, strerror(errno));
            goto fail;
        }
        if ((rc = take_lock(st, err))) goto fail;
    }
    nm_err e2 = {0};
    rc = read_current(st, &st->gen, &e2);
    if (rc == NM_E_NOTFOUND) {
        if (mode != NM_STATE_WRITE) {
            rc = nm_err_set(err, NM_E_NOTFOUND, "%s: not an npimatch state directory (no CURRENT)", dir);
            goto fail;
        }
        st->gen = 0;   /* a new state */
        rc = NM_OK;
    } else if (rc) {
        if (err) *err = e2;
        goto fail;
    } else {
        /* A reader holds no lock: if two commits happened between reading
         * CURRENT and the files, its generation is gone. Read CURRENT again
         * and retry, rather than calling a healthy state damaged. */
        for (int attempt = 0;; attempt++) {
            rc = load_generation(st, err);
            uint32_t now = st->gen;
            if (!rc || mode == NM_STATE_WRITE || attempt == 3 || read_current(st, &now, NULL) || now == st->gen)
                break;
            nm_records_free(&st->recs);
            free(st->ids.v);
            memset(&st->ids, 0, sizeof st->ids);
            for (size_t i = 0; i < st->secs.n; i++) free(st->secs.v[i].data);
            st->secs.n = 0;
            st->gen = now;
        }
        if (rc) goto fail;
    }
    if (mode == NM_STATE_WRITE) clean_debris(st);
    *out = st;
    return NM_OK;
fail:
    nm_state_close(st);
    return rc;
}

void nm_state_close(nm_state *st) {
    if (!st) return;
    if (st->lock_fd >= 0) close(st->lock_fd);   /* releases the flock */
    nm_records_free(&st->recs);
    free(st->ids.v);
    for (size_t i = 0; i < st->secs.n; i++) free(st->secs.v[i].data);
    NM_VEC_FREE(&st->secs);
    nm_buf_free(&st->audit);
    free(st->dir);
    free(st);
}

/* ---- sections ------------------------------------------------------------ */

static int valid_name(const char *name) {
    size_t n = strlen(name);
    if (n == 0 || n > SECTION_NAME_MAX) return 0;
    for (size_t i = 0; i < n; i++)
        if (!((name[i] >= 'a' && name[i] <= 'z') || (name[i] >= '0' && name[i] <= '9') || name[i] == '_')) return 0;
    return 1;
}

static nm_state_section *find_section(nm_state *st, const char *name, size_t *pos) {
    size_t lo = 0, hi = st->secs.n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int c = strcmp(st->secs.v[mid].name, name);
        if (!c) {
            if (pos) *pos = mid;
            return &st->secs.v[mid];
        }
        if (c < 0) lo = mid + 1;
        else hi = mid;
    }
    if (pos) *pos = lo;
    return NULL;
}

int nm_state_put_section_owned(nm_state *st, const char *name, void *p, size_t len, nm_err *err) {
    if (!valid_name(name)) {
        free(p);
        return nm_err_set(err, NM_E_ARG, "state: bad section name (1..48 of a-z 0-9 _)");
    }
    size_t pos;
    nm_state_section *s = find_section(st, name, &pos);
    if (!s) {
        if (NM_VEC_RESERVE(&st->secs, st->secs.n + 1)) {
            free(p);
            return nm_err_set(err, NM_E_NOMEM, "out of memory");
        }
        memmove(&st->secs.v[pos + 1], &st->secs.v[pos], (st->secs.n - pos) * sizeof *st->secs.v);
        st->secs.n++;
        s = &st->secs.v[pos];
        memset(s, 0, sizeof *s);
        strcpy(s->name, name);
    }
    free(s->data);
    s->data = p;
    s->len = len;
    s->loaded = s->dirty = 1;
    return NM_OK;
}

int nm_state_put_section(nm_state *st, const char *name, const void *p, size_t len, nm_err *err) {
    char *copy = malloc(len ? len : 1);
    if (!copy) return nm_err_set(err, NM_E_NOMEM, "out of memory");
    if (len) memcpy(copy, p, len);
    return nm_state_put_section_owned(st, name, copy, len, err);
}

int nm_state_get_section(nm_state *st, const char *name, const void **p, size_t *len, nm_err *err) {
    nm_state_section *s = valid_name(name) ? find_section(st, name, NULL) : NULL;
    if (!s) return nm_err_set(err, NM_E_NOTFOUND, "state %s: no section '%s'", st->dir, name);
    if (!s->loaded) {
        char file[80], path[PATH_MAX];
        section_file(file, sizeof file, s->name);
        gen_path(path, sizeof path, st, st->gen, file);
        NM_TRY(read_checked(path, s->raw, s->hash, &s->data, &s->len, err));
        s->loaded = 1;
    }
    *p = s->data;
    *len = s->len;
    return NM_OK;
}

int nm_state_drop_section(nm_state *st, const char *name, nm_err *err) {
    size_t pos;
    nm_state_section *s = valid_name(name) ? find_section(st, name, &pos) : NULL;
    if (!s) return nm_err_set(err, NM_E_NOTFOUND, "state %s: no section '%s'", st->dir, name);
    free(s->data);
    memmove(&st->secs.v[pos], &st->secs.v[pos + 1], (st->secs.n - pos - 1) * sizeof *st->secs.v);
    st->secs.n--;
    return NM_OK;
}

size_t nm_state_section_names(nm_state *st, const char **names, size_t cap) {
    for (size_t i = 0; i < st->secs.n && i < cap; i++) names[i] = st->secs.v[i].name;
    return st->secs.n;
}

/* ---- commit ----------------------------------------------------------------- */

static int check_tables(nm_state *st, nm_err *err) {
    const nm_state_records *r = &st->recs;
    if (r->key_off.n != (r->n ? r->n + 1 : r->key_off.n) || r->first_seen.n != r->n || r->person.n != r->n ||
        r->confidence.n != r->n)
        return nm_err_set(err, NM_E_INTERNAL, "state: record table arrays differ in length");
    uint32_t *count = calloc(st->ids.n + 1, sizeof *count);
    if (!count) return nm_err_set(err, NM_E_NOMEM, "out of memory");
    int rc = NM_OK;
    for (size_t i = 0; i < r->n && !rc; i++) {
        if (i) {
            nm_key a = nm_records_key(r, i - 1), b = nm_records_key(r, i);
            if (nm_key_cmp(a.p, a.len, b.p, b.len) >= 0)
                rc = nm_err_set(err, NM_E_INTERNAL, "state: record table not sorted at row %zu", i);
        }
        uint32_t p = r->person.v[i];
        if (!rc && (p >= st->ids.n || st->ids.v[p].status != NM_ID_LIVE))
            rc = nm_err_set(err, NM_E_INTERNAL, "state: row %zu holds an ID that is not live", i);
        if (!rc) count[p]++;
    }
    for (size_t i = 0; i < st->ids.n && !rc; i++)
        if (count[i] != st->ids.v[i].members)
            rc = nm_err_set(err, NM_E_INTERNAL, "state: ID %zu has %u records, the ID table says %u", i, count[i],
                            st->ids.v[i].members);
    free(count);
    return rc;
}

/* Put the unchanged section file of the live generation into the new one:
 * a hard link (no copy, same bytes); a copy when links are not supported. */
static int carry_section(nm_state *st, nm_state_section *s, uint32_t gen, nm_err *err) {
    char file[80], from[PATH_MAX], to[PATH_MAX];
    section_file(file, sizeof file, s->name);
    gen_path(from, sizeof from, st, st->gen, file);
    gen_path(to, sizeof to, st, gen, file);
    if (!link(from, to)) return NM_OK;
    const void *p;
    size_t len;
    NM_TRY(nm_state_get_section(st, s->name, &p, &len, err));
    nm_sink k;
    NM_TRY(nm_sink_open(&k, to, 0, err));
    int rc = nm_sink_write(&k, p, len, err);
    if (rc) {
        nm_sink_abort(&k);
        return rc;
    }
    uint64_t raw, hash;
    return nm_sink_commit(&k, &raw, &hash, err);
}

int nm_state_commit(nm_state *st, int64_t run_time, nm_err *err) {
    if (st->mode != NM_STATE_WRITE) return nm_err_set(err, NM_E_ARG, "state %s: opened read-only", st->dir);
    if (st->gen == UINT32_MAX - 1) return nm_err_set(err, NM_E_ARG, "state %s: generation counter exhausted", st->dir);
    NM_TRY(check_tables(st, err));
    uint32_t g = st->gen + 1;
    char gdir[PATH_MAX], path[PATH_MAX];
    gen_path(gdir, sizeof gdir, st, g, NULL);
    rm_tree_flat(gdir);   /* debris of a crashed attempt at this generation */
    if (mkdir(gdir, 0755)) return nm_err_set(err, NM_E_IO, "%s: cannot create: %s", gdir, strerror(errno));

    uint64_t chain = 0, rec[2] = {0}, ids[2] = {0};
    uint64_t *sec_raw = calloc(st->secs.n + 1, 2 * sizeof(uint64_t));
    int rc = sec_raw ? NM_OK : nm_err_set(err, NM_E_NOMEM, "out of memory");
    if (!rc) rc = nm_state_write_audit(st, g, run_time, &chain, err);
    gen_path(path, sizeof path, st, g, "records.zst");
    if (!rc) rc = write_records(st, path, 1, &rec[0], &rec[1], err);
    gen_path(path, sizeof path, st, g, "ids.zst");
    if (!rc) rc = write_ids(st, path, &ids[0], &ids[1], err);
    for (size_t i = 0; i < st->secs.n && !rc; i++) {
        nm_state_section *s = &st->secs.v[i];
        if (!s->dirty) {
            rc = carry_section(st, s, g, err);
            sec_raw[2 * i] = s->raw;
            sec_raw[2 * i + 1] = s->hash;
            continue;
        }
        char file[80];
        section_file(file, sizeof file, s->name);
        gen_path(path, sizeof path, st, g, file);
        nm_sink k;
        rc = nm_sink_open(&k, path, 0, err);
        if (!rc) rc = nm_sink_write(&k, s->data, s->len, err);
        if (!rc) rc = nm_sink_commit(&k, &sec_raw[2 * i], &sec_raw[2 * i + 1], err);
    }
    /* The manifest names the new hashes; the sections keep their live ones
     * until the switch has happened. */
    if (!rc) {
        uint64_t *keep = malloc((st->secs.n + 1) * 2 * sizeof *keep);
        if (!keep) rc = nm_err_set(err, NM_E_NOMEM, "out of memory");
        for (size_t i = 0; !rc && i < st->secs.n; i++) {
            keep[2 * i] = st->secs.v[i].raw, keep[2 * i + 1] = st->secs.v[i].hash;
            st->secs.v[i].raw = sec_raw[2 * i], st->secs.v[i].hash = sec_raw[2 * i + 1];
        }
        if (!rc) rc = write_manifest(st, g, run_time, chain, rec, ids, err);
        for (size_t i = 0; keep && i < st->secs.n; i++) {
            if (rc) st->secs.v[i].raw = keep[2 * i], st->secs.v[i].hash = keep[2 * i + 1];
        }
        free(keep);
    }
    if (!rc) rc = nm_fsync_dir(gdir, err);
    if (!rc) rc = nm_fsync_dir(st->dir, err);
    if (!rc) nm_state_fault("after_gen_write");

    /* The switch: CURRENT.next is complete and durable before it replaces
     * CURRENT, so CURRENT always names a complete generation. */
    char cur[PATH_MAX], next[PATH_MAX];
    snprintf(cur, sizeof cur, "%s/CURRENT", st->dir);
    snprintf(next, sizeof next, "%s/CURRENT.next", st->dir);
    if (!rc) {
        char line[32];
        gen_name(line, sizeof line, g);
        strcat(line, "\n");
        nm_writer *w;
        rc = nm_writer_open(next, 0, &w, err);
        if (!rc) {
            rc = nm_writer_write(w, line, strlen(line), err);
            if (rc) nm_writer_abort(w);
            else rc = nm_writer_commit(w, err);
        }
    }
    if (!rc) nm_state_fault("before_current_switch");
    int renamed = 0;
    if (!rc) {
        if (rename(next, cur)) rc = nm_err_set(err, NM_E_IO, "%s: rename: %s", cur, strerror(errno));
        else renamed = 1;
    }
    if (!rc) rc = nm_fsync_dir(st->dir, err);
    free(sec_raw);
    if (!renamed) {
        /* Nothing was switched: drop the half-built generation. */
        unlink(next);
        rm_tree_flat(gdir);
        nm_state_audit_path(path, sizeof path, st, g);
        unlink(path);
        return rc;
    }
    if (!rc) nm_state_fault("after_current_switch");
    /* CURRENT names generation g from here on (even if the last fsync
     * failed, which is reported): the object follows it. */
    st->gen = g;
    st->run_time = run_time;
    st->audit_chain = chain;
    st->audit.len = 0;
    for (size_t i = 0; i < st->secs.n; i++) st->secs.v[i].dirty = 0;
    if (rc) return rc;
    clean_debris(st);   /* generations older than the previous one */
    return NM_OK;
}
