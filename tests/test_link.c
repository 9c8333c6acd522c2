/* npimatch link: true pairs found, output format and order, determinism
 * across thread counts, record id columns, bad rows and model errors. */
#include "common/io.h"
#include "link_fixture.h"
#include "cli_run.h"

#define NL 600      /* left records: more than two chunks of queries */
#define NDUP 200    /* of which the first NDUP have a corrupted copy on the right */

static char LEFT[512], RIGHT[512];

/* Left: persons 0..NL-1. Right: a duplicate of each of 0..NDUP-1 (one
 * corruption each) and NL unrelated persons NL..2NL-1. */
static void setup(void) {
    lperson *l = calloc(NL, sizeof *l), *r = calloc(NDUP + NL, sizeof *r);
    for (unsigned k = 0; k < NL; k++) lfx_person(&l[k], k);
    for (unsigned k = 0; k < NDUP; k++) lfx_dup(&r[k], &l[k], k, k);
    for (unsigned k = 0; k < NL; k++) lfx_person(&r[NDUP + k], NL + k);
    lfx_path(LEFT, sizeof LEFT, "link_left.csv");
    lfx_path(RIGHT, sizeof RIGHT, "link_right.csv");
    lfx_write(LEFT, l, NL, "rec_id");
    lfx_write(RIGHT, r, NDUP + NL, "rec_id");
    free(l);
    free(r);
}

TestSuite(link, .init = setup);

static void run_link(const char *left, const char *right, const nm_model *m, const char *out, int threads,
                     nm_link_stats *st) {
    nm_link_opts o = {threads, -1, 0, {NULL, NULL}, {0, 0}, {NULL, NULL}, {0, 0}};
    nm_err e = {0};
    int rc = nm_link_files(left, right, m, out, &o, st, fopen("/dev/null", "w"), &e);
    cr_assert_eq(rc, 0, "link failed: %s", e.msg);
}

Test(link, finds_the_true_pairs_and_only_them) {
    nm_model *m = lfx_model("builtin:febrl");
    char out[512];
    lfx_path(out, sizeof out, "link_pairs.csv");
    nm_link_stats st;
    run_link(LEFT, RIGHT, m, out, 2, &st);
    char *b = lfx_read(out);
    cr_assert_eq(strncmp(b, "left_id,right_id,match_probability,match_weight,match_key,explanation\n", 69), 0);
    int found[NDUP] = {0}, rows = 0;
    for (char *line = strchr(b, '\n') + 1; *line; line = strchr(line, '\n') + 1) {
        char lid[32], rid[32];
        cr_assert_eq(sscanf(line, "%31[^,],%31[^,],", lid, rid), 2);
        unsigned k = lfx_entity(lid);
        cr_assert_eq(k, lfx_entity(rid), "false pair %s %s", lid, rid);
        cr_assert(k < NDUP && strstr(rid, "-dup-"));
        found[k]++, rows++;
    }
    cr_assert_eq(rows, NDUP);
    for (int k = 0; k < NDUP; k++) cr_assert_eq(found[k], 1, "pair of person %d", k);
    cr_assert_eq(st.records[0], NL);
    cr_assert_eq(st.records[1], NDUP + NL);
    cr_assert_eq(st.pairs_written, NDUP);
    free(b);
    nm_model_free(m);
}

Test(link, rows_are_ordered_and_well_formed) {
    /* One left person; on the right a corrupted copy and two exact copies
     * with ids "b2" and "b10": exact copies first (higher weight), tied
     * between them by right id bytes ("b10" < "b2"), then the weaker one. */
    lperson l, r[104];
    lfx_person(&l, 5);
    for (unsigned k = 0; k < 100; k++) lfx_person(&r[4 + k], 900 + k);   /* others: term frequencies as in real files */
    lfx_person(&r[0], 900);
    lfx_dup(&r[1], &l, 5, 2);
    r[2] = l, r[3] = l;
    strcpy(r[2].id, "b2");
    strcpy(r[3].id, "b10");
    char lp[512], rp[512], out[512];
    lfx_path(lp, sizeof lp, "order_left.csv");
    lfx_path(rp, sizeof rp, "order_right.csv");
    lfx_path(out, sizeof out, "order_pairs.csv");
    lfx_write(lp, &l, 1, "rec_id");
    lfx_write(rp, r, 104, "rec_id");
    nm_model *m = lfx_model("builtin:febrl");
    run_link(lp, rp, m, out, 1, NULL);
    char *b = lfx_read(out);
    char *l1 = strchr(b, '\n') + 1, *l2 = strchr(l1, '\n') + 1, *l3 = strchr(l2, '\n') + 1;
    cr_assert_eq(strncmp(l1, "rec-5-org,b10,1.000000,", 23), 0, "%s", b);
    cr_assert_eq(strncmp(l2, "rec-5-org,b2,1.000000,", 22), 0, "%s", b);
    cr_assert_eq(strncmp(l3, "rec-5-org,rec-5-dup-2,", 22), 0, "%s", b);
    cr_assert_eq(*(strchr(l3, '\n') + 1), 0, "only three pairs: %s", b);
    /* exact copies satisfy the deterministic rule; explanations name every comparison */
    cr_assert(strstr(l1, ",names_dob,given_name=exact:"));
    cr_assert(strstr(l3, "date_of_birth=one_digit_off:"));
    double w1, w3;
    cr_assert_eq(sscanf(strchr(strchr(strchr(l1, ',') + 1, ',') + 1, ',') + 1, "%lf", &w1), 1);
    cr_assert_eq(sscanf(strchr(strchr(strchr(l3, ',') + 1, ',') + 1, ',') + 1, "%lf", &w3), 1);
    cr_assert_gt(w1, w3);
    free(b);
    nm_model_free(m);
}

Test(link, same_bytes_for_one_and_two_threads_and_swapped_sizes) {
    nm_model *m = lfx_model("builtin:febrl");
    char o1[512], o2[512], o3[512];
    lfx_path(o1, sizeof o1, "det1.csv");
    lfx_path(o2, sizeof o2, "det2.csv.zst");
    lfx_path(o3, sizeof o3, "det3.csv");
    run_link(LEFT, RIGHT, m, o1, 1, NULL);
    run_link(LEFT, RIGHT, m, o2, 2, NULL);
    char *a = lfx_read(o1), *b = NULL;
    size_t n;
    nm_err e = {0};
    cr_assert_eq(nm_read_all(o2, &b, &n, &e), 0, "%s", e.msg);   /* .zst output decompresses to the same bytes */
    cr_assert_eq(n, strlen(a));
    cr_assert_eq(memcmp(a, b, n), 0);
    free(b);
    /* Left larger than right: the left side is indexed instead; same pairs. */
    run_link(RIGHT, LEFT, m, o3, 2, NULL);
    b = lfx_read(o3);
    size_t ra = 0, rb = 0;
    for (char *p = a; (p = strchr(p, '\n')); p++) ra++;
    for (char *p = b; (p = strchr(p, '\n')); p++) rb++;
    cr_assert_eq(ra, rb);
    cr_assert(strstr(b, "\nrec-0-dup-0,rec-0-org,"));
    free(a);
    free(b);
    nm_model_free(m);
}

Test(link, id_column_rules_and_missing_id) {
    lperson p[2];
    lfx_person(&p[0], 1);
    lfx_person(&p[1], 2);
    char a[512], b[512], out[512], buf[4096], args[4096];
    lfx_path(a, sizeof a, "noid.csv");
    lfx_path(b, sizeof b, "withid.csv");
    lfx_path(out, sizeof out, "noid_out.csv");
    lfx_write(a, p, 2, "key");
    lfx_write(b, p, 2, "id");
    /* The shipped model names rec_id: a file without it fails at once, by name. */
    snprintf(args, sizeof args, "link --left %s --right %s --model builtin:febrl --out %s", a, a, out);
    cr_assert_eq(nm_test_cli(args, buf, sizeof buf), 1);
    cr_assert(strstr(buf, "no record id column") && strstr(buf, "rec_id"), "%s", buf);
    cr_assert_eq(access(out, F_OK), -1, "no output on failure");
    /* --map record_id=COLUMN reads it from any column. */
    snprintf(args, sizeof args, "link --left %s --right %s --model builtin:febrl --out %s --map record_id=key", a, a, out);
    cr_assert_eq(nm_test_cli(args, buf, sizeof buf), 0, "%s", buf);
    char *o = lfx_read(out);
    cr_assert(strstr(o, "\nrec-1-org,rec-1-org,"), "%s", o);
    free(o);
    /* A model without id_column falls back to record_id, rec_id, id. */
    size_t len;
    nm_err e = {0};
    nm_model *m;
    char mp[512];
    lfx_path(mp, sizeof mp, "noidcol.json");
    FILE *f = fopen(mp, "w");
    char *src = NULL;
    m = lfx_model("builtin:febrl");
    cr_assert_eq(nm_model_to_json(m, &src, &len, &e), 0);
    char *line = strstr(src, "  \"id_column\"");
    char *end = strchr(line, '\n') + 1;
    fwrite(src, 1, (size_t)(line - src), f);
    fputs(end, f);
    fclose(f);
    free(src);
    nm_model_free(m);
    snprintf(args, sizeof args, "link --left %s --right %s --model %s --out %s", b, b, mp, out);
    cr_assert_eq(nm_test_cli(args, buf, sizeof buf), 0, "%s", buf);
    o = lfx_read(out);
    cr_assert(strstr(o, "\nrec-2-org,rec-2-org,"), "%s", o);
    free(o);
}

Test(link, bad_rows_are_reported_with_position_and_counted) {
    char a[512], out[512];
    lfx_path(a, sizeof a, "badrows.csv");
    lfx_path(out, sizeof out, "badrows_out.csv");
    /* line 5: wrong number of fields; line 6: no id */
    lfx_write_with_bad_rows(a, "rec-77-org,too,few\n,,,,,,,,,,\n");
    nm_model *m = lfx_model("builtin:febrl");
    char rep[4096];
    nm_link_stats st;
    lfx_run_reported(a, a, m, out, &st, rep, sizeof rep);
    cr_assert(lfx_reported(rep, a, 5) && lfx_reported(rep, a, 6), "%s", rep);
    cr_assert_eq(st.rejected[0], 2);
    cr_assert_eq(st.records[0], 5);
    cr_assert_eq(st.pairs_written, 3, "only the good rows pair (with themselves)");
    nm_model_free(m);
}

Test(link, model_errors_fail_at_once) {
    char mp[512], out[512], buf[4096], args[4096];
    lfx_path(mp, sizeof mp, "badmodel.json");
    lfx_path(out, sizeof out, "badmodel_out.csv");
    FILE *f = fopen(mp, "w");
    fputs("{\"npimatch_model_version\": 1, \"probability_two_random_records_match\": 0.001, \"fields\": [{\"name\": \"surname\", \"type\": \"surname\"}],\n"
          " \"comparisons\": [{\"name\": \"surname\", \"fields\": [\"surname\"], \"levels\": [\n"
          "   {\"label\": \"x\", \"predicate\": \"jw>>3\", \"m\": 0.5, \"u\": 0.5},\n"
          "   {\"label\": \"else\", \"predicate\": \"else\", \"m\": 0.5, \"u\": 0.5}]}],\n"
          " \"blocking_rules\": [{\"name\": \"s\", \"keys\": \"surname\"}]}\n", f);
    fclose(f);
    snprintf(args, sizeof args, "link --left %s --right %s --model %s --out %s", LEFT, RIGHT, mp, out);
    cr_assert_eq(nm_test_cli(args, buf, sizeof buf), 1);
    cr_assert(strstr(buf, "badmodel.json:3:") && strstr(buf, "predicate"), "%s", buf);
    snprintf(args, sizeof args, "link --left %s --right %s --model builtin:nope --out %s", LEFT, RIGHT, out);
    cr_assert_eq(nm_test_cli(args, buf, sizeof buf), 1);
    cr_assert(strstr(buf, "no such built-in model"), "%s", buf);
    snprintf(args, sizeof args, "link --left %s --right %s --model builtin:febrl --out %s --map left.nofield=x", LEFT,
             RIGHT, out);
    cr_assert_eq(nm_test_cli(args, buf, sizeof buf), 1);
    cr_assert(strstr(buf, "no field 'nofield'"), "%s", buf);
    cr_assert_eq(access(out, F_OK), -1);
    cr_assert_eq(nm_test_cli("link --left x.csv --model builtin:febrl", buf, sizeof buf), 2);
    /* an unknown key (here id_column misspelt) is refused with its position */
    nm_model *m = lfx_model("builtin:febrl");
    char *json = NULL;
    size_t len;
    nm_err e = {0};
    cr_assert_eq(nm_model_to_json(m, &json, &len, &e), 0);
    char *ic = strstr(json, "\"id_column\"");
    cr_assert_not_null(ic);
    memcpy(ic, "\"id_colmun\"", 11);
    nm_model *bad = NULL;
    cr_assert_neq(nm_model_parse(json, len, "edited.json", &bad, &e), 0);
    cr_assert(strstr(e.msg, "edited.json:") && strstr(e.msg, "unknown key"), "%s", e.msg);
    free(json);
    nm_model_free(m);
}
