/* CSV reader driver (see csv.h): input blocks, header, chunk splitting and
 * the OpenMP parallel scan, sequential reading, unescaping and transcoding.
 *
 * Input comes either whole in memory (a mapped plain file, or caller bytes),
 * parsed in place with no copy, or streamed (.zst, stdin) into a buffer that
 * keeps the partial last line of each block for the next one. Either way the
 * scanner is handed runs of whole lines ("blocks") of about opts.block_size
 * bytes, which are cut at LFs into up to max_chunks chunks; since rows never
 * span lines (csv_scan.h), chunks parse independently. */
#define _GNU_SOURCE   /* memrchr */
#include <omp.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "common/arena.h"
#include "common/error_internal.h"
#include "common/io.h"
#include "ingest/csv.h"
#include "ingest/csv_scan.h"
#include "npimatch/simd.h"

#define NM_CSV_DEFAULT_BLOCK ((size_t)64 << 20)
#define NM_CSV_DEFAULT_MAX_FIELDS 1024u
#define NM_CSV_MAX_FIELDS_LIMIT (1u << 20)

struct nm_csv {
    char *path;                 /* for messages */
    nm_reader *rd;              /* NULL for memory input */
    nm_csv_opts o;
    nm_csv_scan_fn scan;
    nm_csv_count_fn count;
    int streaming;
    const char *data;           /* whole input (mapped or borrowed) when !streaming */
    size_t len;
    char *buf;                  /* streamed input: buf[pos, end) not handed out yet */
    size_t cap, end;
    size_t pos;                 /* next byte to hand out (in data or buf) */
    int eof;
    int at_start;               /* BOM not checked yet */
    uint64_t line;              /* line number of the next byte handed out */
    uint64_t consumed;          /* input bytes handed out (BOM included) */
    nm_arena names_arena;
    char **names;
    uint32_t ncols;
    nm_csv_field *seq_fields;   /* nm_csv_next state */
    nm_csv_row seq_row;
    int seq_got;
};

/* ---- blocks of whole lines -------------------------------------------- */

/* Length of the longest prefix of p[0, avail) that ends with an LF and is
 * at most `want` bytes, or if none, up to the first LF; 0 if no LF at all. */
static size_t find_cut(const char *p, size_t avail, size_t want) {
    size_t w = NM_MIN(want, avail);
    const char *lf = w ? memrchr(p, '\n', w) : NULL;
    if (lf) return (size_t)(lf - p) + 1;
    if (avail > w) {
        lf = memchr(p + w, '\n', avail - w);
        if (lf) return (size_t)(lf - p) + 1;
    }
    return 0;
}

static int has_bom(const char *p, size_t n) {
    return n >= 3 && (unsigned char)p[0] == 0xEF && (unsigned char)p[1] == 0xBB && (unsigned char)p[2] == 0xBF;
}

/* Hand out the next run of whole lines, about `want` bytes (a longer line
 * whole; the input's last line may lack its LF). *bn = 0 at the end. The
 * bytes stay valid until the next call. */
static int next_block(nm_csv *c, size_t want, const char **bp, size_t *bn, nm_err *err) {
    *bn = 0;
    if (!c->streaming) {
        if (c->at_start) {
            c->at_start = 0;
            if (has_bom(c->data, c->len)) c->pos = c->consumed = 3;
        }
        if (c->pos >= c->len) return 0;
        size_t avail = c->len - c->pos, k = find_cut(c->data + c->pos, avail, want);
        if (!k) k = avail;
        *bp = c->data + c->pos;
        *bn = k;
        c->pos += k;
        c->consumed += k;
        return 0;
    }
    for (;;) {
        size_t avail = c->end - c->pos;
        if (c->at_start && (avail >= 3 || c->eof)) {
            c->at_start = 0;
            if (has_bom(c->buf + c->pos, avail)) {
                c->pos += 3;
                c->consumed += 3;
                continue;
            }
        }
        if (!c->at_start && (avail >= want || c->eof)) {
            if (avail == 0) return 0;   /* eof */
            size_t k = find_cut(c->buf + c->pos, avail, want);
            if (!k && c->eof) k = avail;
            if (k) {
                *bp = c->buf + c->pos;
                *bn = k;
                c->pos += k;
                c->consumed += k;
                return 0;
            }
        }
        /* More input is needed. The blocks handed out before are no longer
         * in use, so their bytes can go; move the rest down only when the
         * buffer is full or half spent, so nm_csv_next stays linear. */
        if (c->pos && (c->end == c->cap || c->pos >= c->cap / 2)) {
            memmove(c->buf, c->buf + c->pos, c->end - c->pos);
            c->end -= c->pos;
            c->pos = 0;
        }
        if (c->end == c->cap) {   /* a line longer than the buffer: grow */
            size_t ncap = c->cap * 2;
            char *nb = realloc(c->buf, ncap);
            if (!nb) return nm_err_set(err, NM_E_NOMEM, "%s: out of memory (line too long)", c->path);
            c->buf = nb;
            c->cap = ncap;
        }
        ssize_t r = nm_reader_read(c->rd, c->buf + c->end, c->cap - c->end, err);
        if (r < 0) return (int)r;
        if (r == 0) c->eof = 1;
        c->end += (size_t)r;
    }
}

/* ---- header ----------------------------------------------------------- */

typedef struct header_ctx {
    nm_csv *c;
    int got;
    nm_csv_row row;
} header_ctx;

static int header_cb(void *ctx, const nm_csv_row *row) {
    header_ctx *h = ctx;
    h->got = 1;
    h->row = *row;
    return 1;   /* the first row is the header: stop there */
}

static int read_header(nm_csv *c, nm_err *err) {
    for (;;) {
        const char *bp;
        size_t bn;
        NM_TRY(next_block(c, 1, &bp, &bn, err));
        if (!bn) return nm_err_set(err, NM_E_FORMAT, "%s: empty file (no header row)", c->path);
        /* A row has at most one field per delimiter plus one. */
        size_t cap = nm_csv_count_scalar(bp, bn, c->o.delim) + 2;
        if (cap > UINT32_MAX) return nm_err_set(err, NM_E_FORMAT, "%s: header too wide", c->path);
        nm_csv_field *f = malloc(cap * sizeof *f);
        if (!f) return nm_err_set(err, NM_E_NOMEM, "%s: out of memory", c->path);
        header_ctx h = {c, 0, {0}};
        nm_csv_chunk ck = {bp, bn, c->line, c->o.delim, (uint32_t)cap - 1, f, header_cb, &h, 0};
        nm_csv_scan_chunk_scalar(&ck);
        c->line++;
        if (!h.got) {   /* blank line before the header */
            free(f);
            continue;
        }
        if (h.row.error != NM_R_COUNT) {
            free(f);
            return nm_err_set(err, NM_E_FORMAT, "%s:%llu:%u: %s in the header row", c->path,
                              (unsigned long long)h.row.line, h.row.error_col, nm_reason_text((nm_reason)h.row.error));
        }
        c->ncols = h.row.nfields;
        c->names = nm_arena_alloc(&c->names_arena, (size_t)c->ncols * sizeof *c->names + 1);
        if (!c->names) {
            free(f);
            return nm_err_set(err, NM_E_NOMEM, "%s: out of memory", c->path);
        }
        for (uint32_t i = 0; i < c->ncols; i++) {
            char *s = nm_arena_alloc(&c->names_arena, (size_t)f[i].len + 1);
            if (!s) {
                free(f);
                return nm_err_set(err, NM_E_NOMEM, "%s: out of memory", c->path);
            }
            size_t n = nm_csv_unescape(&f[i], s, (size_t)f[i].len + 1), b = 0;
            while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t')) s[--n] = 0;
            while (b < n && (s[b] == ' ' || s[b] == '\t')) b++;
            c->names[i] = s + b;
        }
        free(f);
        return NM_OK;
    }
}

/* ---- open / close ------------------------------------------------------ */

static int csv_new(const char *name, const nm_csv_opts *opts, nm_csv **out, nm_err *err) {
    nm_csv *c = calloc(1, sizeof *c);
    if (!c) return nm_err_set(err, NM_E_NOMEM, "out of memory");
    if (opts) c->o = *opts;
    if (!c->o.delim) c->o.delim = ',';
    if (c->o.delim == '"' || c->o.delim == '\n' || c->o.delim == '\r') {
        free(c);
        return nm_err_set(err, NM_E_ARG, "%s: the delimiter cannot be a quote or a line end", name);
    }
    if (c->o.max_fields > NM_CSV_MAX_FIELDS_LIMIT) {   /* per-chunk field arrays stay sane */
        free(c);
        return nm_err_set(err, NM_E_ARG, "%s: max_fields above %u", name, NM_CSV_MAX_FIELDS_LIMIT);
    }
    if (!c->o.block_size) c->o.block_size = NM_CSV_DEFAULT_BLOCK;
    if (!c->o.max_fields) c->o.max_fields = NM_CSV_DEFAULT_MAX_FIELDS;
    c->path = strdup(name);
    if (!c->path) {
        free(c);
        return nm_err_set(err, NM_E_NOMEM, "out of memory");
    }
    nm_simd_level lvl = nm_simd_active();
    c->scan = nm_csv_scan_for((int)lvl);
    c->count = nm_csv_count_for((int)lvl);
    c->at_start = 1;
    c->line = 1;
    nm_arena_init(&c->names_arena, 16384);
    *out = c;
    return NM_OK;
}

static int csv_finish_open(nm_csv *c, nm_csv **out, nm_err *err) {
    int rc = read_header(c, err);
    if (rc < 0) {
        nm_csv_close(c);
        return rc;
    }
    *out = c;
    return NM_OK;
}

int nm_csv_open(const char *path, const nm_csv_opts *opts, nm_csv **out, nm_err *err) {
    *out = NULL;
    nm_csv *c;
    NM_TRY(csv_new(path, opts, &c, err));
    int rc = nm_reader_open(path, &c->rd, err);
    if (rc < 0) {
        nm_csv_close(c);
        return rc;
    }
    free(c->path);
    c->path = strdup(nm_reader_path(c->rd));
    size_t len = 0;
    const char *m = nm_reader_map(c->rd, &len);
    if (m) {
        c->data = m;
        c->len = len;
    } else {
        c->streaming = 1;
        c->cap = NM_MAX(c->o.block_size, (size_t)4096);
        c->buf = malloc(c->cap);
    }
    if (!c->path || (c->streaming && !c->buf)) {
        nm_csv_close(c);
        return nm_err_set(err, NM_E_NOMEM, "out of memory");
    }
    return csv_finish_open(c, out, err);
}

int nm_csv_open_memory(const char *data, size_t len, const char *name, const nm_csv_opts *opts, nm_csv **out,
                       nm_err *err) {
    *out = NULL;
    nm_csv *c;
    NM_TRY(csv_new(name ? name : "<memory>", opts, &c, err));
    c->data = data;
    c->len = data ? len : 0;
    return csv_finish_open(c, out, err);
}

void nm_csv_close(nm_csv *c) {
    if (!c) return;
    nm_reader_close(c->rd);
    nm_arena_free(&c->names_arena);
    free(c->buf);
    free(c->seq_fields);
    free(c->path);
    free(c);
}

const char *nm_csv_path(const nm_csv *c) { return c->path; }
uint32_t nm_csv_ncols(const nm_csv *c) { return c->ncols; }
const char *nm_csv_colname(const nm_csv *c, uint32_t i) { return i < c->ncols ? c->names[i] : NULL; }
uint64_t nm_csv_bytes_read(const nm_csv *c) { return c->consumed; }

int nm_csv_find_name(const char *const *names, uint32_t n, const char *name) {
    for (uint32_t i = 0; i < n; i++)
        if (!strcmp(names[i], name)) return (int)i;
    for (uint32_t i = 0; i < n; i++)
        if (!strcasecmp(names[i], name)) return (int)i;
    return -1;
}

int nm_csv_find_column(const nm_csv *c, const char *name) {
    return nm_csv_find_name((const char *const *)c->names, c->ncols, name);
}

/* ---- parallel scan ----------------------------------------------------- */

typedef struct scan_ctx {
    const nm_csv_consumer *cons;
    int chunk;
} scan_ctx;

static int scan_row_cb(void *ctx, const nm_csv_row *row) {
    scan_ctx *s = ctx;
    return s->cons->row ? s->cons->row(s->cons->user, s->chunk, row) : 0;
}

/* Cut block [0, n) into at most kmax chunks of about equal size, each
 * ending just after an LF (or at n). Returns the count; bounds[0..k]. */
static int split_block(const char *p, size_t n, int kmax, size_t *bounds) {
    int k = 1;
    bounds[0] = 0;
    for (int i = 1; i < kmax; i++) {
        size_t t = (size_t)((unsigned __int128)n * (unsigned)i / (unsigned)kmax);
        if (t <= bounds[k - 1]) continue;
        const char *lf = memchr(p + t - 1, '\n', n - (t - 1));
        if (!lf) break;
        size_t cut = (size_t)(lf - p) + 1;
        if (cut >= n) break;
        if (cut <= bounds[k - 1]) continue;
        bounds[k++] = cut;
    }
    bounds[k] = n;
    return k;
}

int nm_csv_scan(nm_csv *c, const nm_csv_consumer *cons, nm_err *err) {
    int threads = c->o.threads > 0 ? c->o.threads : omp_get_max_threads();
    if (threads < 1) threads = 1;
    int kmax = NM_MAX(cons->max_chunks, 1);
    kmax = NM_MIN(kmax, threads * NM_MAX(cons->chunks_per_thread, 1));
    const uint32_t maxf = c->o.max_fields;
    nm_csv_field *fields = malloc((size_t)kmax * (maxf + 1) * sizeof *fields);
    nm_csv_chunk *ck = malloc((size_t)kmax * sizeof *ck);
    scan_ctx *sx = malloc((size_t)kmax * sizeof *sx);
    size_t *bounds = malloc((size_t)(kmax + 1) * sizeof *bounds);
    uint64_t *lfs = malloc((size_t)kmax * (size_t)kmax * sizeof *lfs);
    int *rcs = malloc((size_t)kmax * sizeof *rcs);
    int rc = NM_OK;
    if (!fields || !ck || !sx || !bounds || !lfs || !rcs) {
        rc = nm_err_set(err, NM_E_NOMEM, "%s: out of memory", c->path);
        goto out;
    }
    const nm_csv_scan_fn scan = c->scan;
    const nm_csv_count_fn count = c->count;
    for (;;) {
        const char *bp;
        size_t bn;
        rc = next_block(c, c->o.block_size, &bp, &bn, err);
        if (rc < 0 || bn == 0) break;
        int k = split_block(bp, bn, kmax, bounds);
        /* Exact line numbers: each chunk starts after the LFs of those before.
         * Chunks 0..k-2 are counted in k pieces each, so all k threads share
         * the count (a count runs at memory speed, several times the scan). */
        const int nth = NM_MIN(k, threads);
        const int rel = cons->first_line != NULL;   /* chunk-relative lines: nothing to count */
        if (k > 1 && !rel) {
            const int np = (k - 1) * k;
#pragma omp parallel for num_threads(nth) schedule(static)
            for (int j = 0; j < np; j++) {
                const int i = j / k, part = j % k;
                const size_t len = bounds[i + 1] - bounds[i];
                const size_t a = len * (size_t)part / (size_t)k, b = len * (size_t)(part + 1) / (size_t)k;
                lfs[j] = count(bp + bounds[i] + a, b - a, '\n');
            }
        }
        uint64_t ln = c->line;
        for (int i = 0; i < k; i++) {
            sx[i] = (scan_ctx){cons, i};
            ck[i] = (nm_csv_chunk){bp + bounds[i], bounds[i + 1] - bounds[i], rel ? 0 : ln, c->o.delim, maxf,
                                   fields + (size_t)i * (maxf + 1), scan_row_cb, &sx[i], 0};
            if (i < k - 1 && !rel)
                for (int part = 0; part < k; part++) ln += lfs[i * k + part];
        }
#pragma omp parallel for num_threads(nth) schedule(dynamic, 1) if (nth > 1)
        for (int i = 0; i < k; i++) {
            int r = cons->chunk_begin ? cons->chunk_begin(cons->user, i) : 0;
            if (!r) r = scan(&ck[i]);
            rcs[i] = r;
        }
        for (int i = 0; i < k; i++) {
            if (rcs[i]) {
                rc = rcs[i];
                if (rc < 0 && (!err || err->code == 0))
                    nm_err_set(err, rc, "%s: scan stopped by the consumer (%s)", c->path, nm_strerror(rc));
                goto out;
            }
            if (rel) cons->first_line[i] = c->line;
            c->line += ck[i].lines_out;
        }
        if (cons->block_end && (rc = cons->block_end(cons->user, k)) != 0) {
            if (rc < 0 && (!err || err->code == 0))
                nm_err_set(err, rc, "%s: scan stopped by the consumer (%s)", c->path, nm_strerror(rc));
            goto out;
        }
    }
out:
    free(fields);
    free(ck);
    free(sx);
    free(bounds);
    free(lfs);
    free(rcs);
    return rc;
}

/* ---- sequential reading ------------------------------------------------ */

static int seq_cb(void *ctx, const nm_csv_row *row) {
    nm_csv *c = ctx;
    c->seq_row = *row;
    c->seq_got = 1;
    return 0;
}

int nm_csv_next(nm_csv *c, nm_csv_row *row, nm_err *err) {
    if (!c->seq_fields) {
        c->seq_fields = malloc(((size_t)c->o.max_fields + 1) * sizeof *c->seq_fields);
        if (!c->seq_fields) return nm_err_set(err, NM_E_NOMEM, "%s: out of memory", c->path);
    }
    for (;;) {
        const char *bp;
        size_t bn;
        NM_TRY(next_block(c, 1, &bp, &bn, err));
        if (!bn) return 0;
        nm_csv_chunk ck = {bp, bn, c->line, c->o.delim, c->o.max_fields, c->seq_fields, seq_cb, c, 0};
        c->seq_got = 0;
        c->scan(&ck);
        c->line += ck.lines_out;
        if (c->seq_got) {   /* else an empty line: read on */
            *row = c->seq_row;
            return 1;
        }
    }
}

/* ---- field values ------------------------------------------------------ */

size_t nm_csv_unescape(const nm_csv_field *f, char *dst, size_t cap) {
    if (!cap) return 0;
    size_t o = 0;
    if (!(f->flags & NM_CSV_ESCAPED)) {
        o = NM_MIN((size_t)f->len, cap - 1);
        memcpy(dst, f->p, o);
    } else {
        for (uint32_t i = 0; i < f->len && o < cap - 1; i++) {
            dst[o++] = f->p[i];
            if (f->p[i] == '"' && i + 1 < f->len && f->p[i + 1] == '"') i++;   /* "" stands for " */
        }
    }
    dst[o] = 0;
    return o;
}

/* Windows-1252 0x80-0x9F (the WHATWG Encoding Standard index): the five
 * unassigned bytes map to the C1 controls of the same value, as Latin-1. */
static const uint16_t cp1252_80[32] = {
    0x20AC, 0x0081, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160,
    0x2039, 0x0152, 0x008D, 0x017D, 0x008F, 0x0090, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022,
    0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x009D, 0x017E, 0x0178};

/* Length of the well-formed UTF-8 sequence at s (Unicode 15, table 3-7:
 * no overlongs, no surrogates, nothing above U+10FFFF), or 0. */
static size_t utf8_seq(const unsigned char *s, size_t n) {
    unsigned char a = s[0];
    if (a < 0x80) return 1;
    if (a >= 0xC2 && a <= 0xDF) return n >= 2 && (s[1] & 0xC0) == 0x80 ? 2 : 0;
    if (a >= 0xE0 && a <= 0xEF) {
        if (n < 3 || (s[1] & 0xC0) != 0x80 || (s[2] & 0xC0) != 0x80) return 0;
        if (a == 0xE0 && s[1] < 0xA0) return 0;   /* overlong */
        if (a == 0xED && s[1] > 0x9F) return 0;   /* surrogate */
        return 3;
    }
    if (a >= 0xF0 && a <= 0xF4) {
        if (n < 4 || (s[1] & 0xC0) != 0x80 || (s[2] & 0xC0) != 0x80 || (s[3] & 0xC0) != 0x80) return 0;
        if (a == 0xF0 && s[1] < 0x90) return 0;   /* overlong */
        if (a == 0xF4 && s[1] > 0x8F) return 0;   /* > U+10FFFF */
        return 4;
    }
    return 0;
}

size_t nm_csv_to_utf8(const char *p, size_t len, char *dst, size_t cap, int *was_valid) {
    const unsigned char *s = (const unsigned char *)p;
    int valid = 1;
    for (size_t i = 0; i < len;) {
        size_t k = utf8_seq(s + i, len - i);
        if (!k) {
            valid = 0;
            break;
        }
        i += k;
    }
    if (was_valid) *was_valid = valid;
    if (!cap) return 0;
    size_t o = 0;
    if (valid) {
        o = NM_MIN(len, cap - 1);
        while (o > 0 && o < len && (s[o] & 0xC0) == 0x80) o--;   /* never cut a character */
        memcpy(dst, p, o);
        dst[o] = 0;
        return o;
    }
    /* Not UTF-8: the whole field is read as Windows-1252 (NPPES is Latin-1 in
     * practice, and CP1252 is its superset for printable bytes). */
    for (size_t i = 0; i < len; i++) {
        unsigned cp = s[i] >= 0x80 && s[i] < 0xA0 ? cp1252_80[s[i] - 0x80] : s[i];
        size_t need = cp < 0x80 ? 1 : cp < 0x800 ? 2 : 3;
        if (o + need + 1 > cap) break;
        if (need == 1) {
            dst[o++] = (char)cp;
        } else if (need == 2) {
            dst[o++] = (char)(0xC0 | (cp >> 6));
            dst[o++] = (char)(0x80 | (cp & 0x3F));
        } else {
            dst[o++] = (char)(0xE0 | (cp >> 12));
            dst[o++] = (char)(0x80 | ((cp >> 6) & 0x3F));
            dst[o++] = (char)(0x80 | (cp & 0x3F));
        }
    }
    dst[o] = 0;
    return o;
}
