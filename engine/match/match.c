/* The matching job (npimatch/match.h): read the input, score every record
 * in parallel, decide, write the rows in input order.
 *
 * Parallelism: records are cut into fixed chunks; OpenMP threads take
 * chunks, each with its own worker (candidates, vectors, scratch) and the
 * chunk's own output buffer; buffers are written in chunk order. Nothing a
 * record's row depends on is shared or order-dependent, so the output is
 * byte-identical for any thread count.
 *
 * Decision (per record):
 *  1. a candidate satisfying a deterministic rule wins (first rule in model
 *     order, then highest weight): "a valid NPI whose registry name agrees
 *     wins outright"; an NPI whose name disagrees only adds its weight;
 *  2. otherwise the candidate with the highest match weight (ties: lower NPI);
 *  3. matched when its posterior 2^w/(1+2^w) reaches match_probability
 *     (or by rule), ambiguous when the runner-up is within ambiguity_gap_bits
 *     (of a rule match: when the runner-up satisfies the same rule), else
 *     unmatched.
 * Confidence is the posterior that this candidate is the record's provider
 * when at most one candidate is (a record has one NPI): odds_i / (1 + sum of
 * the candidates' odds), odds = 2^weight. Two equally good providers get
 * about 0.5 each, a lone strong candidate its own posterior. */
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "common/error_internal.h"
#include "common/io.h"
#include "common/progress.h"
#include "match/matcher.h"
#include "output/csv_out.h"
#include "registry/registry_internal.h"

#define CHUNK 256
#define WINDOW 64

static const char HEADER[] =
    "record_id,npi,confidence,match_weight,status,runner_up_npi,runner_up_confidence,match_key,explanation\n";

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int better(const nm_matcher *mt, const nm_mworker *w, size_t i, size_t j) {
    if (w->w.v[i] != w->w.v[j]) return w->w.v[i] > w->w.v[j];
    return mt->reg->npi[w->cands.rows.v[i]] < mt->reg->npi[w->cands.rows.v[j]];
}

static int put_npi(nm_buf *b, const nm_matcher *mt, uint32_t row) {
    return nm_csv_put_u32(b, mt->reg->npi[row], 10);
}

int nm_match_decide(const nm_matcher *mt, nm_mworker *w, const nm_rtable *qt, size_t q, nm_decision *d) {
    NM_TRY(nm_score_query(mt, w, qt, q));
    size_t n = w->cands.rows.n, nc = mt->plan.ncomp;
    *d = (nm_decision){NM_DECIDE_UNMATCHED, SIZE_MAX, SIZE_MAX, -1, 0, 0, 0, 0};
    if (!n) return 0;
    const nm_model *m = mt->m;
    size_t best = SIZE_MAX, win = SIZE_MAX, runner = SIZE_MAX;
    int win_rule = -1;
    /* A candidate the model's guards call confidently different (e.g. first
     * and last name both present and disagreeing) cannot be this record's
     * provider whatever its location evidence: Fellegi-Sunter adds address,
     * city and phone as if independent, and colleagues share all three.
     * Vetoed candidates (w->w set to -INFINITY) get probability 0; a
     * deterministic rule overrides the guards. */
    for (size_t i = 0; i < n; i++) {
        const uint8_t *v = w->vec.v + i * nc;
        int r = nm_model_first_rule(m, v);
        if (r < 0 && nm_model_first_guard(m, v) >= 0) {
            w->w.v[i] = -INFINITY;
            d->vetoed++;
            continue;
        }
        if (best == SIZE_MAX || better(mt, w, i, best)) best = i;
        if (r >= 0 && (win_rule < 0 || r < win_rule || (r == win_rule && better(mt, w, i, win)))) win = i, win_rule = r;
    }
    if (best == SIZE_MAX) return 0;
    if (win_rule < 0) win = best;
    for (size_t i = 0; i < n; i++)
        if (i != win && w->w.v[i] != -INFINITY && (runner == SIZE_MAX || better(mt, w, i, runner))) runner = i;
    double wmax = w->w.v[best], sum = exp2(-wmax);
    for (size_t i = 0; i < n; i++) sum += exp2(w->w.v[i] - wmax);
    d->win = win, d->runner = runner, d->rule = win_rule;
    d->conf = exp2(w->w.v[win] - wmax) / sum;
    d->rconf = runner != SIZE_MAX ? exp2(w->w.v[runner] - wmax) / sum : 0;
    int close = runner != SIZE_MAX && w->w.v[win] - w->w.v[runner] < mt->gap;
    if (win_rule >= 0)
        d->status = close && nm_model_first_rule(m, w->vec.v + runner * nc) == win_rule ? NM_DECIDE_AMBIGUOUS
                                                                                       : NM_DECIDE_MATCHED;
    else if (nm_weight_to_probability(w->w.v[win]) >= mt->match_p)
        d->status = close ? NM_DECIDE_AMBIGUOUS : NM_DECIDE_MATCHED;
    d->npi = d->status == NM_DECIDE_MATCHED ? mt->reg->npi[w->cands.rows.v[win]] : 0;
    return 0;
}

/* One output row for record q. */
static int decide(const nm_matcher *mt, nm_mworker *w, const nm_input *in, size_t q, nm_buf *b) {
    uint32_t idn;
    const char *id = nm_input_id(in, q, &idn);
    NM_TRY(nm_csv_put(b, id, idn, 1));
    w->st.records++;
    if (in->reason.v[q] != NM_R_COUNT) {
        w->st.rejected++;
        w->st.unmatched++;
        w->st.rejected_by[in->reason.v[q] & 31]++;
        return nm_buf_printf(b, ",,0.0000,,unmatched,,,,rejected:%s\n", nm_reason_name((nm_reason)in->reason.v[q]));
    }
    nm_decision d;
    NM_TRY(nm_match_decide(mt, w, &in->t, q, &d));
    if (d.win == SIZE_MAX) {
        w->st.unmatched++;
        if (d.vetoed) return nm_buf_printf(b, ",,0.0000,,unmatched,,,,vetoed:%zu\n", d.vetoed);
        return nm_buf_append(b, ",,0.0000,,unmatched,,,,no_candidates\n", 37);
    }
    const nm_model *m = mt->m;
    size_t win = d.win, runner = d.runner, nc = mt->plan.ncomp;
    int win_rule = d.rule;
    double conf = d.conf, rconf = d.rconf;
    static const char *const names[] = {"matched", "ambiguous", "unmatched"};
    const char *status = names[d.status];
    int shown = status[0] != 'u';
    if (status[0] == 'm') w->st.matched++, w->st.matched_by_rule += win_rule >= 0;
    else if (status[0] == 'a') w->st.ambiguous++;
    else w->st.unmatched++;

    if (shown) NM_TRY(put_npi(b, mt, w->cands.rows.v[win]));
    else NM_TRY(nm_buf_putc(b, ','));
    NM_TRY(nm_csv_put_fixed(b, conf, 4));
    NM_TRY(nm_csv_put_fixed(b, w->w.v[win], 2));
    NM_TRY(nm_csv_put(b, status, strlen(status), 0));
    if (shown && runner != SIZE_MAX) {
        NM_TRY(put_npi(b, mt, w->cands.rows.v[runner]));
        NM_TRY(nm_csv_put_fixed(b, rconf, 4));
    } else {
        NM_TRY(nm_buf_append(b, ",,", 2));
    }
    const char *key = win_rule >= 0 ? nm_model_rule(m, (size_t)win_rule)->name
                                     : nm_model_blocking_rule(m, w->cands.rule.v[win])->name;
    NM_TRY(nm_csv_put(b, key, strlen(key), 0));
    char ex[2048];
    int len = nm_explain(m, w->vec.v + win * nc, w->tf, ex, sizeof ex);
    if (len < 0) return len;
    NM_TRY(nm_csv_put(b, ex, NM_MIN((size_t)len, sizeof ex - 1), 0));
    return nm_buf_putc(b, '\n');
}

static void stats_add(nm_match_stats *d, const nm_match_stats *s) {
    d->records += s->records;
    d->matched += s->matched;
    d->ambiguous += s->ambiguous;
    d->unmatched += s->unmatched;
    d->rejected += s->rejected;
    d->matched_by_rule += s->matched_by_rule;
    d->pairs += s->pairs;
    for (int i = 0; i < NM_MATCH_MAX_RULES; i++) d->rule_pairs[i] += s->rule_pairs[i], d->rule_skipped[i] += s->rule_skipped[i];
    for (int i = 0; i < 32; i++) d->rejected_by[i] += s->rejected_by[i];
}

int nm_match_file(nm_matcher *mt, const char *input, const char *output, const nm_match_file_opts *o,
                  nm_match_stats *stats, FILE *report, nm_err *err) {
    return nm_match_data(mt, input, NULL, 0, output, o, stats, report, err);
}

/* Match the records of in (read since t0) into output; frees in. */
static int match_input(nm_matcher *mt, const char *input, nm_input *inp, double t0, const char *output,
                       nm_match_stats *stats, FILE *report, nm_err *err) {
    nm_match_stats st;
    memset(&st, 0, sizeof st);
    nm_input in = *inp;
    nm_input_report(&in, input, report ? report : stderr);
    st.seconds_read = now_s() - t0;
    t0 = now_s();

    int nt = mt->threads, rc = 0;
    nm_mworker *wk = calloc((size_t)nt, sizeof *wk);
    nm_buf *bufs = calloc(WINDOW, sizeof *bufs);
    nm_writer *out = NULL;
    if (!wk || !bufs) rc = nm_err_set(err, NM_E_NOMEM, "match: out of memory");
    for (int i = 0; !rc && i < nt; i++)
        if (nm_mworker_init(&wk[i], mt)) rc = nm_err_set(err, NM_E_NOMEM, "match: out of memory");
    if (!rc) rc = nm_writer_open(output, 0, &out, err);
    if (!rc) rc = nm_writer_write(out, HEADER, sizeof HEADER - 1, err);
    size_t n = in.t.n, nchunks = (n + CHUNK - 1) / CHUNK;
    const nm_progress *pg = nm_progress_get();
    for (size_t c0 = 0; c0 < nchunks && !rc; c0 += WINDOW) {
        size_t nw = NM_MIN((size_t)WINDOW, nchunks - c0);
        if ((rc = nm_progress_tick(pg, c0 * CHUNK, n))) {
            nm_err_set(err, rc, "match: cancelled after %zu of %zu records", c0 * CHUNK, n);
            break;
        }
        int crc[WINDOW] = {0};
#pragma omp parallel for schedule(dynamic, 1) num_threads(nt)
        for (size_t k = 0; k < nw; k++) {
            nm_mworker *w = &wk[omp_get_thread_num()];
            bufs[k].len = 0;
            size_t lo = (c0 + k) * CHUNK, hi = NM_MIN(n, lo + CHUNK);
            if (nm_progress_cancelled(pg)) crc[k] = NM_E_CANCELLED;   /* a window is long on one busy core */
            for (size_t q = lo; q < hi && !crc[k]; q++) {
                if (q + 1 < hi && in.reason.v[q + 1] == NM_R_COUNT) w->want_qt = &in.t, w->want_next = q + 1;
                crc[k] = decide(mt, w, &in, q, &bufs[k]);
            }
        }
        for (size_t k = 0; k < nw && !rc; k++) {
            if (crc[k]) rc = nm_err_set(err, crc[k], "match: %s", nm_strerror(crc[k]));
            else rc = nm_writer_write(out, bufs[k].data, bufs[k].len, err);
        }
    }
    if (!rc) rc = nm_progress_tick(pg, n, n) ? nm_err_set(err, NM_E_CANCELLED, "match: cancelled at the end") : 0;
    if (out) {
        if (rc) nm_writer_abort(out);
        else rc = nm_writer_commit(out, err);
    }
    for (int i = 0; wk && i < nt; i++) {
        stats_add(&st, &wk[i].st);
        nm_mworker_free(&wk[i]);
    }
    for (int k = 0; bufs && k < WINDOW; k++) nm_buf_free(&bufs[k]);
    free(bufs);
    free(wk);
    nm_input_free(&in);
    st.seconds_match = now_s() - t0;
    if (stats) *stats = st;
    return rc;
}

int nm_match_data(nm_matcher *mt, const char *input, const char *data, size_t len, const char *output,
                  const nm_match_file_opts *o, nm_match_stats *stats, FILE *report, nm_err *err) {
    double t0 = now_s();
    nm_input in;
    nm_input_opts io = {o ? o->map : NULL, o ? o->nmap : 0, mt->threads, data, len};
    NM_TRY(nm_input_read(&in, input, mt->m, &io, err));
    return match_input(mt, input, &in, t0, output, stats, report, err);
}

int nm_match_columns(nm_matcher *mt, const nm_columns *t, const char *output, const nm_match_file_opts *o,
                     nm_match_stats *stats, FILE *report, nm_err *err) {
    double t0 = now_s();
    nm_input in;
    nm_input_opts io = {o ? o->map : NULL, o ? o->nmap : 0, mt->threads, NULL, 0};
    NM_TRY(nm_input_read_columns(&in, t, mt->m, &io, err));
    return match_input(mt, t->name, &in, t0, output, stats, report, err);
}

void nm_match_stats_print(const nm_matcher *mt, const nm_match_stats *st, int blocking, FILE *out) {
    fprintf(out, "match: %llu records: %llu matched (%llu by deterministic rule), %llu ambiguous, %llu unmatched",
            (unsigned long long)st->records, (unsigned long long)st->matched, (unsigned long long)st->matched_by_rule,
            (unsigned long long)st->ambiguous, (unsigned long long)st->unmatched);
    fprintf(out, " (%llu rows rejected)\n", (unsigned long long)st->rejected);
    for (int r = 0; r < NM_R_COUNT && r < 32; r++)
        if (st->rejected_by[r])
            fprintf(out, "  rejected %-14s %llu\n", nm_reason_name((nm_reason)r), (unsigned long long)st->rejected_by[r]);
    double pr = st->records ? (double)st->pairs / (double)st->records : 0;
    fprintf(out, "pairs: %llu scored, %.1f per record\n", (unsigned long long)st->pairs, pr);
    fprintf(out, "time: registry table %.2f s, indexes %.2f s, read input %.2f s, match %.2f s (%.0f records/s, %d threads)\n",
            mt->seconds_table, mt->seconds_index, st->seconds_read, st->seconds_match,
            st->seconds_match > 0 ? (double)st->records / st->seconds_match : 0, mt->threads);
    nm_registry_info info;
    nm_registry_get_info(mt->reg, &info);
    fprintf(out, "memory: registry %.0f MB, normalized row store %.0f MB, indexes %.0f MB, term frequencies %.0f MB\n",
            info.memory_bytes / 1e6, mt->bytes_rows / 1e6, mt->bytes_index / 1e6, mt->bytes_tf / 1e6);
    if (!blocking) return;
    fprintf(out, "blocking (cap %u rows per block):\n", mt->block_cap);
    for (size_t i = 0; i < mt->ix.nrules; i++) {
        const nm_rule_index *ri = &mt->ix.r[i];
        fprintf(out, "  %-24s pairs %llu, blocks skipped %llu, keys %zu, largest blocks", ri->rule->name,
                (unsigned long long)st->rule_pairs[i], (unsigned long long)st->rule_skipped[i], ri->nkeys);
        for (int k = 0; k < NM_INDEX_TOP && ri->top[k]; k++) fprintf(out, " %u", ri->top[k]);
        fprintf(out, "\n");
    }
}
