/* AVX-512 build of the CSV classifier and scanner (see csv_scan.h): one
 * 64-byte load, byte compares straight into 64-bit mask registers (BW). */
#include <immintrin.h>
#include "ingest/csv_scan.h"

static NM_CSV_ALWAYS_INLINE void classify_avx512(const char *p, char delim, nm_csv_masks *m) {
    const __m512i x = _mm512_loadu_si512((const void *)p);
    m->quote = _mm512_cmpeq_epi8_mask(x, _mm512_set1_epi8('"'));
    m->delim = _mm512_cmpeq_epi8_mask(x, _mm512_set1_epi8(delim));
    m->lf = _mm512_cmpeq_epi8_mask(x, _mm512_set1_epi8('\n'));
    m->cr = _mm512_cmpeq_epi8_mask(x, _mm512_set1_epi8('\r'));
    m->nul = _mm512_testn_epi8_mask(x, x);
    m->high = _mm512_movepi8_mask(x);   /* top bit of each byte: >= 0x80 */
}

void nm_csv_classify_masks_avx512(const char *p, char delim, nm_csv_masks *m) { classify_avx512(p, delim, m); }

int nm_csv_scan_chunk_avx512(nm_csv_chunk *ck) { return nm_csv_scan_template(ck, classify_avx512); }

size_t nm_csv_count_avx512(const char *p, size_t n, char c) {
    const __m512i v = _mm512_set1_epi8(c);
    size_t k = 0, i = 0;
    for (; i + 64 <= n; i += 64)
        k += (size_t)__builtin_popcountll(_mm512_cmpeq_epi8_mask(_mm512_loadu_si512((const void *)(p + i)), v));
    if (i < n) {
        __mmask64 tail = (~0ULL) >> (64 - (n - i));
        k += (size_t)__builtin_popcountll(_mm512_mask_cmpeq_epi8_mask(tail, _mm512_maskz_loadu_epi8(tail, p + i), v));
    }
    return k;
}
