/* Edit distances and token Jaccard: jellyfish 1.2.1 vectors, the
 * bit-parallel kernels held equal to the DP reference (and to an
 * independent full-matrix oracle written here) on random strings of every
 * length around the 64-byte word boundary, and the bound convention. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "compare/edit.h"
#include "npimatch.h"

#define S(x) x, strlen(x)

/* Full (la+1) x (lb+1) matrix, no tricks: the oracle. */
static int oracle(const char *a, size_t la, const char *b, size_t lb, int osa) {
    static int small[128 * 256];
    int *d = (la + 1) * (lb + 1) <= sizeof small / sizeof small[0] ? small : malloc((la + 1) * (lb + 1) * sizeof *d);
#define D(i, j) d[(i) * (lb + 1) + (j)]
    for (size_t i = 0; i <= la; i++) D(i, 0) = (int)i;
    for (size_t j = 0; j <= lb; j++) D(0, j) = (int)j;
    for (size_t i = 1; i <= la; i++)
        for (size_t j = 1; j <= lb; j++) {
            int v = D(i - 1, j - 1) + (a[i - 1] != b[j - 1]);
            if (D(i - 1, j) + 1 < v) v = D(i - 1, j) + 1;
            if (D(i, j - 1) + 1 < v) v = D(i, j - 1) + 1;
            if (osa && i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] && D(i - 2, j - 2) + 1 < v)
                v = D(i - 2, j - 2) + 1;
            D(i, j) = v;
        }
    int r = D(la, lb);
#undef D
    if (d != small) free(d);
    return r;
}

Test(levenshtein, jellyfish_vectors) {
    cr_expect_eq(nm_levenshtein(S(""), S(""), -1), 0);
    cr_expect_eq(nm_levenshtein(S("abc"), S(""), -1), 3);
    cr_expect_eq(nm_levenshtein(S(""), S("abc"), -1), 3);
    cr_expect_eq(nm_levenshtein(S("bc"), S("abc"), -1), 1);
    cr_expect_eq(nm_levenshtein(S("kitten"), S("sitting"), -1), 3);
    cr_expect_eq(nm_levenshtein(S("Saturday"), S("Sunday"), -1), 3);
}

Test(osa, jellyfish_damerau_vectors) {
    /* jellyfish computes unrestricted Damerau-Levenshtein over code points;
     * these rows have no edit that OSA forbids, so the values agree. */
    cr_expect_eq(nm_osa_distance(S(""), S(""), -1), 0);
    cr_expect_eq(nm_osa_distance(S("abc"), S(""), -1), 3);
    cr_expect_eq(nm_osa_distance(S("bc"), S("abc"), -1), 1);
    cr_expect_eq(nm_osa_distance(S("fuor"), S("four"), -1), 1);
    cr_expect_eq(nm_osa_distance(S("abcd"), S("acb"), -1), 2);
    cr_expect_eq(nm_osa_distance(S("cape sand recycling "), S("edith ann graham"), -1), 17);
    cr_expect_eq(nm_osa_distance(S("jellyifhs"), S("jellyfish"), -1), 2);
    cr_expect_eq(nm_osa_distance(S("ifhs"), S("fish"), -1), 2);
    /* jellyfish: 2 code points (space -> "A-circumflex NBSP"); in bytes the
     * space becomes 4 bytes: 1 substitution + 3 insertions. */
    cr_expect_eq(nm_osa_distance(S("Hello, world!"), S("Hello,\xC3\x82\xC2\xA0world!"), -1), 4);
}

Test(osa, differs_from_unrestricted_damerau) {
    /* CA -> AC -> ABC edits the transposed pair twice: allowed by true
     * Damerau-Levenshtein (2), not by OSA (3). */
    cr_expect_eq(nm_osa_distance(S("CA"), S("ABC"), -1), 3);
    cr_expect_eq(nm_levenshtein(S("CA"), S("ABC"), -1), 3);
    cr_expect_eq(nm_osa_distance(S("MARTHA"), S("MARHTA"), -1), 1);
    cr_expect_eq(nm_levenshtein(S("MARTHA"), S("MARHTA"), -1), 2);
}

Test(hamming, jellyfish_vectors_and_lengths) {
    cr_expect_eq(nm_hamming(S(""), S("")), 0);
    cr_expect_eq(nm_hamming(S("abc"), S("abc")), 0);
    cr_expect_eq(nm_hamming(S("acc"), S("abc")), 1);
    cr_expect_eq(nm_hamming(S("abcd"), S("abc")), -1);   /* jellyfish: 1 (counts the tail) */
    cr_expect_eq(nm_hamming(S("Saturday"), S("Sunday")), -1);
    cr_expect_eq(nm_hamming(S("19800312"), S("19800321")), 2);
}

Test(levenshtein, bound_convention) {
    cr_expect_eq(nm_levenshtein(S("kitten"), S("sitting"), 3), 3);
    cr_expect_eq(nm_levenshtein(S("kitten"), S("sitting"), 2), 3);
    cr_expect_eq(nm_levenshtein(S("kitten"), S("sitting"), 0), 1);
    cr_expect_eq(nm_levenshtein(S("kitten"), S("kitten"), 0), 0);
    cr_expect_eq(nm_levenshtein(S("A"), S("ABCDEFGHIJ"), 2), 3);   /* length difference alone */
    cr_expect_eq(nm_osa_distance(S("JOHN"), S("JOHNSTONE"), 4), 5);
}

static unsigned long long rs = 88172645463325252ull;
static unsigned rnd(void) {
    rs ^= rs << 13;
    rs ^= rs >> 7;
    rs ^= rs << 17;
    return (unsigned)rs;
}

/* b is a mutation of a (so distances are small and bounds bite) or random. */
static size_t make_pair(char *a, size_t la, char *b, unsigned alpha) {
    for (size_t i = 0; i < la; i++) a[i] = (char)('A' + rnd() % alpha);
    if (rnd() % 4 == 0) {
        size_t lb = rnd() % 80;
        for (size_t i = 0; i < lb; i++) b[i] = (char)('A' + rnd() % alpha);
        return lb;
    }
    size_t lb = 0;
    for (size_t i = 0; i < la; i++) {
        switch (rnd() % 12) {
        case 0: break;                                           /* delete */
        case 1: b[lb++] = (char)('A' + rnd() % alpha); break;    /* substitute */
        case 2: b[lb++] = (char)('A' + rnd() % alpha); b[lb++] = a[i]; break;   /* insert */
        case 3:
            if (i + 1 < la) { b[lb++] = a[i + 1]; b[lb++] = a[i]; i++; break; }   /* transpose */
            /* fall through */
        default: b[lb++] = a[i];
        }
    }
    return lb;
}

Test(edit, bitparallel_equals_dp_and_oracle) {
    char a[96], b[200];
    for (int it = 0; it < 12000; it++) {
        size_t la = (size_t)(it % 81);   /* 0..80: both sides of 64 */
        size_t lb = make_pair(a, la, b, 2 + rnd() % 25);
        int lev = oracle(a, la, b, lb, 0), osa = oracle(a, la, b, lb, 1);
        int max = (int)(rnd() % 8) - 1;   /* -1 = unbounded, else 0..6 */
        int want_l = (max >= 0 && lev > max) ? max + 1 : lev;
        int want_o = (max >= 0 && osa > max) ? max + 1 : osa;
        cr_assert_eq(nm_levenshtein(a, la, b, lb, -1), lev, "lev la=%zu lb=%zu", la, lb);
        cr_assert_eq(nm_levenshtein(b, lb, a, la, -1), lev);
        cr_assert_eq(nm_osa_distance(a, la, b, lb, -1), osa, "osa la=%zu lb=%zu", la, lb);
        cr_assert_eq(nm_osa_distance(b, lb, a, la, -1), osa);
        cr_assert_eq(nm_levenshtein(a, la, b, lb, max), want_l);
        cr_assert_eq(nm_osa_distance(a, la, b, lb, max), want_o);
        cr_assert_eq(nm_levenshtein_dp(a, la, b, lb, max), want_l);
        cr_assert_eq(nm_osa_dp(a, la, b, lb, max), want_o);
    }
}

Test(edit, long_strings_heap_row) {
    size_t n = NM_EDIT_STACK_LEN + 88;
    char *a = malloc(n), *b = malloc(n + 10);
    for (int it = 0; it < 4; it++) {
        for (size_t i = 0; i < n; i++) a[i] = (char)('A' + rnd() % 4);
        size_t lb = n + (size_t)it;
        for (size_t i = 0; i < lb; i++) b[i] = (char)('A' + rnd() % 4);
        int lev = oracle(a, n, b, lb, 0), osa = oracle(a, n, b, lb, 1);
        cr_assert_eq(nm_levenshtein(a, n, b, lb, -1), lev);
        cr_assert_eq(nm_osa_distance(a, n, b, lb, -1), osa);
        cr_assert_eq(nm_levenshtein(a, n, b, lb, 10), 11);
    }
    free(a);
    free(b);
}

Test(jaccard, jellyfish_word_vectors) {
    struct { const char *a, *b; double j; } v[] = {
        {"abc", "xyz", 0.0},
        {"abc", "abc", 1.0},
        {"abc", "abcd", 0.0},
        {"The quick brown fox jumps over the lazy dog", "The quick brown fox jumps over the lazy cat", 0.8},
        {"The quick brown fox jumps over the lazy dog", "The slow green turtle crawls under the lazy cat", 0.2},
        {"John Smith", "Smith; John", 1.0 / 3.0},
        {"John Smith", "Smith John", 1.0},
        {"John Smith", "John Jacob Smith", 2.0 / 3.0},
        {"night", "nacht", 0.0},
    };
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++)
        cr_expect(fabs(nm_token_jaccard(S(v[i].a), S(v[i].b)) - v[i].j) < 1e-9, "%s | %s", v[i].a, v[i].b);
}

Test(jaccard, sets_spaces_and_empty) {
    cr_expect_eq(nm_token_jaccard(S(""), S("")), 0.0);
    cr_expect_eq(nm_token_jaccard(S("   "), S("")), 0.0);
    cr_expect_eq(nm_token_jaccard(S("ACME"), S("")), 0.0);
    /* Duplicates count once; runs of spaces separate once. */
    cr_expect_eq(nm_token_jaccard(S("MAYO MAYO CLINIC"), S("  CLINIC   MAYO ")), 1.0);
    cr_expect_eq(nm_token_jaccard(S("A B C D"), S("A B")), 0.5);
    /* Not NUL-terminated: n bounds the tokens. */
    cr_expect_eq(nm_token_jaccard("A BX", 3, S("B A")), 1.0);
}
