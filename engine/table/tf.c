/* Term frequencies from the registry (Splink, "term frequency adjustments"):
 * the share of the registry's values of a field equal to the query's value.
 * Stored as sorted distinct hashes with counts: memory grows with the
 * number of distinct values, lookup is a binary search once per query. */
#include <stdlib.h>
#include <string.h>
#include "common/hash.h"
#include "index/sort.h"
#include "table/tables.h"

#define TF_SEED 0x7466u

int nm_tf_build(nm_tf *tf, const nm_rtable *t, size_t f) {
    memset(tf, 0, sizeof *tf);
    const nm_rcol *c = &t->col[f];
    size_t nv = c->voff.n - 1, k = 0;
    uint64_t *h = malloc((nv ? nv : 1) * sizeof *h);
    if (!h) return NM_E_NOMEM;
    for (size_t v = 0; v < nv; v++) {
        uint32_t len = c->voff.v[v + 1] - c->voff.v[v];
        if (len) h[k++] = nm_hash64(c->bytes.data + c->voff.v[v], len, TF_SEED);
    }
    if (nm_sort_u64(h, k)) {
        free(h);
        return NM_E_NOMEM;
    }
    uint32_t *cnt = malloc((k ? k : 1) * sizeof *cnt);
    if (!cnt) {
        free(h);
        return NM_E_NOMEM;
    }
    size_t d = 0;
    for (size_t i = 0; i < k; i++) {
        if (d && h[d - 1] == h[i]) {
            cnt[d - 1]++;
            continue;
        }
        h[d] = h[i];
        cnt[d++] = 1;
    }
    tf->hash = h;
    tf->count = cnt;
    tf->n = d;
    tf->total = k;
    return 0;
}

double nm_tf_lookup(const nm_tf *tf, const char *v, size_t n) {
    if (!n || !tf->n) return 0;
    uint64_t h = nm_hash64(v, n, TF_SEED);
    size_t lo = 0, hi = tf->n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (tf->hash[mid] < h) lo = mid + 1;
        else hi = mid;
    }
    if (lo == tf->n || tf->hash[lo] != h) return 0;
    return (double)tf->count[lo] / (double)tf->total;
}

void nm_tf_free(nm_tf *tf) {
    free(tf->hash);
    free(tf->count);
    memset(tf, 0, sizeof *tf);
}
