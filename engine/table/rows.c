/* The row store (rows.h). */
#include "table/rows.h"
#include <omp.h>
#include <stdlib.h>
#include <string.h>
#include "common/error_internal.h"
#include "compare/tokset.h"

static int put_record(nm_buf *b, const nm_rtable *t, size_t r, const uint8_t *tokf) {
    size_t nv = 0;
    for (size_t f = 0; f < t->nfields; f++) nv += NM_MIN(255u, t->col[f].roff.v[r + 1] - t->col[f].roff.v[r]);
    uint8_t hdr[2] = {(uint8_t)nv, (uint8_t)(nv >> 8)};   /* <= 128 fields x 255 values < 65536 */
    NM_TRY(nm_buf_append(b, hdr, 2));
    for (size_t f = 0; f < t->nfields; f++)   /* the counts */
        NM_TRY(nm_buf_putc(b, (char)NM_MIN(255u, t->col[f].roff.v[r + 1] - t->col[f].roff.v[r])));
    for (int pass = 0; pass < 2; pass++)      /* the lengths, then the values */
        for (size_t f = 0; f < t->nfields; f++) {
            const nm_rcol *c = &t->col[f];
            uint32_t v0 = c->roff.v[r], v1 = c->roff.v[r + 1];
            if (v1 - v0 > 255) v1 = v0 + 255;
            for (uint32_t v = v0; v < v1; v++) {
                uint32_t len = c->voff.v[v + 1] - c->voff.v[v];
                if (len > 255) len = 255;
                if (!pass) {
                    NM_TRY(nm_buf_putc(b, (char)len));
                    continue;
                }
                NM_TRY(nm_buf_append(b, c->bytes.data + c->voff.v[v], len));
                if (c->needs) NM_TRY(nm_buf_append(b, &c->codes.v[v], sizeof(nm_vcodes)));
                if (tokf[f]) {   /* of the stored (capped) bytes, which are what the compare stage splits */
                    uint8_t tf[NM_TOKF_BYTES];
                    tok_filter_put(c->bytes.data + c->voff.v[v], len, tf);
                    NM_TRY(nm_buf_append(b, tf, sizeof tf));
                }
            }
        }
    return 0;
}

int nm_rrows_put(nm_buf *b, uint64_t *off, const nm_rtable *t) {
    uint8_t tokf[NM_MAX_FIELDS];
    nm_rtable_token_fields(t->model, tokf);
    for (size_t r = 0; r < t->n; r++) {
        off[r] = b->len;
        NM_TRY(put_record(b, t, r, tokf));
    }
    return 0;
}

void nm_rrows_layout(nm_rrows *rr, const nm_model *m) {
    rr->nfields = nm_model_field_count(m);
    nm_rtable_plan(m, rr->needs);   /* as nm_rtable_init gives each column */
    nm_rtable_token_fields(m, rr->tokf);
}

int nm_rrows_begin(nm_rrows *rr, const nm_rtable *like, size_t n) {
    memset(rr, 0, sizeof *rr);
    nm_rrows_layout(rr, like->model);
    rr->off = malloc((n + 1) * sizeof *rr->off);
    if (!rr->off) return NM_E_NOMEM;
    rr->off[0] = 0;
    return 0;
}

int nm_rrows_append(nm_rrows *rr, const nm_buf *b, const uint64_t *off, size_t n) {
    size_t base = rr->blob.len;
    NM_TRY(nm_buf_reserve(&rr->blob, b->len));
    /* Candidates are random rows: on 4 KiB pages nearly every one is a TLB
     * miss as well as a cache miss. The blob is reserved once up front
     * (nm_rrows_from_registry), so at the first append it is untouched. */
    if (!base) nm_advise_huge(rr->blob.data, rr->blob.cap);
    NM_TRY(nm_buf_append(&rr->blob, b->data, b->len));
    for (size_t i = 0; i < n; i++) rr->off[rr->n + i] = off[i] + base;
    rr->n += n;
    rr->off[rr->n] = rr->blob.len;
    return 0;
}

#define CHUNK 65536

int nm_rrows_build(nm_rrows *rr, const nm_rtable *t, int threads) {
    memset(rr, 0, sizeof *rr);
    rr->n = t->n;
    nm_rrows_layout(rr, t->model);
    rr->off = malloc((t->n + 1) * sizeof *rr->off);
    if (!rr->off) return NM_E_NOMEM;
    size_t nch = (t->n + CHUNK - 1) / CHUNK;
    nm_buf *parts = calloc(nch ? nch : 1, sizeof *parts);
    if (!parts) return NM_E_NOMEM;
    int rc = 0;
    /* Chunks in parallel, each into its own buffer with chunk-relative offsets. */
#pragma omp parallel for schedule(dynamic, 1) num_threads(threads > 0 ? threads : omp_get_max_threads())
    for (size_t k = 0; k < nch; k++) {
        size_t lo = k * CHUNK, hi = NM_MIN(t->n, lo + CHUNK);
        for (size_t r = lo; r < hi; r++) {
            rr->off[r] = parts[k].len;
            if (put_record(&parts[k], t, r, rr->tokf)) {
#pragma omp atomic write
                rc = NM_E_NOMEM;
                break;
            }
        }
    }
    size_t total = 0;
    for (size_t k = 0; k < nch; k++) total += parts[k].len;
    if (!rc && nm_buf_reserve(&rr->blob, total)) rc = NM_E_NOMEM;
    if (!rc) nm_advise_huge(rr->blob.data, rr->blob.cap);
    for (size_t k = 0; k < nch; k++) {
        if (!rc) {
            size_t base = rr->blob.len, lo = k * CHUNK, hi = NM_MIN(t->n, lo + CHUNK);
            for (size_t r = lo; r < hi; r++) rr->off[r] += base;
            nm_buf_append(&rr->blob, parts[k].data, parts[k].len);
        }
        nm_buf_free(&parts[k]);
    }
    free(parts);
    rr->off[t->n] = rr->blob.len;
    if (rc) nm_rrows_free(rr);
    return rc;
}

void nm_rrows_free(nm_rrows *rr) {
    free(rr->off);
    nm_buf_free(&rr->blob);
    memset(rr, 0, sizeof *rr);
}

/* Bytes a value of field f carries after its own: codes, token filter (rows.h). */
static inline size_t value_extra(const nm_rrows *rr, size_t f) {
    return (rr->needs[f] ? sizeof(nm_vcodes) : 0) + (rr->tokf[f] ? NM_TOKF_BYTES : 0);
}

/* Where record r's counts, lengths and value bytes start (rows.h). */
typedef struct rec_at {
    const uint8_t *cnt, *len, *p;
} rec_at;

static inline rec_at rec_of(const nm_rrows *rr, size_t r) {
    const uint8_t *b = (const uint8_t *)rr->blob.data + rr->off[r];
    size_t nv = (size_t)b[0] | (size_t)b[1] << 8;
    return (rec_at){b + 2, b + 2 + rr->nfields, b + 2 + rr->nfields + nv};
}

/* The k values of field f into v[0..k): lengths from at->len, bytes from
 * at->p (both advanced). Each value's position is a sum over lengths loaded
 * independently of one another, not a chain of loads through the bytes. */
static inline void decode_field(const nm_rrows *rr, size_t f, rec_at *at, uint8_t k, nm_vview *v) {
    size_t cl = rr->needs[f] ? sizeof(nm_vcodes) : 0, extra = value_extra(rr, f);
    const uint8_t *p = at->p;
    for (uint8_t i = 0; i < k; i++) {
        uint8_t len = at->len[i];
        v[i].p = (const char *)p;
        v[i].len = len;
        v[i].codes = cl ? (const nm_vcodes *)(p + len) : NULL;
        p += len + extra;
    }
    at->len += k;
    at->p = p;
}

size_t nm_rrows_decode(const nm_rrows *rr, size_t r, nm_vview *v, uint32_t *fstart) {
    rec_at at = rec_of(rr, r);
    size_t n = 0;
    for (size_t f = 0; f < rr->nfields; f++) {
        fstart[f] = (uint32_t)n;
        uint8_t k = at.cnt[f];
        decode_field(rr, f, &at, k, v + n);
        n += k;
    }
    fstart[rr->nfields] = (uint32_t)n;
    return n;
}

int nm_rrows_decode_cols(const nm_rrows *rr, size_t r, const uint8_t *want, nm_vview_vec *cols, uint32_t *fstart,
                         size_t stride) {
    rec_at at = rec_of(rr, r);
    for (size_t f = 0; f < rr->nfields; f++) {
        nm_vview_vec *c = &cols[f];
        uint8_t k = at.cnt[f];
        fstart[f * stride] = (uint32_t)c->n;
        if (!k) continue;
        if (!want[f]) {   /* passed over: only its bytes are counted */
            size_t extra = value_extra(rr, f);
            for (uint8_t i = 0; i < k; i++) at.p += at.len[i] + extra;
            at.len += k;
            continue;
        }
        if (NM_VEC_RESERVE(c, c->n + k)) return NM_E_NOMEM;
        decode_field(rr, f, &at, k, c->v + c->n);
        c->n += k;
    }
    return 0;
}

static int record_ok(const nm_rrows *rr, size_t r) {
    const uint8_t *p = (const uint8_t *)rr->blob.data + rr->off[r], *e = (const uint8_t *)rr->blob.data + rr->off[r + 1];
    if (e - p < 2) return 0;
    size_t nv = (size_t)p[0] | (size_t)p[1] << 8, seen = 0, bytes = 0;
    if ((size_t)(e - p) < 2 + rr->nfields + nv) return 0;
    const uint8_t *len = p + 2 + rr->nfields;
    for (size_t f = 0; f < rr->nfields; f++) {
        uint8_t k = p[2 + f];
        size_t extra = value_extra(rr, f);
        if (seen + k > nv) return 0;
        for (uint8_t i = 0; i < k; i++) bytes += len[seen + i] + extra;
        seen += k;
    }
    return seen == nv && bytes == (size_t)(e - p) - 2 - rr->nfields - nv;
}

int nm_rrows_check(const nm_rrows *rr) {
    if (rr->off[0] != 0 || rr->off[rr->n] != rr->blob.len) return 0;
    for (size_t r = 0; r < rr->n; r++)   /* first: every record inside the blob */
        if (rr->off[r] > rr->off[r + 1]) return 0;
    int ok = 1;
#pragma omp parallel for schedule(static) reduction(& : ok)
    for (size_t r = 0; r < rr->n; r++)
        if (ok) ok &= record_ok(rr, r);
    return ok;
}
