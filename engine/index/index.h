/* Blocking indexes: per blocking rule, XXH3 key -> registry rows, as CSR
 * (sorted distinct keys, offsets, rows ascending within a key) with a
 * directory on the top bits of the key so a lookup is one jump and a short
 * binary search. Built once per registry load, one rule per OpenMP task. */
#ifndef NM_INDEX_INDEX_H
#define NM_INDEX_INDEX_H

#include <stddef.h>
#include <stdint.h>
#include "npimatch/error.h"
#include "table/rows.h"

#define NM_INDEX_TOP 5   /* largest blocks remembered per rule (for --stats) */

typedef struct nm_rule_index {
    const nm_blocking_rule *rule;
    uint64_t *keys;          /* nkeys, ascending */
    uint32_t *start;         /* nkeys + 1 offsets into rows */
    uint32_t *rows;
    size_t nkeys, nrows;
    uint32_t *dir;           /* (1 << dbits) + 1 offsets into keys */
    int dbits;
    uint32_t top[NM_INDEX_TOP];   /* sizes of the largest blocks, descending */
} nm_rule_index;

typedef struct nm_index {
    size_t nrules;
    nm_rule_index *r;
} nm_index;

/* Index the records of row store t under rules[0..nrules) (the rule's
 * position is its hash seed, as in nm_block_keys). threads <= 0: OpenMP default. */
int nm_index_build(nm_index *ix, const nm_rrows *t, const nm_blocking_rule *const *rules, size_t nrules,
                   int threads, nm_err *err);
void nm_index_free(nm_index *ix);
size_t nm_index_bytes(const nm_index *ix);

/* Rows of one key: [*rows, *rows + n); n = 0 when the key is absent. */
static inline size_t nm_index_lookup(const nm_index *ix, size_t rule, uint64_t key, const uint32_t **rows) {
    const nm_rule_index *ri = &ix->r[rule];
    if (!ri->nkeys) return 0;
    uint64_t d = key >> (64 - ri->dbits);
    size_t lo = ri->dir[d], hi = ri->dir[d + 1];
    while (lo < hi) {
        size_t mid = (lo + hi) >> 1;
        if (ri->keys[mid] < key) lo = mid + 1;
        else hi = mid;
    }
    if (lo >= ri->dir[d + 1] || ri->keys[lo] != key) return 0;
    *rows = ri->rows + ri->start[lo];
    return ri->start[lo + 1] - ri->start[lo];
}

#endif
