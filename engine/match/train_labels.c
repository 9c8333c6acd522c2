/* Labelled training pairs (train_labels.h). */
#include "match/train_labels.h"
#include <stdlib.h>
#include <string.h>
#include "common/error_internal.h"
#include "common/hash.h"

int64_t nm_idmap_find(const nm_idmap *im, const char *id, size_t n) {
    for (size_t h = (size_t)nm_hash64(id, n, 7) & im->mask; im->slot[h]; h = (h + 1) & im->mask) {
        uint32_t len;
        const char *s = nm_input_id(im->in, im->slot[h] - 1, &len);
        if (len == n && !memcmp(s, id, n)) return (int64_t)im->slot[h] - 1;
    }
    return -1;
}

int nm_idmap_build(nm_idmap *im, const nm_input *in) {
    size_t ns = 16;
    while (ns < 2 * in->t.n + 2) ns *= 2;   /* load <= 1/2 keeps probes short */
    im->in = in, im->mask = ns - 1;
    if (!(im->slot = calloc(ns, sizeof *im->slot))) return NM_E_NOMEM;
    for (size_t i = 0; i < in->t.n; i++) {
        uint32_t len;
        const char *id = nm_input_id(in, i, &len);
        if (!len || in->reason.v[i] != NM_R_COUNT || nm_idmap_find(im, id, len) >= 0) continue;   /* first wins */
        size_t h = (size_t)nm_hash64(id, len, 7) & im->mask;
        while (im->slot[h]) h = (h + 1) & im->mask;
        im->slot[h] = (uint32_t)i + 1;
    }
    return 0;
}

void nm_idmap_free(nm_idmap *im) {
    free(im->slot);
    im->slot = NULL;
}

int nm_labelled_add(nm_labelled *l, uint32_t q, uint32_t r, int is_match) {
    size_t nc = l->mt->plan.ncomp;
    if (NM_VEC_RESERVE(&l->vecs, l->vecs.n + nc) || NM_VEC_PUSH(&l->is_match, (uint8_t)is_match)) return NM_E_NOMEM;
    NM_TRY(nm_compare_pairs(l->mt->m, &l->mt->plan, l->qt, q, &l->mt->rows, &r, 1, l->cs, l->vecs.v + l->vecs.n));
    l->vecs.n += nc;
    return 0;
}

int nm_labelled_fit(nm_labelled *l, int rc, nm_model *out, nm_err *err) {
    if (!rc) rc = nm_train_supervised(out, l->vecs.v, l->is_match.v, l->is_match.n, 0, err);
    if (rc == NM_E_NOMEM) nm_err_set(err, rc, "train: out of memory");
    NM_VEC_FREE(&l->vecs);
    NM_VEC_FREE(&l->is_match);
    return rc;
}
