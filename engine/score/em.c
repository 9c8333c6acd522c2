/* Training the model's m and u probabilities.
 *
 *  - u from random pairs (Splink's estimate_u_using_random_sampling): among
 *    random pairs nearly all are non-matches, so level frequencies are u.
 *  - m by expectation-maximisation on pattern counts (Fellegi & Sunter 1969;
 *    Winkler 1988; Splink's EM, one run per training blocking rule with the
 *    rule's comparisons held out, final m = median over runs). Working on
 *    distinct comparison vectors with counts makes an iteration cost
 *    O(patterns x comparisons) whatever the number of pairs.
 *  - supervised m/u from labelled pairs.
 * Everything is sequential in a fixed order, so results are deterministic. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "common/error_internal.h"
#include "common/hash.h"
#include "model/model_internal.h"

/* ------------------------------------------------------------- patterns */

struct nm_patterns {
    size_t ncomp;
    size_t n, cap;          /* distinct vectors; slots = 2 * cap (power of two) */
    uint8_t *vecs;          /* n * ncomp bytes, in first-seen order */
    uint64_t *counts;
    uint32_t *slots;        /* index + 1, 0 = empty */
    size_t nslots;
    uint64_t total;
};

int nm_patterns_create(size_t ncomp, nm_patterns **out) {
    *out = NULL;
    if (ncomp == 0 || ncomp > NM_MAX_COMPARISONS) return NM_E_ARG;
    nm_patterns *p = calloc(1, sizeof *p);
    if (!p) return NM_E_NOMEM;
    p->ncomp = ncomp;
    *out = p;
    return 0;
}

static int patterns_grow(nm_patterns *p) {
    size_t cap = p->cap ? p->cap * 2 : 256;
    uint8_t *v = realloc(p->vecs, cap * p->ncomp);
    if (!v) return NM_E_NOMEM;
    p->vecs = v;
    uint64_t *c = realloc(p->counts, cap * sizeof *c);
    if (!c) return NM_E_NOMEM;
    p->counts = c;
    uint32_t *s = calloc(cap * 2, sizeof *s);
    if (!s) return NM_E_NOMEM;
    free(p->slots);
    p->slots = s;
    p->nslots = cap * 2;
    p->cap = cap;
    for (size_t i = 0; i < p->n; i++) {
        size_t h = (size_t)nm_hash64(p->vecs + i * p->ncomp, p->ncomp, 0) & (p->nslots - 1);
        while (s[h]) h = (h + 1) & (p->nslots - 1);
        s[h] = (uint32_t)(i + 1);
    }
    return 0;
}

int nm_patterns_add(nm_patterns *p, const uint8_t *levels, uint64_t count) {
    if (p->n == p->cap) NM_TRY(patterns_grow(p));
    size_t h = (size_t)nm_hash64(levels, p->ncomp, 0) & (p->nslots - 1);
    for (;;) {
        uint32_t s = p->slots[h];
        if (!s) break;
        if (!memcmp(p->vecs + (size_t)(s - 1) * p->ncomp, levels, p->ncomp)) {
            p->counts[s - 1] += count;
            p->total += count;
            return 0;
        }
        h = (h + 1) & (p->nslots - 1);
    }
    memcpy(p->vecs + p->n * p->ncomp, levels, p->ncomp);
    p->counts[p->n] = count;
    p->slots[h] = (uint32_t)(++p->n);
    p->total += count;
    return 0;
}

size_t nm_patterns_count(const nm_patterns *p) { return p->n; }
uint64_t nm_patterns_total(const nm_patterns *p) { return p->total; }

void nm_patterns_free(nm_patterns *p) {
    if (!p) return;
    free(p->vecs);
    free(p->counts);
    free(p->slots);
    free(p);
}

/* ---------------------------------------------- frequencies with a floor */

/* counts[c][l] over the vectors, each weighted by weight[i] (1 when NULL),
 * optionally only those with label == want; NM_E_ARG on an out-of-range level. */
static int level_counts(const nm_model *m, const uint8_t *vectors, size_t n, const uint64_t *weight,
                        const uint8_t *label, int want, double (*counts)[NM_MAX_LEVELS], size_t *used) {
    const size_t nc = m->n_comparisons;
    memset(counts, 0, nc * sizeof *counts);
    *used = 0;
    for (size_t i = 0; i < n; i++) {
        if (label && (label[i] != 0) != want) continue;
        const uint8_t *v = vectors + i * nc;
        if (nm_model_check_vector(m, v)) return NM_E_ARG;
        double w = weight ? (double)weight[i] : 1;
        for (size_t c = 0; c < nc; c++) counts[c][v[c]] += w;
        (*used)++;
    }
    return 0;
}

/* Turn counts into probabilities over the non-null levels. A level never
 * seen gets 0.5 / (non-null pairs): half an observation, so the estimate
 * stays below anything the sample could have shown, and never 0. */
static void set_from_counts(nm_model *m, double (*counts)[NM_MAX_LEVELS], int set_m) {
    for (size_t c = 0; c < m->n_comparisons; c++) {
        nm_comparison *cmp = &m->comparisons[c];
        double nn = 0;
        for (int l = 0; l < cmp->n_levels; l++)
            if (l != cmp->null_level) nn += counts[c][l];
        if (nn == 0) continue;   /* all null: nothing learned */
        for (int l = 0; l < cmp->n_levels; l++) {
            if (l == cmp->null_level) continue;
            double p = counts[c][l] > 0 ? counts[c][l] / nn : 0.5 / nn;
            if (set_m) cmp->levels[l].m = p;
            else cmp->levels[l].u = p;
        }
    }
}

int nm_train_u_random(nm_model *m, const uint8_t *vectors, size_t n, nm_err *err) {
    double counts[NM_MAX_COMPARISONS][NM_MAX_LEVELS];
    size_t used;
    if (level_counts(m, vectors, n, NULL, NULL, 0, counts, &used))
        return nm_err_set(err, NM_E_ARG, "u training: a comparison vector has a level out of range");
    set_from_counts(m, counts, 0);
    nm_model_refresh(m);
    return 0;
}

int nm_train_u_patterns(nm_model *m, const nm_patterns *p, nm_err *err) {
    double counts[NM_MAX_COMPARISONS][NM_MAX_LEVELS];
    size_t used;
    if (p->ncomp != m->n_comparisons)
        return nm_err_set(err, NM_E_ARG, "u training: pattern width %zu, model has %zu comparisons", p->ncomp,
                          m->n_comparisons);
    if (level_counts(m, p->vecs, p->n, p->counts, NULL, 0, counts, &used))
        return nm_err_set(err, NM_E_ARG, "u training: a comparison vector has a level out of range");
    set_from_counts(m, counts, 0);
    nm_model_refresh(m);
    return 0;
}

int nm_train_supervised(nm_model *m, const uint8_t *vectors, const uint8_t *is_match, size_t n, int set_lambda,
                        nm_err *err) {
    double counts[NM_MAX_COMPARISONS][NM_MAX_LEVELS];
    size_t nm_, nu;
    if (level_counts(m, vectors, n, NULL, is_match, 1, counts, &nm_))
        return nm_err_set(err, NM_E_ARG, "supervised training: a comparison vector has a level out of range");
    if (nm_ == 0 || nm_ == n) return nm_err_set(err, NM_E_ARG, "supervised training needs both matches and non-matches");
    set_from_counts(m, counts, 1);
    level_counts(m, vectors, n, NULL, is_match, 0, counts, &nu);
    set_from_counts(m, counts, 0);
    if (set_lambda) m->lambda = (double)nm_ / (double)n;
    nm_model_refresh(m);
    return 0;
}

/* ------------------------------------------------------------------- EM */

typedef struct em_params {
    double lambda;
    double m[NM_MAX_COMPARISONS][NM_MAX_LEVELS];
    double u[NM_MAX_COMPARISONS][NM_MAX_LEVELS];
} em_params;

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* One EM run on pattern counts with the comparisons in `fixed` left out. */
static int em_run(const nm_model *m, const nm_patterns *pat, uint64_t fixed, const nm_em_options *o, em_params *P,
                  nm_em_report *rep) {
    const size_t nc = m->n_comparisons, np = pat->n;
    double *post = malloc((np ? np : 1) * sizeof *post);
    if (!post) return NM_E_NOMEM;
    double lm[NM_MAX_COMPARISONS][NM_MAX_LEVELS], lu[NM_MAX_COMPARISONS][NM_MAX_LEVELS];
    double am[NM_MAX_COMPARISONS][NM_MAX_LEVELS], au[NM_MAX_COMPARISONS][NM_MAX_LEVELS];
    int it = 0, converged = 0;
    while (it < o->max_iterations && !converged) {
        it++;
        /* E step: posterior match probability of each pattern, from the
         * log-odds (stable for many comparisons with small u). */
        for (size_t c = 0; c < nc; c++)
            for (int l = 0; l < m->comparisons[c].n_levels; l++) {
                lm[c][l] = log(P->m[c][l]);
                lu[c][l] = log(P->u[c][l]);
            }
        double prior = log(P->lambda) - log1p(-P->lambda);
        for (size_t k = 0; k < np; k++) {
            const uint8_t *v = pat->vecs + k * nc;
            double z = prior;
            for (size_t c = 0; c < nc; c++) {
                if (fixed >> c & 1 || v[c] == m->comparisons[c].null_level) continue;
                z += lm[c][v[c]] - lu[c][v[c]];
            }
            post[k] = z >= 0 ? 1 / (1 + exp(-z)) : exp(z) / (1 + exp(z));
        }
        /* M step. */
        memset(am, 0, sizeof am);
        memset(au, 0, sizeof au);
        double sm = 0, tot = 0;
        for (size_t k = 0; k < np; k++) {
            const uint8_t *v = pat->vecs + k * nc;
            double cnt = (double)pat->counts[k], pm = cnt * post[k], pu = cnt - pm;
            sm += pm;
            tot += cnt;
            for (size_t c = 0; c < nc; c++) {
                am[c][v[c]] += pm;
                au[c][v[c]] += pu;
            }
        }
        double delta = 0;
        double lam = tot > 0 ? sm / tot : P->lambda;
        /* lambda may legitimately be ~1e-7 (one registry match in millions):
         * only keep it strictly inside (0,1), independent of the m/u floor. */
        lam = NM_MIN(NM_MAX(lam, 1e-15), 1 - 1e-15);
        delta = fabs(lam - P->lambda);
        P->lambda = lam;
        for (size_t c = 0; c < nc; c++) {
            if (fixed >> c & 1) continue;
            const nm_comparison *cmp = &m->comparisons[c];
            double tm = 0, tu = 0;
            for (int l = 0; l < cmp->n_levels; l++)
                if (l != cmp->null_level) tm += am[c][l], tu += au[c][l];
            for (int l = 0; l < cmp->n_levels; l++) {
                if (l == cmp->null_level) continue;
                if (tm > 0) {
                    double x = NM_MAX(am[c][l] / tm, o->floor);
                    delta = NM_MAX(delta, fabs(x - P->m[c][l]));
                    P->m[c][l] = x;
                }
                if (o->estimate_u && tu > 0) {
                    double x = NM_MAX(au[c][l] / tu, o->floor);
                    delta = NM_MAX(delta, fabs(x - P->u[c][l]));
                    P->u[c][l] = x;
                }
            }
        }
        converged = delta < o->tolerance;
    }
    free(post);
    if (rep) {
        rep->iterations = it;
        rep->converged = converged;
        rep->lambda = P->lambda;
    }
    return 0;
}

int nm_train_em(nm_model *m, const nm_patterns *const *runs, const uint64_t *fixed, size_t nruns,
                const nm_em_options *opt, nm_em_report *reports, nm_err *err) {
    nm_em_options o = opt ? *opt : (nm_em_options){0};
    if (o.max_iterations <= 0) o.max_iterations = 100;
    if (!(o.tolerance > 0)) o.tolerance = 1e-6;
    if (!(o.floor > 0)) o.floor = 1e-6;
    const size_t nc = m->n_comparisons;
    if (nruns == 0) return nm_err_set(err, NM_E_ARG, "EM: no training run");
    for (size_t r = 0; r < nruns; r++) {
        if (!runs[r] || runs[r]->ncomp != nc)
            return nm_err_set(err, NM_E_ARG, "EM run %zu: pattern width differs from the model's %zu comparisons", r, nc);
        for (size_t k = 0; k < runs[r]->n; k++)
            if (nm_model_check_vector(m, runs[r]->vecs + k * nc))
                return nm_err_set(err, NM_E_ARG, "EM run %zu: a pattern has a level out of range", r);
    }
    em_params *res = malloc(nruns * sizeof *res);
    double *vals = malloc(nruns * sizeof *vals);
    if (!res || !vals) {
        free(res);
        free(vals);
        return nm_err_set(err, NM_E_NOMEM, "EM: out of memory");
    }
    int rc = 0;
    for (size_t r = 0; r < nruns && !rc; r++) {
        em_params *P = &res[r];
        P->lambda = m->lambda;
        for (size_t c = 0; c < nc; c++)
            for (int l = 0; l < m->comparisons[c].n_levels; l++) {
                P->m[c][l] = m->comparisons[c].levels[l].m;
                P->u[c][l] = m->comparisons[c].levels[l].u;
            }
        rc = em_run(m, runs[r], fixed ? fixed[r] : 0, &o, P, reports ? &reports[r] : NULL);
    }
    /* Combine: median over the runs where the comparison was estimated. */
    for (size_t c = 0; c < nc && !rc; c++) {
        nm_comparison *cmp = &m->comparisons[c];
        for (int l = 0; l < cmp->n_levels; l++) {
            if (l == cmp->null_level) continue;
            for (int which = 0; which < 1 + !!o.estimate_u; which++) {
                size_t k = 0;
                for (size_t r = 0; r < nruns; r++)
                    if (!(fixed && fixed[r] >> c & 1)) vals[k++] = which ? res[r].u[c][l] : res[r].m[c][l];
                if (!k) continue;
                qsort(vals, k, sizeof *vals, cmp_double);
                double med = k % 2 ? vals[k / 2] : (vals[k / 2 - 1] + vals[k / 2]) / 2;
                if (which) cmp->levels[l].u = med;
                else cmp->levels[l].m = med;
            }
        }
    }
    if (!rc && o.set_lambda) m->lambda = res[0].lambda;
    free(res);
    free(vals);
    if (rc) return nm_err_set(err, rc, "EM: out of memory");
    nm_model_refresh(m);
    return 0;
}
