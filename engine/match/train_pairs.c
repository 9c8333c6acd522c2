/* Training pair sources (train_pairs.h). */
#include "match/train_pairs.h"
#include "match/train_labels.h"
#include <stdlib.h>
#include <string.h>
#include "common/error_internal.h"
#include "gen/gen.h"
#include "ingest/csv.h"
#include "registry/registry_internal.h"

typedef struct tctx {
    const nm_matcher *mt;
    const nm_input *in;
    const nm_train_opts *o;
    nm_train_report *rep;
    nm_index tix[256];         /* one per training rule (each hashes as rule 0 of its own index) */
    nm_cands cands;
    nm_cmp_scratch cs;
    NM_VEC(uint8_t) vec;
    NM_VEC(uint32_t) usable;   /* input records that can be compared */
    NM_VEC(uint32_t) active;   /* registry rows with data */
} tctx;

static int add_pairs(tctx *t, size_t q, const uint32_t *rows, size_t n, nm_patterns *out) {
    size_t nc = t->mt->plan.ncomp;
    if (!n) return 0;
    if (NM_VEC_RESERVE(&t->vec, n * nc)) return NM_E_NOMEM;
    NM_TRY(nm_compare_pairs(t->mt->m, &t->mt->plan, &t->in->t, q, &t->mt->rows, rows, n, &t->cs, t->vec.v));
    for (size_t i = 0; i < n; i++) NM_TRY(nm_patterns_add(out, t->vec.v + i * nc, 1));
    return 0;
}

static int source(void *ctx, int rule, nm_patterns *out, nm_err *err) {
    tctx *t = ctx;
    const nm_matcher *mt = t->mt;
    if (rule == -1) {
        uint64_t n = t->o->random_pairs ? t->o->random_pairs : 200000;
        if (!t->usable.n || !t->active.n) return nm_err_set(err, NM_E_ARG, "train: no usable input records");
        for (uint64_t k = 0; k < n; k++) {
            nm_rng g;
            nm_rng_seed(&g, t->o->seed, k);
            uint32_t q = t->usable.v[nm_rng_below(&g, (uint32_t)t->usable.n)];
            uint32_t row = t->active.v[nm_rng_below(&g, (uint32_t)t->active.n)];
            if (add_pairs(t, q, &row, 1, out)) return nm_err_set(err, NM_E_NOMEM, "train: out of memory");
        }
        t->rep->random_pairs = n;
        return 0;
    }
    const nm_index *ix = rule >= 0 ? &t->tix[rule] : &mt->ix;
    uint32_t cap = t->o->block_cap ? t->o->block_cap : mt->block_cap;
    uint64_t before = nm_patterns_total(out);
    for (size_t i = 0; i < t->usable.n; i++) {
        uint32_t q = t->usable.v[i];
        if (nm_cands_find(&t->cands, ix, &t->in->t, q, cap, NULL, NULL) ||
            add_pairs(t, q, t->cands.rows.v, t->cands.rows.n, out))
            return nm_err_set(err, NM_E_NOMEM, "train: out of memory");
    }
    t->rep->rule_pairs[rule >= 0 ? rule : 0] = nm_patterns_total(out) - before;
    return 0;
}

/* Supervised: labelled (record_id, npi) pairs are matches, random pairs
 * (nearly all non-matches) the non-matches. */
static int supervised(tctx *t, nm_model *out, nm_err *err) {
    nm_idmap im = {0};
    nm_labelled lab = {t->mt, &t->in->t, &t->cs, {0}, {0}};
    nm_csv *csv = NULL;
    nm_csv_opts co = {0};
    int rc = nm_idmap_build(&im, t->in) ? nm_err_set(err, NM_E_NOMEM, "train: out of memory") : 0;
    if (!rc) rc = nm_csv_open(t->o->labels, &co, &csv, err);
    int cid = csv ? nm_csv_find_column(csv, "record_id") : -1, cnpi = csv ? nm_csv_find_column(csv, "npi") : -1;
    if (!rc && (cid < 0 || cnpi < 0)) rc = nm_err_set(err, NM_E_FORMAT, "%s: labels need record_id and npi columns", t->o->labels);
    nm_csv_row row;
    while (!rc && (rc = nm_csv_next(csv, &row, err)) == 1) {
        rc = 0;
        if (row.error != NM_R_COUNT || (uint32_t)NM_MAX(cid, cnpi) >= row.nfields) continue;
        int64_t q = nm_idmap_find(&im, row.f[cid].p, row.f[cid].len);
        uint32_t npi = nm_npi_parse(row.f[cnpi].p, row.f[cnpi].len);
        int64_t r = npi ? nm_registry_find(t->mt->reg, npi) : -1;
        if (q < 0 || r < 0) continue;
        if (!(rc = nm_labelled_add(&lab, (uint32_t)q, (uint32_t)r, 1))) t->rep->labelled++;
    }
    if (rc == 1) rc = 0;
    uint64_t n = t->o->random_pairs ? t->o->random_pairs : 200000;
    for (uint64_t k = 0; !rc && k < n && t->usable.n && t->active.n; k++) {
        nm_rng g;
        nm_rng_seed(&g, t->o->seed, k);
        uint32_t q = t->usable.v[nm_rng_below(&g, (uint32_t)t->usable.n)];
        uint32_t r = t->active.v[nm_rng_below(&g, (uint32_t)t->active.n)];
        rc = nm_labelled_add(&lab, q, r, 0);
    }
    t->rep->random_pairs = n;
    rc = nm_labelled_fit(&lab, rc, out, err);
    nm_idmap_free(&im);
    nm_csv_close(csv);
    return rc;
}

int nm_train_against_registry(const nm_matcher *mt, const nm_input *in, nm_model *out, const nm_train_opts *o,
                              nm_train_report *rep, nm_err *err) {
    tctx t;
    memset(&t, 0, sizeof t);
    memset(rep, 0, sizeof *rep);
    t.mt = mt, t.in = in, t.o = o, t.rep = rep;
    int rc = nm_cands_init(&t.cands, mt->nref);
    for (size_t q = 0; !rc && q < in->t.n; q++)
        if (in->reason.v[q] == NM_R_COUNT && NM_VEC_PUSH(&t.usable, (uint32_t)q)) rc = NM_E_NOMEM;
    for (size_t r = 0; !rc && r < mt->nref; r++)
        if (mt->reg->entity[r] && NM_VEC_PUSH(&t.active, (uint32_t)r)) rc = NM_E_NOMEM;
    if (rc) nm_err_set(err, rc, "train: out of memory");
    size_t ntr = nm_model_training_rule_count(out);
    if (ntr > 256) rc = nm_err_set(err, NM_E_MODEL, "train: at most 256 training rules");
    if (!rc && o->labels) {
        rc = supervised(&t, out, err);
    } else if (!rc) {
        for (size_t i = 0; !rc && i < ntr; i++) {
            const nm_blocking_rule *one = nm_model_training_rule(out, i);
            rc = nm_index_build(&t.tix[i], &mt->rows, &one, 1, mt->threads, err);
        }
        nm_em_options eo = {0};
        if (!rc) rc = nm_train(out, source, &t, &eo, rep->em, err);
        rep->nruns = ntr ? ntr : 1;
    }
    for (size_t i = 0; i < 256; i++) nm_index_free(&t.tix[i]);
    nm_cands_free(&t.cands);
    nm_cmp_scratch_free(&t.cs);
    NM_VEC_FREE(&t.vec);
    NM_VEC_FREE(&t.usable);
    NM_VEC_FREE(&t.active);
    return rc;
}
