/* npimatch dedupe and train on generic inputs: clusters equal the truth on
 * an easy fixture, each pair scored once, determinism across thread counts,
 * a clustering guard stops a chain, duplicate ids refused, training gives
 * a loadable model with strong exact-name levels. */
#include "common/data.h"
#include "link_fixture.h"
#include "cli_run.h"

#define NP 400   /* persons; person k has 2 duplicates when k % 3 == 0, 1 when k % 3 == 1 */

static char INPUT[512];
static size_t NREC, NTRUE;

static void setup(void) {
    lperson *r = calloc(NP * 3, sizeof *r);
    size_t n = 0;
    for (unsigned k = 0; k < NP; k++) lfx_person(&r[n++], k);
    /* duplicates after all originals, so a cluster spans chunks of queries */
    for (unsigned k = 0; k < NP; k++) {
        unsigned nd = k % 3 == 0 ? 2 : k % 3 == 1 ? 1 : 0;
        for (unsigned v = 0; v < nd; v++) lfx_dup(&r[n++], &r[k], k, k + v);
        NTRUE += nd == 2 ? 3 : nd;
    }
    NREC = n;
    lfx_path(INPUT, sizeof INPUT, "dedupe_in.csv");
    lfx_write(INPUT, r, n, "rec_id");
    free(r);
}

TestSuite(dedupe, .init = setup);

static int run_dedupe(const char *in, const nm_model *m, const char *out, const char *pairs, int threads,
                      nm_link_stats *st, nm_err *e) {
    nm_link_opts o = {threads, -1, 0, {NULL, NULL}, {0, 0}, {NULL, NULL}, {0, 0}};
    FILE *devnull = fopen("/dev/null", "w");
    int rc = nm_dedupe_file(in, m, out, pairs, &o, st, devnull, e);
    fclose(devnull);
    return rc;
}

/* The expected cluster id of a fixture record: the smallest id (bytes) of its entity. */
static void expected_cluster(const char *id, char *out) {
    unsigned k = lfx_entity(id);
    sprintf(out, "rec-%u-org", k);
    for (unsigned v = k; v < k + (k % 3 == 0 ? 2 : k % 3 == 1 ? 1 : 0); v++) {
        char d[32];
        sprintf(d, "rec-%u-dup-%u", k, v);
        if (strcmp(d, out) < 0) strcpy(out, d);
    }
}

Test(dedupe, clusters_equal_the_truth) {
    nm_model *m = lfx_model("builtin:febrl");
    char out[512];
    lfx_path(out, sizeof out, "dd_clusters.csv");
    nm_link_stats st;
    nm_err e = {0};
    cr_assert_eq(run_dedupe(INPUT, m, out, NULL, 2, &st, &e), 0, "%s", e.msg);
    cr_assert_eq(st.clusters, NP);
    char *b = lfx_read(out);
    cr_assert_eq(strncmp(b, "record_id,cluster_id,confidence\n", 32), 0);
    size_t rows = 0;
    for (char *line = strchr(b, '\n') + 1; *line; line = strchr(line, '\n') + 1, rows++) {
        char id[32], cid[32], want[32];
        double conf;
        cr_assert_eq(sscanf(line, "%31[^,],%31[^,],%lf", id, cid, &conf), 3);
        expected_cluster(id, want);
        cr_assert_str_eq(cid, want, "record %s", id);
        if (lfx_entity(id) % 3 == 2) cr_assert_eq(conf, 1.0, "a record alone is certain");
        else cr_assert(conf >= 0.99 && conf <= 1.0);
    }
    cr_assert_eq(rows, NREC, "one row per input row");
    free(b);
    nm_model_free(m);
}

Test(dedupe, pairs_once_each_and_deterministic) {
    nm_model *m = lfx_model("builtin:febrl");
    char c1[512], c2[512], p1[512], p2[512];
    lfx_path(c1, sizeof c1, "dd_c1.csv");
    lfx_path(c2, sizeof c2, "dd_c2.csv");
    lfx_path(p1, sizeof p1, "dd_p1.csv");
    lfx_path(p2, sizeof p2, "dd_p2.csv");
    nm_err e = {0};
    cr_assert_eq(run_dedupe(INPUT, m, c1, p1, 1, NULL, &e), 0, "%s", e.msg);
    cr_assert_eq(run_dedupe(INPUT, m, c2, p2, 2, NULL, &e), 0, "%s", e.msg);
    char *a = lfx_read(c1), *b = lfx_read(c2);
    cr_assert_str_eq(a, b);
    free(a);
    free(b);
    a = lfx_read(p1), b = lfx_read(p2);
    cr_assert_str_eq(a, b);
    /* every true pair once, as (earlier row, later row): originals come first */
    size_t rows = 0;
    for (char *line = strchr(a, '\n') + 1; *line; line = strchr(line, '\n') + 1, rows++) {
        char l[32], r[32];
        cr_assert_eq(sscanf(line, "%31[^,],%31[^,],", l, r), 2);
        cr_assert_str_neq(l, r, "no self pair");
        cr_assert_eq(lfx_entity(l), lfx_entity(r));
        if (strstr(l, "-dup-") && strstr(r, "-dup-"))
            cr_assert_lt(atoi(strrchr(l, '-') + 1), atoi(strrchr(r, '-') + 1), "left is the earlier row");
        else cr_assert(strstr(l, "-org") && strstr(r, "-dup-"), "the original is the earlier row: %s %s", l, r);
    }
    cr_assert_eq(rows, NTRUE);
    free(a);
    free(b);
    nm_model_free(m);
}

/* builtin:febrl with a guard: two valid, different birth dates are two people. */
static nm_model *guarded_model(int with_guard) {
    size_t len;
    const char *src = nm_data_get("model_febrl.json", &len);
    cr_assert_not_null(src);
    const char *at = strstr(src, "\"clustering\": {\"link_probability\": 0.99}");
    cr_assert_not_null(at, "the shipped model's clustering block moved");
    char *json = malloc(len + 512);
    size_t pre = (size_t)(at - src);
    memcpy(json, src, pre);
    int n = sprintf(json + pre, "\"clustering\": {\"link_probability\": 0.99%s}",
                    with_guard ? ", \"guards\": [{\"name\": \"dob_differs\", \"conditions\": ["
                                 "{\"comparison\": \"date_of_birth\", \"levels\": [\"else\"]}]}]"
                               : "");
    const char *rest = at + strlen("\"clustering\": {\"link_probability\": 0.99}");
    size_t rl = len - (size_t)(rest - src);
    memcpy(json + pre + (size_t)n, rest, rl);
    nm_model *m = NULL;
    nm_err e = {0};
    cr_assert_eq(nm_model_parse(json, pre + (size_t)n + rl, "guarded", &m, &e), 0, "%s", e.msg);
    free(json);
    return m;
}

Test(dedupe, a_guard_prevents_chaining) {
    /* A and C agree on everything but a birth date far apart; B is A with
     * no birth date. Without the guard all three chain into one cluster;
     * with it A and C stay apart (B joins one of them). */
    lperson r[103];
    for (unsigned k = 0; k < 100; k++) lfx_person(&r[3 + k], 1000 + k);
    lfx_person(&r[0], 7);
    r[1] = r[0], r[2] = r[0];
    strcpy(r[1].id, "B");
    r[1].dob[0] = 0;
    strcpy(r[2].id, "C");
    strcpy(r[2].dob, "20011130");
    strcpy(r[0].id, "A");
    char in[512], out[512];
    lfx_path(in, sizeof in, "guard_in.csv");
    lfx_path(out, sizeof out, "guard_out.csv");
    lfx_write(in, r, 103, "rec_id");
    for (int g = 0; g < 2; g++) {
        nm_model *m = guarded_model(g);
        nm_link_stats st;
        nm_err e = {0};
        cr_assert_eq(run_dedupe(in, m, out, NULL, 1, &st, &e), 0, "%s", e.msg);
        char *b = lfx_read(out), ca[32], cb[32], cc[32];
        cr_assert_eq(sscanf(strstr(b, "\nA,") + 3, "%31[^,]", ca), 1);
        cr_assert_eq(sscanf(strstr(b, "\nB,") + 3, "%31[^,]", cb), 1);
        cr_assert_eq(sscanf(strstr(b, "\nC,") + 3, "%31[^,]", cc), 1);
        cr_assert_str_eq(cb, strcmp(cb, "A") ? "B" : "A");
        if (!g) {
            cr_assert(!strcmp(ca, "A") && !strcmp(cb, "A") && !strcmp(cc, "A"), "no guard: one chain (%s %s %s)", ca, cb, cc);
        } else {
            cr_assert_str_neq(ca, cc, "the guard keeps A and C apart");
            cr_assert(!strcmp(cb, ca) || !strcmp(cb, cc));
        }
        free(b);
        nm_model_free(m);
    }
}

Test(dedupe, duplicate_ids_are_refused) {
    lperson r[3];
    for (unsigned k = 0; k < 3; k++) lfx_person(&r[k], k);
    strcpy(r[2].id, r[0].id);
    char in[512], out[512];
    lfx_path(in, sizeof in, "dupid.csv");
    lfx_path(out, sizeof out, "dupid_out.csv");
    lfx_write(in, r, 3, "rec_id");
    nm_model *m = lfx_model("builtin:febrl");
    nm_err e = {0};
    cr_assert_eq(run_dedupe(in, m, out, NULL, 1, NULL, &e), NM_E_FORMAT);
    char want[600];
    snprintf(want, sizeof want, "%s:4: duplicate record id (first at line 2)", in);
    cr_assert(strstr(e.msg, want), "%s", e.msg);
    cr_assert_eq(access(out, F_OK), -1);
    nm_model_free(m);
}

static double exact_m(const nm_model *m, const char *comparison) {
    int c = nm_model_comparison_index(m, comparison);
    cr_assert_geq(c, 0);
    int l = nm_model_level_index(m, (size_t)c, "exact");
    cr_assert_geq(l, 0);
    return nm_model_comparison(m, (size_t)c)->levels[l].m;
}

Test(dedupe, train_gives_a_loadable_model_with_strong_exact_names) {
    char out[512], out2[512], labels[512], buf[8192], args[4096];
    lfx_path(out, sizeof out, "trained.json");
    lfx_path(out2, sizeof out2, "trained_labels.json");
    lfx_path(labels, sizeof labels, "labels.csv");
    snprintf(args, sizeof args, "train --input %s --model builtin:febrl --out %s --seed 3 --random-pairs 20000", INPUT, out);
    cr_assert_eq(nm_test_cli(args, buf, sizeof buf), 0, "%s", buf);
    cr_assert(strstr(buf, "m by EM") && strstr(buf, "date_of_birth"), "%s", buf);
    nm_model *m = lfx_model(out);
    cr_assert_gt(exact_m(m, "given_name"), 0.6);
    cr_assert_gt(exact_m(m, "surname"), 0.6);
    cr_assert_gt(exact_m(m, "soc_sec_id"), 0.6);
    /* lambda from the EM runs: near the truth (NTRUE pairs among NREC(NREC-1)/2) */
    double lam = nm_model_lambda(m), truth = (double)NTRUE / ((double)NREC * (NREC - 1) / 2);
    cr_assert(lam > truth / 3 && lam < truth * 3, "lambda %g, truth %g", lam, truth);
    nm_model_free(m);
    /* the trained model dedupes the fixture as well */
    char cl[512];
    lfx_path(cl, sizeof cl, "trained_clusters.csv");
    snprintf(args, sizeof args, "dedupe --input %s --model %s --out %s --threads 2", INPUT, out, cl);
    cr_assert_eq(nm_test_cli(args, buf, sizeof buf), 0, "%s", buf);
    char want[64];
    snprintf(want, sizeof want, "%zu records (0 rows rejected)", NREC);
    cr_assert(strstr(buf, want), "%s", buf);
    snprintf(want, sizeof want, "%u clusters", NP);
    cr_assert(strstr(buf, want), "%s", buf);
    /* supervised from labelled pairs (left_id,right_id): same seeds, deterministic */
    FILE *f = fopen(labels, "w");
    fputs("left_id,right_id\n", f);
    for (unsigned k = 0; k < NP; k += 3) fprintf(f, "rec-%u-org,rec-%u-dup-%u\n", k, k, k);
    fputs("nobody,rec-1-org\n", f);
    fclose(f);
    snprintf(args, sizeof args, "train --input %s --model builtin:febrl --out %s --labels %s --random-pairs 5000", INPUT,
             out2, labels);
    cr_assert_eq(nm_test_cli(args, buf, sizeof buf), 0, "%s", buf);
    cr_assert(strstr(buf, "1 labelled pairs name an unknown") && strstr(buf, "m from 134 labelled pairs"), "%s", buf);
    m = lfx_model(out2);
    cr_assert_gt(exact_m(m, "given_name"), 0.6);
    nm_model_free(m);
}

Test(dedupe, train_on_two_files_links) {
    char l[512], r[512], out[512], buf[8192], args[4096];
    lperson p[300], q[300];
    for (unsigned k = 0; k < 300; k++) {
        lfx_person(&p[k], k);
        if (k < 150) lfx_dup(&q[k], &p[k], k, k);
        else lfx_person(&q[k], 5000 + k);
    }
    lfx_path(l, sizeof l, "tl.csv");
    lfx_path(r, sizeof r, "tr.csv");
    lfx_path(out, sizeof out, "tlink.json");
    lfx_write(l, p, 300, "rec_id");
    lfx_write(r, q, 300, "rec_id");
    snprintf(args, sizeof args, "train --input %s --right %s --model builtin:febrl --out %s --random-pairs 20000", l, r, out);
    cr_assert_eq(nm_test_cli(args, buf, sizeof buf), 0, "%s", buf);
    nm_model *m = lfx_model(out);
    cr_assert_gt(exact_m(m, "surname"), 0.6);
    double lam = nm_model_lambda(m), truth = 150.0 / (300.0 * 300.0);
    cr_assert(lam > truth / 3 && lam < truth * 3, "lambda %g, truth %g", lam, truth);
    nm_model_free(m);
}

Test(dedupe, bad_rows_are_reported_counted_and_kept_in_the_output) {
    char in[512], out[512];
    lfx_path(in, sizeof in, "dd_bad.csv");
    lfx_path(out, sizeof out, "dd_bad_out.csv");
    lfx_write_with_bad_rows(in, "rec-9-org,\"open quote,x\n");   /* line 5: unbalanced quote */
    nm_model *m = lfx_model("builtin:febrl");
    char rep[4096];
    nm_link_stats st;
    lfx_run_reported(in, NULL, m, out, &st, rep, sizeof rep);
    cr_assert(lfx_reported(rep, in, 5), "%s", rep);
    cr_assert_eq(st.rejected[0], 1);
    cr_assert_eq(st.clusters, 3, "good rows only");
    char *b = lfx_read(out);
    cr_assert(strstr(b, "\nrec-0-org,rec-0-org,1.0000\n"), "%s", b);
    cr_assert(strstr(b, ",,0.0000\n"), "the rejected row keeps its place with no cluster: %s", b);
    free(b);
    nm_model_free(m);
}
