/* Jaro-Winkler one-against-many kernel, AVX2: 16 candidates of <= 16 bytes
 * per 256-bit vector (8 of <= 32, 4 of <= 64). Lane logic is shared with
 * AVX-512 in jaro_simd_tmpl.h; this file supplies the slot loads (AVX2 has
 * no byte-masked loads: full-width loads where they stay inside the batch's
 * bytes, else a short copy) and the pattern-match rows
 * (vpcmpeqb + vpmovmskb: 32 position bits per compare). */
#include <immintrin.h>
#include <string.h>
#include "compare/jaro_internal.h"

/* 32 bytes at p, or near the batch's end a zero-padded copy of the bytes
 * before end (AVX2 has no byte-masked loads). */
static inline __m256i jv_load32(const uint8_t *p, int fast, const uint8_t *end) {
    if (fast || end - p >= 32) return _mm256_loadu_si256((const __m256i *)p);
    uint8_t tmp[32] = {0};
    if (end > p) memcpy(tmp, p, (size_t)(end - p));
    return _mm256_loadu_si256((const __m256i *)tmp);
}

/* One 256-bit vector: two 16-byte slots, one 32-byte slot, or half of a
 * 64-byte slot. */
static inline __m256i jv_load_slots(const uint8_t *b8, const uint32_t *of, int z, int fast, const uint8_t *end,
                                    int lw) {
    if (lw == 16) {
        const uint8_t *p0 = b8 + of[2 * z], *p1 = b8 + of[2 * z + 1];
        if (!fast) {
            __m256i a = jv_load32(p0, 0, end), b = jv_load32(p1, 0, end);
            return _mm256_permute2x128_si256(a, b, 0x20);
        }
        __m256i r = _mm256_castsi128_si256(_mm_loadu_si128((const __m128i *)p0));
        return _mm256_inserti128_si256(r, _mm_loadu_si128((const __m128i *)p1), 1);
    }
    if (lw == 32) return jv_load32(b8 + of[z], fast, end);
    const uint8_t *p = b8 + of[z / 2] + 32 * (z & 1);
    if (!fast && p >= end) return _mm256_setzero_si256();
    return jv_load32(p, fast, end);
}

static inline void jv_pm_build(const uint8_t *b8, const uint32_t *of, int fast, const uint8_t *end, int lw,
                               const uint8_t *q, uint32_t lq, void *pm) {
    __m256i s[8];
    for (int z = 0; z < 8; z++) s[z] = jv_load_slots(b8, of, z, fast, end, lw);
    uint32_t *row = pm;
    for (uint32_t j = 0; j < lq; j++, row += 8) {
        __m256i c = _mm256_set1_epi8((char)q[j]);
        for (int z = 0; z < 8; z++) row[z] = (uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(s[z], c));
    }
}

#define JV_VB 32
#define JV_KERNEL nm_jv_lanes_avx2
#include "compare/jaro_simd_inst.h"
