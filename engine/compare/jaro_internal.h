/* Internal interface between the Jaro-Winkler batch dispatcher
 * (jaro_batch.c) and its SIMD kernels (jaro_avx2.c, jaro_avx512.c).
 *
 * The kernels put candidates side by side in SIMD lanes of 8 (AVX-512
 * only), 16, 32 or 64 bits (one bit per candidate byte: candidates of up to
 * 8, 16, 32 or 64 bytes) and stream the query (up to NM_JV_MAX_QUERY bytes)
 * through them. The dispatcher feeds runs of consecutive short candidates
 * straight to the 8- and 16-bit lanes, sorts the rest into lane classes per
 * chunk, and sends longer candidates, and every pair of a longer query, to
 * the scalar reference. */
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

/* Kernels evaluate JW = num / den exactly as jaro.c does, in 32-bit lanes:
 * for lengths <= 64, N <= 786,432, den = 30 la lb m <= 7,864,320, and
 * 100 num and thr * den (thr <= 255) stay below 2^31, so every product and
 * the signed int-to-double conversions are exact. */

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
