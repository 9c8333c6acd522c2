/* Token-set Jaccard similarity for organization names: |A n B| / |A u B|
 * over the sets of tokens separated by spaces (any byte <= ' ' separates;
 * punctuation stays part of its token, as in jellyfish's word Jaccard).
 *
 * Each token is reduced to a 64-bit XXH3 hash; the hash lists are sorted,
 * de-duplicated and merged. A collision between two different tokens has
 * probability ~2^-64 per pair. At most NM_JACCARD_MAX_TOKENS tokens per side
 * are considered (organization names have a handful), which keeps the work
 * on the stack and bounded for any input. */
#include <stdint.h>
#include "common/hash.h"
#include "npimatch/compare.h"

#define NM_JACCARD_MAX_TOKENS 128

static size_t token_hashes(const char *s, size_t n, uint64_t *h) {
    size_t k = 0, i = 0;
    while (i < n && k < NM_JACCARD_MAX_TOKENS) {
        while (i < n && (unsigned char)s[i] <= ' ') i++;
        size_t st = i;
        while (i < n && (unsigned char)s[i] > ' ') i++;
        if (i > st) h[k++] = nm_hash64(s + st, i - st, 0);
    }
    /* Insertion sort: token counts are small. */
    for (size_t a = 1; a < k; a++) {
        uint64_t v = h[a];
        size_t b = a;
        while (b > 0 && h[b - 1] > v) h[b] = h[b - 1], b--;
        h[b] = v;
    }
    size_t u = 0;
    for (size_t a = 0; a < k; a++)
        if (u == 0 || h[u - 1] != h[a]) h[u++] = h[a];
    return u;
}

double nm_token_jaccard(const char *a, size_t la, const char *b, size_t lb) {
    uint64_t ha[NM_JACCARD_MAX_TOKENS], hb[NM_JACCARD_MAX_TOKENS];
    size_t na = token_hashes(a, la, ha), nb = token_hashes(b, lb, hb);
    if (na + nb == 0) return 0.0;
    size_t i = 0, j = 0, inter = 0;
    while (i < na && j < nb) {
        if (ha[i] == hb[j]) inter++, i++, j++;
        else if (ha[i] < hb[j]) i++;
        else j++;
    }
    return (double)inter / (double)(na + nb - inter);
}
