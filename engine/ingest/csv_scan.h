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
    uint32_t max_fields;      /* fields stored per row (>= 1); fields[] has max_fields + 1 slots */
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

/* The careful parser for one line (p[0, n), without its LF and the CR
 * before it), byte by byte, used for every row the fast path flags as
 * irregular. RFC 4180 section 2: a quoted field is `"` (byte | `""`)* `"`
 * followed by a delimiter or the end of the line; an unquoted field holds no
 * quote. Fills F[0..maxf) (F has maxf + 1 slots) and *nf, and returns
 * NM_R_COUNT; or returns the first problem, NM_R_UNBALANCED_QUOTE (a quote
 * inside an unquoted field, bytes after a closing quote, or a quote still
 * open at the end: the opening quote's offset) or NM_R_NUL_BYTE, with its
 * offset in *at. */
static inline int nm_csv_parse_line(const char *p, size_t n, char delim, nm_csv_field *F, uint32_t maxf,
                                    uint32_t *nf_out, size_t *at) {
    size_t i = 0;
    uint32_t nf = 0;
    for (;;) {
        nm_csv_field f;
        uint32_t fl = 0;
        size_t s = i;
        if (i < n && p[i] == '"') {
            fl = NM_CSV_QUOTED;
            for (i++;; i++) {
                if (i >= n) {
                    *at = s;
                    return NM_R_UNBALANCED_QUOTE;
                }
                unsigned char ch = (unsigned char)p[i];
                if (ch == 0) {
                    *at = i;
                    return NM_R_NUL_BYTE;
                }
                fl |= ch >= 0x80 ? NM_CSV_HIGHBIT : 0;
                if (ch != '"') continue;
                if (i + 1 < n && p[i + 1] == '"') {
                    fl |= NM_CSV_ESCAPED;
                    i++;
                    continue;
                }
                break;
            }
            f.p = p + s + 1;
            f.len = (uint32_t)(i - s - 1);
            i++;   /* past the closing quote */
            if (i < n && p[i] != delim) {
                *at = i - 1;
                return NM_R_UNBALANCED_QUOTE;
            }
        } else {
            for (; i < n && p[i] != delim; i++) {
                unsigned char ch = (unsigned char)p[i];
                if (ch == 0 || ch == '"') {
                    *at = i;
                    return ch ? NM_R_UNBALANCED_QUOTE : NM_R_NUL_BYTE;
                }
                fl |= ch >= 0x80 ? NM_CSV_HIGHBIT : 0;
            }
            f.p = p + s;
            f.len = (uint32_t)(i - s);
        }
        f.col = (uint32_t)(s + 1);
        f.flags = fl;
        F[nf < maxf ? nf : maxf] = f;
        nf++;
        if (i >= n) break;
        i++;   /* the delimiter */
    }
    *nf_out = nf;
    return NM_R_COUNT;
}

#define NM_CSV_ALWAYS_INLINE inline __attribute__((always_inline))

/* The scanner. `classify` is a compile-time constant in each instantiation,
 * so it is inlined. Returns 0 or the first nonzero callback result.
 *
 * Fast path: in a regular window every quote either opens a field (it
 * follows a structural byte) or closes one (a structural byte, or CR LF,
 * follows it); since the quotes of a field between structural bytes are
 * even in number, each field is then plain `"..."` or unquoted, and a field
 * is cut with a handful of operations: no byte is read. A window holding
 * anything else (other quotes, NUL, bytes >= 0x80, an LF inside quotes)
 * marks the rows it touches irregular, and those lines are parsed again by
 * nm_csv_parse_line, which gives the exact fields, flags or error. */
static NM_CSV_ALWAYS_INLINE int nm_csv_scan_template(nm_csv_chunk *ck,
                                                     void (*classify)(const char *, char, nm_csv_masks *)) {
    const char *const p = ck->p;
    const size_t n = ck->n;
    const char delim = ck->delim;
    nm_csv_field *const F = ck->fields;
    nm_csv_field *const fend = F + ck->max_fields;   /* the spare slot absorbs fields beyond the cap */
    uint64_t line = ck->line;
    ck->lines_out = 0;
    if (n == 0) return 0;
    const int virtual_lf = p[n - 1] != '\n';

    /* Pointers rather than offsets keep the field loop in registers. */
    const char *ls = p, *fs = p;   /* current line start, field start */
    const char *ls0 = p - 1;       /* ls - 1, so a column is one subtraction */
    nm_csv_field *fp = F;          /* next field slot */
    uint32_t extra = 0, q = 0;     /* fields beyond the cap; 1 if the current field is quoted */
    int row_irr = 0;               /* the current row needs the careful parser */
    uint64_t qcarry = 0;           /* all ones when a quote is open at the window start */
    uint64_t start_carry = 1;      /* bit 0 of this window starts a field */
    int pend_close = 0;            /* bit 63 of the last window was a closing-quote candidate */
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
        const uint64_t st_all = (m.delim & ~inq) | m.lf;

        /* Regularity (see above). Bit 63 of a closing candidate is checked
         * against the next window's bit 0. */
        const uint64_t opens = m.quote & ((st_all << 1) | start_carry);
        const uint64_t closes = m.quote & ((st_all | (m.cr & (m.lf >> 1))) >> 1);
        const uint64_t odd = m.quote & ~(opens ^ closes) & ~(1ULL << 63);
        if (pend_close && !(st_all & 1)) row_irr = 1;
        pend_close = (int)((m.quote & ~opens) >> 63);
        const int win_irr = (odd | badlf | m.nul | m.high) != 0;
        row_irr |= win_irr;
        start_carry = st_all >> 63;
        const char *const base = p + off;
        if (fs == base) q = (uint32_t)(m.quote & 1);

        const uint64_t Q1 = m.quote >> 1, L = m.lf;   /* Q1 bit b: the byte after b is a quote */
/* Cut the field ending at bit b_ of the window; the next one starts after it. */
#define NM_CSV_CUT(b_)                                 \
    do {                                               \
        const char *const e_ = base + (b_);            \
        fp->p = fs + q;                                \
        fp->len = (uint32_t)(e_ - fs) - 2 * q;         \
        fp->col = (uint32_t)(fs - ls0);                \
        fp->flags = q; /* NM_CSV_QUOTED */             \
        fs = e_ + 1;                                   \
        q = (uint32_t)(Q1 >> (b_)) & 1;                \
    } while (0)
        uint64_t rest = st_all;
        for (;;) {
            /* The delimiters before the next LF, then that LF (most windows
             * hold no LF: rows are ~20 windows long in NPPES). */
            const uint64_t lfs = rest & L;
            uint64_t seg = lfs ? rest & ((lfs & (0 - lfs)) - 1) : rest;
            if (NM_LIKELY(fend - fp >= 64)) {   /* room for a whole window of fields */
                for (; seg; seg &= seg - 1) {
                    NM_CSV_CUT((unsigned)__builtin_ctzll(seg));
                    fp++;
                }
            } else {
                for (; seg; seg &= seg - 1) {
                    NM_CSV_CUT((unsigned)__builtin_ctzll(seg));
                    if (fp < fend) fp++;
                    else extra++;
                }
            }
            if (!lfs) break;
            const unsigned bit = (unsigned)__builtin_ctzll(lfs);
            const char *const pos = base + bit;
            NM_CSV_CUT(bit);
            if (fp < fend) fp++;
            else extra++;
            rest &= (0 - (lfs & (0 - lfs))) << 1;   /* the bits after this LF */
            const uint32_t nf = (uint32_t)(fp - F) + extra;
            const char *lend = pos;
            if (lend > ls && lend[-1] == '\r') {
                lend--;
                if (!extra) fp[-1].len--;   /* the CR is not part of the last field */
            }
            if (lend > ls) {   /* empty lines are not rows */
                nm_csv_row row;
                row.line = line;
                row.f = F;
                row.error = NM_R_COUNT;
                row.nfields = nf;
                row.error_col = 0;
                if (NM_UNLIKELY(row_irr)) {
                    size_t at = 0;
                    int r = nm_csv_parse_line(ls, (size_t)(lend - ls), delim, F, ck->max_fields, &row.nfields, &at);
                    if (r != NM_R_COUNT) {
                        row.error = r;
                        row.error_col = (uint32_t)(at + 1);
                        row.nfields = 0;
                    }
                }
                int rc = ck->cb(ck->ctx, &row);
                if (rc) {
                    ck->lines_out = line - ck->line + 1;
                    return rc;
                }
            }
            line++;
            fp = F;
            extra = 0;
            ls = pos + 1;
            ls0 = pos;
            row_irr = win_irr;   /* rows starting in an irregular window too */
        }
#undef NM_CSV_CUT
        if (last) break;
    }
    ck->lines_out = line - ck->line;
    return 0;
}

#endif
