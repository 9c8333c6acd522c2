/* Radix sorts for hashed keys (LSD, 16-bit digits, stable): index building
 * and term-frequency tables sort tens of millions of 64-bit hashes, where a
 * comparison sort would dominate the registry load. */
#ifndef NM_INDEX_SORT_H
#define NM_INDEX_SORT_H

#include <stddef.h>
#include <stdint.h>

/* A blocking key of one registry row. */
typedef struct nm_keyrow {
    uint64_t key;
    uint32_t row;
} nm_keyrow;

/* Sort ascending in place (scratch allocated inside). 0 or NM_E_NOMEM. */
int nm_sort_u64(uint64_t *a, size_t n);
/* Stable sort by key: rows added in ascending order stay ascending within a key. */
int nm_sort_keyrow(nm_keyrow *a, size_t n);

#endif
