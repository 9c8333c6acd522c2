/* npimatch match and npimatch train as a user runs them: --map, a full
 * name column, refused models and inputs, training output. */
#include <sys/wait.h>
#include <unistd.h>
#include "common/io.h"
#include "match_fixture.h"
#include "cli_run.h"

static char REGP[512];


static void setup(void) {
    prov p[3] = {
        {1, "ROBERT", "A", "JONES", "MD", NULL, "100 MAIN ST", "SPRINGFIELD", "IL", "62701", "2175550100", NULL, NULL, NULL},
        {1, "ANNA", NULL, "KOWALSKI", NULL, NULL, "9 BAY RD", "TAMPA", "FL", "33601", NULL, NULL, NULL, NULL},
        {2, NULL, NULL, NULL, NULL, "ACME HEART CLINIC", "12 CEDAR RD", "BOSTON", "MA", "02115", NULL, NULL, NULL, NULL}};
    char name[64];
    snprintf(name, sizeof name, "cli_nppes_%d.csv", (int)getpid());
    nm_registry *r = fx_registry(p, 3, name);
    snprintf(name, sizeof name, "cli_reg_%d.nmx", (int)getpid());
    fx_path(REGP, sizeof REGP, name);
    nm_err e;
    cr_assert_eq(nm_registry_save(r, REGP, &e), 0);
    nm_registry_free(r);
}

TestSuite(match_cli, .init = setup);

static char *run_match(const char *csv, const char *extra, int *rc, char *log, size_t cap) {
    char in[512], out[600], args[2048], name[64];
    snprintf(name, sizeof name, "cli_in_%d.csv", (int)getpid());
    fx_path(in, sizeof in, name);
    snprintf(out, sizeof out, "%s.out", in);
    fx_write(in, csv);
    unlink(out);
    snprintf(args, sizeof args, "match --registry %s --input %s --out %s --threads 1 %s", REGP, in, out, extra);
    *rc = nm_test_cli(args, log, cap);
    FILE *f = fopen(out, "r");
    if (!f) return NULL;
    char *buf = calloc(1, 1 << 16);
    size_t n = fread(buf, 1, (1 << 16) - 1, f);
    buf[n] = 0;
    fclose(f);
    return buf;
}

Test(match_cli, map_renames_columns) {
    char log[8192], f[256], npi[11];
    int rc;
    fx_npi(0, npi);
    char *out = run_match("id,given,surname,zip\nx1,Robert,Jones,62701\n",
                          "--map record_id=id --map first_name=given --map last_name=surname --map postal_code=zip", &rc,
                          log, sizeof log);
    cr_assert_eq(rc, 0, "%s", log);
    cr_assert_str_eq(fx_field(out, 1, 0, f, sizeof f), "x1");
    cr_assert_str_eq(fx_field(out, 1, 1, f, sizeof f), npi);
    cr_assert_not_null(strstr(log, "1 matched"), "%s", log);
    free(out);
    out = run_match("id,given\nx1,Robert\n", "--map record_id=id --map first_name=nope", &rc, log, sizeof log);
    cr_assert_eq(rc, 1);
    cr_assert_not_null(strstr(log, "no such column"), "%s", log);
    free(out);
}

Test(match_cli, full_name_column_is_parsed) {
    char log[8192], f[256], npi[11];
    int rc;
    fx_npi(0, npi);
    char *out = run_match("record_id,name,postal_code\nn1,\"Dr. Robert A. Jones, M.D.\",62701\nn2,\"JONES, ROBERT\",62701\n",
                          "", &rc, log, sizeof log);
    cr_assert_eq(rc, 0, "%s", log);
    cr_assert_str_eq(fx_field(out, 1, 1, f, sizeof f), npi);
    cr_assert_str_eq(fx_field(out, 2, 1, f, sizeof f), npi);
    free(out);
}

Test(match_cli, invalid_model_and_input_are_refused) {
    char log[8192], path[512], args[600];
    int rc;
    fx_path(path, sizeof path, "bad_model.json");
    size_t ml;
    const char *hcp = nm_data_get("model_hcp.json", &ml);
    char *v99 = strndup(hcp, ml), *at = strstr(v99, "\"npimatch_model_version\": 1");
    cr_assert_not_null(at);
    at[strlen("\"npimatch_model_version\": ")] = '7';   /* a model for another version */
    fx_write(path, v99);
    free(v99);
    snprintf(args, sizeof args, "--model %s", path);
    char *out = run_match("record_id,first_name,last_name\nr1,Robert,Jones\n", args, &rc, log, sizeof log);
    cr_assert_eq(rc, 1);
    cr_assert_null(out, "no output written");
    cr_assert_not_null(strstr(log, "bad_model.json"), "%s", log);
    cr_assert_not_null(strstr(log, "version"), "%s", log);
    fx_write(path, "{\"npimatch_model_version\": 1, \"fields\": [{\"name\": \"a\", \"type\": \"nope\"}]}");
    out = run_match("record_id,first_name,last_name\nr1,Robert,Jones\n", args, &rc, log, sizeof log);
    cr_assert_eq(rc, 1);
    cr_assert_null(out);
    cr_assert_not_null(strstr(log, "bad_model.json:1:"), "%s", log);
    out = run_match("id,first_name,last_name\nr1,Robert,Jones\n", "", &rc, log, sizeof log);
    cr_assert_eq(rc, 1);
    cr_assert_not_null(strstr(log, "no record_id column"), "%s", log);
    out = run_match("record_id,city\nr1,Tampa\n", "", &rc, log, sizeof log);
    cr_assert_eq(rc, 1);
    cr_assert_not_null(strstr(log, "no name column"), "%s", log);
}

Test(match_cli, bad_rows_named_by_line_never_contents) {
    char log[8192];
    int rc;
    char *out = run_match("record_id,first_name,last_name\nr1,Zebulon,Quaxley,extra\nr2,Robert,Jones\n", "", &rc, log,
                          sizeof log);
    cr_assert_eq(rc, 0, "%s", log);
    cr_assert_not_null(strstr(log, ":2:1: wrong number of fields"), "%s", log);
    cr_assert_null(strstr(log, "Zebulon"), "contents never printed");
    cr_assert_not_null(strstr(log, "1 rows rejected"), "%s", log);
    free(out);
}

/* Training on a generated registry and input: the model loads and its EM m
 * values are sensible (agreement levels likely among matches). */
Test(match_cli, train_writes_a_sensible_model, .init = NULL) {
    char nppes[512], reg[512], in[512], outm[512], args[4096], log[16384];
    fx_path(nppes, sizeof nppes, "train_nppes.csv");
    fx_path(reg, sizeof reg, "train_reg.nmx");
    fx_path(in, sizeof in, "train_hcps.csv");
    fx_path(outm, sizeof outm, "trained.json");
    snprintf(args, sizeof args, "gen nppes --rows 3000 --seed 4 --out %s && %s index --quiet --out %s %s", nppes,
             NM_CLI_PATH, reg, nppes);
    cr_assert_eq(nm_test_cli(args, log, sizeof log), 0, "%s", log);
    nm_registry *r;
    nm_err e;
    cr_assert_eq(nm_registry_load(reg, &r, &e), 0);
    nm_buf csv = {0}, truth = {0};
    nm_hcp_sample_opts so = {2000, 8, 1.0, 0.02};
    cr_assert_eq(nm_hcp_sample(r, &so, &csv, &truth), 0);
    fx_write(in, csv.data);
    nm_registry_free(r);
    snprintf(args, sizeof args, "train --registry %s --input %s --out %s --random-pairs 50000 --seed 3", reg, in, outm);
    cr_assert_eq(nm_test_cli(args, log, sizeof log), 0, "%s", log);
    cr_assert_not_null(strstr(log, "m by EM"), "%s", log);
    nm_model *m;
    cr_assert_eq(nm_model_load(outm, &m, &e), 0, "%s", e.msg);
    const char *names[] = {"first_name", "last_name", "city"};
    for (int i = 0; i < 3; i++) {
        int c = nm_model_comparison_index(m, names[i]);
        const nm_comparison *cmp = nm_model_comparison(m, (size_t)c);
        const nm_level *agree = &cmp->levels[1], *other = &cmp->levels[cmp->n_levels - 1];
        cr_assert_gt(agree->m, 0.6, "%s: m(exact) = %f", names[i], agree->m);
        cr_assert_lt(other->m, 0.2, "%s: m(else) = %f", names[i], other->m);
        cr_assert_lt(agree->u, 0.05, "%s: u(exact) = %f", names[i], agree->u);
        cr_assert_gt(nm_model_level_weight(m, (size_t)c, 1), 3);
    }
    nm_model_free(m);
    nm_buf_free(&csv);
    nm_buf_free(&truth);
}

/* zstd input and output: the same rows as plain files. */
Test(match_cli, zstd_input_and_output) {
    char in[512], inz[600], outz[600], args[2048], log[8192];
    fx_path(in, sizeof in, "zin.csv");
    snprintf(inz, sizeof inz, "%s.zst", in);
    snprintf(outz, sizeof outz, "%s.out.csv.zst", in);
    static const char csv[] = "record_id,first_name,last_name,postal_code\nz1,Robert,Jones,62701\n";
    nm_writer *w;
    nm_err we;
    cr_assert_eq(nm_writer_open(inz, 0, &w, &we), 0);   /* a .zst target is compressed */
    cr_assert_eq(nm_writer_write(w, csv, sizeof csv - 1, &we), 0);
    cr_assert_eq(nm_writer_commit(w, &we), 0);
    snprintf(args, sizeof args, "match --registry %s --input %s --out %s --threads 1", REGP, inz, outz);
    cr_assert_eq(nm_test_cli(args, log, sizeof log), 0, "%s", log);
    char *text;
    size_t len;
    nm_err e;
    FILE *f = fopen(outz, "rb");
    unsigned char magic[4] = {0};
    cr_assert_not_null(f);
    cr_assert_eq(fread(magic, 1, 4, f), 4);
    fclose(f);
    cr_assert(magic[0] == 0x28 && magic[1] == 0xB5 && magic[2] == 0x2F && magic[3] == 0xFD, "zstd frame");
    cr_assert_eq(nm_read_all(outz, &text, &len, &e), 0);
    char npi[11], fld[64];
    fx_npi(0, npi);
    cr_assert_str_eq(fx_field(text, 1, 1, fld, sizeof fld), npi);
    free(text);
}
