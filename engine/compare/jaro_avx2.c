/* Jaro-Winkler one-against-many kernel, AVX2: 16 candidates of <= 16 bytes
 * per 256-bit vector (8 of <= 32, 4 of <= 64). Lane logic is shared with
 * AVX-512 in jaro_simd_tmpl.h; this file supplies staging (AVX2 has no byte
 * masked loads: a full-width load where it stays inside the batch's bytes,
 * else a copy, then a blend with the sentinel) and the pattern-match rows
 * (vpcmpeqb + vpmovmskb: 32 position bits per compare). */
#include <immintrin.h>
#include <string.h>
#include "compare/jaro_internal.h"

static inline __m256i jv_load_pad32(const uint8_t *src, uint32_t len, uint8_t sentinel, const uint8_t *end) {
    __m256i v;
    if (len == 0) return _mm256_set1_epi8((char)sentinel);
    if (end - src >= 32) {
        v = _mm256_loadu_si256((const __m256i *)src);
    } else {
        uint8_t tmp[32] = {0};
        memcpy(tmp, src, len < 32 ? len : 32);
        v = _mm256_loadu_si256((const __m256i *)tmp);
    }
    const __m256i iota = _mm256_setr_epi8(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20,
                                          21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31);
    __m256i in = _mm256_cmpgt_epi8(_mm256_set1_epi8((char)(len < 32 ? len : 32)), iota);
    return _mm256_blendv_epi8(_mm256_set1_epi8((char)sentinel), v, in);
}

static inline void jv_stage(uint8_t *dst, const uint8_t *src, uint32_t len, int lw, uint8_t sentinel,
                            const uint8_t *end) {
    __m256i v = jv_load_pad32(src, len, sentinel, end);
    if (lw == 16) {
        _mm_store_si128((__m128i *)dst, _mm256_castsi256_si128(v));
    } else {
        _mm256_store_si256((__m256i *)dst, v);
        if (lw == 64)
            _mm256_store_si256((__m256i *)(dst + 32),
                               jv_load_pad32(src + 32, len > 32 ? len - 32 : 0, sentinel, end));
    }
}

static inline void jv_pm_build(const uint8_t *stage, const uint8_t *q, uint32_t lq, void *pm) {
    __m256i s[8];
    for (int z = 0; z < 8; z++) s[z] = _mm256_load_si256((const __m256i *)(stage + 32 * z));
    uint32_t *row = pm;
    for (uint32_t j = 0; j < lq; j++) {
        __m256i c = _mm256_set1_epi8((char)q[j]);
        for (int z = 0; z < 8; z++) row[8 * j + z] = (uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(s[z], c));
    }
}

#define JV_VB 32
#define JV_LW 16
#define JV_T uint16_t
#define JV_S int16_t
#include "compare/jaro_simd_tmpl.h"
#undef JV_LW
#undef JV_T
#undef JV_S
#define JV_LW 32
#define JV_T uint32_t
#define JV_S int32_t
#include "compare/jaro_simd_tmpl.h"
#undef JV_LW
#undef JV_T
#undef JV_S
#define JV_LW 64
#define JV_T uint64_t
#define JV_S int64_t
#include "compare/jaro_simd_tmpl.h"

void nm_jv_lanes_avx2(const uint8_t *q, uint32_t lq, uint8_t sentinel, const char *bytes, const char *end,
                      const uint32_t *offsets, const uint32_t *idx, size_t cnt, int lw, const nm_jv_out *o) {
    if (lw == 16) jv_lanes_16(q, lq, sentinel, bytes, end, offsets, idx, cnt, o);
    else if (lw == 32) jv_lanes_32(q, lq, sentinel, bytes, end, offsets, idx, cnt, o);
    else jv_lanes_64(q, lq, sentinel, bytes, end, offsets, idx, cnt, o);
}
