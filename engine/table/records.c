/* The record table (records.h): normalize once, store columnar, derive codes once. */
#include "table/records.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "common/error_internal.h"
#include "npimatch/compare.h"
#include "npimatch/normalize.h"

static uint8_t key_need(uint8_t fn) {
    switch (fn) {
    case NM_KEY_SOUNDEX: return NM_NEED_SOUNDEX;
    case NM_KEY_NYSIIS: return NM_NEED_NYSIIS;
    case NM_KEY_DMETAPHONE: return NM_NEED_DMETAPHONE;
    case NM_KEY_NICKNAME: return NM_NEED_NICKNAME;
    default: return 0;
    }
}

static uint8_t pred_need(uint8_t p) {
    switch (p) {
    case NM_PRED_SOUNDEX: return NM_NEED_SOUNDEX;
    case NM_PRED_NYSIIS: return NM_NEED_NYSIIS;
    case NM_PRED_DMETAPHONE: return NM_NEED_DMETAPHONE;
    case NM_PRED_NICKNAME: return NM_NEED_NICKNAME;
    default: return 0;
    }
}

static void plan_rules(const nm_blocking_rule *r, size_t n, uint8_t *needs) {
    for (size_t i = 0; i < n; i++)
        for (int k = 0; k < r[i].n_terms; k++) needs[r[i].terms[k].field] |= key_need(r[i].terms[k].fn);
}

void nm_rtable_plan(const nm_model *m, uint8_t *needs) {
    memset(needs, 0, nm_model_field_count(m));
    for (size_t c = 0; c < nm_model_comparison_count(m); c++) {
        const nm_comparison *cmp = nm_model_comparison(m, c);
        for (int l = 0; l < cmp->n_levels; l++) {
            const nm_level *lv = &cmp->levels[l];
            for (int k = 0; k < cmp->n_fields; k++)
                if (lv->field == NM_ALL_FIELDS || lv->field == k) needs[cmp->fields[k]] |= pred_need(lv->predicate);
        }
    }
    for (size_t i = 0; i < nm_model_blocking_rule_count(m); i++) plan_rules(nm_model_blocking_rule(m, i), 1, needs);
    for (size_t i = 0; i < nm_model_training_rule_count(m); i++) plan_rules(nm_model_training_rule(m, i), 1, needs);
}

void nm_comparison_token_slots(const nm_comparison *cmp, uint8_t tj[2]) {
    tj[0] = tj[1] = 0;
    for (int l = 0; l < cmp->n_levels; l++)
        for (int k = 0; k < cmp->n_fields && k < 2; k++)
            if (cmp->levels[l].predicate == NM_PRED_TOKEN_JACCARD &&
                (cmp->levels[l].field == NM_ALL_FIELDS || cmp->levels[l].field == k))
                tj[k] = 1;
}

void nm_rtable_token_fields(const nm_model *m, uint8_t *tokf) {
    memset(tokf, 0, nm_model_field_count(m));
    for (size_t c = 0; c < nm_model_comparison_count(m); c++) {
        const nm_comparison *cmp = nm_model_comparison(m, c);
        uint8_t tj[2];
        nm_comparison_token_slots(cmp, tj);
        for (int k = 0; k < cmp->n_fields && k < 2; k++)
            if (tj[k]) tokf[cmp->fields[k]] = 1;
    }
}

int nm_rtable_init(nm_rtable *t, const nm_model *m) {
    memset(t, 0, sizeof *t);
    t->model = m;
    t->nfields = nm_model_field_count(m);
    t->col = calloc(t->nfields ? t->nfields : 1, sizeof *t->col);
    if (!t->col) return NM_E_NOMEM;
    uint8_t needs[NM_MAX_FIELDS];
    nm_rtable_plan(m, needs);
    for (size_t f = 0; f < t->nfields; f++) {
        nm_rcol *c = &t->col[f];
        c->needs = needs[f];
        if (NM_VEC_PUSH(&c->roff, 0u) || NM_VEC_PUSH(&c->voff, 0u)) return NM_E_NOMEM;
    }
    return 0;
}

void nm_rtable_free(nm_rtable *t) {
    if (!t->col) return;
    for (size_t f = 0; f < t->nfields; f++) {
        NM_VEC_FREE(&t->col[f].roff);
        NM_VEC_FREE(&t->col[f].voff);
        NM_VEC_FREE(&t->col[f].codes);
        nm_buf_free(&t->col[f].bytes);
    }
    free(t->col);
    t->col = NULL;
    t->n = 0;
}

void nm_rtable_reset(nm_rtable *t) {
    for (size_t f = 0; f < t->nfields; f++) {
        nm_rcol *c = &t->col[f];
        c->roff.n = c->voff.n = 1;
        c->codes.n = 0;
        c->bytes.len = 0;
    }
    t->n = 0;
}

/* ---- normalizers ---- */

static size_t trim_copy(const char *in, size_t n, char *out, size_t cap) {
    while (n && (unsigned char)*in <= ' ') in++, n--;
    while (n && (unsigned char)in[n - 1] <= ' ') n--;
    if (n >= cap) n = cap - 1;
    memcpy(out, in, n);
    out[n] = 0;
    return n;
}

static size_t upper_collapse(const char *in, size_t n, char *out, size_t cap) {
    size_t o = 0;
    int space = 0;
    for (size_t i = 0; i < n && o + 1 < cap; i++) {
        unsigned char ch = (unsigned char)in[i];
        if (ch <= ' ') {
            space = o > 0;
            continue;
        }
        if (space && o + 2 < cap) out[o++] = ' ';
        space = 0;
        out[o++] = (char)(ch >= 'a' && ch <= 'z' ? ch - 32 : ch);
    }
    out[o] = 0;
    return o;
}

static size_t digits_only(const char *in, size_t n, char *out, size_t cap) {
    size_t o = 0;
    for (size_t i = 0; i < n && o + 1 < cap; i++)
        if (in[i] >= '0' && in[i] <= '9') out[o++] = in[i];
    out[o] = 0;
    return o;
}

static size_t copy_str(const char *s, char *out, size_t cap) {
    size_t n = strlen(s);
    if (n >= cap) n = cap - 1;
    memcpy(out, s, n);
    out[n] = 0;
    return n;
}

static size_t apply_one(uint8_t norm, const char *in, size_t n, char *out, size_t cap) {
    nm_person_name pn;
    switch (norm) {
    case NM_NORM_NONE: return trim_copy(in, n, out, cap);
    case NM_NORM_TEXT: return nm_normalize_text(in, n, 0, out, cap);
    case NM_NORM_NAME: return nm_normalize_text(in, n, 1, out, cap);
    case NM_NORM_GIVEN_NAME:
        if (nm_normalize_person_name(in, n, NULL, 0, NULL, 0, NULL, 0, NULL, 0, &pn)) return out[0] = 0, 0;
        return copy_str(pn.first, out, cap);
    case NM_NORM_SURNAME:
        if (nm_normalize_person_name(NULL, 0, NULL, 0, in, n, NULL, 0, NULL, 0, &pn)) return out[0] = 0, 0;
        return copy_str(pn.last, out, cap);
    case NM_NORM_ADDRESS: {
        nm_address a;
        if (nm_normalize_address(in, n, NULL, 0, &a)) return out[0] = 0, 0;
        return copy_str(a.line, out, cap);
    }
    case NM_NORM_ZIP: {
        char z5[6], p4[5];
        if (!nm_normalize_zip(in, n, z5, p4)) return out[0] = 0, 0;
        return copy_str(z5, out, cap);
    }
    case NM_NORM_PHONE: {
        char ph[11];
        if (!nm_normalize_phone(in, n, ph)) return out[0] = 0, 0;
        return copy_str(ph, out, cap);
    }
    case NM_NORM_EMAIL: return nm_normalize_email(in, n, out, cap);
    case NM_NORM_DATE: {
        uint32_t ymd;
        if (nm_parse_date(in, n, &ymd)) return out[0] = 0, 0;
        return (size_t)snprintf(out, cap, "%08u", ymd);
    }
    case NM_NORM_DIGITS: return digits_only(in, n, out, cap);
    case NM_NORM_UPPER: return upper_collapse(in, n, out, cap);
    default: return trim_copy(in, n, out, cap);
    }
}

size_t nm_field_normalize(const nm_field *f, const char *in, size_t n, char *out, size_t cap) {
    if (!f->n_normalizers) return trim_copy(in, n, out, cap);
    /* Each step reads the previous step's output: alternate two buffers. */
    char tmp[2][NM_VALUE_CAP * 2];
    const char *src = in;
    size_t len = n;
    for (int k = 0; k < f->n_normalizers && (len || k == 0); k++) {
        char *dst = tmp[k & 1];
        len = apply_one(f->normalizers[k], src, len, dst, sizeof tmp[0]);
        src = dst;
    }
    if (!len) return out[0] = 0, 0;
    return copy_str(src, out, cap);
}

/* ---- building ---- */

static void derive(const nm_rcol *c, const char *v, size_t n, nm_vcodes *out) {
    memset(out, 0, sizeof *out);
    if (!n) return;
    char buf[16];
    if (c->needs & NM_NEED_SOUNDEX) {
        nm_soundex(v, n, buf);
        memcpy(out->soundex, buf, 4);
    }
    if (c->needs & NM_NEED_NYSIIS) {
        size_t k = nm_nysiis(v, n, 6, buf, sizeof buf);
        memcpy(out->nysiis, buf, k < 6 ? k : 6);
    }
    if (c->needs & NM_NEED_DMETAPHONE) {
        char p[5] = {0}, a[5] = {0};
        nm_double_metaphone(v, n, p, a);
        memcpy(out->dm1, p, 4);
        if (strcmp(a, p)) memcpy(out->dm2, a, 4);
    }
    if (c->needs & NM_NEED_NICKNAME) {
        uint32_t ids[NM_NICK_MAX];
        size_t k = nm_nickname_groups(nm_nicknames_default(), v, n, ids, NM_NICK_MAX);
        for (size_t i = 0; i < k; i++)
            for (int b = 0; b < 4; b++) out->nick[i][b] = (uint8_t)((ids[i] + 1) >> (8 * b));
    }
}

int nm_rtable_add_norm(nm_rtable *t, size_t f, const char *v, size_t n) {
    nm_rcol *c = &t->col[f];
    if (nm_buf_append(&c->bytes, v, n)) return NM_E_NOMEM;
    if (c->bytes.len > UINT32_MAX) return NM_E_NOMEM;   /* offsets are 32-bit per field */
    if (NM_VEC_PUSH(&c->voff, (uint32_t)c->bytes.len)) return NM_E_NOMEM;
    if (c->needs) {
        nm_vcodes vc;
        derive(c, v, n, &vc);
        if (NM_VEC_PUSH(&c->codes, vc)) return NM_E_NOMEM;
    }
    return 0;
}

int nm_rtable_add(nm_rtable *t, size_t f, const char *in, size_t n, int keep_empty) {
    char out[NM_VALUE_CAP];
    size_t len = in && n ? nm_field_normalize(nm_model_field(t->model, f), in, n, out, sizeof out) : 0;
    if (!keep_empty) {
        if (!len) return 0;
        /* A provider's practice and mailing ZIP (or state, phone) are often the
         * same: keep each distinct value once per record. */
        const nm_rcol *c = &t->col[f];
        for (uint32_t v = c->roff.v[c->roff.n - 1]; v + 1 < c->voff.n; v++)
            if (c->voff.v[v + 1] - c->voff.v[v] == len && !memcmp(c->bytes.data + c->voff.v[v], out, len)) return 0;
    }
    return nm_rtable_add_norm(t, f, out, len);
}

int nm_rtable_add2(nm_rtable *t, size_t f, const char *a, size_t na, const char *b, size_t nb, int keep_empty) {
    const nm_field *fd = nm_model_field(t->model, f);
    if (fd->n_normalizers && fd->normalizers[0] == NM_NORM_ADDRESS) {
        nm_address ad;
        size_t len = 0;
        if ((na || nb) && !nm_normalize_address(a, na, b, nb, &ad)) len = strlen(ad.line);
        if (!len && !keep_empty) return 0;
        if (fd->n_normalizers == 1 || !len) return nm_rtable_add_norm(t, f, ad.line, len);
        return nm_rtable_add(t, f, ad.line, len, keep_empty);
    }
    char j[NM_VALUE_CAP * 2];
    size_t n = 0;
    if (na) n = (size_t)snprintf(j, sizeof j, "%.*s", (int)NM_MIN(na, 200), a);
    if (nb) n += (size_t)snprintf(j + n, sizeof j - n, "%s%.*s", n ? " " : "", (int)NM_MIN(nb, 200), b);
    return nm_rtable_add(t, f, j, n, keep_empty);
}

int nm_rtable_end_record(nm_rtable *t) {
    for (size_t f = 0; f < t->nfields; f++) {
        nm_rcol *c = &t->col[f];
        if (NM_VEC_PUSH(&c->roff, (uint32_t)(c->voff.n - 1))) return NM_E_NOMEM;
    }
    t->n++;
    return 0;
}

int nm_rtable_append(nm_rtable *dst, const nm_rtable *src) {
    for (size_t f = 0; f < dst->nfields; f++) {
        nm_rcol *d = &dst->col[f];
        const nm_rcol *s = &src->col[f];
        uint32_t vbase = (uint32_t)(d->voff.n - 1), bbase = (uint32_t)d->bytes.len;
        size_t nv = s->voff.n - 1;
        if ((uint64_t)d->bytes.len + s->bytes.len > UINT32_MAX) return NM_E_NOMEM;
        if (nm_buf_append(&d->bytes, s->bytes.data, s->bytes.len)) return NM_E_NOMEM;
        if (NM_VEC_RESERVE(&d->voff, d->voff.n + nv) || NM_VEC_RESERVE(&d->roff, d->roff.n + src->n))
            return NM_E_NOMEM;
        for (size_t v = 1; v <= nv; v++) d->voff.v[d->voff.n++] = s->voff.v[v] + bbase;
        for (size_t r = 1; r <= src->n; r++) d->roff.v[d->roff.n++] = s->roff.v[r] + vbase;
        if (d->needs) {
            if (NM_VEC_RESERVE(&d->codes, d->codes.n + s->codes.n)) return NM_E_NOMEM;
            if (s->codes.n) memcpy(d->codes.v + d->codes.n, s->codes.v, s->codes.n * sizeof *s->codes.v);
            d->codes.n += s->codes.n;
        }
    }
    dst->n += src->n;
    return 0;
}

int nm_rtable_copy_record(nm_rtable *dst, const nm_rtable *src, size_t r) {
    for (size_t f = 0; f < dst->nfields; f++) {
        nm_rcol *d = &dst->col[f];
        const nm_rcol *s = &src->col[f];
        uint32_t v0 = s->roff.v[r], v1 = s->roff.v[r + 1];
        uint32_t b0 = s->voff.v[v0], b1 = s->voff.v[v1];
        uint32_t bbase = (uint32_t)d->bytes.len;
        if ((uint64_t)d->bytes.len + (b1 - b0) > UINT32_MAX) return NM_E_NOMEM;
        if (nm_buf_append(&d->bytes, s->bytes.data + b0, b1 - b0) || NM_VEC_RESERVE(&d->voff, d->voff.n + (v1 - v0)) ||
            NM_VEC_RESERVE(&d->roff, d->roff.n + 1))
            return NM_E_NOMEM;
        for (uint32_t v = v0; v < v1; v++) d->voff.v[d->voff.n++] = s->voff.v[v + 1] - b0 + bbase;
        if (d->needs) {
            if (NM_VEC_RESERVE(&d->codes, d->codes.n + (v1 - v0))) return NM_E_NOMEM;
            if (v1 > v0) memcpy(d->codes.v + d->codes.n, s->codes.v + v0, (size_t)(v1 - v0) * sizeof *s->codes.v);
            d->codes.n += v1 - v0;
        }
        d->roff.v[d->roff.n++] = (uint32_t)(d->voff.n - 1);
    }
    dst->n++;
    return 0;
}

int nm_rt_has(const nm_rtable *t, size_t f, size_t r) {
    const nm_rcol *c = &t->col[f];
    for (uint32_t v = c->roff.v[r]; v < c->roff.v[r + 1]; v++)
        if (c->voff.v[v + 1] > c->voff.v[v]) return 1;
    return 0;
}

size_t nm_rtable_bytes(const nm_rtable *t) {
    size_t s = 0;
    for (size_t f = 0; f < t->nfields; f++) {
        const nm_rcol *c = &t->col[f];
        s += c->roff.cap * 4 + c->voff.cap * 4 + c->bytes.cap + c->codes.cap * sizeof(nm_vcodes);
    }
    return s;
}
