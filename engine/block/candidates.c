/* Candidate generation (candidates.h). */
#include "block/candidates.h"
#include <stdlib.h>
#include <string.h>
#include "common/error_internal.h"
#include "index/keys.h"

static int alloc_slots(nm_cands *c, size_t n) {
    uint32_t *r = calloc(n, sizeof *r), *e = calloc(n, sizeof *e);
    if (!r || !e) {
        free(r);
        free(e);
        return NM_E_NOMEM;
    }
    free(c->slot_row);
    free(c->slot_epoch);
    c->slot_row = r;
    c->slot_epoch = e;
    c->nslots = n;
    c->epoch = 0;
    return 0;
}

int nm_cands_init(nm_cands *c, size_t nref) {
    (void)nref;
    memset(c, 0, sizeof *c);
    return alloc_slots(c, 1024);
}

void nm_cands_free(nm_cands *c) {
    free(c->slot_row);
    free(c->slot_epoch);
    NM_VEC_FREE(&c->rows);
    NM_VEC_FREE(&c->rule);
    memset(c, 0, sizeof *c);
}

/* Insert row; 1 if new, 0 if already a candidate of this query. */
static inline int insert(nm_cands *c, uint32_t row) {
    size_t mask = c->nslots - 1, h = (size_t)((row * 0x9E3779B97F4A7C15ull) >> 40) & mask;
    while (c->slot_epoch[h] == c->epoch) {
        if (c->slot_row[h] == row) return 0;
        h = (h + 1) & mask;
    }
    c->slot_epoch[h] = c->epoch;
    c->slot_row[h] = row;
    return 1;
}

static int new_epoch(nm_cands *c) {
    if (++c->epoch == 0) {   /* wrapped: old stamps could collide */
        memset(c->slot_epoch, 0, c->nslots * sizeof *c->slot_epoch);
        c->epoch = 1;
    }
    return 0;
}

/* Keep the set under half full: a bigger table, the current candidates re-inserted. */
static int grow(nm_cands *c, size_t need) {
    size_t n = c->nslots;
    while (n < 2 * need) n *= 2;
    if (n == c->nslots) return 0;
    NM_TRY(alloc_slots(c, n));
    new_epoch(c);
    for (size_t i = 0; i < c->rows.n; i++) insert(c, c->rows.v[i]);
    return 0;
}

int nm_cands_find(nm_cands *c, const nm_index *ix, const nm_rtable *qt, size_t q, uint32_t cap, uint64_t *rule_pairs,
                  uint64_t *skipped) {
    c->rows.n = c->rule.n = 0;
    new_epoch(c);
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
            if (NM_VEC_RESERVE(&c->rows, c->rows.n + n) || NM_VEC_RESERVE(&c->rule, c->rule.n + n) ||
                grow(c, c->rows.n + n))
                return NM_E_NOMEM;
            for (size_t i = 0; i < n && c->rows.n < NM_CAND_MAX; i++) {
                uint32_t r = rows[i];
                if (!insert(c, r)) continue;
                c->rows.v[c->rows.n++] = r;
                c->rule.v[c->rule.n++] = (uint8_t)ri;
                if (rule_pairs) rule_pairs[ri]++;
            }
        }
    }
    return 0;
}
