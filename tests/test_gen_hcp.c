/* Tests of gen hcp (engine/gen/gen_hcp.c) and its error model: determinism
 * across thread counts, realised error rates against the rates documented in
 * docs/error-model.md (copied here as test data), truth consistency with the
 * registry, and properties measured on the output itself. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>
#include <unistd.h>
#include "common/io.h"
#include "gen/errors.h"
#include "gen/gen.h"
#include "gen/labelled.h"
#include "ingest/csv.h"
#include "registry/registry_internal.h"

static void tmp(char *out, size_t cap, const char *name) {
    snprintf(out, cap, "%s/genhcp_%d_%s", NM_TEST_TMPDIR, (int)getpid(), name);
}

static nm_registry *g_reg;
static char g_nppes[512], g_pl[512];

/* A secondary practice location file (pl_pfile layout) for every tenth NPI. */
static void write_pl(const char *path, uint64_t seed, uint64_t rows) {
    FILE *f = fopen(path, "w");
    cr_assert(f);
    fprintf(f, "\"NPI\",\"Provider Secondary Practice Location Address- Address Line 1\","
               "\"Provider Secondary Practice Location Address-  Address Line 2\","
               "\"Provider Secondary Practice Location Address - City Name\","
               "\"Provider Secondary Practice Location Address - State Name\","
               "\"Provider Secondary Practice Location Address - Postal Code\","
               "\"Provider Secondary Practice Location Address - Country Code (If outside U.S.)\","
               "\"Provider Secondary Practice Location Address - Telephone Number\","
               "\"Provider Secondary Practice Location Address - Telephone Extension\","
               "\"Provider Practice Location Address - Fax Number\"\n");
    for (uint64_t i = 0; i < rows; i += 10) {
        char npi[11];
        nm_gen_npi(seed, i, npi);
        fprintf(f, "\"%s\",\"%u OAK ST\",\"SUITE %u\",\"WACO\",\"TX\",\"767010000\",\"US\",\"2545550100\",\"\",\"\"\n",
                npi, (unsigned)(100 + i), (unsigned)(i % 90 + 1));
    }
    fclose(f);
}

static void setup(void) {
    tmp(g_nppes, sizeof g_nppes, "nppes.csv");
    nm_gen_nppes_opts o = {.rows = 6000, .seed = 11, .threads = 2, .layout = 330, .deactivated = 0.015, .out = g_nppes};
    nm_err err = {0};
    cr_assert_eq(nm_gen_nppes(&o, &err), 0, "%s", err.msg);
    tmp(g_pl, sizeof g_pl, "pl.csv");
    write_pl(g_pl, 11, 6000);
    const char *paths[] = {g_nppes, g_pl};
    nm_index_opts io = {.threads = 2, .quiet = 1};
    cr_assert_eq(nm_registry_build(paths, 2, &io, &g_reg, NULL, &err), 0, "%s", err.msg);
}
static void teardown(void) {
    nm_registry_free(g_reg);
    unlink(g_nppes);
    unlink(g_pl);
}

static char *slurp(const char *path, size_t *len) {
    char *p;
    nm_err err;
    cr_assert_eq(nm_read_all(path, &p, len, &err), 0, "%s", err.msg);
    return p;
}

static void gen(uint64_t rows, uint64_t seed, int threads, const char *out, const char *truth, nm_gen_counts *k) {
    nm_gen_hcp_opts o = {.rows = rows, .seed = seed, .threads = threads, .absent = 0.10, .orgs = 0.15,
                         .reg = g_reg, .out = out, .truth = truth, .counts = k};
    nm_err err = {0};
    cr_assert_eq(nm_gen_hcp(&o, &err), 0, "%s", err.msg);
}

TestSuite(gen_hcp, .init = setup, .fini = teardown);

Test(gen_hcp, same_seed_same_bytes_any_threads) {
    char a[512], b[512], ta[512], tb[512];
    tmp(a, sizeof a, "a.csv"), tmp(b, sizeof b, "b.csv"), tmp(ta, sizeof ta, "ta.csv"), tmp(tb, sizeof tb, "tb.csv");
    gen(5000, 42, 1, a, ta, NULL);
    gen(5000, 42, 2, b, tb, NULL);
    size_t la, lb, lta, ltb;
    char *pa = slurp(a, &la), *pb = slurp(b, &lb), *pta = slurp(ta, &lta), *ptb = slurp(tb, &ltb);
    cr_assert_eq(la, lb);
    cr_assert(!memcmp(pa, pb, la));
    cr_assert_eq(lta, ltb);
    cr_assert(!memcmp(pta, ptb, lta));
    free(pb), free(ptb);
    gen(5000, 43, 2, b, tb, NULL);
    pb = slurp(b, &lb);
    cr_assert(la != lb || memcmp(pa, pb, la), "another seed must give another file");
    free(pa), free(pb), free(pta);
    unlink(a), unlink(b), unlink(ta), unlink(tb);
}

/* The documented rates (docs/error-model.md), per eligible record. */
static const struct { const char *name; double rate; } DOC[] = {
    {"npi_present", 0.45}, {"npi_wrong_digit", 0.03}, {"npi_org_for_individual", 0.03},
    {"npi_other_provider", 0.02}, {"married_name", 0.05}, {"hyphenation", 0.40}, {"nickname", 0.12},
    {"typo_first", 0.03}, {"typo_last", 0.04}, {"middle_missing", 0.40}, {"middle_initial", 0.40},
    {"suffix_in_last_name", 0.25}, {"suffix_missing", 0.40}, {"credential_in_last_name", 0.06},
    {"credential_missing", 0.40}, {"first_last_swapped", 0.015}, {"first_missing", 0.01},
    {"org_other_name", 0.40}, {"org_legal_dropped", 0.35}, {"typo_org", 0.04},
    {"secondary_practice_address", 0.30}, {"mailing_address", 0.12}, {"old_address", 0.08},
    {"event_record", 0.06}, {"address_missing", 0.03}, {"address_lines_joined", 0.30}, {"address_spelling", 0.30},
    {"city_missing", 0.02}, {"zip5_only", 0.55}, {"old_phone", 0.10}, {"phone_missing", 0.20},
    {"taxonomy_present", 0.40}, {"license_present", 0.30}, {"title_case", 0.30}, {"lower_case", 0.03}};

Test(gen_hcp, error_rates_match_documentation) {
    char a[512], ta[512];
    tmp(a, sizeof a, "rates.csv"), tmp(ta, sizeof ta, "rates_truth.csv");
    nm_gen_counts k;
    gen(20000, 5, 2, a, ta, &k);
    cr_assert_eq(NM_HCP_NKINDS, (int)(sizeof DOC / sizeof DOC[0]), "every error kind is documented");
    int checked = 0;
    for (int i = 0; i < NM_HCP_NKINDS; i++) {
        cr_assert_str_eq(nm_gen_hcp_error_name(i), DOC[i].name);
        cr_assert_float_eq(nm_gen_hcp_error_rate(i), DOC[i].rate, 1e-12, "%s", DOC[i].name);
        double n = (double)k.eligible[i], p = DOC[i].rate;
        if (n < 100) continue;   /* too few opportunities in this registry to measure */
        double got = (double)k.applied[i] / n, tol = 4.5 * sqrt(p * (1 - p) / n) + 0.002;
        cr_expect(fabs(got - p) <= tol, "%s: %.4f vs %.4f (n=%.0f)", DOC[i].name, got, p, n);
        checked++;
    }
    cr_assert_geq(checked, 29);
    cr_assert_gt(k.eligible[NM_HCP_ADDR_SECONDARY], 500, "secondary locations are used");
    /* Structure: ~10% absent, ~15% organizations, ~18% of providers with duplicates. */
    cr_assert_eq(k.records, 20000);
    cr_expect(fabs((double)k.absent_records / 20000 - 0.10) < 0.02);
    cr_expect(fabs((double)k.org_records / 20000 - 0.15) < 0.02);
    double dup_share = 1.0 - (double)k.providers / 20000;   /* extra records per record */
    cr_expect(dup_share > 0.15 && dup_share < 0.25, "%f", dup_share);
    unlink(a), unlink(ta);
}

typedef struct hrow {
    char f[17][128];
} hrow;

static int next_row(nm_csv *c, hrow *h) {
    nm_csv_row row;
    nm_err err;
    int rc = nm_csv_next(c, &row, &err);
    cr_assert_geq(rc, 0, "%s", err.msg);
    if (!rc) return 0;
    cr_assert_eq(row.error, NM_R_COUNT, "line %llu", (unsigned long long)row.line);
    cr_assert_eq(row.nfields, 17, "line %llu has %u fields", (unsigned long long)row.line, row.nfields);
    for (int i = 0; i < 17; i++) nm_csv_unescape(&row.f[i], h->f[i], sizeof h->f[i]);
    return 1;
}

static int next_truth(nm_csv *c, char id[64], char npi[16]) {
    nm_csv_row row;
    nm_err err;
    int rc = nm_csv_next(c, &row, &err);
    cr_assert_geq(rc, 0, "%s", err.msg);
    if (!rc) return 0;
    cr_assert_eq(row.nfields, 2);
    nm_csv_unescape(&row.f[0], id, 64);
    nm_csv_unescape(&row.f[1], npi, 16);
    return 1;
}

static int same_ci(const char *a, nm_str b) {
    if (strlen(a) != b.len) return 0;
    for (size_t i = 0; i < b.len; i++) {
        char x = a[i], y = b.p[i];
        if (x >= 'a' && x <= 'z') x = (char)(x - 32);
        if (x != y) return 0;
    }
    return 1;
}

/* Every record is in the truth, in order; truth NPIs are active registry
 * providers of the record's kind; absent providers' NPI column rarely names a
 * registry provider; measured on the file: NPI column share and correctness,
 * swapped names, ZIP5 share, duplicates. */
Test(gen_hcp, truth_consistent_with_registry_and_output) {
    char a[512], ta[512];
    tmp(a, sizeof a, "tr.csv"), tmp(ta, sizeof ta, "tr_truth.csv");
    gen(12000, 9, 2, a, ta, NULL);
    nm_csv *ch, *ct;
    nm_err err;
    cr_assert_eq(nm_csv_open(a, NULL, &ch, &err), 0, "%s", err.msg);
    cr_assert_eq(nm_csv_open(ta, NULL, &ct, &err), 0, "%s", err.msg);
    cr_assert_eq(nm_csv_ncols(ch), 17);
    cr_assert_str_eq(nm_csv_colname(ch, 0), "record_id");
    cr_assert_str_eq(nm_csv_colname(ch, 7), "npi");
    cr_assert_str_eq(nm_csv_colname(ch, 16), "license_state");
    hrow *h = malloc(sizeof *h);
    char id[64], npi[16];
    size_t n = 0, with_npi = 0, npi_col = 0, npi_col_right = 0, swapped = 0, ind = 0, zip9 = 0, zip5 = 0;
    size_t absent = 0, absent_npi = 0, absent_npi_in_reg = 0;
    uint32_t *seen = calloc(g_reg->n, sizeof *seen);
    size_t dups = 0;
    while (next_row(ch, h)) {
        cr_assert_eq(next_truth(ct, id, npi), 1, "truth shorter than the file");
        cr_assert_str_eq(id, h->f[0]);
        n++;
        int is_org = h->f[6][0] != 0;
        if (is_org) cr_assert(!h->f[1][0] && !h->f[3][0], "organization records have no person name");
        if (h->f[7][0]) npi_col++;
        if (!npi[0]) {
            absent++;
            /* Their NPI column names a registry provider only by the "organization
             * NPI" / "another provider" errors (~5% of filled columns). */
            if (h->f[7][0]) absent_npi++, absent_npi_in_reg += nm_registry_find(g_reg, strtoull(h->f[7], NULL, 10)) >= 0;
            continue;
        }
        with_npi++;
        int64_t row = nm_registry_find(g_reg, strtoull(npi, NULL, 10));
        cr_assert_geq(row, 0, "truth NPI in the registry");
        cr_assert(!(g_reg->flags[row] & NM_RF_DEACTIVATED));
        cr_assert_eq(g_reg->entity[row], is_org ? 2 : 1);
        if (seen[row]++) dups++;
        if (h->f[7][0] && !strcmp(h->f[7], npi)) npi_col_right++;
        if (!is_org) {
            ind++;
            nm_reg_main m;
            nm_reg_main_decode(g_reg, (size_t)row, &m);
            if (same_ci(h->f[1], m.f[NM_MF_LAST]) && strncasecmp(h->f[3], m.f[NM_MF_FIRST].p, m.f[NM_MF_FIRST].len) == 0 &&
                !same_ci(h->f[1], m.f[NM_MF_FIRST]))
                swapped++;
        }
        size_t zl = strlen(h->f[12]);
        if (zl == 5 && h->f[12][0] != '0') zip5++;
        if (zl >= 9 && h->f[12][0] != '0') zip9++;
    }
    cr_assert_eq(next_truth(ct, id, npi), 0, "truth longer than the file");
    nm_csv_close(ch), nm_csv_close(ct);
    cr_assert_eq(n, 12000);
    cr_expect(fabs((double)npi_col / (double)n - 0.45) < 0.03, "npi column share %zu/%zu", npi_col, n);
    /* Of filled NPI columns of registry providers, ~92% are right (3% wrong digit,
     * ~2.5% organization NPI, ~2% another provider). */
    double right = (double)npi_col_right / (double)(npi_col * with_npi / n);
    cr_expect(right > 0.88 && right < 0.96, "npi right share %f", right);
    cr_expect(swapped > ind / 200 && swapped < ind / 30, "swapped %zu of %zu", swapped, ind);
    double z5 = (double)zip5 / (double)(zip5 + zip9);
    cr_expect(z5 > 0.45 && z5 < 0.65, "zip5 share %f", z5);
    cr_expect(fabs((double)absent / (double)n - 0.10) < 0.025);
    cr_assert_gt(absent_npi, 100);
    cr_expect(absent_npi_in_reg < absent_npi / 8, "%zu of %zu", absent_npi_in_reg, absent_npi);
    cr_assert_gt(dups, n / 20, "duplicate records of one provider");
    free(seen), free(h);
    unlink(a), unlink(ta);
}

/* --registry SNAPSHOT and --nppes CSV give the same bytes. */
Test(gen_hcp, cli_registry_and_nppes_agree) {
    char snap[512], a[512], b[512], ta[512], tb[512], cmd[4096];
    tmp(snap, sizeof snap, "reg.nmx"), tmp(a, sizeof a, "cli_a.csv"), tmp(b, sizeof b, "cli_b.csv");
    tmp(ta, sizeof ta, "cli_ta.csv"), tmp(tb, sizeof tb, "cli_tb.csv");
    nm_err err;
    cr_assert_eq(nm_registry_save(g_reg, snap, &err), 0, "%s", err.msg);
    snprintf(cmd, sizeof cmd, "%s gen hcp --registry %s --rows 800 --seed 3 --threads 1 --out %s --truth %s",
             NM_CLI_PATH, snap, a, ta);
    cr_assert_eq(system(cmd), 0);
    snprintf(cmd, sizeof cmd, "%s gen hcp --nppes %s --nppes %s --rows 800 --seed 3 --threads 2 --out %s --truth %s",
             NM_CLI_PATH, g_nppes, g_pl, b, tb);
    cr_assert_eq(system(cmd), 0);
    size_t la, lb;
    char *pa = slurp(a, &la), *pb = slurp(b, &lb);
    cr_assert_eq(la, lb);
    cr_assert(!memcmp(pa, pb, la));
    free(pa), free(pb);
    snprintf(cmd, sizeof cmd, "%s gen hcp --rows 10 --out %s --truth %s 2>/dev/null", NM_CLI_PATH, a, ta);
    cr_assert_eq(WEXITSTATUS(system(cmd)), 2, "no registry given: usage error");
    unlink(snap), unlink(a), unlink(b), unlink(ta), unlink(tb);
}

/* The error functions themselves. */
Test(gen_errors, typo_is_one_edit) {
    nm_rng r;
    nm_rng_seed(&r, 1, 2);
    for (int i = 0; i < 2000; i++) {
        char s[32] = "MARGARET";
        cr_assert_eq(nm_generr_typo(&r, s, sizeof s), 1);
        size_t n = strlen(s);
        cr_assert(n >= 7 && n <= 9);
        cr_assert_str_neq(s, "MARGARET");
    }
    char s[8] = "AB";
    cr_assert_eq(nm_generr_typo(&r, s, sizeof s), 0);
}

Test(gen_errors, nickname_hyphen_address_zip_phone) {
    nm_rng r;
    nm_rng_seed(&r, 3, 4);
    char s[48] = "ROBERT";
    cr_assert(nm_generr_has_nickname(s));
    cr_assert_eq(nm_generr_nickname(&r, s, sizeof s), 1);
    cr_assert_str_neq(s, "ROBERT");
    char back[48];
    strcpy(back, s);
    cr_assert(nm_generr_has_nickname(back));
    cr_assert(!nm_generr_has_nickname("XQZWY"));
    char h[48] = "SMITH-JONES";
    cr_assert_eq(nm_generr_hyphenation(&r, h, sizeof h), 1);
    cr_assert(!strcmp(h, "SMITH JONES") || !strcmp(h, "SMITHJONES") || !strcmp(h, "SMITH") || !strcmp(h, "JONES"), "%s", h);
    char p[48] = "DE LA CRUZ";
    cr_assert_eq(nm_generr_hyphenation(&r, p, sizeof p), 0);
    char a[128] = "100 N MAIN ST STE 200";
    cr_assert_eq(nm_generr_address_words(&r, a, sizeof a), 1);
    cr_assert_str_neq(a, "100 N MAIN ST STE 200");
    cr_assert(!strncmp(a, "100 ", 4));
    char none[64] = "100 MAIN";
    cr_assert_eq(nm_generr_address_words(&r, none, sizeof none), 0);
    char z[11];
    int seen[NM_ZIP_FORMS] = {0};
    for (int i = 0; i < 400; i++) seen[nm_generr_zip_form(&r, "021341234", z)]++;
    cr_assert(seen[NM_ZIP5] && seen[NM_ZIP9_HYPHEN] && seen[NM_ZIP9] && seen[NM_ZIP_LOST_ZERO]);
    char ph[24];
    int pf[NM_PHONE_FORMS] = {0};
    for (int i = 0; i < 400; i++) {
        int f = nm_generr_phone_form(&r, "5551234567", ph);
        pf[f]++;
        if (f == NM_PHONE_PAREN) cr_assert_str_eq(ph, "(555) 123-4567");
        if (f == NM_PHONE_INTL) cr_assert_str_eq(ph, "+1 555 123 4567");
    }
    for (int f = 0; f < NM_PHONE_FORMS; f++) cr_assert_gt(pf[f], 0);
    char d[11] = "1234567893";
    nm_generr_wrong_digit(&r, d, 10);
    int diff = 0;
    for (int i = 0; i < 10; i++) diff += d[i] != "1234567893"[i];
    cr_assert_eq(diff, 1);
    char t[32] = "O'BRIEN-SMITH JR";
    nm_generr_apply_case(t, NM_CASE_TITLE);
    cr_assert_str_eq(t, "O'Brien-Smith Jr");
}
