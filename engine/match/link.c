/* Generic linkage and deduplication jobs (link.h).
 *
 * Parallelism as in match.c: query records are cut into fixed chunks taken
 * by OpenMP threads, each with its own worker and its own result list; the
 * lists are concatenated in chunk order and then sorted by a total order
 * (left record, weight, right id, right record), so output bytes do not
 * depend on the thread count. */
#define _GNU_SOURCE
#include "match/link.h"
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "cluster/cluster.h"
#include "common/error_internal.h"
#include "common/progress.h"
#include "common/io.h"
#include "output/csv_out.h"
#include "score/score.h"

#define CHUNK 256

static const char PAIRS_HEADER[] = "left_id,right_id,match_probability,match_weight,match_key,explanation\n";
static const char CLUSTERS_HEADER[] = "record_id,cluster_id,confidence\n";
static const char *const ID_COLUMNS[] = {"record_id", "rec_id", "id"};

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

int nm_matcher_from_table(const nm_rtable *ref, const nm_model *m, const nm_match_opts *o, nm_matcher **out,
                          nm_err *err) {
    *out = NULL;
    if (nm_model_blocking_rule_count(m) > NM_MATCH_MAX_RULES)
        return nm_err_set(err, NM_E_MODEL, "model '%s': at most %d blocking rules", nm_model_name(m), NM_MATCH_MAX_RULES);
    nm_matcher *mt = calloc(1, sizeof *mt);
    if (!mt) return nm_err_set(err, NM_E_NOMEM, "link: out of memory");
    if (nm_model_clone(m, &mt->own)) {
        free(mt);
        return nm_err_set(err, NM_E_NOMEM, "link: out of memory");
    }
    mt->m = mt->own;
    nm_matcher_set_opts(mt, o);
    /* Term frequencies come from the indexed side: a value common there is
     * weak evidence whichever record carries it (Splink's TF adjustment). */
    double t0 = now_s();
    int rc = nm_rrows_build(&mt->rows, ref, mt->threads) ? NM_E_NOMEM : 0;
    if (!rc) rc = nm_matcher_index_rows(mt, t0, err);
    if (rc) {
        nm_matcher_free(mt);
        return err && err->code ? rc : nm_err_set(err, rc, "link: out of memory");
    }
    *out = mt;
    return 0;
}

int nm_link_read(nm_input *in, const char *path, const nm_model *m, const nm_link_opts *o, int side, int threads,
                 nm_err *err) {
    /* A model that names its id column means that one, not a fallback. */
    const char *own[1] = {nm_model_id_column(m)};
    const char *const *idc = own[0] ? own : ID_COLUMNS;
    size_t nid = own[0] ? 1 : sizeof ID_COLUMNS / sizeof *ID_COLUMNS;
    nm_input_opts io = {o ? o->map[side] : NULL, o ? o->nmap[side] : 0, threads, o ? o->data[side] : NULL,
                        o ? o->len[side] : 0};
    return nm_input_read_generic(in, path, m, &io, idc, nid, err);
}

/* ------------------------------------------------------------ scoring */

typedef struct lpair {
    uint32_t l, r;            /* left and right record (dedupe: l < r) */
    double w;
    int16_t key;              /* >= 0 blocking rule; < 0: deterministic rule -1-key */
    uint8_t guard, shown;     /* a clustering guard holds; written to the pairs file */
    uint32_t ex_len;
    uint64_t ex_off;          /* explanation bytes in the job's buffer */
} lpair;

typedef struct chunk_out {
    NM_VEC(lpair) p;
    nm_buf ex;
    uint64_t scored;
    int rc;
} chunk_out;

typedef struct job {
    const nm_model *m;
    nm_matcher *mt;
    const nm_input *left, *right;   /* the same input for dedupe */
    const nm_input *query;          /* the side whose records are queries */
    int dedupe, swapped;            /* swapped: the left side is indexed */
    int explain;                    /* explanations wanted (a pairs file is written) */
    double thr, link_p;
    NM_VEC(lpair) pairs;
    nm_buf ex;
    uint64_t scored;
} job;

/* Candidates of query q (dedupe: only later records), their vectors and weights. */
static int score_query(const job *j, nm_mworker *w, size_t q) {
    const nm_matcher *mt = j->mt;
    const nm_rtable *qt = &j->query->t;
    NM_TRY(nm_cands_find(&w->cands, &mt->ix, qt, q, mt->block_cap, NULL, NULL));
    nm_cands *c = &w->cands;
    if (j->dedupe) {
        size_t k = 0;
        for (size_t i = 0; i < c->rows.n; i++)
            if (c->rows.v[i] > q) c->rows.v[k] = c->rows.v[i], c->rule.v[k++] = c->rule.v[i];
        c->rows.n = c->rule.n = k;
    }
    size_t n = c->rows.n, nc = mt->plan.ncomp;
    if (NM_VEC_RESERVE(&w->vec, n * nc + 1) || NM_VEC_RESERVE(&w->w, n + 1)) return NM_E_NOMEM;
    w->vec.n = n * nc;
    w->w.n = n;
    w->st.pairs += n;
    if (!n) return 0;
    NM_TRY(nm_compare_pairs(mt->m, &mt->plan, qt, q, &mt->rows, c->rows.v, n, &w->cs, w->vec.v));
    nm_query_tf(mt, w, qt, q);
    const nm_weight_table *t = nm_model_weights(mt->m);
    for (size_t i = 0; i < n; i++) {
        const uint8_t *v = w->vec.v + i * nc;
        double s = t->prior;
        for (size_t k = 0; k < nc; k++) s += w->tw[k * NM_MAX_LEVELS + v[k]];
        w->w.v[i] = s;
    }
    return 0;
}

static int keep_pairs(const job *j, nm_mworker *w, size_t q, chunk_out *co) {
    const nm_model *m = j->mt->m;
    size_t nc = j->mt->plan.ncomp;
    int guards = j->dedupe && nm_model_thresholds(m)->n_guards;
    for (size_t i = 0; i < w->cands.rows.n; i++) {
        const uint8_t *v = w->vec.v + i * nc;
        double wt = w->w.v[i], p = nm_weight_to_probability(wt);
        int rule = nm_model_first_rule(m, v);
        int guard = guards && nm_model_first_guard(m, v) >= 0;
        int shown = rule >= 0 || p >= j->thr;
        if (!shown && !guard && !(j->dedupe && p >= j->link_p)) continue;
        uint32_t r = w->cands.rows.v[i];
        lpair lp = {j->swapped ? r : (uint32_t)q, j->swapped ? (uint32_t)q : r, wt,
                    (int16_t)(rule >= 0 ? -1 - rule : w->cands.rule.v[i]), (uint8_t)guard, (uint8_t)shown, 0, 0};
        if (shown && j->explain) {
            char ex[2048];
            int len = nm_explain(m, v, w->tf, ex, sizeof ex);
            if (len < 0) return len;
            lp.ex_off = co->ex.len;
            lp.ex_len = (uint32_t)NM_MIN((size_t)len, sizeof ex - 1);
            NM_TRY(nm_buf_append(&co->ex, ex, lp.ex_len));
        }
        if (NM_VEC_PUSH(&co->p, lp)) return NM_E_NOMEM;
    }
    return 0;
}

static int pair_order(const void *pa, const void *pb, void *u) {
    const lpair *a = pa, *b = pb;
    const job *j = u;
    if (a->l != b->l) return a->l < b->l ? -1 : 1;
    if (a->w != b->w) return a->w > b->w ? -1 : 1;
    uint32_t na, nb;
    const char *ia = nm_input_id(j->right, a->r, &na), *ib = nm_input_id(j->right, b->r, &nb);
    int c = nm_key_cmp(ia, na, ib, nb);
    if (c) return c;
    return (a->r > b->r) - (a->r < b->r);
}

static int score_all(job *j, nm_err *err) {
    nm_matcher *mt = j->mt;
    int nt = mt->threads, rc = 0;
    size_t n = j->query->t.n, nchunks = (n + CHUNK - 1) / CHUNK;
    nm_mworker *wk = calloc((size_t)nt, sizeof *wk);
    chunk_out *co = calloc(nchunks + 1, sizeof *co);
    if (!wk || !co) rc = NM_E_NOMEM;
    for (int i = 0; !rc && i < nt; i++) rc = nm_mworker_init(&wk[i], mt);
    const nm_progress *pg = nm_progress_get();
    if (!rc) {
#pragma omp parallel for schedule(dynamic, 1) num_threads(nt)
        for (size_t k = 0; k < nchunks; k++) {
            nm_mworker *w = &wk[omp_get_thread_num()];
            size_t lo = k * CHUNK, hi = NM_MIN(n, lo + CHUNK);
            /* the calling thread reports; any thread sees a cancel */
            if (omp_get_thread_num() == 0 ? nm_progress_tick(pg, lo, n) : nm_progress_cancelled(pg)) co[k].rc = NM_E_CANCELLED;
            uint64_t before = w->st.pairs;
            for (size_t q = lo; q < hi && !co[k].rc; q++) {
                if (j->query->reason.v[q] != NM_R_COUNT) continue;
                co[k].rc = score_query(j, w, q);
                if (!co[k].rc) co[k].rc = keep_pairs(j, w, q, &co[k]);
            }
            co[k].scored = w->st.pairs - before;
        }
    }
    for (size_t k = 0; !rc && k < nchunks; k++) {
        rc = co[k].rc;
        size_t base = j->ex.len;
        if (!rc && (nm_buf_append(&j->ex, co[k].ex.data, co[k].ex.len) || NM_VEC_RESERVE(&j->pairs, j->pairs.n + co[k].p.n)))
            rc = NM_E_NOMEM;
        for (size_t i = 0; !rc && i < co[k].p.n; i++) {
            lpair lp = co[k].p.v[i];
            lp.ex_off += base;
            j->pairs.v[j->pairs.n++] = lp;
        }
        j->scored += co[k].scored;
    }
    for (size_t k = 0; co && k < nchunks; k++) {
        NM_VEC_FREE(&co[k].p);
        nm_buf_free(&co[k].ex);
    }
    for (int i = 0; wk && i < nt; i++) nm_mworker_free(&wk[i]);
    free(co);
    free(wk);
    if (rc) return nm_err_set(err, rc, "link: %s while scoring pairs", nm_strerror(rc));
    if (j->pairs.n) qsort_r(j->pairs.v, j->pairs.n, sizeof *j->pairs.v, pair_order, j);
    return 0;
}

static int write_pairs(const job *j, const char *path, uint64_t *written, nm_err *err) {
    nm_writer *w;
    NM_TRY(nm_writer_open(path, 0, &w, err));
    nm_buf b = {0};
    int rc = nm_writer_write(w, PAIRS_HEADER, sizeof PAIRS_HEADER - 1, err);
    uint64_t nw = 0;
    for (size_t i = 0; !rc && i < j->pairs.n; i++) {
        const lpair *p = &j->pairs.v[i];
        if (!p->shown) continue;
        uint32_t nl, nr;
        const char *il = nm_input_id(j->left, p->l, &nl), *ir = nm_input_id(j->right, p->r, &nr);
        const char *key = p->key < 0 ? nm_model_rule(j->m, (size_t)(-1 - p->key))->name
                                     : nm_model_blocking_rule(j->m, (size_t)p->key)->name;
        if (nm_csv_put(&b, il, nl, 1) || nm_csv_put(&b, ir, nr, 0) ||
            nm_csv_putf(&b, 0, "%.6f", nm_weight_to_probability(p->w)) || nm_csv_putf(&b, 0, "%.2f", p->w) ||
            nm_csv_put(&b, key, strlen(key), 0) || nm_csv_put(&b, j->ex.data + p->ex_off, p->ex_len, 0) ||
            nm_buf_putc(&b, '\n'))
            rc = nm_err_set(err, NM_E_NOMEM, "link: out of memory");
        nw++;
        if (!rc && (b.len > (1u << 20) || i + 1 == j->pairs.n)) {
            rc = nm_writer_write(w, b.data, b.len, err);
            b.len = 0;
        }
    }
    if (!rc && b.len) rc = nm_writer_write(w, b.data, b.len, err);
    nm_buf_free(&b);
    if (rc) nm_writer_abort(w);
    else rc = nm_writer_commit(w, err);
    if (written) *written = nw;
    return rc;
}

static void job_free(job *j) {
    nm_matcher_free(j->mt);
    NM_VEC_FREE(&j->pairs);
    nm_buf_free(&j->ex);
}

static void count_input(const nm_input *in, nm_link_stats *st, int side) {
    st->records[side] = in->t.n;
    for (size_t i = 0; i < in->t.n; i++) st->rejected[side] += in->reason.v[i] != NM_R_COUNT;
}

static double pair_threshold(const nm_model *m, const nm_link_opts *o) {
    return o && o->threshold >= 0 ? o->threshold : nm_model_thresholds(m)->match_probability;
}

int nm_link_files(const char *left, const char *right, const nm_model *m, const char *out, const nm_link_opts *o,
                  nm_link_stats *stats, FILE *report, nm_err *err) {
    nm_link_stats st;
    memset(&st, 0, sizeof st);
    int threads = o && o->threads > 0 ? o->threads : omp_get_max_threads();
    double t0 = now_s();
    nm_input in[2];
    memset(in, 0, sizeof in);
    int rc = nm_link_read(&in[0], left, m, o, 0, threads, err);
    if (!rc) rc = nm_link_read(&in[1], right, m, o, 1, threads, err);
    if (!rc) {
        const char *files[2] = {left, right};
        nm_diag_print(&in[0].diag, files, report ? report : stderr);
        nm_diag_print(&in[1].diag, files + 1, report ? report : stderr);
        count_input(&in[0], &st, 0);
        count_input(&in[1], &st, 1);
    }
    st.seconds_read = now_s() - t0;
    job j;
    memset(&j, 0, sizeof j);
    j.m = m, j.left = &in[0], j.right = &in[1], j.explain = 1, j.thr = pair_threshold(m, o), j.link_p = 2;
    /* Index the larger side: fewer, longer queries against a bigger index
     * cost less than the reverse, and the index is built once. */
    j.swapped = in[0].t.n > in[1].t.n;
    j.query = j.swapped ? &in[1] : &in[0];
    nm_match_opts mo = {threads, o ? o->block_cap : 0, -1, -1, 1};
    t0 = now_s();
    if (!rc) rc = nm_matcher_from_table(j.swapped ? &in[0].t : &in[1].t, m, &mo, &j.mt, err);
    if (!rc) rc = score_all(&j, err);
    st.seconds_score = now_s() - t0;
    if (!rc) rc = write_pairs(&j, out, &st.pairs_written, err);
    st.pairs_scored = j.scored;
    job_free(&j);
    nm_input_free(&in[0]);
    nm_input_free(&in[1]);
    if (stats) *stats = st;
    return rc;
}

/* ----------------------------------------------------------- clustering */

typedef struct gctx {
    const job *j;
    const uint32_t *rec;      /* node -> record */
    nm_cmp_scratch cs;
    uint8_t vec[NM_MAX_COMPARISONS];
} gctx;

/* Guards on a pair blocking never compared (nm_cluster_opts.different). */
static int guard_holds(void *u, uint32_t a, uint32_t b) {
    gctx *g = u;
    const nm_matcher *mt = g->j->mt;
    uint32_t ra = g->rec[a], rb = g->rec[b];
    if (ra > rb) {
        uint32_t t = ra;
        ra = rb, rb = t;
    }
    if (nm_compare_pairs(mt->m, &mt->plan, &g->j->query->t, ra, &mt->rows, &rb, 1, &g->cs, g->vec)) return 0;
    return nm_model_first_guard(mt->m, g->vec) >= 0;
}

static int id_order(const void *pa, const void *pb, void *u) {
    const nm_input *in = u;
    uint32_t a = *(const uint32_t *)pa, b = *(const uint32_t *)pb, na, nb;
    const char *ia = nm_input_id(in, a, &na), *ib = nm_input_id(in, b, &nb);
    int c = nm_key_cmp(ia, na, ib, nb);
    return c ? c : (a > b) - (a < b);
}

static int cluster_and_write(const job *j, const char *input, const char *path, nm_link_stats *st, nm_err *err) {
    const nm_input *in = j->query;
    size_t n = in->t.n, nn = 0;
    uint32_t *node = malloc((n + 1) * sizeof *node), *rec = malloc((n + 1) * sizeof *rec);
    nm_key *keys = malloc((n + 1) * sizeof *keys);
    nm_cluster_edge *edges = malloc((j->pairs.n + 1) * sizeof *edges);
    uint32_t *first = NULL;
    nm_cluster_result res;
    memset(&res, 0, sizeof res);
    gctx g;
    memset(&g, 0, sizeof g);
    g.j = j, g.rec = rec;
    int rc = node && rec && keys && edges ? 0 : nm_err_set(err, NM_E_NOMEM, "dedupe: out of memory");
    for (size_t i = 0; !rc && i < n; i++) {
        node[i] = UINT32_MAX;
        if (in->reason.v[i] != NM_R_COUNT) continue;
        node[i] = (uint32_t)nn;
        rec[nn] = (uint32_t)i;
        keys[nn].p = nm_input_id(in, i, &keys[nn].len);
        nn++;
    }
    /* Ids name clusters and persons: two rows with one id are refused. */
    uint32_t *sorted = rc ? NULL : malloc((nn + 1) * sizeof *sorted);
    if (!rc && !sorted) rc = nm_err_set(err, NM_E_NOMEM, "dedupe: out of memory");
    if (!rc) {
        memcpy(sorted, rec, nn * sizeof *sorted);
        qsort_r(sorted, nn, sizeof *sorted, id_order, (void *)in);
        for (size_t i = 1; i < nn && !rc; i++) {
            uint32_t na, nb;
            const char *a = nm_input_id(in, sorted[i - 1], &na), *b = nm_input_id(in, sorted[i], &nb);
            if (!nm_key_cmp(a, na, b, nb))
                rc = nm_err_set(err, NM_E_FORMAT, "%s:%llu: duplicate record id (first at line %llu)", input,
                                (unsigned long long)in->line.v[sorted[i]], (unsigned long long)in->line.v[sorted[i - 1]]);
        }
    }
    free(sorted);
    size_t ne = 0;
    for (size_t i = 0; !rc && i < j->pairs.n; i++) {
        const lpair *p = &j->pairs.v[i];
        int rule = p->key < 0;
        /* A deterministic rule links outright (infinite weight: it stays the
         * strongest link); a guard makes the pair a veto. */
        edges[ne++] = (nm_cluster_edge){node[p->l], node[p->r], rule ? INFINITY : p->w,
                                        rule ? 1.0 : nm_weight_to_probability(p->w), (uint8_t)(p->guard && !rule)};
    }
    const nm_thresholds *th = nm_model_thresholds(j->mt->m);
    nm_cluster_opts co = {th->n_guards ? guard_holds : NULL, &g, 0};
    if (!rc) rc = nm_cluster_ex(keys, nn, edges, ne, NULL, 0, th->link_probability, &co, &res, err);
    /* cluster_id: the smallest id in the cluster (clusters are numbered in
     * the key order of their smallest member, so the first node met in key
     * order per cluster is it). */
    if (!rc && !(first = malloc((res.n_clusters + 1) * sizeof *first))) rc = nm_err_set(err, NM_E_NOMEM, "dedupe: out of memory");
    if (!rc) {
        for (size_t c = 0; c < res.n_clusters; c++) first[c] = UINT32_MAX;
        for (size_t v = 0; v < nn; v++) {
            uint32_t c = res.cluster[v];
            if (first[c] == UINT32_MAX || res.rank[v] < res.rank[first[c]]) first[c] = (uint32_t)v;
        }
        st->clusters = res.n_clusters;
        st->links_refused = res.n_refused;
    }
    nm_writer *w = NULL;
    nm_buf b = {0};
    if (!rc) rc = nm_writer_open(path, 0, &w, err);
    if (!rc) rc = nm_writer_write(w, CLUSTERS_HEADER, sizeof CLUSTERS_HEADER - 1, err);
    for (size_t i = 0; !rc && i < n; i++) {
        uint32_t len;
        const char *id = nm_input_id(in, i, &len);
        int e = nm_csv_put(&b, id, len, 1);
        if (node[i] == UINT32_MAX) {
            e = e || nm_buf_append(&b, ",,0.0000\n", 9);
        } else {
            uint32_t v = node[i], c = first[res.cluster[v]];
            e = e || nm_csv_put(&b, keys[c].p, keys[c].len, 0) || nm_csv_putf(&b, 0, "%.4f", res.strength[v]) ||
                nm_buf_putc(&b, '\n');
        }
        if (e) rc = nm_err_set(err, NM_E_NOMEM, "dedupe: out of memory");
        if (!rc && (b.len > (1u << 20) || i + 1 == n)) {
            rc = nm_writer_write(w, b.data, b.len, err);
            b.len = 0;
        }
    }
    if (w) {
        if (rc) nm_writer_abort(w);
        else rc = nm_writer_commit(w, err);
    }
    nm_buf_free(&b);
    nm_cmp_scratch_free(&g.cs);
    nm_cluster_result_free(&res);
    free(first);
    free(node);
    free(rec);
    free(keys);
    free(edges);
    return rc;
}

int nm_dedupe_file(const char *input, const nm_model *m, const char *out, const char *pairs_out,
                   const nm_link_opts *o, nm_link_stats *stats, FILE *report, nm_err *err) {
    nm_link_stats st;
    memset(&st, 0, sizeof st);
    int threads = o && o->threads > 0 ? o->threads : omp_get_max_threads();
    double t0 = now_s();
    nm_input in;
    int rc = nm_link_read(&in, input, m, o, 0, threads, err);
    if (rc) return rc;
    nm_diag_print(&in.diag, (const char *const[]){input}, report ? report : stderr);
    count_input(&in, &st, 0);
    st.seconds_read = now_s() - t0;
    job j;
    memset(&j, 0, sizeof j);
    j.m = m, j.left = j.right = j.query = &in, j.dedupe = 1, j.explain = pairs_out != NULL;
    j.thr = pair_threshold(m, o);
    j.link_p = nm_model_thresholds(m)->link_probability;
    nm_match_opts mo = {threads, o ? o->block_cap : 0, -1, -1, 1};
    t0 = now_s();
    rc = nm_matcher_from_table(&in.t, m, &mo, &j.mt, err);
    if (!rc) rc = score_all(&j, err);
    st.seconds_score = now_s() - t0;
    st.pairs_scored = j.scored;
    t0 = now_s();
    if (!rc) rc = cluster_and_write(&j, input, out, &st, err);
    st.seconds_cluster = now_s() - t0;
    if (!rc && pairs_out) rc = write_pairs(&j, pairs_out, &st.pairs_written, err);
    job_free(&j);
    nm_input_free(&in);
    if (stats) *stats = st;
    return rc;
}
