/* Tables read in place (nm_input_read_columns): the same records, ids and
 * bad-row reasons as the same data read as CSV bytes (nm_input_read_memory),
 * for every string layout (int32 / int64 offsets, string views, all null),
 * nulls, column mapping, line breaks, Latin-1 and NUL bytes; rows are
 * reported by 0-based row and column name. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "table/tables.h"
#include "npimatch/model.h"

static nm_model *M;
static void setup(void) {
    nm_err e;
    cr_assert_eq(nm_model_load("builtin:hcp", &M, &e), 0);
}
static void teardown(void) { nm_model_free(M); }
TestSuite(input_columns, .init = setup, .fini = teardown);

/* A column built from C strings (NULL = null) in one of the layouts. */
typedef struct tcol {
    nm_strcol v;
    char *data;
    void *off;
    uint8_t *valid;
    const char **vb;
} tcol;

static void make_col(tcol *c, int kind, const char *const *vals, int64_t n, int64_t pad) {
    memset(c, 0, sizeof *c);
    c->v.kind = kind;
    c->v.offset = pad;   /* leading elements that are not part of the table */
    int64_t tot = n + pad;
    size_t bytes = 0;
    for (int64_t i = 0; i < n; i++) bytes += vals[i] ? strlen(vals[i]) : 0;
    c->data = malloc(bytes + 1);
    c->valid = calloc((size_t)(tot + 7) / 8, 1);
    int any_null = 0;
    if (kind == NM_STRCOL_VIEW) {
        uint8_t *views = calloc((size_t)tot, 16);
        size_t at = 0;
        for (int64_t i = 0; i < n; i++) {
            uint8_t *e = views + 16 * (i + pad);
            int32_t len = vals[i] ? (int32_t)strlen(vals[i]) : 0, bi = 0, bo = (int32_t)at;
            memcpy(e, &len, 4);
            if (len <= 12) {
                if (len) memcpy(e + 4, vals[i], (size_t)len);
            } else {
                memcpy(e + 4, vals[i], 4);
                memcpy(e + 8, &bi, 4);
                memcpy(e + 12, &bo, 4);
                memcpy(c->data + at, vals[i], (size_t)len);
                at += (size_t)len;
            }
        }
        c->off = views;
        c->vb = malloc(sizeof *c->vb);
        c->vb[0] = c->data;
        c->v.vbuf = c->vb;
        c->v.nvbuf = 1;
    } else {
        int wide = kind == NM_STRCOL_I64;
        c->off = calloc((size_t)tot + 1, wide ? 8 : 4);
        size_t at = 0;
        for (int64_t i = 0; i <= n; i++) {
            if (wide) ((int64_t *)c->off)[i + pad] = (int64_t)at;
            else ((int32_t *)c->off)[i + pad] = (int32_t)at;
            if (i < n && vals[i]) memcpy(c->data + at, vals[i], strlen(vals[i])), at += strlen(vals[i]);
        }
    }
    for (int64_t i = 0; i < n; i++) {
        if (vals[i]) c->valid[(i + pad) >> 3] |= (uint8_t)(1u << ((i + pad) & 7));
        else any_null = 1;
    }
    c->v.off = c->off;
    c->v.data = c->data;
    c->v.valid = any_null ? c->valid : NULL;
}

static void free_col(tcol *c) {
    free(c->data);
    free(c->off);
    free(c->valid);
    free(c->vb);
}

/* The CSV a table renders to: quoted when needed, null = empty. */
static void put_csv(char *b, const char *v) {
    if (!v) return;
    if (!strpbrk(v, ",\"")) {
        strcat(b, v);
        return;
    }
    strcat(b, "\"");
    for (const char *p = v; *p; p++) {
        size_t l = strlen(b);
        b[l] = *p;
        b[l + 1] = 0;
        if (*p == '"') strcat(b, "\"");
    }
    strcat(b, "\"");
}

#define NCOL 6
#define NROW 7
static const char *NAMES[NCOL] = {"record_id", "first_name", "last_name", "city", "state", "nm"};
static const char *VALS[NROW][NCOL] = {
    {"A1", "ROBERT", "JONES", "SPRINGFIELD", "IL", NULL},
    {"A2", NULL, NULL, "TAMPA", "FL", NULL},                          /* no name */
    {"A3", "Jos\xc3\xa9", "O'Neil, Jr", "New York", NULL, "x"},        /* UTF-8, comma */
    {NULL, "ANNA", "KOWALSKI", "TAMPA", "FL", NULL},                  /* no record id */
    {"A5", "Ren\xe9", "DUBOIS", "PARIS", "TX", NULL},                 /* Latin-1 byte */
    {"A6", NULL, NULL, NULL, NULL, "Dr. Mary Ann Smith MD"},          /* full name, mapped */
    {"A7", "A\"L", "LONGNAME-OVER-TWELVE", "", "CA", NULL},           /* quote, empty string */
};

typedef struct table {
    tcol col[NCOL], col2[NCOL];
    nm_colbatch batch[2];
    nm_strcol views[2][NCOL];
    nm_columns t;
} table;

/* The rows split into two batches (rows 0-2 and 3-6), columns in layout
 * kinds[k]; the second batch's columns start at an offset. */
static void make_table(table *tb, const int *kinds, const char *vals[NROW][NCOL]) {
    tcol *c2 = tb->col2;
    for (int k = 0; k < NCOL; k++) {
        const char *a[NROW], *b[NROW];
        for (int r = 0; r < NROW; r++) (r < 3 ? a : b)[r < 3 ? r : r - 3] = vals[r][k];
        make_col(&tb->col[k], kinds[k], a, 3, 0);
        make_col(&c2[k], kinds[k], b, NROW - 3, 5);
        tb->views[0][k] = tb->col[k].v;
        tb->views[1][k] = c2[k].v;
    }
    tb->batch[0] = (nm_colbatch){3, tb->views[0]};
    tb->batch[1] = (nm_colbatch){NROW - 3, tb->views[1]};
    tb->t = (nm_columns){"records", NAMES, NCOL, tb->batch, 2};
}

static void free_table(table *tb) {
    for (int k = 0; k < NCOL; k++) free_col(&tb->col[k]), free_col(&tb->col2[k]);
}

static char *csv_of(const char *vals[NROW][NCOL]) {
    char *b = calloc(1, 8192);
    for (int k = 0; k < NCOL; k++) strcat(b, k ? "," : ""), strcat(b, NAMES[k]);
    strcat(b, "\n");
    for (int r = 0; r < NROW; r++) {
        for (int k = 0; k < NCOL; k++) {
            if (k) strcat(b, ",");
            put_csv(b, vals[r][k]);
        }
        strcat(b, "\n");
    }
    return b;
}

static void assert_same(const nm_input *a, const nm_input *b) {
    cr_assert_eq(a->t.n, b->t.n);
    cr_assert_eq(a->rows, b->rows);
    for (size_t r = 0; r < a->t.n; r++) {
        uint32_t la, lb;
        const char *ia = nm_input_id(a, r, &la), *ib = nm_input_id(b, r, &lb);
        cr_assert(la == lb && !memcmp(ia, ib, la), "row %zu: same record id", r);
        cr_assert_eq(a->reason.v[r], b->reason.v[r], "row %zu: same reason", r);
        for (size_t f = 0; f < a->t.nfields; f++) {
            cr_assert_eq(nm_rt_count(&a->t, f, r), nm_rt_count(&b->t, f, r), "row %zu field %zu", r, f);
            for (uint32_t v = 0; v < nm_rt_count(&a->t, f, r); v++) {
                const char *va = nm_rt_value(&a->t, f, nm_rt_first(&a->t, f, r) + v, &la);
                const char *vb = nm_rt_value(&b->t, f, nm_rt_first(&b->t, f, r) + v, &lb);
                cr_assert(la == lb && !memcmp(va, vb, la), "row %zu field %zu value %u", r, f, v);
            }
        }
    }
    for (int i = 0; i < NM_R_COUNT; i++) cr_assert_eq(a->diag.count[i], b->diag.count[i]);
}

static void read_both(const int *kinds, const char *const *map, size_t nmap, nm_input *csv, nm_input *cols) {
    table tb;
    make_table(&tb, kinds, VALS);
    char *text = csv_of(VALS);
    nm_input_opts o = {map, nmap, 2, NULL, 0};
    nm_err e;
    cr_assert_eq(nm_input_read_memory(csv, text, strlen(text), M, &o, &e), 0, "%s", e.msg);
    cr_assert_eq(nm_input_read_columns(cols, &tb.t, M, &o, &e), 0, "%s", e.msg);
    free(text);
    free_table(&tb);
}

Test(input_columns, every_layout_reads_like_the_csv) {
    const char *map[] = {"name=nm"};
    int layouts[3][NCOL] = {
        {NM_STRCOL_I32, NM_STRCOL_I32, NM_STRCOL_I32, NM_STRCOL_I32, NM_STRCOL_I32, NM_STRCOL_I32},
        {NM_STRCOL_I64, NM_STRCOL_I64, NM_STRCOL_I64, NM_STRCOL_I64, NM_STRCOL_I64, NM_STRCOL_I64},
        {NM_STRCOL_VIEW, NM_STRCOL_I32, NM_STRCOL_VIEW, NM_STRCOL_I64, NM_STRCOL_VIEW, NM_STRCOL_VIEW}};
    for (int l = 0; l < 3; l++) {
        nm_input a, b;
        read_both(layouts[l], map, 1, &a, &b);
        assert_same(&a, &b);
        cr_assert_eq(b.reason.v[1], NM_R_NO_NAME, "a row without a name is rejected, not dropped");
        cr_assert_eq(b.reason.v[3], NM_R_MISSING_KEY);
        cr_assert_eq(b.reason.v[0], NM_R_COUNT);
        cr_assert_eq(b.reason.v[5], NM_R_COUNT, "the mapped full-name column gives row 5 its name");
        cr_assert_eq(b.line.v[1], 1, "locations are 0-based rows");
        cr_assert_eq(a.line.v[1], 3, "the CSV's are file lines");
        cr_assert_eq(b.diag.count[NM_R_NO_NAME], 1);
        nm_input_free(&a);
        nm_input_free(&b);
    }
}

Test(input_columns, report_names_row_and_column) {
    int kinds[NCOL] = {0, 0, 0, 0, 0, 0};
    nm_input a, b;
    read_both(kinds, NULL, 0, &a, &b);
    assert_same(&a, &b);
    cr_assert_eq(b.reason.v[5], NM_R_NO_NAME, "without the map, the full-name row has no name");
    char *out = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&out, &len);
    nm_input_report(&b, "records", f);
    fclose(f);
    cr_assert(strstr(out, "records: row 1: no usable name (row skipped)\n"), "%s", out);
    cr_assert(strstr(out, "records: row 3, column record_id: missing record key"), "%s", out);
    cr_assert(strstr(out, "no_name"), "summary by reason");
    cr_assert_null(strstr(out, "ROBERT"), "never field contents");
    free(out);
    nm_input_free(&a);
    nm_input_free(&b);
}

Test(input_columns, nul_byte_and_invalid_utf8_and_line_break) {
    const char *vals[NROW][NCOL];
    memcpy(vals, VALS, sizeof vals);
    vals[0][1] = "ROB\nERT";   /* a line break reads as a space */
    static const char lf[] = "ROB ERT";
    table tb;
    int kinds[NCOL] = {0, 0, 0, 0, 0, 0};
    make_table(&tb, kinds, vals);
    nm_input_opts o = {NULL, 0, 1, NULL, 0};
    nm_err e;
    nm_input b, c;
    cr_assert_eq(nm_input_read_columns(&b, &tb.t, M, &o, &e), 0, "%s", e.msg);
    vals[0][1] = lf;
    char *text = csv_of(vals);
    cr_assert_eq(nm_input_read_memory(&c, text, strlen(text), M, &o, &e), 0, "%s", e.msg);
    assert_same(&b, &c);
    free(text);
    nm_input_free(&b);
    nm_input_free(&c);
    /* NUL: the row is rejected with the column that holds it */
    static const char withnul[] = {'J', 'O', 0, 'N', 'E', 'S'};
    int32_t offs[4] = {0, 6, 6, 6};
    tb.views[0][2] = (nm_strcol){NM_STRCOL_I32, 0, NULL, offs, withnul, NULL, 0};
    cr_assert_eq(nm_input_read_columns(&b, &tb.t, M, &o, &e), 0, "%s", e.msg);
    cr_assert_eq(b.reason.v[0], NM_R_NUL_BYTE);
    cr_assert_eq(b.diag.kept[NM_R_NUL_BYTE][0].col, 3, "column 3 (last_name)");
    nm_input_free(&b);
    /* offsets going backwards: an error, not a crash */
    int32_t bad[4] = {0, 6, 2, 6};
    tb.views[0][2].off = bad;
    cr_assert_eq(nm_input_read_columns(&b, &tb.t, M, &o, &e), NM_E_FORMAT);
    free_table(&tb);
}

Test(input_columns, header_errors_as_for_csv) {
    const char *names[2] = {"record_id", "city"};
    nm_strcol v[2] = {{NM_STRCOL_NULL, 0, NULL, NULL, NULL, NULL, 0}, {NM_STRCOL_NULL, 0, NULL, NULL, NULL, NULL, 0}};
    nm_colbatch bt = {1, v};
    nm_columns t = {"records", names, 2, &bt, 1};
    nm_input in;
    nm_err e;
    nm_input_opts o = {NULL, 0, 1, NULL, 0};
    cr_assert_eq(nm_input_read_columns(&in, &t, M, &o, &e), NM_E_FORMAT);
    cr_assert(strstr(e.msg, "records: no name column"), "%s", e.msg);
    const char *map[] = {"last_name=surname"};
    o.map = map, o.nmap = 1;
    cr_assert_eq(nm_input_read_columns(&in, &t, M, &o, &e), NM_E_FORMAT);
    cr_assert(strstr(e.msg, "no such column"), "%s", e.msg);
}

Test(input_columns, many_rows_any_thread_count) {
    /* more rows than one parallel block, one batch per 1000 rows */
    enum { N = 70000, B = 1000 };
    static char ids[N][8];
    static const char *idv[N], *fn[N], *ln[N];
    for (int i = 0; i < N; i++) {
        snprintf(ids[i], sizeof ids[i], "R%d", i);
        idv[i] = ids[i];
        fn[i] = i % 7 ? "ANNA" : NULL;
        ln[i] = i % 7 ? (i % 3 ? "SMITH" : "JONES") : NULL;
    }
    const char *names[3] = {"record_id", "first_name", "last_name"};
    tcol c[3];
    make_col(&c[0], NM_STRCOL_I32, idv, N, 0);
    make_col(&c[1], NM_STRCOL_I32, fn, N, 0);
    make_col(&c[2], NM_STRCOL_I32, ln, N, 0);
    static nm_strcol v[N / B][3];
    static nm_colbatch bt[N / B];
    for (int b = 0; b < N / B; b++) {
        for (int k = 0; k < 3; k++) v[b][k] = c[k].v, v[b][k].offset = (int64_t)b * B;
        bt[b] = (nm_colbatch){B, v[b]};
    }
    nm_columns t = {"records", names, 3, bt, N / B};
    nm_input one, four;
    nm_err e;
    nm_input_opts o1 = {NULL, 0, 1, NULL, 0}, o4 = {NULL, 0, 4, NULL, 0};
    cr_assert_eq(nm_input_read_columns(&one, &t, M, &o1, &e), 0, "%s", e.msg);
    cr_assert_eq(nm_input_read_columns(&four, &t, M, &o4, &e), 0, "%s", e.msg);
    cr_assert_eq(four.t.n, N);
    cr_assert_eq(four.diag.count[NM_R_NO_NAME], (N + 6) / 7);
    cr_assert_eq(four.line.v[N - 1], N - 1);
    uint32_t l;
    const char *last = nm_input_id(&four, 69999, &l);
    cr_assert(l == 6 && !memcmp(last, "R69999", 6));
    for (size_t r = 0; r < N; r++) cr_assert_eq(one.reason.v[r], four.reason.v[r]);
    cr_assert_eq(one.t.col[0].bytes.len, four.t.col[0].bytes.len);
    cr_assert(!memcmp(one.t.col[0].bytes.data, four.t.col[0].bytes.data, one.t.col[0].bytes.len));
    cr_assert(!memcmp(one.ids.data, four.ids.data, one.ids.len));
    nm_input_free(&one);
    nm_input_free(&four);
    for (int k = 0; k < 3; k++) free_col(&c[k]);
}
