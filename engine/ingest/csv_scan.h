/* The CSV line scanner shared by the scalar, AVX2 and AVX-512 builds.
 *
 * Each ISA file instantiates nm_csv_scan_template() with its own 64-byte
 * classifier (always inlined, so the masks stay in registers), in the manner
 * of simdjson's stage 1 / simdcsv: classify 64 bytes into bit masks, derive
 * the inside-quotes mask by prefix XOR of the quote mask, and walk the
 * structural bits (delimiters outside quotes, every LF) to cut fields.
 *
 * Rows never span lines (csv.h): every LF ends a row, and an LF met while a
 * quote is open marks the row NM_R_UNBALANCED_QUOTE and resets the quote
 * state, so the damage stays on one line. Because of that, chunks cut at any
 * LF parse independently and give the same rows as one sequential pass.
 *
 * Only static inline helpers live here (SIMD files include it). */
#ifndef NM_CSV_SCAN_H
#define NM_CSV_SCAN_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "common/error_internal.h"
#include "ingest/csv.h"

/* Row callback used by the driver (consumer rows, nm_csv_next, header). */
typedef int (*nm_csv_row_cb)(void *ctx, const nm_csv_row *row);

/* One run of whole lines. The last line may lack its LF only when it is the
 * end of the input; the scanner then ends it as if an LF followed. */
typedef struct nm_csv_chunk {
    const char *p;
    size_t n;
    uint64_t line;            /* line number of p[0] */
    char delim;
    uint32_t max_fields;      /* capacity of fields[] (>= 1) */
    nm_csv_field *fields;
    nm_csv_row_cb cb;
    void *ctx;
    uint64_t lines_out;       /* set by the scan: lines consumed (LFs, +1 for an unterminated last line) */
} nm_csv_chunk;

typedef int (*nm_csv_scan_fn)(nm_csv_chunk *ck);
typedef size_t (*nm_csv_count_fn)(const char *p, size_t n, char c);

/* Per-ISA entry points (csv_classify*.c). */
void nm_csv_classify_masks_scalar(const char *p, char delim, nm_csv_masks *m);
void nm_csv_classify_masks_avx2(const char *p, char delim, nm_csv_masks *m);
void nm_csv_classify_masks_avx512(const char *p, char delim, nm_csv_masks *m);
int nm_csv_scan_chunk_scalar(nm_csv_chunk *ck);
int nm_csv_scan_chunk_avx2(nm_csv_chunk *ck);
int nm_csv_scan_chunk_avx512(nm_csv_chunk *ck);
size_t nm_csv_count_scalar(const char *p, size_t n, char c);
size_t nm_csv_count_avx2(const char *p, size_t n, char c);
size_t nm_csv_count_avx512(const char *p, size_t n, char c);

/* Dispatch (csv_classify.c): the kernels for a level (clamped to what runs). */
nm_csv_scan_fn nm_csv_scan_for(int simd_level);
nm_csv_count_fn nm_csv_count_for(int simd_level);

/* Bit i of the result = XOR of bits 0..i of x: 1 inside a quoted run whose
 * opening quote is at or before i. Six shifts, identical on every ISA. */
static inline uint64_t nm_csv_prefix_xor(uint64_t x) {
    x ^= x << 1;
    x ^= x << 2;
    x ^= x << 4;
    x ^= x << 8;
    x ^= x << 16;
    x ^= x << 32;
    return x;
}

/* A field that is not the plain `"..."` or unquoted shape (rare: CRM
 * exports with "" escapes, or bad input). RFC 4180 section 2: a quoted field
 * is `"` (byte | `""`)* `"`; an unquoted field holds no quote. Returns 0
 * and sets *flags, or -1 (the row is bad; nm_csv_line_check says where). */
static inline int nm_csv_field_slow(const char *p, size_t s, size_t e, uint32_t *flags) {
    if (p[s] != '"') return -1;
    uint32_t fl = NM_CSV_QUOTED;
    for (size_t i = s + 1; i < e; i++) {
        if (p[i] != '"') continue;
        if (i + 1 < e && p[i + 1] == '"') {
            fl |= NM_CSV_ESCAPED;
            i++;
            continue;
        }
        if (i != e - 1) return -1;   /* closing quote followed by more bytes */
        *flags = fl;
        return 0;
    }
    return -1;
}

/* Where a bad line goes wrong: the same RFC 4180 rules read left to right
 * over one line (p[0, n), without its LF and a CR before it). Returns the
 * first problem, NM_R_UNBALANCED_QUOTE (a quote inside an unquoted field,
 * bytes after a closing quote, or a quote still open at the end: the
 * opening quote's offset) or NM_R_NUL_BYTE, with its offset in *at;
 * NM_R_COUNT if the line is fine. Only run on lines the masks flagged. */
static inline int nm_csv_line_check(const char *p, size_t n, char delim, size_t *at) {
    size_t i = 0;
    for (;;) {
        if (i < n && p[i] == '"') {
            size_t open = i++;
            for (;;) {
                if (i >= n) {
                    *at = open;
                    return NM_R_UNBALANCED_QUOTE;
                }
                if (p[i] == 0) {
                    *at = i;
                    return NM_R_NUL_BYTE;
                }
                if (p[i] == '"') {
                    if (i + 1 < n && p[i + 1] == '"') {
                        i += 2;
                        continue;
                    }
                    if (i + 1 == n) return NM_R_COUNT;
                    if (p[i + 1] != delim) {
                        *at = i;
                        return NM_R_UNBALANCED_QUOTE;
                    }
                    i += 2;
                    break;
                }
                i++;
            }
        } else {
            for (; i < n && p[i] != delim; i++) {
                if (p[i] == 0 || p[i] == '"') {
                    *at = i;
                    return p[i] ? NM_R_UNBALANCED_QUOTE : NM_R_NUL_BYTE;
                }
            }
            if (i >= n) return NM_R_COUNT;
            i++;
        }
    }
}

#define NM_CSV_ALWAYS_INLINE inline __attribute__((always_inline))

/* The scanner. `classify` is a compile-time constant in each instantiation,
 * so it is inlined. Returns 0 or the first nonzero callback result. */
static NM_CSV_ALWAYS_INLINE int nm_csv_scan_template(nm_csv_chunk *ck,
                                                     void (*classify)(const char *, char, nm_csv_masks *)) {
    const char *const p = ck->p;
    const size_t n = ck->n;
    const char delim = ck->delim;
    nm_csv_field *const F = ck->fields;
    const uint32_t maxf = ck->max_fields;
    uint64_t line = ck->line;
    ck->lines_out = 0;
    if (n == 0) return 0;
    const int virtual_lf = p[n - 1] != '\n';

    size_t line_start = 0, field_start = 0;
    uint32_t nf = 0;
    int bad = 0;                /* the current row broke a rule (nm_csv_line_check says where) */
    uint64_t qcarry = 0;        /* all ones when a quote is open at the window start */
    /* Running counts of quote / high / NUL bytes before the window, and at
     * the start of the current field (line for NUL): one popcount per field
     * tells whether it holds any, whatever windows it spans. */
    uint64_t qbase = 0, hbase = 0, zbase = 0, qstart = 0, hstart = 0, zstart = 0;
    char tail[64];

    for (size_t off = 0;; off += 64) {
        nm_csv_masks m;
        int last = 0;
        if (off + 64 <= n) {
            classify(p + off, delim, &m);
        } else {
            last = 1;
            size_t rem = n - off;
            if (rem == 0 && !virtual_lf) break;
            /* Pad with a byte of no class so the padding creates nothing. */
            memset(tail, 'x', sizeof tail);
            memcpy(tail, p + off, rem);
            if (virtual_lf) tail[rem] = '\n';
            classify(tail, delim, &m);
        }

        uint64_t inq = nm_csv_prefix_xor(m.quote) ^ qcarry;
        /* An LF inside quotes still ends the row (rows never span lines): the
         * row is bad, and the quote state restarts closed after that LF. */
        uint64_t badlf = 0, open_lf = m.lf & inq;
        while (open_lf) {
            uint64_t b = open_lf & (0 - open_lf);
            uint64_t above = ~(b | (b - 1));
            badlf |= b;
            inq ^= above;
            open_lf = m.lf & inq & above;
        }
        /* Open after bit 63, unless bit 63 is itself an LF that closed the row. */
        qcarry = 0 - ((inq & ~badlf) >> 63);
        uint64_t st = (m.delim & ~inq) | m.lf;

        while (st) {
            const unsigned bit = (unsigned)__builtin_ctzll(st);
            const uint64_t below = (1ULL << bit) - 1;
            const size_t pos = off + bit;
            const uint64_t qnow = qbase + (uint64_t)__builtin_popcountll(m.quote & below);
            const uint64_t hnow = hbase + (uint64_t)__builtin_popcountll(m.high & below);
            const int is_lf = (int)((m.lf >> bit) & 1);
            if (!bad && !((badlf >> bit) & 1)) {
                size_t s = field_start, e = pos;
                if (is_lf && e > s && p[e - 1] == '\r') e--;
                uint64_t nq = qnow - qstart;
                nm_csv_field fl;
                fl.col = (uint32_t)(s - line_start + 1);
                fl.flags = (hnow != hstart) ? NM_CSV_HIGHBIT : 0;
                if (NM_LIKELY(nq == 2 && e - s >= 2 && p[s] == '"' && p[e - 1] == '"')) {
                    fl.p = p + s + 1;
                    fl.len = (uint32_t)(e - s - 2);
                    fl.flags |= NM_CSV_QUOTED;
                    if (nf < maxf) F[nf] = fl;
                    nf++;
                } else if (nq == 0) {
                    fl.p = p + s;
                    fl.len = (uint32_t)(e - s);
                    if (nf < maxf) F[nf] = fl;
                    nf++;
                } else {
                    uint32_t xf = 0;
                    if (nm_csv_field_slow(p, s, e, &xf) == 0) {
                        fl.p = p + s + 1;
                        fl.len = (uint32_t)(e - s - 2);
                        fl.flags |= xf;
                        if (nf < maxf) F[nf] = fl;
                        nf++;
                    } else {
                        bad = 1;
                    }
                }
            }
            if (is_lf) {
                size_t lend = pos;
                if (lend > line_start && p[lend - 1] == '\r') lend--;
                if (lend > line_start) {   /* empty lines are not rows */
                    uint64_t znow = zbase + (uint64_t)__builtin_popcountll(m.nul & below);
                    nm_csv_row row;
                    row.line = line;
                    row.f = F;
                    row.error = NM_R_COUNT;
                    row.nfields = nf;
                    row.error_col = 0;
                    if (NM_UNLIKELY(bad || ((badlf >> bit) & 1) || znow != zstart)) {
                        size_t at = 0;
                        int r = nm_csv_line_check(p + line_start, lend - line_start, delim, &at);
                        row.error = r == NM_R_COUNT ? NM_R_UNBALANCED_QUOTE : r;   /* COUNT: cannot happen */
                        row.error_col = (uint32_t)(at + 1);
                        row.nfields = 0;
                    }
                    int rc = ck->cb(ck->ctx, &row);
                    if (rc) {
                        ck->lines_out = line - ck->line + 1;
                        return rc;
                    }
                }
                line++;
                nf = 0;
                bad = 0;
                line_start = pos + 1;
                zstart = zbase + (uint64_t)__builtin_popcountll(m.nul & below);
            }
            field_start = pos + 1;
            qstart = qnow;
            hstart = hnow;
            st &= st - 1;
        }
        qbase += (uint64_t)__builtin_popcountll(m.quote);
        hbase += (uint64_t)__builtin_popcountll(m.high);
        zbase += (uint64_t)__builtin_popcountll(m.nul);
        if (last) break;
    }
    ck->lines_out = line - ck->line;
    return 0;
}

#endif
