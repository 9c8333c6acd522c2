/* Training orchestration in Splink's order (Splink docs, "Estimating model
 * parameters"): lambda from deterministic rules and an assumed recall, u from
 * random pairs, then m by EM with one run per training blocking rule. The
 * caller supplies comparison vectors; this file only sequences the steps. */
#include <math.h>
#include "common/error_internal.h"
#include "model/model_internal.h"

int nm_model_estimate_lambda(nm_model *m, double rule_pairs, double recall, double total_pairs, nm_err *err) {
    if (!(rule_pairs >= 0 && recall > 0 && recall <= 1 && total_pairs > 0))
        return nm_err_set(err, NM_E_ARG, "lambda: need rule_pairs >= 0, recall in (0,1], total_pairs > 0");
    double lambda = rule_pairs / recall / total_pairs;
    if (!(lambda > 0 && lambda < 1))
        return nm_err_set(err, NM_E_ARG, "lambda: estimate %g is not in (0,1)", lambda);
    m->lambda = lambda;
    nm_model_refresh(m);
    return 0;
}

/* Ask the source for one pattern set. */
static int fill(nm_model *m, nm_pair_source source, void *ctx, int rule, nm_patterns **out, nm_err *err) {
    int rc = nm_patterns_create(m->n_comparisons, out);
    if (rc) return nm_err_set(err, rc, "training: cannot allocate patterns");
    rc = source(ctx, rule, *out, err);
    if (rc) {
        nm_patterns_free(*out);
        *out = NULL;
    }
    return rc;
}

int nm_train(nm_model *m, nm_pair_source source, void *ctx, const nm_em_options *opt, nm_em_report *reports,
             nm_err *err) {
    nm_patterns *rnd;
    NM_TRY(fill(m, source, ctx, -1, &rnd, err));
    int rc = nm_train_u_patterns(m, rnd, err);
    nm_patterns_free(rnd);
    if (rc) return rc;

    size_t nruns = m->n_training ? m->n_training : 1;
    nm_patterns *runs[256] = {0};   /* a model has at most 256 training rules */
    uint64_t fixed[256] = {0};
    for (size_t r = 0; r < nruns && !rc; r++) {
        rc = fill(m, source, ctx, m->n_training ? (int)r : -2, &runs[r], err);
        if (m->n_training) fixed[r] = m->training[r].comparisons;
    }
    if (!rc) rc = nm_train_em(m, (const nm_patterns *const *)runs, fixed, nruns, opt, reports, err);
    for (size_t r = 0; r < nruns; r++) nm_patterns_free(runs[r]);
    return rc;
}
