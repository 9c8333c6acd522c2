/* Internal interface between the Jaro-Winkler batch dispatcher
 * (jaro_batch.c) and its SIMD kernels (jaro_avx2.c, jaro_avx512.c).
 *
 * The kernels put candidates side by side in SIMD lanes of 16, 32 or 64
 * bits (one bit per candidate byte: candidates of up to 16, 32 or 64 bytes)
 * and stream the query (up to NM_JV_MAX_QUERY bytes) through them. The
 * dispatcher sorts candidates into those lane classes once per batch and
 * sends longer ones, and every pair of a longer query, to the scalar
 * reference. */
#ifndef NM_COMPARE_JARO_INTERNAL_H
#define NM_COMPARE_JARO_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include "npimatch/compare.h"

#define NM_JV_MAX_QUERY 64

/* What a batch returns; exactly one of parts / jw / level is non-NULL. */
typedef struct nm_jv_out {
    nm_jaro_parts *parts;
    double *jw;
    uint8_t *level;
    const uint8_t *thr; /* level thresholds in percent, nthr of them */
    int nthr;
} nm_jv_out;

/* Exact JW as num / den (see jaro.c), for lengths <= 64: every term fits in
 * 32 bits (N <= 786,432; den <= 30 * 64^3; thr * den < 2^32 for thr <= 255).
 * Written branch-free so that loops over lanes vectorize. m = 0 gives
 * num = 0, den = 1. */
static inline void nm_jv_numden(uint32_t la, uint32_t lb, uint32_t m, uint32_t th, uint32_t l, uint32_t *num,
                                uint32_t *den) {
    uint32_t d = la * lb * m;
    uint32_t n = m * m * (la + lb) + (m - th) * la * lb;
    uint32_t boosted = (10 - l) * n + 3 * l * d;
    *num = 10 * n > 21 * d ? boosted : 10 * n;
    *den = m ? 30 * d : 1;
}

/* First threshold index reached, or nthr: 100 num >= thr den, and a score of
 * 0 (m = 0) reaches only a threshold of 0. Same decision as nm_jw_at_least. */
static inline uint8_t nm_jv_level(uint32_t m, uint32_t num, uint32_t den, const uint8_t *thr, int nthr) {
    for (int k = 0; k < nthr; k++)
        if (m ? 100u * num >= (uint32_t)thr[k] * den : thr[k] == 0) return (uint8_t)k;
    return (uint8_t)nthr;
}

/* Kernels: the candidates idx[0..cnt) of the batch (ascending), or when idx
 * is NULL the run base .. base+cnt-1 in full groups of lanes, stopping before
 * the first group with a candidate longer than lw bytes. All candidates of a
 * list are at most lw bytes (lw = 16, 32 or 64); lq <= NM_JV_MAX_QUERY.
 * `end` is one past the batch's last byte (loads never pass it). Results go
 * to o->...[candidate]. Returns the number of candidates done. */
typedef size_t nm_jv_kernel_fn(const uint8_t *q, uint32_t lq, const char *bytes, const char *end,
                               const uint32_t *offsets, const uint32_t *idx, size_t base, size_t cnt, int lw,
                               const nm_jv_out *o);
nm_jv_kernel_fn nm_jv_lanes_avx2;
nm_jv_kernel_fn nm_jv_lanes_avx512;

/* AVX-512 only: the run base .. base+cnt-1 in groups of 64 candidates of at
 * most 8 bytes in 8-bit lanes (lq <= 32), stopping before the first group
 * that is short or holds a longer candidate. Returns the number done. */
size_t nm_jv_run8_avx512(const uint8_t *q, uint32_t lq, const char *bytes, const char *end,
                         const uint32_t *offsets, size_t base, size_t cnt, const nm_jv_out *o);
/* AVX-512 only: the same for groups of 32 candidates of at most 16 bytes in
 * 16-bit lanes (lq <= NM_JV_MAX_QUERY). */
size_t nm_jv_run16_avx512(const uint8_t *q, uint32_t lq, const char *bytes, const char *end,
                          const uint32_t *offsets, size_t base, size_t cnt, const nm_jv_out *o);

#endif
