/* The compare stage: one query record against its candidate rows, one
 * comparison level per (pair, comparison): a comparison vector per pair.
 *
 * Levels are evaluated in model order and the first predicate that holds
 * wins (npimatch/model.h). Fields are multi-valued: every query value is
 * compared with every candidate value (two-field comparisons pair value i
 * of the first field with value i of the second) and the best level (the
 * first in model order that is not null) is the pair's level. Jaro-Winkler
 * levels are decided for all candidate values at once with the SIMD
 * one-against-many kernel (nm_jw_level_batch), whose exact integer
 * thresholds make every SIMD level give the same vectors. */
#ifndef NM_COMPARE_PAIRS_H
#define NM_COMPARE_PAIRS_H

#include <stddef.h>
#include <stdint.h>
#include "table/rows.h"

/* Per-comparison plan, made once per model. */
typedef struct nm_cmp_plan {
    size_t ncomp;
    struct {
        uint8_t nthr[2];                 /* JW thresholds read per field slot */
        uint8_t thr[2][NM_MAX_LEVELS];   /* descending percents */
        uint8_t jwpos[NM_MAX_LEVELS];    /* a JW level's position in thr of its slot(s) */
        uint8_t best;                    /* first non-null level (stops the search over values) */
        uint8_t empty;                   /* the level of a pair where one side has no value at all */
        uint8_t tj[2];                   /* 1: a token-set level reads this field slot */
    } c[NM_MAX_COMPARISONS];
} nm_cmp_plan;

void nm_cmp_plan_make(const nm_model *m, nm_cmp_plan *p);

/* Per-thread scratch; zero-initialise, free with nm_cmp_scratch_free. */
typedef struct nm_cmp_scratch {
    nm_buf packed;
    NM_VEC(uint32_t) offs;
    NM_VEC(uint8_t) jw[2];       /* [query value * npacked + packed value] */
    /* The candidates' values decoded from the row store, field-major: field
     * f's values of candidate i are fv[f].v[fst[f * (n + 1) + i] ..
     * fst[f * (n + 1) + i + 1]). A comparison's pass over the candidates
     * then reads one contiguous run instead of one line per candidate. */
    nm_vview_vec fv[NM_MAX_FIELDS];
    NM_VEC(uint32_t) fst;
    /* Rows the caller will compare next (its next query's candidates), or
     * none: their records are requested a few at a time between this
     * call's comparisons, so they arrive while it computes and the next
     * gather finds them in cache. Set by the caller, read once per call. */
    const uint32_t *ahead;
    size_t nahead;
} nm_cmp_scratch;
void nm_cmp_scratch_free(nm_cmp_scratch *s);

/* Fill vectors[i * ncomp + c] for candidates rows[0..n) of the row store
 * `ref` against record q of table `qt` (same model). 0 or NM_E_NOMEM. */
int nm_compare_pairs(const nm_model *m, const nm_cmp_plan *plan, const nm_rtable *qt, size_t q, const nm_rrows *ref,
                     const uint32_t *rows, size_t n, nm_cmp_scratch *s, uint8_t *vectors);

#endif
