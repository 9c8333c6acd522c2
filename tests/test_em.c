/* Tests of training: EM recovers the m, u and lambda of a known model from
 * simulated comparison vectors; Splink-style multi-run EM takes the median;
 * results are deterministic; u from random pairs and supervised m/u equal
 * the observed frequencies. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "npimatch.h"

/* Comparisons 0 and 3 have a null level (index 0); 1 and 2 do not. The
 * starting m/u are deliberately far from the truth below. */
static const char MODEL[] =
    "{\"npimatch_model_version\": 1, \"probability_two_random_records_match\": 0.3,\n"
    " \"fields\": [{\"name\": \"a\", \"type\": \"text\"}, {\"name\": \"b\", \"type\": \"text\"},\n"
    "   {\"name\": \"c\", \"type\": \"text\"}, {\"name\": \"d\", \"type\": \"text\"}],\n"
    " \"comparisons\": [\n"
    "  {\"name\": \"a\", \"fields\": [\"a\"], \"levels\": [{\"label\": \"null\", \"predicate\": \"null\"},\n"
    "    {\"label\": \"exact\", \"predicate\": \"exact\", \"m\": 0.6, \"u\": 0.2},\n"
    "    {\"label\": \"jw90\", \"predicate\": \"jw>=90\", \"m\": 0.2, \"u\": 0.3},\n"
    "    {\"label\": \"else\", \"predicate\": \"else\", \"m\": 0.2, \"u\": 0.5}]},\n"
    "  {\"name\": \"b\", \"fields\": [\"b\"], \"levels\": [\n"
    "    {\"label\": \"exact\", \"predicate\": \"exact\", \"m\": 0.6, \"u\": 0.2},\n"
    "    {\"label\": \"lev2\", \"predicate\": \"levenshtein<=2\", \"m\": 0.2, \"u\": 0.3},\n"
    "    {\"label\": \"else\", \"predicate\": \"else\", \"m\": 0.2, \"u\": 0.5}]},\n"
    "  {\"name\": \"c\", \"fields\": [\"c\"], \"levels\": [\n"
    "    {\"label\": \"exact\", \"predicate\": \"exact\", \"m\": 0.6, \"u\": 0.2},\n"
    "    {\"label\": \"jw80\", \"predicate\": \"jw>=80\", \"m\": 0.2, \"u\": 0.3},\n"
    "    {\"label\": \"else\", \"predicate\": \"else\", \"m\": 0.2, \"u\": 0.5}]},\n"
    "  {\"name\": \"d\", \"fields\": [\"d\"], \"levels\": [{\"label\": \"null\", \"predicate\": \"null\"},\n"
    "    {\"label\": \"exact\", \"predicate\": \"exact\", \"m\": 0.5, \"u\": 0.1},\n"
    "    {\"label\": \"jw95\", \"predicate\": \"jw>=95\", \"m\": 0.2, \"u\": 0.2},\n"
    "    {\"label\": \"jw85\", \"predicate\": \"jw>=85\", \"m\": 0.2, \"u\": 0.3},\n"
    "    {\"label\": \"else\", \"predicate\": \"else\", \"m\": 0.1, \"u\": 0.4}]}],\n"
    " \"blocking_rules\": [{\"name\": \"b\", \"keys\": \"a\"}],\n"
    " \"training_blocking_rules\": [{\"name\": \"ta\", \"keys\": \"a\"}, {\"name\": \"tb\", \"keys\": \"b\"},\n"
    "   {\"name\": \"tc\", \"keys\": \"c\"}]}\n";

/* The truth the pairs are simulated from (non-null levels; index = level). */
static const int NL[4] = {4, 3, 3, 5};
static const int HAS_NULL[4] = {1, 0, 0, 1};
static const double TM[4][5] = {{0, .85, .10, .05}, {.80, .15, .05}, {.90, .07, .03}, {0, .70, .15, .10, .05}};
static const double TU[4][5] = {{0, .02, .08, .90}, {.05, .15, .80}, {.10, .20, .70}, {0, .01, .04, .15, .80}};
static const double LAMBDA = 0.1;

static uint64_t rng_state;
static double rnd(void) {   /* splitmix64 -> [0,1) */
    uint64_t z = (rng_state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return (double)((z ^ (z >> 31)) >> 11) * 0x1.0p-53;
}

static void simulate_with(uint64_t seed, size_t n, double lambda, nm_patterns *p) {
    rng_state = seed;
    for (size_t i = 0; i < n; i++) {
        int match = rnd() < lambda;
        uint8_t v[4];
        for (int c = 0; c < 4; c++) {
            if (HAS_NULL[c] && rnd() < 0.1) {
                v[c] = 0;
                continue;
            }
            double r = rnd(), acc = 0;
            const double *pr = match ? TM[c] : TU[c];
            int l = HAS_NULL[c];
            for (; l < NL[c] - 1; l++) {
                acc += pr[l];
                if (r < acc) break;
            }
            v[c] = (uint8_t)l;
        }
        cr_assert_eq(nm_patterns_add(p, v, 1), 0);
    }
}

static void simulate(uint64_t seed, size_t n, nm_patterns *p) { simulate_with(seed, n, LAMBDA, p); }

static nm_model *load(void) {
    nm_model *m;
    nm_err e;
    cr_assert_eq(nm_model_parse(MODEL, sizeof MODEL - 1, "em.json", &m, &e), 0, "%s", e.msg);
    return m;
}

static nm_patterns *sim(uint64_t seed, size_t n) {
    nm_patterns *p;
    cr_assert_eq(nm_patterns_create(4, &p), 0);
    simulate(seed, n, p);
    return p;
}

Test(em, recovers_m_u_lambda_from_simulated_pairs) {
    nm_model *m = load();
    nm_patterns *p = sim(42, 200000);
    cr_assert_eq(nm_patterns_total(p), 200000);
    cr_assert_leq(nm_patterns_count(p), 4 * 3 * 3 * 5);
    nm_em_options o = {.estimate_u = 1, .set_lambda = 1};
    nm_em_report rep;
    nm_err e;
    const nm_patterns *runs[1] = {p};
    cr_assert_eq(nm_train_em(m, runs, NULL, 1, &o, &rep, &e), 0, "%s", e.msg);
    cr_assert(rep.converged, "EM did not converge in %d iterations", rep.iterations);
    cr_log_info("EM: %d iterations, lambda %.4f", rep.iterations, nm_model_lambda(m));
    cr_assert_float_eq(nm_model_lambda(m), LAMBDA, 0.01);
    for (int c = 0; c < 4; c++) {
        const nm_comparison *cmp = nm_model_comparison(m, (size_t)c);
        for (int l = HAS_NULL[c]; l < NL[c]; l++) {
            cr_assert_float_eq(cmp->levels[l].m, TM[c][l], 0.02, "m[%d][%d] = %g, truth %g", c, l, cmp->levels[l].m, TM[c][l]);
            cr_assert_float_eq(cmp->levels[l].u, TU[c][l], 0.02, "u[%d][%d] = %g, truth %g", c, l, cmp->levels[l].u, TU[c][l]);
        }
    }
    /* trained weights are derived from the trained m/u */
    const nm_comparison *c0 = nm_model_comparison(m, 0);
    cr_assert_float_eq(nm_model_level_weight(m, 0, 1), log2(c0->levels[1].m / c0->levels[1].u), 1e-12);
    nm_patterns_free(p);
    nm_model_free(m);
}

Test(em, deterministic_across_runs) {
    char *json[2];
    for (int k = 0; k < 2; k++) {
        nm_model *m = load();
        nm_patterns *p = sim(7, 50000);
        const nm_patterns *runs[2] = {p, p};
        uint64_t fixed[2] = {1, 2};
        nm_em_options o = {.estimate_u = 1};
        cr_assert_eq(nm_train_em(m, runs, fixed, 2, &o, NULL, NULL), 0);
        cr_assert_eq(nm_model_to_json(m, &json[k], NULL, NULL), 0);
        nm_patterns_free(p);
        nm_model_free(m);
    }
    cr_assert_str_eq(json[0], json[1]);
    free(json[0]);
    free(json[1]);
}

static int cmpd(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

Test(em, runs_hold_blocked_comparisons_fixed_and_take_the_median) {
    nm_model *base = load();
    /* u fixed at the truth (as if from random sampling): only m is estimated */
    for (int c = 0; c < 4; c++)
        for (int l = HAS_NULL[c]; l < NL[c]; l++) cr_assert_eq(nm_model_set_mu(base, (size_t)c, (size_t)l, 0.3, TU[c][l]), 0);
    nm_model_set_lambda(base, 0.2);
    nm_patterns *p[3] = {sim(1, 60000), sim(2, 60000), sim(3, 60000)};
    uint64_t fixed[3] = {1u << 0, 1u << 1, 1u << 2};
    double single[3][4][5];
    for (int r = 0; r < 3; r++) {
        nm_model *m;
        cr_assert_eq(nm_model_clone(base, &m), 0);
        const nm_patterns *one[1] = {p[r]};
        cr_assert_eq(nm_train_em(m, one, &fixed[r], 1, NULL, NULL, NULL), 0);
        for (int c = 0; c < 4; c++)
            for (int l = 0; l < NL[c]; l++) single[r][c][l] = nm_model_comparison(m, (size_t)c)->levels[l].m;
        /* the held comparison is untouched, u never moves */
        cr_assert_eq(single[r][r][HAS_NULL[r]], 0.3);
        nm_model_free(m);
    }
    nm_model *m;
    cr_assert_eq(nm_model_clone(base, &m), 0);
    const nm_patterns *runs[3] = {p[0], p[1], p[2]};
    nm_em_report rep[3];
    cr_assert_eq(nm_train_em(m, runs, fixed, 3, NULL, rep, NULL), 0);
    for (int c = 0; c < 4; c++) {
        const nm_comparison *cmp = nm_model_comparison(m, (size_t)c);
        for (int l = HAS_NULL[c]; l < NL[c]; l++) {
            double v[3];
            int k = 0;
            for (int r = 0; r < 3; r++)
                if (!(fixed[r] >> c & 1)) v[k++] = single[r][c][l];
            qsort(v, (size_t)k, sizeof *v, cmpd);
            double med = k == 3 ? v[1] : (v[0] + v[1]) / 2;
            cr_assert_eq(cmp->levels[l].m, med, "m[%d][%d]", c, l);
            cr_assert_float_eq(cmp->levels[l].m, TM[c][l], 0.02, "m[%d][%d] = %g", c, l, cmp->levels[l].m);
            cr_assert_eq(cmp->levels[l].u, TU[c][l]);
        }
    }
    for (int r = 0; r < 3; r++) {
        cr_assert(rep[r].converged);
        cr_assert_float_eq(rep[r].lambda, LAMBDA, 0.015);
    }
    cr_assert_eq(nm_model_lambda(m), 0.2);   /* set_lambda not asked */
    for (int r = 0; r < 3; r++) nm_patterns_free(p[r]);
    nm_model_free(m);
    nm_model_free(base);
}

Test(em, u_from_random_pairs_equals_observed_frequencies) {
    nm_model *m = load();
    enum { N = 1000 };
    static uint8_t vec[N * 4];
    size_t cnt[4][5] = {{0}};
    rng_state = 99;
    for (int i = 0; i < N; i++)
        for (int c = 0; c < 4; c++) {
            int l = (int)(rnd() * NL[c]);
            if (c == 3 && l == 2) l = 4;   /* level 2 of d never seen */
            vec[i * 4 + c] = (uint8_t)l;
            cnt[c][l]++;
        }
    cr_assert_eq(nm_train_u_random(m, vec, N, NULL), 0);
    for (int c = 0; c < 4; c++) {
        double nn = (double)N - (HAS_NULL[c] ? (double)cnt[c][0] : 0);
        const nm_comparison *cmp = nm_model_comparison(m, (size_t)c);
        for (int l = HAS_NULL[c]; l < NL[c]; l++) {
            double want = cnt[c][l] ? (double)cnt[c][l] / nn : 0.5 / nn;
            cr_assert_float_eq(cmp->levels[l].u, want, 1e-15, "u[%d][%d]", c, l);
        }
        /* m untouched */
        cr_assert_eq(cmp->levels[NL[c] - 1].m, c == 3 ? 0.1 : 0.2);
    }
    cr_assert_eq(cnt[3][2], 0);
    vec[5] = 7;
    cr_assert_eq(nm_train_u_random(m, vec, N, NULL), NM_E_ARG);
    nm_model_free(m);
}

Test(em, supervised_from_labels) {
    nm_model *m = load();
    /* 4 matches, 6 non-matches */
    static const uint8_t vec[10][4] = {{1, 0, 0, 1}, {1, 0, 0, 1}, {2, 0, 1, 2}, {0, 1, 0, 1},
                                       {3, 2, 2, 4}, {3, 2, 2, 4}, {3, 1, 2, 3}, {1, 2, 2, 4}, {3, 2, 1, 0}, {2, 2, 2, 4}};
    static const uint8_t lab[10] = {1, 1, 1, 1, 0, 0, 0, 0, 0, 0};
    cr_assert_eq(nm_train_supervised(m, &vec[0][0], lab, 10, 1, NULL), 0);
    const nm_comparison *a = nm_model_comparison(m, 0), *b = nm_model_comparison(m, 1);
    cr_assert_float_eq(a->levels[1].m, 2.0 / 3, 1e-15);    /* null excluded: 3 non-null matches */
    cr_assert_float_eq(a->levels[2].m, 1.0 / 3, 1e-15);
    cr_assert_float_eq(a->levels[3].m, 0.5 / 3, 1e-15);    /* never seen */
    cr_assert_float_eq(b->levels[0].m, 0.75, 1e-15);
    cr_assert_float_eq(a->levels[3].u, 4.0 / 6, 1e-15);
    cr_assert_float_eq(b->levels[2].u, 5.0 / 6, 1e-15);
    cr_assert_float_eq(nm_model_lambda(m), 0.4, 1e-15);
    static const uint8_t none[10] = {0};
    cr_assert_eq(nm_train_supervised(m, &vec[0][0], none, 10, 0, NULL), NM_E_ARG);
    nm_model_free(m);
}

Test(em, patterns_merge_duplicates_and_check_input) {
    nm_patterns *p;
    cr_assert_eq(nm_patterns_create(4, &p), 0);
    uint8_t v1[4] = {1, 0, 0, 1}, v2[4] = {1, 0, 0, 2};
    for (int i = 0; i < 1000; i++) cr_assert_eq(nm_patterns_add(p, i % 3 ? v1 : v2, 2), 0);
    cr_assert_eq(nm_patterns_count(p), 2);
    cr_assert_eq(nm_patterns_total(p), 2000);
    /* many distinct patterns force growth */
    for (int i = 0; i < 5000; i++) {
        uint8_t v[4] = {(uint8_t)(i & 3), (uint8_t)((i >> 2) & 15), (uint8_t)((i >> 6) & 15), (uint8_t)(i >> 10)};
        cr_assert_eq(nm_patterns_add(p, v, 1), 0);
    }
    cr_assert_eq(nm_patterns_total(p), 7000);
    cr_assert_eq(nm_patterns_count(p), 5000 + 0);   /* v1, v2 are among the 5000 */
    nm_model *m = load();
    const nm_patterns *runs[1] = {p};
    nm_err e;
    cr_assert_eq(nm_train_em(m, runs, NULL, 1, NULL, NULL, &e), NM_E_ARG);   /* levels out of range */
    nm_patterns *q;
    cr_assert_eq(nm_patterns_create(3, &q), 0);
    runs[0] = q;
    cr_assert_eq(nm_train_em(m, runs, NULL, 1, NULL, NULL, &e), NM_E_ARG);   /* wrong width */
    nm_patterns_free(q);
    cr_assert_eq(nm_patterns_create(0, &q), NM_E_ARG);
    nm_patterns_free(p);
    nm_model_free(m);
}

/* A pair source for nm_train: random pairs are non-matches (lambda 0);
 * each training rule's pairs are a simulated mixture with its own seed. */
static int source(void *ctx, int rule, nm_patterns *out, nm_err *err) {
    int *calls = ctx;
    calls[rule + 2]++;
    if (rule == 1 && calls[5]) return NM_E_IO;   /* injected failure */
    simulate_with(1000 + (uint64_t)(rule + 2), rule < 0 ? 300000 : 60000, rule < 0 ? 0 : LAMBDA, out);
    return 0;
}

Test(em, train_runs_u_then_one_em_run_per_training_rule) {
    nm_model *m = load();
    cr_assert_eq(nm_model_training_rule_count(m), 3);
    cr_assert_eq(nm_model_training_rule(m, 1)->comparisons, 2);
    int calls[6] = {0};
    nm_em_report rep[3];
    nm_err e;
    cr_assert_eq(nm_train(m, source, calls, NULL, rep, &e), 0, "%s", e.msg);
    cr_assert_eq(calls[1], 1);                 /* random pairs once */
    cr_assert_eq(calls[2] + calls[3] + calls[4], 3);
    cr_assert_eq(calls[0], 0);                 /* no whole-set run when rules exist */
    for (int c = 0; c < 4; c++) {
        const nm_comparison *cmp = nm_model_comparison(m, (size_t)c);
        for (int l = HAS_NULL[c]; l < NL[c]; l++) {
            cr_assert_float_eq(cmp->levels[l].u, TU[c][l], 0.01, "u[%d][%d] = %g", c, l, cmp->levels[l].u);
            cr_assert_float_eq(cmp->levels[l].m, TM[c][l], 0.02, "m[%d][%d] = %g", c, l, cmp->levels[l].m);
        }
    }
    for (int r = 0; r < 3; r++) cr_assert(rep[r].converged);
    /* a failing source stops training with its code */
    int fail_calls[6] = {0, 0, 0, 0, 0, 1};
    cr_assert_eq(nm_train(m, source, fail_calls, NULL, NULL, NULL), NM_E_IO);
    nm_model_free(m);
}

Test(em, u_from_patterns_equals_u_from_vectors) {
    nm_model *a = load(), *b = load();
    /* weighted pattern counts must give what the equivalent vector list gives */
    nm_patterns *r;
    cr_assert_eq(nm_patterns_create(4, &r), 0);
    static const uint8_t vs[5][4] = {{1, 0, 0, 1}, {1, 0, 0, 1}, {2, 1, 2, 0}, {3, 2, 2, 4}, {1, 0, 0, 1}};
    for (int i = 0; i < 5; i++) cr_assert_eq(nm_patterns_add(r, vs[i], 3), 0);
    uint8_t expanded[15][4];
    for (int i = 0; i < 15; i++) memcpy(expanded[i], vs[i % 5], 4);
    cr_assert_eq(nm_train_u_patterns(a, r, NULL), 0);
    cr_assert_eq(nm_train_u_random(b, &expanded[0][0], 15, NULL), 0);
    for (int c = 0; c < 4; c++)
        for (int l = HAS_NULL[c]; l < NL[c]; l++)
            cr_assert_eq(nm_model_comparison(a, (size_t)c)->levels[l].u, nm_model_comparison(b, (size_t)c)->levels[l].u);
    cr_assert_float_eq(nm_model_comparison(a, 3)->levels[1].u, 9.0 / 12, 1e-15);   /* 3 of 15 are null */
    cr_assert_float_eq(nm_model_comparison(a, 0)->levels[1].u, 9.0 / 15, 1e-15);
    nm_patterns_free(r);
    nm_model_free(a);
    nm_model_free(b);
}

Test(em, lambda_from_deterministic_rules) {
    nm_model *m = load();
    /* 1,000 records deduplicated: 499,500 pairs; rules find 400 at 80% recall */
    cr_assert_eq(nm_model_estimate_lambda(m, 400, 0.8, 499500, NULL), 0);
    cr_assert_float_eq(nm_model_lambda(m), 500.0 / 499500, 1e-18);
    cr_assert_float_eq(nm_model_prior_weight(m), log2((500.0 / 499500) / (1 - 500.0 / 499500)), 1e-12);
    cr_assert_eq(nm_model_estimate_lambda(m, 0, 0.8, 100, NULL), NM_E_ARG);
    cr_assert_eq(nm_model_estimate_lambda(m, 10, 0, 100, NULL), NM_E_ARG);
    cr_assert_eq(nm_model_estimate_lambda(m, 100, 0.5, 100, NULL), NM_E_ARG);
    nm_model_free(m);
}
