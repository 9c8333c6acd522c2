/* Shared fixture of the link and dedupe tests: a synthetic person dataset
 * with FEBRL's columns, made from an index (no randomness, so every test
 * run sees the same records), duplicates with one known corruption each,
 * CSV writing and reading helpers. */
#ifndef NM_TEST_LINK_FIXTURE_H
#define NM_TEST_LINK_FIXTURE_H

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "match/link.h"
#include "npimatch.h"

typedef struct lperson {
    char id[32], given[32], surname[32], stno[8], addr[48], suburb[32], postcode[8], state[8], dob[12], ssid[12];
} lperson;

static const char *const LSYL[] = {"ka", "lo", "mi", "ren", "tas", "vor", "bel", "dun", "fi", "gar",
                                   "hol", "jen", "kur", "lam", "nor", "pel", "quin", "ros", "sel", "tor"};

static inline void lfx_path(char *buf, size_t cap, const char *name) {
    mkdir(NM_TEST_TMPDIR, 0755);
    snprintf(buf, cap, "%s/%d_%s", NM_TEST_TMPDIR, (int)getpid(), name);
}

/* Person k: every field differs between persons (names from syllables). */
static inline void lfx_syl3(char *out, size_t cap, unsigned x, const char *tail) {
    snprintf(out, cap, "%s%s%s%s", LSYL[x % 20], LSYL[(x / 20) % 20], LSYL[(x / 400) % 20], tail);
}

static inline void lfx_person(lperson *p, unsigned k) {
    /* each field from its own permutation of 0..7999 (multipliers prime to
     * 8000), so neighbouring persons do not agree field by field */
    unsigned g = (k * 7919u) % 8000, s = (k * 3037u) % 8000, a = (k * 6007u) % 8000, b = (k * 1237u) % 8000;
    uint32_t h = k * 2654435761u;
    memset(p, 0, sizeof *p);
    snprintf(p->id, sizeof p->id, "rec-%u-org", k);
    lfx_syl3(p->given, sizeof p->given, g, "a");
    lfx_syl3(p->surname, sizeof p->surname, s, "son");
    snprintf(p->stno, sizeof p->stno, "%u", 1 + (h >> 3) % 300);
    lfx_syl3(p->addr, sizeof p->addr, a, " street");
    lfx_syl3(p->suburb, sizeof p->suburb, b, "ville");
    snprintf(p->postcode, sizeof p->postcode, "%u", 2000 + (h >> 11) % 2000);
    snprintf(p->state, sizeof p->state, "%s", (const char *[]){"nsw", "vic", "qld", "wa"}[k % 4]);
    snprintf(p->dob, sizeof p->dob, "19%02u%02u%02u", 20 + (h >> 5) % 80, 1 + (h >> 13) % 12, 1 + (h >> 19) % 28);
    snprintf(p->ssid, sizeof p->ssid, "%u", 1000000 + (k * 7919u) % 9000000);
}

/* A duplicate of p with one corruption (variant mod 5). */
static inline void lfx_dup(lperson *d, const lperson *p, unsigned k, unsigned variant) {
    *d = *p;
    snprintf(d->id, sizeof d->id, "rec-%u-dup-%u", k, variant);
    switch (variant % 5) {
    case 0: { char c = d->surname[1]; d->surname[1] = d->surname[2]; d->surname[2] = c; break; }
    case 1: d->given[strlen(d->given) - 1] = 'e'; break;
    case 2: d->dob[7] = d->dob[7] == '1' ? '2' : '1'; break;
    case 3: d->ssid[0] = 0; break;
    default: d->postcode[3] = d->postcode[3] == '9' ? '0' : (char)(d->postcode[3] + 1); break;
    }
}

/* Write persons as CSV with FEBRL's header (id column named idcol). */
static inline void lfx_write(const char *path, const lperson *ps, size_t n, const char *idcol) {
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    fprintf(f, "%s,given_name,surname,street_number,address_1,address_2,suburb,postcode,state,date_of_birth,soc_sec_id\n",
            idcol);
    for (size_t i = 0; i < n; i++) {
        const lperson *p = &ps[i];
        fprintf(f, "%s,%s,%s,%s,%s,,%s,%s,%s,%s,%s\n", p->id, p->given, p->surname, p->stno, p->addr, p->suburb,
                p->postcode, p->state, p->dob, p->ssid);
    }
    fclose(f);
}

static inline char *lfx_read(const char *path) {
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f, "cannot open %s", path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *b = malloc((size_t)n + 1);
    cr_assert_eq(fread(b, 1, (size_t)n, f), (size_t)n);
    b[n] = 0;
    fclose(f);
    return b;
}


/* Entity number of a fixture id ("rec-N-..."). */
static inline unsigned lfx_entity(const char *id) { return (unsigned)strtoul(id + 4, NULL, 10); }

/* Three fixture persons at `path`, then the raw lines `bad` (rows 5, 6, ...). */
static inline void lfx_write_with_bad_rows(const char *path, const char *bad) {
    lperson p[3];
    for (unsigned k = 0; k < 3; k++) lfx_person(&p[k], k);
    lfx_write(path, p, 3, "rec_id");
    FILE *f = fopen(path, "a");
    fputs(bad, f);
    fclose(f);
}

/* Run link (right != NULL) or dedupe with the bad-row report captured in rep. */
static inline void lfx_run_reported(const char *in, const char *right, const nm_model *m, const char *out,
                                    nm_link_stats *st, char *rep, size_t cap) {
    memset(rep, 0, cap);
    FILE *rf = fmemopen(rep, cap - 1, "w");
    nm_link_opts o = {1, -1, 0, {NULL, NULL}, {0, 0}, {NULL, NULL}, {0, 0}};
    nm_err e = {0};
    int rc = right ? nm_link_files(in, right, m, out, &o, st, rf, &e) : nm_dedupe_file(in, m, out, NULL, &o, st, rf, &e);
    fclose(rf);
    cr_assert_eq(rc, 0, "%s", e.msg);
}

/* 1 when the report names file:line. */
static inline int lfx_reported(const char *rep, const char *file, int line) {
    char want[600];
    snprintf(want, sizeof want, "%s:%d:", file, line);
    return strstr(rep, want) != NULL;
}

static inline nm_model *lfx_model(const char *name) {
    nm_model *m = NULL;
    nm_err e = {0};
    cr_assert_eq(nm_model_load(name, &m, &e), 0, "%s", e.msg);
    return m;
}

#endif
