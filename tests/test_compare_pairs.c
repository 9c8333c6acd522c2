/* The compare stage: levels in model order, best level over the values of
 * multi-valued fields, null when a side is missing, token-set Jaccard decided
 * exactly, same vectors at every SIMD level. */
#include <criterion/criterion.h>
#include <string.h>
#include "compare/compare_pairs.h"
#include "npimatch.h"

static const char MODEL[] =
    "{\"npimatch_model_version\": 1, \"name\": \"t\", \"probability_two_random_records_match\": 0.01,"
    " \"fields\": [{\"name\": \"first_name\", \"type\": \"given_name\"}, {\"name\": \"last_name\", \"type\": \"surname\"},"
    "  {\"name\": \"address\", \"type\": \"address\"}, {\"name\": \"org\", \"type\": \"text\"}],"
    " \"comparisons\": ["
    "  {\"name\": \"first_name\", \"fields\": [\"first_name\"], \"levels\": [{\"label\": \"null\", \"predicate\": \"null\"},"
    "   {\"label\": \"exact\", \"predicate\": \"exact\", \"m\": 0.8, \"u\": 0.01}, {\"label\": \"nickname\", \"predicate\": \"nickname\", \"m\": 0.05, \"u\": 0.01},"
    "   {\"label\": \"jw92\", \"predicate\": \"jw>=92\", \"m\": 0.05, \"u\": 0.01}, {\"label\": \"jw80\", \"predicate\": \"jw>=80\", \"m\": 0.05, \"u\": 0.02},"
    "   {\"label\": \"else\", \"predicate\": \"else\", \"m\": 0.05, \"u\": 0.95}]},"
    "  {\"name\": \"last_name\", \"fields\": [\"last_name\"], \"levels\": [{\"label\": \"null\", \"predicate\": \"null\"},"
    "   {\"label\": \"exact\", \"predicate\": \"exact\", \"m\": 0.8, \"u\": 0.01}, {\"label\": \"dm\", \"predicate\": \"dmetaphone\", \"m\": 0.1, \"u\": 0.01},"
    "   {\"label\": \"else\", \"predicate\": \"else\", \"m\": 0.1, \"u\": 0.98}]},"
    "  {\"name\": \"address\", \"fields\": [\"address\"], \"levels\": [{\"label\": \"null\", \"predicate\": \"null\"},"
    "   {\"label\": \"exact\", \"predicate\": \"exact\", \"m\": 0.8, \"u\": 0.01}, {\"label\": \"else\", \"predicate\": \"else\", \"m\": 0.2, \"u\": 0.99}]},"
    "  {\"name\": \"org\", \"fields\": [\"org\"], \"levels\": [{\"label\": \"null\", \"predicate\": \"null\"},"
    "   {\"label\": \"t67\", \"predicate\": \"token_jaccard>=67\", \"m\": 0.8, \"u\": 0.01}, {\"label\": \"else\", \"predicate\": \"else\", \"m\": 0.2, \"u\": 0.99}]}"
    " ], \"blocking_rules\": [{\"name\": \"last\", \"keys\": \"last_name\"}]}";

typedef struct rec {
    const char *first[2], *last, *addr[3], *org;
} rec;

static void add(nm_rtable *t, const rec *r) {
    for (int i = 0; i < 2 && r->first[i]; i++) nm_rtable_add(t, 0, r->first[i], strlen(r->first[i]), 0);
    if (r->last) nm_rtable_add(t, 1, r->last, strlen(r->last), 0);
    for (int i = 0; i < 3 && r->addr[i]; i++) nm_rtable_add(t, 2, r->addr[i], strlen(r->addr[i]), 0);
    if (r->org) nm_rtable_add(t, 3, r->org, strlen(r->org), 0);
    nm_rtable_end_record(t);
}

Test(compare_pairs, levels_best_over_values_and_simd_identical) {
    nm_model *m;
    nm_err e;
    cr_assert_eq(nm_model_parse(MODEL, sizeof MODEL - 1, "t.json", &m, &e), 0, "%s", e.msg);
    nm_rtable q, ref;
    nm_rtable_init(&q, m);
    nm_rtable_init(&ref, m);
    rec query = {{"Bob", NULL}, "Smyth", {"12 Main Street", NULL, NULL}, "Acme Heart Clinic"};
    add(&q, &query);
    rec rows[] = {
        {{"ROBERT", NULL}, "SMITH", {"9 Oak Ave", "12 MAIN ST", NULL}, "ACME HEART CLINIC LLC"},   /* 2nd address exact */
        {{"BOBBY", "BOB"}, "SMYTH", {NULL}, "HEART CLINIC"},                                   /* other first name exact */
        {{"BOBB", NULL}, "JONES", {"1 ELM ST", NULL, NULL}, "ACME"},
        {{NULL}, NULL, {NULL}, NULL},
    };
    for (size_t i = 0; i < 4; i++) add(&ref, &rows[i]);
    nm_rrows rr;
    cr_assert_eq(nm_rrows_build(&rr, &ref, 1), 0);
    nm_cmp_plan plan;
    nm_cmp_plan_make(m, &plan);
    uint32_t ids[4] = {0, 1, 2, 3};
    uint8_t want[4][4] = {
        {2, 2, 1, 1},   /* nickname, dmetaphone SMITH~SMYTH, address exact (2nd value), 3/4 tokens */
        {1, 1, 0, 2},   /* exact via 2nd first name; no address: null; 2/3 tokens = 66.7% < 67% */
        {4, 3, 2, 2},   /* BOB/BOBB jw 0.93? see below; else; else; 1/3 tokens */
        {0, 0, 0, 0}};
    /* BOB vs BOBB: Jaro = (3/3 + 3/4 + 1)/3 = 0.9167, JW = 0.9167 + 3*0.1*0.0833 = 0.9417 -> jw92 */
    want[2][0] = 3;
    for (int lvl = NM_SIMD_SCALAR; lvl <= (int)nm_simd_detect(); lvl++) {
        nm_simd_force((nm_simd_level)lvl);
        nm_cmp_scratch s = {0};
        uint8_t v[16];
        cr_assert_eq(nm_compare_pairs(m, &plan, &q, 0, &rr, ids, 4, &s, v), 0);
        for (int i = 0; i < 4; i++)
            for (int c = 0; c < 4; c++) cr_assert_eq(v[i * 4 + c], want[i][c], "simd %d row %d comparison %d: %d", lvl, i, c, v[i * 4 + c]);
        nm_cmp_scratch_free(&s);
    }
    nm_simd_force(nm_simd_detect());
    nm_rrows_free(&rr);
    nm_rtable_free(&q);
    nm_rtable_free(&ref);
    nm_model_free(m);
}

/* The one-pass "within one edit" shortcut agrees with the DP distances on
 * many random short strings over a small alphabet (where edits collide). */
Test(compare_pairs, one_edit_shortcut_matches_dp) {
    static const char MODEL2[] =
        "{\"npimatch_model_version\": 1, \"name\": \"t\", \"probability_two_random_records_match\": 0.01,"
        " \"fields\": [{\"name\": \"a\", \"type\": \"identifier\"}, {\"name\": \"b\", \"type\": \"identifier\"}],"
        " \"comparisons\": ["
        "  {\"name\": \"a\", \"fields\": [\"a\"], \"levels\": [{\"label\": \"null\", \"predicate\": \"null\"},"
        "   {\"label\": \"osa1\", \"predicate\": \"osa<=1\", \"m\": 0.8, \"u\": 0.01}, {\"label\": \"else\", \"predicate\": \"else\", \"m\": 0.2, \"u\": 0.99}]},"
        "  {\"name\": \"b\", \"fields\": [\"b\"], \"levels\": [{\"label\": \"null\", \"predicate\": \"null\"},"
        "   {\"label\": \"lev1\", \"predicate\": \"levenshtein<=1\", \"m\": 0.8, \"u\": 0.01}, {\"label\": \"else\", \"predicate\": \"else\", \"m\": 0.2, \"u\": 0.99}]}"
        " ], \"blocking_rules\": [{\"name\": \"a\", \"keys\": \"a\"}]}";
    nm_model *m;
    nm_err e;
    cr_assert_eq(nm_model_parse(MODEL2, sizeof MODEL2 - 1, "t.json", &m, &e), 0, "%s", e.msg);
    nm_cmp_plan plan;
    nm_cmp_plan_make(m, &plan);
    uint64_t x = 12345;
    for (int it = 0; it < 3000; it++) {
        char sa[8], sb[8];
        int la, lb;
        x = x * 6364136223846793005ull + 1442695040888963407ull;
        la = 1 + (int)(x >> 60) % 5;
        lb = la + (int)((x >> 50) % 3) - 1;
        if (lb < 1) lb = 1;
        for (int i = 0; i < 7; i++) {
            x = x * 6364136223846793005ull + 1442695040888963407ull;
            sa[i] = (char)('1' + (x >> 61) % 3);
            sb[i] = (char)('1' + (x >> 58) % 3);
        }
        if (it % 3 == 0) memcpy(sb, sa, 7);   /* near-equal pairs too */
        if (it % 3 == 0 && la > 1) sb[(x >> 40) % (unsigned)la] = '1';
        nm_rtable q, ref;
        nm_rtable_init(&q, m);
        nm_rtable_init(&ref, m);
        nm_rtable_add(&q, 0, sa, (size_t)la, 0);
        nm_rtable_add(&q, 1, sa, (size_t)la, 0);
        nm_rtable_end_record(&q);
        nm_rtable_add(&ref, 0, sb, (size_t)lb, 0);
        nm_rtable_add(&ref, 1, sb, (size_t)lb, 0);
        nm_rtable_end_record(&ref);
        nm_rrows rr;
        nm_rrows_build(&rr, &ref, 1);
        nm_cmp_scratch s = {0};
        uint8_t v[2];
        uint32_t row = 0;
        cr_assert_eq(nm_compare_pairs(m, &plan, &q, 0, &rr, &row, 1, &s, v), 0);
        int osa = nm_osa_distance(sa, (size_t)la, sb, (size_t)lb, -1) <= 1, lev = nm_levenshtein(sa, (size_t)la, sb, (size_t)lb, -1) <= 1;
        cr_assert_eq(v[0] == 1, osa, "osa %.*s %.*s", la, sa, lb, sb);
        cr_assert_eq(v[1] == 1, lev, "lev %.*s %.*s", la, sa, lb, sb);
        nm_cmp_scratch_free(&s);
        nm_rrows_free(&rr);
        nm_rtable_free(&q);
        nm_rtable_free(&ref);
    }
    nm_model_free(m);
}
