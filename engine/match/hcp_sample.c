/* HCP sample input from registry rows (hcp_sample.h). */
#include "match/hcp_sample.h"
#include <stdio.h>
#include <string.h>
#include "gen/gen.h"
#include "npimatch/normalize.h"
#include "output/csv_out.h"
#include "registry/registry_internal.h"

static const char HEADER[] =
    "record_id,first_name,middle_name,last_name,suffix,credential,organization_name,npi,address_line1,"
    "address_line2,city,state,postal_code,phone,taxonomy_code,license_number,license_state\n";

/* One typing error: swap two neighbours, drop or double a letter. */
static void typo(nm_rng *g, char *s) {
    size_t n = strlen(s);
    if (n < 3) return;
    size_t i = 1 + nm_rng_below(g, (uint32_t)(n - 2));
    switch (nm_rng_below(g, 3)) {
    case 0: { char c = s[i]; s[i] = s[i + 1]; s[i + 1] = c; break; }
    case 1: memmove(s + i, s + i + 1, n - i); break;
    default:
        if (n + 1 < 64) { memmove(s + i + 1, s + i, n - i + 1); }
        break;
    }
}

static void put(nm_buf *b, const char *s, size_t n) { nm_csv_put(b, s, n, 0); }
static void puts_(nm_buf *b, const char *s) { put(b, s, strlen(s)); }
static void putstr(nm_buf *b, nm_str s, int keep) { put(b, keep ? s.p : "", keep ? s.len : 0); }

int nm_hcp_sample(const nm_registry *r, const nm_hcp_sample_opts *o, nm_buf *csv, nm_buf *truth) {
    if (nm_buf_append(csv, HEADER, sizeof HEADER - 1) || nm_buf_append(truth, "record_id,npi\n", 14)) return NM_E_NOMEM;
    if (!r->n) return 0;
    nm_reg_main m;
    double e = o->error_rate;
    for (uint64_t k = 0; k < o->records; k++) {
        nm_rng g;
        nm_rng_seed(&g, o->seed, k);
        size_t row;
        int tries = 0;
        do row = nm_rng_below(&g, (uint32_t)r->n);
        while (r->entity[row] == 0 && ++tries < 100);
        int absent = nm_rng_chance(&g, o->absent);
        nm_reg_main_decode(r, row, &m);
        const nm_str *F = m.f;
        char id[32], npi[16];
        snprintf(id, sizeof id, "R%08llu", (unsigned long long)k);
        snprintf(npi, sizeof npi, "%010u", r->npi[row]);
        nm_buf_printf(truth, "%s,%s\n", id, absent ? "" : npi);
        nm_buf_append(csv, id, strlen(id));
        char first[64] = "", last[64] = "", middle[64] = "";
        snprintf(first, sizeof first, "%.*s", (int)F[NM_MF_FIRST].len, F[NM_MF_FIRST].p ? F[NM_MF_FIRST].p : "");
        snprintf(last, sizeof last, "%.*s", (int)F[NM_MF_LAST].len, F[NM_MF_LAST].p ? F[NM_MF_LAST].p : "");
        snprintf(middle, sizeof middle, "%.*s", (int)F[NM_MF_MIDDLE].len, F[NM_MF_MIDDLE].p ? F[NM_MF_MIDDLE].p : "");
        if (absent) {
            /* A provider the registry does not have, working at another
             * provider's location (a colleague not enumerated yet): made-up
             * names, that provider's address and phone. */
            if (last[0]) snprintf(last, sizeof last, "ZQX%04uVORTH", nm_rng_below(&g, 10000));
            if (first[0]) snprintf(first, sizeof first, "QUIL%03u", nm_rng_below(&g, 1000));
            size_t other = row;
            for (int k2 = 0; k2 < 100 && (other == row || r->entity[other] != r->entity[row]); k2++)
                other = nm_rng_below(&g, (uint32_t)r->n);
            row = other;
            char keep_first[64], keep_last[64], keep_mid[64];
            memcpy(keep_first, first, 64), memcpy(keep_last, last, 64), memcpy(keep_mid, middle, 64);
            nm_reg_main_decode(r, row, &m);
            memcpy(first, keep_first, 64), memcpy(last, keep_last, 64), memcpy(middle, keep_mid, 64);
        }
        if (r->entity[row] == 1) {
            double x = nm_rng_unit(&g);
            if (x < 0.05 * e) typo(&g, first);
            else if (x < 0.08 * e) first[1] = 0;   /* initial only */
            else if (x < 0.12 * e) {
                uint32_t gid;
                if (nm_nickname_groups(nm_nicknames_default(), first, strlen(first), &gid, 1)) {
                    const char *formal = nm_nickname_group_name(nm_nicknames_default(), gid);
                    if (formal) snprintf(first, sizeof first, "%s", formal);
                }
            }
            if (nm_rng_chance(&g, 0.05 * e)) typo(&g, last);
            if (nm_rng_chance(&g, 0.5)) middle[0] = 0;
            else if (nm_rng_chance(&g, 0.4)) middle[1] = 0;
        }
        puts_(csv, first);
        puts_(csv, middle);
        puts_(csv, last);
        putstr(csv, F[NM_MF_SUFFIX], nm_rng_chance(&g, 0.5));
        putstr(csv, F[NM_MF_CREDENTIAL], nm_rng_chance(&g, 0.5));
        char org[128];
        snprintf(org, sizeof org, "%.*s", (int)F[NM_MF_ORG_NAME].len, F[NM_MF_ORG_NAME].p ? F[NM_MF_ORG_NAME].p : "");
        if (org[0] && nm_rng_chance(&g, 0.1 * e)) typo(&g, org);
        if (org[0] && absent) snprintf(org, sizeof org, "ZQX%04u VORTH CARE", nm_rng_below(&g, 10000));
        puts_(csv, org);
        /* NPI: often supplied, sometimes mistyped or another provider's. */
        double x = nm_rng_unit(&g);
        if (absent || x < 0.4) puts_(csv, "");
        else if (x < 0.4 + 0.05 * e) { npi[3 + nm_rng_below(&g, 6)] ^= 1; puts_(csv, npi); }
        else if (x < 0.4 + 0.08 * e) nm_csv_putf(csv, 0, "%010u", r->npi[nm_rng_below(&g, (uint32_t)r->n)]);
        else puts_(csv, npi);
        /* Address: practice, mailing, or none. */
        x = nm_rng_unit(&g);
        int base = x < 0.72 ? NM_MF_PRAC_LINE1 : x < 0.95 ? NM_MF_MAIL_LINE1 : -1;
        if (base < 0) {
            for (int i = 0; i < 6; i++) puts_(csv, "");
        } else {
            int off = base - NM_MF_PRAC_LINE1;
            putstr(csv, F[NM_MF_PRAC_LINE1 + off], 1);
            putstr(csv, F[NM_MF_PRAC_LINE2 + off], 1);
            putstr(csv, F[NM_MF_PRAC_CITY + off], 1);
            putstr(csv, F[NM_MF_PRAC_STATE + off], 1);
            nm_str z = F[NM_MF_PRAC_POSTAL + off];
            if (z.len > 5 && nm_rng_chance(&g, 0.5)) z.len = 5;
            putstr(csv, z, 1);
            putstr(csv, F[NM_MF_PRAC_PHONE + off], nm_rng_chance(&g, 0.5));
        }
        int t0 = m.ntax > 0;
        putstr(csv, t0 ? m.tax[0][NM_TF_CODE] : (nm_str){0}, t0 && nm_rng_chance(&g, 0.4));
        int lic = t0 && !absent && nm_rng_chance(&g, 0.3);
        putstr(csv, t0 ? m.tax[0][NM_TF_LICENSE] : (nm_str){0}, lic);
        putstr(csv, t0 ? m.tax[0][NM_TF_LICENSE_STATE] : (nm_str){0}, lic);
        if (nm_buf_putc(csv, '\n')) return NM_E_NOMEM;
    }
    return 0;
}
