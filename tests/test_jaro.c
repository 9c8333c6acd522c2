/* Jaro / Jaro-Winkler: published reference values, conventions, exact
 * threshold decisions, and the SIMD batch kernels held bit-identical to the
 * scalar reference on every level this CPU supports. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "npimatch.h"
#include "npimatch/compare.h"
#include "npimatch/simd.h"

static double jw_s(const char *a, const char *b) { return nm_jaro_winkler(a, strlen(a), b, strlen(b)); }
static double jaro_s(const char *a, const char *b) { return nm_jaro(a, strlen(a), b, strlen(b)); }
static nm_jaro_parts parts_s(const char *a, const char *b) {
    nm_jaro_parts p;
    nm_jaro_parts_of(a, strlen(a), b, strlen(b), &p);
    return p;
}

/* jellyfish 1.2.1 testdata/jaro_winkler.csv (published to 3 decimals). */
static const struct { const char *a, *b; double jw; } JELLY_JW[] = {
    {"dixon", "dicksonx", 0.813}, {"martha", "marhta", 0.961}, {"dwayne", "duane", 0.84},
    {"William", "Williams", 0.975}, {"", "foo", 0}, {"a", "a", 1}, {"abc", "xyz", 0}, {"aaaa", "aaaaa", 0.96},
    {"orangutan-kumquat", "orangutan kumquat", 0.976}, {"jaz", "jal", 0.822}, {"@", "@@", 0.85},
    {"0", "0@", 0.85}, {"a", "ab", 0.85}, {"012345", "0123456", 0.971}, {"012abc", "012abcd", 0.971},
    {"012abc", "013abcd", 0.879}, {"a1bc", "a1be", 0.883},
};
/* jellyfish testdata/jaro_distance.csv. */
static const struct { const char *a, *b; double j; } JELLY_JARO[] = {
    {"dixon", "dicksonx", 0.767}, {"martha", "marhta", 0.944}, {"dwayne", "duane", 0.822},
    {"0\xc3\xb0" "00", "0\xc3\xb0" "00", 1}, {"Sint-Pietersplein 6, 9000 Gent", "Test 10, 1010 Brussel", 0.518},
};

Test(jaro, jellyfish_vectors) {
    for (size_t i = 0; i < sizeof JELLY_JW / sizeof *JELLY_JW; i++)
        cr_expect(fabs(jw_s(JELLY_JW[i].a, JELLY_JW[i].b) - JELLY_JW[i].jw) < 0.001, "JW %s/%s = %.4f", JELLY_JW[i].a,
                  JELLY_JW[i].b, jw_s(JELLY_JW[i].a, JELLY_JW[i].b));
    for (size_t i = 0; i < sizeof JELLY_JARO / sizeof *JELLY_JARO; i++)
        cr_expect(fabs(jaro_s(JELLY_JARO[i].a, JELLY_JARO[i].b) - JELLY_JARO[i].j) < 0.001, "Jaro row %zu", i);
}

/* Winkler (Census RR94/5 Table 2.1) with the standard algorithm's values
 * where the paper disagrees (MASSEY/MASSIE 0.933, DWAYNE/DUANE 0.840,
 * JON/JAN and 1ST/IST 0.778/0.800 and 0.778/0.778: see comparators notes),
 * plus the matching and half-transposition counts. */
static const struct { const char *a, *b; double j, jw; unsigned m, th; } WINKLER[] = {
    {"SHACKLEFORD", "SHACKELFORD", 0.970, 0.982, 11, 1}, {"DUNNINGHAM", "CUNNIGHAM", 0.896, 0.896, 8, 0},
    {"NICHLESON", "NICHULSON", 0.926, 0.956, 8, 0}, {"JONES", "JOHNSON", 0.790, 0.832, 4, 0},
    {"MASSEY", "MASSIE", 0.889, 0.933, 5, 0}, {"ABROMS", "ABRAMS", 0.889, 0.922, 5, 0},
    {"HARDIN", "MARTINEZ", 0.722, 0.722, 4, 0}, {"ITMAN", "SMITH", 0.467, 0.467, 1, 0},
    {"JERALDINE", "GERALDINE", 0.926, 0.926, 8, 0}, {"MARHTA", "MARTHA", 0.944, 0.961, 6, 1},
    {"MICHELLE", "MICHAEL", 0.869, 0.921, 6, 0}, {"JULIES", "JULIUS", 0.889, 0.933, 5, 0},
    {"TANYA", "TONYA", 0.867, 0.880, 4, 0}, {"DWAYNE", "DUANE", 0.822, 0.840, 4, 0},
    {"SEAN", "SUSAN", 0.783, 0.805, 3, 0}, {"JON", "JOHN", 0.917, 0.933, 3, 0},
    {"JON", "JAN", 0.778, 0.800, 2, 0}, {"BROOKHAVEN", "BRROKHAVEN", 0.933, 0.947, 9, 0},
    {"BROOK HALLOW", "BROOK HLLW", 0.944, 0.967, 10, 0}, {"DECATUR", "DECATIR", 0.905, 0.943, 6, 0},
    {"FITZRUREITER", "FITZENREITER", 0.856, 0.913, 10, 1}, {"HIGBEE", "HIGHEE", 0.889, 0.922, 5, 0},
    {"HIGBEE", "HIGVEE", 0.889, 0.922, 5, 0}, {"LACURA", "LOCURA", 0.889, 0.900, 5, 0},
    {"IOWA", "IONA", 0.833, 0.867, 3, 0}, {"1ST", "IST", 0.778, 0.778, 2, 0},
    {"DIXON", "DICKSONX", 0.767, 0.813, 4, 0},
};

Test(jaro, winkler_table) {
    for (size_t i = 0; i < sizeof WINKLER / sizeof *WINKLER; i++) {
        nm_jaro_parts p = parts_s(WINKLER[i].a, WINKLER[i].b);
        cr_expect_eq(p.m, WINKLER[i].m, "%s/%s m=%u", WINKLER[i].a, WINKLER[i].b, p.m);
        cr_expect_eq(p.t_half, WINKLER[i].th, "%s/%s t/2=%u", WINKLER[i].a, WINKLER[i].b, p.t_half);
        cr_expect(fabs(nm_jaro_from_parts(&p) - WINKLER[i].j) < 0.001, "%s/%s", WINKLER[i].a, WINKLER[i].b);
        cr_expect(fabs(nm_jw_from_parts(&p) - WINKLER[i].jw) < 0.001, "%s/%s", WINKLER[i].a, WINKLER[i].b);
    }
}

Test(jaro, conventions) {
    /* Empty strings score 0, also against each other (jellyfish, strcmp95). */
    cr_assert_eq(nm_jaro_winkler("", 0, "", 0), 0.0);
    cr_assert_eq(nm_jaro_winkler("A", 1, "", 0), 0.0);
    cr_assert_eq(nm_jaro("", 0, "A", 1), 0.0);
    /* Window max(floor(6/2)-1, 0) = 2: "AB....": A at distance 3 is out. */
    cr_assert_eq(parts_s("XXXA", "A").m, 0);
    cr_assert_eq(parts_s("XXA", "A").m, 0); /* max 3 -> r = 0 */
    cr_assert_eq(parts_s("AB", "BA").m, 0); /* r = 0: no crossing matches */
    cr_assert_eq(parts_s("ABCD", "BACD").m, 4);
    cr_assert_eq(parts_s("ABCD", "BACD").t_half, 1);
    /* Prefix capped at 4, boost p = 0.1. */
    nm_jaro_parts p = parts_s("ABCDEFGH", "ABCDEFGX");
    cr_assert_eq(p.prefix, 4);
    double j = nm_jaro_from_parts(&p);
    cr_assert(fabs(nm_jw_from_parts(&p) - (j + 0.4 * (1 - j))) < 1e-15);
    /* Bytes, case-sensitive; all byte values allowed. */
    cr_assert_eq(parts_s("abc", "ABC").m, 0);
    char x[3] = {0, (char)0xff, 7}, y[3] = {0, (char)0xff, 7};
    cr_assert_eq(nm_jaro_winkler(x, 3, y, 3), 1.0);
}

Test(jaro, exact_ties) {
    /* J == 0.7 exactly: m = 1 of 1 and 10; no boost although the prefix is 1. */
    nm_jaro_parts p = parts_s("D", "DDBADCACCA");
    cr_assert_eq(p.m, 1);
    cr_assert_eq(p.prefix, 1);
    cr_assert_eq(nm_jaro_from_parts(&p), 0.7);
    cr_assert_eq(nm_jw_from_parts(&p), 0.7);
    cr_assert(nm_jw_at_least(&p, 70));
    cr_assert(!nm_jw_at_least(&p, 71));
    cr_assert(nm_jaro_at_least(&p, 70));
    cr_assert(!nm_jaro_at_least(&p, 71));
    /* JW == 0.80 exactly (J = 0.75, prefix 2). */
    p = parts_s("ALAN", "ALDHAM");
    cr_assert_eq(nm_jw_from_parts(&p), 0.8);
    cr_assert(nm_jw_at_least(&p, 80));
    cr_assert(!nm_jw_at_least(&p, 81));
    cr_assert(nm_jaro_at_least(&p, 75));
    cr_assert(!nm_jaro_at_least(&p, 76));
    /* Score 0 reaches only 0; nothing reaches more than 100. */
    p = parts_s("ABC", "XYZ");
    cr_assert(nm_jw_at_least(&p, 0));
    cr_assert(!nm_jw_at_least(&p, 1));
    p = parts_s("ABC", "ABC");
    cr_assert(nm_jw_at_least(&p, 100));
    cr_assert(!nm_jw_at_least(&p, 101));
}

/* Independent exact decision (comparators notes: with N = m^2 (la+lb) +
 * (m - t/2) la lb, boost iff 10N > 21 la lb m; JW >= C/100 iff
 * 10(10-l) N >= 3 la lb m (C - 10 l) when boosted, 100 N >= 3 la lb m C
 * otherwise), in signed 128-bit arithmetic. */
static int ref_jw_at_least(const nm_jaro_parts *p, unsigned c) {
    if (p->m == 0) return c == 0;
    __int128 la = p->la, lb = p->lb, m = p->m, l = p->prefix, d = la * lb * m;
    __int128 n = m * m * (la + lb) + (m - (__int128)p->t_half) * la * lb;
    if (10 * n > 21 * d) return 10 * (10 - l) * n >= 3 * d * ((__int128)c - 10 * l);
    return 100 * n >= 3 * d * (__int128)c;
}

static void check_parts_thresholds(const nm_jaro_parts *p, int small, long *ties) {
    long double ld = p->m ? ((long double)p->m / p->la + (long double)p->m / p->lb +
                             (long double)(p->m - p->t_half) / p->m) / 3.0L
                          : 0.0L;
    long double jw = ld > 0.7L ? ld + p->prefix * 0.1L * (1.0L - ld) : ld;
    double d = nm_jw_from_parts(p);
    cr_assert(fabsl((long double)d - jw) <= 4e-16L * (jw > 1e-300L ? jw : 1.0L) + 1e-18L, "JW %.17g vs %.20Lg",
              d, jw);
    for (unsigned c = 0; c <= 101; c++) {
        int want = ref_jw_at_least(p, c);
        cr_assert_eq(nm_jw_at_least(p, c), want, "m=%u la=%u lb=%u t=%u l=%u c=%u", p->m, p->la, p->lb, p->t_half,
                     p->prefix, c);
        long double diff = jw - c / 100.0L;
        if (fabsl(diff) > 1e-12L) cr_assert_eq(want, diff > 0, "ld disagrees");
        else (*ties)++;
        /* For short strings the double is a correctly rounded quotient, so
         * even the naive double comparison agrees with the exact decision
         * (ties land exactly on the double nearest C/100). */
        if (small) cr_assert_eq(d >= c / 100.0, want, "double at c=%u", c);
    }
}

Test(jaro, exact_thresholds_all_small_parts) {
    long ties = 0, n = 0;
    for (uint32_t la = 1; la <= 24; la++)
        for (uint32_t lb = la; lb <= 24; lb++)
            for (uint32_t m = 0; m <= la; m++)
                for (uint32_t th = 0; th <= m / 2; th++)
                    for (uint32_t l = 0; l <= (m < 4 ? m : 4); l++) {
                        nm_jaro_parts p = {la, lb, m, th, l};
                        check_parts_thresholds(&p, 1, &ties);
                        n++;
                    }
    cr_assert(ties > 1000, "ties exercised: %ld of %ld", ties, n);
}

Test(jaro, exact_thresholds_long_lengths) {
    long ties = 0;
    uint32_t big[] = {70, 1000, 65535, 65536, 1u << 20, 123456789, 4000000000u};
    for (size_t i = 0; i < sizeof big / sizeof *big; i++)
        for (size_t k = 0; k <= i; k++) {
            uint32_t la = big[k], lb = big[i];
            uint32_t ms[] = {1, la / 3 + 1, la / 2 + 1, la - la / 10, la};
            for (size_t q = 0; q < 5; q++) {
                uint32_t m = ms[q] > la ? la : ms[q];
                nm_jaro_parts p = {la, lb, m, m / 7, 4};
                check_parts_thresholds(&p, 0, &ties);
                p.prefix = 0;
                check_parts_thresholds(&p, 0, &ties);
            }
        }
}

/* ---------- random strings ---------- */

/* Sanitizer builds run unoptimized and instrumented: fewer random pairs
 * there, the full count in Release. */
#if defined(__SANITIZE_ADDRESS__)
#define PAIRS_DIV 5
#else
#define PAIRS_DIV 1
#endif

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;
static uint64_t rnd(void) {
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

static void rand_str(char *s, size_t n, int alpha) {
    for (size_t i = 0; i < n; i++) s[i] = alpha ? (char)('A' + rnd() % (unsigned)alpha) : (char)(rnd() & 0xff);
}

Test(jaro, properties_random) {
    char a[80], b[80];
    for (int it = 0; it < 200000 / PAIRS_DIV; it++) {
        size_t la = rnd() % 40, lb = rnd() % 40;
        int alpha = (int)(rnd() % 4);
        alpha = alpha == 3 ? 0 : 2 + alpha * 3;
        rand_str(a, la, alpha);
        rand_str(b, lb, alpha);
        nm_jaro_parts p, q;
        nm_jaro_parts_of(a, la, b, lb, &p);
        nm_jaro_parts_of(b, lb, a, la, &q);
        cr_assert(p.m == q.m && p.t_half == q.t_half && p.prefix == q.prefix, "symmetry");
        double s = nm_jw_from_parts(&p);
        cr_assert(s >= 0.0 && s <= 1.0);
        cr_assert(nm_jaro_from_parts(&p) <= s);
        if (la) {
            cr_assert_eq(nm_jaro_winkler(a, la, a, la), 1.0);
        }
    }
}

/* ---------- batch kernels vs the reference ---------- */


static const uint8_t THR[] = {100, 92, 88, 80, 75, 70, 0};

/* One batch: candidates with the given lengths, packed exactly (the bytes
 * buffer ends at the last candidate, so an over-read is an ASan error), with
 * a non-zero first offset. Checks parts, doubles (bitwise) and levels. */
static void check_batch(const char *q, size_t lq, const size_t *lens, size_t n, int alpha) {
    size_t total = 3;
    for (size_t i = 0; i < n; i++) total += lens[i];
    char *bytes = malloc(total ? total : 1);
    uint32_t *off = malloc((n + 1) * sizeof *off);
    nm_jaro_parts *pp = malloc((n ? n : 1) * sizeof *pp);
    double *jw = malloc((n ? n : 1) * sizeof *jw);
    uint8_t *lv = malloc(n ? n : 1);
    rand_str(bytes, 3, alpha);
    off[0] = 3;
    for (size_t i = 0; i < n; i++) {
        rand_str(bytes + off[i], lens[i], alpha);
        /* Often a near copy of the query, so high scores and ties occur. */
        if (lens[i] && lq && rnd() % 3 == 0) {
            size_t c = lens[i] < lq ? lens[i] : lq;
            memcpy(bytes + off[i], q, c);
            if (rnd() & 1) bytes[off[i] + rnd() % lens[i]] = (char)('A' + rnd() % 3);
        }
        off[i + 1] = off[i] + (uint32_t)lens[i];
    }
    /* The same candidates as a prepared block (prepared under the level
     * being tested), queried twice: with q, and with q reversed (the block
     * is reused unchanged). */
    nm_jw_block *blk = NULL;
    cr_assert_eq(nm_jw_block_prepare(bytes, off, n, &blk), NM_OK);
    cr_assert_eq(nm_jw_block_count(blk), n);
    char qr[300];
    for (size_t j = 0; j < lq; j++) qr[j] = q[lq - 1 - j];
    for (int pass = 0; pass < 3; pass++) {
        const char *qq = pass == 2 ? qr : q;
        const char *how = pass == 0 ? "batch" : "block";
        memset(pp, 0xAB, (n ? n : 1) * sizeof *pp);
        memset(jw, 0xAB, (n ? n : 1) * sizeof *jw);
        memset(lv, 0xAB, n ? n : 1);
        if (pass == 0) {
            nm_jaro_parts_batch(q, lq, bytes, off, n, pp);
            nm_jw_batch(q, lq, bytes, off, n, jw);
            nm_jw_level_batch(q, lq, bytes, off, n, THR, (int)sizeof THR, lv);
        } else {
            nm_jw_block_parts(blk, qq, lq, pp);
            nm_jw_block_jw(blk, qq, lq, jw);
            nm_jw_block_level(blk, qq, lq, THR, (int)sizeof THR, lv);
        }
        for (size_t i = 0; i < n; i++) {
            nm_jaro_parts r;
            nm_jaro_parts_of(qq, lq, bytes + off[i], off[i + 1] - off[i], &r);
            cr_assert(memcmp(&r, &pp[i], sizeof r) == 0, "%s %s parts lq=%zu lc=%zu m %u/%u t %u/%u l %u/%u",
                      nm_simd_name(nm_simd_active()), how, lq, lens[i], r.m, pp[i].m, r.t_half, pp[i].t_half,
                      r.prefix, pp[i].prefix);
            double s = nm_jw_from_parts(&r);
            cr_assert(memcmp(&s, &jw[i], sizeof s) == 0, "%s %s jw lq=%zu lc=%zu", nm_simd_name(nm_simd_active()),
                      how, lq, lens[i]);
            int k = 0;
            while (k < (int)sizeof THR && !nm_jw_at_least(&r, THR[k])) k++;
            cr_assert_eq(lv[i], k, "%s level", how);
        }
    }
    nm_jw_block_free(blk);
    free(bytes);
    free(off);
    free(pp);
    free(jw);
    free(lv);
}

static const size_t EDGE_LEN[] = {0, 1, 2, 3, 7, 15, 16, 17, 31, 32, 33, 63, 64, 65, 100};
#define NEDGE (sizeof EDGE_LEN / sizeof *EDGE_LEN)

static void run_all_levels(void (*body)(void)) {
    nm_simd_level best = nm_simd_detect();
    for (int lvl = NM_SIMD_SCALAR; lvl <= (int)best; lvl++) {
        cr_assert_eq(nm_simd_force((nm_simd_level)lvl), NM_OK);
        body();
    }
    nm_simd_force(best);
}

static void edge_body(void) {
    static const size_t BATCH[] = {0, 1, 3, 7, 8, 9, 15, 16, 17, 31, 32, 33, 65};
    char q[128];
    size_t lens[80];
    for (size_t qi = 0; qi < NEDGE; qi++)
        for (size_t bi = 0; bi < sizeof BATCH / sizeof *BATCH; bi++)
            for (int alpha = 0; alpha <= 4; alpha += 2) {
                size_t lq = EDGE_LEN[qi], n = BATCH[bi];
                rand_str(q, lq, alpha);
                for (size_t i = 0; i < n; i++) lens[i] = EDGE_LEN[rnd() % NEDGE];
                check_batch(q, lq, lens, n, alpha);
                /* All candidates of one lane class. */
                size_t cl = EDGE_LEN[rnd() % NEDGE];
                for (size_t i = 0; i < n; i++) lens[i] = cl;
                check_batch(q, lq, lens, n, alpha);
            }
}

Test(jaro_batch, edge_lengths_and_batch_sizes) { run_all_levels(edge_body); }

/* ~1M pairs per level in batches of 64-128 short strings (the names case),
 * with small alphabets (frequent matches and transpositions) and random bytes. */
static void random_body(void) {
    char q[80];
    size_t lens[128];
    long pairs = 0;
    /* The scalar level only runs the reference against itself: fewer pairs. */
    long target = (nm_simd_active() == NM_SIMD_SCALAR ? 150000 : 1000000) / PAIRS_DIV;
    while (pairs < target) {
        int a = (int)(rnd() % 5);
        int alpha = a == 4 ? 0 : 2 + 2 * a; /* 2, 4, 6, 8 letters or bytes */
        size_t maxl = (rnd() & 3) == 0 ? 66 : 17;
        size_t lq = rnd() % maxl, n = 64 + rnd() % 65;
        rand_str(q, lq, alpha);
        for (size_t i = 0; i < n; i++) lens[i] = rnd() % maxl;
        check_batch(q, lq, lens, n, alpha);
        pairs += (long)n;
    }
}

Test(jaro_batch, random_pairs_bit_identical, .timeout = 120) { run_all_levels(random_body); }

static int cmp_size(const void *a, const void *b) {
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    return x < y ? -1 : x > y;
}

/* Blocks sorted by ascending length, as an engine would keep them: long runs
 * of candidates <= 8 bytes (the 8-bit lanes on AVX-512), then <= 16, then
 * longer; queries up to 40 bytes (8-bit lanes need <= 32). ~0.5M pairs per
 * level. */
static void sorted_body(void) {
    char q[80];
    size_t lens[300];
    long pairs = 0;
    long target = (nm_simd_active() == NM_SIMD_SCALAR ? 100000 : 500000) / PAIRS_DIV;
    while (pairs < target) {
        int a = (int)(rnd() % 4);
        int alpha = a == 3 ? 0 : 2 + 2 * a;
        size_t lq = rnd() % 41, n = 64 + rnd() % 236;
        rand_str(q, lq, alpha);
        for (size_t i = 0; i < n; i++) lens[i] = rnd() % 4 ? rnd() % 9 : rnd() % 20;
        qsort(lens, n, sizeof *lens, cmp_size);
        check_batch(q, lq, lens, n, alpha);
        pairs += (long)n;
    }
}

Test(jaro_batch, sorted_short_blocks_bit_identical, .timeout = 120) { run_all_levels(sorted_body); }

/* Queries longer than the candidates (17-64 bytes) against runs of
 * candidates <= 16 bytes: the AVX-512 run kernels then score in 32-bit
 * lanes (lq > 32) and build rows for repeated query bytes once; names with
 * 2-4 letters repeat bytes in every query. ~150k pairs per level. */
static void long_query_short_block_body(void) {
    char q[80];
    size_t lens[200];
    long pairs = 0;
    long target = (nm_simd_active() == NM_SIMD_SCALAR ? 30000 : 150000) / PAIRS_DIV;
    while (pairs < target) {
        int alpha = 2 + 2 * (int)(rnd() % 3);
        size_t lq = 17 + rnd() % 48, n = 64 + rnd() % 137;
        rand_str(q, lq, alpha);
        for (size_t i = 0; i < n; i++) lens[i] = rnd() % 17;
        check_batch(q, lq, lens, n, alpha);
        pairs += (long)n;
    }
}

Test(jaro_batch, long_query_short_block_bit_identical, .timeout = 120) { run_all_levels(long_query_short_block_body); }

Test(jaro_batch, long_query_falls_back) {
    char q[300];
    size_t lens[40];
    nm_simd_level best = nm_simd_detect();
    for (int lvl = NM_SIMD_SCALAR; lvl <= (int)best; lvl++) {
        nm_simd_force((nm_simd_level)lvl);
        for (int it = 0; it < 20; it++) {
            size_t lq = 65 + rnd() % 200;
            rand_str(q, lq, 3);
            for (size_t i = 0; i < 40; i++) lens[i] = rnd() % 300;
            check_batch(q, lq, lens, 40, 3);
        }
    }
    nm_simd_force(best);
}
