/* Building a matcher and scoring one query (matcher.h). */
#include "match/matcher.h"
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "common/error_internal.h"
#include "registry/registry_internal.h"
#include "score/score.h"

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

void nm_matcher_set_opts(nm_matcher *mt, const nm_match_opts *o) {
    mt->threads = o && o->threads > 0 ? o->threads : omp_get_max_threads();
    mt->block_cap = o && o->block_cap ? o->block_cap : 2000;
    const nm_thresholds *th = nm_model_thresholds(mt->m);
    mt->match_p = o && o->match_probability >= 0 ? o->match_probability : th->match_probability;
    mt->gap = o && o->ambiguity_gap_bits >= 0 ? o->ambiguity_gap_bits : th->ambiguity_gap_bits;
    nm_cmp_plan_make(mt->m, &mt->plan);
}

/* The field whose frequency each comparison's TF levels read (mt->tf_field)
 * and the distinct such fields (tff); returns how many. */
int nm_matcher_tf_fields(nm_matcher *mt, int *tff) {
    const nm_model *m = mt->m;
    size_t nc = nm_model_comparison_count(m);
    int ntf = 0;
    uint8_t seen[NM_MAX_FIELDS] = {0};
    for (size_t c = 0; c < nc; c++) {
        const nm_comparison *cmp = nm_model_comparison(m, c);
        mt->tf_field[c] = -1;
        for (int l = 0; l < cmp->n_levels; l++)
            if (cmp->levels[l].tf) mt->tf_field[c] = (int16_t)cmp->fields[cmp->levels[l].field == NM_ALL_FIELDS ? 0 : cmp->levels[l].field];
        if (mt->tf_field[c] >= 0 && !seen[mt->tf_field[c]]) seen[mt->tf_field[c]] = 1, tff[ntf++] = mt->tf_field[c];
    }
    return ntf;
}

static void note_sizes(nm_matcher *mt) {
    mt->nref = mt->rows.n;
    mt->bytes_rows = mt->rows.blob.cap + (mt->nref + 1) * sizeof *mt->rows.off;
    mt->bytes_index = nm_index_bytes(&mt->ix);
    mt->bytes_tf = 0;
    for (size_t f = 0; f < NM_MAX_FIELDS; f++) mt->bytes_tf += mt->tf[f].n * 12;
}

int nm_matcher_index_rows(nm_matcher *mt, double t0, nm_err *err) {
    const nm_model *m = mt->m;
    int rc = 0;
    mt->nref = mt->rows.n;
    /* Term frequencies of the fields TF levels read, one field per thread. */
    int tff[NM_MAX_FIELDS], ntf = nm_matcher_tf_fields(mt, tff);
    int tfrc = 0;
#pragma omp parallel for schedule(dynamic, 1) num_threads(mt->threads)
    for (int i = 0; i < ntf; i++)
        if (nm_tf_build(&mt->tf[tff[i]], &mt->rows, (size_t)tff[i])) {
#pragma omp atomic write
            tfrc = NM_E_NOMEM;
        }
    if (tfrc) rc = nm_err_set(err, tfrc, "matcher: out of memory");
    for (size_t c = 0, nc = nm_model_comparison_count(m); c < nc; c++)
        if (mt->tf_field[c] >= 0 && mt->tf[mt->tf_field[c]].total < mt->tf_min_values) mt->tf_field[c] = -1;
    mt->seconds_table = now_s() - t0;
    t0 = now_s();
    const nm_blocking_rule *rules[NM_MATCH_MAX_RULES];
    size_t nr = nm_model_blocking_rule_count(m);
    for (size_t i = 0; i < nr; i++) rules[i] = nm_model_blocking_rule(m, i);
    if (!rc) rc = nm_index_build(&mt->ix, &mt->rows, rules, nr, mt->threads, err);
    note_sizes(mt);
    mt->seconds_index = now_s() - t0;
    return rc;
}

int nm_matcher_create(const nm_registry *r, const nm_model *m, const nm_match_opts *o, nm_matcher **out,
                      nm_err *err) {
    *out = NULL;
    size_t nf = nm_model_field_count(m);
    int known = 0;
    for (size_t f = 0; f < nf; f++) known |= nm_registry_has_field(nm_model_field(m, f)->name);
    if (!known)
        return nm_err_set(err, NM_E_MODEL, "model '%s': no field the registry can fill (see the HCP preset)",
                          nm_model_name(m));
    if (nm_model_blocking_rule_count(m) > NM_MATCH_MAX_RULES)
        return nm_err_set(err, NM_E_MODEL, "model '%s': at most %d blocking rules", nm_model_name(m), NM_MATCH_MAX_RULES);
    nm_matcher *mt = calloc(1, sizeof *mt);
    if (!mt) return nm_err_set(err, NM_E_NOMEM, "matcher: out of memory");
    mt->reg = r;
    /* The prior: a record has (at most) one provider among the registry's
     * N, so a random (record, provider) pair matches with probability about
     * 1/N. The shipped model's lambda is that for the full NPPES (~9M); a
     * registry of another size (a state extract, a test file) gets its own. */
    size_t active = 0;
    for (size_t i = 0; i < nm_registry_count(r); i++) active += r->entity[i] != 0;
    if (nm_model_clone(m, &mt->own) || (!(o && o->keep_lambda) && active > 1 &&
                                        nm_model_set_lambda(mt->own, 1.0 / (double)active))) {
        nm_matcher_free(mt);
        return nm_err_set(err, NM_E_NOMEM, "matcher: out of memory");
    }
    m = mt->m = mt->own;
    nm_matcher_set_opts(mt, o);
    double t0 = now_s();
    int tff[NM_MAX_FIELDS];
    nm_matcher_tf_fields(mt, tff);
    int rc = nm_match_cache_adopt(mt, r);
    if (rc == 1) {   /* stored with the registry snapshot: nothing to build */
        note_sizes(mt);
        mt->seconds_table = now_s() - t0;
        *out = mt;
        return 0;
    }
    if (rc < 0 || r->no_records) {
        nm_matcher_free(mt);
        return rc < 0 ? nm_err_set(err, rc, "matcher: out of memory")
                      : nm_err_set(err, NM_E_ARG, "matcher: registry loaded for another model (without its records)");
    }
    rc = nm_rrows_from_registry(&mt->rows, r, m, mt->threads, err);
    if (rc) {
        nm_matcher_free(mt);
        return rc;
    }
    rc = nm_matcher_index_rows(mt, t0, err);
    if (rc) {
        nm_matcher_free(mt);
        return err && err->code ? rc : nm_err_set(err, rc, "matcher: out of memory");
    }
    *out = mt;
    return 0;
}

void nm_matcher_free(nm_matcher *mt) {
    if (!mt) return;
    nm_model_free(mt->own);
    if (mt->borrowed) {   /* the arrays belong to the registry; only the rule table is ours */
        free(mt->ix.r);
        free(mt);
        return;
    }
    nm_rrows_free(&mt->rows);
    nm_index_free(&mt->ix);
    for (size_t f = 0; f < NM_MAX_FIELDS; f++) nm_tf_free(&mt->tf[f]);
    free(mt);
}

int nm_mworker_init(nm_mworker *w, const nm_matcher *mt) {
    memset(w, 0, sizeof *w);
    NM_TRY(nm_cands_init(&w->cands, mt->nref));
    NM_TRY(nm_cands_init(&w->next, mt->nref));
    w->cands.prefetch = w->next.prefetch = mt->rows.off;   /* each new candidate's row store offset, long before compare reads it */
    w->want_next = w->next_q = SIZE_MAX;
    return 0;
}

void nm_mworker_free(nm_mworker *w) {
    nm_cands_free(&w->cands);
    nm_cands_free(&w->next);
    NM_VEC_FREE(&w->vec);
    NM_VEC_FREE(&w->w);
    nm_cmp_scratch_free(&w->cs);
}

void nm_query_tf(const nm_matcher *mt, nm_mworker *w, const nm_rtable *qt, size_t q) {
    const nm_weight_table *t = nm_model_weights(mt->m);
    size_t nc = t->ncomp;
    memcpy(w->tw, t->w, nc * NM_MAX_LEVELS * sizeof *w->tw);
    for (size_t c = 0; c < nc; c++) {
        w->tf[c] = 0;
        int f = mt->tf_field[c];
        if (f < 0 || !nm_rt_count(qt, (size_t)f, q)) continue;
        uint32_t len;
        const char *v = nm_rt_value(qt, (size_t)f, nm_rt_first(qt, (size_t)f, q), &len);
        w->tf[c] = nm_tf_lookup(&mt->tf[f], v, len);
        /* The same sum nm_score makes: w + tf_term per comparison. */
        const nm_comparison *cmp = nm_model_comparison(mt->m, c);
        for (int l = 0; l < cmp->n_levels; l++)
            w->tw[c * NM_MAX_LEVELS + l] = t->w[c * NM_MAX_LEVELS + l] + nm_model_tf_weight(mt->m, c, (size_t)l, w->tf[c]);
    }
}

int nm_score_query(const nm_matcher *mt, nm_mworker *w, const nm_rtable *qt, size_t q) {
    if (w->next_qt == qt && w->next_q == q) {   /* found while the previous query was compared */
        nm_cands t = w->cands;
        w->cands = w->next;
        w->next = t;
    } else {
        NM_TRY(nm_cands_find(&w->cands, &mt->ix, qt, q, mt->block_cap, w->st.rule_pairs, w->st.rule_skipped));
    }
    w->next_qt = NULL;
    w->next_q = SIZE_MAX;
    if (w->want_next != SIZE_MAX && w->want_next != q) {
        NM_TRY(nm_cands_find(&w->next, &mt->ix, w->want_qt, w->want_next, mt->block_cap, w->st.rule_pairs,
                             w->st.rule_skipped));
        w->next_qt = w->want_qt;
        w->next_q = w->want_next;
    }
    w->want_next = SIZE_MAX;
    size_t n = w->cands.rows.n, nc = mt->plan.ncomp;
    if (NM_VEC_RESERVE(&w->vec, n * nc + 1) || NM_VEC_RESERVE(&w->w, n + 1)) return NM_E_NOMEM;
    w->vec.n = n * nc;
    w->w.n = n;
    w->st.pairs += n;
    if (!n) return 0;
    w->cs.ahead = w->next.rows.v;
    w->cs.nahead = w->next_qt ? w->next.rows.n : 0;
    NM_TRY(nm_compare_pairs(mt->m, &mt->plan, qt, q, &mt->rows, w->cands.rows.v, n, &w->cs, w->vec.v));
    w->cs.nahead = 0;
    nm_query_tf(mt, w, qt, q);
    double prior = nm_model_prior_weight(mt->m);
    for (size_t i = 0; i < n; i++) {
        const uint8_t *v = w->vec.v + i * nc;
        double s = prior;
        for (size_t c = 0; c < nc; c++) s += w->tw[c * NM_MAX_LEVELS + v[c]];
        w->w.v[i] = s;
    }
    return 0;
}
