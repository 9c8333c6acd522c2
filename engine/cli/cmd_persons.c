/* npimatch persons --state DIR (--id PERSON_ID | --record SOURCE:ID | --audit) [--json]
 *
 * Reads the live generation of a person-resolution state (no lock: a
 * nightly run may be writing the next one) and prints:
 *   --id      the person's status, current members and the ID's history; a
 *             retired ID is followed to the ID it was merged into
 *   --record  the record's current person and its history (its own events
 *             and the merges and splits of the IDs it held)
 *   --audit   the whole audit log, oldest first
 * Text output is tab-separated; --json prints one JSON object (--id,
 * --record) or one object per event (--audit). Record keys and IDs are
 * identifiers, not patient data, so they may be printed. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "cli/cli.h"
#include "common/arena.h"
#include "state/state.h"

#define CMD "persons"

/* One audit line split into its 8 tab-separated columns (state.h). */
enum { A_GEN, A_TIME, A_EVENT, A_ID, A_OTHER, A_SOURCE, A_RECORD, A_WEIGHT, A_NCOL };
typedef struct aline {
    const char *col[A_NCOL];
    size_t len[A_NCOL];
} aline;

static int split_line(const char *p, size_t n, aline *a) {
    int c = 0;
    const char *start = p;
    for (size_t i = 0; i <= n; i++) {
        if (i == n || p[i] == '\t') {
            if (c == A_NCOL) return -1;
            a->col[c] = start;
            a->len[c++] = (size_t)(p + i - start);
            start = p + i + 1;
        }
    }
    return c == A_NCOL ? 0 : -1;
}

static int col_is(const aline *a, int c, const char *s, size_t n) { return a->len[c] == n && !memcmp(a->col[c], s, n); }

/* JSON string from a column: audit escapes (\t \n \\) decoded, then JSON-escaped. */
static void json_col(FILE *out, const char *s, size_t n) {
    fputc('"', out);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '\\' && i + 1 < n) {
            char e = s[++i];
            c = e == 't' ? '\t' : e == 'n' ? '\n' : (unsigned char)e;
        }
        if (c == '"' || c == '\\') fprintf(out, "\\%c", c);
        else if (c == '\t') fputs("\\t", out);
        else if (c == '\n') fputs("\\n", out);
        else if (c < 0x20) fprintf(out, "\\u%04x", c);
        else fputc(c, out);
    }
    fputc('"', out);
}

static void json_field(FILE *out, const aline *a, int c, const char *name, int quote) {
    fprintf(out, "\"%s\":", name);
    if (a->len[c] == 1 && a->col[c][0] == '-') fputs("null", out);
    else if (quote) json_col(out, a->col[c], a->len[c]);
    else fwrite(a->col[c], 1, a->len[c], out);
}

static void print_event(FILE *out, const aline *a, int json) {
    if (!json) {
        for (int c = 0; c < A_NCOL; c++) {
            if (c) fputc('\t', out);
            fwrite(a->col[c], 1, a->len[c], out);
        }
        fputc('\n', out);
        return;
    }
    static const char *names[A_NCOL] = {"generation", "time", "event", "id", "other", "source", "record_id", "weight"};
    static const int quoted[A_NCOL] = {0, 1, 1, 1, 1, 1, 1, 0};
    fputc('{', out);
    for (int c = 0; c < A_NCOL; c++) {
        if (c) fputc(',', out);
        json_field(out, a, c, names[c], quoted[c]);
    }
    fputc('}', out);
}

/* ---- the audit walk ------------------------------------------------------- */

typedef struct walk {
    int json;
    int first;                /* no event printed yet (JSON commas) */
    int mode;                 /* what to select, below */
    char ids[64][NM_ID_LEN + 1];   /* --id: the ID and the one it resolves to; --record: IDs held */
    size_t n_ids;
    const char *src, *rid;    /* --record, escaped as in the log */
    size_t src_len, rid_len;
    int collect;              /* --record first pass: gather the IDs held */
} walk;

enum { SEL_ALL, SEL_ID, SEL_RECORD };

static int has_id(const walk *w, const char *s, size_t n) {
    for (size_t i = 0; i < w->n_ids; i++)
        if (n == NM_ID_LEN && !memcmp(w->ids[i], s, NM_ID_LEN)) return 1;
    return 0;
}

static void add_id(walk *w, const char *s, size_t n) {
    if (n != NM_ID_LEN || has_id(w, s, n) || w->n_ids == 64) return;
    memcpy(w->ids[w->n_ids], s, NM_ID_LEN);
    w->ids[w->n_ids++][NM_ID_LEN] = 0;
}

static int on_segment(void *ctx, uint32_t gen, const char *text, size_t len) {
    walk *w = ctx;
    const char *p = text, *end = text + len;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t ll = nl ? (size_t)(nl - p) : (size_t)(end - p);
        aline a;
        if (split_line(p, ll, &a)) {
            fprintf(stderr, "npimatch persons: audit segment %u: malformed line\n", gen);
            return NM_E_CORRUPT;
        }
        p += ll + 1;
        int mine = w->mode == SEL_ALL;
        if (w->mode == SEL_ID) mine = has_id(w, a.col[A_ID], a.len[A_ID]) || has_id(w, a.col[A_OTHER], a.len[A_OTHER]);
        if (w->mode == SEL_RECORD) {
            int rec = col_is(&a, A_SOURCE, w->src, w->src_len) && col_is(&a, A_RECORD, w->rid, w->rid_len);
            if (w->collect) {
                if (rec) {
                    add_id(w, a.col[A_ID], a.len[A_ID]);
                    add_id(w, a.col[A_OTHER], a.len[A_OTHER]);
                }
                continue;
            }
            /* The record's own events, and merges/splits of the IDs it held. */
            mine = rec || ((col_is(&a, A_EVENT, "merged_into", 11) || col_is(&a, A_EVENT, "split_from", 10) ||
                            col_is(&a, A_EVENT, "issued", 6)) &&
                           has_id(w, a.col[A_ID], a.len[A_ID]));
        }
        if (!mine) continue;
        if (w->json && w->mode != SEL_ALL && !w->first) fputc(',', stdout);
        print_event(stdout, &a, w->json);
        if (w->json && w->mode == SEL_ALL) fputc('\n', stdout);
        w->first = 0;
    }
    return NM_OK;
}

/* Escape as the audit log does, for comparing with its columns. */
static size_t escape_into(char *out, const char *s, size_t n) {
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '\t') out[k++] = '\\', out[k++] = 't';
        else if (s[i] == '\n') out[k++] = '\\', out[k++] = 'n';
        else if (s[i] == '\\') out[k++] = '\\', out[k++] = '\\';
        else out[k++] = s[i];
    }
    return k;
}

static const char *status_name(uint32_t s) {
    return s == NM_ID_LIVE ? "live" : s == NM_ID_RETIRED ? "retired" : s == NM_ID_EMPTY ? "empty" : "?";
}

static void print_member(const nm_state_records *r, size_t i, int json, int first) {
    nm_key k = nm_records_key(r, i);
    const char *z = memchr(k.p, 0, k.len);
    size_t sl = z ? (size_t)(z - k.p) : k.len;
    const char *id = z ? z + 1 : "";
    size_t il = z ? k.len - sl - 1 : 0;
    if (json) {
        if (!first) fputc(',', stdout);
        fputs("{\"source\":", stdout);
        json_col(stdout, k.p, sl);
        fputs(",\"record_id\":", stdout);
        json_col(stdout, id, il);
        printf(",\"first_seen\":%u,\"confidence\":%.4f}", r->first_seen.v[i], (double)r->confidence.v[i]);
    } else {
        printf("  %.*s:%.*s\tfirst_seen=%u\tconfidence=%.4f\n", (int)sl, k.p, (int)il, id, r->first_seen.v[i],
               (double)r->confidence.v[i]);
    }
}

static int show_id(nm_state *st, const char *text, int json) {
    nm_idtab *t = nm_state_ids(st);
    uint32_t x;
    if (nm_id_parse(text, strlen(text), &x) || x >= t->n) {
        fprintf(stderr, "npimatch persons: %s is not a person ID of this state\n", text);
        return NM_EXIT_FAIL;
    }
    uint32_t y = nm_idtab_resolve(t, x);
    char xs[NM_ID_LEN + 1], ys[NM_ID_LEN + 1];
    nm_id_format(x, xs);
    nm_id_format(y, ys);
    const nm_state_records *r = nm_state_records_of(st);
    if (json) {
        printf("{\"id\":\"%s\",\"status\":\"%s\",\"resolves_to\":\"%s\",\"issued_generation\":%u,\"members\":[", xs,
               status_name(t->v[x].status), ys, t->v[x].issued_gen);
    } else {
        printf("person\t%s\nstatus\t%s\n", xs, status_name(t->v[x].status));
        if (y != x) printf("resolves_to\t%s\n", ys);
        printf("issued_generation\t%u\nmembers\t%u\n", t->v[x].issued_gen, t->v[y].members);
    }
    int first = 1;
    for (size_t i = 0; i < r->n; i++)
        if (r->person.v[i] == y) {
            print_member(r, i, json, first);
            first = 0;
        }
    if (json) fputs("],\"history\":[", stdout);
    else printf("history\n");
    walk w = {.json = json, .first = 1, .mode = SEL_ID};
    add_id(&w, xs, NM_ID_LEN);
    add_id(&w, ys, NM_ID_LEN);
    nm_err err = {0};
    int rc = nm_state_audit_foreach(st, on_segment, &w, &err);
    if (json) fputs("]}\n", stdout);
    if (rc) {
        nm_cli_error(CMD, &err);
        return NM_EXIT_FAIL;
    }
    return NM_EXIT_OK;
}

static int show_record(nm_state *st, const char *arg, int json) {
    const char *colon = strchr(arg, ':');
    if (!colon || colon == arg) {
        fprintf(stderr, "npimatch persons: --record needs SOURCE:RECORD_ID\n");
        return NM_EXIT_USAGE;
    }
    size_t sl = (size_t)(colon - arg), il = strlen(colon + 1);
    nm_buf key = {0};
    if (nm_record_key_make(&key, arg, sl, colon + 1, il)) {
        fprintf(stderr, "npimatch persons: out of memory\n");
        return NM_EXIT_FAIL;
    }
    const nm_state_records *r = nm_state_records_of(st);
    int64_t row = nm_records_find(r, key.data, key.len);
    nm_buf_free(&key);
    char *esc = malloc(2 * (sl + il) + 2);
    if (!esc) return NM_EXIT_FAIL;
    walk w = {.json = json, .first = 1, .mode = SEL_RECORD, .collect = 1};
    w.src = esc;
    w.src_len = escape_into(esc, arg, sl);
    w.rid = esc + w.src_len;
    w.rid_len = escape_into(esc + w.src_len, colon + 1, il);
    char cur[NM_ID_LEN + 1] = "";
    if (row >= 0) {
        nm_id_format(r->person.v[row], cur);
        add_id(&w, cur, NM_ID_LEN);
    }
    nm_err err = {0};
    int rc = nm_state_audit_foreach(st, on_segment, &w, &err);
    if (!rc && row < 0 && w.n_ids == 0) {
        free(esc);
        fprintf(stderr, "npimatch persons: record %s is not in this state\n", arg);
        return NM_EXIT_FAIL;
    }
    if (json) {
        fputs("{\"source\":", stdout);
        json_col(stdout, arg, sl);
        fputs(",\"record_id\":", stdout);
        json_col(stdout, colon + 1, il);
        if (row >= 0)
            printf(",\"person\":\"%s\",\"first_seen\":%u,\"confidence\":%.4f,\"history\":[", cur, r->first_seen.v[row],
                   (double)r->confidence.v[row]);
        else
            printf(",\"person\":null,\"history\":[");
    } else {
        printf("record\t%s\n", arg);
        if (row >= 0)
            printf("person\t%s\nfirst_seen\t%u\nconfidence\t%.4f\n", cur, r->first_seen.v[row],
                   (double)r->confidence.v[row]);
        else
            printf("person\t-\t(removed)\n");
        printf("history\n");
    }
    w.collect = 0;
    if (!rc) rc = nm_state_audit_foreach(st, on_segment, &w, &err);
    if (json) fputs("]}\n", stdout);
    free(esc);
    if (rc) {
        nm_cli_error(CMD, &err);
        return NM_EXIT_FAIL;
    }
    return NM_EXIT_OK;
}

static void usage(FILE *out) {
    fprintf(out,
            "usage: npimatch persons --state DIR (--id PERSON_ID | --record SOURCE:ID | --audit) [--json]\n"
            "  --id PERSON_ID      status, current members and history of a person ID\n"
            "                      (a retired ID shows the person it was merged into)\n"
            "  --record SOURCE:ID  a record's current person and history\n"
            "  --audit             the whole ID audit log, oldest first\n"
            "  --json              JSON output\n");
}

int nm_cmd_persons(int argc, char **argv) {
    const char *dir = NULL, *id = NULL, *rec = NULL;
    int audit = 0, json = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            return NM_EXIT_OK;
        } else if (!strcmp(a, "--json")) {
            json = 1;
        } else if (!strcmp(a, "--audit")) {
            audit = 1;
        } else if (i + 1 < argc && !strcmp(a, "--state")) {
            dir = argv[++i];
        } else if (i + 1 < argc && !strcmp(a, "--id")) {
            id = argv[++i];
        } else if (i + 1 < argc && !strcmp(a, "--record")) {
            rec = argv[++i];
        } else {
            fprintf(stderr, "npimatch persons: unexpected argument '%s'\n", a);
            usage(stderr);
            return NM_EXIT_USAGE;
        }
    }
    if (!dir || (!!id + !!rec + audit) != 1) {
        usage(stderr);
        return NM_EXIT_USAGE;
    }
    nm_err err = {0};
    nm_state *st = NULL;
    if (nm_state_open(dir, NM_STATE_READ, &st, &err)) {
        nm_cli_error(CMD, &err);
        return NM_EXIT_FAIL;
    }
    int status;
    if (id) {
        status = show_id(st, id, json);
    } else if (rec) {
        status = show_record(st, rec, json);
    } else {
        walk w = {.json = json, .first = 1, .mode = SEL_ALL};
        if (!json) printf("generation\ttime\tevent\tid\tother\tsource\trecord_id\tweight\n");
        status = NM_EXIT_OK;
        if (nm_state_audit_foreach(st, on_segment, &w, &err)) {
            nm_cli_error(CMD, &err);
            status = NM_EXIT_FAIL;
        }
    }
    nm_state_close(st);
    return status;
}
