/* Jaro-Winkler one-against-many kernels, AVX-512 (F/BW/VL): 32 candidates
 * of <= 16 bytes per 512-bit vector (16 of <= 32, 8 of <= 64), and 64 of
 * <= 8 bytes in byte lanes for runs of short names. The lane logic for the
 * general case is shared with AVX2 in jaro_simd_tmpl.h; this file supplies
 * the byte-level steps (slot loads, masked near the batch's end so nothing
 * past it is read; pattern-match rows, where one vpcmpeqb of a query byte
 * against 64 slot bytes yields a 64-bit mask whose bits are already the
 * lanes' position bits) and hand-scheduled run kernels for 8- and 16-bit
 * lanes, the hot case of name blocks. The run kernels are bound by the
 * latency of their dependency chains more than by instruction count, so
 * they overlap groups in software: the rows of group g + 1 are built before
 * group g is matched (so the row loads never wait on the narrow mask stores)
 * and group g - 1 is scored after it (so the multiply / divide chain runs
 * under the matching chain); the 16-bit kernel also builds rows once per
 * distinct query byte. Measured on the 10,000-surname bench (bench_jw): 2.7
 * -> 2.1 ns/pair in random order, 2.1 -> 1.7 sorted by length. A variant
 * building the rows from GFNI bit planes (8 affine transposes, vpermt2w and
 * 3 ternary ops per query byte) was slower on Zen 4, whose 512-bit shuffles
 * are the scarce resource. The prepared-block kernels (jaro_block.c) run the
 * same per-group code on rows stored at preparation: 1.55 ns/pair (scores)
 * and 1.41 (levels) in random order on the same bench. */
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
static inline __m512i jv_load_slots(const uint8_t *b8, const uint32_t *of, int z, int fast, const uint8_t *end,
                                    int lw) {
    if (lw == 16) {
        const uint32_t *o = of + 4 * z;
        if (fast) {
            __m512i r = _mm512_castsi128_si512(_mm_loadu_si128((const __m128i *)(b8 + o[0])));
            r = _mm512_inserti32x4(r, _mm_loadu_si128((const __m128i *)(b8 + o[1])), 1);
            r = _mm512_inserti32x4(r, _mm_loadu_si128((const __m128i *)(b8 + o[2])), 2);
            return _mm512_inserti32x4(r, _mm_loadu_si128((const __m128i *)(b8 + o[3])), 3);
        }
        __m128i v[4];
        for (int i = 0; i < 4; i++)
            v[i] = _mm_maskz_loadu_epi8((__mmask16)jv_avail(b8 + o[i], end, 16), b8 + o[i]);
        __m512i r = _mm512_castsi128_si512(v[0]);
        r = _mm512_inserti32x4(r, v[1], 1);
        r = _mm512_inserti32x4(r, v[2], 2);
        return _mm512_inserti32x4(r, v[3], 3);
    }
    if (lw == 32) {
        const uint8_t *p0 = b8 + of[2 * z], *p1 = b8 + of[2 * z + 1];
        __m256i v0 = fast ? _mm256_loadu_si256((const __m256i *)p0)
                          : _mm256_maskz_loadu_epi8((__mmask32)jv_avail(p0, end, 32), p0);
        __m256i v1 = fast ? _mm256_loadu_si256((const __m256i *)p1)
                          : _mm256_maskz_loadu_epi8((__mmask32)jv_avail(p1, end, 32), p1);
        return _mm512_inserti64x4(_mm512_castsi256_si512(v0), v1, 1);
    }
    const uint8_t *p = b8 + of[z];
    return fast ? _mm512_loadu_si512(p) : _mm512_maskz_loadu_epi8(jv_avail(p, end, 64), p);
}

static inline void jv_pm_build(const uint8_t *b8, const uint32_t *of, int fast, const uint8_t *end, int lw,
                               const uint8_t *q, uint32_t lq, void *pm) {
    __m512i s[8];
    for (int z = 0; z < 8; z++) s[z] = jv_load_slots(b8, of, z, fast, end, lw);
    uint64_t *row = pm;
    for (uint32_t j = 0; j < lq; j++, row += 8) {
        __m512i c = _mm512_set1_epi8((char)q[j]);
        for (int z = 0; z < 8; z++) row[z] = _mm512_cmpeq_epi8_mask(s[z], c);
    }
}

/* 16-bit lanes (names up to 16 bytes, the hot case), hand-scheduled:
 *  - the window of query position j for a lane of radius r is looked up with
 *    one vpermw from a per-query table tab[j][r] = bits [j - r, j + r]
 *    (r <= 31 fits the 32 word entries), so it is off the dependency chain;
 *  - hits are kept as 32-bit lane masks, counts use masked adds.
 * Same values as the generic loops of jaro_simd_tmpl.h. */
typedef struct {
    __m512i tab[NM_JV_MAX_QUERY];
    uint16_t ix[NM_JV_MAX_QUERY]; /* row of query byte j (identity unless deduplicated) */
} jv_core16_ctx;

static inline void jv_core16_prep(jv_core16_ctx *c, uint32_t lq) {
    const __m512i r = _mm512_set_epi16(31, 30, 29, 28, 27, 26, 25, 24, 23, 22, 21, 20, 19, 18, 17, 16, 15, 14, 13,
                                       12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0);
    const __m512i ones = _mm512_set1_epi16(-1);
    for (uint32_t j = 0; j < lq; j++) {
        c->ix[j] = (uint16_t)j;
        __m512i jv = _mm512_set1_epi16((short)j);
        /* bits <= j + r (all when j + r >= 15: vpsllvw counts >= 16 give 0) */
        __m512i hi = _mm512_andnot_si512(_mm512_sllv_epi16(ones, _mm512_add_epi16(_mm512_add_epi16(jv, r),
                                                                                   _mm512_set1_epi16(1))),
                                         ones);
        /* bits >= j - r (unsigned saturation: 0 when r >= j) */
        __m512i lo = _mm512_sllv_epi16(ones, _mm512_subs_epu16(jv, r));
        c->tab[j] = _mm512_and_si512(hi, lo);
    }
}

typedef uint16_t jv_v16 __attribute__((vector_size(64), may_alias));

/* Element-width-generic steps (lw = 8 or 16 bits, a constant wherever they
 * are inlined) for the matching and transposition passes shared by the
 * byte-lane and word-lane kernels. */
#define JV_AI static inline __attribute__((always_inline))
JV_AI __m512i jv_sub(int lw, __m512i a, __m512i b) { return lw == 8 ? _mm512_sub_epi8(a, b) : _mm512_sub_epi16(a, b); }
JV_AI __mmask64 jv_test(int lw, __m512i x) {
    return lw == 8 ? _mm512_test_epi8_mask(x, x) : (__mmask64)_mm512_test_epi16_mask(x, x);
}
JV_AI __m512i jv_inc(int lw, __m512i v, __mmask64 k) {
    return lw == 8 ? _mm512_mask_add_epi8(v, k, v, _mm512_set1_epi8(1))
                   : _mm512_mask_add_epi16(v, (__mmask32)k, v, _mm512_set1_epi16(1));
}

/* The matching pass (a & b & ~c picks the free window positions of query
 * byte j; matched |= x & -x takes the lowest, one ternary op each) and the
 * transposition pass of the template, on the rows pm[ix[j]] and windows
 * win[j] (per-lane lookups of the window tables by radius rv), with the
 * positions past each length (lenmask) taken from the start. */
JV_AI void jv_passes(int lw, const __m512i *wtab, __m512i rv, const __m512i *pm, const uint16_t *ix, uint32_t lq,
                     __m512i lenmask, __m512i *m_out, __m512i *t_out) {
    const __m512i zero = _mm512_setzero_si512();
    __m512i matched = _mm512_andnot_si512(lenmask, _mm512_set1_epi8(-1)), mcnt = zero, tcnt = zero;
    __mmask64 hits[NM_JV_MAX_QUERY];
    for (uint32_t j = 0; j < lq; j++) {
        __m512i w = lw == 8 ? _mm512_shuffle_epi8(wtab[j], rv) : _mm512_permutexvar_epi16(rv, wtab[j]);
        __m512i x = _mm512_ternarylogic_epi64(pm[ix[j]], w, matched, 0x40);
        matched = _mm512_ternarylogic_epi64(matched, x, jv_sub(lw, zero, x), 0xF8);
        __mmask64 h = jv_test(lw, x);
        hits[j] = h;
        mcnt = jv_inc(lw, mcnt, h);
    }
    __m512i rest = _mm512_and_si512(matched, lenmask);
    for (uint32_t j = 0; j < lq; j++) {
        __m512i low = _mm512_and_si512(rest, jv_sub(lw, zero, rest));
        __mmask64 miss = lw == 8 ? _mm512_mask_testn_epi8_mask(hits[j], pm[ix[j]], low)
                                 : _mm512_mask_testn_epi16_mask((__mmask32)hits[j], pm[ix[j]], low);
        tcnt = jv_inc(lw, tcnt, miss);
        /* clears that bit */
        rest = lw == 8 ? _mm512_mask_sub_epi8(rest, hits[j], rest, low)
                       : _mm512_mask_sub_epi16(rest, (__mmask32)hits[j], rest, low);
    }
    *m_out = mcnt;
    *t_out = tcnt;
}

static inline void jv_core16(const jv_core16_ctx *c, const void *pmv, uint32_t lq, jv_v16 rv, jv_v16 lenmask,
                             jv_v16 *m_out, jv_v16 *t_out) {
    __m512i m, t;
    jv_passes(16, c->tab, (__m512i)rv, pmv, c->ix, lq, (__m512i)lenmask, &m, &t);
    *m_out = (jv_v16)m;
    *t_out = (jv_v16)t;
}

/* From the exact num / den of 16 lanes (den = 1 where m = 0, mask mz):
 * the division nm_jw_from_parts performs (into sa[0..16)) or the exact
 * threshold tests of nm_jw_at_least (lv[0..16)); unaligned stores. */
static inline void jv_out_x16(__m512i num, __m512i den, __mmask16 mz, const nm_jv_out *o, double *sa,
                              uint8_t *lv) {
    if (o->jw) {
        __m512d lo = _mm512_div_pd(_mm512_cvtepi32_pd(_mm512_castsi512_si256(num)),
                                   _mm512_cvtepi32_pd(_mm512_castsi512_si256(den)));
        __m512d hi = _mm512_div_pd(_mm512_cvtepi32_pd(_mm512_extracti64x4_epi64(num, 1)),
                                   _mm512_cvtepi32_pd(_mm512_extracti64x4_epi64(den, 1)));
        _mm512_storeu_pd(sa, lo);
        _mm512_storeu_pd(sa + 8, hi);
        return;
    }
    __m512i lvl = _mm512_set1_epi32(o->nthr), num100 = _mm512_mullo_epi32(num, _mm512_set1_epi32(100));
    __mmask16 nz = (__mmask16)~mz;
    for (int t = o->nthr - 1; t >= 0; t--) {
        if (o->thr[t] == 0) { /* every score reaches 0 */
            lvl = _mm512_set1_epi32(t);
            continue;
        }
        __mmask16 ge = _mm512_mask_cmpge_epi32_mask(nz, num100, _mm512_mullo_epi32(den, _mm512_set1_epi32(o->thr[t])));
        lvl = _mm512_mask_mov_epi32(lvl, ge, _mm512_set1_epi32(t));
    }
    _mm_storeu_si128((__m128i *)lv, _mm512_cvtepi32_epi8(lvl));
}

/* Scores or levels of 16 lanes held as 32-bit integers: the exact num / den
 * of nm_jv_numden, then the division nm_jw_from_parts performs (into
 * sa[0..16)) or the exact threshold tests of nm_jw_at_least (lv[0..16)). */
static inline void jv_finish_x16(__m512i la, __m512i lb, __m512i m, __m512i th, __m512i l, const nm_jv_out *o,
                                 double *sa, uint8_t *lv) {
    __m512i p = _mm512_mullo_epi32(la, lb);
    __m512i d = _mm512_mullo_epi32(p, m);
    __m512i n = _mm512_add_epi32(_mm512_mullo_epi32(_mm512_mullo_epi32(m, m), _mm512_add_epi32(la, lb)),
                                 _mm512_mullo_epi32(_mm512_sub_epi32(m, th), p));
    __m512i n10 = _mm512_mullo_epi32(n, _mm512_set1_epi32(10));
    __mmask16 boost = _mm512_cmpgt_epi32_mask(n10, _mm512_mullo_epi32(d, _mm512_set1_epi32(21)));
    __m512i boosted = _mm512_add_epi32(_mm512_mullo_epi32(_mm512_sub_epi32(_mm512_set1_epi32(10), l), n),
                                       _mm512_mullo_epi32(_mm512_mullo_epi32(l, _mm512_set1_epi32(3)), d));
    __m512i num = _mm512_mask_blend_epi32(boost, n10, boosted);
    __mmask16 mz = _mm512_testn_epi32_mask(m, m);
    __m512i den = _mm512_mask_blend_epi32(mz, _mm512_mullo_epi32(d, _mm512_set1_epi32(30)), _mm512_set1_epi32(1));
    jv_out_x16(num, den, mz, o, sa, lv);
}

/* The same for 32 lanes of 16 bits when lq <= 32, with far fewer
 * multiplies: the parts N and D fit signed 16-bit lanes (N <= 16^2 * 48 +
 * 16 * 512 = 20,480, D <= 8,192), so they are formed with vpmullw on all 32
 * lanes, and every 32-bit quantity the decision needs is one vpmaddwd of
 * the (N, D) pairs: 10 N - 21 D (boost iff > 0), 10 N, (10 - l) N + 3 l D
 * and 30 D. Same integers as jv_finish_x16, so the same doubles. */
static inline void jv_finish_w32(uint32_t lq, __m512i lb, __m512i m, __m512i th, __m512i l, const nm_jv_out *o,
                                 double *sa, uint8_t *lv) {
    const __m512i la = _mm512_set1_epi16((short)lq), zero = _mm512_setzero_si512();
    __m512i p = _mm512_mullo_epi16(la, lb);
    __m512i d = _mm512_mullo_epi16(p, m);
    __m512i n = _mm512_add_epi16(_mm512_mullo_epi16(_mm512_mullo_epi16(m, m), _mm512_add_epi16(la, lb)),
                                 _mm512_mullo_epi16(_mm512_sub_epi16(m, th), p));
    __m512i ca = _mm512_sub_epi16(_mm512_set1_epi16(10), l);
    __m512i cb = _mm512_add_epi16(_mm512_add_epi16(l, l), l);
    /* word k of the first / second operand, paired into dword k (k < 16)
     * and dword k - 16 (k >= 16). */
    const __m512i ix[2] = {
        _mm512_set_epi16(47, 15, 46, 14, 45, 13, 44, 12, 43, 11, 42, 10, 41, 9, 40, 8, 39, 7, 38, 6, 37, 5, 36, 4,
                         35, 3, 34, 2, 33, 1, 32, 0),
        _mm512_set_epi16(63, 31, 62, 30, 61, 29, 60, 28, 59, 27, 58, 26, 57, 25, 56, 24, 55, 23, 54, 22, 53, 21, 52,
                         20, 51, 19, 50, 18, 49, 17, 48, 16)};
    const __m512i c_boost = _mm512_set1_epi32((int)(((uint32_t)(uint16_t)-21 << 16) | 10u));
    const __m512i c_n10 = _mm512_set1_epi32(10), c_d30 = _mm512_set1_epi32(30 << 16);
    for (int h = 0; h < 2; h++) {
        __m512i nd = _mm512_permutex2var_epi16(n, ix[h], d);
        __m512i co = _mm512_permutex2var_epi16(ca, ix[h], cb);
        __mmask16 boost = _mm512_cmpgt_epi32_mask(_mm512_madd_epi16(nd, c_boost), zero);
        __m512i num = _mm512_mask_blend_epi32(boost, _mm512_madd_epi16(nd, c_n10), _mm512_madd_epi16(nd, co));
        __m512i d30 = _mm512_madd_epi16(nd, c_d30);
        __mmask16 mz = _mm512_testn_epi32_mask(d30, d30); /* D = 0 iff m = 0 */
        __m512i den = _mm512_mask_blend_epi32(mz, d30, _mm512_set1_epi32(1));
        jv_out_x16(num, den, mz, o, sa ? sa + 16 * h : NULL, lv ? lv + 16 * h : NULL);
    }
}

/* Write a group's scores or levels to the batch outputs. */
static inline void jv_emit(const double *sa, const uint8_t *lv, const uint32_t *ix, size_t k, size_t nl,
                           const nm_jv_out *o) {
    int full_run = k == nl && ix[k - 1] - ix[0] == k - 1;
    if (o->jw) {
        if (full_run) memcpy(o->jw + ix[0], sa, nl * sizeof(double));
        else for (size_t z = 0; z < k; z++) o->jw[ix[z]] = sa[z];
    } else {
        if (full_run) memcpy(o->level + ix[0], lv, nl);
        else for (size_t z = 0; z < k; z++) o->level[ix[z]] = lv[z];
    }
}

/* 32 lanes of 16 bits, in two halves of 16. */
static inline void jv_finish16(uint32_t lq, jv_v16 lenv, jv_v16 mv, jv_v16 thv, jv_v16 prev, const uint32_t *ix,
                               size_t k, const nm_jv_out *o) {
    double sa[32] __attribute__((aligned(64)));
    uint8_t lv[32] __attribute__((aligned(64)));
    if (lq <= 32) {
        jv_finish_w32(lq, (__m512i)lenv, (__m512i)mv, (__m512i)thv, (__m512i)prev, o, sa, lv);
        jv_emit(sa, lv, ix, k, 32, o);
        return;
    }
    const __m512i la = _mm512_set1_epi32((int)lq);
    for (int h = 0; h < 2; h++) {
#define JV_HALF(v) _mm512_cvtepu16_epi32(h ? _mm512_extracti64x4_epi64((__m512i)(v), 1) \
                                           : _mm512_castsi512_si256((__m512i)(v)))
        jv_finish_x16(la, JV_HALF(lenv), JV_HALF(mv), JV_HALF(thv), JV_HALF(prev), o, sa + 16 * h, lv + 16 * h);
#undef JV_HALF
    }
    jv_emit(sa, lv, ix, k, 32, o);
}

#define JV_VB 64
#define JV_KERNEL nm_jv_lanes_avx512
#define JV_FINISH16 jv_finish16
#define JV_CORE16 jv_core16
#define JV_CORE16_CTX jv_core16_ctx
#define JV_CORE16_PREP jv_core16_prep
#include "compare/jaro_simd_inst.h"

/* Common prefix (<= 4) of every lane at once: bit i of PM[q[i]] for i < 4,
 * gathered into one 4-bit value per lane (rows past lq are zero), whose
 * count of trailing ones a 16-entry vpshufb table gives. Works for 8- and
 * 16-bit lanes (the value sits in the low byte). */
static inline __m512i jv_prefix4v(__m512i r0, __m512i r1, __m512i r2, __m512i r3, __m512i lenmask) {
    const __m512i tz1 = _mm512_broadcast_i32x4(_mm_setr_epi8(0, 1, 0, 2, 0, 1, 0, 3, 0, 1, 0, 2, 0, 1, 0, 4));
    __m512i p = _mm512_and_si512(r0, _mm512_set1_epi8(1));
    p = _mm512_ternarylogic_epi64(p, r1, _mm512_set1_epi8(2), 0xF8); /* p | (b & c) */
    p = _mm512_ternarylogic_epi64(p, r2, _mm512_set1_epi8(4), 0xF8);
    p = _mm512_ternarylogic_epi64(p, r3, _mm512_set1_epi8(8), 0xF8);
    return _mm512_shuffle_epi8(tz1, _mm512_and_si512(p, lenmask));
}

/* The parts of a full run group, from lanes of lw = 8 or 16 bits. */
static void jv_store_parts(nm_jaro_parts *out, uint32_t lq, __m512i lenv, __m512i m, __m512i th, __m512i pre,
                           int lw) {
    uint8_t a[4][64];
    _mm512_storeu_si512(a[0], lenv);
    _mm512_storeu_si512(a[1], m);
    _mm512_storeu_si512(a[2], th);
    _mm512_storeu_si512(a[3], pre);
    size_t nl = lw == 8 ? 64 : 32;
    for (size_t z = 0; z < nl; z++) {
        uint32_t v[4];
        for (int f = 0; f < 4; f++) v[f] = lw == 8 ? a[f][z] : (uint32_t)(a[f][2 * z] | a[f][2 * z + 1] << 8);
        out[z] = (nm_jaro_parts){.la = lq, .lb = v[0], .m = v[1], .t_half = v[2], .prefix = v[3]};
    }
}

/* ---------------- 8-bit lanes: 64 candidates of <= 8 bytes ----------------
 * For runs of short names (a block sorted by length puts them together) the
 * same algorithm runs on 64 byte lanes: twice the pairs per instruction.
 * AVX-512BW has byte adds, compares and masks but no byte shifts, so the
 * window comes from one vpshufb of a per-query table tab[j][r] (r <= 15
 * because lq <= 32 and lc <= 8), the length mask from a 9-entry table, and
 * the slots are filled by plain 8-byte loads (cheaper than gathers on Zen 4). */
static inline __m512i jv_bytes_of_u32(__m512i a, __m512i b, __m512i c, __m512i d) {
    __m512i r = _mm512_castsi128_si512(_mm512_cvtepi32_epi8(a));
    r = _mm512_inserti32x4(r, _mm512_cvtepi32_epi8(b), 1);
    r = _mm512_inserti32x4(r, _mm512_cvtepi32_epi8(c), 2);
    return _mm512_inserti32x4(r, _mm512_cvtepi32_epi8(d), 3);
}

/* Outputs of one run group of 64 byte lanes (first candidate at `at`). */
static inline __attribute__((always_inline)) void jv_run8_emit(uint32_t lq, __m512i lenv, __m512i mcnt, __m512i th, __m512i pre,
                                const nm_jv_out *o, size_t at) {
    if (o->parts) {
        jv_store_parts(o->parts + at, lq, lenv, mcnt, th, pre, 8);
        return;
    }
    double *sa = o->jw ? o->jw + at : NULL;
    uint8_t *lv = o->jw ? NULL : o->level + at;
#define JV_W(v, h) _mm512_cvtepu8_epi16(h ? _mm512_extracti64x4_epi64((v), 1) : _mm512_castsi512_si256(v))
    jv_finish_w32(lq, JV_W(lenv, 0), JV_W(mcnt, 0), JV_W(th, 0), JV_W(pre, 0), o, sa, lv);
    jv_finish_w32(lq, JV_W(lenv, 1), JV_W(mcnt, 1), JV_W(th, 1), JV_W(pre, 1), o, sa ? sa + 32 : NULL,
                  lv ? lv + 32 : NULL);
#undef JV_W
}

/* tab[j][r] = bits [j - r, j + r] of a byte, for r = 0..15 in every 128-bit
 * lane (vpshufb looks up within lanes); lq <= 32. */
static inline void jv_tab8_build(uint32_t lq, __m512i *tab) {
    for (uint32_t j = 0; j < lq; j++) {
        uint8_t t[16];
        for (int r = 0; r < 16; r++) {
            int hi = (int)j + r, lo = (int)j - r;
            unsigned m = hi >= 7 ? 0xFFu : (2u << hi) - 1;
            if (lo > 0) m &= lo >= 8 ? 0u : ~((1u << lo) - 1);
            t[r] = (uint8_t)m;
        }
        tab[j] = _mm512_broadcast_i32x4(_mm_loadu_si128((const __m128i *)t));
    }
}

/* One group of 64 byte lanes of lengths lenv: matches, half transpositions
 * and common prefix from the rows pm[ix[j]] of query bytes j (ix[j] for
 * lq <= j < 4 must name a zero row). */
static inline void jv_group8(const __m512i *tab, const __m512i *pm, const uint16_t *ix, uint32_t lq, __m512i lenv,
                             __m512i *m_out, __m512i *th_out, __m512i *pre_out) {
    const __m512i lenmask_tab = _mm512_broadcast_i32x4(_mm_setr_epi8(0, 1, 3, 7, 15, 31, 63, 127, -1, 0, 0, 0, 0, 0, 0, 0));
    const __m512i one = _mm512_set1_epi8(1);
    const __m512i lqv = _mm512_set1_epi8((char)lq), seven_f = _mm512_set1_epi8(0x7F);
    /* r = max(floor(max(lc, lq) / 2) - 1, 0); bytes past the length start
     * out taken. */
    __m512i half = _mm512_and_si512(_mm512_srli_epi16(_mm512_max_epu8(lenv, lqv), 1), seven_f);
    __m512i rv = _mm512_subs_epu8(half, one);
    __m512i lenmask = _mm512_shuffle_epi8(lenmask_tab, lenv), mcnt, tcnt;
    jv_passes(8, tab, rv, pm, ix, lq, lenmask, &mcnt, &tcnt);
    *pre_out = jv_prefix4v(pm[ix[0]], pm[ix[1]], pm[ix[2]], pm[ix[3]], lenmask);
    *m_out = mcnt;
    *th_out = _mm512_and_si512(_mm512_srli_epi16(tcnt, 1), seven_f);
}

size_t nm_jv_run8_avx512(const uint8_t *q, uint32_t lq, const char *bytes, const char *end,
                         const uint32_t *offsets, size_t base, size_t cnt, const nm_jv_out *o) {
    if (lq > 32 || cnt < 64) return 0;
    const uint8_t *b8 = (const uint8_t *)bytes, *e8 = (const uint8_t *)end;
    __m512i tab[32], pm[32];
    pm[0] = pm[1] = pm[2] = pm[3] = _mm512_setzero_si512(); /* rows past lq < 4 stay 0 */
    static const uint16_t ident[32] = {0,  1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 12, 13, 14, 15,
                                       16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31};
    jv_tab8_build(lq, tab);
    const __m512i zero = _mm512_setzero_si512(), eight = _mm512_set1_epi32(8);
    size_t g = 0, pat = 0;
    int pend = 0;
    __m512i pl = zero, pm_ = zero, pt = zero, pp = zero; /* the group awaiting its scores */
    for (; g + 64 <= cnt; g += 64) {
        const uint32_t *of = offsets + base + g;
        __m512i o0 = _mm512_loadu_si512(of), o1 = _mm512_loadu_si512(of + 16);
        __m512i o2 = _mm512_loadu_si512(of + 32), o3 = _mm512_loadu_si512(of + 48);
        __m512i l0 = _mm512_sub_epi32(_mm512_loadu_si512(of + 1), o0);
        __m512i l1 = _mm512_sub_epi32(_mm512_loadu_si512(of + 17), o1);
        __m512i l2 = _mm512_sub_epi32(_mm512_loadu_si512(of + 33), o2);
        __m512i l3 = _mm512_sub_epi32(_mm512_loadu_si512(of + 49), o3);
        if (_mm512_cmpgt_epu32_mask(l0, eight) | _mm512_cmpgt_epu32_mask(l1, eight) |
            _mm512_cmpgt_epu32_mask(l2, eight) | _mm512_cmpgt_epu32_mask(l3, eight))
            break;
        __m512i lenv = jv_bytes_of_u32(l0, l1, l2, l3);
        /* Slots: 8 bytes per candidate, 8 candidates per vector. Near the
         * batch's end, masked byte loads instead (no read past `end`). */
        __m512i s[8];
        if ((size_t)(e8 - (b8 + of[63])) >= 8) {
            /* Plain 8-byte loads paired into 128-bit lanes (cheaper than a
             * gather on Zen 4). */
            for (int z = 0; z < 8; z++) {
                const uint32_t *oz = of + 8 * z;
                __m128i v[4];
                for (int i = 0; i < 4; i++) {
                    long long hi;
                    memcpy(&hi, b8 + oz[2 * i + 1], sizeof hi);
                    v[i] = _mm_insert_epi64(_mm_loadl_epi64((const __m128i *)(b8 + oz[2 * i])), hi, 1);
                }
                __m512i r = _mm512_castsi128_si512(v[0]);
                r = _mm512_inserti32x4(r, v[1], 1);
                r = _mm512_inserti32x4(r, v[2], 2);
                s[z] = _mm512_inserti32x4(r, v[3], 3);
            }
        } else {
            uint64_t tmp[64];
            for (int c = 0; c < 64; c++) {
                uint64_t a = (uint64_t)(e8 - (b8 + of[c]));
                __m128i v = _mm_maskz_loadu_epi8((__mmask16)_bzhi_u32(0xFFu, a < 8 ? (uint32_t)a : 8u), b8 + of[c]);
                tmp[c] = (uint64_t)_mm_cvtsi128_si64(v);
            }
            for (int z = 0; z < 8; z++) s[z] = _mm512_loadu_si512(tmp + 8 * z);
        }
        uint64_t *row = (uint64_t *)pm;
        for (uint32_t j = 0; j < lq; j++, row += 8) {
            __m512i c = _mm512_set1_epi8((char)q[j]);
            for (int z = 0; z < 8; z++) row[z] = _mm512_cmpeq_epi8_mask(s[z], c);
        }
        __m512i mcnt, th, pre;
        jv_group8(tab, pm, ident, lq, lenv, &mcnt, &th, &pre);

        /* Scores of the previous group now (latency hiding, as in run16). */
        if (pend) jv_run8_emit(lq, pl, pm_, pt, pp, o, pat);
        pend = 1;
        pl = lenv, pm_ = mcnt, pt = th, pp = pre, pat = base + g;
    }
    if (pend) jv_run8_emit(lq, pl, pm_, pt, pp, o, pat);
    return g;
}

/* Outputs of one run group of 32 (first candidate at `at`). */
static inline __attribute__((always_inline)) void jv_run16_emit(uint32_t lq, __m512i lenv, __m512i mcnt, __m512i th, __m512i pre,
                                 const nm_jv_out *o, size_t at) {
    if (o->parts) {
        jv_store_parts(o->parts + at, lq, lenv, mcnt, th, pre, 16);
    } else if (lq <= 32) {
        jv_finish_w32(lq, lenv, mcnt, th, pre, o, o->jw ? o->jw + at : NULL, o->jw ? NULL : o->level + at);
    } else {
        double sa[32] __attribute__((aligned(64)));
        uint8_t lv[32] __attribute__((aligned(64)));
        const __m512i la = _mm512_set1_epi32((int)lq);
#define JV_HALF(v, h) _mm512_cvtepu16_epi32(h ? _mm512_extracti64x4_epi64((v), 1) : _mm512_castsi512_si256(v))
        jv_finish_x16(la, JV_HALF(lenv, 0), JV_HALF(mcnt, 0), JV_HALF(th, 0), JV_HALF(pre, 0), o, sa, lv);
        jv_finish_x16(la, JV_HALF(lenv, 1), JV_HALF(mcnt, 1), JV_HALF(th, 1), JV_HALF(pre, 1), o, sa + 16, lv + 16);
#undef JV_HALF
        if (o->jw) memcpy(o->jw + at, sa, sizeof sa);
        else memcpy(o->level + at, lv, sizeof lv);
    }
}

/* Lengths of the 32 candidates of a run group as 16-bit lanes, or 0 when
 * one is longer than 16 bytes. */
static inline int jv_run16_lengths(const uint32_t *of, __m512i *lenv) {
    __m512i l0 = _mm512_sub_epi32(_mm512_loadu_si512(of + 1), _mm512_loadu_si512(of));
    __m512i l1 = _mm512_sub_epi32(_mm512_loadu_si512(of + 17), _mm512_loadu_si512(of + 16));
    const __m512i sixteen = _mm512_set1_epi32(16);
    if (_mm512_cmpgt_epu32_mask(l0, sixteen) | _mm512_cmpgt_epu32_mask(l1, sixteen)) return 0;
    *lenv = _mm512_inserti64x4(_mm512_castsi256_si512(_mm512_cvtepi32_epi16(l0)), _mm512_cvtepi32_epi16(l1), 1);
    return 1;
}

/* One group of 32 16-bit lanes of lengths lenv: matches, half
 * transpositions and common prefix from the rows pm[c->ix[j]] (ix4: the
 * rows of query bytes 0-3, a zero row past lq). */
static inline void jv_group16(const jv_core16_ctx *c, const __m512i *pm, const uint16_t *ix4, uint32_t lq,
                              __m512i lenv, __m512i *m_out, __m512i *th_out, __m512i *pre_out) {
    const __m512i one = _mm512_set1_epi16(1), ones = _mm512_set1_epi16(-1);
    /* r = max(floor(max(lc, lq) / 2) - 1, 0); positions past the length
     * start out taken (lenmask = bits below lc). */
    __m512i rv = _mm512_subs_epu16(_mm512_srli_epi16(_mm512_max_epu16(lenv, _mm512_set1_epi16((short)lq)), 1), one);
    __m512i lenmask = _mm512_andnot_si512(_mm512_sllv_epi16(ones, lenv), ones);
    jv_v16 mv, tv;
    jv_core16(c, pm, lq, (jv_v16)rv, (jv_v16)lenmask, &mv, &tv);
    *m_out = (__m512i)mv;
    *th_out = _mm512_srli_epi16((__m512i)tv, 1);
    /* 16-bit lanes: the high byte of each lane must not feed vpshufb. */
    *pre_out = jv_prefix4v(pm[ix4[0]], pm[ix4[1]], pm[ix4[2]], pm[ix4[3]],
                           _mm512_and_si512(lenmask, _mm512_set1_epi16(0x0F)));
}

/* Runs of candidates <= 16 bytes in 16-bit lanes: the template's run mode,
 * specialized with intrinsics end to end (lengths packed straight into
 * lanes, no per-lane arrays), for the common name block. Software-pipelined:
 * the rows of the next group are built (compare masks stored as 64-bit
 * pieces) before the current group's matching loads its rows, so those
 * loads never wait on the just-issued narrow stores (a wide load cannot be
 * forwarded from several narrow stores and stalls until they retire). */
size_t nm_jv_run16_avx512(const uint8_t *q, uint32_t lq, const char *bytes, const char *end,
                          const uint32_t *offsets, size_t base, size_t cnt, const nm_jv_out *o) {
    if (lq > NM_JV_MAX_QUERY || cnt < 32) return 0;
    const uint8_t *b8 = (const uint8_t *)bytes, *e8 = (const uint8_t *)end;
    jv_core16_ctx core;
    jv_core16_prep(&core, lq);
    /* Rows only for the query's distinct bytes (names repeat letters; each
     * row costs 16 instructions per group); core.ix maps query positions to
     * rows, positions past lq < 4 to the zero row ZR. */
    enum { ZR = NM_JV_MAX_QUERY };
    __m512i pm[2][NM_JV_MAX_QUERY + 1];
    pm[0][ZR] = pm[1][ZR] = _mm512_setzero_si512();
    uint8_t dq[NM_JV_MAX_QUERY];
    uint32_t nd = 0;
    for (uint32_t j = 0; j < lq; j++) {
        uint32_t k = 0;
        while (k < nd && dq[k] != q[j]) k++;
        if (k == nd) dq[nd++] = q[j];
        core.ix[j] = (uint16_t)k;
    }
    uint16_t ix4[4];
    for (uint32_t j = 0; j < 4; j++) ix4[j] = j < lq ? core.ix[j] : (uint16_t)ZR;
    __m512i lenv, lenv_next;
    const uint32_t *of0 = offsets + base;
    if (!jv_run16_lengths(of0, &lenv)) return 0;
    jv_pm_build(b8, of0, (size_t)(e8 - (b8 + of0[31])) >= 16, e8, 16, dq, nd, pm[0]);
    size_t g = 0, pat = 0;
    int pend = 0;
    __m512i pl = lenv, pm_ = lenv, pt = lenv, pp = lenv; /* the group awaiting its scores */
    for (int cur = 0;; cur ^= 1) {
        const uint32_t *of = offsets + base + g;
        int next = g + 64 <= cnt && jv_run16_lengths(of + 32, &lenv_next);
        if (next) jv_pm_build(b8, of + 32, (size_t)(e8 - (b8 + of[63])) >= 16, e8, 16, dq, nd, pm[cur ^ 1]);
        const __m512i *pc = pm[cur];
        __m512i mcnt, th, pre;
        jv_group16(&core, pc, ix4, lq, lenv, &mcnt, &th, &pre);
        /* Scores of the previous group now, so that their long dependency
         * chain (multiplies, division) overlaps this group's matching. */
        if (pend) jv_run16_emit(lq, pl, pm_, pt, pp, o, pat);
        pend = 1;
        pl = lenv, pm_ = mcnt, pt = th, pp = pre, pat = base + g;
        g += 32;
        if (!next) break;
        lenv = lenv_next;
    }
    if (pend) jv_run16_emit(lq, pl, pm_, pt, pp, o, pat);
    return g;
}

/* ---------------- prepared blocks (jaro_block.c) ----------------
 * The same group computations on rows loaded from the prepared block (no
 * slot loads, no row building), and each group's outputs scattered to the
 * candidates' original indexes. */
typedef void jv_emit_fn(uint32_t lq, __m512i lenv, __m512i mcnt, __m512i th, __m512i pre, const nm_jv_out *o,
                        size_t at);

/* Outputs of a group into local arrays by `emit`, then to o->...[orig[z]]
 * for its k real lanes: levels by windows of 16 original indexes (expand
 * the window's values to their positions, masked byte store; masked-off
 * bytes are neither written nor faulted), scores and parts one by one. */
static inline void jv_block_emit(jv_emit_fn *emit, uint32_t lq, __m512i lenv, __m512i mcnt, __m512i th,
                                 __m512i pre, const nm_jv_out *o, const uint32_t *orig, size_t k,
                                 const nm_jv_win *w, const nm_jv_win *wend) {
    union {
        nm_jaro_parts p[64];
        double d[64];
        uint8_t l[64 + 16];
    } t;
    nm_jv_out lo = *o;
    lo.parts = o->parts ? t.p : NULL;
    lo.jw = o->jw ? t.d : NULL;
    lo.level = o->parts || o->jw ? NULL : t.l;
    emit(lq, lenv, mcnt, th, pre, &lo, 0);
    if (o->jw) {
        /* (Windows measured no faster for 8-byte scores: two masked 512-bit
         * stores per window cost as much as the scalar stores.) */
        for (size_t z = 0; z < k; z++) o->jw[orig[z]] = t.d[z];
    } else if (o->parts) {
        for (size_t z = 0; z < k; z++) o->parts[orig[z]] = t.p[z];
    } else {
        for (; w < wend; w++) {
            __m512i v = _mm512_cvtepu8_epi32(_mm_loadu_si128((const __m128i *)(t.l + w->lane)));
            _mm_mask_storeu_epi8(o->level + w->base, w->mask, _mm512_cvtepi32_epi8(_mm512_maskz_expand_epi32(w->mask, v)));
        }
    }
}

/* All groups of a class, lw = 8 (64 byte lanes, tab from jv_tab8_build)
 * or 16 (32 16-bit lanes, core prepared with the query's rows): each
 * group's outputs are written after the next group's matching (latency
 * hiding, as in the run kernels). ix[j] = row of query byte j, 0 past lq. */
static inline __attribute__((always_inline)) void jv_block_groups(int lw, const __m512i *tab,
                                                                  const jv_core16_ctx *core, const uint16_t *ix,
                                                                  uint32_t lq, const nm_jv_groups *g, uint32_t nrow,
                                                                  const nm_jv_out *o) {
    const size_t lanes = lw == 8 ? 64 : 32;
    jv_emit_fn *emit = lw == 8 ? jv_run8_emit : jv_run16_emit;
    const __m512i zero = _mm512_setzero_si512();
    __m512i pl = zero, pm_ = zero, pt = zero, pp = zero; /* the group awaiting its outputs */
    for (size_t k = 0; k < g->ngroups; k++) {
        const __m512i *rows = (const __m512i *)(g->rows + k * nrow * NM_JV_ROW);
        __m512i lenv = _mm512_load_si512(g->len + k * NM_JV_ROW), mcnt, th, pre;
        if (lw == 8) jv_group8(tab, rows, ix, lq, lenv, &mcnt, &th, &pre);
        else jv_group16(core, rows, ix, lq, lenv, &mcnt, &th, &pre);
        if (k)
            jv_block_emit(emit, lq, pl, pm_, pt, pp, o, g->orig + (k - 1) * lanes, lanes, g->win + g->wfirst[k - 1],
                          g->win + g->wfirst[k]);
        pl = lenv, pm_ = mcnt, pt = th, pp = pre;
    }
    size_t last = g->ngroups - 1;
    if (g->ngroups)
        jv_block_emit(emit, lq, pl, pm_, pt, pp, o, g->orig + last * lanes, g->count - last * lanes,
                      g->win + g->wfirst[last], g->win + g->wfirst[last + 1]);
}

void nm_jv_block8_avx512(const uint8_t *q, uint32_t lq, const uint16_t *qs, const nm_jv_groups *g, uint32_t nrow,
                         const nm_jv_out *o) {
    (void)q;
    __m512i tab[32];
    jv_tab8_build(lq, tab);
    uint16_t ix[32];
    for (uint32_t j = 0; j < 32; j++) ix[j] = j < lq ? qs[j] : 0;
    jv_block_groups(8, tab, NULL, ix, lq, g, nrow, o);
}

void nm_jv_block16_avx512(const uint8_t *q, uint32_t lq, const uint16_t *qs, const nm_jv_groups *g,
                          uint32_t nrow, const nm_jv_out *o) {
    (void)q;
    jv_core16_ctx core;
    jv_core16_prep(&core, lq);
    uint16_t ix[4];
    for (uint32_t j = 0; j < lq; j++) core.ix[j] = qs[j];
    for (uint32_t j = 0; j < 4; j++) ix[j] = j < lq ? qs[j] : 0;
    jv_block_groups(16, NULL, &core, ix, lq, g, nrow, o);
}
