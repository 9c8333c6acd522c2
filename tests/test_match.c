/* HCP-to-NPI matching end to end on a hand-made registry: deterministic
 * rules, probabilistic matches, nicknames, term frequencies, organizations,
 * ambiguity, unmatched records, output layout and order, bad rows,
 * determinism across thread counts and SIMD levels. */
#include <unistd.h>
#include "match_fixture.h"
#include "common/io.h"
#include "match/matcher.h"
#include "table/tables.h"

#define NFILL 30
static prov P[64];
static size_t NP;
static nm_registry *REG;
static nm_model *MODEL;

static void setup(void) {
    static const char *fill_first[] = {"ALAN", "BETTY", "CARL", "DIANA", "EDGAR", "FIONA"};
    NP = 0;
    P[NP++] = (prov){1, "ROBERT", "A", "JONES", "MD", NULL, "100 MAIN ST", "SPRINGFIELD", "IL", "62701", "2175550100", NULL, "036001", "IL"};
    P[NP++] = (prov){1, "MARY", NULL, "JOHNSON", NULL, NULL, "5 OAK AVE", "CHICAGO", "IL", "60601", NULL, NULL, NULL, NULL};
    P[NP++] = (prov){1, "MARY", NULL, "JOHNSON", NULL, NULL, "900 PINE ST", "CHICAGO", "IL", "60601", NULL, NULL, NULL, NULL};
    P[NP++] = (prov){1, "JOHN", NULL, "ZYWIECKI", NULL, NULL, "77 ELM ST", "DENVER", "CO", "80202", NULL, NULL, NULL, NULL};
    P[NP++] = (prov){1, "JOHN", NULL, "SMITH", NULL, NULL, "12 ASH ST", "DENVER", "CO", "80203", NULL, NULL, NULL, NULL};
    P[NP++] = (prov){2, NULL, NULL, NULL, NULL, "ACME HEART CLINIC LLC", "12 CEDAR RD", "BOSTON", "MA", "02115", "6175550199", NULL, NULL, NULL};
    P[NP++] = (prov){1, "PATRICIA", "L", "WILLIAMS", "DO", NULL, "300 LAKE DR", "SEATTLE", "WA", "98101", "2065550123", NULL, NULL, NULL};
    for (int i = 0; i < NFILL; i++)   /* SMITH is common in this registry */
        P[NP++] = (prov){1, fill_first[i % 6], NULL, "SMITH", NULL, NULL, "1 RANCH RD", "DALLAS", "TX", "75001", NULL, NULL, NULL, NULL};
    fx_hcp_setup(P, NP, "match_nppes", &REG, &MODEL);
}

static void teardown(void) { fx_hcp_free(REG, MODEL); }

static const char HDR[] = "record_id,first_name,middle_name,last_name,suffix,credential,organization_name,npi,"
                          "address_line1,address_line2,city,state,postal_code,phone,taxonomy_code,"
                          "license_number,license_state\n";

static char *run(const char *rows, nm_match_stats *st, int threads) {
    nm_matcher *mt;
    nm_err e;
    nm_match_opts o = {threads, 0, -1, -1, 0};
    cr_assert_eq(nm_matcher_create(REG, MODEL, &o, &mt, &e), 0, "%s", e.msg);
    nm_buf b = {0};
    nm_buf_printf(&b, "%s%s", HDR, rows);
    char name[64];
    snprintf(name, sizeof name, "match_in_%d.csv", (int)getpid());   /* criterion runs tests in parallel processes */
    char *out = fx_match(mt, b.data, name, st);
    nm_buf_free(&b);
    nm_matcher_free(mt);
    return out;
}

/* Weight of one comparison in an explanation ("last_name=exact:+9.8(tf)"). */
static double expl_weight(const char *out, int row, const char *comp) {
    char ex[2048], key[64];
    fx_field(out, row, 8, ex, sizeof ex);
    snprintf(key, sizeof key, "%s=", comp);
    const char *p = strstr(ex, key);
    cr_assert_not_null(p, "%s not in %s", comp, ex);
    p = strchr(p, ':');
    return strtod(p + 1, NULL);
}

TestSuite(match, .init = setup, .fini = teardown);

Test(match, exact_npi_and_name_matches_by_rule) {
    char npi[11], f[256];
    fx_npi(0, npi);
    nm_buf b = {0};
    nm_buf_printf(&b, "r1,Robert,,Jones,,,,%s,,,,,,,,,\n", npi);
    char *out = run(b.data, NULL, 1);
    cr_assert_str_eq(fx_field(out, 1, 1, f, sizeof f), npi);
    cr_assert_str_eq(fx_field(out, 1, 4, f, sizeof f), "matched");
    cr_assert_str_eq(fx_field(out, 1, 7, f, sizeof f), "npi_and_name");
    nm_buf_free(&b);
    free(out);
}

Test(match, typo_npi_matches_probabilistically) {
    char npi[11], want[11], f[256];
    fx_npi(6, want);
    memcpy(npi, want, 11);
    npi[4] = npi[4] == '9' ? '0' : (char)(npi[4] + 1);   /* one digit mistyped */
    nm_buf b = {0};
    nm_buf_printf(&b, "r1,Patricia,,Williams,,,,%s,300 Lake Drive,,Seattle,WA,98101,,,,\n", npi);
    /* Another provider's valid NPI with this name: the NPI is only evidence. */
    char other[11];
    fx_npi(3, other);
    nm_buf_printf(&b, "r2,Patricia,,Williams,,,,%s,300 Lake Dr,,Seattle,WA,98101-1234,,,,\n", other);
    char *out = run(b.data, NULL, 1);
    for (int row = 1; row <= 2; row++) {
        cr_assert_str_eq(fx_field(out, row, 1, f, sizeof f), want, "row %d", row);
        cr_assert_str_eq(fx_field(out, row, 4, f, sizeof f), "matched");
        cr_assert(strcmp(fx_field(out, row, 7, f, sizeof f), "npi_and_name"), "row %d: not by the NPI rule", row);
    }
    cr_assert(expl_weight(out, 1, "npi") > 0, "one_edit NPI counts for");
    cr_assert(expl_weight(out, 2, "npi") < 0, "another provider's NPI counts against");
    nm_buf_free(&b);
    free(out);
}

Test(match, nickname_first_name) {
    char npi[11], f[2048];
    fx_npi(0, npi);
    char *out = run("r1,Bob,,Jones,,,,,100 Main Street,,Springfield,IL,62701,,,,\n", NULL, 1);
    cr_assert_str_eq(fx_field(out, 1, 1, f, sizeof f), npi);
    cr_assert_str_eq(fx_field(out, 1, 4, f, sizeof f), "matched");
    cr_assert_not_null(strstr(fx_field(out, 1, 8, f, sizeof f), "first_name=nickname:"), "%s", f);
    free(out);
}

Test(match, common_surname_weighs_less_than_rare) {
    char f[256], s[11], z[11];
    fx_npi(4, s);
    fx_npi(3, z);
    char *out = run("r1,John,,Smith,,,,,,,Denver,CO,80203,,,,\nr2,John,,Zywiecki,,,,,,,Denver,CO,80202,,,,\n", NULL, 1);
    cr_assert_str_eq(fx_field(out, 1, 1, f, sizeof f), s);
    cr_assert_str_eq(fx_field(out, 2, 1, f, sizeof f), z);
    double ws = expl_weight(out, 1, "last_name"), wz = expl_weight(out, 2, "last_name");
    cr_assert(ws + 3 < wz, "SMITH %.1f should be well below ZYWIECKI %.1f", ws, wz);
    cr_assert(atof(fx_field(out, 1, 3, f, sizeof f)) < atof(fx_field(out, 2, 3, f, sizeof f)));
    free(out);
}

Test(match, organization_by_name_and_zip) {
    char npi[11], f[2048];
    fx_npi(5, npi);
    char *out = run("r1,,,,,,Acme Heart Clinic,,,,,,02115,,,,\n", NULL, 1);
    cr_assert_str_eq(fx_field(out, 1, 1, f, sizeof f), npi);
    cr_assert_str_eq(fx_field(out, 1, 4, f, sizeof f), "matched");
    cr_assert_not_null(strstr(fx_field(out, 1, 8, f, sizeof f), "organization_name=tokens70"), "%s", f);
    free(out);
}

Test(match, same_name_same_zip_is_ambiguous) {
    char f[256], a[11], b[11];
    fx_npi(1, a);
    fx_npi(2, b);
    char *out = run("r1,Mary,,Johnson,,,,,,,Chicago,IL,60601,,,,\n", NULL, 1);
    cr_assert_str_eq(fx_field(out, 1, 4, f, sizeof f), "ambiguous");
    fx_field(out, 1, 1, f, sizeof f);
    cr_assert(!strcmp(f, a) || !strcmp(f, b));
    fx_field(out, 1, 5, f, sizeof f);
    cr_assert(!strcmp(f, a) || !strcmp(f, b));
    double c = atof(fx_field(out, 1, 2, f, sizeof f));
    cr_assert(c > 0.4 && c < 0.6, "two equal candidates share the confidence: %f", c);
    free(out);
}

Test(match, absent_provider_is_unmatched) {
    char f[256];
    char *out = run("r1,Xavier,,Quortleby,,,,,1 Nowhere Ln,,Juneau,AK,99801,,,,\n", NULL, 1);
    cr_assert_str_eq(fx_field(out, 1, 4, f, sizeof f), "unmatched");
    cr_assert_str_eq(fx_field(out, 1, 1, f, sizeof f), "");
    free(out);
}

Test(match, output_columns_and_input_order) {
    char f[256];
    nm_match_stats st;
    char *out = run("z9,Bob,,Jones,,,,,,,,IL,62701,,,,\na1,Mary,,Johnson,,,,,,,,IL,60601,,,,\n"
                    "\"m,5\",Xavier,,Quortleby,,,,,,,,AK,99801,,,,\n", &st, 1);
    const char *hdr = "record_id,npi,confidence,match_weight,status,runner_up_npi,runner_up_confidence,"
                      "match_key,explanation\n";
    cr_assert(!strncmp(out, hdr, strlen(hdr)));
    cr_assert_str_eq(fx_field(out, 1, 0, f, sizeof f), "z9");
    cr_assert_str_eq(fx_field(out, 2, 0, f, sizeof f), "a1");
    cr_assert_str_eq(fx_field(out, 3, 0, f, sizeof f), "\"m");   /* quoted: "m,5" */
    cr_assert_eq(st.records, 3);
    cr_assert_eq(st.matched + st.ambiguous + st.unmatched, 3);
    free(out);
}

Test(match, bad_rows_are_reported_unmatched_with_reason) {
    char f[256];
    nm_match_stats st;
    char *out = run("b1,Robert,,Jones\n"                               /* wrong field count */
                    "b2,Ren\xe9\xff,,Jones,,,,,,,,IL,62701,,,,\n"       /* not UTF-8 */
                    "b3,,,,,,,,100 Main St,,,IL,62701,,,,\n"          /* no name */
                    "b4,Bob,,Jones,,,,,,,,IL,62701,,,,\n", &st, 1);
    cr_assert_str_eq(fx_field(out, 1, 8, f, sizeof f), "rejected:field_count");
    cr_assert_str_eq(fx_field(out, 2, 8, f, sizeof f), "rejected:invalid_utf8");
    cr_assert_str_eq(fx_field(out, 3, 8, f, sizeof f), "rejected:no_name");
    for (int r = 1; r <= 3; r++) cr_assert_str_eq(fx_field(out, r, 4, f, sizeof f), "unmatched");
    cr_assert_str_eq(fx_field(out, 4, 0, f, sizeof f), "b4");
    cr_assert_eq(st.rejected, 3);
    cr_assert_eq(st.records, 4);
    free(out);
}

/* A bigger generated case: same bytes for 1 and 2 threads, and for the
 * scalar and the best SIMD kernels. */
Test(match, output_identical_across_threads_and_simd, .init = NULL, .fini = NULL) {
    char nppes[512], in[512], o1[512], o2[512], o3[512];
    fx_path(nppes, sizeof nppes, "det_nppes.csv");
    fx_path(in, sizeof in, "det_hcps.csv");
    fx_path(o1, sizeof o1, "det_1.csv");
    fx_path(o2, sizeof o2, "det_2.csv");
    fx_path(o3, sizeof o3, "det_s.csv");
    nm_err e = {0};
    nm_gen_nppes_opts go = {.rows = 3000, .seed = 3, .layout = 330, .deactivated = 0.01, .out = nppes};
    cr_assert_eq(nm_gen_nppes(&go, &e), 0, "%s", e.msg);
    const char *paths[1] = {nppes};
    nm_index_opts io = {.quiet = 1};
    nm_registry *r;
    cr_assert_eq(nm_registry_build(paths, 1, &io, &r, NULL, &e), 0);
    nm_model *m;
    cr_assert_eq(nm_model_load("builtin:hcp", &m, &e), 0);
    nm_buf csv = {0}, truth = {0};
    nm_hcp_sample_opts so = {1500, 9, 1.0, 0.05};
    cr_assert_eq(nm_hcp_sample(r, &so, &csv, &truth), 0);
    fx_write(in, csv.data);
    const char *outs[3] = {o1, o2, o3};
    for (int k = 0; k < 3; k++) {
        if (k == 2) nm_simd_force(NM_SIMD_SCALAR);
        nm_match_opts o = {k == 1 ? 2 : 1, 0, -1, -1, 0};
        nm_matcher *mt;
        cr_assert_eq(nm_matcher_create(r, m, &o, &mt, &e), 0);
        FILE *devnull = fopen("/dev/null", "w");
        cr_assert_eq(nm_match_file(mt, in, outs[k], NULL, NULL, devnull, &e), 0, "%s", e.msg);
        fclose(devnull);
        nm_matcher_free(mt);
    }
    nm_simd_force(nm_simd_detect());
    /* Records decided one by one on a fresh worker (no query pipelining, as
     * resolve does) give the statuses and NPIs match wrote (which finds each
     * record's candidates while the previous one is compared). */
    {
        nm_match_opts o = {1, 0, -1, -1, 0};
        nm_matcher *mt;
        cr_assert_eq(nm_matcher_create(r, m, &o, &mt, &e), 0);
        nm_input inp;
        nm_input_opts iop = {NULL, 0, 1, NULL, 0};
        cr_assert_eq(nm_input_read(&inp, in, m, &iop, &e), 0, "%s", e.msg);
        size_t len;
        char *out;
        cr_assert_eq(nm_read_all(o1, &out, &len, &e), 0);
        static const char *const names[] = {"matched", "ambiguous", "unmatched"};
        size_t scored = 0;
        for (size_t q = 0; q < inp.t.n; q++) {
            if (inp.reason.v[q] != NM_R_COUNT) continue;
            nm_mworker w;
            cr_assert_eq(nm_mworker_init(&w, mt), 0);
            nm_decision d;
            cr_assert_eq(nm_match_decide(mt, &w, &inp.t, q, &d), 0);
            char st[32], npi[32], want[32] = "";
            fx_field(out, (int)q + 1, 4, st, sizeof st);
            fx_field(out, (int)q + 1, 1, npi, sizeof npi);
            cr_assert_str_eq(st, names[d.status], "record %zu", q);
            if (d.status == NM_DECIDE_MATCHED) snprintf(want, sizeof want, "%010u", d.npi);
            if (d.status != NM_DECIDE_AMBIGUOUS) cr_assert_str_eq(npi, want, "record %zu", q);
            scored += d.status == NM_DECIDE_MATCHED;
            nm_mworker_free(&w);
        }
        cr_assert_gt(scored, 1000);
        free(out);
        nm_input_free(&inp);
        nm_matcher_free(mt);
    }
    char *a, *b;
    size_t la, lb;
    for (int k = 1; k < 3; k++) {
        FILE *fa = fopen(o1, "r"), *fb = fopen(outs[k], "r");
        a = calloc(1, 1 << 21), b = calloc(1, 1 << 21);
        la = fread(a, 1, 1 << 21, fa), lb = fread(b, 1, 1 << 21, fb);
        fclose(fa), fclose(fb);
        cr_assert_gt(la, 1500 * 20);
        cr_assert_eq(la, lb, "output %d differs in length", k);
        cr_assert_eq(memcmp(a, b, la), 0, "output %d differs", k);
        free(a), free(b);
    }
    nm_buf_free(&csv);
    nm_buf_free(&truth);
    nm_model_free(m);
    nm_registry_free(r);
}
