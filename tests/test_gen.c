/* Tests of the synthetic data generators (engine/gen): the NPPES layout and
 * quoting, NPI check digits, determinism across thread counts, and the
 * proportions and name distribution that make the data useful for matching.
 * The output is parsed with a small local splitter (NPPES values never hold
 * a double quote, so a field is '"' .. '"' followed by ',' or LF). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "common/arena.h"
#include "common/data.h"
#include "common/io.h"
#include "gen/gen.h"

#define MAXF 330

typedef struct field { const char *s; size_t n; } field;

/* Split one row starting at *p; returns the field count (or -1 on a quoting
 * error) and moves *p past the LF. */
static int split_row(const char **pp, const char *end, field *f) {
    const char *p = *pp;
    int n = 0;
    for (;;) {
        if (p >= end || *p != '"') return -1;
        const char *q = memchr(p + 1, '"', (size_t)(end - p - 1));
        if (!q || q + 1 >= end) return -1;
        if (n < MAXF + 1) f[n] = (field){p + 1, (size_t)(q - p - 1)};
        n++;
        p = q + 1;
        if (*p == '\n') { *pp = p + 1; return n; }
        if (*p != ',') return -1;
        p++;
    }
}

static int feq(field f, const char *s) { return f.n == strlen(s) && !memcmp(f.s, s, f.n); }
static int all_digits(field f) {
    for (size_t i = 0; i < f.n; i++)
        if (f.s[i] < '0' || f.s[i] > '9') return 0;
    return f.n > 0;
}

/* CMS check digit, written independently of the engine's: Luhn over
 * "80840" + the first nine digits must give the tenth. */
static int npi_ok(field f) {
    if (f.n != 10 || !all_digits(f) || (f.s[0] != '1' && f.s[0] != '2')) return 0;
    char full[16];
    memcpy(full, "80840", 5);
    memcpy(full + 5, f.s, 10);
    int sum = 0;
    for (int i = 14, dbl = 0; i >= 0; i--, dbl ^= 1) {
        int d = full[i] - '0';
        if (dbl) d = d * 2 > 9 ? d * 2 - 9 : d * 2;
        sum += d;
    }
    return sum % 10 == 0;
}

static void tmp_path(char *out, size_t cap, const char *name) {
    snprintf(out, cap, "%s/gen_%d_%s", NM_TEST_TMPDIR, (int)getpid(), name);
}

static char *gen_file(const char *name, uint64_t rows, uint64_t seed, int threads, int layout, double deact,
                      size_t *len) {
    char path[512];
    tmp_path(path, sizeof path, name);
    nm_gen_nppes_opts o = {.rows = rows, .seed = seed, .threads = threads, .layout = layout, .deactivated = deact,
                           .out = path};
    nm_err err = {0};
    cr_assert_eq(nm_gen_nppes(&o, &err), NM_OK, "%s", err.msg);
    char *data;
    cr_assert_eq(nm_read_all(path, &data, len, &err), NM_OK, "%s", err.msg);
    unlink(path);
    return data;
}

Test(gen, npi_check_digit_matches_cms_examples) {
    /* Worked examples from CMS "Requirements for NPI Check Digit" and real NPIs. */
    cr_assert_eq(nm_gen_npi_check_digit("123456789"), 3);
    cr_assert_eq(nm_gen_npi_check_digit("155859879"), 7);
    cr_assert_eq(nm_gen_npi_check_digit("129572356"), 7);
    cr_assert_eq(nm_gen_npi_check_digit("113429602"), 3);
    cr_assert_eq(nm_gen_npi_check_digit("167957672"), 2);
    cr_assert_eq(nm_gen_npi_check_digit("130684945"), 0);   /* check digit 0: the (10 - s) mod 10 trap */
    cr_assert(npi_ok((field){"1234567893", 10}));
    cr_assert(!npi_ok((field){"1234567890", 10}));
}

static int cmp_u64(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

Test(gen, npis_are_valid_and_unique) {
    enum { N = 200000 };
    uint64_t *v = malloc(N * sizeof *v);
    char npi[11];
    for (uint64_t i = 0; i < N; i++) {
        nm_gen_npi(42, i, npi);
        cr_assert(npi_ok((field){npi, 10}), "index %llu", (unsigned long long)i);
        v[i] = strtoull(npi, NULL, 10);
    }
    qsort(v, N, sizeof *v, cmp_u64);
    for (size_t i = 1; i < N; i++) cr_assert_neq(v[i], v[i - 1]);
    nm_gen_npi(43, 0, npi);
    char other[11];
    nm_gen_npi(42, 0, other);
    cr_assert_str_neq(npi, other, "the seed keys the NPI permutation");
    free(v);
}

Test(gen, dates_round_trip) {
    char s[11];
    nm_gen_date_str(0, s);
    cr_assert_str_eq(s, "01/01/1970");
    nm_gen_date_str(nm_gen_days(2005, 5, 23), s);
    cr_assert_str_eq(s, "05/23/2005");
    nm_gen_date_str(nm_gen_days(2024, 2, 29), s);
    cr_assert_str_eq(s, "02/29/2024");
    cr_assert_eq(nm_gen_days(2024, 3, 1) - nm_gen_days(2024, 2, 28), 2);
    cr_assert_eq(nm_gen_days(2000, 1, 1), 10957);
    for (int32_t d = nm_gen_days(2005, 1, 1); d < nm_gen_days(2030, 1, 1); d += 13) {
        nm_gen_date_str(d, s);
        cr_assert_eq(nm_gen_days(atoi(s + 6), atoi(s), atoi(s + 3)), d);
    }
}

Test(gen, weighted_tables_follow_weights) {
    const nm_gen_tables *t;
    nm_err err = {0};
    cr_assert_eq(nm_gen_tables_load(&t, &err), NM_OK, "%s", err.msg);
    cr_assert_gt(t->surnames.n, 2000);
    cr_assert_gt(t->given_m.n + t->given_f.n, 1000);
    cr_assert_eq(t->nstates, 52, "50 states, DC and PR");
    /* SMITH and JOHNSON head the table with weights 8280 and 6550. */
    nm_rng r;
    nm_rng_seed(&r, 5, 0);
    long smith = 0, johnson = 0, n = 400000;
    for (long i = 0; i < n; i++) {
        nm_gen_str s = nm_gen_wpick_str(&t->surnames, &r);
        if (s.len == 5 && !memcmp(s.s, "SMITH", 5)) smith++;
        if (s.len == 7 && !memcmp(s.s, "JOHNSON", 7)) johnson++;
    }
    double ratio = (double)smith / (double)johnson;
    cr_assert(ratio > 1.17 && ratio < 1.36, "SMITH/JOHNSON = %f, want ~1.26", ratio);
}

/* Every data row has exactly `ncols` quoted fields; counts rows and rows
 * with sex code M or F (column 41 in both layouts). */
static int count_rows(const char *p, const char *end, int ncols, int *sex) {
    field f[MAXF + 1];
    int rows = 0;
    while (p < end) {
        cr_assert_eq(split_row(&p, end, f), ncols, "row %d", rows + 1);
        if (feq(f[41], "M") || feq(f[41], "F")) (*sex)++;
        rows++;
    }
    return rows;
}

Test(gen, header_is_the_330_layout) {
    size_t len;
    char *d = gen_file("h330.csv", 50, 1, 1, 330, 0.015, &len);
    const char *p = d, *end = d + len;
    field f[MAXF + 1];
    cr_assert_eq(split_row(&p, end, f), 330);
    cr_assert(feq(f[0], "NPI"));
    cr_assert(feq(f[4], "Provider Organization Name (Legal Business Name)"));
    cr_assert(feq(f[41], "Provider Sex Code"));
    cr_assert(feq(f[47], "Healthcare Provider Taxonomy Code_1"));
    cr_assert(feq(f[107], "Other Provider Identifier_1"));
    cr_assert(feq(f[110], "Other Provider Identifier Issuer_1"));
    cr_assert(feq(f[314], "Healthcare Provider Taxonomy Group_1"));
    cr_assert(feq(f[329], "Certification Date"));
    size_t hl;
    const char *h = nm_data_get("nppes_header_330.csv", &hl);
    cr_assert_eq((size_t)(p - d), hl);
    cr_assert_eq(memcmp(d, h, hl), 0);
    cr_assert_eq(hl, 12267, "the CMS header file is 12,267 bytes");
    int sex = 0;
    cr_assert_eq(count_rows(p, end, 330, &sex), 50);
    free(d);
}

Test(gen, layout_329_has_gender_code_and_no_certification_date) {
    size_t len;
    char *d = gen_file("h329.csv", 3000, 1, 2, 329, 0.015, &len);
    const char *p = d, *end = d + len;
    field f[MAXF + 1];
    cr_assert_eq(split_row(&p, end, f), 329);
    cr_assert(feq(f[41], "Provider Gender Code"));
    cr_assert(feq(f[328], "Healthcare Provider Taxonomy Group_15"));
    cr_assert_eq((size_t)(p - d), 12249, "the verbatim 2015 header is 12,249 bytes");
    int sex = 0;
    cr_assert_eq(count_rows(p, end, 329, &sex), 3000);
    cr_assert_gt(sex, 2000);
    free(d);
}

Test(gen, same_seed_same_bytes_whatever_the_threads) {
    size_t l1, l2, l3;
    /* 10,000 rows = 3 chunks, so threads really split the work. */
    char *a = gen_file("t1.csv", 10000, 99, 1, 330, 0.015, &l1);
    char *b = gen_file("t2.csv", 10000, 99, 2, 330, 0.015, &l2);
    char *c = gen_file("t3.csv", 10000, 100, 2, 330, 0.015, &l3);
    cr_assert_eq(l1, l2);
    cr_assert_eq(memcmp(a, b, l1), 0);
    cr_assert(l1 != l3 || memcmp(a, c, l1), "another seed gives another file");
    /* A prefix of the rows is the same file cut short: rows depend on their index only. */
    size_t l4;
    char *e = gen_file("t4.csv", 5000, 99, 2, 330, 0.015, &l4);
    cr_assert_lt(l4, l1);
    cr_assert_eq(memcmp(a, e, l4), 0);
    free(a), free(b), free(c), free(e);
}

Test(gen, cli_writes_zst_identical_to_api) {
    char path[512], cmd[1200];
    tmp_path(path, sizeof path, "cli.csv.zst");
    snprintf(cmd, sizeof cmd, "%s gen nppes --rows 5000 --seed 7 --threads 2 --out %s", NM_CLI_PATH, path);
    cr_assert_eq(system(cmd), 0);
    char *z;
    size_t zl, l;
    nm_err err = {0};
    cr_assert_eq(nm_read_all(path, &z, &zl, &err), NM_OK, "%s", err.msg);
    unlink(path);
    char *a = gen_file("cli_api.csv", 5000, 7, 1, 330, 0.015, &l);
    cr_assert_eq(zl, l);
    cr_assert_eq(memcmp(a, z, l), 0);
    snprintf(cmd, sizeof cmd, "%s gen nppes --rows 10 --seed 7 --layout 331 --out %s 2>/dev/null", NM_CLI_PATH, path);
    cr_assert_neq(system(cmd), 0, "bad layout is a usage error");
    cr_assert_neq(access(path, F_OK), 0, "no output on a usage error");
    free(a), free(z);
}

/* Counters over a generated file. */
typedef struct stats {
    int rows, active, indiv, org, stubs, stubs_clean, multi_tax, bad_primary, bad_zip, zip5, bad_phone, phones;
    int mail_differs, po_box, suite, md_dots, md_plain, bad_date, bad_order, reactivated, other_ids, other_names;
    int sub_y, group_label, cert, hyphen, apostrophe_or_space, too_long, sex_bad, ao_missing, lbn_comma;
} stats;

static int date_ok(field f) {
    if (f.n != 10 || f.s[2] != '/' || f.s[5] != '/') return 0;
    int m = atoi(f.s), d = atoi(f.s + 3), y = atoi(f.s + 6);
    return m >= 1 && m <= 12 && d >= 1 && d <= 31 && y >= 2005 && y <= 2026;
}
static int32_t day_of(field f) { return nm_gen_days(atoi(f.s + 6), atoi(f.s), atoi(f.s + 3)); }

static void collect(const char *d, size_t len, stats *s, char ***surnames) {
    const char *p = d, *end = d + len;
    field f[MAXF + 1];
    memset(s, 0, sizeof *s);
    cr_assert_eq(split_row(&p, end, f), 330);
    int cap = 1 << 16;
    *surnames = calloc((size_t)cap, sizeof **surnames);
    int ns = 0;
    int32_t first = nm_gen_days(2005, 5, 23), asof = nm_gen_days(NM_GEN_ASOF_Y, NM_GEN_ASOF_M, NM_GEN_ASOF_D);
    while (p < end) {
        int nf = split_row(&p, end, f);
        cr_assert_eq(nf, 330);
        s->rows++;
        cr_assert(npi_ok(f[0]));
        if (!f[1].n) {
            s->stubs++;
            int others = 0;
            for (int i = 1; i < 330; i++)
                if (i != 39 && f[i].n) others++;
            if (!others && date_ok(f[39])) s->stubs_clean++;
            continue;
        }
        s->active++;
        if (feq(f[1], "1")) {
            s->indiv++;
            if (!f[5].n || !f[6].n || f[4].n) s->ao_missing++;
            if (!feq(f[41], "M") && !feq(f[41], "F")) s->sex_bad++;
            if (feq(f[10], "M.D.")) s->md_dots++;
            if (feq(f[10], "MD")) s->md_plain++;
            if (memchr(f[5].s, '-', f[5].n)) s->hyphen++;
            if (memchr(f[5].s, '\'', f[5].n) || memchr(f[5].s, ' ', f[5].n)) s->apostrophe_or_space++;
            if (f[5].n > 35 || f[6].n > 35 || f[7].n > 20 || f[10].n > 20) s->too_long++;
            if (f[13].n) s->other_names++;
            if (ns < cap) (*surnames)[ns++] = strndup(f[5].s, f[5].n);
        } else {
            cr_assert(feq(f[1], "2"));
            s->org++;
            if (!f[4].n || !f[42].n || !f[43].n || !f[45].n || f[46].n != 10 || f[5].n || f[41].n) s->ao_missing++;
            if (f[4].n > 100 || f[309].n > 100) s->too_long++;
            if (memchr(f[4].s, ',', f[4].n)) s->lbn_comma++;
            if (feq(f[308], "Y")) s->sub_y++;
            if (f[314].n) s->group_label++;
        }
        for (int base = 20; base <= 28; base += 8) {
            field z = f[base + 4];
            if (!(z.n == 9 || z.n == 5) || !all_digits(z)) s->bad_zip++;
            if (z.n == 5 && base == 28) s->zip5++;
            for (int k = 6; k <= 7; k++)
                if (f[base + k].n) {
                    s->phones++;
                    if (f[base + k].n != 10 || !all_digits(f[base + k]) || f[base + k].s[0] < '2') s->bad_phone++;
                }
            if (f[base].n > 55 || f[base + 1].n > 55 || f[base + 2].n > 40) s->too_long++;
            if (!f[base].n || !f[base + 2].n || f[base + 3].n != 2 || !feq(f[base + 5], "US")) s->bad_zip++;
        }
        if (!feq(f[20], "") && (f[20].n != f[28].n || memcmp(f[20].s, f[28].s, f[20].n))) s->mail_differs++;
        if (f[20].n > 7 && (!memcmp(f[20].s, "PO BOX ", 7) || !memcmp(f[20].s, "P.O. BOX", 8))) s->po_box++;
        if ((f[29].n > 4 && !memcmp(f[29].s, "STE ", 4)) || (f[29].n > 6 && !memcmp(f[29].s, "SUITE ", 6))) s->suite++;
        if (!date_ok(f[36]) || !date_ok(f[37])) s->bad_date++;
        else if (day_of(f[36]) < first || day_of(f[37]) < day_of(f[36]) || day_of(f[37]) > asof) s->bad_order++;
        if (f[40].n) {
            s->reactivated++;
            if (!date_ok(f[39]) || !date_ok(f[40]) || day_of(f[40]) <= day_of(f[39])) s->bad_order++;
        }
        if (f[329].n) {
            s->cert++;
            if (!date_ok(f[329])) s->bad_date++;
        }
        int ntax = 0, prim = 0;
        for (int k = 0; k < 15; k++) {
            field code = f[47 + 4 * k], sw = f[50 + 4 * k];
            if (!code.n) {
                if (sw.n || f[48 + 4 * k].n) s->bad_primary++;
                continue;
            }
            ntax++;
            if (code.n != 10 || code.s[9] != 'X') s->bad_primary++;
            if (feq(sw, "Y")) prim++;
            else if (!feq(sw, "N")) s->bad_primary++;
            if (f[48 + 4 * k].n > 20) s->too_long++;
        }
        if (prim != 1) s->bad_primary++;
        if (ntax > 1) s->multi_tax++;
        if (f[107].n) s->other_ids++;
    }
    (*surnames)[ns] = NULL;
}

static int cmpstr(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

Test(gen, proportions_and_field_shapes) {
    size_t len;
    char *d = gen_file("stats.csv", 20000, 2024, 2, 330, 0.015, &len);
    stats s;
    char **sn;
    collect(d, len, &s, &sn);
    cr_assert_eq(s.rows, 20000);
    cr_assert(s.stubs >= 200 && s.stubs <= 400, "deactivated %d of 20000 (want ~1.5%%)", s.stubs);
    cr_assert_eq(s.stubs_clean, s.stubs, "stub rows hold only NPI and deactivation date");
    double ind = (double)s.indiv / s.active;
    cr_assert(ind > 0.78 && ind < 0.82, "individual share %f", ind);
    cr_assert_eq(s.bad_primary, 0, "exactly one primary taxonomy switch Y per provider");
    cr_assert_eq(s.bad_zip, 0);
    cr_assert_eq(s.bad_phone, 0);
    cr_assert_eq(s.bad_date, 0);
    cr_assert_eq(s.bad_order, 0);
    cr_assert_eq(s.too_long, 0, "NPPES field lengths (Readme exhibit 2-1)");
    cr_assert_eq(s.sex_bad, 0);
    cr_assert_eq(s.ao_missing, 0, "names on individuals, LBN and authorized official on organizations");
    cr_assert(s.zip5 > s.active / 100 && s.zip5 < s.active / 10, "5-digit ZIPs %d", s.zip5);
    cr_assert(s.mail_differs > s.active / 5 && s.mail_differs < s.active / 2, "mailing differs %d", s.mail_differs);
    cr_assert_gt(s.po_box, s.active / 10);
    cr_assert_gt(s.suite, s.active / 5);
    cr_assert(s.md_dots > s.md_plain && s.md_plain > 0, "M.D. %d vs MD %d", s.md_dots, s.md_plain);
    cr_assert(s.multi_tax > s.active / 10 && s.multi_tax < s.active / 3, "multi-taxonomy %d", s.multi_tax);
    cr_assert_gt(s.reactivated, 20);
    cr_assert_gt(s.other_ids, s.active / 10);
    cr_assert_gt(s.other_names, s.indiv / 50);
    cr_assert(s.sub_y > 0 && s.sub_y < s.org / 5);
    cr_assert_gt(s.group_label, 0);
    cr_assert_gt(s.lbn_comma, 0, "legal names like 'X HOSPITAL SYSTEM, INC'");
    cr_assert_gt(s.cert, s.active / 20);
    cr_assert_gt(s.hyphen, s.indiv / 100);
    cr_assert_gt(s.apostrophe_or_space, 0);

    /* Long tail: the top surname holds 0.5-2% of individuals and more than
     * 30% of the distinct surnames occur once. */
    int n = 0;
    while (sn[n]) n++;
    qsort(sn, (size_t)n, sizeof *sn, cmpstr);
    int distinct = 0, once = 0, top = 0;
    for (int i = 0; i < n;) {
        int j = i;
        while (j < n && !strcmp(sn[i], sn[j])) j++;
        distinct++;
        if (j - i == 1) once++;
        if (j - i > top) top = j - i;
        i = j;
    }
    double top_share = (double)top / n, once_share = (double)once / distinct;
    cr_assert(top_share >= 0.005 && top_share <= 0.02, "top surname share %f", top_share);
    cr_assert_gt(once_share, 0.30, "singleton share %f", once_share);
    for (int i = 0; i < n; i++) free(sn[i]);
    free(sn);
    free(d);
}

Test(gen, deactivated_fraction_option) {
    size_t len;
    stats s;
    char **sn;
    char *d = gen_file("deact0.csv", 4000, 3, 2, 330, 0.0, &len);
    collect(d, len, &s, &sn);
    cr_assert_eq(s.stubs, 0);
    for (int i = 0; sn[i]; i++) free(sn[i]);
    free(sn), free(d);
    d = gen_file("deact10.csv", 4000, 3, 2, 330, 0.10, &len);
    collect(d, len, &s, &sn);
    cr_assert(s.stubs > 320 && s.stubs < 480, "stubs %d of 4000 at 10%%", s.stubs);
    for (int i = 0; sn[i]; i++) free(sn[i]);
    free(sn), free(d);
}

Test(gen, rows_api_matches_file_and_stays_under_row_bound) {
    const nm_gen_tables *t;
    nm_err err = {0};
    cr_assert_eq(nm_gen_tables_load(&t, &err), NM_OK);
    nm_gen_nppes_opts o = {.rows = 3000, .seed = 11, .threads = 1, .layout = 330, .deactivated = 0.015};
    nm_buf b = {0};
    cr_assert_gt(nm_gen_nppes_rows(t, &o, 0, 3000, &b), 0);
    size_t len;
    char *d = gen_file("rows.csv", 3000, 11, 1, 330, 0.015, &len);
    size_t hl;
    nm_data_get("nppes_header_330.csv", &hl);
    cr_assert_eq(len - hl, b.len);
    cr_assert_eq(memcmp(d + hl, b.data, b.len), 0);
    /* Longest row far under the 12 KiB per-row reservation. */
    size_t longest = 0;
    for (const char *p = b.data, *e = b.data + b.len; p < e;) {
        const char *q = memchr(p, '\n', (size_t)(e - p));
        if ((size_t)(q - p) > longest) longest = (size_t)(q - p);
        p = q + 1;
    }
    cr_assert_lt(longest, 8192);
    nm_buf_free(&b);
    free(d);
}

Test(gen, people_and_addresses_for_other_generators) {
    const nm_gen_tables *t;
    nm_err err = {0};
    cr_assert_eq(nm_gen_tables_load(&t, &err), NM_OK);
    nm_rng r;
    nm_rng_seed(&r, 1, 2);
    int women = 0;
    for (int i = 0; i < 2000; i++) {
        nm_gen_person p;
        nm_gen_person_make(t, &r, 0, &p);
        cr_assert(p.sex == 'M' || p.sex == 'F');
        women += p.sex == 'F';
        cr_assert(p.last[0] && p.first[0]);
        cr_assert(strlen(p.last) <= 35);
        const nm_gen_city *c = nm_gen_pick_city(t, &r);
        nm_gen_address a;
        nm_gen_address_make(t, &r, c, &a);
        cr_assert(strlen(a.zip) == 9 || strlen(a.zip) == 5);
        cr_assert_eq(memcmp(a.zip, c->zip3, 3), 0, "ZIP agrees with the city");
        char ph[11];
        nm_gen_phone(&r, c, ph);
        cr_assert_eq(memcmp(ph, c->area, 3), 0, "area code agrees with the city");
        cr_assert_eq(strlen(ph), 10);
        const nm_gen_city *c2 = nm_gen_pick_city_in_state(t, &r, c);
        cr_assert_str_eq(c2->state, c->state);
        nm_gen_po_box_make(&r, c, &a);
        cr_assert(strstr(a.line1, "BOX ") != NULL);
    }
    cr_assert(women > 850 && women < 1150);
}
