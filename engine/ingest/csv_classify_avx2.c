/* AVX2 build of the CSV classifier and scanner (see csv_scan.h): two 32-byte
 * compares per class and movemask give the same bit masks as the scalar
 * reference in csv_classify.c. */
#include <immintrin.h>
#include "ingest/csv_scan.h"

static NM_CSV_ALWAYS_INLINE uint64_t eq_mask(__m256i lo, __m256i hi, __m256i v) {
    uint32_t a = (uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(lo, v));
    uint32_t b = (uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(hi, v));
    return (uint64_t)a | ((uint64_t)b << 32);
}

static NM_CSV_ALWAYS_INLINE void classify_avx2(const char *p, char delim, nm_csv_masks *m) {
    const __m256i lo = _mm256_loadu_si256((const __m256i *)p);
    const __m256i hi = _mm256_loadu_si256((const __m256i *)(p + 32));
    m->quote = eq_mask(lo, hi, _mm256_set1_epi8('"'));
    m->delim = eq_mask(lo, hi, _mm256_set1_epi8(delim));
    m->lf = eq_mask(lo, hi, _mm256_set1_epi8('\n'));
    m->cr = eq_mask(lo, hi, _mm256_set1_epi8('\r'));
    m->nul = eq_mask(lo, hi, _mm256_setzero_si256());
    /* movemask takes each byte's top bit: exactly "byte >= 0x80". */
    m->high = (uint64_t)(uint32_t)_mm256_movemask_epi8(lo) | ((uint64_t)(uint32_t)_mm256_movemask_epi8(hi) << 32);
}

void nm_csv_classify_masks_avx2(const char *p, char delim, nm_csv_masks *m) { classify_avx2(p, delim, m); }

int nm_csv_scan_chunk_avx2(nm_csv_chunk *ck) { return nm_csv_scan_template(ck, classify_avx2); }

/* Byte count: per-lane 8-bit counters (subtracting the all-ones compare
 * result) flushed with SAD every 255 steps before they can wrap. */
size_t nm_csv_count_avx2(const char *p, size_t n, char c) {
    const __m256i v = _mm256_set1_epi8(c), zero = _mm256_setzero_si256();
    __m256i total = zero;
    size_t i = 0;
    while (i + 32 <= n) {
        __m256i acc = zero;
        for (int k = 0; k < 255 && i + 32 <= n; k++, i += 32)
            acc = _mm256_sub_epi8(acc, _mm256_cmpeq_epi8(_mm256_loadu_si256((const __m256i *)(p + i)), v));
        total = _mm256_add_epi64(total, _mm256_sad_epu8(acc, zero));
    }
    size_t k = (size_t)_mm256_extract_epi64(total, 0) + (size_t)_mm256_extract_epi64(total, 1) +
               (size_t)_mm256_extract_epi64(total, 2) + (size_t)_mm256_extract_epi64(total, 3);
    for (; i < n; i++) k += p[i] == c;
    return k;
}
