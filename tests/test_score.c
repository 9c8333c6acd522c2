/* Tests of Fellegi-Sunter scoring: the weight table against log2(m/u)
 * computed here, term-frequency adjustment, probabilities, deterministic
 * rules and guards, the compact explanation and the waterfall. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "npimatch.h"

static const char MODEL[] =
    "{\"npimatch_model_version\": 1, \"probability_two_random_records_match\": 0.0001,\n"
    " \"fields\": [{\"name\": \"first_name\", \"type\": \"given_name\"}, {\"name\": \"last_name\", \"type\": \"surname\"},\n"
    "   {\"name\": \"postal_code\", \"type\": \"postal_code\"}, {\"name\": \"phone\", \"type\": \"phone\"}],\n"
    " \"comparisons\": [\n"
    "  {\"name\": \"first_name\", \"fields\": [\"first_name\"], \"levels\": [{\"label\": \"null\", \"predicate\": \"null\"},\n"
    "    {\"label\": \"exact\", \"predicate\": \"exact\", \"m\": 0.9, \"u\": 0.01, \"tf\": true},\n"
    "    {\"label\": \"else\", \"predicate\": \"else\", \"m\": 0.1, \"u\": 0.99}]},\n"
    "  {\"name\": \"last_name\", \"fields\": [\"last_name\"], \"levels\": [{\"label\": \"null\", \"predicate\": \"null\"},\n"
    "    {\"label\": \"exact\", \"predicate\": \"exact\", \"m\": 0.8, \"u\": 0.001, \"tf\": true},\n"
    "    {\"label\": \"jw92\", \"predicate\": \"jw>=92\", \"m\": 0.1, \"u\": 0.009},\n"
    "    {\"label\": \"else\", \"predicate\": \"else\", \"m\": 0.1, \"u\": 0.99}]},\n"
    "  {\"name\": \"postal_code\", \"fields\": [\"postal_code\"], \"levels\": [{\"label\": \"null\", \"predicate\": \"null\"},\n"
    "    {\"label\": \"zip5\", \"predicate\": \"zip5\", \"m\": 0.7, \"u\": 0.001},\n"
    "    {\"label\": \"zip3\", \"predicate\": \"zip3\", \"m\": 0.2, \"u\": 0.01},\n"
    "    {\"label\": \"else\", \"predicate\": \"else\", \"m\": 0.1, \"u\": 0.989}]},\n"
    "  {\"name\": \"phone\", \"fields\": [\"phone\"], \"levels\": [{\"label\": \"null\", \"predicate\": \"null\"},\n"
    "    {\"label\": \"exact\", \"predicate\": \"exact\", \"m\": 0.6, \"u\": 0.00001},\n"
    "    {\"label\": \"else\", \"predicate\": \"else\", \"m\": 0.4, \"u\": 0.99999}]}],\n"
    " \"blocking_rules\": [{\"name\": \"b\", \"keys\": \"last_name\"}],\n"
    " \"deterministic_rules\": [{\"name\": \"phone_last\", \"conditions\": [\n"
    "    {\"comparison\": \"phone\", \"levels\": [\"exact\"]}, {\"comparison\": \"last_name\", \"at_least\": \"jw92\"}]}],\n"
    " \"clustering\": {\"guards\": [{\"name\": \"g\", \"conditions\": [\n"
    "    {\"comparison\": \"first_name\", \"levels\": [\"else\"]}, {\"comparison\": \"postal_code\", \"levels\": [\"else\"]}]}]}}\n";

/* m and u of the fixture, typed again so the check is independent of parsing. */
static const double M[4][4] = {{0, 0.9, 0.1}, {0, 0.8, 0.1, 0.1}, {0, 0.7, 0.2, 0.1}, {0, 0.6, 0.4}};
static const double U[4][4] = {{0, 0.01, 0.99}, {0, 0.001, 0.009, 0.99}, {0, 0.001, 0.01, 0.989}, {0, 0.00001, 0.99999}};
static const int NL[4] = {3, 4, 4, 3};

/* The example pair of the explanation and waterfall tests: first name exact,
 * last name exact with a surname frequency of 1e-4, ZIP3, phone missing. */
static const uint8_t EX_V[4] = {1, 1, 2, 0};
static const double EX_TF[4] = {0, 0.0001, 0, 0};

static nm_model *load(void) {
    nm_model *m;
    nm_err e;
    int rc = nm_model_parse(MODEL, sizeof MODEL - 1, "score.json", &m, &e);
    cr_assert_eq(rc, 0, "%s", e.msg);
    return m;
}

Test(score, weight_table_is_log2_m_over_u) {
    nm_model *m = load();
    cr_assert_float_eq(nm_model_prior_weight(m), log(0.0001 / 0.9999) / log(2), 1e-12);
    for (int c = 0; c < 4; c++) {
        cr_assert_eq(nm_model_level_weight(m, (size_t)c, 0), 0.0);   /* null */
        for (int l = 1; l < NL[c]; l++)
            cr_assert_float_eq(nm_model_level_weight(m, (size_t)c, (size_t)l), log(M[c][l] / U[c][l]) / log(2), 1e-12,
                               "comparison %d level %d", c, l);
    }
    nm_model_free(m);
}

Test(score, score_is_prior_plus_level_weights) {
    nm_model *m = load();
    uint8_t v[4] = {1, 2, 3, 0};
    double want = log(0.0001 / 0.9999) / log(2) + log(90) / log(2) + log(0.1 / 0.009) / log(2) + log(0.1 / 0.989) / log(2);
    double tfp = 99;
    cr_assert_float_eq(nm_score(m, v, NULL, &tfp), want, 1e-12);
    cr_assert_eq(tfp, 0.0);
    cr_assert_eq(nm_model_check_vector(m, v), 0);
    v[3] = 3;
    cr_assert_eq(nm_model_check_vector(m, v), NM_E_ARG);
    nm_model_free(m);
}

Test(score, batch_equals_single_pair) {
    nm_model *m = load();
    enum { N = 5000 };
    static uint8_t vec[N * 4];
    static double out[N];
    uint32_t s = 12345;
    for (int i = 0; i < N; i++)
        for (int c = 0; c < 4; c++) {
            s = s * 1664525u + 1013904223u;
            vec[i * 4 + c] = (uint8_t)((s >> 16) % (uint32_t)NL[c]);
        }
    nm_score_batch(m, vec, N, out);
    for (int i = 0; i < N; i++) cr_assert_eq(out[i], nm_score(m, vec + i * 4, NULL, NULL));
    /* with TF folded per query: bit-identical to the single-pair path */
    double tf[4] = {0.003, 0.00002, 0.5, 0.1};
    nm_score_batch_tf(m, vec, N - 1, tf, out);   /* odd count exercises the tail loop */
    int differs = 0;
    for (int i = 0; i < N - 1; i++) {
        double tp;
        cr_assert_eq(out[i], nm_score(m, vec + i * 4, tf, &tp), "pair %d", i);
        differs += tp != 0;
    }
    cr_assert_gt(differs, 0);
    nm_model_free(m);
}

Test(score, term_frequency_adjustment) {
    nm_model *m = load();
    uint8_t v[4] = {1, 1, 1, 1};
    double common[4] = {0, 0.01, 0, 0}, rare[4] = {0, 0.0001, 0, 0}, tiny[4] = {0, 1e-9, 0, 0};
    double base = nm_score(m, v, NULL, NULL);
    double tf_c, tf_r, tf_t;
    double wc = nm_score(m, v, common, &tf_c), wr = nm_score(m, v, rare, &tf_r), wt = nm_score(m, v, tiny, &tf_t);
    /* a rarer surname is stronger evidence */
    cr_assert_gt(wr, wc);
    /* u replaced by the frequency: log2(u / f) */
    cr_assert_float_eq(tf_c, log(0.001 / 0.01) / log(2), 1e-12);
    cr_assert_float_eq(tf_r, log(0.001 / 0.0001) / log(2), 1e-12);
    cr_assert_float_eq(wr - base, tf_r, 1e-12);
    /* frequencies below tf_minimum_u (default 1e-5) are floored */
    cr_assert_float_eq(tf_t, log(0.001 / 1e-5) / log(2), 1e-12);
    cr_assert_float_eq(wt, base + tf_t, 1e-12);
    /* no TF on levels without the flag (phone exact), nor on non-exact levels */
    double ph[4] = {0, 0, 0, 0.5};
    cr_assert_eq(nm_score(m, v, ph, NULL), base);
    uint8_t v2[4] = {1, 2, 1, 1};
    cr_assert_eq(nm_score(m, v2, rare, NULL), nm_score(m, v2, NULL, NULL));
    cr_assert_eq(nm_model_tf_weight(m, 1, 2, 0.0001), 0.0);
    nm_model_free(m);
}

Test(score, probabilities) {
    cr_assert_eq(nm_weight_to_probability(0), 0.5);
    cr_assert_float_eq(nm_weight_to_probability(1), 2.0 / 3, 1e-15);
    cr_assert_float_eq(nm_weight_to_probability(-1), 1.0 / 3, 1e-15);
    cr_assert_eq(nm_weight_to_probability(5000), 1.0);
    cr_assert_eq(nm_weight_to_probability(-5000), 0.0);
    cr_assert_float_eq(nm_weight_to_probability(log2(0.9 / 0.1)), 0.9, 1e-15);
}

Test(score, rules_and_guards) {
    nm_model *m = load();
    uint8_t v[4] = {0, 2, 0, 1};        /* last_name jw92, phone exact */
    cr_assert_eq(nm_model_first_rule(m, v), 0);
    v[1] = 3;                           /* last_name else */
    cr_assert_eq(nm_model_first_rule(m, v), -1);
    v[1] = 0;                           /* null never satisfies at_least */
    cr_assert_eq(nm_model_first_rule(m, v), -1);
    uint8_t g[4] = {2, 1, 3, 1};
    cr_assert_eq(nm_model_first_guard(m, g), 0);
    g[2] = 0;                           /* postal code null: not confidently different */
    cr_assert_eq(nm_model_first_guard(m, g), -1);
    nm_model_free(m);
}

Test(score, explanation_string) {
    nm_model *m = load();
    const uint8_t *v = EX_V;
    const double *tf = EX_TF;
    char out[256];
    int n = nm_explain(m, v, tf, out, sizeof out);
    const char *want = "first_name=exact:+6.5;last_name=exact:+13.0(tf);postal_code=zip3:+4.3;phone=null:0";
    cr_assert_str_eq(out, want);
    cr_assert_eq(n, (int)strlen(want));
    uint8_t v2[4] = {2, 3, 3, 2};
    nm_explain(m, v2, NULL, out, sizeof out);
    cr_assert_str_eq(out, "first_name=else:-3.3;last_name=else:-3.3;postal_code=else:-3.3;phone=else:-1.3");
    /* truncation: snprintf convention */
    char small[12];
    cr_assert_eq(nm_explain(m, v, tf, small, sizeof small), (int)strlen(want));
    cr_assert_str_eq(small, "first_name=");
    uint8_t bad[4] = {9, 0, 0, 0};
    cr_assert_eq(nm_explain(m, bad, NULL, out, sizeof out), NM_E_ARG);
    nm_model_free(m);
}

Test(score, waterfall_accumulates) {
    nm_model *m = load();
    const uint8_t *v = EX_V;
    const double *tf = EX_TF;
    nm_waterfall_step st[5];
    cr_assert_eq(nm_waterfall(m, v, tf, st), 5);
    cr_assert_str_eq(st[0].comparison, "prior");
    cr_assert_eq(st[0].cumulative, nm_model_prior_weight(m));
    cr_assert_str_eq(st[2].comparison, "last_name");
    cr_assert_str_eq(st[2].label, "exact");
    cr_assert_float_eq(st[2].weight, log(800) / log(2), 1e-12);
    cr_assert_float_eq(st[2].tf_weight, log(10) / log(2), 1e-12);
    cr_assert_eq(st[4].weight, 0.0);
    double total = nm_score(m, v, tf, NULL);
    cr_assert_float_eq(st[4].cumulative, total, 1e-9);
    cr_assert_float_eq(st[4].probability, nm_weight_to_probability(total), 1e-12);
    for (int i = 1; i < 5; i++)
        cr_assert_float_eq(st[i].cumulative, st[i - 1].cumulative + st[i].weight + st[i].tf_weight, 1e-12);
    nm_model_free(m);
}
