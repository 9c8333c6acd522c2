/* Edit distances between byte strings.
 *
 * Levenshtein and optimal-string-alignment (restricted Damerau) distances
 * use the bit-parallel algorithm of Myers (1999, "A fast bit-vector
 * algorithm for approximate string matching based on dynamic programming")
 * in Hyyro's formulation for global distance, with Hyyro's extension for
 * adjacent transpositions (2003, "A bit-vector algorithm for computing
 * Levenshtein and Damerau edit distances"): when the shorter string fits in
 * one 64-bit word, each byte of the longer string costs a dozen word
 * operations. Longer strings use the row-by-row dynamic programme
 * (nm_levenshtein_dp, nm_osa_dp), which is also the reference the tests hold
 * the bit-parallel kernel equal to.
 *
 * Bound convention: with max >= 0 the result is min(distance, max + 1), and
 * work stops once the distance is known to exceed max (length difference,
 * the running score against the remaining length, or the row minimum). */
#include "compare/edit.h"
#include <stdint.h>
#include <stdlib.h>
#include "common/error_internal.h"
#include "npimatch/compare.h"

static inline int clamp_bound(int d, int max) { return (max >= 0 && d > max) ? max + 1 : d; }

/* Order the pair so that a is the shorter, and settle the cases decided by
 * lengths alone (an empty side, a length gap above the bound): returns 1
 * with the result in *quick for those. */
static inline int shorter_first(const char **a, size_t *la, const char **b, size_t *lb, int max, int *quick) {
    if (*la > *lb) {
        const char *t = *a;
        *a = *b;
        *b = t;
        size_t tl = *la;
        *la = *lb;
        *lb = tl;
    }
    if (max >= 0 && *lb - *la > (size_t)max) return *quick = max + 1, 1;
    if (*la == 0) return *quick = clamp_bound((int)*lb, max), 1;
    return 0;
}

/* Bit-parallel distance of a (1..64 bytes) against b; osa adds transpositions. */
static inline int bitpar64(const unsigned char *a, size_t la, const unsigned char *b, size_t lb, int max,
                           const int osa) {
    uint64_t peq[256];
    /* Only the entries the loop reads are initialised: those of b's bytes. */
    for (size_t j = 0; j < lb; j++) peq[b[j]] = 0;
    for (size_t i = 0; i < la; i++) peq[a[i]] = 0;
    for (size_t i = 0; i < la; i++) peq[a[i]] |= (uint64_t)1 << i;
    const uint64_t top = (uint64_t)1 << (la - 1);
    uint64_t vp = ~(uint64_t)0, vn = 0, d0 = 0, pm_prev = 0;
    int score = (int)la;
    for (size_t j = 0; j < lb; j++) {
        uint64_t eq = peq[b[j]];
        uint64_t tr = 0;
        if (osa) {
            tr = (((~d0) & eq) << 1) & pm_prev;
            pm_prev = eq;
        }
        d0 = (((eq & vp) + vp) ^ vp) | eq | vn | tr;
        uint64_t hp = vn | ~(d0 | vp);
        uint64_t hn = d0 & vp;
        score += (hp & top) ? 1 : 0;
        score -= (hn & top) ? 1 : 0;
        hp = (hp << 1) | 1;
        hn <<= 1;
        vp = hn | ~(d0 | hp);
        vn = hp & d0;
        /* Each remaining byte of b can lower the last row by at most one. */
        if (max >= 0 && score - (int)(lb - j - 1) > max) return max + 1;
    }
    return clamp_bound(score, max);
}

/* Shared front end: strip the common prefix and suffix (they never change
 * the distance of either measure), order by length, apply the length bound. */
static int edit_distance(const char *a, size_t la, const char *b, size_t lb, int max, int osa) {
    while (la && lb && *a == *b) a++, b++, la--, lb--;
    while (la && lb && a[la - 1] == b[lb - 1]) la--, lb--;
    int quick;
    if (shorter_first(&a, &la, &b, &lb, max, &quick)) return quick;
    if (la <= 64) return bitpar64((const unsigned char *)a, la, (const unsigned char *)b, lb, max, osa);
    return osa ? nm_osa_dp(a, la, b, lb, max) : nm_levenshtein_dp(a, la, b, lb, max);
}

int nm_levenshtein(const char *a, size_t la, const char *b, size_t lb, int max) {
    return edit_distance(a, la, b, lb, max, 0);
}

int nm_osa_distance(const char *a, size_t la, const char *b, size_t lb, int max) {
    return edit_distance(a, la, b, lb, max, 1);
}

/* Row-by-row DP over the shorter string; rows = 2 (Levenshtein) or 3 (OSA). */
static int dp_distance(const char *a, size_t la, const char *b, size_t lb, int max, int osa) {
    int quick;
    if (shorter_first(&a, &la, &b, &lb, max, &quick)) return quick;
    int stack[3 * (NM_EDIT_STACK_LEN + 1)];
    int *mem = stack;
    size_t w = la + 1;
    if (la > NM_EDIT_STACK_LEN) {
        mem = malloc(3 * w * sizeof *mem);
        if (!mem) return NM_E_NOMEM;
    }
    int *pp = mem, *prev = mem + w, *cur = mem + 2 * w;   /* rows j-2, j-1, j over b */
    for (size_t i = 0; i <= la; i++) prev[i] = (int)i;
    int result = -1;
    for (size_t j = 1; j <= lb && result < 0; j++) {
        cur[0] = (int)j;
        int rowmin = cur[0];
        for (size_t i = 1; i <= la; i++) {
            int cost = a[i - 1] != b[j - 1];
            int d = NM_MIN(prev[i] + 1, cur[i - 1] + 1);
            d = NM_MIN(d, prev[i - 1] + cost);
            if (osa && i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) d = NM_MIN(d, pp[i - 2] + 1);
            cur[i] = d;
            rowmin = NM_MIN(rowmin, d);
        }
        /* Row minima never decrease, and bound the final distance. */
        if (max >= 0 && rowmin > max) result = max + 1;
        int *t = pp;
        pp = prev;
        prev = cur;
        cur = t;
    }
    if (result < 0) result = clamp_bound(prev[la], max);
    if (mem != stack) free(mem);
    return result;
}

int nm_levenshtein_dp(const char *a, size_t la, const char *b, size_t lb, int max) {
    return dp_distance(a, la, b, lb, max, 0);
}

int nm_osa_dp(const char *a, size_t la, const char *b, size_t lb, int max) {
    return dp_distance(a, la, b, lb, max, 1);
}

int nm_hamming(const char *a, size_t la, const char *b, size_t lb) {
    if (la != lb) return -1;
    int d = 0;
    for (size_t i = 0; i < la; i++) d += a[i] != b[i];
    return d;
}
