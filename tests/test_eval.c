/* Tests of npimatch eval (engine/eval): metrics computed by hand on small
 * fixtures (pairwise and B-cubed from a contingency table, calibration bins,
 * the best sweep threshold, worst cases), the stats file, and
 * file:line:col errors for malformed input. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "common/arena.h"
#include "common/io.h"
#include "common/json.h"
#include "eval/eval.h"

static void path(char *out, size_t cap, const char *name) {
    snprintf(out, cap, "%s/eval_%d_%s", NM_TEST_TMPDIR, (int)getpid(), name);
}
static void put_file(const char *p, const char *text) {
    FILE *f = fopen(p, "w");
    cr_assert(f);
    fputs(text, f);
    fclose(f);
}

#define EPS 1e-9

/* Six records: persons A A A B B C; clusters X X Y Y Y Y.
 * Cells (A,X)=2 (A,Y)=1 (B,Y)=2 (C,Y)=1; a = 3,2,1; b = 2,4.
 * Pairs: TP = 1 + 0 + 1 + 0 = 2, true = 3 + 1 + 0 = 4, predicted = 1 + 6 = 7.
 * B-cubed P = (4/2 + 1/4 + 4/4 + 1/4) / 6 = 3.5/6; R = (4/3 + 1/3 + 4/2 + 1/1) / 6 = 7/9.
 * Y holds three persons (over-merged 1); A sits in X and Y (split 1).
 * Majority: X -> A, Y -> B: records 1, 2, 4, 5 are right. */
Test(eval, clusters_by_hand) {
    uint32_t t[] = {0, 0, 0, 1, 1, 2}, p[] = {10, 10, 11, 11, 11, 11};
    uint8_t right[6];
    nm_eval_clusters c;
    cr_assert_eq(nm_eval_clusters_compute(t, p, 6, &c, right), 0);
    cr_assert_eq(c.tp_pairs, 2);
    cr_assert_eq(c.true_pairs, 4);
    cr_assert_eq(c.pred_pairs, 7);
    cr_assert_float_eq(c.pairwise.precision, 2.0 / 7, EPS);
    cr_assert_float_eq(c.pairwise.recall, 0.5, EPS);
    cr_assert_float_eq(c.pairwise.f1, 4.0 / 11, EPS);
    cr_assert_float_eq(c.b3_precision, 3.5 / 6, EPS);
    cr_assert_float_eq(c.b3_recall, 7.0 / 9, EPS);
    cr_assert_eq(c.over_merged, 1);
    cr_assert_eq(c.split, 1);
    cr_assert_eq(c.true_persons, 3);
    cr_assert_eq(c.clusters, 2);
    uint8_t want[] = {1, 1, 0, 1, 1, 0};
    cr_assert_arr_eq(right, want, 6);
    cr_assert_eq(c.right, 4);
    /* Perfect clustering: everything 1, nothing merged or split. */
    uint32_t q[] = {5, 5, 5, 7, 7, 9};
    cr_assert_eq(nm_eval_clusters_compute(t, q, 6, &c, NULL), 0);
    cr_assert_float_eq(c.pairwise.f1, 1.0, EPS);
    cr_assert_float_eq(c.b3_f1, 1.0, EPS);
    cr_assert_eq(c.over_merged + c.split, 0);
}

static const char NPI_TRUTH[] = "record_id,npi\n"
                                "R1,1000000001\nR2,1000000002\nR3,1000000003\nR4,1000000004\nR5,\nR6,1000000006\nR7,\n";
static const char NPI_MATCHES[] =
    "record_id,npi,confidence,match_weight,status,runner_up_npi,runner_up_confidence,match_key,explanation\n"
    "R1,1000000001,0.95,9.1,matched,,,k1,name=exact\n"
    "R2,1000000009,0.90,8.0,matched,1000000002,0.85,k1,\"name=fuzzy, zip=exact\"\n"
    "R3,1000000003,0.60,3.0,ambiguous,,,k2,why3\n"
    "R4,,0.10,-2,unmatched,,,k2,why4\n"
    "R5,1000000005,0.80,6.0,matched,,,k1,why5\n"
    "R7,1000000007,0.30,1.0,review,,,k3,why7\n"
    "R9,1000000001,0.99,9.9,matched,,,k1,not in truth\n";

/* Hand-computed: truth NPIs 5 (R1 R2 R3 R4 R6). At the model: TP R1; FP R2
 * (wrong NPI) and R5 (absent provider); P 1/3, R 1/5, F1 1/4. Sweep
 * (rows with an NPI): t <= .30: TP 2 FP 3 (F1 .4); .30 < t <= .60: TP 2 FP 2
 * (P .5 R .4 F1 4/9: best, first at 0.31); .60 < t <= .80: 1/2; ... */
Test(eval, npi_metrics_by_hand) {
    char tp[512], mp[512], sp[512], cp[512];
    path(tp, sizeof tp, "t.csv"), path(mp, sizeof mp, "m.csv"), path(sp, sizeof sp, "s.json"), path(cp, sizeof cp, "c.csv");
    put_file(tp, NPI_TRUTH);
    put_file(mp, NPI_MATCHES);
    char stats[1024];
    const char *cbase = strrchr(cp, '/') + 1;
    snprintf(stats, sizeof stats, "{\"records\": 7, \"pairs_compared\": 35, \"seconds\": 0.5, \"candidates\": \"%s\"}", cbase);
    put_file(sp, stats);
    put_file(cp, "record_id,npi\nR1,1000000001\nR1,1000000008\nR2,1000000002\nR3,1000000003\nR4,1000000099\n");
    nm_eval_opts o = {.truth = tp, .matches = mp, .stats = sp, .worst = 3};
    nm_eval_npi e;
    nm_err err = {0};
    cr_assert_eq(nm_eval_npi_run(&o, &e, &err), 0, "%s", err.msg);
    cr_assert_eq(e.records, 7);
    cr_assert_eq(e.truth_with_npi, 5);
    cr_assert_eq(e.missing, 1);
    cr_assert_eq(e.unknown, 1);
    cr_assert_eq(e.status_matched, 3);
    cr_assert_eq(e.status_ambiguous, 2);   /* "ambiguous" and its alias "review" */
    cr_assert_eq(e.status_other, 1);
    cr_assert_eq(e.at_model.tp, 1);
    cr_assert_eq(e.at_model.fp, 2);
    cr_assert_eq(e.fp_wrong, 1);
    cr_assert_eq(e.fp_absent, 1);
    cr_assert_eq(e.at_model.fn, 4);
    cr_assert_float_eq(e.at_model.precision, 1.0 / 3, EPS);
    cr_assert_float_eq(e.at_model.recall, 0.2, EPS);
    cr_assert_float_eq(e.at_model.f1, 0.25, EPS);
    cr_assert_float_eq(e.sweep[e.best].threshold, 0.31, EPS);
    cr_assert_float_eq(e.sweep[e.best].m.f1, 4.0 / 9, EPS);
    cr_assert_float_eq(e.sweep[0].m.f1, 0.4, EPS);
    cr_assert_eq(e.sweep[60].tp, 2);
    cr_assert_eq(e.sweep[61].tp, 1);
    cr_assert_eq(e.sweep[61].fp, 2);
    cr_assert_eq(e.sweep[96].tp + e.sweep[96].fp, 0);
    /* Calibration: bin 9 holds R1 (right) and R2 (wrong); bin 6 R3; bin 8 R5; bin 3 R7. */
    cr_assert_eq(e.calib[9].count, 2);
    cr_assert_eq(e.calib[9].right, 1);
    cr_assert_eq(e.calib[6].right, 1);
    cr_assert_eq(e.calib[8].count, 1);
    cr_assert_eq(e.calib[8].right, 0);
    cr_assert_eq(e.calib[3].count, 1);
    cr_assert_eq(e.calib[0].count, 0);
    cr_assert_eq(e.top2_found, 3);
    cr_assert(e.have_stats && e.have_blocking);
    cr_assert_eq(e.pairs_compared, 35);
    cr_assert_eq(e.blocking_found, 3);
    /* Worst FP: R2 (0.90) then R5 (0.80); worst FN: R6 (missing), R4, R3. */
    cr_assert_eq(e.nworst_fp, 2);
    cr_assert_str_eq(e.worst_fp[0].record_id, "R2");
    cr_assert_str_eq(e.worst_fp[0].explanation, "name=fuzzy, zip=exact");
    cr_assert_str_eq(e.worst_fp[1].record_id, "R5");
    cr_assert_eq(e.nworst_fn, 3);
    cr_assert_str_eq(e.worst_fn[0].record_id, "R6");
    cr_assert_str_eq(e.worst_fn[1].record_id, "R4");
    cr_assert_str_eq(e.worst_fn[2].record_id, "R3");
    /* JSON report parses and carries the figures. */
    nm_buf b = {0};
    cr_assert_eq(nm_eval_npi_json(&e, &b), 0);
    nm_arena a;
    nm_arena_init(&a, 4096);
    nm_json *root;
    cr_assert_eq(nm_json_parse(b.data, b.len, "report", &a, &root, &err), 0, "%s", err.msg);
    nm_json *best = nm_json_get(root, "best_f1_threshold");
    cr_assert_float_eq(nm_json_get(best, "threshold")->u.number, 0.31, EPS);
    cr_assert_float_eq(nm_json_get(nm_json_get(root, "blocking"), "blocking_recall")->u.number, 0.6, EPS);
    cr_assert_float_eq(nm_json_get(nm_json_get(root, "blocking"), "pairs_per_record")->u.number, 5, EPS);
    cr_assert_eq(nm_json_len(nm_json_get(root, "sweep")), 101);
    cr_assert(strstr(b.data, "\"truth_records\": 7"));
    b.len = 0;
    cr_assert_eq(nm_eval_sweep_csv(&e, &b), 0);
    cr_assert(!strncmp(b.data, "threshold,precision,recall,f1\n0.00,0.400000,0.400000,0.400000\n", 62));
    nm_buf_free(&b);
    nm_arena_free(&a);
    nm_eval_npi_free(&e);
    /* Without stats: no blocking figures, but the rest is the same. */
    o.stats = NULL;
    cr_assert_eq(nm_eval_npi_run(&o, &e, &err), 0, "%s", err.msg);
    cr_assert(!e.have_stats && !e.have_blocking);
    cr_assert_eq(e.at_model.tp, 1);
    nm_eval_npi_free(&e);
    /* A candidates column in the matches file gives pairs per record. */
    put_file(mp, "record_id,npi,confidence,status,candidates\nR1,1000000001,0.9,matched,12\nR2,,0,unmatched,0\n"
                 "R3,1000000003,0.7,matched,6\n");
    cr_assert_eq(nm_eval_npi_run(&o, &e, &err), 0, "%s", err.msg);
    cr_assert_eq(e.have_stats, 2);
    cr_assert_eq(e.pairs_compared, 18);
    cr_assert_eq(e.stats_records, 3);
    cr_assert_eq(e.at_model.tp, 2);
    nm_eval_npi_free(&e);
    unlink(tp), unlink(mp), unlink(sp), unlink(cp);
}

Test(eval, persons_metrics_and_calibration) {
    char tp[512], pp[512];
    path(tp, sizeof tp, "pt.csv"), path(pp, sizeof pp, "pp.csv");
    put_file(tp, "source,record_id,person_id\nS1,1,A\nS1,2,A\nS2,1,A\nS2,2,B\nS1,3,B\nS3,9,C\nS3,10,D\n");
    put_file(pp, "source,record_id,person_id,confidence,change\n"
                 "S1,1,X,0.95,new\nS1,2,X,0.85,same\nS2,1,Y,0.91,new\nS2,2,Y,0.15,merged\nS1,3,Y,0.5,same\nS3,9,Y,1.0,new\n"
                 "S4,1,Z,0.5,new\n");
    nm_eval_opts o = {.truth = tp, .persons = pp, .worst = 5};
    nm_eval_persons e;
    nm_err err = {0};
    cr_assert_eq(nm_eval_persons_run(&o, &e, &err), 0, "%s", err.msg);
    cr_assert_eq(e.missing, 1);   /* S3,10 */
    cr_assert_eq(e.unknown, 1);   /* S4,1 */
    cr_assert_eq(e.c.records, 6);
    cr_assert_float_eq(e.c.pairwise.precision, 2.0 / 7, EPS);
    cr_assert_float_eq(e.c.b3_recall, 7.0 / 9, EPS);
    /* Bins: 9 = S1,1 (right) S2,1 (wrong) S3,9 (wrong, 1.0); 8 = S1,2; 1 = S2,2; 5 = S1,3. */
    cr_assert_eq(e.calib[9].count, 3);
    cr_assert_eq(e.calib[9].right, 1);
    cr_assert_eq(e.calib[8].right, 1);
    cr_assert_eq(e.calib[1].right, 1);
    cr_assert_eq(e.calib[5].count, 1);
    cr_assert_eq(e.nworst, 2);
    cr_assert_str_eq(e.worst[0].record_id, "S3,9");
    cr_assert_str_eq(e.worst[1].record_id, "S2,1");
    cr_assert_eq(e.nchange, 3);
    cr_assert_str_eq(e.change_name[0], "new");
    cr_assert_eq(e.change_count[0], 3);   /* S4,1 is not in the truth */
    nm_buf b = {0};
    cr_assert_eq(nm_eval_persons_json(&e, &b), 0);
    cr_assert(strstr(b.data, "\"over_merged_persons\": 1"));
    cr_assert(strstr(b.data, "\"split_persons\": 1"));
    nm_buf_free(&b);
    nm_eval_persons_free(&e);
    unlink(tp), unlink(pp);
}

/* Malformed input: "file:line:col: reason", never the values. */
static void expect_error(const char *truth, const char *matches, const char *where, const char *reason) {
    char tp[512], mp[512], want[600];
    path(tp, sizeof tp, "bt.csv"), path(mp, sizeof mp, "bm.csv");
    put_file(tp, truth);
    put_file(mp, matches);
    nm_eval_opts o = {.truth = tp, .matches = mp, .worst = 3};
    nm_eval_npi e;
    nm_err err = {0};
    cr_assert_lt(nm_eval_npi_run(&o, &e, &err), 0);
    snprintf(want, sizeof want, "%s%s: %s", strstr(where, "t:") == where ? tp : mp, where + 1, reason);
    cr_assert(strstr(err.msg, want), "got '%s', want '%s'", err.msg, want);
    unlink(tp), unlink(mp);
}

Test(eval, malformed_inputs_name_file_line_col) {
    const char *H = "record_id,npi,confidence,match_weight,status,runner_up_npi,runner_up_confidence,match_key,explanation\n";
    char m[512];
    expect_error("record_id,npi\nA,1000000001\n", "record_id,npi,status\nA,1000000001,matched\n", "m:1:1",
                 "missing column 'confidence'");
    snprintf(m, sizeof m, "%sA,1000000001,0.5,1,matched,,,,\nB,1000000002,abc,1,matched,,,,\n", H);
    expect_error("record_id,npi\nA,1000000001\nB,1000000002\n", m, "m:3:14", "confidence is not a number from 0 to 1");
    snprintf(m, sizeof m, "%sA,1000000001,1.5,1,matched,,,,\n", H);
    expect_error("record_id,npi\nA,1000000001\n", m, "m:2:14", "confidence is not a number from 0 to 1");
    snprintf(m, sizeof m, "%sA,12345,0.5,1,matched,,,,\n", H);
    expect_error("record_id,npi\nA,1000000001\n", m, "m:2:3", "NPI is not 10 digits");
    snprintf(m, sizeof m, "%sA,1000000001,0.5,1,matched,,,,\"open\n", H);
    expect_error("record_id,npi\nA,1000000001\n", m, "m:2:31", "unbalanced quote");
    snprintf(m, sizeof m, "%sA,1000000001,0.5\n", H);
    expect_error("record_id,npi\nA,1000000001\n", m, "m:2:14", "wrong number of fields");
    snprintf(m, sizeof m, "%sA,1000000001,0.5,1,matched,,,,\nA,1000000001,0.5,1,matched,,,,\n", H);
    expect_error("record_id,npi\nA,1000000001\n", m, "m:3:1", "duplicate record_id");
    expect_error("record_id,npi\nA,1000000001\nA,\n", H, "t:3:1", "duplicate record_id");
    expect_error("id,npi\nA,1000000001\n", H, "t:1:1", "missing column 'record_id'");
}

/* The command: text to stdout, JSON and sweep files, usage errors. */
Test(eval, cli) {
    char tp[512], mp[512], jp[512], sp[512], cmd[4096];
    path(tp, sizeof tp, "ct.csv"), path(mp, sizeof mp, "cm.csv"), path(jp, sizeof jp, "cj.json"), path(sp, sizeof sp, "cs.csv");
    put_file(tp, NPI_TRUTH);
    put_file(mp, NPI_MATCHES);
    snprintf(cmd, sizeof cmd, "%s eval --truth %s --matches %s --json %s --sweep %s --worst 2 >/dev/null", NM_CLI_PATH, tp,
             mp, jp, sp);
    cr_assert_eq(system(cmd), 0);
    char *j;
    size_t n;
    nm_err err;
    cr_assert_eq(nm_read_all(jp, &j, &n, &err), 0);
    cr_assert(strstr(j, "\"mode\": \"npi\""));
    cr_assert(strstr(j, "\"worst_false_positives\""));
    free(j);
    cr_assert_eq(nm_read_all(sp, &j, &n, &err), 0);
    int lines = 0;
    for (size_t i = 0; i < n; i++) lines += j[i] == '\n';
    cr_assert_eq(lines, 102);
    free(j);
    snprintf(cmd, sizeof cmd, "%s eval --truth %s 2>/dev/null", NM_CLI_PATH, tp);
    cr_assert_eq(WEXITSTATUS(system(cmd)), 2);
    snprintf(cmd, sizeof cmd, "%s eval --truth %s --matches %s/nope.csv 2>/dev/null", NM_CLI_PATH, tp, NM_TEST_TMPDIR);
    cr_assert_eq(WEXITSTATUS(system(cmd)), 1);
    unlink(tp), unlink(mp), unlink(jp), unlink(sp);
}

Test(eval, persons_malformed_inputs) {
    char tp[512], pp[512];
    path(tp, sizeof tp, "mt.csv"), path(pp, sizeof pp, "mp.csv");
    put_file(tp, "source,record_id,person_id\nS1,1,A\nS1,2,A\n");
    nm_eval_opts o = {.truth = tp, .persons = pp, .worst = 3};
    nm_eval_persons e;
    nm_err err = {0};
    char want[600];
    put_file(pp, "source,record_id,confidence\nS1,1,0.5\n");
    cr_assert_lt(nm_eval_persons_run(&o, &e, &err), 0);
    snprintf(want, sizeof want, "%s:1:1: missing column 'person_id'", pp);
    cr_assert(strstr(err.msg, want), "%s", err.msg);
    put_file(pp, "source,record_id,person_id,confidence\nS1,1,X,0.5\nS1,2,X,high\n");
    cr_assert_lt(nm_eval_persons_run(&o, &e, &err), 0);
    snprintf(want, sizeof want, "%s:3:8: confidence is not a number from 0 to 1", pp);
    cr_assert(strstr(err.msg, want), "%s", err.msg);
    put_file(pp, "source,record_id,person_id\nS1,1,X\nS1,1,Y\n");
    cr_assert_lt(nm_eval_persons_run(&o, &e, &err), 0);
    snprintf(want, sizeof want, "%s:3:4: duplicate (source, record_id)", pp);
    cr_assert(strstr(err.msg, want), "%s", err.msg);
    unlink(tp), unlink(pp);
}

/* End to end: the generator's truth scored against itself is perfect, and
 * against a resolver that puts everyone in one person it is all merge. */
Test(eval, gen_patients_truth_against_itself) {
    char dir[512], cmd[2048], truth[600], one[600], jp[600];
    path(dir, sizeof dir, "pat");
    snprintf(cmd, sizeof cmd, "%s gen patients --rows 2000 --seed 5 --sources 3 --nights 2 --out %s", NM_CLI_PATH, dir);
    cr_assert_eq(system(cmd), 0);
    snprintf(truth, sizeof truth, "%s/truth.csv", dir);
    nm_eval_opts o = {.truth = truth, .persons = truth, .worst = 3};
    nm_eval_persons e;
    nm_err err = {0};
    cr_assert_eq(nm_eval_persons_run(&o, &e, &err), 0, "%s", err.msg);
    cr_assert_eq(e.c.records, 2000);
    cr_assert_float_eq(e.c.pairwise.f1, 1.0, EPS);
    cr_assert_float_eq(e.c.b3_f1, 1.0, EPS);
    cr_assert_eq(e.c.over_merged + e.c.split + e.nworst, 0);
    cr_assert_gt(e.c.true_pairs, 500, "the generator makes duplicates");
    uint64_t true_pairs = e.c.true_pairs;
    nm_eval_persons_free(&e);
    /* One predicted person for everyone: recall 1, precision = true pairs / all pairs. */
    char *text;
    size_t len;
    cr_assert_eq(nm_read_all(truth, &text, &len, &err), 0);
    nm_buf b = {0};
    nm_buf_printf(&b, "source,record_id,person_id\n");
    for (char *line = strchr(text, '\n') + 1; *line;) {
        char *end = strchr(line, '\n');
        char *c2 = strchr(strchr(line, ',') + 1, ',');
        nm_buf_append(&b, line, (size_t)(c2 - line));
        nm_buf_printf(&b, ",EVERYONE\n");
        line = end + 1;
    }
    free(text);
    path(one, sizeof one, "one.csv");
    put_file(one, b.data);
    nm_buf_free(&b);
    path(jp, sizeof jp, "one.json");
    snprintf(cmd, sizeof cmd, "%s eval --truth %s --persons %s --json %s >/dev/null", NM_CLI_PATH, truth, one, jp);
    cr_assert_eq(system(cmd), 0);
    o.persons = one;
    cr_assert_eq(nm_eval_persons_run(&o, &e, &err), 0, "%s", err.msg);
    cr_assert_float_eq(e.c.pairwise.recall, 1.0, EPS);
    cr_assert_float_eq(e.c.pairwise.precision, (double)true_pairs / (2000.0 * 1999 / 2), EPS);
    cr_assert_eq(e.c.over_merged, 1);
    cr_assert_eq(e.c.split, 0);
    nm_eval_persons_free(&e);
    char *j;
    cr_assert_eq(nm_read_all(jp, &j, &len, &err), 0);
    cr_assert(strstr(j, "\"mode\": \"persons\"") && strstr(j, "\"over_merged_persons\": 1"));
    free(j);
}
