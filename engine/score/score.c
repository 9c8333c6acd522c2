/* Fellegi-Sunter scoring over comparison vectors, in Splink's convention
 * (match weight in bits: log2(lambda/(1-lambda)) + sum log2(m/u); Fellegi &
 * Sunter 1969, Splink "match weights" docs), with term-frequency terms,
 * deterministic rules, and explanations. */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include "common/error_internal.h"
#include "model/model_internal.h"
#include "output/numfmt.h"
#include "score/score.h"

void nm_weights_build(nm_weight_table *t, double lambda, const nm_comparison *comps, size_t ncomp) {
    memset(t, 0, sizeof *t);
    t->prior = log2(lambda / (1 - lambda));
    t->ncomp = (uint32_t)ncomp;
    for (size_t c = 0; c < ncomp; c++) {
        const nm_comparison *cmp = &comps[c];
        t->tf_min_u[c] = cmp->tf_minimum_u;
        for (int l = 0; l < cmp->n_levels; l++) {
            const nm_level *lv = &cmp->levels[l];
            size_t k = c * NM_MAX_LEVELS + (size_t)l;
            /* The null level is Bayes factor 1: weight exactly 0. */
            t->w[k] = l == cmp->null_level ? 0.0 : log2(lv->m / lv->u);
            t->log2u[k] = log2(lv->u);
            if (lv->tf) t->tf_comparisons |= 1ull << c;
        }
    }
}

const nm_weight_table *nm_model_weights(const nm_model *m) { return &m->weights; }

int nm_model_check_vector(const nm_model *m, const uint8_t *levels) {
    for (size_t c = 0; c < m->n_comparisons; c++)
        if (levels[c] >= m->comparisons[c].n_levels) return NM_E_ARG;
    return 0;
}

double nm_model_prior_weight(const nm_model *m) { return m->weights.prior; }

double nm_model_level_weight(const nm_model *m, size_t comparison, size_t level) {
    if (comparison >= m->n_comparisons || level >= m->comparisons[comparison].n_levels) return 0;
    return m->weights.w[comparison * NM_MAX_LEVELS + level];
}

/* Splink's TF adjustment: u is replaced by the value's frequency (floored),
 * i.e. the extra weight is tf_weight * log2(u / max(tf, tf_minimum_u)). */
static inline double tf_term(const nm_model *m, size_t c, unsigned level, double tf) {
    const nm_level *lv = &m->comparisons[c].levels[level];
    if (!lv->tf || !(tf > 0)) return 0;
    double uf = tf > m->weights.tf_min_u[c] ? tf : m->weights.tf_min_u[c];
    return lv->tf_weight * (m->weights.log2u[c * NM_MAX_LEVELS + level] - log2(uf));
}

double nm_model_tf_weight(const nm_model *m, size_t comparison, size_t level, double tf) {
    if (comparison >= m->n_comparisons || level >= m->comparisons[comparison].n_levels) return 0;
    return tf_term(m, comparison, (unsigned)level, tf);
}

/* Every path sums prior + (w + tf_term) per comparison in model order, with
 * w + tf_term computed as one double: nm_score, nm_score_batch (tf_term 0)
 * and nm_score_batch_tf (terms folded into a per-query table) therefore give
 * bit-identical weights for the same pair. */
double nm_score(const nm_model *m, const uint8_t *levels, const double *tf, double *tf_part) {
    const nm_weight_table *t = &m->weights;
    if (!tf || !t->tf_comparisons) {
        if (tf_part) *tf_part = 0;
        return nm_weights_sum(t, levels);
    }
    double s = t->prior, tfs = 0;
    for (size_t c = 0; c < t->ncomp; c++) {
        double x = t->w[c * NM_MAX_LEVELS + levels[c]];
        if (t->tf_comparisons >> c & 1) {
            double tt = tf_term(m, c, levels[c], tf[c]);
            x += tt;
            tfs += tt;
        }
        s += x;
    }
    if (tf_part) *tf_part = tfs;
    return s;
}

static void score_table(const nm_weight_table *t, const uint8_t *vectors, size_t n, double *out) {
    const size_t nc = t->ncomp;
    size_t i = 0;
    /* Four pairs at a time: four independent add chains hide the latency of
     * the floating-point adds; each pair is still summed in comparison order. */
    for (; i + 4 <= n; i += 4) {
        const uint8_t *v = vectors + i * nc;
        double s0 = t->prior, s1 = t->prior, s2 = t->prior, s3 = t->prior;
        for (size_t c = 0; c < nc; c++) {
            const double *w = t->w + c * NM_MAX_LEVELS;
            s0 += w[v[c]];
            s1 += w[v[nc + c]];
            s2 += w[v[2 * nc + c]];
            s3 += w[v[3 * nc + c]];
        }
        out[i] = s0;
        out[i + 1] = s1;
        out[i + 2] = s2;
        out[i + 3] = s3;
    }
    for (; i < n; i++) out[i] = nm_weights_sum(t, vectors + i * nc);
}

void nm_score_batch(const nm_model *m, const uint8_t *vectors, size_t n, double *out) {
    score_table(&m->weights, vectors, n, out);
}

void nm_weights_with_tf(const nm_model *m, const double *tf, nm_weight_table *out) {
    *out = m->weights;
    if (!tf) return;
    for (size_t c = 0; c < m->n_comparisons; c++) {
        if (!(out->tf_comparisons >> c & 1)) continue;
        for (unsigned l = 0; l < m->comparisons[c].n_levels; l++) out->w[c * NM_MAX_LEVELS + l] += tf_term(m, c, l, tf[c]);
    }
}

void nm_score_batch_tf(const nm_model *m, const uint8_t *vectors, size_t n, const double *tf, double *out) {
    nm_weight_table t;
    nm_weights_with_tf(m, tf, &t);
    score_table(&t, vectors, n, out);
}

double nm_weight_to_probability(double w) {
    /* 2^w/(1+2^w) = 1/(1+2^-w); the second form for w < 0 avoids inf/inf. */
    if (w >= 0) return 1 / (1 + exp2(-w));
    double e = exp2(w);
    return e / (1 + e);
}

int nm_rule_holds(const nm_rule *r, const uint8_t *levels) {
    for (int k = 0; k < r->n_conditions; k++)
        if (!(r->conditions[k].levels >> levels[r->conditions[k].comparison] & 1)) return 0;
    return 1;
}

int nm_model_first_rule(const nm_model *m, const uint8_t *levels) {
    for (size_t i = 0; i < m->n_rules; i++)
        if (nm_rule_holds(&m->rules[i], levels)) return (int)i;
    return -1;
}

int nm_model_first_guard(const nm_model *m, const uint8_t *levels) {
    for (size_t i = 0; i < m->thresholds.n_guards; i++)
        if (nm_rule_holds(&m->thresholds.guards[i], levels)) return (int)i;
    return -1;
}

/* One decimal with explicit sign; a value that rounds to zero prints "+0.0"
 * (never "-0.0"), so the text does not depend on the sign of a tiny weight. */
static void fmt_weight(double w, char buf[NM_FMT_CAP]) {
    double r = round(w * 10) / 10;
    if (r == 0) r = 0;
    nm_fmt_fixed(buf, r, 1, 1);   /* "%+.1f" */
}

/* Append s[0..n) at out + *len as snprintf would: bytes past cap - 1 are
 * dropped, the full length is counted. */
static void put_part(char *out, size_t cap, size_t *len, const char *s, size_t n) {
    if (*len + 1 < cap) memcpy(out + *len, s, NM_MIN(n, cap - 1 - *len));
    *len += n;
}

int nm_explain(const nm_model *m, const uint8_t *levels, const double *tf, char *out, size_t cap) {
    if (!out && cap) return NM_E_ARG;
    size_t len = 0;
    for (size_t c = 0; c < m->n_comparisons; c++) {
        const nm_comparison *cmp = &m->comparisons[c];
        unsigned l = levels[c];
        if (l >= cmp->n_levels) return NM_E_ARG;
        char w[NM_FMT_CAP];
        double tfw = tf ? tf_term(m, c, l, tf[c]) : 0;
        int has_tf = tf && cmp->levels[l].tf && tf[c] > 0;
        if (l == cmp->null_level) strcpy(w, "0");
        else fmt_weight(m->weights.w[c * NM_MAX_LEVELS + l] + tfw, w);
        /* "%s%s=%s:%s%s" of ";" (after the first), name, label, weight, "(tf)" */
        if (c) put_part(out, cap, &len, ";", 1);
        put_part(out, cap, &len, cmp->name, strlen(cmp->name));
        put_part(out, cap, &len, "=", 1);
        put_part(out, cap, &len, cmp->levels[l].label, strlen(cmp->levels[l].label));
        put_part(out, cap, &len, ":", 1);
        put_part(out, cap, &len, w, strlen(w));
        if (has_tf) put_part(out, cap, &len, "(tf)", 4);
    }
    if (len < cap) out[len] = 0;
    if (cap && len >= cap) out[cap - 1] = 0;
    return (int)len;
}

size_t nm_waterfall(const nm_model *m, const uint8_t *levels, const double *tf, nm_waterfall_step *steps) {
    double cum = m->weights.prior;
    steps[0] = (nm_waterfall_step){"prior", "lambda", cum, 0, cum, nm_weight_to_probability(cum)};
    for (size_t c = 0; c < m->n_comparisons; c++) {
        unsigned l = levels[c];
        double w = m->weights.w[c * NM_MAX_LEVELS + l];
        double tfw = tf ? tf_term(m, c, l, tf[c]) : 0;
        cum += w + tfw;
        steps[c + 1] = (nm_waterfall_step){m->comparisons[c].name, m->comparisons[c].levels[l].label, w, tfw, cum,
                                           nm_weight_to_probability(cum)};
    }
    return m->n_comparisons + 1;
}
