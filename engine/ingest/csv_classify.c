/* CSV byte classification: the scalar reference kernel, the scalar build of
 * the line scanner, and the per-level dispatch (see csv.h, csv_scan.h).
 *
 * The reference works on 8 bytes at a time in plain integer arithmetic
 * (portable C, x86-64 baseline); tests/test_csv.c checks it against the
 * byte-by-byte definition and holds the AVX2 and AVX-512 kernels
 * bit-identical to it. */
#include "ingest/csv_scan.h"
#include "npimatch/simd.h"

/* SWAR (SIMD within a register), 8 bytes per step, exact per byte: no
 * false positives from borrows, unlike the (x - 0x01..) & ~x & 0x80.. idiom.
 * 0x80 is set in each byte of y that is zero. */
static inline uint64_t swar_zero_bytes(uint64_t y) {
    const uint64_t low7 = 0x7F7F7F7F7F7F7F7FULL;
    return ~(((y & low7) + low7) | y) & 0x8080808080808080ULL;
}

/* Gather the top bit of each byte into 8 bits, byte i to bit i: every
 * partial product of the multiply lands on a distinct bit, so no carry
 * disturbs the top byte (the "magic multiply" movemask). */
static inline uint64_t swar_movemask(uint64_t h) { return ((h >> 7) * 0x0102040810204080ULL) >> 56; }

static NM_CSV_ALWAYS_INLINE void classify_scalar(const char *p, char delim, nm_csv_masks *m) {
    const uint64_t ones = 0x0101010101010101ULL;
    const uint64_t vq = ones * '"', vd = ones * (unsigned char)delim, vl = ones * '\n', vr = ones * '\r';
    uint64_t q = 0, d = 0, l = 0, r = 0, z = 0, h = 0;
    for (unsigned k = 0; k < 8; k++) {
        uint64_t w;
        memcpy(&w, p + 8 * k, 8);   /* little-endian: byte i is bits 8i..8i+7 */
        const unsigned sh = 8 * k;
        q |= swar_movemask(swar_zero_bytes(w ^ vq)) << sh;
        d |= swar_movemask(swar_zero_bytes(w ^ vd)) << sh;
        l |= swar_movemask(swar_zero_bytes(w ^ vl)) << sh;
        r |= swar_movemask(swar_zero_bytes(w ^ vr)) << sh;
        z |= swar_movemask(swar_zero_bytes(w)) << sh;
        h |= swar_movemask(w & 0x8080808080808080ULL) << sh;
    }
    m->quote = q;
    m->delim = d;
    m->lf = l;
    m->cr = r;
    m->nul = z;
    m->high = h;
}

void nm_csv_classify_masks_scalar(const char *p, char delim, nm_csv_masks *m) { classify_scalar(p, delim, m); }

int nm_csv_scan_chunk_scalar(nm_csv_chunk *ck) { return nm_csv_scan_template(ck, classify_scalar); }

size_t nm_csv_count_scalar(const char *p, size_t n, char c) {
    size_t k = 0;
    for (size_t i = 0; i < n; i++) k += p[i] == c;
    return k;
}

/* ---- the fixed three-mask signature of csv.h, one wrapper per level ---- */

#define NM_CSV_WRAP3(isa)                                                                        \
    static void classify3_##isa(const char *p, char delim, uint64_t *q, uint64_t *d, uint64_t *l) { \
        nm_csv_masks m;                                                                          \
        nm_csv_classify_masks_##isa(p, delim, &m);                                               \
        *q = m.quote;                                                                            \
        *d = m.delim;                                                                            \
        *l = m.lf;                                                                               \
    }
NM_CSV_WRAP3(scalar)
NM_CSV_WRAP3(avx2)
NM_CSV_WRAP3(avx512)

/* A level the machine cannot run falls back to the best one it has, like
 * nm_simd_active() does for NPIMATCH_SIMD. */
static int clamp_level(int level) {
    int best = (int)nm_simd_detect();
    if (level > best) level = best;
    return level < 0 ? 0 : level;
}

/* One row per nm_simd_level. */
static const struct {
    nm_csv_classify_fn classify3;
    nm_csv_classify_ext_fn classify;
    nm_csv_scan_fn scan;
    nm_csv_count_fn count;
} kernels[] = {
    {classify3_scalar, nm_csv_classify_masks_scalar, nm_csv_scan_chunk_scalar, nm_csv_count_scalar},
    {classify3_avx2, nm_csv_classify_masks_avx2, nm_csv_scan_chunk_avx2, nm_csv_count_avx2},
    {classify3_avx512, nm_csv_classify_masks_avx512, nm_csv_scan_chunk_avx512, nm_csv_count_avx512},
};

nm_csv_classify_fn nm_csv_classify_for(int simd_level) { return kernels[clamp_level(simd_level)].classify3; }
nm_csv_classify_ext_fn nm_csv_classify_ext_for(int simd_level) { return kernels[clamp_level(simd_level)].classify; }
nm_csv_scan_fn nm_csv_scan_for(int simd_level) { return kernels[clamp_level(simd_level)].scan; }
nm_csv_count_fn nm_csv_count_for(int simd_level) { return kernels[clamp_level(simd_level)].count; }
