/* Training on generic inputs (link.h nm_train_files): the pair sources
 * nm_train asks for, over a left/right pair of tables or one table.
 *  - random pairs (seeded, stream k -> pair k): (left, right) records, or
 *    two distinct records of a dedupe input, for u;
 *  - per training blocking rule: the pairs sharing the rule's key (an index
 *    over the rule on the indexed side; dedupe: each unordered pair once),
 *    for one EM run each with the rule's comparisons held fixed;
 *  - labels: CSV left_id,right_id of known matches -> supervised m, u from
 *    the random pairs. */
#include <omp.h>
#include <stdlib.h>
#include <string.h>
#include "common/error_internal.h"
#include "gen/gen.h"
#include "ingest/csv.h"
#include "match/link.h"
#include "match/train_labels.h"

typedef struct tctx {
    const nm_matcher *mt;
    const nm_input *q, *r;     /* query side, indexed side (the same for dedupe) */
    const nm_input *left, *right;
    int dedupe, swapped;
    const nm_train_opts *o;
    nm_train_report *rep;
    nm_cands cands;
    nm_cmp_scratch cs;
    NM_VEC(uint8_t) vec;
    NM_VEC(uint32_t) uq, ur;   /* usable records of each side */
} tctx;

static int add_pairs(tctx *t, size_t q, const uint32_t *rows, size_t n, nm_patterns *out) {
    size_t nc = t->mt->plan.ncomp;
    if (!n) return 0;
    if (NM_VEC_RESERVE(&t->vec, n * nc)) return NM_E_NOMEM;
    NM_TRY(nm_compare_pairs(t->mt->m, &t->mt->plan, &t->q->t, q, &t->mt->rows, rows, n, &t->cs, t->vec.v));
    for (size_t i = 0; i < n; i++) NM_TRY(nm_patterns_add(out, t->vec.v + i * nc, 1));
    return 0;
}

/* Random pair k: a query record and an indexed record (dedupe: distinct). */
static void random_pair(const tctx *t, uint64_t k, uint32_t *q, uint32_t *r) {
    nm_rng g;
    nm_rng_seed(&g, t->o->seed, k);
    if (t->dedupe) {
        uint32_t n = (uint32_t)t->uq.n, a = nm_rng_below(&g, n), b = nm_rng_below(&g, n - 1);
        b += b >= a;
        *q = t->uq.v[NM_MIN(a, b)];
        *r = t->uq.v[NM_MAX(a, b)];
    } else {
        *q = t->uq.v[nm_rng_below(&g, (uint32_t)t->uq.n)];
        *r = t->ur.v[nm_rng_below(&g, (uint32_t)t->ur.n)];
    }
}

static int enough_records(const tctx *t, nm_err *err) {
    if (t->uq.n < 1 + (size_t)t->dedupe || t->ur.n < 1)
        return nm_err_set(err, NM_E_ARG, "train: not enough usable input records");
    return 0;
}

static int source(void *ctx, int rule, nm_patterns *out, nm_err *err) {
    tctx *t = ctx;
    if (rule == -1) {
        NM_TRY(enough_records(t, err));
        uint64_t n = t->o->random_pairs ? t->o->random_pairs : 200000;
        for (uint64_t k = 0; k < n; k++) {
            uint32_t q, r;
            random_pair(t, k, &q, &r);
            if (add_pairs(t, q, &r, 1, out)) return nm_err_set(err, NM_E_NOMEM, "train: out of memory");
        }
        t->rep->random_pairs = n;
        return 0;
    }
    nm_index tix;
    memset(&tix, 0, sizeof tix);
    const nm_index *ix = &t->mt->ix;
    if (rule >= 0) {
        const nm_blocking_rule *one = nm_model_training_rule(t->mt->m, (size_t)rule);
        NM_TRY(nm_index_build(&tix, &t->mt->rows, &one, 1, t->mt->threads, err));
        ix = &tix;
    }
    uint32_t cap = t->o->block_cap ? t->o->block_cap : t->mt->block_cap;
    uint64_t before = nm_patterns_total(out);
    int rc = 0;
    for (size_t i = 0; !rc && i < t->uq.n; i++) {
        uint32_t q = t->uq.v[i];
        rc = nm_cands_find(&t->cands, ix, &t->q->t, q, cap, NULL, NULL);
        nm_cands *c = &t->cands;
        size_t k = 0;
        for (size_t x = 0; !rc && x < c->rows.n; x++)
            if (!t->dedupe || c->rows.v[x] > q) c->rows.v[k++] = c->rows.v[x];
        if (!rc) rc = add_pairs(t, q, c->rows.v, k, out);
    }
    nm_index_free(&tix);
    if (rc) return nm_err_set(err, rc, "train: out of memory");
    t->rep->rule_pairs[rule >= 0 ? rule : 0] = nm_patterns_total(out) - before;
    return 0;
}

static int supervised(tctx *t, nm_model *out, FILE *report, nm_err *err) {
    nm_idmap im[2] = {{0}};
    nm_labelled lab = {t->mt, &t->q->t, &t->cs, {0}, {0}};
    nm_csv *csv = NULL;
    nm_csv_opts co = {0};
    uint64_t unknown = 0;
    int rc = nm_idmap_build(&im[0], t->left) || nm_idmap_build(&im[1], t->right) ? nm_err_set(err, NM_E_NOMEM, "train: out of memory") : 0;
    if (!rc) rc = nm_csv_open(t->o->labels, &co, &csv, err);
    int cl = csv ? nm_csv_find_column(csv, "left_id") : -1, cr = csv ? nm_csv_find_column(csv, "right_id") : -1;
    if (!rc && (cl < 0 || cr < 0)) rc = nm_err_set(err, NM_E_FORMAT, "%s: labels need left_id and right_id columns", t->o->labels);
    nm_csv_row row;
    while (!rc && (rc = nm_csv_next(csv, &row, err)) == 1) {
        rc = 0;
        if (row.error != NM_R_COUNT || (uint32_t)NM_MAX(cl, cr) >= row.nfields) continue;
        int64_t a = nm_idmap_find(&im[0], row.f[cl].p, row.f[cl].len), b = nm_idmap_find(&im[1], row.f[cr].p, row.f[cr].len);
        if (a < 0 || b < 0 || (t->dedupe && a == b)) {
            unknown++;
            continue;
        }
        /* The compare stage reads the query side from the table, the other from the row store. */
        uint32_t q = (uint32_t)(t->swapped ? b : a), r = (uint32_t)(t->swapped ? a : b);
        if (!(rc = nm_labelled_add(&lab, q, r, 1))) t->rep->labelled++;
    }
    if (rc == 1) rc = 0;
    if (unknown) fprintf(report, "train: %llu labelled pairs name an unknown or rejected record (skipped)\n", (unsigned long long)unknown);
    uint64_t n = t->o->random_pairs ? t->o->random_pairs : 200000;
    if (!rc) rc = enough_records(t, err);
    for (uint64_t k = 0; !rc && k < n; k++) {
        uint32_t q, r;
        random_pair(t, k, &q, &r);
        rc = nm_labelled_add(&lab, q, r, 0);
    }
    t->rep->random_pairs = n;
    rc = nm_labelled_fit(&lab, rc, out, err);
    nm_idmap_free(&im[0]);
    nm_idmap_free(&im[1]);
    nm_csv_close(csv);
    return rc;
}

int nm_train_files(const char *left, const char *right, nm_model *out, const nm_link_opts *lo,
                   const nm_train_opts *to, nm_train_report *rep, FILE *report, nm_err *err) {
    memset(rep, 0, sizeof *rep);
    if (!report) report = stderr;
    int threads = lo && lo->threads > 0 ? lo->threads : omp_get_max_threads();
    nm_input in[2];
    memset(in, 0, sizeof in);
    int rc = nm_link_read(&in[0], left, out, lo, 0, threads, err);
    if (!rc && right) rc = nm_link_read(&in[1], right, out, lo, 1, threads, err);
    if (rc) {
        nm_input_free(&in[0]);
        return rc;
    }
    const char *files[2] = {left, right};
    nm_diag_print(&in[0].diag, files, report);
    if (right) nm_diag_print(&in[1].diag, files + 1, report);
    tctx t;
    memset(&t, 0, sizeof t);
    t.o = to, t.rep = rep, t.dedupe = !right;
    t.left = &in[0], t.right = right ? &in[1] : &in[0];
    t.swapped = right && in[0].t.n > in[1].t.n;
    t.q = t.swapped ? t.right : t.left;
    t.r = t.swapped ? t.left : t.right;
    nm_match_opts mo = {threads, lo ? lo->block_cap : 0, -1, -1, 1};
    nm_matcher *mt = NULL;
    rc = nm_matcher_from_table(&t.r->t, out, &mo, &mt, err);
    t.mt = mt;
    if (!rc) rc = nm_cands_init(&t.cands, mt->nref);
    for (size_t i = 0; !rc && i < t.q->t.n; i++)
        if (t.q->reason.v[i] == NM_R_COUNT && NM_VEC_PUSH(&t.uq, (uint32_t)i)) rc = NM_E_NOMEM;
    for (size_t i = 0; !rc && i < t.r->t.n; i++)
        if (t.r->reason.v[i] == NM_R_COUNT && NM_VEC_PUSH(&t.ur, (uint32_t)i)) rc = NM_E_NOMEM;
    if (rc == NM_E_NOMEM) nm_err_set(err, rc, "train: out of memory");
    size_t ntr = nm_model_training_rule_count(out);
    if (!rc && ntr > 256) rc = nm_err_set(err, NM_E_MODEL, "train: at most 256 training rules");
    if (!rc && to->labels) {
        rc = supervised(&t, out, report, err);
    } else if (!rc) {
        nm_em_options eo = {0};
        rc = nm_train(out, source, &t, &eo, rep->em, err);
        rep->nruns = ntr ? ntr : 1;
        /* lambda: each EM run estimates the share of matches among its
         * rule's pairs, so lambda * pairs counts the matches that rule finds;
         * the best-covering rule is a (slight) underestimate of all matches,
         * over every comparable pair (n(n-1)/2 for dedupe, n1 n2 for link). */
        double found = 0, total = t.dedupe ? (double)t.uq.n * (double)(t.uq.n - 1) / 2 : (double)t.uq.n * (double)t.ur.n;
        for (size_t i = 0; ntr && i < rep->nruns; i++) found = NM_MAX(found, rep->em[i].lambda * (double)rep->rule_pairs[i]);
        if (!rc && found >= 1 && found < total) rc = nm_model_estimate_lambda(out, found, 1.0, total, err);
    }
    nm_cands_free(&t.cands);
    nm_cmp_scratch_free(&t.cs);
    NM_VEC_FREE(&t.vec);
    NM_VEC_FREE(&t.uq);
    NM_VEC_FREE(&t.ur);
    nm_matcher_free(mt);
    nm_input_free(&in[0]);
    nm_input_free(&in[1]);
    return rc;
}
