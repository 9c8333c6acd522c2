/* The precomputed weight table behind nm_score: one double per (comparison,
 * level), padded to NM_MAX_LEVELS so a pair's weight is prior + a sum of
 * lookups at t->w[c * NM_MAX_LEVELS + level]. The compare/match stages use
 * nm_weights_sum directly in their loops. Summation order is fixed (model
 * comparison order), so a score is bit-identical on every path. */
#ifndef NM_SCORE_H
#define NM_SCORE_H

#include <stdint.h>
#include "npimatch/model.h"

typedef struct nm_weight_table {
    double prior;                                        /* log2(lambda/(1-lambda)) */
    uint32_t ncomp;
    uint64_t tf_comparisons;                             /* bit c: some level of c has tf */
    double w[NM_MAX_COMPARISONS * NM_MAX_LEVELS];        /* log2(m/u), 0 for null */
    double log2u[NM_MAX_COMPARISONS * NM_MAX_LEVELS];    /* log2(u), for TF terms */
    double tf_min_u[NM_MAX_COMPARISONS];
} nm_weight_table;

/* Fill the table from the comparisons' m/u and lambda. */
void nm_weights_build(nm_weight_table *t, double lambda, const nm_comparison *comps, size_t ncomp);

/* The table of a model (valid until the model changes or is freed). */
const nm_weight_table *nm_model_weights(const nm_model *m);

/* A copy of the model's table with TF terms folded in for one query's
 * frequencies `tf` (one per comparison): in one-against-many matching the
 * query's values, hence their frequencies, are the same for every candidate. */
void nm_weights_with_tf(const nm_model *m, const double *tf, nm_weight_table *out);

static inline double nm_weights_sum(const nm_weight_table *t, const uint8_t *levels) {
    double s = t->prior;
    for (uint32_t c = 0; c < t->ncomp; c++) s += t->w[c * NM_MAX_LEVELS + levels[c]];
    return s;
}

#endif
