/* Term frequencies from the registry (Splink, "term frequency adjustments"):
 * the share of the registry's values of a field equal to the query's value.
 * Stored as sorted distinct hashes with counts: memory grows with the
 * number of distinct values, lookup is a binary search once per query. */
#include <stdlib.h>
#include <string.h>
#include "common/error_internal.h"
#include "common/hash.h"
#include "index/sort.h"
#include "table/tables.h"

#define TF_SEED 0x7466u

int nm_tf_build(nm_tf *tf, const nm_rrows *t, size_t f) {
    memset(tf, 0, sizeof *tf);
    size_t cap = t->n + 1024, k = 0;
    uint64_t *h = malloc(cap * sizeof *h);
    nm_vview *v = malloc(4096 * sizeof *v);
    uint32_t fs[NM_MAX_FIELDS + 1];
    if (!h || !v) {
        free(h);
        free(v);
        return NM_E_NOMEM;
    }
    for (size_t r = 0; r < t->n; r++) {
        if (nm_rrows_nvalues(t, r) > 4096) continue;
        nm_rrows_decode(t, r, v, fs);
        for (uint32_t i = fs[f]; i < fs[f + 1]; i++) {
            if (!v[i].len) continue;
            if (k == cap) {
                uint64_t *nh = realloc(h, (cap *= 2) * sizeof *h);
                if (!nh) {
                    free(h);
                    free(v);
                    return NM_E_NOMEM;
                }
                h = nh;
            }
            h[k++] = nm_hash64(v[i].p, v[i].len, TF_SEED);
        }
    }
    free(v);
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
    /* The hashes are uniform over 2^64: the value's rank is about
     * h / 2^64 * n, so start there and widen a window until it brackets h
     * (a couple of cache misses instead of ~log2(n) for a plain binary
     * search over millions of values); then binary search inside. */
    size_t lo = 0, hi = tf->n, g = (size_t)(((unsigned __int128)h * tf->n) >> 64), step = 8;
    for (;;) {
        size_t a = g > step ? g - step : 0, b = NM_MIN(tf->n, g + step);
        if ((a == 0 || tf->hash[a - 1] < h) && (b == tf->n || tf->hash[b] >= h)) {
            lo = a, hi = b;
            break;
        }
        if (a == 0 && b == tf->n) break;
        step *= 4;
    }
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
