/* Fuzz harness for the byte-string comparators: phonetic encoders on the
 * whole input, edit distances and token Jaccard on its two halves (split at
 * the first NUL byte, or the middle). Checks the invariants that hold for
 * any bytes: codes are NUL-terminated within their buffers, distances agree
 * with the DP reference and lie within the length bounds. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "compare/edit.h"
#include "npimatch.h"

#define CHECK(c) \
    do {         \
        if (!(c)) abort(); \
    } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const char *s = (const char *)data;
    char sx[5], p[5], a[5], ny6[7];
    CHECK(nm_soundex(s, size, sx) == strlen(sx));
    CHECK(nm_double_metaphone(s, size, p, a) == strlen(p) && strlen(a) <= 4);
    CHECK(nm_nysiis(s, size, 6, ny6, sizeof ny6) == strlen(ny6));
    char *full = malloc(size + 1);
    CHECK(nm_nysiis(s, size, 0, full, size + 1) == strlen(full));
    free(full);

    const char *nul = memchr(s, 0, size);
    size_t la = nul ? (size_t)(nul - s) : size / 2;
    const char *b = s + la + (nul ? 1 : 0);
    size_t lb = size - (size_t)(b - s);
    if (la > 300 || lb > 300) return 0;   /* keep the DP reference quick */
    int lev = nm_levenshtein(s, la, b, lb, -1);
    int osa = nm_osa_distance(s, la, b, lb, -1);
    size_t lo = la < lb ? la : lb, hi = la < lb ? lb : la;
    CHECK(lev == nm_levenshtein_dp(s, la, b, lb, -1));
    CHECK(osa == nm_osa_dp(s, la, b, lb, -1));
    CHECK(osa <= lev && (size_t)lev <= hi && (size_t)lev >= hi - lo);
    CHECK(nm_levenshtein(s, la, b, lb, 2) == (lev > 2 ? 3 : lev));
    double j = nm_token_jaccard(s, la, b, lb);
    CHECK(j >= 0.0 && j <= 1.0);
    return 0;
}
