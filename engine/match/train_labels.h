/* Supervised training from labelled pairs, shared by `train` against a
 * registry (train_pairs.c: labels record_id,npi) and `link`/`dedupe`
 * training (link_train.c: labels left_id,right_id).
 *  - nm_idmap: the input's record ids -> record index, for reading labels;
 *  - nm_labelled: comparison vectors of labelled matches plus seeded random
 *    pairs as the non-matches (among n1 x n2 random pairs nearly all are
 *    non-matches: the same assumption Splink's u estimation makes), then
 *    m and u by counting (nm_train_supervised). */
#ifndef NM_MATCH_TRAIN_LABELS_H
#define NM_MATCH_TRAIN_LABELS_H

#include "match/matcher.h"

typedef struct nm_idmap {
    const nm_input *in;
    uint32_t *slot;            /* record index + 1; 0 = empty */
    size_t mask;
} nm_idmap;

/* Maps the ids of the usable records of `in` (the first of repeated ids
 * wins; rejected rows are left out). NM_E_NOMEM on failure. */
int nm_idmap_build(nm_idmap *im, const nm_input *in);
/* The record with id (id, n), or -1. */
int64_t nm_idmap_find(const nm_idmap *im, const char *id, size_t n);
void nm_idmap_free(nm_idmap *im);

typedef struct nm_labelled {
    const nm_matcher *mt;      /* compares query records of qt against mt's rows */
    const nm_rtable *qt;
    nm_cmp_scratch *cs;
    NM_VEC(uint8_t) vecs;
    NM_VEC(uint8_t) is_match;
} nm_labelled;

/* Adds the comparison vector of (query q, indexed row r) with its label.
 * NM_E_NOMEM or the compare stage's error. */
int nm_labelled_add(nm_labelled *l, uint32_t q, uint32_t r, int is_match);
/* Trains m and u of `out` from the pairs added (unless rc is already an
 * error), then frees them; returns rc or the training error. */
int nm_labelled_fit(nm_labelled *l, int rc, nm_model *out, nm_err *err);

#endif
