/* Jaro-Winkler one-against-many kernel, AVX-512 (F/BW/VL): 32 candidates of
 * <= 16 bytes per 512-bit vector (16 of <= 32, 8 of <= 64). The lane logic is
 * shared with AVX2 in jaro_simd_tmpl.h; this file supplies the two steps that
 * need byte-level instructions: loading candidates into slots (masked loads
 * near the batch's end, so nothing past it is read) and the pattern-match rows, where one vpcmpeqb of a
 * query byte against 64 staged bytes yields a 64-bit mask whose bits are
 * already the lanes' position bits. */
#include <immintrin.h>
#include <string.h>
#include "compare/jaro_internal.h"

/* Load mask for lw bytes at p: all of them, or (near the batch's end) only
 * those before end. A masked load never touches bytes outside its mask. */
static inline uint64_t jv_avail(const uint8_t *p, const uint8_t *end, int lw) {
    uint64_t a = (uint64_t)(end - p);
    return _bzhi_u64(~0ull, a < (uint64_t)lw ? (uint32_t)a : (uint32_t)lw);
}

/* One 512-bit vector of 64 / lw candidate slots of lw bytes each. */
static inline __m512i jv_load_slots(const uint8_t **src, int z, int fast, const uint8_t *end, int lw) {
    if (lw == 16) {
        const uint8_t *const *p = src + 4 * z;
        __m128i v[4];
        for (int i = 0; i < 4; i++)
            v[i] = fast ? _mm_loadu_si128((const __m128i *)p[i])
                        : _mm_maskz_loadu_epi8((__mmask16)jv_avail(p[i], end, 16), p[i]);
        __m512i r = _mm512_castsi128_si512(v[0]);
        r = _mm512_inserti32x4(r, v[1], 1);
        r = _mm512_inserti32x4(r, v[2], 2);
        return _mm512_inserti32x4(r, v[3], 3);
    }
    if (lw == 32) {
        const uint8_t *const *p = src + 2 * z;
        __m256i v0 = fast ? _mm256_loadu_si256((const __m256i *)p[0])
                          : _mm256_maskz_loadu_epi8((__mmask32)jv_avail(p[0], end, 32), p[0]);
        __m256i v1 = fast ? _mm256_loadu_si256((const __m256i *)p[1])
                          : _mm256_maskz_loadu_epi8((__mmask32)jv_avail(p[1], end, 32), p[1]);
        return _mm512_inserti64x4(_mm512_castsi256_si512(v0), v1, 1);
    }
    return fast ? _mm512_loadu_si512(src[z]) : _mm512_maskz_loadu_epi8(jv_avail(src[z], end, 64), src[z]);
}

static inline void jv_pm_build(const uint8_t **src, int fast, const uint8_t *end, int lw, const uint8_t *q,
                               uint32_t lq, void *pm) {
    __m512i s[8];
    for (int z = 0; z < 8; z++) s[z] = jv_load_slots(src, z, fast, end, lw);
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

size_t nm_jv_lanes_avx512(const uint8_t *q, uint32_t lq, const char *bytes, const char *end,
                          const uint32_t *offsets, const uint32_t *idx, size_t base, size_t cnt, int lw,
                          const nm_jv_out *o) {
    if (lw == 16) return jv_lanes_16(q, lq, bytes, end, offsets, idx, base, cnt, o);
    if (lw == 32) return jv_lanes_32(q, lq, bytes, end, offsets, idx, base, cnt, o);
    return jv_lanes_64(q, lq, bytes, end, offsets, idx, base, cnt, o);
}
