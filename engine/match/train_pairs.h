/* Training a model against a registry (npimatch train): the comparison
 * vectors nm_train asks for, produced by the matcher's own stages.
 *  - random pairs (seeded): input record x registry row, for u;
 *  - per training blocking rule: the pairs sharing the rule's key (an index
 *    over the training rules, blocks over the cap skipped), for one EM run
 *    each with the rule's comparisons held fixed (Splink's practice);
 *  - labelled pairs (record_id -> NPI): supervised m, u from random pairs. */
#ifndef NM_MATCH_TRAIN_PAIRS_H
#define NM_MATCH_TRAIN_PAIRS_H

#include "match/matcher.h"

typedef struct nm_train_opts {
    uint64_t seed;
    uint64_t random_pairs;     /* 0: 200000 */
    uint32_t block_cap;        /* 0: the matcher's */
    const char *labels;        /* CSV record_id,npi (NULL: EM) */
} nm_train_opts;

typedef struct nm_train_report {
    uint64_t random_pairs;
    uint64_t rule_pairs[256];  /* per training rule (or [0]: all blocked pairs) */
    uint64_t labelled;
    nm_em_report em[256];
    size_t nruns;
} nm_train_report;

/* Estimate `out` (a copy of the model to train, same fields and
 * comparisons as mt's) from the input records. Deterministic for a seed. */
int nm_train_against_registry(const nm_matcher *mt, const nm_input *in, nm_model *out, const nm_train_opts *o,
                              nm_train_report *rep, nm_err *err);

#endif
