/* Tests of gen patients (engine/gen/gen_patients.c): same seed same bytes,
 * truth covers every record, deletions reference records already sent,
 * duplicates within and across sources, hard negatives (twins, Jr/Sr pairs,
 * very common names) with distinct person ids, birth-date forms, and the
 * realised error rates against docs/error-model.md. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>
#include "common/arena.h"
#include "common/io.h"
#include "gen/gen.h"
#include "gen/labelled.h"
#include "ingest/csv.h"

enum { S_SRC, S_ID, S_FIRST, S_MIDDLE, S_LAST, S_SUFFIX, S_DOB, S_SEX, S_LINE1, S_LINE2, S_CITY, S_STATE, S_ZIP, S_PHONE,
       S_EMAIL, S_NCOL };

typedef struct row {
    char f[S_NCOL][80];
    int night;
    int person;   /* from the truth */
} row;

typedef NM_VEC(row) rowvec;

static void dir_of(char *out, size_t cap, const char *name) {
    snprintf(out, cap, "%s/genpat_%d_%s", NM_TEST_TMPDIR, (int)getpid(), name);
}

static int g_threads = 2;
static void gen(const char *dir, uint64_t rows, uint64_t seed, int k, int t, nm_gen_counts *c) {
    nm_gen_patients_opts o = {.rows = rows, .seed = seed, .sources = k, .nights = t, .threads = g_threads, .dir = dir, .counts = c};
    nm_err err = {0};
    cr_assert_eq(nm_gen_patients(&o, &err), 0, "%s", err.msg);
}

/* Read a CSV into rows (ncol fields each); returns 0 when the file is absent. */
static int read_csv(const char *path, int ncol, rowvec *out, int night) {
    if (access(path, F_OK)) return 0;
    nm_csv *c;
    nm_err err;
    cr_assert_eq(nm_csv_open(path, NULL, &c, &err), 0, "%s", err.msg);
    cr_assert_eq((int)nm_csv_ncols(c), ncol);
    nm_csv_row r;
    int rc;
    while ((rc = nm_csv_next(c, &r, &err)) == 1) {
        cr_assert_eq(r.error, NM_R_COUNT);
        cr_assert_eq((int)r.nfields, ncol, "%s:%llu", path, (unsigned long long)r.line);
        row x;
        memset(&x, 0, sizeof x);
        for (int i = 0; i < ncol; i++) nm_csv_unescape(&r.f[i], x.f[i], sizeof x.f[i]);
        x.night = night;
        cr_assert_eq(NM_VEC_PUSH(out, x), 0);
    }
    cr_assert_eq(rc, 0, "%s", err.msg);
    nm_csv_close(c);
    return 1;
}

static int cmp_key(const void *a, const void *b) {
    const row *x = a, *y = b;
    int c = strcmp(x->f[0], y->f[0]);
    return c ? c : strcmp(x->f[1], y->f[1]);
}

static row *find(rowvec *truth, const row *k) { return bsearch(k, truth->v, truth->n, sizeof *truth->v, cmp_key); }

static char *slurp(const char *path, size_t *len) {
    char *p;
    nm_err err;
    cr_assert_eq(nm_read_all(path, &p, len, &err), 0, "%s", err.msg);
    return p;
}

Test(gen_patients, same_seed_same_bytes_any_threads) {
    char a[512], b[512], pa[600], pb[600];
    dir_of(a, sizeof a, "a"), dir_of(b, sizeof b, "b");
    g_threads = 1;
    gen(a, 10000, 8, 3, 4, NULL);
    g_threads = 2;
    gen(b, 10000, 8, 3, 4, NULL);
    const char *files[] = {"truth.csv", "night_01.csv", "night_02.csv", "night_03.csv", "night_04.csv",
                           "night_02_deletes.csv", "night_03_deletes.csv", "night_04_deletes.csv"};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        snprintf(pa, sizeof pa, "%s/%s", a, files[i]);
        snprintf(pb, sizeof pb, "%s/%s", b, files[i]);
        cr_assert_eq(access(pa, F_OK), access(pb, F_OK), "%s", files[i]);
        if (access(pa, F_OK)) continue;
        size_t la, lb;
        char *x = slurp(pa, &la), *y = slurp(pb, &lb);
        cr_assert(la == lb && !memcmp(x, y, la), "%s differs", files[i]);
        free(x), free(y);
        unlink(pb);
    }
    gen(b, 10000, 9, 3, 4, NULL);
    snprintf(pa, sizeof pa, "%s/night_01.csv", a);
    snprintf(pb, sizeof pb, "%s/night_01.csv", b);
    size_t la, lb;
    char *x = slurp(pa, &la), *y = slurp(pb, &lb);
    cr_assert(la != lb || memcmp(x, y, la), "another seed, other data");
    free(x), free(y);
}

static int dob_ymd(const char *s, int *y, int *m, int *d) {
    if (strlen(s) == 10 && s[4] == '-') return sscanf(s, "%d-%d-%d", y, m, d) == 3;
    if (strlen(s) == 10 && s[2] == '/') return sscanf(s, "%d/%d/%d", m, d, y) == 3;
    return 0;
}

static int cmp_hh(const void *a, const void *b) {
    const row *x = *(const row *const *)a, *y = *(const row *const *)b;
    int c = strcasecmp(x->f[S_LINE1], y->f[S_LINE1]);
    if (!c) c = strcasecmp(x->f[S_LAST], y->f[S_LAST]);
    return c ? c : (x->person > y->person) - (x->person < y->person);
}

Test(gen_patients, truth_deletes_duplicates_hard_negatives) {
    char dir[512], p[600];
    dir_of(dir, sizeof dir, "s");
    const int K = 3, T = 4;
    nm_gen_counts cnt;
    gen(dir, 8000, 4, K, T, &cnt);
    rowvec truth = {0}, rows = {0}, dels = {0};
    snprintf(p, sizeof p, "%s/truth.csv", dir);
    cr_assert(read_csv(p, 3, &truth, 0));
    cr_assert_eq(truth.n, 8000);
    qsort(truth.v, truth.n, sizeof *truth.v, cmp_key);
    for (size_t i = 0; i + 1 < truth.n; i++) cr_assert_neq(cmp_key(&truth.v[i], &truth.v[i + 1]), 0, "unique keys");
    for (size_t i = 0; i < truth.n; i++) truth.v[i].person = atoi(truth.v[i].f[2] + 1), truth.v[i].night = 0;
    /* Deletions: the record was sent on an earlier night and is not sent after. */
    int total_dels = 0;
    for (int n = 1; n <= T; n++) {
        snprintf(p, sizeof p, "%s/night_%02d.csv", dir, n);
        cr_assert(read_csv(p, S_NCOL, &rows, n));
        for (size_t i = 0; i < rows.n; i++) {
            if (rows.v[i].night != n) continue;
            row *t = find(&truth, &rows.v[i]);
            cr_assert(t, "every record is in the truth");
            cr_assert_neq(t->night, -1, "no record is sent after its deletion");
            if (!t->night) t->night = n;
            rows.v[i].person = t->person;
        }
        size_t before = dels.n;
        snprintf(p, sizeof p, "%s/night_%02d_deletes.csv", dir, n);
        if (read_csv(p, 2, &dels, n)) {
            cr_assert_neq(n, 1, "nothing to delete on the first night");
            for (size_t i = before; i < dels.n; i++) {
                row *t = find(&truth, &dels.v[i]);
                cr_assert(t && t->night > 0 && t->night < n, "a deletion references a record sent before");
                t->night = -1;
                total_dels++;
            }
        }
    }
    cr_assert_gt(total_dels, 50);
    for (size_t i = 0; i < truth.n; i++) cr_assert_neq(truth.v[i].night, 0, "every truth record is sent");
    cr_assert_gt(rows.n, truth.n, "updates re-send records");
    /* Duplicates: persons with records in several sources and twice in one. */
    int maxp = 0;
    for (size_t i = 0; i < truth.n; i++) maxp = truth.v[i].person > maxp ? truth.v[i].person : maxp;
    int *srcmask = calloc((size_t)maxp + 1, sizeof *srcmask), *nrec = calloc((size_t)maxp + 1, sizeof *nrec);
    int cross = 0, within = 0;
    for (size_t i = 0; i < truth.n; i++) {
        int s = atoi(truth.v[i].f[0] + 3), pp = truth.v[i].person;
        if (srcmask[pp] & (1 << s)) within++;
        srcmask[pp] |= 1 << s;
        nrec[pp]++;
    }
    for (int i = 0; i <= maxp; i++) cross += __builtin_popcount((unsigned)srcmask[i]) > 1;
    cr_assert_gt(cross, 300, "persons in several sources: %d", cross);
    cr_assert_gt(within, 100, "duplicates within a source: %d", within);
    /* Hard negatives, looked for in the first-night rows: same address line and
     * last name, different persons: twins (same birth date, other first name)
     * and Jr/Sr (same first name, birth years 20-40 apart). */
    row **hh = malloc(rows.n * sizeof *hh);
    size_t m = 0;
    int mdy = 0, iso = 0;
    for (size_t i = 0; i < rows.n; i++) {
        if (rows.v[i].f[S_LINE1][0]) hh[m++] = &rows.v[i];
        mdy += rows.v[i].f[S_DOB][2] == '/';
        iso += rows.v[i].f[S_DOB][4] == '-';
    }
    qsort(hh, m, sizeof *hh, cmp_hh);
    int twins = 0, jrsr = 0, johns = 0, lastp = -1;
    for (size_t i = 0; i < m; i++) {
        for (size_t j = i + 1; j < m && !strcasecmp(hh[i]->f[S_LINE1], hh[j]->f[S_LINE1]) &&
                               !strcasecmp(hh[i]->f[S_LAST], hh[j]->f[S_LAST]); j++) {
            if (hh[i]->person == hh[j]->person) continue;
            int y1, m1, d1, y2, m2, d2;
            if (!dob_ymd(hh[i]->f[S_DOB], &y1, &m1, &d1) || !dob_ymd(hh[j]->f[S_DOB], &y2, &m2, &d2)) continue;
            if (y1 == y2 && m1 == m2 && d1 == d2 && strcasecmp(hh[i]->f[S_FIRST], hh[j]->f[S_FIRST])) twins++;
            if (!strcasecmp(hh[i]->f[S_FIRST], hh[j]->f[S_FIRST]) && abs(y1 - y2) >= 20 && abs(y1 - y2) <= 41) jrsr++;
        }
    }
    for (size_t i = 0; i < m; i++)
        if (!strcasecmp(hh[i]->f[S_FIRST], "JOHN") && !strcasecmp(hh[i]->f[S_LAST], "SMITH") && hh[i]->person != lastp) {
            lastp = hh[i]->person;
            johns++;
        }
    cr_assert_gt(twins, 10, "twin pairs: %d", twins);
    cr_assert_gt(jrsr, 10, "Jr/Sr pairs: %d", jrsr);
    cr_assert_gt(johns, 10, "distinct JOHN SMITHs: %d", johns);
    double share = (double)mdy / (double)(mdy + iso);
    cr_assert(share > 0.2 && share < 0.3, "MM/DD/YYYY share %f", share);
    cr_assert_gt(iso, 0);
    free(hh), free(srcmask), free(nrec);
    NM_VEC_FREE(&truth), NM_VEC_FREE(&rows), NM_VEC_FREE(&dels);
}

/* Documented rates (docs/error-model.md), per eligible record. */
static const struct { const char *name; double rate; } DOC[] = {
    {"nickname", 0.08}, {"typo_first", 0.03}, {"typo_last", 0.03}, {"middle_missing", 0.35},
    {"middle_initial", 0.40}, {"suffix_in_last_name", 0.15}, {"suffix_missing", 0.35},
    {"first_last_swapped", 0.01}, {"hyphenation", 0.40}, {"married_name", 0.80}, {"birth_date_typo", 0.02},
    {"birth_date_day_month", 0.015}, {"birth_date_mdy", 0.25}, {"birth_date_missing", 0.01},
    {"sex_missing", 0.03}, {"address_spelling", 0.30}, {"address_lines_joined", 0.30},
    {"address_missing", 0.02}, {"zip5_only", 0.55}, {"phone_missing", 0.15}, {"email_present", 0.45},
    {"title_case", 0.30}, {"lower_case", 0.03}};

Test(gen_patients, error_rates_match_documentation) {
    char dir[512];
    dir_of(dir, sizeof dir, "r");
    nm_gen_counts k;
    gen(dir, 20000, 12, 4, 3, &k);
    cr_assert_eq(NM_PAT_NKINDS, (int)(sizeof DOC / sizeof DOC[0]));
    int checked = 0;
    for (int i = 0; i < NM_PAT_NKINDS; i++) {
        cr_assert_str_eq(nm_gen_patients_error_name(i), DOC[i].name);
        cr_assert_float_eq(nm_gen_patients_error_rate(i), DOC[i].rate, 1e-12);
        double n = (double)k.eligible[i], p = DOC[i].rate;
        if (n < 100) continue;
        double got = (double)k.applied[i] / n, tol = 4.5 * sqrt(p * (1 - p) / n) + 0.002;
        cr_expect(fabs(got - p) <= tol, "%s: %.4f vs %.4f (n=%.0f)", DOC[i].name, got, p, n);
        checked++;
    }
    cr_assert_geq(checked, 22);
}

Test(gen_patients, cli) {
    char dir[512], cmd[1024], p[600];
    dir_of(dir, sizeof dir, "cli");
    snprintf(cmd, sizeof cmd, "%s gen patients --rows 500 --seed 2 --sources 2 --nights 2 --out %s", NM_CLI_PATH, dir);
    cr_assert_eq(system(cmd), 0);
    snprintf(p, sizeof p, "%s/night_02.csv", dir);
    cr_assert_eq(access(p, F_OK), 0);
    snprintf(cmd, sizeof cmd, "%s gen patients --rows 5 --sources 0 --out %s 2>/dev/null", NM_CLI_PATH, dir);
    cr_assert_neq(system(cmd), 0);
}
