/* XXH3 for blocking keys and checksums. Keys are short (< 240 bytes), where
 * XXH3 takes its scalar paths, so inlining beats dispatch (xxHash docs). */
#ifndef NM_HASH_H
#define NM_HASH_H

#define XXH_INLINE_ALL
#include <xxhash.h>

static inline uint64_t nm_hash64(const void *p, size_t n, uint64_t seed) {
    return XXH3_64bits_withSeed(p, n, seed);
}

#endif
