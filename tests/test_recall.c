/* Recall of the shipped HCP model on the record shapes that used to find no
 * candidate at all (docs/error-model.md): first and last name swapped,
 * organization names with the legal form dropped and a typo, event sign-in
 * records (name, city and state only) with a typo in the last or first name.
 * Each record must be matched to its provider, found by the rule named in
 * match_key (set(), orgname() and ends() keys, name+state keys), and rows
 * with no location at all, found by the absent(state) fallback rules. */
#include "match_fixture.h"
#include "index/keys.h"
#include "match/matcher.h"

static nm_registry *REG;
static nm_model *MODEL;
static char FILL_FIRST[40][16], FILL_LAST[40][16];

static void setup(void) {
    static prov p[64];
    size_t n = 0;
    p[n++] = (prov){1, "JULIE", NULL, "WARD", NULL, NULL, "9219 PLEASANT AVE", "SPRINGFIELD", "IL", "62732", "2174393979", NULL, NULL, NULL};
    p[n++] = (prov){2, NULL, NULL, NULL, NULL, "DIALYSIS PARTNERS OF AMERICA LLC", "5294 CLINTON ST", "HARRISBURG", "PA", "17157", NULL, NULL, NULL, NULL};
    p[n++] = (prov){2, NULL, NULL, NULL, NULL, "PREMIER DENTAL, PLLC", "190 W RIVER WAY", "PHOENIX", "AZ", "85039", NULL, NULL, NULL, NULL};
    p[n++] = (prov){1, "ENRIQUE", NULL, "JOHNSON", NULL, NULL, "8792 S MESA AVE", "SAN JOSE", "CA", "95106", NULL, NULL, NULL, NULL};
    p[n++] = (prov){1, "JULIE", NULL, "FANNEREFORD", NULL, NULL, "4110 VALLEY LN", "EVERETT", "WA", "98234", NULL, NULL, NULL, NULL};
    p[n++] = (prov){2, NULL, NULL, NULL, NULL, "RICHARDS PHARMACY", "20102 4TH AVE", "LINCOLN", "NE", "68502", NULL, NULL, NULL, NULL};
    /* Others, so that the prior is not that of a five-provider registry;
     * one shares Julie Ward's city, one the organization's state. */
    static const char *const F[] = {"MARK", "SARAH", "DAVID", "LINDA", "PAUL", "NANCY", "GARY", "KAREN"};
    static const char *const L[] = {"BROWN", "OWENS", "PRICE", "HAYES", "MYERS", "FORD", "GRANT", "WELLS"};
    for (int i = 0; i < 40; i++) {
        snprintf(FILL_FIRST[i], sizeof FILL_FIRST[i], "%s", F[i % 8]);
        snprintf(FILL_LAST[i], sizeof FILL_LAST[i], "%s", L[(i / 8 + i) % 8]);
        p[n++] = (prov){1, FILL_FIRST[i], NULL, FILL_LAST[i], NULL, NULL, "1 OAK ST", i % 2 ? "SPRINGFIELD" : "DALLAS",
                        i % 2 ? "IL" : "TX", i % 2 ? "62701" : "75001", NULL, NULL, NULL, NULL};
    }
    p[n++] = (prov){2, NULL, NULL, NULL, NULL, "AMERICAN DIALYSIS CENTER INC", "7 ELM ST", "HARRISBURG", "PA", "17101", NULL, NULL, NULL, NULL};
    p[n++] = (prov){1, "ROBERT", NULL, "ASKEW", NULL, NULL, "12 LAKE DR", "MACON", "GA", "31201", NULL, NULL, NULL, NULL};
    fx_hcp_setup(p, n, "recall_nppes", &REG, &MODEL);
}

static void teardown(void) { fx_hcp_free(REG, MODEL); }

TestSuite(recall, .init = setup, .fini = teardown);

/* Tests run in parallel processes: each input file gets its own name. */
static char *run(nm_matcher *mt, const char *csv) {
    static int seq;
    char name[64];
    snprintf(name, sizeof name, "recall_in_%d_%d.csv", (int)getpid(), seq++);
    nm_match_stats st;
    return fx_match(mt, csv, name, &st);
}

/* Match one input row to fixture provider prov_index; match_key must be
 * `key` and the explanation must contain `level` (either may be NULL). */
static void expect_match(nm_matcher *mt, const char *csv, size_t prov_index, const char *key, const char *level) {
    char *out = run(mt, csv);
    char f[256], npi[11];
    fx_npi(prov_index, npi);
    cr_assert_str_eq(fx_field(out, 1, 4, f, sizeof f), "matched", "%s", out);
    cr_assert_str_eq(fx_field(out, 1, 1, f, sizeof f), npi, "%s", out);
    if (key) cr_assert_str_eq(fx_field(out, 1, 7, f, sizeof f), key, "%s", out);
    if (level) cr_assert_not_null(strstr(out, level), "%s", out);
    free(out);
}
static void expect(nm_matcher *mt, const char *csv, size_t prov_index, const char *key) {
    expect_match(mt, csv, prov_index, key, NULL);
}
static void expect_level(nm_matcher *mt, const char *csv, size_t prov_index, const char *level) {
    expect_match(mt, csv, prov_index, NULL, level);
}

static size_t rule_index(const char *name) {
    for (size_t i = 0; i < nm_model_blocking_rule_count(MODEL); i++)
        if (!strcmp(nm_model_blocking_rule(MODEL, i)->name, name)) return i;
    cr_assert_fail("no blocking rule %s", name);
    return 0;
}

/* Keys of registry row `row` under the rule named `rule`. */
static size_t row_keys(const nm_matcher *mt, const char *rule, size_t row, uint64_t *out) {
    size_t ri = rule_index(rule);
    nm_vview scratch[256];
    return nm_block_keys_rows(&mt->rows, row, nm_model_blocking_rule(MODEL, ri), (unsigned)ri, out, scratch, 256);
}

static nm_matcher *matcher(void) {
    nm_matcher *mt;
    nm_err e;
    nm_match_opts o = {1, 0, -1, -1, 0};
    cr_assert_eq(nm_matcher_create(REG, MODEL, &o, &mt, &e), 0, "%s", e.msg);
    return mt;
}

#define HDR "record_id,first_name,last_name,organization_name,address_line1,city,state,postal_code,phone\n"

Test(recall, swapped_first_and_last_name_find_their_provider) {
    nm_matcher *mt = matcher();
    /* An event record: no street, ZIP or phone to block on. */
    expect(mt, HDR "r1,Ward,Julie,,,Springfield,IL,,\n", 0, "swapped_names");
    char *out = run(mt, HDR "r1,Ward,Julie,,,Springfield,IL,,\n");
    cr_assert_not_null(strstr(out, "name_swapped=swapped"), "%s", out);
    free(out);
    nm_matcher_free(mt);
}

/* set(): one key for a name pair whichever column holds which part;
 * orgname(): a word-head and a word-tail key. */
Test(recall, set_and_orgname_keys) {
    nm_matcher *mt = matcher();
    uint64_t a[NM_KEYS_MAX], b[NM_KEYS_MAX];
    /* Row 0 is JULIE WARD; rows 6.. the fillers (MARK BROWN, SARAH OWENS ...). */
    cr_assert_eq(row_keys(mt, "swapped_names", 0, a), 1);
    cr_assert_eq(row_keys(mt, "swapped_names", 6, b), 1);
    cr_assert_neq(a[0], b[0], "different names, different keys");
    /* Row 1: DIALYSIS PARTNERS OF AMERICA LLC (its other name is empty); the
     * other Harrisburg organization (row 46) shares neither of its keys. */
    cr_assert_eq(row_keys(mt, "organization_state", 1, a), 2);
    cr_assert_eq(row_keys(mt, "organization_state", 46, b), 2);
    for (int i = 0; i < 2; i++)
        for (int j = 0; j < 2; j++) cr_assert_neq(a[i], b[j]);
    /* Individuals have no organization name: no key. */
    cr_assert_eq(row_keys(mt, "organization_state", 0, a), 0);
    /* A record with only one of the two names does not block on set(). */
    char *out = run(mt, HDR "r1,,Julie,,,Springfield,IL,,\n");
    char f[256];
    cr_assert_neq(strcmp(fx_field(out, 1, 7, f, sizeof f), "swapped_names"), 0, "%s", out);
    free(out);
    nm_matcher_free(mt);
}

/* Records that used to find no candidate: the input row, the fixture
 * provider it must be matched to, and the rule that finds it. */
static const struct {
    const char *row;
    size_t prov;
    const char *key;
} CASES[] = {
    /* LLC dropped and PARTNERS typed PARTMERS; city and state only. */
    {"r1,,,Dialysis Partmers of America,,Harrisburg,PA,,\n", 1, "organization_state"},
    /* PLLC dropped. */
    {"r1,,,Premier Dental,,Phoenix,AZ,,\n", 2, "organization_state"},
    /* A typo in the last letters of a word: the first three letters still agree. */
    {"r1,,,Richardx Pharmacy,,Lincoln,NE,,\n", 5, "organization_state"},
    /* Event record, last name typo (JOHNSNO): same Soundex code, first name and state. */
    {"r1,Enrique,Johnsno,,,San Jose,CA,,\n", 3, "nickname_soundex_state"},
    /* A moved provider (other city, ZIP and phone) with a typo in the first
     * letters of the last name (JOHNSOK: another Soundex code): name ends and state. */
    {"r1,Enrique,Johnsok,,55 Pine St,Fresno,CA,93701,5595550101\n", 3, "name_ends_state"},
    /* Event record, first name typo (JULEI, not a nickname of anyone): name ends and state. */
    {"r1,Julei,Fannereford,,,Everett,WA,,\n", 4, "name_ends_state"},
};

Test(recall, organizations_and_name_typos_without_location_keys) {
    nm_matcher *mt = matcher();
    char csv[256];
    for (size_t i = 0; i < sizeof CASES / sizeof CASES[0]; i++) {
        snprintf(csv, sizeof csv, HDR "%s", CASES[i].row);
        expect(mt, csv, CASES[i].prov, CASES[i].key);
    }
    nm_matcher_free(mt);
}

Test(recall, moved_provider_matched_on_name_and_state) {
    nm_matcher *mt = matcher();
    /* An old address and phone in the same state: the city+state comparison
     * counts the state, the street+ZIP comparison one disagreement. */
    expect_level(mt, HDR "r1,Enrique,Johnson,,55 Pine St,Fresno,CA,93701,5595550101\n", 3, "city=state:");
    nm_matcher_free(mt);
}

Test(recall, a_provider_absent_from_the_registry_stays_unmatched) {
    nm_matcher *mt = matcher();
    /* First name, city and state shared with registry providers; the last
     * name with none: the new name-ends and name+state keys may find
     * candidates, but none is a match. */
    char *out = run(mt, HDR "r1,Mark,Zimmerman,,77 Birch Rd,Dallas,TX,75002,\n");
    char f[256];
    cr_assert_str_eq(fx_field(out, 1, 4, f, sizeof f), "unmatched", "%s", out);
    cr_assert_str_eq(fx_field(out, 1, 1, f, sizeof f), "", "%s", out);
    free(out);
    nm_matcher_free(mt);
}

/* Guards (model clustering.guards, applied by match): a colleague at Julie
 * Ward's exact practice address and phone, or another organization at the
 * dialysis company's address, agrees on every location field; with the
 * names disagreeing the pair is vetoed, not matched on location alone. */
Test(recall, colleagues_at_the_same_address_are_vetoed) {
    nm_matcher *mt = matcher();
    char f[256];
    char *out = run(mt, HDR "r1,Quentin,Zabrowski,,9219 Pleasant Ave,Springfield,IL,62732,2174393979\n");
    cr_assert_str_eq(fx_field(out, 1, 4, f, sizeof f), "unmatched", "%s", out);
    cr_assert_not_null(strstr(out, "vetoed:"), "%s", out);
    free(out);
    out = run(mt, HDR "r1,,,Keystone Vision Group,5294 Clinton St,Harrisburg,PA,17157,\n");
    cr_assert_str_eq(fx_field(out, 1, 4, f, sizeof f), "unmatched", "%s", out);
    cr_assert_not_null(strstr(out, "vetoed:"), "%s", out);
    free(out);
    /* The same colleague row with Julie Ward's names swapped and one typo is
     * her (swapped_close), not a veto. */
    expect_level(mt, HDR "r1,Ward,Juliee,,9219 Pleasant Ave,Springfield,IL,62732,2174393979\n", 0,
                 "name_swapped=swapped_close");
    nm_matcher_free(mt);
}

/* Rows with no address, city, state, ZIP or phone and no NPI or licence
 * (about 5% of customer rows): before the absent(state) fallback rules only
 * an exact first and last name found a candidate, and an organization none.
 * Each row's provider must be among its candidates, found by `key`; people
 * must be matched (an organization name alone, common in this small
 * registry, is too little evidence for a match, though not for a candidate). */
static const struct {
    const char *row;
    size_t prov;
    const char *key;
    int matched;
} NO_LOCATION[] = {
    /* The organization name as registered. */
    {"r1,,,Premier Dental PLLC,,,,,\n", 2, "organization_no_location", 0},
    /* LLC dropped and a typo (PARTMERS). */
    {"r1,,,Dialysis Partmers of America,,,,,\n", 1, "organization_no_location", 0},
    /* A first-name typo that keeps the Double Metaphone code of both names (JULEI). */
    {"r1,Julei,Fannereford,,,,,,\n", 4, "dmetaphone_names_no_location", 1},
    /* A first-name typo that changes its consonants (ERNIQUE: another
     * Double Metaphone code): the exact last name and the first name's last letters. */
    {"r1,Ernique,Johnson,,,,,,\n", 3, "last_first_ends_no_location", 1},
    /* A nickname (BOB for ROBERT) and a last-name typo that changes its
     * Double Metaphone code but not its Soundex code (AKSEW for ASKEW). */
    {"r1,Bob,Aksew,,,,,,\n", 47, "nickname_soundex_no_location", 1},
};

Test(recall, rows_without_any_location_find_their_provider) {
    nm_matcher *mt = matcher();
    nm_cands c;
    cr_assert_eq(nm_cands_init(&c, mt->nref), 0);
    char csv[256];
    for (size_t i = 0; i < sizeof NO_LOCATION / sizeof NO_LOCATION[0]; i++) {
        snprintf(csv, sizeof csv, HDR "%s", NO_LOCATION[i].row);
        nm_input in;
        nm_err e;
        nm_input_opts io = {NULL, 0, 1, NULL, 0};
        cr_assert_eq(nm_input_read_memory(&in, csv, strlen(csv), MODEL, &io, &e), 0, "%s", e.msg);
        cr_assert_eq(nm_cands_find(&c, &mt->ix, &in.t, 0, mt->block_cap, NULL, NULL), 0);
        size_t k = 0;
        while (k < c.rows.n && c.rows.v[k] != NO_LOCATION[i].prov) k++;
        cr_assert_lt(k, c.rows.n, "%s: provider not among %zu candidates", NO_LOCATION[i].row, c.rows.n);
        cr_assert_str_eq(nm_model_blocking_rule(MODEL, c.rule.v[k])->name, NO_LOCATION[i].key, "%s", NO_LOCATION[i].row);
        nm_input_free(&in);
        if (NO_LOCATION[i].matched) expect(mt, csv, NO_LOCATION[i].prov, NO_LOCATION[i].key);
    }
    nm_cands_free(&c);
    nm_matcher_free(mt);
}

/* absent(state): a query record with a state has no key for the rule (it
 * keeps to the location rules and pays nothing for the fallback); one
 * without gets the keys of the other terms, which the registry row, state
 * and all, shares. */
Test(recall, absent_rules_are_looked_up_only_by_records_without_the_field) {
    nm_matcher *mt = matcher();
    const char *csv = HDR "r1,,,Premier Dental,,,,,\nr2,,,Premier Dental,,Phoenix,AZ,,\n";
    nm_input in;
    nm_err e;
    nm_input_opts io = {NULL, 0, 1, NULL, 0};
    cr_assert_eq(nm_input_read_memory(&in, csv, strlen(csv), MODEL, &io, &e), 0, "%s", e.msg);
    size_t ri = rule_index("organization_no_location");
    const nm_blocking_rule *rule = nm_model_blocking_rule(MODEL, ri);
    uint64_t q[NM_KEYS_MAX], r[NM_KEYS_MAX];
    cr_assert_eq(nm_block_keys(&in.t, 1, rule, (unsigned)ri, q), 0, "a record with a state");
    cr_assert_eq(nm_block_keys(&in.t, 0, rule, (unsigned)ri, q), 2, "word heads and word tails");
    /* Row 2: PREMIER DENTAL, PLLC in Phoenix, AZ. */
    cr_assert_eq(row_keys(mt, "organization_no_location", 2, r), 2);
    cr_assert(q[0] == r[0] && q[1] == r[1]);
    /* Another organization's row has other keys. */
    cr_assert_eq(row_keys(mt, "organization_no_location", 5, r), 2);
    cr_assert(q[0] != r[0] && q[0] != r[1] && q[1] != r[0] && q[1] != r[1]);
    nm_input_free(&in);
    nm_matcher_free(mt);
}
