/* Blocking: keys from normalized multi-valued fields, null keys never
 * block, blocks over the cap are skipped and counted, a candidate found by
 * several rules is kept once with the first rule. */
#include "match_fixture.h"
#include "block/candidates.h"
#include "index/keys.h"
#include "match/matcher.h"

static nm_registry *REG;
static nm_model *MODEL;

static void setup(void) {
    static prov p[24];
    size_t n = 0;
    p[n++] = (prov){1, "ROBERT", NULL, "JONES", NULL, NULL, "100 MAIN ST", "SPRINGFIELD", "IL", "62701", "2175550100", NULL, NULL, NULL};
    p[n++] = (prov){1, "ANNA", NULL, "KOWALSKI", NULL, NULL, "9 BAY RD", "TAMPA", "FL", "33601", NULL, NULL, NULL, NULL};
    p[n++] = (prov){1, "LEE", NULL, "PARK", NULL, NULL, "1 HILL ST", "TAMPA", "FL", "33601", "(217) 555-0100", NULL, NULL, NULL};
    for (int i = 0; i < 20; i++)
        p[n++] = (prov){1, "ALAN", NULL, "SMITH", NULL, NULL, "1 RANCH RD", "DALLAS", "TX", "75001", NULL, NULL, NULL, NULL};
    fx_hcp_setup(p, n, "index_nppes", &REG, &MODEL);
}

static void teardown(void) { fx_hcp_free(REG, MODEL); }

TestSuite(index, .init = setup, .fini = teardown);

static int rule_index(const nm_model *m, const char *name) {
    for (size_t i = 0; i < nm_model_blocking_rule_count(m); i++)
        if (!strcmp(nm_model_blocking_rule(m, i)->name, name)) return (int)i;
    cr_assert_fail("no rule %s", name);
    return -1;
}

Test(index, null_keys_never_block) {
    nm_matcher *mt;
    nm_err e;
    nm_match_opts o = {1, 0, -1, -1, 0};
    cr_assert_eq(nm_matcher_create(REG, MODEL, &o, &mt, &e), 0);
    int ph = rule_index(MODEL, "phone");
    const nm_blocking_rule *r = nm_model_blocking_rule(MODEL, (size_t)ph);
    nm_vview scratch[256];
    uint64_t k0[NM_KEYS_MAX], k1[NM_KEYS_MAX], k2[NM_KEYS_MAX];
    cr_assert_eq(nm_block_keys_rows(&mt->rows, 1, r, (unsigned)ph, k1, scratch, 256), 0, "no phone, no key");
    cr_assert_eq(nm_block_keys_rows(&mt->rows, 0, r, (unsigned)ph, k0, scratch, 256), 1);
    cr_assert_eq(nm_block_keys_rows(&mt->rows, 2, r, (unsigned)ph, k2, scratch, 256), 1);
    cr_assert_eq(k0[0], k2[0], "phones typed two ways normalize to one key");
    /* Every indexed row of the phone rule has a phone: the two above. */
    cr_assert_eq(mt->ix.r[ph].nrows, 2);
    cr_assert_eq(mt->ix.r[ph].nkeys, 1);
    const uint32_t *rows;
    cr_assert_eq(nm_index_lookup(&mt->ix, (size_t)ph, k0[0], &rows), 2);
    cr_assert(rows[0] < rows[1], "rows ascending within a block");
    nm_matcher_free(mt);
}

Test(index, blocks_over_the_cap_are_skipped_and_counted) {
    nm_matcher *mt;
    nm_err e;
    nm_match_opts o = {1, 5, -1, -1, 0};
    cr_assert_eq(nm_matcher_create(REG, MODEL, &o, &mt, &e), 0);
    nm_match_stats st;
    char *out = fx_match(mt, "record_id,first_name,last_name,state,postal_code\nq1,Alan,Smith,TX,75001\n", "cap_in.csv", &st);
    uint64_t skipped = 0, pairs = 0;
    for (size_t i = 0; i < mt->ix.nrules; i++) skipped += st.rule_skipped[i], pairs += st.rule_pairs[i];
    cr_assert_gt(skipped, 0);
    cr_assert_eq(pairs, 0, "every block of this record is larger than 5");
    cr_assert_eq(st.pairs, 0);
    free(out);
    nm_matcher_free(mt);
}

Test(index, candidates_found_once_with_the_first_rule) {
    nm_matcher *mt;
    nm_err e;
    nm_match_opts o = {1, 0, -1, -1, 0};
    cr_assert_eq(nm_matcher_create(REG, MODEL, &o, &mt, &e), 0);
    char npi[11], csv[512];
    fx_npi(0, npi);
    snprintf(csv, sizeof csv, "record_id,first_name,last_name,npi,phone,postal_code,state\nq1,Robert,Jones,%s,2175550100,62701,IL\n", npi);
    nm_input in;
    cr_assert_eq(nm_input_read_memory(&in, csv, strlen(csv), mt->m, NULL, &e), 0, "%s", e.msg);
    nm_cands c;
    cr_assert_eq(nm_cands_init(&c, mt->nref), 0);
    uint64_t per_rule[NM_MATCH_MAX_RULES] = {0};
    cr_assert_eq(nm_cands_find(&c, &mt->ix, &in.t, 0, 2000, per_rule, NULL), 0);
    int found = 0, n0 = 0, n2 = 0;
    uint64_t sum = 0;
    for (size_t i = 0; i < c.rows.n; i++) {
        if (c.rows.v[i] == 0) {
            found++;
            cr_assert_eq(c.rule.v[i], rule_index(MODEL, "npi"));
        }
        n0 += c.rows.v[i] == 0;
        n2 += c.rows.v[i] == 2;
    }
    for (int i = 0; i < NM_MATCH_MAX_RULES; i++) sum += per_rule[i];
    cr_assert_eq(found, 1, "row 0 is found by npi, phone, names, ZIP... and kept once");
    cr_assert_eq(n2, 1, "row 2 shares the phone");
    cr_assert_eq(sum, c.rows.n, "each pair counted for one rule");
    /* The same query again (new epoch) gives the same candidates. */
    size_t n = c.rows.n;
    cr_assert_eq(nm_cands_find(&c, &mt->ix, &in.t, 0, 2000, NULL, NULL), 0);
    cr_assert_eq(c.rows.n, n);
    (void)n0;
    nm_cands_free(&c);
    nm_input_free(&in);
    nm_matcher_free(mt);
}
