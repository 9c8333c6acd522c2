/* The registry side of the record table: the HCP preset maps model field
 * names to NPPES columns (NPPES Readme, data dissemination file layout).
 * Every location counts: the practice location, the mailing address and the
 * secondary practice locations (pl_pfile) give addresses, cities, states,
 * ZIPs and phones; the other name of an individual (former surname) and the
 * other organization names (main file and othername_pfile) give names; the
 * 15 taxonomy groups give taxonomy codes and licence number/state pairs
 * (kept aligned, so licence i is compared with its own state).
 *
 * Row i is registry row i (stub rows of deactivation lists are empty
 * records). Rows are built in parallel chunks appended in order, so the
 * row store is identical for any thread count. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "common/error_internal.h"
#include <omp.h>
#include "registry/registry_internal.h"
#include "table/rows.h"
#include "table/tables.h"

enum src {
    S_NONE, S_NPI, S_FIRST, S_MIDDLE, S_LAST, S_SUFFIX, S_CRED, S_ORG, S_LICNUM, S_LICSTATE, S_TAXONOMY,
    S_ADDRESS, S_CITY, S_STATE, S_POSTAL, S_PHONE
};

static const struct { const char *name; uint8_t src; } PRESET[] = {
    {"npi", S_NPI}, {"first_name", S_FIRST}, {"given_name", S_FIRST}, {"middle_name", S_MIDDLE},
    {"last_name", S_LAST}, {"surname", S_LAST}, {"suffix", S_SUFFIX}, {"credential", S_CRED},
    {"organization_name", S_ORG}, {"license_number", S_LICNUM}, {"license_state", S_LICSTATE},
    {"taxonomy_code", S_TAXONOMY}, {"taxonomy", S_TAXONOMY}, {"address", S_ADDRESS}, {"city", S_CITY},
    {"state", S_STATE}, {"postal_code", S_POSTAL}, {"zip", S_POSTAL}, {"phone", S_PHONE},
};

static uint8_t source_of(const char *field) {
    for (size_t i = 0; i < sizeof PRESET / sizeof PRESET[0]; i++)
        if (!strcmp(PRESET[i].name, field)) return PRESET[i].src;
    return S_NONE;
}

int nm_registry_has_field(const char *field) { return source_of(field) != S_NONE; }

#define ADD(s) NM_TRY(nm_rtable_add(t, f, (s).p, (s).len, 0))

static int add_row(nm_rtable *t, const nm_registry *r, size_t row, const uint8_t *src, nm_reg_main *m) {
    if (r->entity[row] == 0) return nm_rtable_end_record(t);   /* stub: NPI known, nothing else */
    nm_reg_main_decode(r, row, m);
    const nm_str *F = m->f;
    uint32_t b, e;
    for (size_t f = 0; f < t->nfields; f++) {
        switch (src[f]) {
        case S_NPI: {
            char npi[16];
            int n = snprintf(npi, sizeof npi, "%010u", r->npi[row]);
            NM_TRY(nm_rtable_add(t, f, npi, (size_t)n, 0));
            break;
        }
        case S_FIRST: ADD(F[NM_MF_FIRST]); ADD(F[NM_MF_OTH_FIRST]); break;
        case S_MIDDLE: ADD(F[NM_MF_MIDDLE]); ADD(F[NM_MF_OTH_MIDDLE]); break;
        case S_LAST: ADD(F[NM_MF_LAST]); ADD(F[NM_MF_OTH_LAST]); break;
        case S_SUFFIX: ADD(F[NM_MF_SUFFIX]); break;
        case S_CRED: ADD(F[NM_MF_CREDENTIAL]); ADD(F[NM_MF_OTH_CREDENTIAL]); break;
        case S_ORG:
            ADD(F[NM_MF_ORG_NAME]);
            ADD(F[NM_MF_OTH_ORG]);
            nm_reg_list_range(&r->on, row, &b, &e);
            for (uint32_t i = b; i < e; i++) {
                nm_str on[NM_OF_COUNT];
                nm_reg_on_decode(r, i, on);
                ADD(on[NM_OF_NAME]);
            }
            break;
        case S_LICNUM:
        case S_LICSTATE: {
            int k = src[f] == S_LICNUM ? NM_TF_LICENSE : NM_TF_LICENSE_STATE;
            for (int i = 0; i < m->ntax; i++)
                if (m->tax[i][NM_TF_LICENSE].len)
                    NM_TRY(nm_rtable_add(t, f, m->tax[i][k].p, m->tax[i][k].len, 1));
            break;
        }
        case S_TAXONOMY:
            for (int i = 0; i < m->ntax; i++) ADD(m->tax[i][NM_TF_CODE]);
            break;
        case S_ADDRESS:
            NM_TRY(nm_rtable_add2(t, f, F[NM_MF_PRAC_LINE1].p, F[NM_MF_PRAC_LINE1].len, F[NM_MF_PRAC_LINE2].p,
                                  F[NM_MF_PRAC_LINE2].len, 0));
            NM_TRY(nm_rtable_add2(t, f, F[NM_MF_MAIL_LINE1].p, F[NM_MF_MAIL_LINE1].len, F[NM_MF_MAIL_LINE2].p,
                                  F[NM_MF_MAIL_LINE2].len, 0));
            break;
        case S_CITY: ADD(F[NM_MF_PRAC_CITY]); ADD(F[NM_MF_MAIL_CITY]); break;
        case S_STATE: ADD(F[NM_MF_PRAC_STATE]); ADD(F[NM_MF_MAIL_STATE]); break;
        case S_POSTAL: ADD(F[NM_MF_PRAC_POSTAL]); ADD(F[NM_MF_MAIL_POSTAL]); break;
        case S_PHONE: ADD(F[NM_MF_PRAC_PHONE]); ADD(F[NM_MF_MAIL_PHONE]); break;
        default: break;
        }
        /* Secondary practice locations (pl_pfile) add to the location fields. */
        if (src[f] >= S_ADDRESS) {
            nm_reg_list_range(&r->pl, row, &b, &e);
            for (uint32_t i = b; i < e; i++) {
                nm_str pl[NM_PF_COUNT];
                nm_reg_pl_decode(r, i, pl);
                switch (src[f]) {
                case S_ADDRESS:
                    NM_TRY(nm_rtable_add2(t, f, pl[NM_PF_LINE1].p, pl[NM_PF_LINE1].len, pl[NM_PF_LINE2].p,
                                          pl[NM_PF_LINE2].len, 0));
                    break;
                case S_CITY: ADD(pl[NM_PF_CITY]); break;
                case S_STATE: ADD(pl[NM_PF_STATE]); break;
                case S_POSTAL: ADD(pl[NM_PF_POSTAL]); break;
                case S_PHONE: ADD(pl[NM_PF_PHONE]); break;
                default: break;
                }
            }
        }
    }
    return nm_rtable_end_record(t);
}

#define CHUNK_ROWS 16384
#define WINDOW 16

/* Registry rows [lo, hi) into a reset chunk table. */
static int build_chunk(nm_rtable *part, const nm_registry *r, const uint8_t *src, size_t lo, size_t hi) {
    nm_reg_main *dm = malloc(sizeof *dm);
    if (!dm) return NM_E_NOMEM;
    nm_rtable_reset(part);
    int rc = 0;
    for (size_t row = lo; row < hi && !rc; row++) rc = add_row(part, r, row, src, dm);
    free(dm);
    return rc;
}

int nm_rrows_from_registry(nm_rrows *rr, const nm_registry *r, const nm_model *m, int threads, nm_err *err) {
    uint8_t src[NM_MAX_FIELDS];
    size_t nf = nm_model_field_count(m);
    for (size_t f = 0; f < nf; f++) src[f] = source_of(nm_model_field(m, f)->name);
    size_t n = r->n, nchunks = (n + CHUNK_ROWS - 1) / CHUNK_ROWS;
    nm_rtable part[WINDOW];
    nm_buf bytes[WINDOW];
    uint64_t *offs = malloc((size_t)WINDOW * CHUNK_ROWS * sizeof *offs);
    memset(bytes, 0, sizeof bytes);
    int rc = offs ? 0 : NM_E_NOMEM;
    size_t made = 0;
    for (; !rc && made < WINDOW; made++)
        if ((rc = nm_rtable_init(&part[made], m))) break;
    if (!rc) rc = nm_rrows_begin(rr, &part[0], n);
    for (size_t w = 0; w < nchunks && !rc; w += WINDOW) {
        size_t nw = NM_MIN(WINDOW, nchunks - w);
        int prc[WINDOW] = {0};
#pragma omp parallel for schedule(dynamic, 1) num_threads(threads > 0 ? threads : omp_get_max_threads())
        for (size_t k = 0; k < nw; k++) {
            size_t lo = (w + k) * CHUNK_ROWS;
            bytes[k].len = 0;
            prc[k] = build_chunk(&part[k], r, src, lo, NM_MIN(n, lo + CHUNK_ROWS));
            if (!prc[k]) prc[k] = nm_rrows_put(&bytes[k], offs + k * CHUNK_ROWS, &part[k]);
        }
        for (size_t k = 0; k < nw && !rc; k++) {
            rc = prc[k];
            if (!rc && w == 0 && k == 0 && nchunks > 1)   /* size the blob once from the first chunk (+10%) */
                rc = nm_buf_reserve(&rr->blob, (size_t)((double)bytes[0].len * (double)n / (double)part[0].n * 1.1));
            if (!rc) rc = nm_rrows_append(rr, &bytes[k], offs + k * CHUNK_ROWS, part[k].n);
        }
    }
    for (size_t k = 0; k < made; k++) nm_rtable_free(&part[k]);
    for (size_t k = 0; k < WINDOW; k++) nm_buf_free(&bytes[k]);
    free(offs);
    if (rc) {
        nm_rrows_free(rr);
        return nm_err_set(err, rc, "registry rows: out of memory");
    }
    return 0;
}
