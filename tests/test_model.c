/* Tests of model files: the shipped models load with the expected structure,
 * save/load round trips are byte-identical, and invalid models are refused
 * with messages naming file:line:col, the JSON path and the reason. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "npimatch.h"

static const char BASE[] =
    "{\n"
    "  \"npimatch_model_version\": 1,\n"
    "  \"probability_two_random_records_match\": 0.001,\n"
    "  \"fields\": [{\"name\": \"first_name\", \"type\": \"given_name\"}, {\"name\": \"last_name\", \"type\": "
    "\"surname\"}, {\"name\": \"dob\", \"type\": \"date\"}],\n"
    "  \"comparisons\": [{\"name\": \"fn\", \"fields\": [\"first_name\"], \"levels\": [\n"
    "    {\"label\": \"null\", \"predicate\": \"null\"},\n"
    "    {\"label\": \"exact\", \"predicate\": \"exact\", \"m\": 0.9, \"u\": 0.01},\n"
    "    {\"label\": \"else\", \"predicate\": \"else\", \"m\": 0.1, \"u\": 0.99}]}],\n"
    "  \"blocking_rules\": [{\"name\": \"b\", \"keys\": \"last_name\"}]\n"
    "}\n";

/* BASE with the first occurrence of `from` replaced by `to`, parsed. */
static int parse_variant(const char *from, const char *to, nm_err *e) {
    char buf[4096];
    const char *at = strstr(BASE, from);
    cr_assert_not_null(at, "fixture lacks %s", from);
    snprintf(buf, sizeof buf, "%.*s%s%s", (int)(at - BASE), BASE, to, at + strlen(from));
    nm_model *m = NULL;
    int rc = nm_model_parse(buf, strlen(buf), "m.json", &m, e);
    if (rc == 0) nm_model_free(m);
    else cr_assert_null(m);
    return rc;
}

static void expect_error(const char *from, const char *to, int code, const char *msg_part) {
    nm_err e;
    int rc = parse_variant(from, to, &e);
    cr_assert_eq(rc, code, "replacing %s by %s: rc %d (%s)", from, to, rc, rc ? e.msg : "");
    cr_assert_not_null(strstr(e.msg, msg_part), "message \"%s\" lacks \"%s\"", e.msg, msg_part);
}

Test(model, base_fixture_is_valid) {
    nm_err e;
    cr_assert_eq(parse_variant("{", "{", &e), 0, "%s", e.msg);
}

Test(model, invalid_models_give_exact_positions) {
    nm_err e;
    cr_assert_eq(parse_variant("\"predicate\": \"exact\"", "\"predicate\": \"jw>92\"", &e), NM_E_MODEL);
    cr_assert_str_eq(e.msg, "m.json:7:37: comparisons[0].levels[1].predicate: unknown predicate \"jw>92\" (or bad parameter)");
    cr_assert_eq(parse_variant("\"m\": 0.9", "\"m\": 0", &e), NM_E_MODEL);
    cr_assert_str_eq(e.msg, "m.json:7:51: comparisons[0].levels[1].m: must be in (0, 1]");
    cr_assert_eq(parse_variant("\"npimatch_model_version\": 1", "\"npimatch_model_version\": 2", &e), NM_E_VERSION);
    cr_assert_str_eq(e.msg, "m.json:2:29: npimatch_model_version: unsupported model version 2 (this build reads version 1)");
    const char *fields_line = strstr(BASE, "  \"fields\"");
    char nofields[4096];
    snprintf(nofields, sizeof nofields, "%.*s%s", (int)(fields_line - BASE), BASE, strchr(fields_line, '\n') + 1);
    nm_model *m = NULL;
    cr_assert_eq(nm_model_parse(nofields, strlen(nofields), "m.json", &m, &e), NM_E_MODEL);
    cr_assert_str_eq(e.msg, "m.json:1:1: (top level): missing required key \"fields\"");
}

/* Each row: replace `from` by `to` in BASE; expect `code` and a message part. */
static const struct { const char *from, *to; int code; const char *msg; } BAD[] = {
    {"\"predicate\": \"exact\"", "\"prediate\": \"exact\"", NM_E_MODEL, "levels[1].prediate: unknown key"},
    {"\"u\": 0.99", "\"u\": 1.5", NM_E_MODEL, "levels[2].u: must be in (0, 1]"},
    {"\"m\": 0.9", "\"m\": \"0.9\"", NM_E_MODEL, "levels[1].m: expected number, found string"},
    {"\"u\": 0.01}", "\"x\": 1}", NM_E_MODEL, "levels[1].x: unknown key"},
    {"\"u\": 0.01}", "\"tf\": true}", NM_E_MODEL, "missing required key \"u\""},
    {"0.001", "1", NM_E_MODEL, "probability_two_random_records_match: must be in (0, 1)"},
    {"\"npimatch_model_version\": 1", "\"npimatch_model_version\": \"1\"", NM_E_MODEL,
     "expected number, found string"},
    {"\"keys\": \"last_name\"", "\"keys\": \"lastname\"", NM_E_MODEL,
     "blocking_rules[0].keys: \"lastname\" is not a field of the model"},
    {"\"keys\": \"last_name\"", "\"keys\": \"metaphone(last_name)\"", NM_E_MODEL,
     "unknown key function \"metaphone\""},
    {"\"keys\": \"last_name\"", "\"keys\": \"year(last_name)\"", NM_E_MODEL, "year() needs a date field"},
    {"\"keys\": \"last_name\"", "\"keys\": \"last_name+\"", NM_E_MODEL, "empty key term"},
    {"\"keys\": \"last_name\"", "\"keys\": \"prefix0(last_name)\"", NM_E_MODEL, "unknown key function"},
    {"\"keys\": \"last_name\"", "\"keys\": \"absent(last_name)\"", NM_E_MODEL, "absent() needs a key term beside it"},
    {"\"predicate\": \"exact\"", "\"predicate\": \"date_transposed\"", NM_E_MODEL,
     "date predicate on a field that is not of type date"},
    {"\"predicate\": \"exact\"", "\"predicate\": \"else\"", NM_E_MODEL, "\"else\" must be the last level"},
    {"\"predicate\": \"else\"", "\"predicate\": \"exact\"", NM_E_MODEL, "the last level must be \"else\""},
    {"\"predicate\": \"null\"}", "\"predicate\": \"null\", \"m\": 0.5}", NM_E_MODEL,
     "the null level has weight 0"},
    {"\"predicate\": \"exact\"", "\"predicate\": \"jw>=101\"", NM_E_MODEL, "unknown predicate"},
    {"\"predicate\": \"exact\"", "\"predicate\": \"swapped\"", NM_E_MODEL, "swapped needs"},
    {"\"type\": \"date\"", "\"type\": \"datetime\"", NM_E_MODEL, "fields[2].type: unknown field type"},
    {"\"name\": \"dob\"", "\"name\": \"last_name\"", NM_E_MODEL, "duplicate field name"},
    {"\"fields\": [\"first_name\"]", "\"fields\": [\"first\"]", NM_E_MODEL,
     "comparisons[0].fields[0]: not a field of the model"},
    {"\"label\": \"else\"", "\"label\": \"exact\"", NM_E_MODEL, "duplicate level label"},
    {"\"name\": \"b\"", "\"name\": \"a;b\"", NM_E_MODEL, "must not contain"},
    {"  \"blocking_rules\"",
     "  \"deterministic_rules\": [{\"name\": \"r\", \"conditions\": [{\"comparison\": \"fn\", "
     "\"levels\": [\"exactly\"]}]}],\n  \"blocking_rules\"",
     NM_E_MODEL, "deterministic_rules[0].conditions[0].levels[0]: not a level of comparison \"fn\""},
    {"  \"blocking_rules\"",
     "  \"thresholds\": {\"match_probability\": 0.4},\n  \"blocking_rules\"",
     NM_E_MODEL, "review_probability is above match_probability"},
    {"\"fields\": [", "\"fields\": [,", NM_E_FORMAT, "m.json:4:14: unexpected character"},
    {"\"keys\": \"last_name\"}]", "\"keys\": \"last_name\"}, {\"name\": \"b\", \"keys\": \"dob\"}]", NM_E_MODEL,
     "blocking_rules[1].name: duplicate rule name \"b\""},
    {"  \"blocking_rules\"",
     "  \"deterministic_rules\": [{\"name\": \"r\", \"conditions\": [{\"comparison\": \"fn\", "
     "\"at_least\": \"null\"}]}],\n  \"blocking_rules\"",
     NM_E_MODEL, "conditions[0].at_least: no non-null level \"null\" in comparison \"fn\""},
    {"  \"blocking_rules\"",
     "  \"deterministic_rules\": [{\"name\": \"r\", \"conditions\": [{\"comparison\": \"ln\", "
     "\"at_least\": \"exact\"}]}],\n  \"blocking_rules\"",
     NM_E_MODEL, "conditions[0].comparison: unknown comparison \"ln\""},
    {"\"predicate\": \"exact\",", "\"predicate\": \"exact\", \"field\": \"first_name\",", NM_E_MODEL,
     "levels[1].field: must name one of the fields of a two-field comparison"},
    {"  \"fields\"", "  \"link_type\": \"dedup\",\n  \"fields\"", NM_E_MODEL,
     "m.json:4:16: link_type: expected \"link_only\" or \"dedupe\""},
};

Test(model, invalid_models_are_refused) {
    for (size_t i = 0; i < sizeof BAD / sizeof *BAD; i++) expect_error(BAD[i].from, BAD[i].to, BAD[i].code, BAD[i].msg);
    nm_model *m = NULL;
    nm_err e;
    cr_assert_eq(nm_model_parse("[1]", 3, "m.json", &m, &e), NM_E_MODEL);
    cr_assert_str_eq(e.msg, "m.json:1:1: (top level): a model is a JSON object");
}

Test(model, shipped_hcp_model) {
    nm_model *m;
    nm_err e;
    cr_assert_eq(nm_model_load("builtin:hcp", &m, &e), 0, "%s", e.msg);
    cr_assert_str_eq(nm_model_name(m), "hcp_nppes");
    cr_assert_eq(nm_model_is_dedupe(m), 0);
    cr_assert_eq(nm_model_field_count(m), 14);
    cr_assert_eq(nm_model_comparison_count(m), 12);
    cr_assert_eq(nm_model_blocking_rule_count(m), 18);
    cr_assert_eq(nm_model_training_rule_count(m), 3);
    cr_assert_eq(nm_model_rule_count(m), 3);
    int fn = nm_model_comparison_index(m, "first_name"), ln = nm_model_comparison_index(m, "last_name");
    cr_assert_eq(fn, 1);
    cr_assert_eq(ln, 3);
    const nm_comparison *c = nm_model_comparison(m, (size_t)fn);
    cr_assert_eq(c->null_level, 0);
    cr_assert_eq(c->levels[1].predicate, NM_PRED_EXACT);
    cr_assert_eq(c->levels[1].tf, 1);
    cr_assert_eq(c->levels[3].predicate, NM_PRED_JW);
    cr_assert_eq(c->levels[3].param, 92);
    cr_assert_eq(c->levels[c->n_levels - 1].predicate, NM_PRED_ELSE);
    /* initial(first_name)+soundex(last_name)+zip3(postal_code) */
    const nm_blocking_rule *r = nm_model_blocking_rule(m, 5);
    cr_assert_str_eq(r->name, "initial_soundex_zip3");
    cr_assert_eq(r->n_terms, 3);
    cr_assert_eq(r->terms[0].fn, NM_KEY_INITIAL);
    cr_assert_eq(r->terms[0].field, nm_model_field_index(m, "first_name"));
    cr_assert_eq(r->terms[1].fn, NM_KEY_SOUNDEX);
    cr_assert_eq(r->terms[2].fn, NM_KEY_ZIP3);
    cr_assert_eq(r->terms[2].field, nm_model_field_index(m, "postal_code"));
    r = nm_model_blocking_rule(m, 6);
    cr_assert_eq(r->terms[1].fn, NM_KEY_PREFIX);
    cr_assert_eq(r->terms[1].param, 3);
    /* the license comparison reads license_number and license_state */
    r = nm_model_blocking_rule(m, 1);
    cr_assert_eq(r->comparisons, 1ull << nm_model_comparison_index(m, "license"));
    /* orgname(organization_name)+absent(state): pairs need not agree on the state */
    r = nm_model_blocking_rule(m, 14);
    cr_assert_str_eq(r->name, "organization_no_location");
    cr_assert_eq(r->terms[1].fn, NM_KEY_ABSENT);
    cr_assert_eq(r->comparisons, 1ull << nm_model_comparison_index(m, "organization_name"));
    const nm_blocking_rule *t = nm_model_training_rule(m, 0);
    cr_assert_eq(t->comparisons, (1ull << fn) | (1ull << ln) | (1ull << nm_model_comparison_index(m, "name_swapped")));
    /* last_name at_least jw88 = exact, jw92, jw88 (not null, not dmetaphone) */
    const nm_rule *dr = nm_model_rule(m, 0);
    cr_assert_str_eq(dr->name, "npi_and_name");
    cr_assert_eq(dr->conditions[1].comparison, ln);
    cr_assert_eq(dr->conditions[1].levels, 0xE);
    cr_assert_float_eq(nm_model_thresholds(m)->match_probability, 0.3, 1e-15);
    cr_assert_float_eq(nm_model_thresholds(m)->ambiguity_gap_bits, 3.0, 1e-15);
    cr_assert_eq(nm_model_level_index(m, (size_t)ln, "dmetaphone"), 4);
    cr_assert_eq(nm_model_level_index(m, (size_t)ln, "nope"), -1);
    nm_model_free(m);
}

Test(model, shipped_patient_model) {
    nm_model *m;
    nm_err e;
    cr_assert_eq(nm_model_load("builtin:patient", &m, &e), 0, "%s", e.msg);
    cr_assert_eq(nm_model_is_dedupe(m), 1);
    int fn = nm_model_comparison_index(m, "first_name"), bd = nm_model_comparison_index(m, "birth_date");
    const nm_comparison *c = nm_model_comparison(m, (size_t)fn);
    cr_assert_eq(c->n_fields, 2);
    cr_assert_eq(c->levels[1].field, 0);                 /* exact on first_name only */
    cr_assert_eq(c->levels[2].predicate, NM_PRED_SWAPPED);
    cr_assert_eq(c->levels[2].field, NM_ALL_FIELDS);
    const nm_comparison *d = nm_model_comparison(m, (size_t)bd);
    static const uint8_t want[] = {NM_PRED_NULL, NM_PRED_EXACT, NM_PRED_DATE_TRANSPOSED, NM_PRED_DATE_ONE_DIGIT_OFF,
                                   NM_PRED_DATE_SAME_YEAR_MONTH, NM_PRED_DATE_WITHIN_DAYS, NM_PRED_DATE_WITHIN_DAYS,
                                   NM_PRED_ELSE};
    cr_assert_eq(d->n_levels, sizeof want);
    for (size_t i = 0; i < sizeof want; i++) cr_assert_eq(d->levels[i].predicate, want[i]);
    cr_assert_eq(d->levels[5].param, 30);
    cr_assert_eq(d->levels[6].param, 1100);   /* "else" = birth dates years apart: a guard */
    const nm_thresholds *t = nm_model_thresholds(m);
    cr_assert_eq(t->n_guards, 3);
    cr_assert_str_eq(t->guards[0].name, "birth_dates_years_apart");
    cr_assert_str_eq(t->guards[1].name, "different_first_name");
    cr_assert_float_eq(t->link_probability, 0.97, 1e-15);
    /* the first_name comparison also reads last_name: a first+last block fixes both */
    cr_assert_eq(nm_model_training_rule(m, 0)->comparisons,
                 (1ull << fn) | (1ull << nm_model_comparison_index(m, "last_name")));
    nm_model_free(m);
}

Test(model, shipped_models_have_proper_distributions) {
    /* m and u over the non-null levels of each comparison sum to 1 (a typo
     * in a data file would show here) and every "else" level is negative. */
    const char *names[] = {"builtin:hcp", "builtin:patient", "builtin:febrl"};
    for (int k = 0; k < 3; k++) {
        nm_model *m;
        cr_assert_eq(nm_model_load(names[k], &m, NULL), 0);
        for (size_t c = 0; c < nm_model_comparison_count(m); c++) {
            const nm_comparison *cmp = nm_model_comparison(m, c);
            double sm = 0, su = 0;
            for (int l = 0; l < cmp->n_levels; l++)
                if (l != cmp->null_level) sm += cmp->levels[l].m, su += cmp->levels[l].u;
            cr_assert_float_eq(sm, 1.0, 1e-9, "%s %s: sum m = %.12g", names[k], cmp->name, sm);
            cr_assert_float_eq(su, 1.0, 1e-9, "%s %s: sum u = %.12g", names[k], cmp->name, su);
            cr_assert_lt(nm_model_level_weight(m, c, (size_t)cmp->n_levels - 1), 0.0, "%s %s", names[k], cmp->name);
        }
        nm_model_free(m);
    }
}

Test(model, unknown_builtin_and_missing_file) {
    nm_model *m;
    nm_err e;
    cr_assert_eq(nm_model_load("builtin:nope", &m, &e), NM_E_NOTFOUND);
    cr_assert_null(m);
    cr_assert_lt(nm_model_load(NM_TEST_TMPDIR "/does/not/exist.json", &m, &e), 0);
}

Test(model, save_load_round_trip_is_identical) {
    const char *names[] = {"builtin:hcp", "builtin:patient", "builtin:febrl"};
    for (int k = 0; k < 3; k++) {
        nm_model *m, *m2, *m3;
        nm_err e;
        cr_assert_eq(nm_model_load(names[k], &m, &e), 0, "%s", e.msg);
        /* odd values must survive exactly */
        cr_assert_eq(nm_model_set_mu(m, 1, 1, 0.123456789012345678, 1.0 / 3), 0);
        cr_assert_eq(nm_model_set_lambda(m, 2.0 / 7e6), 0);
        char path[512];
        snprintf(path, sizeof path, "%s/model_rt_%d_%d.json", NM_TEST_TMPDIR, (int)getpid(), k);
        cr_assert_eq(nm_model_save(m, path, &e), 0, "%s", e.msg);
        cr_assert_eq(nm_model_load(path, &m2, &e), 0, "%s", e.msg);
        char *j1, *j2;
        size_t l1, l2;
        cr_assert_eq(nm_model_to_json(m, &j1, &l1, &e), 0);
        cr_assert_eq(nm_model_to_json(m2, &j2, &l2, &e), 0);
        cr_assert_eq(l1, l2);
        cr_assert_str_eq(j1, j2);
        cr_assert_eq(nm_model_lambda(m2), 2.0 / 7e6);
        cr_assert_eq(nm_model_comparison(m2, 1)->levels[1].u, 1.0 / 3);
        for (size_t c = 0; c < nm_model_comparison_count(m); c++)
            for (size_t l = 0; l < nm_model_comparison(m, c)->n_levels; l++)
                cr_assert_eq(nm_model_level_weight(m, c, l), nm_model_level_weight(m2, c, l));
        cr_assert_eq(nm_model_clone(m2, &m3), 0);
        cr_assert_eq(nm_model_prior_weight(m3), nm_model_prior_weight(m));
        free(j1);
        free(j2);
        unlink(path);
        nm_model_free(m);
        nm_model_free(m2);
        nm_model_free(m3);
    }
}

Test(model, setters_validate) {
    nm_model *m;
    nm_err e;
    cr_assert_eq(nm_model_load("builtin:hcp", &m, &e), 0);
    cr_assert_eq(nm_model_set_mu(m, 1, 0, 0.5, 0.5), NM_E_ARG);   /* null level */
    cr_assert_eq(nm_model_set_mu(m, 1, 1, 0, 0.5), NM_E_ARG);
    cr_assert_eq(nm_model_set_mu(m, 1, 1, 0.5, 1.01), NM_E_ARG);
    cr_assert_eq(nm_model_set_mu(m, 99, 1, 0.5, 0.5), NM_E_ARG);
    cr_assert_eq(nm_model_set_lambda(m, 1), NM_E_ARG);
    cr_assert_eq(nm_model_set_mu(m, 1, 1, 0.5, 0.25), 0);
    cr_assert_float_eq(nm_model_level_weight(m, 1, 1), 1.0, 1e-15);
    nm_model_free(m);
}
