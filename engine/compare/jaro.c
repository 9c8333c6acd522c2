/* Jaro and Jaro-Winkler: scalar reference, the one score formula, and the
 * exact integer threshold tests.
 *
 * Definition (Jaro 1989; Winkler 1990, "String comparator metrics and
 * enhanced decision rules in the Fellegi-Sunter model"), with the conventions
 * shared by jellyfish, rapidfuzz, strsim and Census strcmp95 (without its
 * similar-character and long-string extras):
 *  - match window r = max(floor(max(la, lb) / 2) - 1, 0);
 *  - greedy matching: for each a[i] in order, the first not-yet-matched b[j]
 *    with a[i] == b[j] and |i - j| <= r. The count m and the transpositions do
 *    not depend on which string drives the loop;
 *  - t = positions where the matched characters of a and of b, each taken in
 *    string order, differ; Jaro uses floor(t / 2);
 *  - J = (m/la + m/lb + (m - floor(t/2))/m) / 3, and 0 when m = 0 (so two
 *    empty strings score 0, like jellyfish and strcmp95; rapidfuzz says 1);
 *  - Winkler boost only when J > 0.7 (strictly), common prefix l <= 4,
 *    p = 0.1: JW = J + l p (1 - J);
 *  - unit: bytes, case-sensitive (inputs are normalized upper-case ASCII).
 *
 * Exact arithmetic. With N = m^2 (la + lb) + (m - floor(t/2)) la lb and
 * D = la lb m, J = N / (3D) and
 *     JW = num / (30 D),  num = (10 - l) N + 3 l D   when boosted,
 *                         num = 10 N                 otherwise,
 * and "J > 0.7" is 10 N > 21 D. The boost decision is made on these integers
 * (J = 0.7 exactly, e.g. "D" vs "DDBADCACCA", is not boosted; a floating-point
 * evaluation can land on 0.70000000000000007 and boost), and the double is one
 * correctly rounded division num / den whenever den < 2^53 (every string up
 * to ~65,000 bytes), so a JW of exactly 0.8 (ALAN/ALDHAM) is the double 0.8.
 * SIMD kernels produce only the integer parts, or evaluate this same division
 * on the same exact integers, so every path is bit-identical.
 *
 * Against jellyfish 1.x and rapidfuzz 3.x (double arithmetic): scores agree
 * to the last bit or two (they sum three rounded terms; this is one rounded
 * quotient), except at J = 0.7 exactly, which they boost because their J
 * rounds to 0.70000000000000007 (about 3 in 10,000 surname pairs). */
#include <stdlib.h>
#include <string.h>
#include "compare/jaro_internal.h"

/* Flag arrays on the stack cover strings up to this many bytes each; longer
 * strings (never seen in names or addresses) use a heap array. */
#define JARO_STACK_LEN 2048

static uint32_t common_prefix4(const char *a, size_t la, const char *b, size_t lb) {
    size_t n = la < lb ? la : lb, l = 0;
    if (n > 4) n = 4;
    while (l < n && a[l] == b[l]) l++;
    return (uint32_t)l;
}

void nm_jaro_parts_of(const char *a, size_t la, const char *b, size_t lb, nm_jaro_parts *out) {
    memset(out, 0, sizeof *out);
    out->la = (uint32_t)la;
    out->lb = (uint32_t)lb;
    if (la == 0 || lb == 0) return;
    out->prefix = common_prefix4(a, la, b, lb);

    uint8_t stack_fa[JARO_STACK_LEN], stack_fb[JARO_STACK_LEN];
    uint8_t *fa = stack_fa, *fb = stack_fb, *heap = NULL;
    if (la > JARO_STACK_LEN || lb > JARO_STACK_LEN) {
        heap = calloc(la + lb, 1);
        if (!heap) return; /* documented: the pair then scores 0 (m = 0) */
        fa = heap;
        fb = heap + la;
    } else {
        memset(fa, 0, la);
        memset(fb, 0, lb);
    }

    size_t mx = la > lb ? la : lb;
    size_t r = mx / 2 >= 1 ? mx / 2 - 1 : 0;
    uint32_t m = 0;
    /* Textbook greedy pass: a drives, each a[i] takes the first free b[j]. */
    for (size_t i = 0; i < la; i++) {
        size_t lo = i > r ? i - r : 0, hi = i + r + 1 < lb ? i + r + 1 : lb;
        for (size_t j = lo; j < hi; j++) {
            if (a[i] == b[j] && !fb[j]) {
                fa[i] = fb[j] = 1;
                m++;
                break;
            }
        }
    }
    /* Transpositions: the k-th matched byte of a against the k-th of b. */
    uint32_t t = 0;
    size_t j = 0;
    for (size_t i = 0; i < la && m; i++) {
        if (!fa[i]) continue;
        while (!fb[j]) j++;
        if (a[i] != b[j]) t++;
        j++;
    }
    if (heap) free(heap);
    out->m = m;
    out->t_half = t / 2;
}

/* num / den for JW (jw = 1) or J (jw = 0), exact in 128 bits for any
 * uint32 lengths: den <= 30 * 2^96. Returns 0 when m = 0. */
static int exact_ratio(const nm_jaro_parts *p, int jw, unsigned __int128 *num, unsigned __int128 *den) {
    if (p->m == 0 || p->la == 0 || p->lb == 0) return 0;
    unsigned __int128 m = p->m, la = p->la, lb = p->lb, l = p->prefix > 4 ? 4 : p->prefix;
    unsigned __int128 d = la * lb * m;
    unsigned __int128 n = m * m * (la + lb) + (m - p->t_half) * la * lb;
    if (!jw) {
        *num = n;
        *den = 3 * d;
    } else {
        *num = 10 * n > 21 * d ? (10 - l) * n + 3 * l * d : 10 * n;
        *den = 30 * d;
    }
    return 1;
}

static double ratio_to_double(unsigned __int128 num, unsigned __int128 den) {
    /* The common case: both exact as doubles, one correctly rounded division
     * (the same operation the SIMD kernels run in their lanes). */
    if (den < ((unsigned __int128)1 << 53)) return (double)(uint64_t)num / (double)(uint64_t)den;
    return (double)((long double)num / (long double)den);
}

double nm_jaro_from_parts(const nm_jaro_parts *p) {
    unsigned __int128 num, den;
    return exact_ratio(p, 0, &num, &den) ? ratio_to_double(num, den) : 0.0;
}

double nm_jw_from_parts(const nm_jaro_parts *p) {
    unsigned __int128 num, den;
    return exact_ratio(p, 1, &num, &den) ? ratio_to_double(num, den) : 0.0;
}

/* score >= percent/100  <=>  100 num >= percent den (m > 0); a score of 0
 * (m = 0) reaches only percent 0. JW <= 1, so percent > 100 never holds,
 * which also keeps percent * den within 128 bits. */
static int at_least(const nm_jaro_parts *p, int jw, unsigned percent) {
    unsigned __int128 num, den;
    if (!exact_ratio(p, jw, &num, &den)) return percent == 0;
    if (percent > 100) return 0;
    return 100 * num >= (unsigned __int128)percent * den;
}

int nm_jw_at_least(const nm_jaro_parts *p, unsigned percent) { return at_least(p, 1, percent); }
int nm_jaro_at_least(const nm_jaro_parts *p, unsigned percent) { return at_least(p, 0, percent); }

double nm_jaro(const char *a, size_t la, const char *b, size_t lb) {
    nm_jaro_parts p;
    nm_jaro_parts_of(a, la, b, lb, &p);
    return nm_jaro_from_parts(&p);
}

double nm_jaro_winkler(const char *a, size_t la, const char *b, size_t lb) {
    nm_jaro_parts p;
    nm_jaro_parts_of(a, la, b, lb, &p);
    return nm_jw_from_parts(&p);
}
