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
