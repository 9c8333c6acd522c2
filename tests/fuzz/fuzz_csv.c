/* Fuzz harness for the CSV reader: arbitrary bytes through nm_csv_open_memory,
 * the parallel scan (tiny blocks, two threads) and nm_csv_next, which must
 * agree row for row with each other and with the careful line parser
 * alone, at a SIMD level chosen from the input's hash; small
 * inputs also go through the streamed zstd path.
 * Every field is unescaped and transcoded. Aborts on any disagreement. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zstd.h>
#include "common/arena.h"
#include "common/hash.h"
#include "ingest/csv.h"
#include "ingest/csv_scan.h"
#include "npimatch/simd.h"

typedef struct sink {
    nm_buf chunk[4];
    nm_buf all;
} sink;

static void put_row(nm_buf *b, const nm_csv_row *r, uint32_t maxf) {
    nm_buf_printf(b, "%llu %d %u %u;", (unsigned long long)r->line, r->error, r->error_col, r->nfields);
    for (uint32_t i = 0; i < r->nfields && i < maxf; i++) {
        const nm_csv_field *f = &r->f[i];
        char *tmp = malloc((size_t)f->len * 3 + 1);
        size_t n = nm_csv_unescape(f, tmp, (size_t)f->len + 1);
        if (n > f->len) abort();
        int valid;
        char *u = malloc(n * 3 + 1);
        size_t un = nm_csv_to_utf8(tmp, n, u, n * 3 + 1, &valid);
        if (un > n * 3) abort();
        nm_buf_printf(b, "%u,%u,", f->col, f->flags);
        nm_buf_append(b, tmp, n);
        nm_buf_putc(b, '|');
        free(u);
        free(tmp);
    }
    nm_buf_putc(b, '\n');
}

static uint32_t g_maxf;
static int s_begin(void *u, int ch) {
    ((sink *)u)->chunk[ch].len = 0;
    return 0;
}
static int s_row(void *u, int ch, const nm_csv_row *r) {
    put_row(&((sink *)u)->chunk[ch], r, g_maxf);
    return 0;
}
static int s_end(void *u, int k) {
    sink *s = u;
    for (int i = 0; i < k; i++) nm_buf_append(&s->all, s->chunk[i].data, s->chunk[i].len);
    return 0;
}

/* Rows through the scan (mode 0) or nm_csv_next (mode 1); NULL if open fails. */
static char *rows(nm_csv *c, int mode, size_t *len) {
    nm_buf out = {0};
    nm_err err;
    if (mode == 0) {
        sink s;
        memset(&s, 0, sizeof s);
        nm_csv_consumer cons = {&s, s_begin, s_row, s_end, 4, 0, NULL};
        if (nm_csv_scan(c, &cons, &err)) abort();
        out = s.all;
        for (int i = 0; i < 4; i++) nm_buf_free(&s.chunk[i]);
    } else {
        nm_csv_row r;
        int rc;
        while ((rc = nm_csv_next(c, &r, &err)) == 1) put_row(&out, &r, g_maxf);
        if (rc) abort();
    }
    nm_buf_putc(&out, 0);
    *len = out.len;
    return out.data;
}

/* The careful line parser alone, line by line, as an independent check of
 * the bit-mask fast path (same rules as csv.h, no masks, no windows). */
static char *ref_rows(const char *d, size_t len, char delim, size_t *outlen) {
    nm_buf out = {0};
    nm_csv_field *f = malloc(((size_t)g_maxf + 1) * sizeof *f);
    size_t pos = len >= 3 && !memcmp(d, "\xEF\xBB\xBF", 3) ? 3 : 0;
    int header = 1;
    for (uint64_t line = 1; pos < len; line++) {
        const char *lf = memchr(d + pos, '\n', len - pos);
        size_t le = lf ? (size_t)(lf - d) : len, n = le - pos;
        if (n && d[le - 1] == '\r') n--;
        if (n) {
            nm_csv_row r = {line, 0, f, NM_R_COUNT, 0};
            size_t at = 0;
            r.error = nm_csv_parse_line(d + pos, n, delim, f, g_maxf, &r.nfields, &at);
            if (r.error != NM_R_COUNT) {
                r.nfields = 0;
                r.error_col = (uint32_t)at + 1;
            }
            if (!header) put_row(&out, &r, g_maxf);
            header = 0;
        }
        pos = le + 1;
    }
    free(f);
    nm_buf_putc(&out, 0);
    *outlen = out.len;
    return out.data;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    uint64_t h = nm_hash64(data, size, 0);
    nm_csv_opts o = {0};
    o.threads = 1 + (int)(h & 1);
    o.block_size = (h >> 1) & 1 ? 1 + ((h >> 8) % 200) : 0;
    o.max_fields = (h >> 2) & 1 ? 1 + (uint32_t)((h >> 16) % 8) : 0;
    o.delim = (h >> 3) & 1 ? '\t' : 0;
    g_maxf = o.max_fields ? o.max_fields : 1024;
    /* Every SIMD level the machine has (the kernel is picked at open). */
    nm_simd_force((nm_simd_level)((h >> 24) % ((uint64_t)nm_simd_detect() + 1)));

    nm_csv *a = NULL, *b = NULL;
    nm_err err;
    int ra = nm_csv_open_memory((const char *)data, size, "fuzz", &o, &a, &err);
    int rb = nm_csv_open_memory((const char *)data, size, "fuzz", &o, &b, &err);
    if (ra != rb) abort();
    if (ra) return 0;
    if (nm_csv_ncols(a) != nm_csv_ncols(b)) abort();
    for (uint32_t i = 0; i < nm_csv_ncols(a); i++) {
        const char *name = nm_csv_colname(a, i);
        int k = nm_csv_find_column(a, name);
        if (k < 0 || (uint32_t)k > i) abort();
    }
    size_t la, lb;
    char *sa = rows(a, 0, &la), *sb = rows(b, 1, &lb);
    if (la != lb || memcmp(sa, sb, la)) abort();
    size_t lr;
    char *sr = ref_rows((const char *)data, size, o.delim ? o.delim : ',', &lr);
    if (lr != la || memcmp(sr, sa, la)) abort();
    free(sr);
    if (nm_csv_bytes_read(a) != size) abort();
    nm_csv_close(a);
    nm_csv_close(b);
    /* And one block, one chunk: 64-byte windows at fixed file offsets, so
     * corpus files can pin a pattern to a window edge. */
    nm_csv_opts o1 = o;
    o1.threads = 1;
    o1.block_size = 0;
    if (nm_csv_open_memory((const char *)data, size, "fuzz", &o1, &a, &err)) abort();
    size_t l1;
    char *s1 = rows(a, 0, &l1);
    if (l1 != la || memcmp(s1, sa, la)) abort();
    free(s1);
    nm_csv_close(a);

    /* The streamed path (zstd file, carry-over between tiny blocks). */
    if (size < 4096) {
        size_t zcap = ZSTD_compressBound(size);
        void *z = malloc(zcap);
        size_t zn = ZSTD_compress(z, zcap, data, size, 1);
        char path[] = "/tmp/fuzz_csv_XXXXXX";
        int fd = mkstemp(path);
        if (fd >= 0 && !ZSTD_isError(zn) && write(fd, z, zn) == (ssize_t)zn) {
            nm_csv *c = NULL;
            if (nm_csv_open(path, &o, &c, &err)) abort();
            size_t lc;
            char *sc = rows(c, (int)(h >> 5) & 1, &lc);
            if (lc != la || memcmp(sc, sa, la)) abort();
            free(sc);
            nm_csv_close(c);
        }
        if (fd >= 0) {
            close(fd);
            unlink(path);
        }
        free(z);
    }
    free(sa);
    free(sb);
    return 0;
}
