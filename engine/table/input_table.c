/* The input side of the record table: a CSV of records to match (nightly
 * HCP files, or any schema a model describes).
 *
 * Column of a field: --map field=column, else the model's "column" (default
 * the field name). An address field without such a column reads
 * <column>_line1 and <column>_line2 (address_line1, address_line2). A full
 * name in one column (`name`, or --map name=column) is parsed
 * (nm_parse_full_name) into first/middle/last/suffix/credential when the
 * row has no separate first or last name.
 *
 * Bad rows are never dropped: a row with an open quote, a NUL byte, the
 * wrong number of fields, bytes that are not UTF-8, no record id or no
 * usable name becomes an empty record with that reason, counted in a diag
 * (line and column only; never the contents). Chunks are parsed in parallel
 * and appended in order, so the table does not depend on the thread count.
 *
 * A table in memory (nm_input_read_columns: Arrow-like string columns from
 * the Python package) is read in place through the same row function: each
 * row is presented as the CSV row it would render to (a field's bytes,
 * flags for bytes >= 0x80, a NUL byte rejecting the row), so mapping,
 * per-field rules and reasons cannot drift apart; its locations are 0-based
 * rows and column indexes instead of lines and byte columns. */
#include <omp.h>
#include <stdlib.h>
#include <string.h>
#include "common/error_internal.h"
#include "common/progress.h"
#include "ingest/csv.h"
#include "npimatch/normalize.h"
#include "table/tables.h"

#define VAL_CAP 4096
/* A table value holding CR or LF (nm_csv_field flags; the CSV reader's never do). */
#define F_BREAK (1u << 16)

typedef struct colmap {
    int id;                         /* record_id column */
    int src;                        /* source column (nm_input_read_sourced) or -1 */
    int name;                       /* full-name column or -1 */
    int col[NM_MAX_FIELDS][2];      /* per field: column (and line 2 for addresses), -1 none */
    int first, middle, last, suffix, cred;   /* model fields the full name fills (-1 none) */
    uint32_t ncols;
    int generic;                    /* read by nm_input_read_generic */
} colmap;

typedef struct chunk {
    nm_rtable t;
    nm_buf ids, srcs;
    NM_VEC(uint32_t) id_len, src_len;
    NM_VEC(uint64_t) line;
    NM_VEC(uint8_t) reason;
    nm_diag diag;
    char val[3 * VAL_CAP + 8], tmp[VAL_CAP + 8];
} chunk;

typedef struct ctx {
    const colmap *map;
    const nm_model *m;
    const nm_progress *pg;          /* the caller's cancel flag, tested per row (npimatch/progress.h) */
    nm_input *in;
    chunk *ch;
    int nch;
    uint32_t row_col;               /* column reported for a whole-row reason: 1 (CSV) or 0 (tables: none) */
} ctx;

static int is_name_field(const nm_field *f) {
    if (f->type == NM_FIELD_NAME || f->type == NM_FIELD_GIVEN_NAME || f->type == NM_FIELD_SURNAME) return 1;
    size_t n = strlen(f->name);
    return n >= 4 && !strcmp(f->name + n - 4, "name");
}

static const char *map_lookup(const nm_input_opts *o, const char *field) {
    size_t fl = strlen(field);
    for (size_t i = 0; o && i < o->nmap; i++)
        if (!strncmp(o->map[i], field, fl) && o->map[i][fl] == '=') return o->map[i] + fl + 1;
    return NULL;
}

/* Generic reading (nm_input_read_generic): candidate id columns. */
typedef struct generic {
    const char *const *id;
    size_t nid;
} generic;

/* The column names of a CSV header or of a table (nm_columns). */
typedef struct header {
    const char *path;
    const char *const *names;
    uint32_t n;
    int by_row;                     /* a table: locations are rows and column indexes */
} header;

/* The CSV reader's lookup: exact name first, then case-insensitive. */
static int find_col(const header *h, const char *name) { return nm_csv_find_name(h->names, h->n, name); }

static int make_map(const header *csv, const nm_model *m, const nm_input_opts *o, const generic *gen, const char *src,
                    colmap *cm, nm_err *err) {
    const char *path = csv->path;
    size_t nf = nm_model_field_count(m);
    for (size_t i = 0; o && i < o->nmap; i++) {
        const char *eq = strchr(o->map[i], '=');
        if (!eq || eq == o->map[i] || !eq[1])
            return nm_err_set(err, NM_E_ARG, "--map %zu: expected field=column", i + 1);
        char fname[128];
        snprintf(fname, sizeof fname, "%.*s", (int)(eq - o->map[i]), o->map[i]);
        if (strcmp(fname, "record_id") && strcmp(fname, "name") && nm_model_field_index(m, fname) < 0)
            return nm_err_set(err, NM_E_ARG, "--map: the model has no field '%s'", fname);
        if (find_col(csv, eq + 1) < 0)
            return nm_err_set(err, NM_E_FORMAT, "%s: --map %s: no such column in the header", path, fname);
    }
    memset(cm, -1, sizeof *cm);
    cm->ncols = csv->n;
    const char *idc = map_lookup(o, "record_id");
    cm->id = gen && !idc ? -1 : find_col(csv, idc ? idc : "record_id");
    for (size_t i = 0; !idc && cm->id < 0 && gen && i < gen->nid; i++)
        cm->id = find_col(csv, gen->id[i]);
    if (cm->id < 0 && !idc && gen && gen->nid) {
        char names[256] = "";
        for (size_t i = 0; i < gen->nid; i++)
            snprintf(names + strlen(names), sizeof names - strlen(names), "%s%s", i ? ", " : "", gen->id[i]);
        return nm_err_set(err, NM_E_FORMAT, "%s: no record id column in the header (looked for %s; use --map record_id=COLUMN)",
                          path, names);
    }
    if (cm->id < 0) return nm_err_set(err, NM_E_FORMAT, "%s: no record_id column in the header", path);
    const char *nc = map_lookup(o, "name");
    cm->name = find_col(csv, nc ? nc : "name");
    cm->src = src ? find_col(csv, src) : -1;
    int have_name = cm->name >= 0;
    for (size_t f = 0; f < nf; f++) {
        const nm_field *fd = nm_model_field(m, f);
        const char *c = map_lookup(o, fd->name);
        cm->col[f][0] = find_col(csv, c ? c : fd->column);
        if (cm->col[f][0] < 0 && fd->type == NM_FIELD_ADDRESS) {
            char a[300];
            snprintf(a, sizeof a, "%s_line1", c ? c : fd->column);
            cm->col[f][0] = find_col(csv, a);
            snprintf(a, sizeof a, "%s_line2", c ? c : fd->column);
            cm->col[f][1] = find_col(csv, a);
        }
        if (cm->col[f][0] >= 0 && is_name_field(fd)) have_name = 1;
    }
    cm->generic = gen != NULL;
    if (!have_name && !cm->generic) return nm_err_set(err, NM_E_FORMAT, "%s: no name column in the header", path);
    cm->first = nm_model_field_index(m, "first_name");
    cm->middle = nm_model_field_index(m, "middle_name");
    cm->last = nm_model_field_index(m, "last_name");
    cm->suffix = nm_model_field_index(m, "suffix");
    cm->cred = nm_model_field_index(m, "credential");
    return 0;
}

/* The value of column c as UTF-8 in ch->val; -1 when the bytes are not UTF-8. */
static int field_text(chunk *ch, const nm_csv_row *row, int c, const char **p, size_t *n) {
    *p = NULL;
    *n = 0;
    if (c < 0 || (uint32_t)c >= row->nfields) return 0;
    const nm_csv_field *f = &row->f[c];
    const char *s = f->p;
    size_t len = f->len < VAL_CAP ? f->len : VAL_CAP;
    if (f->flags & NM_CSV_ESCAPED) {
        nm_csv_field g = *f;
        g.len = (uint32_t)len;
        len = nm_csv_unescape(&g, ch->tmp, sizeof ch->tmp);
        s = ch->tmp;
    }
    if (f->flags & F_BREAK) {
        /* A table value's line break carries no identity and a CSV row
         * cannot hold one: read as a space, as a table rendered to CSV was. */
        for (size_t i = 0; i < len; i++) ch->tmp[i] = s[i] == '\n' || s[i] == '\r' ? ' ' : s[i];
        s = ch->tmp;
    }
    if (f->flags & NM_CSV_HIGHBIT) {
        int ok;
        len = nm_csv_to_utf8(s, len, ch->val, sizeof ch->val, &ok);
        if (!ok) return -1;
        s = ch->val;
    }
    *p = s;
    *n = len;
    return 0;
}

static int chunk_begin(void *u, int c) {
    chunk *ch = &((ctx *)u)->ch[c];
    nm_rtable_reset(&ch->t);
    ch->ids.len = ch->srcs.len = 0;
    ch->src_len.n = 0;
    ch->id_len.n = ch->line.n = ch->reason.n = 0;
    nm_diag_init(&ch->diag);
    return 0;
}

static int add_full_name(chunk *ch, const colmap *cm, const char *s, size_t n) {
    nm_person_name pn;
    if (nm_parse_full_name(s, n, &pn)) return 0;
    const struct { int f; const char *v; } parts[] = {
        {cm->first, pn.first}, {cm->middle, pn.middle}, {cm->last, pn.last}, {cm->suffix, pn.suffix},
        {cm->cred, pn.credentials}};
    for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++)
        if (parts[i].f >= 0 && parts[i].v[0]) NM_TRY(nm_rtable_add(&ch->t, (size_t)parts[i].f, parts[i].v, strlen(parts[i].v), 0));
    return 0;
}

static int row_cb(void *u, int c, const nm_csv_row *row) {
    ctx *x = u;
    if (nm_progress_cancelled(x->pg)) return NM_E_CANCELLED;
    chunk *ch = &x->ch[c];
    const colmap *cm = x->map;
    nm_rtable *t = &ch->t;
    size_t nf = t->nfields;
    int reason = row->error;
    uint32_t col = row->error_col;
    if (reason == NM_R_COUNT && row->nfields != cm->ncols) reason = NM_R_FIELD_COUNT, col = 0;
    /* The record id, when the row has one we can read (even a bad row keeps it for the output). */
    const char *id;
    size_t idn;
    if (field_text(ch, row, cm->id, &id, &idn) < 0) id = NULL, idn = 0;
    size_t idstart = ch->ids.len;
    if (nm_buf_append(&ch->ids, id, idn) || NM_VEC_PUSH(&ch->id_len, (uint32_t)idn)) return NM_E_NOMEM;
    if (reason == NM_R_COUNT && !idn) reason = NM_R_MISSING_KEY, col = cm->id < (int)row->nfields ? row->f[cm->id].col : 0;
    (void)idstart;
    if (cm->src >= 0) {
        const char *sp;
        size_t sn;
        if (field_text(ch, row, cm->src, &sp, &sn) < 0) sp = NULL, sn = 0;
        if (nm_buf_append(&ch->srcs, sp, sn) || NM_VEC_PUSH(&ch->src_len, (uint32_t)sn)) return NM_E_NOMEM;
    }
    if (reason == NM_R_COUNT) {
        for (size_t f = 0; f < nf && reason == NM_R_COUNT; f++) {
            const char *a, *b;
            size_t na, nb;
            if (cm->col[f][0] < 0) continue;
            if (field_text(ch, row, cm->col[f][0], &a, &na) < 0) {
                reason = NM_R_INVALID_UTF8, col = row->f[cm->col[f][0]].col;
                break;
            }
            if (cm->col[f][1] >= 0) {
                /* two address lines: the first is copied out of the shared buffer */
                char l1[VAL_CAP + 8];
                memcpy(l1, a, na);
                if (field_text(ch, row, cm->col[f][1], &b, &nb) < 0) {
                    reason = NM_R_INVALID_UTF8, col = row->f[cm->col[f][1]].col;
                    break;
                }
                NM_TRY(nm_rtable_add2(t, f, l1, na, b, nb, 0));
            } else {
                NM_TRY(nm_rtable_add(t, f, a, na, 0));
            }
        }
    }
    if (reason == NM_R_COUNT && cm->name >= 0) {
        int have = (cm->first >= 0 && nm_rt_pending(t, (size_t)cm->first)) ||
                   (cm->last >= 0 && nm_rt_pending(t, (size_t)cm->last));
        const char *a;
        size_t na;
        if (field_text(ch, row, cm->name, &a, &na) < 0) reason = NM_R_INVALID_UTF8, col = row->f[cm->name].col;
        else if (!have && na) NM_TRY(add_full_name(ch, cm, a, na));
    }
    if (reason == NM_R_COUNT) {
        int named = 0;
        for (size_t f = 0; f < nf && !named; f++)
            named = (cm->generic || is_name_field(nm_model_field(x->m, f))) && nm_rt_pending(t, f);
        if (!named) reason = NM_R_NO_NAME, col = 0;
    }
    if (reason != NM_R_COUNT) {
        /* drop whatever this row added: a rejected row is an empty record */
        for (size_t f = 0; f < nf; f++) {
            nm_rcol *rc = &t->col[f];
            uint32_t first = rc->roff.v[rc->roff.n - 1];
            rc->voff.n = first + 1;
            rc->bytes.len = rc->voff.v[first];
            if (rc->needs) rc->codes.n = first;
        }
        nm_diag_add(&ch->diag, (nm_reason)reason, 0, row->line, col ? col : x->row_col, 1);
    }
    if (NM_VEC_PUSH(&ch->line, row->line) || NM_VEC_PUSH(&ch->reason, (uint8_t)reason)) return NM_E_NOMEM;
    return nm_rtable_end_record(t);
}

static int block_end(void *u, int nchunks) {
    ctx *x = u;
    nm_input *in = x->in;
    for (int c = 0; c < nchunks; c++) {
        chunk *ch = &x->ch[c];
        NM_TRY(nm_rtable_append(&in->t, &ch->t));
        NM_TRY(nm_buf_append(&in->ids, ch->ids.data, ch->ids.len));
        if (x->map->src >= 0) {
            if (nm_buf_append(&in->srcs, ch->srcs.data, ch->srcs.len) || (!in->src_off.n && NM_VEC_PUSH(&in->src_off, 0u)))
                return NM_E_NOMEM;
            for (size_t i = 0; i < ch->src_len.n; i++) {
                uint32_t end = in->src_off.v[in->src_off.n - 1] + ch->src_len.v[i];
                if (NM_VEC_PUSH(&in->src_off, end)) return NM_E_NOMEM;
            }
        }
        for (size_t i = 0; i < ch->line.n; i++) {
            uint32_t end = in->id_off.v[in->id_off.n - 1] + ch->id_len.v[i];
            if (NM_VEC_PUSH(&in->id_off, end) || NM_VEC_PUSH(&in->line, ch->line.v[i]) ||
                NM_VEC_PUSH(&in->reason, ch->reason.v[i]))
                return NM_E_NOMEM;
        }
        in->rows += ch->line.n;
        nm_diag_merge(&in->diag, &ch->diag);
    }
    return 0;
}

/* Rows come from a CSV scan or from table columns; both feed row_cb. */
typedef int (*scan_fn)(void *src, ctx *x, nm_err *err);

static int read_rows(nm_input *in, const header *h, scan_fn scan, void *src_data, const nm_model *m,
                     const nm_input_opts *o, const generic *gen, const char *src, nm_err *err) {
    memset(in, 0, sizeof *in);
    nm_diag_init(&in->diag);
    colmap *cm = malloc(sizeof *cm);
    if (!cm) return nm_err_set(err, NM_E_NOMEM, "input: out of memory");
    int rc = make_map(h, m, o, gen, src, cm, err);
    int nw = o && o->threads > 0 ? o->threads : omp_get_max_threads();
    nw = NM_MAX(nw, 1);
    ctx x = {cm, m, nm_progress_get(), in, calloc((size_t)nw, sizeof(chunk)), nw, h->by_row ? 0 : 1};
    if (!rc && !x.ch) rc = nm_err_set(err, NM_E_NOMEM, "input: out of memory");
    for (int i = 0; !rc && i < nw; i++) rc = nm_rtable_init(&x.ch[i].t, m);
    if (!rc) rc = nm_rtable_init(&in->t, m);
    if (!rc) rc = NM_VEC_PUSH(&in->id_off, 0u);
    if (!rc) {
        rc = scan(src_data, &x, err);
        if (rc && err && !err->msg[0]) nm_err_set(err, rc, "%s: %s while reading rows", h->path, nm_strerror(rc));
        if (rc > 0) rc = NM_E_INTERNAL;
    }
    for (int i = 0; x.ch && i < nw; i++) {
        nm_rtable_free(&x.ch[i].t);
        nm_buf_free(&x.ch[i].ids);
        nm_buf_free(&x.ch[i].srcs);
        NM_VEC_FREE(&x.ch[i].id_len);
        NM_VEC_FREE(&x.ch[i].src_len);
        NM_VEC_FREE(&x.ch[i].line);
        NM_VEC_FREE(&x.ch[i].reason);
    }
    free(x.ch);
    free(cm);
    if (rc) nm_input_free(in);
    return rc;
}

static int scan_csv(void *csv, ctx *x, nm_err *err) {
    nm_csv_consumer cons = {x, chunk_begin, row_cb, block_end, x->nch, 0, NULL};
    return nm_csv_scan(csv, &cons, err);
}

static int read_csv(nm_input *in, nm_csv *csv, const nm_model *m, const nm_input_opts *o, const generic *gen, const char *src,
                    nm_err *err) {
    uint32_t n = nm_csv_ncols(csv);
    const char **names = malloc((n ? n : 1) * sizeof *names);
    if (!names) return nm_err_set(err, NM_E_NOMEM, "input: out of memory");
    for (uint32_t i = 0; i < n; i++) names[i] = nm_csv_colname(csv, i);
    header h = {nm_csv_path(csv), names, n, 0};
    int rc = read_rows(in, &h, scan_csv, csv, m, o, gen, src, err);
    free(names);
    return rc;
}

/* ---- tables: column string views (nm_input_read_columns) ---- */

/* Rows per chunk of a block: a block of nch chunks is parsed in parallel
 * and appended in order, as nm_csv_scan does with its chunks. */
#define COL_CHUNK 16384

typedef struct colscan {
    const nm_columns *c;
    uint8_t *used;                  /* per column: read by the map */
    uint64_t *start;                /* per batch: its first row */
} colscan;

/* Value i of column view v (NULL and *n = 0 for a null); -1 for offsets
 * or view buffer references out of order. */
static int view_at(const nm_strcol *v, int64_t i, const char **p, size_t *n) {
    int64_t j = v->offset + i, lo, hi;
    *p = NULL;
    *n = 0;
    if (v->kind == NM_STRCOL_NULL || (v->valid && !((v->valid[j >> 3] >> (j & 7)) & 1))) return 0;
    if (v->kind == NM_STRCOL_VIEW) {
        /* Arrow string view: length, then the bytes inline (<= 12) or a
         * prefix, buffer index and offset. */
        const uint8_t *e = (const uint8_t *)v->off + 16 * j;
        int32_t len, bi, bo;
        memcpy(&len, e, 4);
        if (len < 0) return -1;
        *n = (size_t)len;
        if (len <= 12) return *p = (const char *)e + 4, 0;
        memcpy(&bi, e + 8, 4);
        memcpy(&bo, e + 12, 4);
        if (bi < 0 || (int64_t)bi >= v->nvbuf || bo < 0 || !v->vbuf[bi]) return -1;
        *p = v->vbuf[bi] + bo;
        return 0;
    }
    if (v->kind == NM_STRCOL_I64) lo = ((const int64_t *)v->off)[j], hi = ((const int64_t *)v->off)[j + 1];
    else lo = ((const int32_t *)v->off)[j], hi = ((const int32_t *)v->off)[j + 1];
    if (lo < 0 || hi < lo) return -1;
    *n = (size_t)(hi - lo);
    *p = v->data ? v->data + lo : "";
    return 0;
}

/* Rows [lo, hi) of the table as CSV rows for row_cb: a field gets the flags
 * the CSV reader would give it (bytes >= 0x80: transcoded or rejected as
 * not UTF-8; a NUL byte rejects the row) and its 1-based column index as
 * its column; a row's "line" is its 0-based row index. */
static int col_chunk(colscan *s, ctx *x, int c, uint64_t lo, uint64_t hi, nm_csv_field *f) {
    const nm_columns *t = s->c;
    size_t b = 0;
    while (b + 1 < t->nbatch && s->start[b + 1] <= lo) b++;
    for (uint64_t r = lo; r < hi; r++) {
        while (r >= s->start[b] + (uint64_t)t->batch[b].rows) b++;
        const nm_strcol *cv = t->batch[b].col;
        int64_t i = (int64_t)(r - s->start[b]);
        nm_csv_row row = {r, t->ncols, f, NM_R_COUNT, 0};
        for (uint32_t k = 0; k < t->ncols; k++) {
            const char *p;
            size_t n;
            f[k].p = "", f[k].len = 0, f[k].col = k + 1, f[k].flags = 0;
            if (!s->used[k]) continue;
            if (view_at(&cv[k], i, &p, &n) < 0) return NM_E_FORMAT;
            if (!p) continue;
            f[k].p = p, f[k].len = (uint32_t)NM_MIN(n, (size_t)UINT32_MAX);
            size_t m = NM_MIN(n, (size_t)VAL_CAP);
            for (size_t q = 0; q < m; q++) {
                unsigned char ch = (unsigned char)p[q];
                if (ch >= 0x80) f[k].flags |= NM_CSV_HIGHBIT;
                else if (ch == '\n' || ch == '\r') f[k].flags |= F_BREAK;
                else if (!ch && row.error == NM_R_COUNT) row.error = NM_R_NUL_BYTE, row.error_col = k + 1;
            }
        }
        int rc = row_cb(x, c, &row);
        if (rc) return rc;
    }
    return 0;
}

static int scan_columns(void *u, ctx *x, nm_err *err) {
    colscan *s = u;
    const nm_columns *t = s->c;
    /* only the columns the map reads are looked at (their bytes scanned) */
    const colmap *cm = x->map;
    if (cm->id >= 0) s->used[cm->id] = 1;
    if (cm->name >= 0) s->used[cm->name] = 1;
    for (size_t f = 0; f < NM_MAX_FIELDS; f++)
        for (int l = 0; l < 2; l++)
            if (cm->col[f][l] >= 0) s->used[cm->col[f][l]] = 1;
    uint64_t n = s->start[t->nbatch];
    int nch = x->nch, rc = 0;
    nm_csv_field *f = calloc((size_t)nch * (t->ncols ? t->ncols : 1), sizeof *f);
    int *crc = calloc((size_t)nch, sizeof *crc);
    if (!f || !crc) {
        free(f);
        free(crc);
        return NM_E_NOMEM;
    }
    for (uint64_t b0 = 0; b0 < n && !rc; b0 += (uint64_t)nch * COL_CHUNK) {
        int nc = (int)NM_MIN((uint64_t)nch, (n - b0 + COL_CHUNK - 1) / COL_CHUNK);
#pragma omp parallel for schedule(static, 1) num_threads(nch)
        for (int c = 0; c < nc; c++) {
            uint64_t lo = b0 + (uint64_t)c * COL_CHUNK, hi = NM_MIN(n, lo + COL_CHUNK);
            crc[c] = chunk_begin(x, c);
            if (!crc[c]) crc[c] = col_chunk(s, x, c, lo, hi, f + (size_t)c * t->ncols);
        }
        for (int c = 0; c < nc && !rc; c++) rc = crc[c];
        if (rc == NM_E_FORMAT)
            nm_err_set(err, rc, "%s: malformed column (string offsets or views out of order)", t->name);
        if (!rc) rc = block_end(x, nc);
    }
    free(crc);
    free(f);
    return rc;
}

int nm_input_read_columns(nm_input *in, const nm_columns *t, const nm_model *m, const nm_input_opts *o, nm_err *err) {
    memset(in, 0, sizeof *in);
    header h = {t->name, t->colname, t->ncols, 1};
    colscan s = {t, calloc(t->ncols ? t->ncols : 1, 1), malloc((t->nbatch + 1) * sizeof(uint64_t))};
    int rc = !s.used || !s.start ? nm_err_set(err, NM_E_NOMEM, "input: out of memory") : 0;
    if (!rc) {
        s.start[0] = 0;
        for (size_t b = 0; b < t->nbatch; b++) s.start[b + 1] = s.start[b] + (uint64_t)NM_MAX(t->batch[b].rows, 0);
        rc = read_rows(in, &h, scan_columns, &s, m, o, NULL, NULL, err);
    }
    if (!rc) {
        in->colname = t->colname;
        in->ncols = t->ncols;
    }
    free(s.used);
    free(s.start);
    return rc;
}

void nm_input_report(const nm_input *in, const char *name, FILE *out) {
    if (in->colname) {
        nm_diag_print_rows(&in->diag, name, in->colname, in->ncols, out);
    } else {
        const char *files[1] = {name};
        nm_diag_print(&in->diag, files, out);
    }
}

int nm_input_read(nm_input *in, const char *path, const nm_model *m, const nm_input_opts *o, nm_err *err) {
    return nm_input_read_sourced(in, path, m, o, NULL, err);
}

int nm_input_read_sourced(nm_input *in, const char *path, const nm_model *m, const nm_input_opts *o,
                          const char *source_column, nm_err *err) {
    nm_csv *csv;
    nm_csv_opts co = {.threads = o ? o->threads : 0};
    memset(in, 0, sizeof *in);
    NM_TRY(o && o->data ? nm_csv_open_memory(o->data, o->len, path, &co, &csv, err) : nm_csv_open(path, &co, &csv, err));
    int rc = read_csv(in, csv, m, o, NULL, source_column, err);
    nm_csv_close(csv);
    return rc;
}

int nm_input_read_memory(nm_input *in, const char *data, size_t len, const nm_model *m, const nm_input_opts *o,
                         nm_err *err) {
    nm_csv *csv;
    nm_csv_opts co = {.threads = o ? o->threads : 0};
    memset(in, 0, sizeof *in);
    NM_TRY(nm_csv_open_memory(data, len, "<memory>", &co, &csv, err));
    int rc = read_csv(in, csv, m, o, NULL, NULL, err);
    nm_csv_close(csv);
    return rc;
}

int nm_input_read_generic(nm_input *in, const char *path, const nm_model *m, const nm_input_opts *o,
                          const char *const *id_columns, size_t nid, nm_err *err) {
    nm_csv *csv;
    nm_csv_opts co = {.threads = o ? o->threads : 0};
    generic gen = {id_columns, nid};
    memset(in, 0, sizeof *in);
    NM_TRY(o && o->data ? nm_csv_open_memory(o->data, o->len, path, &co, &csv, err) : nm_csv_open(path, &co, &csv, err));
    int rc = read_csv(in, csv, m, o, &gen, NULL, err);
    nm_csv_close(csv);
    return rc;
}

void nm_input_free(nm_input *in) {
    nm_rtable_free(&in->t);
    nm_buf_free(&in->ids);
    NM_VEC_FREE(&in->id_off);
    nm_buf_free(&in->srcs);
    NM_VEC_FREE(&in->src_off);
    NM_VEC_FREE(&in->line);
    NM_VEC_FREE(&in->reason);
}
