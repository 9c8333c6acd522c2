/* Candidate generation (candidates.h). */
#include "block/candidates.h"
#include <stdlib.h>
#include <string.h>
#include "index/keys.h"

int nm_cands_init(nm_cands *c, size_t nref) {
    memset(c, 0, sizeof *c);
    c->stamp = calloc(nref ? nref : 1, sizeof *c->stamp);
    c->nref = nref;
    return c->stamp ? 0 : NM_E_NOMEM;
}

void nm_cands_free(nm_cands *c) {
    free(c->stamp);
    NM_VEC_FREE(&c->rows);
    NM_VEC_FREE(&c->rule);
    memset(c, 0, sizeof *c);
}

int nm_cands_find(nm_cands *c, const nm_index *ix, const nm_rtable *qt, size_t q, uint32_t cap, uint64_t *rule_pairs,
                  uint64_t *skipped) {
    c->rows.n = c->rule.n = 0;
    if (++c->epoch == 0) {   /* wrapped: old stamps could collide */
        memset(c->stamp, 0, c->nref * sizeof *c->stamp);
        c->epoch = 1;
    }
    uint64_t keys[NM_KEYS_MAX];
    for (size_t ri = 0; ri < ix->nrules; ri++) {
        size_t nk = nm_block_keys(qt, q, ix->r[ri].rule, (unsigned)ri, keys);
        for (size_t k = 0; k < nk; k++) {
            const uint32_t *rows;
            size_t n = nm_index_lookup(ix, ri, keys[k], &rows);
            if (!n) continue;
            if (n > cap) {
                if (skipped) skipped[ri]++;
                continue;
            }
            if (NM_VEC_RESERVE(&c->rows, c->rows.n + n) || NM_VEC_RESERVE(&c->rule, c->rule.n + n)) return NM_E_NOMEM;
            for (size_t i = 0; i < n && c->rows.n < NM_CAND_MAX; i++) {
                uint32_t r = rows[i];
                if (c->stamp[r] == c->epoch) continue;
                c->stamp[r] = c->epoch;
                c->rows.v[c->rows.n++] = r;
                c->rule.v[c->rule.n++] = (uint8_t)ri;
                if (rule_pairs) rule_pairs[ri]++;
            }
        }
    }
    return 0;
}
