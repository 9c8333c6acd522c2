/* The matcher's registry-side data stored in the registry snapshot.
 *
 * Building a matcher normalizes every provider (names, USPS Pub 28
 * addresses, phonetic codes), counts term frequencies and sorts every
 * blocking rule's keys: ~35 CPU-seconds for the 9M-provider NPPES, paid at
 * every registry load. None of it depends on the input, only on the
 * registry and on the model's fields, normalizers, derived codes, TF fields
 * and blocking rules. So `index` builds it once and the snapshot keeps it
 * (registry_internal.h nm_reg_extra; snapshot format 2); a later
 * nm_matcher_create whose model has the same fingerprint adopts the arrays
 * in place (borrowed from the registry, no copy) and builds nothing.
 * Any other model (other fields, rules or normalizers) builds as before.
 *
 * Extra meta words: CACHE_TAG, fingerprint, rows, fields, blob bytes, rules,
 * then per rule nkeys, nrows, dbits, top[NM_INDEX_TOP], then the number of
 * TF fields and per TF field its index, distinct values, values counted.
 * Sections: row offsets, row blob, per rule keys/start/rows/dir, per TF
 * field hashes/counts. */
#include <stdlib.h>
#include <string.h>
#include "common/error_internal.h"
#include "common/hash.h"
#include "match/matcher.h"
#include "registry/registry_internal.h"

/* Bump when what a model fingerprint cannot see changes: the registry
 * preset (registry_table.c), normalizers, phonetic encoders, the row store
 * layout, blocking key hashing (keys.c), the TF hash. */
#define CACHE_VERSION 3u   /* 2: token filters in the row store; 3: counts and lengths first */
#define CACHE_TAG (0x434d4e00u | CACHE_VERSION)   /* "NMC" + version */

static void mix(uint64_t *h, const void *p, size_t n) { *h = nm_hash64(p, n, *h); }

uint64_t nm_match_cache_fingerprint(const nm_model *m) {
    nm_matcher *mt = calloc(1, sizeof *mt);
    if (!mt) return 0;   /* no key: never matches a stored one */
    int tff[NM_MAX_FIELDS];
    mt->m = m;
    nm_matcher_tf_fields(mt, tff);
    uint64_t h = CACHE_TAG;
    size_t nf = nm_model_field_count(m), nr = nm_model_blocking_rule_count(m);
    uint8_t needs[NM_MAX_FIELDS];
    nm_rtable_plan(m, needs);
    mix(&h, &nf, sizeof nf);
    for (size_t f = 0; f < nf; f++) {
        const nm_field *fd = nm_model_field(m, f);
        mix(&h, fd->name, strlen(fd->name) + 1);
        uint8_t t[2 + NM_MAX_NORMALIZERS] = {(uint8_t)fd->type, fd->n_normalizers};
        memcpy(t + 2, fd->normalizers, NM_MIN((size_t)fd->n_normalizers, (size_t)NM_MAX_NORMALIZERS));
        mix(&h, t, sizeof t);
    }
    mix(&h, needs, nf);
    uint8_t tokf[NM_MAX_FIELDS];   /* which fields' row store values carry token filters */
    nm_rtable_token_fields(m, tokf);
    mix(&h, tokf, nf);
    mix(&h, mt->tf_field, nm_model_comparison_count(m) * sizeof *mt->tf_field);
    mix(&h, &nr, sizeof nr);
    for (size_t i = 0; i < nr; i++) {
        const nm_blocking_rule *b = nm_model_blocking_rule(m, i);
        mix(&h, &b->n_terms, 1);
        for (int k = 0; k < b->n_terms; k++) {
            uint8_t t[4] = {b->terms[k].fn, b->terms[k].param, (uint8_t)b->terms[k].field,
                            (uint8_t)(b->terms[k].field >> 8)};
            mix(&h, t, 4);
        }
    }
    free(mt);
    return h | 1;   /* never 0 (0: no key) */
}

int nm_registry_load_for_match(const char *path, const nm_model *m, nm_registry **out, nm_err *err) {
    return nm_registry_load_keyed(path, m ? nm_match_cache_fingerprint(m) : 0, out, err);
}

int nm_registry_save_with_matcher(const nm_registry *r, const nm_matcher *mt, const char *path, nm_err *err) {
    if (!r || (mt && mt->reg != r)) return nm_err_set(err, NM_E_ARG, "%s: the matcher was not built on this registry", path);
    nm_registry *t = malloc(sizeof *t);
    if (!t) return nm_err_set(err, NM_E_NOMEM, "%s: out of memory", path);
    *t = *r;   /* shallow: nm_registry_save only reads; the extra sections are borrowed */
    nm_reg_extra *x = &t->extra;
    memset(x, 0, sizeof *x);
    if (!mt) {
        int rc = nm_registry_save(t, path, err);
        free(t);
        return rc;
    }
    uint64_t *w = x->meta;
    size_t k = 0, s = 0;
#define SEC(ptr, bytes) (x->p[s] = (void *)(ptr), x->size[s++] = (uint64_t)(bytes))
    w[k++] = CACHE_TAG;
    w[k++] = nm_match_cache_fingerprint(mt->m);
    w[k++] = mt->rows.n;
    w[k++] = mt->rows.nfields;
    w[k++] = mt->rows.blob.len;
    w[k++] = mt->ix.nrules;
    SEC(mt->rows.off, (mt->rows.n + 1) * 8);
    SEC(mt->rows.blob.data, mt->rows.blob.len);
    for (size_t i = 0; i < mt->ix.nrules; i++) {
        const nm_rule_index *ri = &mt->ix.r[i];
        w[k++] = ri->nkeys;
        w[k++] = ri->nrows;
        w[k++] = (uint64_t)ri->dbits;
        for (int j = 0; j < NM_INDEX_TOP; j++) w[k++] = ri->top[j];
        SEC(ri->keys, ri->nkeys * 8);
        SEC(ri->start, (ri->nkeys + 1) * 4);
        SEC(ri->rows, ri->nrows * 4);
        SEC(ri->dir, (((size_t)1 << ri->dbits) + 1) * 4);
    }
    size_t ntf_at = k++, ntf = 0;
    for (size_t f = 0; f < NM_MAX_FIELDS; f++) {
        if (!mt->tf[f].hash) continue;
        w[k++] = f;
        w[k++] = mt->tf[f].n;
        w[k++] = mt->tf[f].total;
        SEC(mt->tf[f].hash, mt->tf[f].n * 8);
        SEC(mt->tf[f].count, mt->tf[f].n * 4);
        ntf++;
    }
#undef SEC
    w[ntf_at] = ntf;
    x->nmeta = k;
    x->nsec = s;
    int rc = nm_registry_save(t, path, err);
    free(t);
    return rc;
}

/* Offsets that must ascend from 0 to `end` (a damaged or hostile snapshot
 * that passed the checksum must not make lookups read out of bounds). */
static int ascending32(const uint32_t *a, size_t n, uint64_t end) {
    if (a[0] != 0 || a[n - 1] != end) return 0;
    for (size_t i = 1; i < n; i++)
        if (a[i] < a[i - 1]) return 0;
    return 1;
}

int nm_match_cache_adopt(nm_matcher *mt, const nm_registry *r) {
    const nm_reg_extra *x = &r->extra;
    const uint64_t *w = x->meta;
    size_t k = 0, s = 0, nr = nm_model_blocking_rule_count(mt->m);
    if (x->nmeta < 6 || w[0] != CACHE_TAG || w[1] != nm_match_cache_fingerprint(mt->m) || w[2] != r->n ||
        w[3] != nm_model_field_count(mt->m) || w[5] != nr || x->nmeta < 7 + nr * (3 + NM_INDEX_TOP) ||
        x->nsec < 2 + 4 * nr)
        return 0;
    k = 6;
    size_t n = (size_t)w[2];
    if (x->size[0] != (n + 1) * 8 || x->size[1] != w[4]) return 0;
    nm_rrows *rr = &mt->rows;
    const uint64_t *off = x->p[0];
    nm_index *ix = &mt->ix;
    ix->r = calloc(nr ? nr : 1, sizeof *ix->r);
    if (!ix->r) return NM_E_NOMEM;
    ix->nrules = nr;
    s = 2;
    for (size_t i = 0; i < nr; i++) {
        nm_rule_index *ri = &ix->r[i];
        ri->rule = nm_model_blocking_rule(mt->m, i);
        ri->nkeys = (size_t)w[k++];
        ri->nrows = (size_t)w[k++];
        ri->dbits = (int)w[k++];
        for (int j = 0; j < NM_INDEX_TOP; j++) ri->top[j] = (uint32_t)w[k++];
        if (ri->dbits < 1 || ri->dbits > 24 || x->size[s] != ri->nkeys * 8 || x->size[s + 1] != (ri->nkeys + 1) * 4 ||
            x->size[s + 2] != ri->nrows * 4 || x->size[s + 3] != (((size_t)1 << ri->dbits) + 1) * 4)
            goto reject;
        ri->keys = x->p[s];
        ri->start = x->p[s + 1];
        ri->rows = x->p[s + 2];
        ri->dir = x->p[s + 3];
        s += 4;
        if (!ascending32(ri->start, ri->nkeys + 1, ri->nrows) ||
            !ascending32(ri->dir, ((size_t)1 << ri->dbits) + 1, ri->nkeys))
            goto reject;
        for (size_t j = 0; j < ri->nrows; j++)
            if (ri->rows[j] >= n) goto reject;
    }
    if (k >= x->nmeta) goto reject;
    size_t ntf = (size_t)w[k++];
    if (x->nmeta != k + 3 * ntf || x->nsec != s + 2 * ntf) goto reject;
    for (size_t i = 0; i < ntf; i++, s += 2) {
        size_t f = (size_t)w[k++];
        if (f >= NM_MAX_FIELDS || x->size[s] != w[k] * 8 || x->size[s + 1] != w[k] * 4) goto reject;
        mt->tf[f].n = (size_t)w[k++];
        mt->tf[f].total = w[k++];
        mt->tf[f].hash = x->p[s];
        mt->tf[f].count = x->p[s + 1];
    }
    memset(rr, 0, sizeof *rr);
    rr->n = n;
    nm_rrows_layout(rr, mt->m);   /* w[3], checked above, is its field count */
    rr->off = (uint64_t *)off;
    rr->blob.data = x->p[1];
    rr->blob.len = rr->blob.cap = (size_t)w[4];
    if (!nm_rrows_check(rr)) {
        memset(rr, 0, sizeof *rr);
        goto reject;
    }
    mt->borrowed = 1;
    return 1;
reject:
    free(ix->r);
    memset(ix, 0, sizeof *ix);
    for (size_t f = 0; f < NM_MAX_FIELDS; f++) memset(&mt->tf[f], 0, sizeof mt->tf[f]);
    return 0;
}
