/* The compare stage (compare_pairs.h). */
#include "compare/compare_pairs.h"
#include "compare/tokset.h"
#include <stdlib.h>
#include <string.h>
#include "common/error_internal.h"
#include "npimatch/compare.h"
#include "npimatch/normalize.h"

#define QMAX 4
#define NM_MAXU(a, b) ((a) > (b) ? (a) : (b))
#define NM_MINU(a, b) ((a) < (b) ? (a) : (b))   /* query values compared per field (inputs have one or two) */

typedef struct tokset tokset;
static uint8_t level_of_tuple(const nm_comparison *cmp, const uint8_t *jwpos, const nm_vview *a, const nm_vview *b,
                              const uint8_t *jwl, const tokset *qts);

void nm_cmp_plan_make(const nm_model *m, nm_cmp_plan *p) {
    memset(p, 0, sizeof *p);
    p->ncomp = nm_model_comparison_count(m);
    for (size_t c = 0; c < p->ncomp; c++) {
        const nm_comparison *cmp = nm_model_comparison(m, c);
        p->c[c].best = cmp->null_level == 0 ? 1 : 0;
        for (int s = 0; s < cmp->n_fields && s < 2; s++) {
            uint8_t *thr = p->c[c].thr[s];
            int nt = 0;
            for (int l = 0; l < cmp->n_levels; l++) {
                const nm_level *lv = &cmp->levels[l];
                if (lv->predicate != NM_PRED_JW || !(lv->field == NM_ALL_FIELDS || lv->field == s)) continue;
                int dup = 0;
                for (int k = 0; k < nt; k++) dup |= thr[k] == lv->param;
                if (!dup && nt < NM_MAX_LEVELS) thr[nt++] = (uint8_t)lv->param;
            }
            for (int i = 1; i < nt; i++)   /* insertion sort, descending */
                for (int k = i; k > 0 && thr[k] > thr[k - 1]; k--) {
                    uint8_t x = thr[k];
                    thr[k] = thr[k - 1];
                    thr[k - 1] = x;
                }
            p->c[c].nthr[s] = (uint8_t)nt;
        }
        for (int l = 0; l < cmp->n_levels; l++) {
            const nm_level *lv = &cmp->levels[l];
            if (lv->predicate != NM_PRED_JW) continue;
            int s = lv->field == NM_ALL_FIELDS ? 0 : lv->field;
            for (int k = 0; k < p->c[c].nthr[s]; k++)
                if (p->c[c].thr[s][k] == lv->param) p->c[c].jwpos[l] = (uint8_t)k;
        }
        nm_vview a[2] = {{0}}, b[2] = {{0}};
        uint8_t jwl[2] = {255, 255};
        p->c[c].empty = level_of_tuple(cmp, p->c[c].jwpos, a, b, jwl, NULL);
        nm_comparison_token_slots(cmp, p->c[c].tj);
    }
}

void nm_cmp_scratch_free(nm_cmp_scratch *s) {
    nm_buf_free(&s->packed);
    NM_VEC_FREE(&s->offs);
    NM_VEC_FREE(&s->jw[0]);
    NM_VEC_FREE(&s->jw[1]);
    for (size_t f = 0; f < NM_MAX_FIELDS; f++) NM_VEC_FREE(&s->fv[f]);
    NM_VEC_FREE(&s->fst);
}

/* One side of a value tuple: a value of one field, or none (len 0). */
typedef nm_vview val;

static inline val get_val(const nm_rtable *t, size_t f, uint32_t v) {
    const nm_rcol *c = &t->col[f];
    val x;
    x.len = c->voff.v[v + 1] - c->voff.v[v];
    x.p = c->bytes.data + c->voff.v[v];
    x.codes = c->needs ? &c->codes.v[v] : NULL;
    return x;
}

static inline uint32_t ymd_of(const val *v) {
    if (v->len != 8) return 0;
    uint32_t x = 0;
    for (int i = 0; i < 8; i++) x = x * 10 + (uint32_t)(v->p[i] - '0');
    return x;
}

static int nick_match(const val *a, const val *b) {
    if (a->codes && b->codes && nm_vcodes_nick(a->codes, 0) && nm_vcodes_nick(b->codes, 0)) {
        for (int i = 0; i < NM_NICK_MAX && nm_vcodes_nick(a->codes, i); i++)
            for (int j = 0; j < NM_NICK_MAX && nm_vcodes_nick(b->codes, j); j++)
                if (nm_vcodes_nick(a->codes, i) == nm_vcodes_nick(b->codes, j)) return 1;
        /* Only a name in more groups than we keep needs the full table. */
        if (!nm_vcodes_nick(a->codes, NM_NICK_MAX - 1) && !nm_vcodes_nick(b->codes, NM_NICK_MAX - 1)) return 0;
    } else if (a->codes && b->codes) {
        return 0;   /* a name in no group is only equivalent to itself (exact, tested before) */
    }
    return nm_nickname_match(nm_nicknames_default(), a->p, a->len, b->p, b->len);
}

/* n bytes equal, for n >= 1. Most values (names, codes, ZIPs, phones) are
 * at most 16 bytes: two overlapping loads per side cover them without a
 * call or a loop, and never read outside the n bytes. */
static inline int eq_bytes(const char *a, const char *b, uint32_t n) {
    if (n >= 8) {
        if (n > 16) return !memcmp(a, b, n);
        uint64_t x, y, u, v;
        memcpy(&x, a, 8), memcpy(&y, b, 8), memcpy(&u, a + n - 8, 8), memcpy(&v, b + n - 8, 8);
        return !((x ^ y) | (u ^ v));
    }
    if (n >= 4) {
        uint32_t x, y, u, v;
        memcpy(&x, a, 4), memcpy(&y, b, 4), memcpy(&u, a + n - 4, 4), memcpy(&v, b + n - 4, 4);
        return !((x ^ y) | (u ^ v));
    }
    return a[0] == b[0] && a[n / 2] == b[n / 2] && a[n - 1] == b[n - 1];   /* n = 1..3: every byte */
}

/* n bytes from src to dst: names and codes are short, and a library call
 * per value costs more than the copy. Overlapping loads and stores, as in
 * eq_bytes, never touch a byte outside the n. */
static inline void copy_bytes(char *dst, const char *src, uint32_t n) {
    if (n >= 8) {
        if (n > 16) {
            memcpy(dst, src, n);
            return;
        }
        uint64_t x, y;
        memcpy(&x, src, 8), memcpy(&y, src + n - 8, 8);
        memcpy(dst, &x, 8), memcpy(dst + n - 8, &y, 8);
    } else if (n >= 4) {
        uint32_t x, y;
        memcpy(&x, src, 4), memcpy(&y, src + n - 4, 4);
        memcpy(dst, &x, 4), memcpy(dst + n - 4, &y, 4);
    } else if (n) {
        dst[0] = src[0], dst[n / 2] = src[n / 2], dst[n - 1] = src[n - 1];
    }
}

static inline int same(const val *a, const val *b) {
    if (a->len != b->len || !a->len) return a->len == b->len;
    return eq_bytes(a->p, b->p, a->len);
}

/* Token-set Jaccard >= pct/100, decided in integers: distinct
 * space-separated tokens, |A n B| * 100 >= pct * |A u B| (tokset.h). The
 * query side is split once per query value (not once per pair); only its
 * first 255 bytes count (as for a registry value, whose row store length
 * byte caps it). */
struct tokset {
    const char *p;
    int n;
    int filtered;    /* 1: the registry values of this field carry token filters */
    uint64_t mask;   /* the query value's token filter */
    tok t[TOK_MAX];
};

static void tokset_of(const val *a, tokset *ts, int filtered) {
    ts->p = a->p;
    ts->n = split_tokens(a->p, NM_MINU(a->len, 255u), ts->t);
    ts->filtered = filtered;
    ts->mask = tok_mask(ts->t, ts->n);
}

/* The registry value's token filter sits after its bytes and codes (rows.h). */
static inline int filter_rejects(const tokset *qa, const val *b, int pct) {
    const uint8_t *f = (const uint8_t *)b->p + b->len + (b->codes ? sizeof(nm_vcodes) : 0);
    uint64_t mb;
    memcpy(&mb, f, 8);   /* little-endian, as the x86-64 targets */
    int na = qa->n, nb = f[8], ub = tok_shared_max(qa->mask, na, mb, nb);
    if (!na && !nb) return 1;   /* no tokens on either side: the level never holds */
    /* inter * (100 + pct) >= pct * (na + nb) grows with inter: if even the
     * most tokens the filters allow in common fall short, no split can pass. */
    return ub * (100 + pct) < pct * (na + nb);
}

static int token_jaccard_at_least(const tokset *qa, const val *b, int pct) {
    if (qa->filtered && filter_rejects(qa, b, pct)) return 0;
    tok bt[TOK_MAX];
    int na = qa->n, nb = split_tokens(b->p, b->len, bt), inter = 0;
    if (!na && !nb) return 0;
    for (int i = 0; i < na; i++)
        for (int j = 0; j < nb; j++)
            if (tok_eq(qa->p, &qa->t[i], b->p, &bt[j])) {
                inter++;
                break;
            }
    return inter * 100 >= pct * (na + nb - inter);
}

/* Edit distance <= 1 in one pass (the common "one typo" level of NPIs,
 * phones, licences): equal, one substitution, one insertion/deletion, or
 * (OSA) one adjacent transposition. Same answer as the DP with max 1. */
static int within_one_edit(const val *a, const val *b, int transpose) {
    const val *s = a->len <= b->len ? a : b, *l = a->len <= b->len ? b : a;
    uint32_t ns = s->len, nl = l->len, i = 0;
    if (nl - ns > 1) return 0;
    while (i < ns && s->p[i] == l->p[i]) i++;
    if (i == ns) return 1;   /* equal, or l has one extra character at the end */
    if (ns == nl) {
        if (!memcmp(s->p + i + 1, l->p + i + 1, ns - i - 1)) return 1;   /* substitution */
        return transpose && i + 1 < ns && s->p[i] == l->p[i + 1] && s->p[i + 1] == l->p[i] &&
               !memcmp(s->p + i + 2, l->p + i + 2, ns - i - 2);
    }
    return !memcmp(s->p + i, l->p + i + 1, ns - i);   /* one character inserted in l */
}

static int codes_equal(const char *x, const char *y, size_t n) { return x[0] && !memcmp(x, y, n); }

/* Does predicate lv hold on one field's values a, b? jwl: the JW level
 * index of the pair from the batch kernel (nthr when no threshold reached). */
static inline __attribute__((always_inline)) int holds(const nm_level *lv, const val *a, const val *b, uint8_t jwl, uint8_t jwpos, const tokset *qts) {
    if (!a->len || !b->len) return 0;
    switch (lv->predicate) {
    case NM_PRED_EXACT: return same(a, b);
    case NM_PRED_NICKNAME: return same(a, b) || nick_match(a, b);
    case NM_PRED_JW: return jwl <= jwpos;
    case NM_PRED_JARO: {
        nm_jaro_parts jp;
        nm_jaro_parts_of(a->p, a->len, b->p, b->len, &jp);
        return nm_jaro_at_least(&jp, (unsigned)lv->param);
    }
    case NM_PRED_LEVENSHTEIN:
        if (lv->param == 1) return within_one_edit(a, b, 0);
        return nm_levenshtein(a->p, a->len, b->p, b->len, lv->param) <= lv->param;
    case NM_PRED_OSA:
        if (lv->param == 1) return within_one_edit(a, b, 1);
        return nm_osa_distance(a->p, a->len, b->p, b->len, lv->param) <= lv->param;
    case NM_PRED_SOUNDEX: return a->codes && b->codes && codes_equal(a->codes->soundex, b->codes->soundex, 4);
    case NM_PRED_NYSIIS: return a->codes && b->codes && codes_equal(a->codes->nysiis, b->codes->nysiis, 6);
    case NM_PRED_DMETAPHONE: {
        if (!a->codes || !b->codes) return 0;
        const char *x[2] = {a->codes->dm1, a->codes->dm2}, *y[2] = {b->codes->dm1, b->codes->dm2};
        for (int i = 0; i < 2; i++)
            for (int j = 0; j < 2; j++)
                if (codes_equal(x[i], y[j], 4)) return 1;
        return 0;
    }
    case NM_PRED_DATE_TRANSPOSED: return nm_date_transposed(ymd_of(a), ymd_of(b));
    case NM_PRED_DATE_ONE_DIGIT_OFF: return nm_date_one_digit_off(ymd_of(a), ymd_of(b));
    case NM_PRED_DATE_SAME_YEAR_MONTH: return nm_date_same_year_month(ymd_of(a), ymd_of(b));
    case NM_PRED_DATE_WITHIN_DAYS: {
        int32_t d = nm_date_days_apart(ymd_of(a), ymd_of(b));
        return d >= 0 && d <= lv->param;
    }
    case NM_PRED_ZIP5: return a->len >= 5 && b->len >= 5 && !memcmp(a->p, b->p, 5);
    case NM_PRED_ZIP3: return a->len >= 3 && b->len >= 3 && !memcmp(a->p, b->p, 3);
    case NM_PRED_DISTANCE_KM: return 0;   /* needs a ZIP centroid table; none is loaded */
    case NM_PRED_TOKEN_JACCARD:
        return token_jaccard_at_least(qts, b, lv->param);
    case NM_PRED_INITIAL: return a->p[0] == b->p[0] && (a->len == 1 || b->len == 1);
    case NM_PRED_ELSE: return 1;
    default: return 0;
    }
}

/* swapped_jw>=P: first and last name typed in each other's place, one of the
 * two crossed pairs exact and the other Jaro-Winkler >= P% (a swap plus a
 * typo, a nickname-length variant or a hyphenated surname part). Scalar JW
 * on purpose: reached only for candidates no earlier level took, and the
 * memcmp on the exact side rejects almost all of them first. */
static int swapped_close(const val *a0, const val *a1, const val *b0, const val *b1, unsigned pct) {
    if (!a0->len || !a1->len || !b0->len || !b1->len) return 0;
    nm_jaro_parts jp;
    if (same(a0, b1)) {
        nm_jaro_parts_of(a1->p, a1->len, b0->p, b0->len, &jp);
        if (nm_jw_at_least(&jp, pct)) return 1;
    }
    if (same(a1, b0)) {
        nm_jaro_parts_of(a0->p, a0->len, b1->p, b1->len, &jp);
        if (nm_jw_at_least(&jp, pct)) return 1;
    }
    return 0;
}

/* The level of one value tuple of a two-field comparison (a[k], b[k] for
 * its fields; comparisons have one or two, model.h), or the null level
 * when the pair cannot be compared. A null level covers the slots its
 * `field` names; any other level holds when its predicate holds on every
 * slot it names. */
static inline __attribute__((always_inline)) uint8_t level_of(const nm_comparison *cmp, const uint8_t *jwpos,
                                                              const val *a, const val *b, const uint8_t *jwl,
                                                              const tokset *qts) {
    int both0 = a[0].len && b[0].len, both1 = a[1].len && b[1].len;
    for (int l = 0; l < cmp->n_levels; l++) {
        const nm_level *lv = &cmp->levels[l];
        int in0 = lv->field == NM_ALL_FIELDS || lv->field == 0, in1 = lv->field == NM_ALL_FIELDS || lv->field == 1;
        switch (lv->predicate) {
        case NM_PRED_NULL:
            if ((!in0 || !both0) && (!in1 || !both1)) return (uint8_t)l;
            continue;
        case NM_PRED_ELSE: return (uint8_t)l;
        case NM_PRED_SWAPPED_JW:
            if (swapped_close(&a[0], &a[1], &b[0], &b[1], (unsigned)lv->param)) return (uint8_t)l;
            continue;
        case NM_PRED_SWAPPED:
            if (a[0].len && a[1].len && a[0].len == b[1].len && a[1].len == b[0].len &&
                eq_bytes(a[0].p, b[1].p, a[0].len) && eq_bytes(a[1].p, b[0].p, a[1].len))
                return (uint8_t)l;
            continue;
        default:
            if ((!in0 || holds(lv, &a[0], &b[0], jwl[0], jwpos[l], qts)) &&
                (!in1 || holds(lv, &a[1], &b[1], jwl[1], jwpos[l], qts + 1)))
                return (uint8_t)l;
        }
    }
    return (uint8_t)(cmp->n_levels - 1);
}

/* level_of for a one-field comparison: the same walk without the loops
 * over field slots (most comparisons read one field). A level naming a slot
 * the comparison does not have holds, as in level_of. */
static inline uint8_t level_of1(const nm_comparison *cmp, const uint8_t *jwpos, const val *a, const val *b, uint8_t jwl,
                                const tokset *qts) {
    int both = a->len && b->len;
    for (int l = 0; l < cmp->n_levels; l++) {
        const nm_level *lv = &cmp->levels[l];
        int mine = lv->field == NM_ALL_FIELDS || lv->field == 0;
        switch (lv->predicate) {
        case NM_PRED_NULL:
            if (!mine || !both) return (uint8_t)l;
            continue;
        case NM_PRED_ELSE: return (uint8_t)l;
        case NM_PRED_SWAPPED_JW:
        case NM_PRED_SWAPPED: continue;
        default:
            if (!mine || holds(lv, a, b, jwl, jwpos[l], qts)) return (uint8_t)l;
        }
    }
    return (uint8_t)(cmp->n_levels - 1);
}

static uint8_t level_of_tuple(const nm_comparison *cmp, const uint8_t *jwpos, const val *a, const val *b,
                              const uint8_t *jwl, const tokset *qts) {
    return cmp->n_fields == 1 ? level_of1(cmp, jwpos, a, b, jwl[0], qts) : level_of(cmp, jwpos, a, b, jwl, qts);
}

/* Pack every candidate's values of field f and run the JW kernel for each
 * query value: jw[slot][qi * npacked + j]. Packed value j is fv[f].v[j], so
 * candidate i's first one is its fst entry. */
static int jw_batch(const nm_rtable *qt, size_t q, size_t f, const uint8_t *thr, int nthr, nm_cmp_scratch *s, int slot) {
    const nm_vview_vec *fv = &s->fv[f];
    size_t nv = fv->n;
    s->packed.len = 0;
    s->offs.n = 0;
    /* Sized first (values are at most 255 bytes), then copied without checks. */
    if (NM_VEC_RESERVE(&s->offs, nv + 1) || nm_buf_reserve(&s->packed, nv * 255)) return NM_E_NOMEM;
    uint32_t *offs = s->offs.v, k = 0, at = 0;
    char *dst = s->packed.data;
    offs[0] = 0;
    for (size_t v = 0; v < nv; v++) {
        const nm_vview *x = &fv->v[v];
        copy_bytes(dst + at, x->p, x->len);
        at += x->len;
        offs[++k] = at;
    }
    s->packed.len = at;
    dst[at] = 0;   /* as nm_buf_append leaves it */
    s->offs.n = (size_t)k + 1;
    size_t np = k;
    uint32_t qb = qt->col[f].roff.v[q], qe = qt->col[f].roff.v[q + 1];
    if (qe - qb > QMAX) qe = qb + QMAX;
    if (NM_VEC_RESERVE(&s->jw[slot], (qe - qb) * np + 1)) return NM_E_NOMEM;
    for (uint32_t v = qb; v < qe; v++) {
        uint32_t ql;
        const char *qs = nm_rt_value(qt, f, v, &ql);
        nm_jw_level_batch(qs, ql, s->packed.data, s->offs.v, np, thr, nthr, s->jw[slot].v + (size_t)(v - qb) * np);
    }
    return 0;
}

/* Decode every candidate's record from the row store into s->fv / s->fst.
 * Candidates are random rows (each record a cache miss): the record of the
 * candidate AHEAD places on is requested while this one is decoded (its
 * offset was requested when the candidate was found, nm_cands prefetch). */
#define AHEAD 32
static int gather(const nm_rrows *ref, const uint32_t *rows, size_t n, const uint8_t *want, nm_cmp_scratch *s) {
    size_t nf = ref->nfields, n1 = n + 1;
    if (NM_VEC_RESERVE(&s->fst, nf * n1)) return NM_E_NOMEM;
    for (size_t f = 0; f < nf; f++) s->fv[f].n = 0;
    /* The offsets were prefetched as the candidates were found; now every
     * line of the next AHEAD records is requested before any is decoded, so
     * their misses overlap instead of following one another. */
    for (size_t i = 0; i < n && i < AHEAD; i++) nm_rrows_prefetch(ref, rows[i]);
    for (size_t i = 0; i < n; i++) {
        if (i + AHEAD < n) nm_rrows_prefetch(ref, rows[i + AHEAD]);
        NM_TRY(nm_rrows_decode_cols(ref, rows[i], want, s->fv, s->fst.v + i, n1));
    }
    for (size_t f = 0; f < nf; f++) s->fst.v[f * n1 + n] = (uint32_t)s->fv[f].n;
    return 0;
}

int nm_compare_pairs(const nm_model *m, const nm_cmp_plan *plan, const nm_rtable *qt, size_t q, const nm_rrows *ref,
                     const uint32_t *rows, size_t n, nm_cmp_scratch *s, uint8_t *vectors) {
    size_t ncomp = plan->ncomp, n1 = n + 1;
    /* Only the fields of comparisons the query has a value for are read
     * (a comparison without one gives every pair its `empty` level). */
    uint8_t want[NM_MAX_FIELDS] = {0};
    for (size_t c = 0; c < ncomp; c++) {
        const nm_comparison *cmp = nm_model_comparison(m, c);
        int has = 0;
        for (int k = 0; k < cmp->n_fields; k++) has |= nm_rt_count(qt, cmp->fields[k], q) != 0;
        for (int k = 0; has && k < cmp->n_fields; k++) want[cmp->fields[k]] = 1;
    }
    NM_TRY(gather(ref, rows, n, want, s));
    for (size_t c = 0; c < ncomp; c++) {
        const nm_comparison *cmp = nm_model_comparison(m, c);
        /* A share of the next call's records per comparison: a burst small
         * enough not to fill the core's buffers of outstanding misses, which
         * the loads below need too (one line at a time per candidate measured
         * slower: it crowds the pair loop). */
        for (size_t j = c * s->nahead / ncomp, e = (c + 1) * s->nahead / ncomp; j < e; j++)
            nm_rrows_prefetch(ref, s->ahead[j]);
        int nf = cmp->n_fields;
        size_t f[2] = {cmp->fields[0], nf > 1 ? cmp->fields[1] : cmp->fields[0]};
        uint32_t qb[2] = {0, 0}, qn[2] = {0, 0}, np[2] = {0, 0};
        for (int k = 0; k < nf; k++) {
            qb[k] = nm_rt_first(qt, f[k], q);
            qn[k] = nm_rt_count(qt, f[k], q);
            if (qn[k] > QMAX) qn[k] = QMAX;
        }
        uint8_t empty = plan->c[c].empty;
        if (!(nf > 1 ? NM_MAXU(qn[0], qn[1]) : qn[0])) {   /* the query has no value: one level for all */
            for (size_t i = 0; i < n; i++) vectors[i * ncomp + c] = empty;
            continue;
        }
        /* JW levels of all candidate values, per field slot, when the query has a value there. */
        const uint32_t *fst[2] = {s->fst.v + f[0] * n1, s->fst.v + f[1] * n1};
        const nm_vview *fvv[2] = {s->fv[f[0]].v, s->fv[f[1]].v};
        int jwk[2] = {0, 0};
        for (int k = 0; k < nf; k++) {
            if (!plan->c[c].nthr[k] || !qn[k]) continue;
            NM_TRY(jw_batch(qt, q, f[k], plan->c[c].thr[k], plan->c[c].nthr[k], s, k));
            np[k] = (uint32_t)(s->offs.n - 1);
            jwk[k] = 1;
        }
        uint8_t first_ok = plan->c[c].best;
        tokset qts[QMAX][2];   /* the query values' tokens, when a level compares token sets */
        val qv[QMAX][2];       /* the query's values (none past a field's count) */
        memset(qv, 0, sizeof qv);
        for (int k = 0; k < nf; k++)
            for (uint32_t x = 0; x < qn[k]; x++) {
                qv[x][k] = get_val(qt, f[k], qb[k] + x);
                if (plan->c[c].tj[k]) tokset_of(&qv[x][k], &qts[x][k], ref->tokf[f[k]]);
            }
        for (size_t i = 0; i < n; i++) {
            uint32_t rb[2], rn[2];
            for (int k = 0; k < nf; k++) {
                rb[k] = fst[k][i];
                rn[k] = fst[k][i + 1] - rb[k];
            }
            /* Tuples: value i of field 0 with value i of field 1. */
            uint32_t qt_n = nf > 1 ? NM_MAXU(qn[0], qn[1]) : qn[0];
            uint32_t rt_n = nf > 1 ? NM_MAXU(rn[0], rn[1]) : rn[0];
            uint8_t best = NM_NO_LEVEL;
            if (!qt_n || !rt_n) {
                vectors[i * ncomp + c] = empty;
                continue;
            }
            uint8_t null_seen = NM_NO_LEVEL;
            for (uint32_t x = 0; x < qt_n && best != first_ok; x++) {
                const val *a = qv[x];
                for (uint32_t y = 0; y < rt_n; y++) {
                    val b[2] = {{0}};
                    uint8_t jwl[2] = {255, 255};
                    for (int k = 0; k < nf; k++) {
                        if (y < rn[k]) b[k] = fvv[k][rb[k] + y];
                        if (jwk[k] && x < qn[k] && y < rn[k]) jwl[k] = s->jw[k].v[(size_t)x * np[k] + rb[k] + y];
                    }
                    uint8_t l = nf == 1 ? level_of1(cmp, plan->c[c].jwpos, a, b, jwl[0], qts[x])
                                        : level_of(cmp, plan->c[c].jwpos, a, b, jwl, qts[x]);
                    if (l == cmp->null_level) {
                        null_seen = l;
                        continue;
                    }
                    if (l < best) best = l;
                    if (best == first_ok) break;
                }
            }
            vectors[i * ncomp + c] = best != NM_NO_LEVEL ? best : null_seen;
        }
    }
    return 0;
}
