/* HCP records matched to NPIs for resolution (registry_npi.h). */
#include "resolve/registry_npi.h"
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "common/error_internal.h"
#include "match/matcher.h"
#include "table/tables.h"

#define CHUNK 256

int nm_registry_npi_field(const nm_model *m) {
    for (size_t f = 0; f < nm_model_field_count(m); f++)
        if (!strcmp(nm_model_field(m, f)->name, NM_REGISTRY_NPI_FIELD)) return (int)f;
    return -1;
}

int nm_registry_npi_check(const nm_model *m, const char *registry, const char *state_dir, nm_err *err) {
    int f = nm_registry_npi_field(m);
    if (registry && f < 0)
        return nm_err_set(err, NM_E_ARG,
                          "--registry needs a model with a '%s' field (builtin:hcp_person); model '%s' of state %s "
                          "has none (a state built without --registry cannot switch: start a new state)",
                          NM_REGISTRY_NPI_FIELD, nm_model_name(m), state_dir);
    if (!registry && f >= 0)
        return nm_err_set(err, NM_E_ARG,
                          "state %s (model '%s') resolves records matched to NPIs: pass --registry REGISTRY.nmx",
                          state_dir, nm_model_name(m));
    return 0;
}

int nm_registry_npi_set(nm_rtable *t, size_t f, const uint32_t *npi) {
    nm_rcol *c = &t->col[f];
    if (c->needs) return NM_E_ARG;   /* no codes to derive for a plain identifier */
    c->roff.n = c->voff.n = 1;
    c->bytes.len = 0;
    for (size_t r = 0; r < t->n; r++) {
        if (npi && npi[r]) {
            char s[16];
            int n = snprintf(s, sizeof s, "%010u", npi[r]);
            if (nm_buf_append(&c->bytes, s, (size_t)n) || NM_VEC_PUSH(&c->voff, (uint32_t)c->bytes.len)) return NM_E_NOMEM;
        }
        if (NM_VEC_PUSH(&c->roff, (uint32_t)(c->voff.n - 1))) return NM_E_NOMEM;
    }
    return 0;
}

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

int nm_registry_npi_match(const char *registry, const char *input, const char *data, size_t len, size_t nrows, const uint32_t *rows, size_t n,
                          int threads, uint32_t *npi, nm_registry_npi_stats *st, nm_err *err) {
    double t0 = now_s();
    memset(st, 0, sizeof *st);
    nm_model *m = NULL;
    nm_registry *reg = NULL;
    nm_matcher *mt = NULL;
    nm_mworker *wk = NULL;
    nm_input in;
    memset(&in, 0, sizeof in);
    nm_match_opts mo = {threads, 0, -1, -1, 0};
    int rc = nm_model_load(NM_REGISTRY_MATCH_MODEL, &m, err);
    if (!rc) rc = nm_registry_load_for_match(registry, m, &reg, err);
    if (!rc) rc = nm_matcher_create(reg, m, &mo, &mt, err);
    /* The rows again, in the matcher's fields (the resolution model's differ);
     * rejected rows were reported by the resolution read, not again here. */
    nm_input_opts io = {NULL, 0, threads, data, len};
    if (!rc) rc = nm_input_read(&in, input, mt->m, &io, err);
    if (!rc && in.t.n != nrows)
        rc = nm_err_set(err, NM_E_FORMAT, "%s: %zu rows read for matching, %zu for resolution (the file changed?)", input,
                        in.t.n, nrows);
    if (!rc && !(wk = calloc((size_t)mt->threads, sizeof *wk))) rc = nm_err_set(err, NM_E_NOMEM, "resolve: out of memory");
    for (int t = 0; !rc && t < mt->threads; t++)
        if (nm_mworker_init(&wk[t], mt)) rc = nm_err_set(err, NM_E_NOMEM, "resolve: out of memory");
    uint64_t cnt[3] = {0, 0, 0};
    if (!rc) {
        int x = 0;
        size_t nch = (n + CHUNK - 1) / CHUNK;
        /* Each row's decision depends on that row alone: any schedule gives
         * the same NPIs. */
#pragma omp parallel for schedule(dynamic, 1) num_threads(mt->threads) reduction(+ : cnt[:3])
        for (size_t k = 0; k < nch; k++) {
            nm_mworker *w = &wk[omp_get_thread_num()];
            for (size_t i = k * CHUNK; i < n && i < (k + 1) * CHUNK; i++) {
                uint32_t r = rows[i];
                nm_decision d = {NM_DECIDE_UNMATCHED, 0, 0, -1, 0, 0, 0, 0};
                if (r < in.t.n && in.reason.v[r] == NM_R_COUNT && nm_match_decide(mt, w, &in.t, r, &d)) {
#pragma omp atomic write
                    x = NM_E_NOMEM;
                }
                npi[r] = d.npi;
                cnt[d.status]++;
            }
        }
        if (x) rc = nm_err_set(err, x, "resolve: out of memory while matching to NPIs");
    }
    st->matched = cnt[NM_DECIDE_MATCHED];
    st->ambiguous = cnt[NM_DECIDE_AMBIGUOUS];
    st->unmatched = cnt[NM_DECIDE_UNMATCHED];
    for (int t = 0; wk && mt && t < mt->threads; t++) nm_mworker_free(&wk[t]);
    free(wk);
    nm_input_free(&in);
    nm_matcher_free(mt);
    nm_registry_free(reg);
    nm_model_free(m);
    st->seconds = now_s() - t0;
    return rc;
}
