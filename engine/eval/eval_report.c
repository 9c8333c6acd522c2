/* npimatch eval reports: text for people, JSON for the benchmark (the
 * project's JSON writer: same result => same bytes), sweep CSV. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "common/error_internal.h"
#include "common/json.h"
#include "eval/eval.h"

/* ---- JSON helpers: a failed allocation leaves `bad` set ---------------------------------------- */
typedef struct jb {
    nm_arena a;
    int bad;
} jb;

static nm_json *obj(jb *j) {
    nm_json *o = nm_json_new(&j->a, NM_JSON_OBJECT);
    j->bad |= !o;
    return o;
}
static nm_json *arr(jb *j) {
    nm_json *o = nm_json_new(&j->a, NM_JSON_ARRAY);
    j->bad |= !o;
    return o;
}
static void put(jb *j, nm_json *o, const char *k, nm_json *v) {
    if (!o || !v || nm_json_put(&j->a, o, k, v)) j->bad = 1;
}
static void push(jb *j, nm_json *o, nm_json *v) {
    if (!o || !v || nm_json_push(&j->a, o, v)) j->bad = 1;
}
/* Numbers rounded to 6 decimals so reports diff cleanly. */
static nm_json *num(jb *j, double x) {
    nm_json *v = nm_json_new_number(&j->a, (double)llround(x * 1e6) / 1e6);
    j->bad |= !v;
    return v;
}
static nm_json *cnt(jb *j, uint64_t x) { return num(j, (double)x); }
static nm_json *str(jb *j, const char *s) {
    nm_json *v = nm_json_new_string(&j->a, s ? s : "");
    j->bad |= !v;
    return v;
}

static nm_json *prf_json(jb *j, const nm_eval_prf *m) {
    nm_json *o = obj(j);
    put(j, o, "precision", num(j, m->precision));
    put(j, o, "recall", num(j, m->recall));
    put(j, o, "f1", num(j, m->f1));
    put(j, o, "tp", cnt(j, m->tp));
    put(j, o, "fp", cnt(j, m->fp));
    put(j, o, "fn", cnt(j, m->fn));
    return o;
}

static nm_json *calib_json(jb *j, const nm_eval_bin *b) {
    nm_json *a = arr(j);
    for (int i = 0; i < NM_EVAL_BINS; i++) {
        nm_json *o = obj(j);
        put(j, o, "lo", num(j, i / (double)NM_EVAL_BINS));
        put(j, o, "hi", num(j, (i + 1) / (double)NM_EVAL_BINS));
        put(j, o, "count", cnt(j, b[i].count));
        put(j, o, "right", cnt(j, b[i].right));
        put(j, o, "share_right", num(j, b[i].count ? (double)b[i].right / (double)b[i].count : 0));
        put(j, o, "mean_confidence", num(j, b[i].count ? b[i].conf_sum / (double)b[i].count : 0));
        push(j, a, o);
    }
    return a;
}

static nm_json *cases_json(jb *j, const nm_eval_case *c, size_t n) {
    nm_json *a = arr(j);
    for (size_t i = 0; i < n; i++) {
        nm_json *o = obj(j);
        put(j, o, "record_id", str(j, c[i].record_id));
        put(j, o, "confidence", num(j, c[i].confidence));
        if (c[i].status && c[i].status[0]) put(j, o, "status", str(j, c[i].status));
        if (c[i].explanation && c[i].explanation[0]) put(j, o, "explanation", str(j, c[i].explanation));
        push(j, a, o);
    }
    return a;
}

static int finish(jb *j, nm_json *root, nm_buf *out) {
    int rc = j->bad ? NM_E_NOMEM : nm_json_write(root, out);
    nm_arena_free(&j->a);
    return rc;
}

static double ratio(uint64_t a, uint64_t b) { return b ? (double)a / (double)b : 0; }

/* ---- NPI matching ---------------------------------------------------------------------------------- */
int nm_eval_npi_json(const nm_eval_npi *e, nm_buf *out) {
    jb j = {.bad = 0};
    nm_arena_init(&j.a, 1 << 16);
    nm_json *root = obj(&j), *c = obj(&j);
    put(&j, root, "mode", str(&j, "npi"));
    put(&j, c, "truth_records", cnt(&j, e->records));
    put(&j, c, "truth_with_npi", cnt(&j, e->truth_with_npi));
    put(&j, c, "truth_absent", cnt(&j, e->truth_absent));
    put(&j, c, "match_rows", cnt(&j, e->rows));
    put(&j, c, "missing_rows", cnt(&j, e->missing));
    put(&j, c, "unknown_rows", cnt(&j, e->unknown));
    put(&j, c, "status_matched", cnt(&j, e->status_matched));
    put(&j, c, "status_ambiguous", cnt(&j, e->status_ambiguous));
    put(&j, c, "status_other", cnt(&j, e->status_other));
    put(&j, root, "counts", c);
    nm_json *am = prf_json(&j, &e->at_model);
    put(&j, am, "fp_wrong_npi", cnt(&j, e->fp_wrong));
    put(&j, am, "fp_absent_provider", cnt(&j, e->fp_absent));
    put(&j, root, "at_model_thresholds", am);
    const nm_eval_sweep *b = &e->sweep[e->best];
    nm_json *best = prf_json(&j, &b->m);
    put(&j, best, "threshold", num(&j, b->threshold));
    put(&j, root, "best_f1_threshold", best);
    nm_json *sw = arr(&j);
    for (int i = 0; i < NM_EVAL_SWEEP; i++) {
        nm_json *o = obj(&j);
        put(&j, o, "threshold", num(&j, e->sweep[i].threshold));
        put(&j, o, "precision", num(&j, e->sweep[i].m.precision));
        put(&j, o, "recall", num(&j, e->sweep[i].m.recall));
        put(&j, o, "f1", num(&j, e->sweep[i].m.f1));
        push(&j, sw, o);
    }
    put(&j, root, "sweep", sw);
    put(&j, root, "calibration", calib_json(&j, e->calib));
    nm_json *bl = obj(&j);
    put(&j, bl, "top2_candidate_recall", num(&j, ratio(e->top2_found, e->truth_with_npi)));
    if (e->have_stats) {
        put(&j, bl, "records", cnt(&j, e->stats_records));
        put(&j, bl, "pairs_compared", cnt(&j, e->pairs_compared));
        put(&j, bl, "pairs_per_record", num(&j, ratio(e->pairs_compared, e->stats_records)));
        put(&j, bl, "pairs_source", str(&j, e->have_stats == 1 ? "stats" : "matches"));
        if (e->seconds > 0) put(&j, bl, "seconds", num(&j, e->seconds));
    }
    if (e->have_blocking) put(&j, bl, "blocking_recall", num(&j, ratio(e->blocking_found, e->truth_with_npi)));
    put(&j, root, "blocking", bl);
    put(&j, root, "worst_false_positives", cases_json(&j, e->worst_fp, e->nworst_fp));
    put(&j, root, "worst_false_negatives", cases_json(&j, e->worst_fn, e->nworst_fn));
    return finish(&j, root, out);
}

int nm_eval_sweep_csv(const nm_eval_npi *e, nm_buf *out) {
    NM_TRY(nm_buf_printf(out, "threshold,precision,recall,f1\n"));
    for (int i = 0; i < NM_EVAL_SWEEP; i++) {
        const nm_eval_sweep *s = &e->sweep[i];
        NM_TRY(nm_buf_printf(out, "%.2f,%.6f,%.6f,%.6f\n", s->threshold, s->m.precision, s->m.recall, s->m.f1));
    }
    return 0;
}

static void print_calib(const nm_eval_bin *b, FILE *out) {
    fprintf(out, "calibration (confidence bin: count, share right, mean confidence)\n");
    for (int i = 0; i < NM_EVAL_BINS; i++)
        fprintf(out, "  [%.1f,%.1f%c %10llu  %6.4f  %6.4f\n", i / 10.0, (i + 1) / 10.0, i == NM_EVAL_BINS - 1 ? ']' : ')',
                (unsigned long long)b[i].count, ratio(b[i].right, b[i].count),
                b[i].count ? b[i].conf_sum / (double)b[i].count : 0);
}

static void print_cases(const char *title, const nm_eval_case *c, size_t n, FILE *out) {
    fprintf(out, "%s\n", title);
    if (!n) fprintf(out, "  (none)\n");
    for (size_t i = 0; i < n; i++)
        fprintf(out, "  %-20s %6.4f %-10s %s\n", c[i].record_id, c[i].confidence, c[i].status ? c[i].status : "",
                c[i].explanation ? c[i].explanation : "");
}

void nm_eval_npi_print(const nm_eval_npi *e, FILE *out) {
    fprintf(out, "records in truth: %llu (%llu with an NPI, %llu absent from the registry)\n",
            (unsigned long long)e->records, (unsigned long long)e->truth_with_npi, (unsigned long long)e->truth_absent);
    fprintf(out, "match rows: %llu (matched %llu, ambiguous %llu, other %llu); missing %llu, not in truth %llu\n",
            (unsigned long long)e->rows, (unsigned long long)e->status_matched, (unsigned long long)e->status_ambiguous,
            (unsigned long long)e->status_other, (unsigned long long)e->missing, (unsigned long long)e->unknown);
    const nm_eval_prf *m = &e->at_model;
    fprintf(out, "at the model's thresholds: precision %.4f  recall %.4f  F1 %.4f  (TP %llu, FP %llu = %llu wrong NPI + "
                 "%llu absent provider, FN %llu)\n",
            m->precision, m->recall, m->f1, (unsigned long long)m->tp, (unsigned long long)m->fp,
            (unsigned long long)e->fp_wrong, (unsigned long long)e->fp_absent, (unsigned long long)m->fn);
    const nm_eval_sweep *b = &e->sweep[e->best];
    fprintf(out, "best F1 over confidence: threshold %.2f  precision %.4f  recall %.4f  F1 %.4f\n", b->threshold,
            b->m.precision, b->m.recall, b->m.f1);
    print_calib(e->calib, out);
    fprintf(out, "top-2 candidate recall: %.4f\n", ratio(e->top2_found, e->truth_with_npi));
    if (e->have_stats)
        fprintf(out, "pairs compared: %llu (%.2f per record, from the %s)\n", (unsigned long long)e->pairs_compared,
                ratio(e->pairs_compared, e->stats_records), e->have_stats == 1 ? "stats file" : "matches file");
    if (e->have_blocking) fprintf(out, "blocking recall: %.4f\n", ratio(e->blocking_found, e->truth_with_npi));
    print_cases("worst false positives (highest confidence):", e->worst_fp, e->nworst_fp, out);
    print_cases("worst false negatives (lowest confidence):", e->worst_fn, e->nworst_fn, out);
}

/* ---- person resolution --------------------------------------------------------------------------- */
int nm_eval_persons_json(const nm_eval_persons *e, nm_buf *out) {
    jb j = {.bad = 0};
    nm_arena_init(&j.a, 1 << 16);
    const nm_eval_clusters *c = &e->c;
    nm_json *root = obj(&j), *k = obj(&j);
    put(&j, root, "mode", str(&j, "persons"));
    put(&j, k, "truth_records", cnt(&j, e->truth_rows));
    put(&j, k, "person_rows", cnt(&j, e->rows));
    put(&j, k, "missing_rows", cnt(&j, e->missing));
    put(&j, k, "unknown_rows", cnt(&j, e->unknown));
    put(&j, k, "records_evaluated", cnt(&j, c->records));
    put(&j, k, "true_persons", cnt(&j, c->true_persons));
    put(&j, k, "predicted_persons", cnt(&j, c->clusters));
    put(&j, root, "counts", k);
    nm_json *pw = prf_json(&j, &c->pairwise);
    put(&j, pw, "true_pairs", cnt(&j, c->true_pairs));
    put(&j, pw, "predicted_pairs", cnt(&j, c->pred_pairs));
    put(&j, root, "pairwise", pw);
    nm_json *b3 = obj(&j);
    put(&j, b3, "precision", num(&j, c->b3_precision));
    put(&j, b3, "recall", num(&j, c->b3_recall));
    put(&j, b3, "f1", num(&j, c->b3_f1));
    put(&j, root, "bcubed", b3);
    put(&j, root, "over_merged_persons", cnt(&j, c->over_merged));
    put(&j, root, "split_persons", cnt(&j, c->split));
    put(&j, root, "calibration", calib_json(&j, e->calib));
    nm_json *ch = obj(&j);
    for (int i = 0; i < e->nchange; i++) put(&j, ch, e->change_name[i][0] ? e->change_name[i] : "(empty)", cnt(&j, e->change_count[i]));
    put(&j, root, "changes", ch);
    put(&j, root, "worst_misplaced", cases_json(&j, e->worst, e->nworst));
    return finish(&j, root, out);
}

void nm_eval_persons_print(const nm_eval_persons *e, FILE *out) {
    const nm_eval_clusters *c = &e->c;
    fprintf(out, "records in truth: %llu; rows in persons: %llu (missing %llu, not in truth %llu)\n",
            (unsigned long long)e->truth_rows, (unsigned long long)e->rows, (unsigned long long)e->missing,
            (unsigned long long)e->unknown);
    fprintf(out, "records evaluated: %llu; true persons %llu, predicted persons %llu\n", (unsigned long long)c->records,
            (unsigned long long)c->true_persons, (unsigned long long)c->clusters);
    fprintf(out, "pairwise: precision %.4f  recall %.4f  F1 %.4f  (true pairs %llu, predicted %llu, right %llu)\n",
            c->pairwise.precision, c->pairwise.recall, c->pairwise.f1, (unsigned long long)c->true_pairs,
            (unsigned long long)c->pred_pairs, (unsigned long long)c->tp_pairs);
    fprintf(out, "B-cubed:  precision %.4f  recall %.4f  F1 %.4f\n", c->b3_precision, c->b3_recall, c->b3_f1);
    fprintf(out, "over-merged predicted persons: %llu; split true persons: %llu\n", (unsigned long long)c->over_merged,
            (unsigned long long)c->split);
    print_calib(e->calib, out);
    if (e->nchange) {
        fprintf(out, "changes:");
        for (int i = 0; i < e->nchange; i++) fprintf(out, " %s=%llu", e->change_name[i], (unsigned long long)e->change_count[i]);
        fprintf(out, "\n");
    }
    print_cases("worst misplaced records (highest confidence):", e->worst, e->nworst, out);
}
