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

/* The whole-batch driver of jaro_batch.c (the SIMD level read once). */
void nm_jv_batch_run(const char *q, size_t lq, const char *bytes, const uint32_t *offsets, size_t n,
                     const nm_jv_out *o);
/* The candidates idx[0..cnt) (ascending) of a batch, on level lvl (> scalar,
 * lq <= NM_JV_MAX_QUERY), sorted into lane classes; longer than 64 bytes
 * go to the scalar reference. */
void nm_jv_batch_list(int lvl, const char *q, size_t lq, const char *bytes, const uint32_t *offsets, size_t n,
                      const uint32_t *idx, size_t cnt, const nm_jv_out *o);

/* A prepared block (jaro_block.c): the candidates of at most 16 bytes in
 * groups of lanes (64 byte lanes for <= 8 bytes, 32 16-bit lanes for 9-16),
 * each group stored as its pattern-match rows: row s holds, lane by lane, a
 * bit per candidate position whose byte has symbol s (row 0, the symbol of
 * bytes no candidate of the block has, is all zeros). A query then loads
 * rows instead of building them from the candidates' bytes. */
#define NM_JV_ROW 64 /* bytes per row (one 512-bit vector) */
typedef struct nm_jv_groups {
    size_t ngroups;        /* groups of `lanes` candidates, the last one padded */
    size_t count;          /* real candidates; padding lanes have length 0 */
    const uint8_t *rows;   /* ngroups * nrow rows of NM_JV_ROW bytes, 64-aligned */
    const uint8_t *len;    /* per group NM_JV_ROW bytes: lane lengths (8- or 16-bit) */
    const uint32_t *orig;  /* per group `lanes` original candidate indexes */
    /* The group's levels by windows of 16 consecutive original indexes
     * (vector expand + masked store instead of one store per candidate):
     * windows wfirst[k] .. wfirst[k+1]-1 of group k, in ascending order. */
    const uint32_t *wfirst;
    const struct nm_jv_win *win;
} nm_jv_groups;
typedef struct nm_jv_win {
    uint32_t base;  /* first original index of the window (a multiple of 16) */
    uint16_t mask;  /* bit i: original index base + i is in the group */
    uint16_t lane;  /* group lane of the window's first candidate */
} nm_jv_win;

/* AVX-512 kernels over prepared groups: qs[j] is the row of query byte j
 * (0 when no candidate has it), nrow rows per group; results go to
 * o->...[orig]. block8: 64 byte lanes, 1 <= lq <= 32; block16: 32 16-bit
 * lanes, 1 <= lq <= NM_JV_MAX_QUERY. */
void nm_jv_block8_avx512(const uint8_t *q, uint32_t lq, const uint16_t *qs, const nm_jv_groups *g, uint32_t nrow,
                         const nm_jv_out *o);
void nm_jv_block16_avx512(const uint8_t *q, uint32_t lq, const uint16_t *qs, const nm_jv_groups *g,
                          uint32_t nrow, const nm_jv_out *o);

#endif
