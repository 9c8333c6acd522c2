/* Jaro-Winkler one-against-many kernel, AVX-512 (F/BW/VL): 32 candidates of
 * <= 16 bytes per 512-bit vector (16 of <= 32, 8 of <= 64). The lane logic is
 * shared with AVX2 in jaro_simd_tmpl.h; this file supplies the two steps that
 * need byte-level instructions: staging a candidate with a masked load (no
 * read past its end) and the pattern-match rows, where one vpcmpeqb of a
 * query byte against 64 staged bytes yields a 64-bit mask whose bits are
 * already the lanes' position bits. */
#include <immintrin.h>
#include <string.h>
#include "compare/jaro_internal.h"

static inline void jv_stage(uint8_t *dst, const uint8_t *src, uint32_t len, int lw, uint8_t sentinel,
                            const uint8_t *end) {
    (void)end; /* masked loads do not touch bytes outside the mask */
    if (lw == 16) {
        __m128i v = _mm_mask_loadu_epi8(_mm_set1_epi8((char)sentinel), (__mmask16)_bzhi_u32(0xFFFFu, len), src);
        _mm_store_si128((__m128i *)dst, v);
    } else if (lw == 32) {
        __m256i v = _mm256_mask_loadu_epi8(_mm256_set1_epi8((char)sentinel), (__mmask32)_bzhi_u32(~0u, len), src);
        _mm256_store_si256((__m256i *)dst, v);
    } else {
        __m512i v = _mm512_mask_loadu_epi8(_mm512_set1_epi8((char)sentinel), _bzhi_u64(~0ull, len), src);
        _mm512_store_si512(dst, v);
    }
}

static inline void jv_pm_build(const uint8_t *stage, const uint8_t *q, uint32_t lq, void *pm) {
    __m512i s[8];
    for (int z = 0; z < 8; z++) s[z] = _mm512_load_si512(stage + 64 * z);
    uint64_t *row = pm;
    for (uint32_t j = 0; j < lq; j++) {
        __m512i c = _mm512_set1_epi8((char)q[j]);
        for (int z = 0; z < 8; z++) row[8 * j + z] = _mm512_cmpeq_epi8_mask(s[z], c);
    }
}

#define JV_VB 64
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

void nm_jv_lanes_avx512(const uint8_t *q, uint32_t lq, uint8_t sentinel, const char *bytes, const char *end,
                        const uint32_t *offsets, const uint32_t *idx, size_t cnt, int lw, const nm_jv_out *o) {
    if (lw == 16) jv_lanes_16(q, lq, sentinel, bytes, end, offsets, idx, cnt, o);
    else if (lw == 32) jv_lanes_32(q, lq, sentinel, bytes, end, offsets, idx, cnt, o);
    else jv_lanes_64(q, lq, sentinel, bytes, end, offsets, idx, cnt, o);
}
