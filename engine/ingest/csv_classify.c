/* CSV byte classification: the scalar reference kernel, the scalar build of
 * the line scanner, and the per-level dispatch (see csv.h, csv_scan.h).
 *
 * The reference is deliberately plain (one byte per step): the AVX2 and
 * AVX-512 kernels are held bit-identical to it by tests/test_csv.c. */
#include "ingest/csv_scan.h"
#include "npimatch/simd.h"

static NM_CSV_ALWAYS_INLINE void classify_scalar(const char *p, char delim, nm_csv_masks *m) {
    uint64_t q = 0, d = 0, l = 0, r = 0, z = 0, h = 0;
    for (unsigned i = 0; i < 64; i++) {
        unsigned char c = (unsigned char)p[i];
        uint64_t b = 1ULL << i;
        q |= (c == '"') ? b : 0;
        d |= (c == (unsigned char)delim) ? b : 0;
        l |= (c == '\n') ? b : 0;
        r |= (c == '\r') ? b : 0;
        z |= (c == 0) ? b : 0;
        h |= (c >= 0x80) ? b : 0;
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
