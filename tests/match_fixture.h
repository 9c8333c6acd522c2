/* Shared fixture of the matching tests: a small NPPES main file written
 * column by column (330-column layout), built into a registry, and helpers
 * to run nm_match_file on an input CSV and read the output rows. */
#ifndef NM_TEST_MATCH_FIXTURE_H
#define NM_TEST_MATCH_FIXTURE_H

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "common/arena.h"
#include "common/data.h"
#include "gen/gen.h"
#include "match/hcp_sample.h"
#include "npimatch.h"

/* NPPES main-file columns (0-based, Readme layout). */
enum {
    C_NPI = 0, C_ENTITY = 1, C_ORG = 4, C_LAST = 5, C_FIRST = 6, C_MIDDLE = 7, C_CRED = 10,
    C_MAIL1 = 20, C_MAIL_CITY = 22, C_MAIL_STATE = 23, C_MAIL_ZIP = 24, C_MAIL_PHONE = 26,
    C_PRAC1 = 28, C_PRAC2 = 29, C_PRAC_CITY = 30, C_PRAC_STATE = 31, C_PRAC_ZIP = 32, C_PRAC_PHONE = 34,
    C_TAX1 = 47, C_LIC1 = 48, C_LICST1 = 49, C_NCOLS = 330
};

typedef struct prov {
    int entity;
    const char *first, *middle, *last, *cred, *org;
    const char *line1, *city, *state, *zip, *phone;
    const char *tax, *lic, *licst;
} prov;

/* The NPI of provider i of the fixture (valid check digit). */
static inline void fx_npi(size_t i, char out[11]) { nm_gen_npi(99, i, out); }

static inline void fx_path(char *buf, size_t cap, const char *name) {
    mkdir(NM_TEST_TMPDIR, 0755);
    snprintf(buf, cap, "%s/%s", NM_TEST_TMPDIR, name);
}

static inline void fx_write(const char *path, const char *s) {
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    fputs(s, f);
    fclose(f);
}

/* Write providers p[0..n) as an NPPES main file and build a registry. */
static inline nm_registry *fx_registry(const prov *p, size_t n, const char *name) {
    size_t hl;
    const char *hdr = nm_data_get("nppes_header_330.csv", &hl);
    cr_assert_not_null(hdr);
    nm_buf b = {0};
    nm_buf_append(&b, hdr, hl);
    if (b.data[b.len - 1] != '\n') nm_buf_putc(&b, '\n');
    for (size_t i = 0; i < n; i++) {
        const char *col[C_NCOLS] = {0};
        char npi[11], ent[2] = {(char)('0' + p[i].entity), 0};
        fx_npi(i, npi);
        col[C_NPI] = npi;
        col[C_ENTITY] = ent;
        col[C_ORG] = p[i].org;
        col[C_LAST] = p[i].last;
        col[C_FIRST] = p[i].first;
        col[C_MIDDLE] = p[i].middle;
        col[C_CRED] = p[i].cred;
        col[C_MAIL1] = col[C_PRAC1] = p[i].line1;
        col[C_MAIL_CITY] = col[C_PRAC_CITY] = p[i].city;
        col[C_MAIL_STATE] = col[C_PRAC_STATE] = p[i].state;
        col[C_MAIL_ZIP] = col[C_PRAC_ZIP] = p[i].zip;
        col[C_MAIL_PHONE] = col[C_PRAC_PHONE] = p[i].phone;
        col[C_TAX1] = p[i].tax ? p[i].tax : (p[i].entity == 1 ? "207R00000X" : "261QM1300X");
        col[C_LIC1] = p[i].lic;
        col[C_LICST1] = p[i].licst;
        col[36] = "01/01/2010";
        col[37] = "01/01/2020";
        for (int c = 0; c < C_NCOLS; c++) nm_buf_printf(&b, "%s\"%s\"", c ? "," : "", col[c] ? col[c] : "");
        nm_buf_putc(&b, '\n');
    }
    char path[512];
    fx_path(path, sizeof path, name);
    fx_write(path, b.data);
    nm_buf_free(&b);
    const char *paths[1] = {path};
    nm_index_opts io = {.quiet = 1};
    nm_registry *r = NULL;
    nm_err e;
    cr_assert_eq(nm_registry_build(paths, 1, &io, &r, NULL, &e), 0, "%s", e.msg);
    return r;
}

/* A matching suite's setup: providers p[0..n) as registry file
 * "<prefix>_<pid>.csv" (suites run in parallel processes), and the shipped
 * HCP model. fx_hcp_free releases both. */
static inline void fx_hcp_setup(const prov *p, size_t n, const char *prefix, nm_registry **reg, nm_model **model) {
    char name[64];
    snprintf(name, sizeof name, "%s_%d.csv", prefix, (int)getpid());
    *reg = fx_registry(p, n, name);
    nm_err e;
    cr_assert_eq(nm_model_load("builtin:hcp", model, &e), 0, "%s", e.msg);
}

static inline void fx_hcp_free(nm_registry *reg, nm_model *model) {
    nm_registry_free(reg);
    nm_model_free(model);
}

/* Run the matcher on CSV text; returns the output file's contents (malloc'ed). */
static inline char *fx_match(nm_matcher *mt, const char *csv, const char *name, nm_match_stats *st) {
    char in[512], out[600];
    fx_path(in, sizeof in, name);
    snprintf(out, sizeof out, "%s.out.csv", in);
    fx_write(in, csv);
    nm_err e = {0};
    FILE *devnull = fopen("/dev/null", "w");
    cr_assert_eq(nm_match_file(mt, in, out, NULL, st, devnull, &e), 0, "%s", e.msg);
    fclose(devnull);
    FILE *f = fopen(out, "r");
    cr_assert_not_null(f);
    char *buf = calloc(1, 1 << 22);
    size_t n = fread(buf, 1, (1 << 22) - 1, f);
    buf[n] = 0;
    fclose(f);
    return buf;
}

/* Field k of output row `row` (0 = header) into out; quotes are not expected. */
static inline const char *fx_field(const char *text, int row, int k, char *out, size_t cap) {
    const char *p = text;
    for (int i = 0; i < row && p; i++) {
        p = strchr(p, '\n');
        if (p) p++;
    }
    cr_assert(p && *p, "row %d missing", row);
    for (int i = 0; i < k; i++) {
        p = strpbrk(p, ",\n");
        cr_assert(p && *p == ',', "field %d missing in row %d", k, row);
        p++;
    }
    size_t n = 0;
    while (p[n] && p[n] != ',' && p[n] != '\n' && n + 1 < cap) out[n] = p[n], n++;
    out[n] = 0;
    return out;
}

#endif
