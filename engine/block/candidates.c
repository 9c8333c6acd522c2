/* Candidate generation (candidates.h). */
#include "block/candidates.h"
#include <stdlib.h>
#include <string.h>
#include "common/error_internal.h"
#include "index/keys.h"

static int alloc_slots(nm_cands *c, size_t n) {
    uint64_t *x = calloc(n, sizeof *x);
    if (!x) return NM_E_NOMEM;
    free(c->slot);
    c->slot = x;
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
    free(c->slot);
    NM_VEC_FREE(&c->rows);
    NM_VEC_FREE(&c->rule);
    memset(c, 0, sizeof *c);
}

/* Insert row; 1 if new, 0 if already a candidate of this query. Epoch and
 * row share one 64-bit slot: one cache access per probe. */
static inline int insert(nm_cands *c, uint32_t row) {
    size_t mask = c->nslots - 1, h = (size_t)((row * 0x9E3779B97F4A7C15ull) >> 40) & mask;
    uint64_t want = (uint64_t)c->epoch << 32 | row;
    while (c->slot[h] >> 32 == c->epoch) {
        if (c->slot[h] == want) return 0;
        h = (h + 1) & mask;
    }
    c->slot[h] = want;
    return 1;
}

static int new_epoch(nm_cands *c) {
    if (++c->epoch == 0) {   /* wrapped: old stamps could collide */
        memset(c->slot, 0, c->nslots * sizeof *c->slot);
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

/* A query's keys over all rules are looked up in stages so that the cache
 * misses of different keys overlap (each lookup is a chain of dependent
 * misses: directory, keys, block start, rows, and a 9M-row index is far
 * larger than the cache): every key's directory entry is prefetched, then
 * every key's bucket, then every block's rows. Candidates are still
 * collected in rule and key order, exactly as one lookup after another. */
#define QKEYS 256
typedef struct qkey {
    uint64_t key;
    uint32_t rule, lo, hi;
} qkey;

static int collect(nm_cands *c, const uint32_t *rows, size_t n, size_t ri, uint64_t *rule_pairs) {
    if (NM_VEC_RESERVE(&c->rows, c->rows.n + n) || NM_VEC_RESERVE(&c->rule, c->rule.n + n) || grow(c, c->rows.n + n))
        return NM_E_NOMEM;
    for (size_t i = 0; i < n && c->rows.n < NM_CAND_MAX; i++) {
        uint32_t r = rows[i];
        if (!insert(c, r)) continue;
        if (c->prefetch) __builtin_prefetch(&c->prefetch[r]);
        c->rows.v[c->rows.n++] = r;
        c->rule.v[c->rule.n++] = (uint8_t)ri;
        if (rule_pairs) rule_pairs[ri]++;
    }
    return 0;
}

static int flush(nm_cands *c, const nm_index *ix, qkey *qk, size_t nq, uint32_t cap, uint64_t *rule_pairs,
                 uint64_t *skipped) {
    for (size_t i = 0; i < nq; i++) {
        const nm_rule_index *r = &ix->r[qk[i].rule];
        uint32_t d = qk[i].lo;
        qk[i].lo = r->dir[d];
        qk[i].hi = r->dir[d + 1];
        __builtin_prefetch(&r->keys[qk[i].lo]);
        __builtin_prefetch(&r->start[qk[i].lo]);
    }
    for (size_t i = 0; i < nq; i++) {
        const nm_rule_index *r = &ix->r[qk[i].rule];
        size_t lo = qk[i].lo, hi = qk[i].hi, end = hi;
        while (lo < hi) {
            size_t mid = (lo + hi) >> 1;
            if (r->keys[mid] < qk[i].key) lo = mid + 1;
            else hi = mid;
        }
        if (lo >= end || r->keys[lo] != qk[i].key) {
            qk[i].lo = qk[i].hi = 0;
            continue;
        }
        qk[i].lo = r->start[lo];
        qk[i].hi = r->start[lo + 1];
        if (qk[i].hi - qk[i].lo <= cap) __builtin_prefetch(&r->rows[qk[i].lo]);
    }
    for (size_t i = 0; i < nq; i++) {
        size_t ri = qk[i].rule, n = qk[i].hi - qk[i].lo;
        if (!n) continue;
        if (n > cap) {
            if (skipped) skipped[ri]++;
            continue;
        }
        NM_TRY(collect(c, ix->r[ri].rows + qk[i].lo, n, ri, rule_pairs));
    }
    return 0;
}

int nm_cands_find(nm_cands *c, const nm_index *ix, const nm_rtable *qt, size_t q, uint32_t cap, uint64_t *rule_pairs,
                  uint64_t *skipped) {
    c->rows.n = c->rule.n = 0;
    new_epoch(c);
    uint64_t keys[NM_KEYS_MAX];
    qkey qk[QKEYS];
    size_t nq = 0;
    for (size_t ri = 0; ri < ix->nrules; ri++) {
        const nm_rule_index *r = &ix->r[ri];
        size_t nk = nm_block_keys(qt, q, r->rule, (unsigned)ri, keys);
        if (!r->nkeys) continue;
        if (nq + nk > QKEYS) {   /* a batch full: look it up before this rule's keys */
            NM_TRY(flush(c, ix, qk, nq, cap, rule_pairs, skipped));
            nq = 0;
        }
        for (size_t k = 0; k < nk; k++) {
            uint64_t d = keys[k] >> (64 - r->dbits);
            __builtin_prefetch(&r->dir[d]);
            qk[nq++] = (qkey){keys[k], (uint32_t)ri, (uint32_t)d, 0};
        }
    }
    return flush(c, ix, qk, nq, cap, rule_pairs, skipped);
}
