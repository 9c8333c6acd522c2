/* Blocking index build (index.h). */
#include "index/index.h"
#include <omp.h>
#include <stdlib.h>
#include <string.h>
#include "common/error_internal.h"
#include "index/keys.h"
#include "index/sort.h"

static void note_top(uint32_t *top, uint32_t size) {
    if (size <= top[NM_INDEX_TOP - 1]) return;
    int i = NM_INDEX_TOP - 1;
    while (i > 0 && top[i - 1] < size) {
        top[i] = top[i - 1];
        i--;
    }
    top[i] = size;
}

#define VIEW_CAP 4096

static int build_rule(nm_rule_index *ri, const nm_rrows *t, unsigned rix) {
    NM_VEC(nm_keyrow) pairs = {0};
    uint64_t keys[NM_KEYS_MAX];
    nm_vview *views = malloc(VIEW_CAP * sizeof *views);
    if (!views) return NM_E_NOMEM;
    /* Most rules give one or two keys per record: reserve once rather than
     * doubling (each doubling of a huge array copies it and faults new pages). */
    if (NM_VEC_RESERVE(&pairs, t->n + t->n / 2 + 16)) goto nomem;
    for (size_t r = 0; r < t->n; r++) {
        size_t nk = nm_block_keys_rows(t, r, ri->rule, rix, keys, views, VIEW_CAP);
        if (NM_VEC_RESERVE(&pairs, pairs.n + nk)) goto nomem;
        for (size_t k = 0; k < nk; k++) pairs.v[pairs.n++] = (nm_keyrow){keys[k], (uint32_t)r};
    }
    if (nm_sort_keyrow(pairs.v, pairs.n)) goto nomem;
    /* Distinct keys, rows per key (ascending: generation order, stable sort). */
    size_t nkeys = 0;
    for (size_t i = 0; i < pairs.n; i++)
        if (!i || pairs.v[i].key != pairs.v[i - 1].key) nkeys++;
    ri->keys = malloc((nkeys ? nkeys : 1) * sizeof *ri->keys);
    ri->start = malloc((nkeys + 1) * sizeof *ri->start);
    ri->rows = malloc((pairs.n ? pairs.n : 1) * sizeof *ri->rows);
    ri->dbits = 1;
    while (ri->dbits < 24 && ((size_t)1 << (ri->dbits + 2)) < nkeys) ri->dbits++;
    ri->dir = malloc((((size_t)1 << ri->dbits) + 1) * sizeof *ri->dir);
    if (!ri->keys || !ri->start || !ri->rows || !ri->dir) goto nomem;
    /* Each query probes random keys and blocks: 2 MiB pages spare the TLB misses. */
    nm_advise_huge(ri->keys, nkeys * sizeof *ri->keys);
    nm_advise_huge(ri->start, (nkeys + 1) * sizeof *ri->start);
    nm_advise_huge(ri->rows, pairs.n * sizeof *ri->rows);
    nm_advise_huge(ri->dir, (((size_t)1 << ri->dbits) + 1) * sizeof *ri->dir);
    size_t k = 0;
    for (size_t i = 0; i < pairs.n; i++) {
        if (!i || pairs.v[i].key != pairs.v[i - 1].key) {
            if (k) note_top(ri->top, (uint32_t)(ri->nrows - ri->start[k - 1]));
            ri->keys[k] = pairs.v[i].key;
            ri->start[k++] = (uint32_t)ri->nrows;
        }
        ri->rows[ri->nrows++] = pairs.v[i].row;
    }
    if (k) note_top(ri->top, (uint32_t)(ri->nrows - ri->start[k - 1]));
    ri->start[k] = (uint32_t)ri->nrows;
    ri->nkeys = nkeys;
    size_t nd = (size_t)1 << ri->dbits, j = 0;
    for (size_t d = 0; d <= nd; d++) {
        while (j < nkeys && (ri->keys[j] >> (64 - ri->dbits)) < d) j++;
        ri->dir[d] = (uint32_t)j;
    }
    ri->dir[nd] = (uint32_t)nkeys;
    NM_VEC_FREE(&pairs);
    free(views);
    return 0;
nomem:
    NM_VEC_FREE(&pairs);
    free(views);
    return NM_E_NOMEM;
}

int nm_index_build(nm_index *ix, const nm_rrows *t, const nm_blocking_rule *const *rules, size_t nrules,
                   int threads, nm_err *err) {
    memset(ix, 0, sizeof *ix);
    if (t->n > UINT32_MAX) return nm_err_set(err, NM_E_ARG, "index: too many records");
    ix->r = calloc(nrules ? nrules : 1, sizeof *ix->r);
    if (!ix->r) return nm_err_set(err, NM_E_NOMEM, "index: out of memory");
    ix->nrules = nrules;
    int rc = 0;
#pragma omp parallel for schedule(dynamic, 1) num_threads(threads > 0 ? threads : omp_get_max_threads())
    for (size_t i = 0; i < nrules; i++) {
        ix->r[i].rule = rules[i];
        int x = build_rule(&ix->r[i], t, (unsigned)i);
        if (x) {
#pragma omp atomic write
            rc = x;
        }
    }
    if (rc) {
        nm_index_free(ix);
        return nm_err_set(err, rc, "index: out of memory");
    }
    return 0;
}

void nm_index_free(nm_index *ix) {
    for (size_t i = 0; i < ix->nrules; i++) {
        free(ix->r[i].keys);
        free(ix->r[i].start);
        free(ix->r[i].rows);
        free(ix->r[i].dir);
    }
    free(ix->r);
    memset(ix, 0, sizeof *ix);
}

size_t nm_index_bytes(const nm_index *ix) {
    size_t s = 0;
    for (size_t i = 0; i < ix->nrules; i++)
        s += ix->r[i].nkeys * 12 + ix->r[i].nrows * 4 + (((size_t)1 << ix->r[i].dbits) + 1) * 4;
    return s;
}
