/* The nm_model object (opaque in the public API), shared by model.c (load,
 * validate), model_save.c, score.c (weights, explanations) and em.c (training). */
#ifndef NM_MODEL_INTERNAL_H
#define NM_MODEL_INTERNAL_H

#include "common/arena.h"
#include "npimatch/model.h"
#include "score/score.h"

struct nm_model {
    nm_arena arena;               /* every string and array below */
    const char *name, *description;
    int dedupe;
    const char *id_column;      /* "id_column": input column of record ids, or NULL */
    double lambda;
    size_t n_fields, n_comparisons, n_blocking, n_training, n_rules;
    nm_field *fields;
    nm_comparison *comparisons;
    nm_blocking_rule *blocking, *training;
    nm_rule *rules;
    nm_thresholds thresholds;     /* thresholds.guards points into the arena */
    nm_weight_table weights;
};

/* The predicate of a level as written in model files ("jw>=92"). */
void nm_predicate_text(const nm_level *l, char *buf, size_t cap);
/* Name of an nm_normalizer value ("?" when out of range). */
const char *nm_normalizer_name(unsigned n);

/* Recompute m->weights after a change of m/u/lambda. */
static inline void nm_model_refresh(nm_model *m) {
    nm_weights_build(&m->weights, m->lambda, m->comparisons, m->n_comparisons);
}

#endif
