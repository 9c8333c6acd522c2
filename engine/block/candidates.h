/* Candidate generation: the registry rows that share a blocking key with a
 * query record, over every blocking rule in order. A row found by several
 * rules is kept once, tagged with the first rule that found it (its
 * match_key); a small epoch-stamped hash set per thread (it stays in cache,
 * unlike a stamp per registry row) makes the dedup O(1) per row with no
 * clearing between queries. Blocks larger than the cap are skipped
 * and counted (a key such as a common surname in a big state would make
 * every query slow and adds little: other rules find the same pairs). */
#ifndef NM_BLOCK_CANDIDATES_H
#define NM_BLOCK_CANDIDATES_H

#include <stddef.h>
#include <stdint.h>
#include "index/index.h"

#define NM_CAND_MAX 50000   /* candidates kept per query (a safety bound; blocks are capped first) */

typedef struct nm_cands {
    uint64_t *slot;                    /* epoch << 32 | row; open addressing, nslots a power of two */
    size_t nslots;
    uint32_t epoch;
    const uint64_t *prefetch;          /* optional: row -> something to prefetch per new candidate (row offsets) */
    NM_VEC(uint32_t) rows;
    NM_VEC(uint8_t) rule;
} nm_cands;

int nm_cands_init(nm_cands *c, size_t nref);
void nm_cands_free(nm_cands *c);
/* Replace c's candidates with those of record q of qt. rule_pairs and
 * skipped (one counter per rule, may be NULL) are incremented. */
int nm_cands_find(nm_cands *c, const nm_index *ix, const nm_rtable *qt, size_t q, uint32_t cap, uint64_t *rule_pairs,
                  uint64_t *skipped);

#endif
