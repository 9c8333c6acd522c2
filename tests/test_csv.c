/* Tests of the CSV reader (engine/ingest/csv.h): RFC 4180 quoting rules,
 * line/column numbers of bad rows, every input path (memory, mapped file,
 * zstd stream) and thread count and block size giving the same rows, and the
 * SIMD classifiers held bit-identical to the scalar reference.
 *
 * Random documents are checked against ref_parse below, a deliberately
 * naive byte-at-a-time parser of the same rules written independently of
 * the bit-mask scanner. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "common/arena.h"
#include "common/hash.h"
#include "common/io.h"
#include "ingest/csv.h"
#include "npimatch/simd.h"

/* ---- helpers ------------------------------------------------------------ */

static void tmp_path(char *out, size_t cap, const char *name) {
    snprintf(out, cap, "%s/csv_%d_%s", NM_TEST_TMPDIR, (int)getpid(), name);
}

static void write_file(const char *path, const char *data, size_t len) {
    nm_writer *w;
    nm_err err;
    cr_assert_eq(nm_writer_open(path, 0, &w, &err), 0, "%s", err.msg);
    cr_assert_eq(nm_writer_write(w, data, len, &err), 0);
    cr_assert_eq(nm_writer_commit(w, &err), 0, "%s", err.msg);
}

/* Open bytes in memory; the test fails if that does not work. */
static nm_csv *open_mem(const char *doc, size_t len, const nm_csv_opts *o) {
    nm_csv *c = NULL;
    nm_err err;
    cr_assert_eq(nm_csv_open_memory(doc, len, NULL, o, &c, &err), 0, "%s", err.msg);
    return c;
}

/* One row as text: "L<line> N<nfields>" then "|f<flags>c<col>l<len>:<bytes>"
 * per stored field, or "L<line> E<reason> C<col>". */
static void put_row(nm_buf *b, const nm_csv_row *r, uint32_t maxf) {
    if (r->error != NM_R_COUNT) {
        nm_buf_printf(b, "L%llu E%d C%u\n", (unsigned long long)r->line, r->error, r->error_col);
        return;
    }
    nm_buf_printf(b, "L%llu N%u", (unsigned long long)r->line, r->nfields);
    for (uint32_t i = 0; i < r->nfields && i < maxf; i++) {
        char tmp[4096];
        size_t n = nm_csv_unescape(&r->f[i], tmp, sizeof tmp);
        nm_buf_printf(b, "|f%uc%ul%zu:", r->f[i].flags, r->f[i].col, n);
        nm_buf_append(b, tmp, n);
    }
    nm_buf_putc(b, '\n');
}

/* Naive reference: same rules (csv.h), one byte at a time. */
static void ref_parse(const char *d, size_t len, char delim, uint32_t maxf, nm_buf *out) {
    size_t pos = 0;
    if (len >= 3 && !memcmp(d, "\xEF\xBB\xBF", 3)) pos = 3;
    uint64_t line = 1;
    int header = 1;
    nm_buf fb = {0};
    while (pos < len) {
        const char *lf = memchr(d + pos, '\n', len - pos);
        size_t le = lf ? (size_t)(lf - d) : len;
        const char *p = d + pos;
        size_t n = le - pos;
        if (n && p[n - 1] == '\r') n--;
        if (n) {
            /* parse p[0, n) */
            fb.len = 0;
            uint32_t nf = 0;
            int err = -1;
            size_t errat = 0, i = 0;
            for (;;) {
                size_t s = i;
                unsigned flags = 0;
                nm_buf val = {0};
                if (i < n && p[i] == '"') {
                    flags |= NM_CSV_QUOTED;
                    i++;
                    int closed = 0;
                    while (i < n) {
                        if (p[i] == 0) { err = NM_R_NUL_BYTE; errat = i; break; }
                        if (p[i] == '"') {
                            if (i + 1 < n && p[i + 1] == '"') { nm_buf_putc(&val, '"'); flags |= NM_CSV_ESCAPED; i += 2; continue; }
                            closed = 1;
                            i++;
                            break;
                        }
                        nm_buf_putc(&val, p[i++]);
                    }
                    if (err < 0 && !closed) { err = NM_R_UNBALANCED_QUOTE; errat = s; }
                    if (err < 0 && i < n && p[i] != delim) { err = NM_R_UNBALANCED_QUOTE; errat = i - 1; }
                } else {
                    while (i < n && p[i] != delim) {
                        if (p[i] == 0) { err = NM_R_NUL_BYTE; errat = i; break; }
                        if (p[i] == '"') { err = NM_R_UNBALANCED_QUOTE; errat = i; break; }
                        nm_buf_putc(&val, p[i++]);
                    }
                }
                if (err >= 0) { nm_buf_free(&val); break; }
                for (size_t k = s; k < i; k++)
                    if ((unsigned char)p[k] >= 0x80) flags |= NM_CSV_HIGHBIT;
                if (nf < maxf) {
                    nm_buf_printf(&fb, "|f%uc%zul%zu:", flags, s + 1, val.len);
                    nm_buf_append(&fb, val.data ? val.data : "", val.len);
                }
                nf++;
                nm_buf_free(&val);
                if (i >= n) break;
                i++;   /* delimiter */
            }
            if (header) {
                header = 0;
            } else if (err >= 0) {
                nm_buf_printf(out, "L%llu E%d C%zu\n", (unsigned long long)line, err, errat + 1);
            } else {
                nm_buf_printf(out, "L%llu N%u", (unsigned long long)line, nf);
                nm_buf_append(out, fb.data ? fb.data : "", fb.len);
                nm_buf_putc(out, '\n');
            }
        }
        line++;
        pos = le + 1;
    }
    nm_buf_free(&fb);
    nm_buf_putc(out, 0);
}

/* Scan consumer that serialises rows per chunk and appends chunks in order. */
#define MAXCH 8
typedef struct collector {
    nm_buf chunk[MAXCH];
    nm_buf all;
    uint32_t maxf;
    int blocks, max_k, stop_at_line, stop_code;
} collector;

static int col_begin(void *u, int ch) {
    collector *c = u;
    cr_assert(ch >= 0 && ch < MAXCH);
    c->chunk[ch].len = 0;
    return 0;
}
static int col_row(void *u, int ch, const nm_csv_row *r) {
    collector *c = u;
    if (c->stop_at_line && r->line == (uint64_t)c->stop_at_line) return c->stop_code;
    put_row(&c->chunk[ch], r, c->maxf);
    return 0;
}
static int col_end(void *u, int k) {
    collector *c = u;
    for (int i = 0; i < k; i++) nm_buf_append(&c->all, c->chunk[i].data, c->chunk[i].len);
    c->blocks++;
    if (k > c->max_k) c->max_k = k;
    return 0;
}
static void col_free(collector *c) {
    for (int i = 0; i < MAXCH; i++) nm_buf_free(&c->chunk[i]);
    nm_buf_free(&c->all);
}

static int scan_all(nm_csv *csv, collector *col, uint32_t maxf, int max_chunks, int chunks_per_thread) {
    memset(col, 0, sizeof *col);
    col->maxf = maxf;
    nm_csv_consumer cons = {col, col_begin, col_row, col_end, max_chunks, chunks_per_thread, NULL};
    nm_err err;
    int rc = nm_csv_scan(csv, &cons, &err);
    nm_buf_putc(&col->all, 0);
    return rc;
}

/* Rows of a document through one path: mode 0 memory + scan, 1 file + scan,
 * 2 zstd file + scan, 3 memory + nm_csv_next, 4 zstd + nm_csv_next.
 * Returns a malloc'ed string (or NULL if open failed, *rc set). */
static char *rows_via(const char *doc, size_t len, int mode, const nm_csv_opts *o, int *rc_out) {
    nm_csv *c = NULL;
    nm_err err;
    int rc;
    char path[512];
    uint32_t maxf = o && o->max_fields ? o->max_fields : 1024;
    if (mode == 0 || mode == 3) {
        rc = nm_csv_open_memory(doc, len, "doc.csv", o, &c, &err);
    } else {
        /* Each write is fsync'ed (nm_writer): write a document once per kind. */
        static uint64_t written[2];
        int kind = mode != 1;
        uint64_t h = nm_hash64(doc, len, len) | 1;
        tmp_path(path, sizeof path, kind ? "doc.csv.zst" : "doc.csv");
        if (written[kind] != h) {
            write_file(path, doc, len);
            written[kind] = h;
        }
        rc = nm_csv_open(path, o, &c, &err);
    }
    if (rc_out) *rc_out = rc;
    if (rc) return NULL;
    char *res;
    if (mode <= 2) {
        collector col;
        /* the file path also hands several chunks to each thread */
        cr_assert_eq(scan_all(c, &col, maxf, MAXCH, mode == 1 ? 3 : 0), 0);
        res = strdup(col.all.data);
        col_free(&col);
    } else {
        nm_buf b = {0};
        nm_csv_row r;
        while ((rc = nm_csv_next(c, &r, &err)) == 1) put_row(&b, &r, maxf);
        cr_assert_eq(rc, 0);
        nm_buf_putc(&b, 0);
        res = strdup(b.data);
        nm_buf_free(&b);
    }
    if (mode == 2 || mode == 4) cr_assert_eq(nm_csv_bytes_read(c), len);
    nm_csv_close(c);
    return res;
}

/* Compare serialised rows; on a mismatch report the first differing line. */
static void assert_same_rows(const char *got, const char *want, const char *what, int a, int b) {
    if (!strcmp(got, want)) return;
    size_t i = 0, ls = 0;
    while (got[i] && got[i] == want[i]) {
        if (got[i] == '\n') ls = i + 1;
        i++;
    }
    const char *ge = strchr(got + ls, '\n'), *we = strchr(want + ls, '\n');
    int gl = ge ? (int)(ge - got - ls) : (int)strlen(got + ls);
    int wl = we ? (int)(we - want - ls) : (int)strlen(want + ls);
    cr_assert_fail("%s %d/%d: rows differ at byte %zu\n got: %.*s\nwant: %.*s", what, a, b, i, gl > 200 ? 200 : gl,
                   got + ls, wl > 200 ? 200 : wl, want + ls);
}

static char *ref_rows(const char *doc, size_t len, uint32_t maxf) {
    nm_buf b = {0};
    ref_parse(doc, len, ',', maxf, &b);
    return b.data;
}

/* ---- fixed cases ------------------------------------------------------- */

Test(csv, header_and_column_lookup) {
    const char *doc = "NPI,\"Provider Name\", Last \t,a,A,\"x\"\"y\"\n1,2,3,4,5,6\n";
    nm_csv *c = open_mem(doc, strlen(doc), NULL);
    cr_assert_eq(nm_csv_ncols(c), 6);
    cr_assert_str_eq(nm_csv_colname(c, 0), "NPI");
    cr_assert_str_eq(nm_csv_colname(c, 1), "Provider Name");
    cr_assert_str_eq(nm_csv_colname(c, 2), "Last");
    cr_assert_str_eq(nm_csv_colname(c, 5), "x\"y");
    cr_assert_null(nm_csv_colname(c, 6));
    cr_assert_eq(nm_csv_find_column(c, "provider name"), 1);   /* case-insensitive fallback */
    cr_assert_eq(nm_csv_find_column(c, "A"), 4);               /* exact match wins */
    cr_assert_eq(nm_csv_find_column(c, "a"), 3);
    cr_assert_eq(nm_csv_find_column(c, "Zip"), -1);
    cr_assert_str_eq(nm_csv_path(c), "<memory>");
    nm_csv_close(c);
}

Test(csv, quoting_escapes_and_empty_fields) {
    const char *doc = "h\n\"a,b\",\"c\"\"d\",e,,\"\",\n";
    nm_csv *c = open_mem(doc, strlen(doc), NULL);
    nm_err err;
    nm_csv_row r;
    cr_assert_eq(nm_csv_next(c, &r, &err), 1);
    cr_assert_eq(r.line, 2);
    cr_assert_eq(r.error, NM_R_COUNT);
    cr_assert_eq(r.nfields, 6);
    char v[64];
    cr_assert_eq(nm_csv_unescape(&r.f[0], v, sizeof v), 3);
    cr_assert_str_eq(v, "a,b");
    cr_assert_eq(r.f[0].flags, NM_CSV_QUOTED);
    cr_assert_eq(r.f[0].col, 1);
    cr_assert_eq(r.f[1].flags, NM_CSV_QUOTED | NM_CSV_ESCAPED);
    cr_assert_eq(r.f[1].len, 4);   /* still escaped in place */
    cr_assert_eq(nm_csv_unescape(&r.f[1], v, sizeof v), 3);
    cr_assert_str_eq(v, "c\"d");
    cr_assert_eq(r.f[1].col, 7);
    cr_assert_eq(r.f[2].len, 1);
    cr_assert_eq(r.f[2].flags, 0);
    cr_assert_eq(r.f[3].len, 0);
    cr_assert_eq(r.f[4].len, 0);
    cr_assert_eq(r.f[4].flags, NM_CSV_QUOTED);
    cr_assert_eq(r.f[5].len, 0);   /* trailing empty field */
    cr_assert_eq(r.f[5].col, 20);
    cr_assert_eq(nm_csv_unescape(&r.f[1], v, 3), 2);   /* truncated, NUL-terminated */
    cr_assert_str_eq(v, "c\"");
    cr_assert_eq(nm_csv_next(c, &r, &err), 0);
    nm_csv_close(c);
}

Test(csv, crlf_bom_blank_lines_and_no_final_newline) {
    const char *doc = "\xEF\xBB\xBF\"id\",name\r\n\r\n1,\"x\"\r\n\n2,y\r\n\"3\",z";
    char *got = rows_via(doc, strlen(doc), 0, NULL, NULL);
    cr_assert_str_eq(got, "L3 N2|f0c1l1:1|f1c3l1:x\n"
                          "L5 N2|f0c1l1:2|f0c3l1:y\n"
                          "L6 N2|f1c1l1:3|f0c5l1:z\n");
    free(got);
    nm_csv *c = open_mem(doc, strlen(doc), NULL);
    cr_assert_str_eq(nm_csv_colname(c, 0), "id");   /* BOM skipped */
    nm_csv_close(c);
}

Test(csv, error_lines_columns_and_resumption) {
    static const char doc[] = "h1,h2\n"
                      "ok,1\n"              /* 2 */
                      "\"open,2\n"          /* 3: quote open at the LF, col 1 */
                      "ab\"c,1\n"           /* 4: quote inside unquoted field, col 3 */
                      "\"x\"y,2\n"          /* 5: bytes after the closing quote, col 3 */
                      "fine,3\n"            /* 6 */
                      "nu\0x,4\n"           /* 7: NUL at col 3 */
                      "\"a\",\"b\"\"\n"     /* 8: second field open at the end, col 5 */
                      "\"a\"\"\"\r\n"       /* 9: fine, a" */
                      "last,\"z";           /* 10: open at end of input, col 6 */
    size_t len = sizeof doc - 1;
    char *got = rows_via(doc, len, 0, NULL, NULL);
    char want[512];
    snprintf(want, sizeof want,
             "L2 N2|f0c1l2:ok|f0c4l1:1\n"
             "L3 E%d C1\nL4 E%d C3\nL5 E%d C3\n"
             "L6 N2|f0c1l4:fine|f0c6l1:3\n"
             "L7 E%d C3\nL8 E%d C5\n"
             "L9 N1|f3c1l2:a\"\n"
             "L10 E%d C6\n",
             NM_R_UNBALANCED_QUOTE, NM_R_UNBALANCED_QUOTE, NM_R_UNBALANCED_QUOTE, NM_R_NUL_BYTE,
             NM_R_UNBALANCED_QUOTE, NM_R_UNBALANCED_QUOTE);
    cr_assert_str_eq(got, want);
    char *ref = ref_rows(doc, len, 1024);
    cr_assert_str_eq(ref, want);
    free(ref);
    free(got);
}

Test(csv, empty_file_and_header_only) {
    nm_csv *c;
    nm_err err;
    cr_assert_eq(nm_csv_open_memory("", 0, NULL, NULL, &c, &err), NM_E_FORMAT);
    cr_assert_eq(nm_csv_open_memory("\xEF\xBB\xBF\n\r\n", 6, NULL, NULL, &c, &err), NM_E_FORMAT);
    char path[512];
    tmp_path(path, sizeof path, "empty.csv");
    write_file(path, "", 0);
    cr_assert_eq(nm_csv_open(path, NULL, &c, &err), NM_E_FORMAT);
    cr_assert_not_null(strstr(err.msg, "empty.csv"));
    cr_assert_eq(nm_csv_open("/nonexistent/x.csv", NULL, &c, &err), NM_E_NOTFOUND);
    cr_assert_eq(nm_csv_open_memory("a,\"b\n1,2\n", 9, NULL, NULL, &c, &err), NM_E_FORMAT);
    cr_assert_not_null(strstr(err.msg, ":1:3:"), "%s", err.msg);
    nm_csv_opts o = {.delim = '"'};
    cr_assert_eq(nm_csv_open_memory("a\n", 2, NULL, &o, &c, &err), NM_E_ARG);
    nm_csv_opts huge = {.max_fields = UINT32_MAX};
    cr_assert_eq(nm_csv_open_memory("a\n", 2, NULL, &huge, &c, &err), NM_E_ARG);

    cr_assert_eq(nm_csv_open_memory("a,b", 3, NULL, NULL, &c, &err), 0);
    cr_assert_eq(nm_csv_ncols(c), 2);
    collector col;
    cr_assert_eq(scan_all(c, &col, 1024, 2, 0), 0);
    cr_assert_str_eq(col.all.data, "");
    col_free(&col);
    nm_csv_close(c);
}

Test(csv, stdin_is_streamed) {
    static const char doc[] = "a,b\n1,\"x\"\r\n\n\"2\",y";
    char path[512];
    tmp_path(path, sizeof path, "stdin.csv");
    write_file(path, doc, sizeof doc - 1);
    cr_assert_not_null(freopen(path, "rb", stdin));
    nm_csv_opts o = {.block_size = 5};
    nm_csv *c;
    nm_err err;
    cr_assert_eq(nm_csv_open("-", &o, &c, &err), 0, "%s", err.msg);
    cr_assert_str_eq(nm_csv_path(c), "<stdin>");
    collector col;
    cr_assert_eq(scan_all(c, &col, 1024, 2, 0), 0);
    cr_assert_str_eq(col.all.data, "L2 N2|f0c1l1:1|f1c3l1:x\nL4 N2|f1c1l1:2|f0c5l1:y\n");
    col_free(&col);
    nm_csv_close(c);
}

Test(csv, max_fields_counts_but_does_not_store) {
    nm_csv_opts o = {.max_fields = 2};
    const char *doc = "a,b,c,d,e\n1,2,3,4,5\n";
    char *got = rows_via(doc, strlen(doc), 0, &o, NULL);
    cr_assert_str_eq(got, "L2 N5|f0c1l1:1|f0c3l1:2\n");
    free(got);
    got = rows_via(doc, strlen(doc), 3, &o, NULL);
    cr_assert_str_eq(got, "L2 N5|f0c1l1:1|f0c3l1:2\n");
    free(got);
}

Test(csv, other_delimiter_and_highbit_flag) {
    nm_csv_opts o = {.delim = '|'};
    const char *doc = "a|b\nJos\xE9|\"x,y\"\n";
    char *got = rows_via(doc, strlen(doc), 0, &o, NULL);
    cr_assert_str_eq(got, "L2 N2|f4c1l4:Jos\xE9|f1c6l3:x,y\n");
    free(got);
}

Test(csv, consumer_stop_code_is_returned) {
    const char *doc = "h\n1\n2\n3\n";
    nm_csv *c = open_mem(doc, strlen(doc), NULL);
    nm_err err;
    collector col;
    memset(&col, 0, sizeof col);
    col.maxf = 8;
    col.stop_at_line = 3;
    col.stop_code = 7;
    nm_csv_consumer cons = {&col, col_begin, col_row, col_end, 1, 0, NULL};
    cr_assert_eq(nm_csv_scan(c, &cons, &err), 7);
    col_free(&col);
    nm_csv_close(c);
}

/* ---- random documents -------------------------------------------------- */

static uint64_t rng_state = 0x9E3779B97F4A7C15ULL;
static uint64_t rnd(void) {   /* splitmix64 */
    uint64_t z = (rng_state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

static void rand_text(nm_buf *b, int quoted, int maxlen) {
    static const char alpha[] = "ABCDEFGHIJ abcxyz0123456789.-";
    int n = (int)(rnd() % (uint64_t)(maxlen + 1));
    for (int i = 0; i < n; i++) {
        unsigned r = (unsigned)(rnd() % 100);
        if (quoted && r < 4) nm_buf_append(b, "\"\"", 2);
        else if (quoted && r < 8) nm_buf_putc(b, ',');
        else if (r < 10) nm_buf_putc(b, (char)(0x80 + rnd() % 128));
        else nm_buf_putc(b, alpha[rnd() % (sizeof alpha - 1)]);
    }
}

/* A document mixing the shapes the reader meets: NPPES-style all-quoted
 * rows, CRM-style unquoted and escaped fields, CRLF, blank lines, long
 * fields spanning 64-byte windows, and a few bad rows of every kind. */
static char *rand_doc(size_t *len, int rows, int bad_pct) {
    nm_buf b = {0};
    nm_buf_append(&b, "\"NPI\",\"Name\",\"City\"\n", 20);
    for (int r = 0; r < rows; r++) {
        int nf = 1 + (int)(rnd() % 12);
        int crlf = rnd() % 4 == 0;
        if (rnd() % 20 == 0) nm_buf_append(&b, crlf ? "\r\n" : "\n", crlf ? 2 : 1);
        for (int f = 0; f < nf; f++) {
            if (f) nm_buf_putc(&b, ',');
            unsigned k = (unsigned)(rnd() % 10);
            int maxlen = rnd() % 30 == 0 ? 300 : 12;
            if (k < 4) nm_buf_append(&b, "\"\"", 2);
            else if (k < 7) {
                nm_buf_putc(&b, '"');
                rand_text(&b, 1, maxlen);
                nm_buf_putc(&b, '"');
            } else if (k < 9) rand_text(&b, 0, maxlen);
        }
        if ((int)(rnd() % 100) < bad_pct) {
            switch (rnd() % 5) {
            case 0: nm_buf_append(&b, ",\"open", 6); break;
            case 1: nm_buf_append(&b, ",ab\"c", 5); break;
            case 2: nm_buf_append(&b, ",\"x\"y", 5); break;
            case 3: nm_buf_append(&b, ",a\0b", 4); break;
            default: nm_buf_append(&b, "\"", 1); break;
            }
        }
        nm_buf_append(&b, crlf ? "\r\n" : "\n", crlf ? 2 : 1);
    }
    if (rnd() % 2 && b.len > 30) b.len--;   /* sometimes no final LF (or a lone CR) */
    *len = b.len;
    return b.data;
}

Test(csv, random_documents_match_reference_on_every_path) {
    rng_state = 12345;
    nm_csv_opts big = {.threads = 1};
    nm_csv_opts tiny2 = {.threads = 2, .block_size = 100};
    nm_csv_opts mid2 = {.threads = 2, .block_size = 1000};
    nm_csv_opts tiny1 = {.threads = 1, .block_size = 100};
    for (int d = 0; d < 40; d++) {
        size_t len;
        char *doc = rand_doc(&len, 1 + (int)(rnd() % 60), 10);
        char *ref = ref_rows(doc, len, 1024);
        /* (mode, options): the scan with every block/thread shape; the
         * sequential reader (threads play no part there); and, for one
         * document in four, the mapped and streamed file paths. */
        static const struct { int mode, opts, files; } runs[] = {
            {0, 0, 0}, {0, 1, 0}, {0, 2, 0}, {0, 3, 0}, {0, 4, 0}, {3, 0, 0}, {3, 3, 0},
            {1, 0, 1}, {1, 1, 1}, {2, 1, 1}, {2, 3, 1}, {4, 0, 1}, {4, 3, 1},
        };
        const nm_csv_opts *os[] = {&big, &tiny2, &mid2, &tiny1, NULL};
        for (size_t i = 0; i < sizeof runs / sizeof *runs; i++) {
            if (runs[i].files && d % 4) continue;
            int rc;
            char *got = rows_via(doc, len, runs[i].mode, os[runs[i].opts], &rc);
            cr_assert_eq(rc, 0, "doc %d run %zu", d, i);
            assert_same_rows(got, ref, "doc/run", d, (int)i);
            free(got);
        }
        free(ref);
        /* Fields beyond max_fields: counted, not stored (CR and irregular rows too). */
        nm_csv_opts cap3 = {.threads = 2, .block_size = 200, .max_fields = 3};
        ref = ref_rows(doc, len, 3);
        for (int mode = 0; mode < 4; mode += 3) {
            char *got = rows_via(doc, len, mode, &cap3, NULL);
            assert_same_rows(got, ref, "max_fields 3: doc/mode", d, mode);
            free(got);
        }
        free(ref);
        free(doc);
    }
}

/* Every tricky shape at every offset modulo 64, so quotes, CR and LF fall on
 * both sides of each window edge (the scanner carries state across it). */
Test(csv, tricky_rows_at_every_window_alignment) {
    static const char rows[] = "\"a\"\r\n\"x\"y,1\n\"\",\"\"\na,\"b\"\r\n\"ab\"\rc,2\n\"\"\"\",x\n\"q\r\",\"\"\r\n"
                               "\"\",\"open\r\n,\n\"\"\n\"\"\"\n\"a,b\r\nok\r\r\n\"z\"\r\r\n\"\",\"\",\"\"";
    for (int shift = 0; shift < 130; shift++) {
        nm_buf b = {0};
        nm_buf_append(&b, "h", 1);
        for (int i = 0; i < shift; i++) nm_buf_putc(&b, i % 7 ? 'h' : ',');
        nm_buf_putc(&b, '\n');
        for (int rep = 0; rep < 3; rep++) {
            nm_buf_append(&b, rows, sizeof rows - 1);
            nm_buf_putc(&b, '\n');
            for (int i = 0; i < rep * 17 + shift % 5; i++) nm_buf_putc(&b, i % 3 ? '"' : ',');
            nm_buf_putc(&b, '\n');
        }
        char *ref = ref_rows(b.data, b.len, 1024);
        nm_csv_opts one = {.threads = 1};   /* alignment, not threads, is the point here */
        for (int mode = 0; mode < 4; mode += 3) {
            char *got = rows_via(b.data, b.len, mode, &one, NULL);
            assert_same_rows(got, ref, "shift/mode", shift, mode);
            free(got);
        }
        free(ref);
        nm_buf_free(&b);
    }
}

/* One odd field alone in long regular rows, at every offset: nothing else
 * in its window or the next marks the row, so the scanner's own checks
 * (including the one carried from bit 63 to the next window) must. */
Test(csv, lone_odd_field_at_every_offset) {
    static const char *odd[] = {"\"x\"y", "a\"b", "\"x\"\r", "\"\"\"\"", "\"a\"\"b\"", "\"q", "\"\"z", "\"\"", "\"\"\"",
                                "\xE9", "\"a\rb\""};
    nm_csv_opts one = {.threads = 1};
    for (size_t k = 0; k < sizeof odd / sizeof *odd; k++) {
        for (int shift = 0; shift < 140; shift++) {
            nm_buf b = {0};
            nm_buf_append(&b, "\"h\"\n", 4);
            for (int r = 0; r < 3; r++) {
                /* a regular quoted field of shift bytes moves the odd one along */
                nm_buf_putc(&b, '"');
                for (int i = 0; i < (r == 1 ? shift : 130); i++) nm_buf_putc(&b, "ab,c"[i % 4]);
                nm_buf_append(&b, "\",", 2);
                if (r == 1) nm_buf_append(&b, odd[k], strlen(odd[k]));
                nm_buf_append(&b, ",\"tail\",\"\"\r\n", 12);
            }
            char *ref = ref_rows(b.data, b.len, 1024);
            char *got = rows_via(b.data, b.len, 0, &one, NULL);
            assert_same_rows(got, ref, "odd/shift", (int)k, shift);
            free(got);
            free(ref);
            nm_buf_free(&b);
        }
    }
}

Test(csv, threads_and_blocks_split_into_chunks) {
    rng_state = 777;
    size_t len;
    char *doc = rand_doc(&len, 3000, 2);
    char *ref = ref_rows(doc, len, 1024);
    nm_csv_opts o = {.threads = 2, .block_size = 4096};
    nm_csv *c = open_mem(doc, len, &o);
    collector col;
    cr_assert_eq(scan_all(c, &col, 1024, MAXCH, 0), 0);
    assert_same_rows(col.all.data, ref, "chunked", 0, 0);
    cr_assert_gt(col.blocks, 10);
    cr_assert_eq(col.max_k, 2);   /* two threads: two chunks per block */
    cr_assert_eq(nm_csv_bytes_read(c), len);
    col_free(&col);
    nm_csv_close(c);
    /* three chunks per thread: six per block, same rows in the same order */
    c = open_mem(doc, len, &o);
    cr_assert_eq(scan_all(c, &col, 1024, MAXCH, 3), 0);
    assert_same_rows(col.all.data, ref, "chunked x3", 0, 0);
    cr_assert_eq(col.max_k, 6);
    col_free(&col);
    nm_csv_close(c);
    free(ref);
    free(doc);
}

/* Chunk-relative line numbers (consumer first_line): each row's line plus
 * its chunk's first line is the row's file line, as nm_csv_next gives it. */
typedef struct rel_collector {
    uint64_t rel[MAXCH][4096];
    uint32_t n[MAXCH];
    uint64_t first[MAXCH];
    NM_VEC(uint64_t) lines;
} rel_collector;

static int rel_begin(void *u, int ch) {
    ((rel_collector *)u)->n[ch] = 0;
    return 0;
}
static int rel_row(void *u, int ch, const nm_csv_row *r) {
    rel_collector *c = u;
    cr_assert_lt(c->n[ch], 4096);
    c->rel[ch][c->n[ch]++] = r->line;
    return 0;
}
static int rel_end(void *u, int k) {
    rel_collector *c = u;
    for (int i = 0; i < k; i++)
        for (uint32_t j = 0; j < c->n[i]; j++) cr_assert_eq(NM_VEC_PUSH(&c->lines, c->first[i] + c->rel[i][j]), 0);
    return 0;
}

Test(csv, chunk_relative_line_numbers) {
    rng_state = 4242;
    size_t len;
    char *doc = rand_doc(&len, 3000, 2);
    nm_csv_opts o = {.threads = 2, .block_size = 4096};
    nm_csv *c = open_mem(doc, len, &o);
    static rel_collector col;
    memset(&col, 0, sizeof col);
    nm_csv_consumer cons = {&col, rel_begin, rel_row, rel_end, MAXCH, 3, col.first};
    nm_err err;
    cr_assert_eq(nm_csv_scan(c, &cons, &err), 0);
    nm_csv_close(c);
    c = open_mem(doc, len, &o);
    nm_csv_row r;
    size_t i = 0;
    int rc;
    while ((rc = nm_csv_next(c, &r, &err)) == 1) {
        cr_assert_lt(i, col.lines.n);
        cr_assert_eq(col.lines.v[i], r.line, "row %zu", i);
        i++;
    }
    cr_assert_eq(rc, 0);
    cr_assert_eq(i, col.lines.n);
    cr_assert_gt(i, 1000);
    nm_csv_close(c);
    NM_VEC_FREE(&col.lines);
    free(doc);
}

Test(csv, every_simd_level_parses_identically) {
    rng_state = 99;
    nm_simd_level best = nm_simd_detect();
    for (int d = 0; d < 30; d++) {
        size_t len;
        char *doc = rand_doc(&len, 1 + (int)(rnd() % 80), 8);
        char *ref = ref_rows(doc, len, 1024);
        for (int lvl = 0; lvl <= (int)best; lvl++) {
            cr_assert_eq(nm_simd_force((nm_simd_level)lvl), 0);
            nm_csv_opts o = {.threads = 2, .block_size = 300};
            char *got = rows_via(doc, len, 0, &o, NULL);
            assert_same_rows(got, ref, "doc/level", d, lvl);
            free(got);
        }
        free(ref);
        free(doc);
    }
    nm_simd_force(best);
}

Test(csv, simd_masks_identical_to_scalar) {
    rng_state = 4242;
    nm_simd_level best = nm_simd_detect();
    nm_csv_classify_ext_fn ref = nm_csv_classify_ext_for(NM_SIMD_SCALAR);
    nm_csv_classify_fn ref3 = nm_csv_classify_for(NM_SIMD_SCALAR);
    static const char biased[] = "\"\",\n\r\0\x80\xff\x7f\x01;|a";
    const char delims[] = {',', '|', ';', '\t', (char)0xFF, 0};
    char buf[64 + 1];
    for (int t = 0; t < 200000; t++) {
        int mode = t % 4;
        for (int i = 0; i < 64; i++) {
            if (mode == 0) buf[i] = (char)rnd();
            else if (mode == 1) buf[i] = biased[rnd() % (sizeof biased - 1)];
            else if (mode == 2) buf[i] = rnd() % 3 ? 'x' : biased[rnd() % (sizeof biased - 1)];
            else buf[i] = i == (int)(t % 64) ? '"' : ',';
        }
        char dl = delims[rnd() % (sizeof delims)];
        nm_csv_masks want, def = {0};
        ref(buf, dl, &want);
        for (int i = 0; i < 64; i++) {   /* the reference itself, against the definition */
            uint64_t b = 1ULL << i;
            def.quote |= buf[i] == '"' ? b : 0;
            def.delim |= buf[i] == dl ? b : 0;
            def.lf |= buf[i] == '\n' ? b : 0;
            def.cr |= buf[i] == '\r' ? b : 0;
            def.nul |= buf[i] == 0 ? b : 0;
            def.high |= (unsigned char)buf[i] >= 0x80 ? b : 0;
        }
        cr_assert_eq(memcmp(&def, &want, sizeof def), 0, "scalar reference, window %d", t);
        for (int lvl = 1; lvl <= (int)best; lvl++) {
            nm_csv_masks got;
            nm_csv_classify_ext_for(lvl)(buf, dl, &got);
            cr_assert_eq(memcmp(&got, &want, sizeof got), 0, "level %d window %d", lvl, t);
            uint64_t q, dm, l, q0, d0, l0;
            nm_csv_classify_for(lvl)(buf, dl, &q, &dm, &l);
            ref3(buf, dl, &q0, &d0, &l0);
            cr_assert(q == q0 && dm == d0 && l == l0 && q == want.quote && dm == want.delim && l == want.lf);
        }
    }
}

/* ---- transcoding ------------------------------------------------------- */

static void check_utf8(const char *in, size_t len, const char *want, int want_valid) {
    char out[64];
    int valid = -1;
    size_t n = nm_csv_to_utf8(in, len, out, sizeof out, &valid);
    cr_assert_eq(valid, want_valid, "input %s", want);
    cr_assert_eq(n, strlen(want), "input %s: %zu bytes", want, n);
    cr_assert_eq(memcmp(out, want, n + 1), 0);
}

Test(csv, utf8_passthrough_and_cp1252_fallback) {
    check_utf8("Jos\xC3\xA9", 5, "Jos\xC3\xA9", 1);
    check_utf8("\xF0\x9F\x98\x80!", 5, "\xF0\x9F\x98\x80!", 1);
    check_utf8("plain", 5, "plain", 1);
    check_utf8("Jos\xE9", 4, "Jos\xC3\xA9", 0);                                  /* Latin-1 e-acute */
    check_utf8("\x93hi\x94", 4, "\xE2\x80\x9Chi\xE2\x80\x9D", 0);              /* CP1252 curly quotes */
    check_utf8("\x80\x81\x9F", 3, "\xE2\x82\xAC\xC2\x81\xC5\xB8", 0);          /* euro, unassigned, Y-diaeresis */
    check_utf8("\xC3\xA9\xE9", 3, "\xC3\x83\xC2\xA9\xC3\xA9", 0);              /* one bad byte: whole field Latin-1 */
    check_utf8("\xC0\xAF", 2, "\xC3\x80\xC2\xAF", 0);                          /* overlong */
    check_utf8("\xED\xA0\x80", 3, "\xC3\xAD\xC2\xA0\xE2\x82\xAC", 0);          /* surrogate; 0x80 is the euro sign */
    check_utf8("\xF4\x90\x80\x80", 4, "\xC3\xB4\xC2\x90\xE2\x82\xAC\xE2\x82\xAC", 0);  /* above U+10FFFF */
    check_utf8("\xE2\x82", 2, "\xC3\xA2\xE2\x80\x9A", 0);                      /* truncated; 0x82 is U+201A */
    char small[4];
    int v;
    cr_assert_eq(nm_csv_to_utf8("\xE9\xE9\xE9", 3, small, sizeof small, &v), 2);   /* never splits a character */
    cr_assert_eq(nm_csv_to_utf8("\xC3\xA9\xC3\xA9", 4, small, sizeof small, &v), 2);
    cr_assert_eq(v, 1);
}
