/* The record table as a state section (fields.h). */
#include "resolve/fields.h"
#include <stdlib.h>
#include <string.h>
#include "common/error_internal.h"
#include "common/hash.h"

#define MAGIC "NMFIELD1"

typedef struct fhead {
    uint64_t name_hash;
    uint64_t nvalues, nbytes;
    uint8_t needs, pad[7];
} fhead;

static uint64_t name_hash(const nm_model *m, size_t f) {
    const char *n = nm_model_field(m, f)->name;
    return nm_hash64(n, strlen(n), 0x6669656c64ull);
}

int nm_fields_save(const nm_rtable *t, char **out, size_t *len, nm_err *err) {
    size_t nf = t->nfields, total = 8 + 16 + nf * sizeof(fhead);
    for (size_t f = 0; f < nf; f++) {
        const nm_rcol *c = &t->col[f];
        size_t nv = c->voff.n - 1;
        total += (t->n + 1) * 4 + (nv + 1) * 4 + c->bytes.len + (c->needs ? nv * sizeof(nm_vcodes) : 0);
    }
    char *b = malloc(total), *p = b;
    if (!b) return nm_err_set(err, NM_E_NOMEM, "fields: out of memory");
    uint64_t hdr[2] = {t->n, nf};
    memcpy(p, MAGIC, 8), p += 8;
    memcpy(p, hdr, 16), p += 16;
    for (size_t f = 0; f < nf; f++) {
        const nm_rcol *c = &t->col[f];
        fhead h = {name_hash(t->model, f), c->voff.n - 1, c->bytes.len, c->needs, {0}};
        memcpy(p, &h, sizeof h), p += sizeof h;
    }
    for (size_t f = 0; f < nf; f++) {
        const nm_rcol *c = &t->col[f];
        size_t nv = c->voff.n - 1;
        memcpy(p, c->roff.v, (t->n + 1) * 4), p += (t->n + 1) * 4;
        memcpy(p, c->voff.v, (nv + 1) * 4), p += (nv + 1) * 4;
        if (c->bytes.len) memcpy(p, c->bytes.data, c->bytes.len), p += c->bytes.len;
        if (c->needs && nv) memcpy(p, c->codes.v, nv * sizeof(nm_vcodes)), p += nv * sizeof(nm_vcodes);
    }
    *out = b;
    *len = total;
    return 0;
}

static int take(const char **p, const char *end, void *dst, size_t n) {
    if ((size_t)(end - *p) < n) return -1;
    if (n) memcpy(dst, *p, n);
    *p += n;
    return 0;
}

int nm_fields_load(nm_rtable *t, const nm_model *m, const char *p, size_t len, nm_err *err) {
    const char *end = p + len;
    NM_TRY(nm_rtable_init(t, m) ? nm_err_set(err, NM_E_NOMEM, "fields: out of memory") : 0);
    uint64_t hdr[2];
    size_t nf = t->nfields;
    int rc = 0;
    if (len < 24 || memcmp(p, MAGIC, 8)) {
        rc = nm_err_set(err, NM_E_CORRUPT, "fields section: bad header");
        goto fail;
    }
    p += 8;
    take(&p, end, hdr, 16);
    if (hdr[1] != nf) {
        rc = nm_err_set(err, NM_E_VERSION, "fields section: %llu fields, the model has %zu (state built with another model)",
                        (unsigned long long)hdr[1], nf);
        goto fail;
    }
    fhead h[NM_MAX_FIELDS];
    for (size_t f = 0; f < nf; f++) {
        if (take(&p, end, &h[f], sizeof h[f])) {
            rc = nm_err_set(err, NM_E_CORRUPT, "fields section: truncated header");
            goto fail;
        }
        if (h[f].name_hash != name_hash(m, f) || h[f].needs != t->col[f].needs) {
            rc = nm_err_set(err, NM_E_VERSION, "fields section: field %zu differs from the model's (state built with another model)", f);
            goto fail;
        }
    }
    size_t n = (size_t)hdr[0];
    for (size_t f = 0; f < nf; f++) {
        nm_rcol *c = &t->col[f];
        size_t nv = (size_t)h[f].nvalues, nb = (size_t)h[f].nbytes;
        if (NM_VEC_RESERVE(&c->roff, n + 1) || NM_VEC_RESERVE(&c->voff, nv + 1) || nm_buf_reserve(&c->bytes, nb + 1) ||
            (c->needs && NM_VEC_RESERVE(&c->codes, nv + 1))) {
            rc = nm_err_set(err, NM_E_NOMEM, "fields: out of memory");
            goto fail;
        }
        if (take(&p, end, c->roff.v, (n + 1) * 4) || take(&p, end, c->voff.v, (nv + 1) * 4) ||
            take(&p, end, c->bytes.data, nb) || (c->needs && take(&p, end, c->codes.v, nv * sizeof(nm_vcodes)))) {
            rc = nm_err_set(err, NM_E_CORRUPT, "fields section: truncated (field %zu)", f);
            goto fail;
        }
        c->roff.n = n + 1;
        c->voff.n = nv + 1;
        c->bytes.len = nb;
        c->codes.n = c->needs ? nv : 0;
        /* Offsets must be monotone and end where the arrays end: a reader
         * never walks past them. */
        int ok = c->roff.v[0] == 0 && c->roff.v[n] == nv && c->voff.v[0] == 0 && c->voff.v[nv] == nb;
        for (size_t i = 0; ok && i < n; i++) ok = c->roff.v[i] <= c->roff.v[i + 1];
        for (size_t i = 0; ok && i < nv; i++) ok = c->voff.v[i] <= c->voff.v[i + 1];
        if (!ok) {
            rc = nm_err_set(err, NM_E_CORRUPT, "fields section: offsets of field %zu out of order", f);
            goto fail;
        }
    }
    if (p != end) {
        rc = nm_err_set(err, NM_E_CORRUPT, "fields section: %zu trailing bytes", (size_t)(end - p));
        goto fail;
    }
    t->n = n;
    return 0;
fail:
    nm_rtable_free(t);
    return rc;
}

uint64_t nm_fields_hash(const nm_rtable *t, size_t r) {
    XXH3_state_t st;
    XXH3_64bits_reset(&st);
    for (size_t f = 0; f < t->nfields; f++) {
        const nm_rcol *c = &t->col[f];
        uint32_t cnt = c->roff.v[r + 1] - c->roff.v[r];
        XXH3_64bits_update(&st, &cnt, 4);
        for (uint32_t v = c->roff.v[r]; v < c->roff.v[r + 1]; v++) {
            uint32_t l = c->voff.v[v + 1] - c->voff.v[v];
            XXH3_64bits_update(&st, &l, 4);
            XXH3_64bits_update(&st, c->bytes.data + c->voff.v[v], l);
        }
    }
    return XXH3_64bits_digest(&st);
}
