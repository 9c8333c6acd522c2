/* NPPES ingest tests. Fixtures are written by the tests themselves: the
 * header uses the format's column names (they are its definition), the rows
 * are invented. Covered: both main layouts (330 and 2015's 329), weekly
 * updates, othername and pl files, deactivation lists (with a spreadsheet
 * title row), stub rows, CRLF, Latin-1 bytes, .zst input, bad rows with
 * exact file:line:col, strict mode, thread-count independence, and the
 * index/info/lookup commands. */
#include <criterion/criterion.h>
#include "cli_run.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zstd.h>
#include "npimatch.h"
#include "common/arena.h"
#include "common/io.h"
#include "ingest/nppes.h"

/* ---- fixtures -------------------------------------------------------------------- */

#define MAXCOLS 330

typedef struct layout {
    int n;
    char names[MAXCOLS][96];
} layout;

static void add_name(layout *l, const char *fmt, int i) { snprintf(l->names[l->n++], 96, fmt, i); }

/* The main-file header: 330 columns, or the 2015 layout's 329 (column 41
 * named "Provider Gender Code", no "Certification Date"). */
static void make_layout(layout *l, int ncols) {
    static const char *const head[] = {
        "NPI", "Entity Type Code", "Replacement NPI", "Employer Identification Number (EIN)",
        "Provider Organization Name (Legal Business Name)", "Provider Last Name (Legal Name)", "Provider First Name",
        "Provider Middle Name", "Provider Name Prefix Text", "Provider Name Suffix Text", "Provider Credential Text",
        "Provider Other Organization Name", "Provider Other Organization Name Type Code", "Provider Other Last Name",
        "Provider Other First Name", "Provider Other Middle Name", "Provider Other Name Prefix Text",
        "Provider Other Name Suffix Text", "Provider Other Credential Text", "Provider Other Last Name Type Code",
        "Provider First Line Business Mailing Address", "Provider Second Line Business Mailing Address",
        "Provider Business Mailing Address City Name", "Provider Business Mailing Address State Name",
        "Provider Business Mailing Address Postal Code",
        "Provider Business Mailing Address Country Code (If outside U.S.)",
        "Provider Business Mailing Address Telephone Number", "Provider Business Mailing Address Fax Number",
        "Provider First Line Business Practice Location Address",
        "Provider Second Line Business Practice Location Address",
        "Provider Business Practice Location Address City Name", "Provider Business Practice Location Address State Name",
        "Provider Business Practice Location Address Postal Code",
        "Provider Business Practice Location Address Country Code (If outside U.S.)",
        "Provider Business Practice Location Address Telephone Number",
        "Provider Business Practice Location Address Fax Number", "Provider Enumeration Date", "Last Update Date",
        "NPI Deactivation Reason Code", "NPI Deactivation Date", "NPI Reactivation Date", "Provider Sex Code",
        "Authorized Official Last Name", "Authorized Official First Name", "Authorized Official Middle Name",
        "Authorized Official Title or Position", "Authorized Official Telephone Number"};
    memset(l, 0, sizeof *l);
    for (size_t i = 0; i < sizeof head / sizeof head[0]; i++) add_name(l, head[i], 0);
    if (ncols == 329) strcpy(l->names[41], "Provider Gender Code");
    for (int i = 1; i <= 15; i++) {
        add_name(l, "Healthcare Provider Taxonomy Code_%d", i);
        add_name(l, "Provider License Number_%d", i);
        add_name(l, "Provider License Number State Code_%d", i);
        add_name(l, "Healthcare Provider Primary Taxonomy Switch_%d", i);
    }
    for (int i = 1; i <= 50; i++) {
        add_name(l, "Other Provider Identifier_%d", i);
        add_name(l, "Other Provider Identifier Type Code_%d", i);
        add_name(l, "Other Provider Identifier State_%d", i);
        add_name(l, "Other Provider Identifier Issuer_%d", i);
    }
    const char *tail[] = {"Is Sole Proprietor", "Is Organization Subpart", "Parent Organization LBN",
                          "Parent Organization TIN", "Authorized Official Name Prefix Text",
                          "Authorized Official Name Suffix Text", "Authorized Official Credential Text"};
    for (int i = 0; i < 7; i++) add_name(l, tail[i], 0);
    for (int i = 1; i <= 15; i++) add_name(l, "Healthcare Provider Taxonomy Group_%d", i);
    if (ncols == 330) add_name(l, "Certification Date", 0);
    cr_assert_eq(l->n, ncols);
}

typedef struct frow {
    const layout *l;
    char v[MAXCOLS][128];
} frow;

static int col_index(const layout *l, const char *name) {
    for (int i = 0; i < l->n; i++)
        if (!strcmp(l->names[i], name)) return i;
    cr_assert_fail("no column %s", name);
    return -1;
}

static void set(frow *r, const char *name, const char *v) { snprintf(r->v[col_index(r->l, name)], 128, "%s", v); }

static void row_init(frow *r, const layout *l, const char *npi, const char *entity) {
    memset(r, 0, sizeof *r);
    r->l = l;
    set(r, "NPI", npi);
    set(r, "Entity Type Code", entity);
}

/* 1-based byte column where field `name` starts (its opening quote). */
static unsigned col_of(const frow *r, const char *name) {
    int k = col_index(r->l, name);
    unsigned c = 1;
    for (int i = 0; i < k; i++) c += (unsigned)strlen(r->v[i]) + 3;
    return c;
}

static void tmp_path(char *out, size_t cap, const char *name) {
    snprintf(out, cap, "%s/nppes_%d_%s", NM_TEST_TMPDIR, (int)getpid(), name);
}

/* Quote every field as CMS does; `ncols` < l->n writes a short row. */
static void put_row(nm_buf *b, const char (*v)[128], int ncols, const char *eol) {
    for (int i = 0; i < ncols; i++) nm_buf_printf(b, "%s\"%s\"", i ? "," : "", v[i]);
    nm_buf_printf(b, "%s", eol);
}

static void put_header(nm_buf *b, const layout *l, const char *eol) {
    for (int i = 0; i < l->n; i++) nm_buf_printf(b, "%s\"%s\"", i ? "," : "", l->names[i]);
    nm_buf_printf(b, "%s", eol);
}

static void write_file(const char *path, const char *p, size_t n) {
    FILE *f = fopen(path, "wb");
    cr_assert_not_null(f);
    cr_assert_eq(fwrite(p, 1, n, f), n);
    fclose(f);
}

static void write_zst(const char *path, const char *p, size_t n) {
    size_t cap = ZSTD_compressBound(n);
    char *z = malloc(cap);
    size_t zn = ZSTD_compress(z, cap, p, n, 3);
    cr_assert_not(ZSTD_isError(zn));
    write_file(path, z, zn);
    free(z);
}

/* A valid NPI from a series number (check digit found by trying all ten). */
static void series_npi(char out[11], unsigned i) {
    snprintf(out, 11, "1%08u0", i);
    for (char c = '0'; c <= '9'; c++) {
        out[9] = c;
        if (nm_npi_valid(out, 10)) return;
    }
}

/* The individual of the full-field test: every kept field set. */
static void jane(frow *r, const layout *l) {
    row_init(r, l, "1234567893", "1");
    set(r, "Provider Last Name (Legal Name)", "SMITH");
    set(r, "Provider First Name", "JANE");
    set(r, "Provider Middle Name", "Q");
    set(r, "Provider Name Prefix Text", "DR.");
    set(r, "Provider Name Suffix Text", "JR.");
    set(r, "Provider Credential Text", "M.D.");
    set(r, "Provider Other Last Name", "DOE");
    set(r, "Provider Other First Name", "JANE");
    set(r, "Provider Other Middle Name", "R");
    set(r, "Provider Other Name Prefix Text", "MS.");
    set(r, "Provider Other Name Suffix Text", "II");
    set(r, "Provider Other Credential Text", "MD");
    set(r, "Provider Other Last Name Type Code", "1");
    set(r, "Provider First Line Business Mailing Address", "100 MAIN ST");
    set(r, "Provider Second Line Business Mailing Address", "SUITE 5");
    set(r, "Provider Business Mailing Address City Name", "AUSTIN");
    set(r, "Provider Business Mailing Address State Name", "TX");
    set(r, "Provider Business Mailing Address Postal Code", "787011234");
    set(r, "Provider Business Mailing Address Country Code (If outside U.S.)", "US");
    set(r, "Provider Business Mailing Address Telephone Number", "5125550100");
    set(r, "Provider Business Mailing Address Fax Number", "5125550101");
    set(r, "Provider First Line Business Practice Location Address", "200 OAK AVE");
    set(r, "Provider Business Practice Location Address City Name", "DALLAS");
    set(r, "Provider Business Practice Location Address State Name", "TX");
    set(r, "Provider Business Practice Location Address Postal Code", "75201");
    set(r, "Provider Business Practice Location Address Country Code (If outside U.S.)", "US");
    set(r, "Provider Business Practice Location Address Telephone Number", "2145550100");
    set(r, "Provider Enumeration Date", "05/23/2005");
    set(r, "Last Update Date", "07/08/2021");
    set(r, l->n == 330 ? "Provider Sex Code" : "Provider Gender Code", "F");
    set(r, "Authorized Official Last Name", "IGNORED");
    set(r, "Healthcare Provider Taxonomy Code_1", "207Q00000X");
    set(r, "Provider License Number_1", "L12345");
    set(r, "Provider License Number State Code_1", "TX");
    set(r, "Healthcare Provider Primary Taxonomy Switch_1", "Y");
    set(r, "Healthcare Provider Taxonomy Code_2", "208D00000X");
    set(r, "Healthcare Provider Primary Taxonomy Switch_2", "N");
    set(r, "Healthcare Provider Taxonomy Code_15", "363L00000X");
    set(r, "Provider License Number_15", "ZZ999");
    set(r, "Provider License Number State Code_15", "CA");
    set(r, "Healthcare Provider Primary Taxonomy Switch_15", "N");
    set(r, "Other Provider Identifier_1", "IGNORED");
    set(r, "Is Sole Proprietor", "Y");
    set(r, "Healthcare Provider Taxonomy Group_1", "193400000X SINGLE SPECIALTY  GROUP");
    if (l->n == 330) set(r, "Certification Date", "01/15/2020");
}

#define JANE_JSON_A                                                                                              \
    "{\"npi\":\"1234567893\",\"entity_type\":1,\"replacement_npi\":null,\"deactivated\":false,"                   \
    "\"in_deactivation_list\":false,\"stub\":false,\"last_name\":\"SMITH\",\"first_name\":\"JANE\","              \
    "\"middle_name\":\"Q\",\"name_prefix\":\"DR.\",\"name_suffix\":\"JR.\",\"credential\":\"M.D.\","              \
    "\"organization_name\":\"\",\"parent_organization_lbn\":\"\",\"other_organization_name\":\"\","               \
    "\"other_organization_name_type\":\"\",\"other_last_name\":\"DOE\",\"other_first_name\":\"JANE\","            \
    "\"other_middle_name\":\"R\",\"other_name_prefix\":\"MS.\",\"other_name_suffix\":\"II\","                     \
    "\"other_credential\":\"MD\",\"other_last_name_type\":\"1\",\"practice_location\":{\"line1\":\"200 OAK AVE\"," \
    "\"line2\":\"\",\"city\":\"DALLAS\",\"state\":\"TX\",\"postal_code\":\"75201\",\"country\":\"US\","            \
    "\"phone\":\"2145550100\",\"fax\":\"\"},\"mailing_address\":{\"line1\":\"100 MAIN ST\",\"line2\":\"SUITE 5\"," \
    "\"city\":\"AUSTIN\",\"state\":\"TX\",\"postal_code\":\"787011234\",\"country\":\"US\","                      \
    "\"phone\":\"5125550100\",\"fax\":\"5125550101\"},\"enumeration_date\":\"2005-05-23\","                       \
    "\"last_update_date\":\"2021-07-08\",\"deactivation_date\":null,\"reactivation_date\":null,"
#define JANE_JSON_B                                                                                              \
    "\"sex\":\"F\",\"sole_proprietor\":\"Y\",\"taxonomies\":[{\"slot\":1,\"code\":\"207Q00000X\","               \
    "\"license\":\"L12345\",\"license_state\":\"TX\",\"primary\":\"Y\"},{\"slot\":2,\"code\":\"208D00000X\","      \
    "\"license\":\"\",\"license_state\":\"\",\"primary\":\"N\"},{\"slot\":15,\"code\":\"363L00000X\","             \
    "\"license\":\"ZZ999\",\"license_state\":\"CA\",\"primary\":\"N\"}],"

static void acme(frow *r, const layout *l) {
    row_init(r, l, "1558598797", "2");
    set(r, "Provider Organization Name (Legal Business Name)", "ACME CLINIC, INC");
    set(r, "Provider Other Organization Name", "ACME");
    set(r, "Provider Other Organization Name Type Code", "3");
    set(r, "Parent Organization LBN", "ACME HOLDINGS");
    set(r, "Replacement NPI", "1306849450");
    set(r, "Employer Identification Number (EIN)", "<UNAVAIL>");
    set(r, "Provider Business Practice Location Address City Name", "HOUSTON");
    set(r, "Provider Enumeration Date", "06/01/2006");
    set(r, "Healthcare Provider Taxonomy Code_1", "261QM1300X");
    set(r, "Healthcare Provider Primary Taxonomy Switch_1", "Y");
    set(r, "Is Sole Proprietor", "X");
}

static nm_registry *build(const char *const *paths, size_t n, int threads, nm_index_stats *st, char **report) {
    nm_index_opts o = {0};
    o.threads = threads;
    size_t rlen = 0;
    char *rbuf = NULL;
    FILE *rep = open_memstream(&rbuf, &rlen);
    o.report = rep;
    nm_registry *r = NULL;
    nm_err err = {0};
    nm_index_stats local;
    int rc = nm_registry_build(paths, n, &o, &r, st ? st : &local, &err);
    fclose(rep);
    cr_assert_eq(rc, 0, "build failed: %s", err.msg);
    if (report) *report = rbuf;
    else free(rbuf);
    return r;
}

static char *lookup(const nm_registry *r, const char *npi) {
    int64_t row = nm_registry_find(r, strtoull(npi, NULL, 10));
    cr_assert_geq(row, 0, "NPI %s missing", npi);
    char *j = NULL;
    cr_assert_eq(nm_registry_row_json(r, (size_t)row, &j, NULL), 0);
    return j;
}

/* Main file of the two layouts with Jane, Acme, a stub and a reactivated NPI. */
static void write_main(const char *path, int ncols, const char *eol, int zst) {
    static layout l;
    make_layout(&l, ncols);
    static frow r;
    nm_buf b = {0};
    put_header(&b, &l, eol);
    jane(&r, &l);
    put_row(&b, r.v, l.n, eol);
    acme(&r, &l);
    put_row(&b, r.v, l.n, eol);
    row_init(&r, &l, "1295723567", "");   /* stub: only NPI and deactivation date */
    set(&r, "NPI Deactivation Date", "03/01/2019");
    put_row(&b, r.v, l.n, eol);
    row_init(&r, &l, "1134296023", "1");
    set(&r, "Provider Last Name (Legal Name)", "BACK");
    set(&r, "NPI Deactivation Date", "01/01/2015");
    set(&r, "NPI Reactivation Date", "02/01/2016");
    put_row(&b, r.v, l.n, eol);
    if (zst) write_zst(path, b.data, b.len);
    else write_file(path, b.data, b.len);
    nm_buf_free(&b);
}

static void check_main(const nm_registry *r, int ncols) {
    cr_assert_eq(nm_registry_count(r), 4);
    char *j = lookup(r, "1234567893");
    char expect[4096];
    snprintf(expect, sizeof expect, "%s\"certification_date\":%s,%s%s", JANE_JSON_A,
             ncols == 330 ? "\"2020-01-15\"" : "null", JANE_JSON_B,
             "\"secondary_locations\":[],\"other_organization_names\":[]}");
    cr_assert_str_eq(j, expect);
    free(j);
    j = lookup(r, "1558598797");
    cr_assert(strstr(j, "\"entity_type\":2,\"replacement_npi\":\"1306849450\""), "%s", j);
    cr_assert(strstr(j, "\"organization_name\":\"ACME CLINIC, INC\",\"parent_organization_lbn\":\"ACME HOLDINGS\","
                        "\"other_organization_name\":\"ACME\",\"other_organization_name_type\":\"3\""), "%s", j);
    cr_assert(strstr(j, "\"sole_proprietor\":\"X\""), "%s", j);
    cr_assert(strstr(j, "\"city\":\"HOUSTON\""), "%s", j);
    cr_assert(strstr(j, "\"taxonomies\":[{\"slot\":1,\"code\":\"261QM1300X\",\"license\":\"\",\"license_state\":\"\","
                        "\"primary\":\"Y\"}]"), "%s", j);
    free(j);
    j = lookup(r, "1295723567");
    cr_assert(strstr(j, "\"entity_type\":null"), "%s", j);
    cr_assert(strstr(j, "\"deactivated\":true,\"in_deactivation_list\":false,\"stub\":true"), "%s", j);
    cr_assert(strstr(j, "\"deactivation_date\":\"2019-03-01\""), "%s", j);
    free(j);
    j = lookup(r, "1134296023");
    cr_assert(strstr(j, "\"deactivated\":false"), "%s", j);   /* reactivated after deactivation */
    cr_assert(strstr(j, "\"deactivation_date\":\"2015-01-01\",\"reactivation_date\":\"2016-02-01\""), "%s", j);
    free(j);
    nm_registry_info in;
    nm_registry_get_info(r, &in);
    cr_assert_eq(in.individuals, 2);
    cr_assert_eq(in.organizations, 1);
    cr_assert_eq(in.deactivated, 1);
    cr_assert_eq(in.taxonomies, 4);
    cr_assert_eq(in.distinct_taxonomies, 4);
    cr_assert_eq(in.other_names, 2);   /* Jane's other name + Acme's other organization name */
}

Test(nppes, main_330_every_field) {
    char p[512];
    tmp_path(p, sizeof p, "main330.csv");
    write_main(p, 330, "\n", 0);
    const char *paths[] = {p};
    char *rep = NULL;
    nm_index_stats st;
    nm_registry *r = build(paths, 1, 1, &st, &rep);
    check_main(r, 330);
    cr_assert_eq(st.rows_read, 4);
    cr_assert_eq(st.rows_skipped, 0);
    cr_assert_eq(st.fields_nulled, 0);
    cr_assert_str_eq(rep, "");   /* the taxonomy group exceeds its documented length, but is not kept */
    free(rep);
    nm_registry_free(r);
    unlink(p);
}

Test(nppes, main_329_layout_crlf_and_zst) {
    char p[512], q[512];
    tmp_path(p, sizeof p, "main329.csv");
    tmp_path(q, sizeof q, "main330crlf.csv.zst");
    write_main(p, 329, "\r\n", 0);
    write_main(q, 330, "\r\n", 1);
    const char *a[] = {p}, *b[] = {q};
    nm_registry *r = build(a, 1, 2, NULL, NULL);
    check_main(r, 329);
    nm_registry_free(r);
    r = build(b, 1, 2, NULL, NULL);
    check_main(r, 330);
    nm_registry_free(r);
    unlink(p), unlink(q);
}

Test(nppes, detect_kinds) {
    const char *main_h[] = {"NPI", "Entity Type Code", "Replacement NPI"};
    const char *on_h[] = {"NPI", "Provider Other Organization Name", "Provider Other Organization Name Type Code"};
    const char *pl_h[] = {"NPI", "Provider Secondary Practice Location Address- Address Line 1"};
    const char *de_h[] = {"NPI", "NPPES Deactivation Date"};
    const char *ep_h[] = {"NPI", "Endpoint Type", "Endpoint Type Description"};
    cr_assert_eq(nm_nppes_detect(main_h, 3), NM_NPPES_MAIN);
    cr_assert_eq(nm_nppes_detect(on_h, 3), NM_NPPES_OTHERNAME);
    cr_assert_eq(nm_nppes_detect(pl_h, 2), NM_NPPES_PL);
    cr_assert_eq(nm_nppes_detect(de_h, 2), NM_NPPES_DEACT);
    cr_assert_eq(nm_nppes_detect(ep_h, 3), NM_NPPES_ENDPOINT);
    const char *other_h[] = {"NPI", "Name", "Zip"};
    cr_assert_eq(nm_nppes_detect(other_h, 3), NM_NPPES_UNKNOWN);
    cr_assert_eq(nm_nppes_detect(de_h + 1, 1), NM_NPPES_UNKNOWN);   /* no NPI column */
}

/* Weekly file: same layout, later rows replace earlier ones by NPI; plus the
 * companion files and a deactivation list with a spreadsheet title row. */
Test(nppes, weekly_companions_and_deactivation_list) {
    char m[512], w[512], on[512], pl[512], de[512];
    tmp_path(m, sizeof m, "m.csv");
    tmp_path(w, sizeof w, "w.csv");
    tmp_path(on, sizeof on, "on.csv");
    tmp_path(pl, sizeof pl, "pl.csv");
    tmp_path(de, sizeof de, "de.csv");
    write_main(m, 330, "\n", 0);
    static layout l;
    static frow r;
    make_layout(&l, 329);   /* a weekly file may come in the other layout: mapping is by name */
    nm_buf b = {0};
    put_header(&b, &l, "\n");
    jane(&r, &l);
    set(&r, "Provider Last Name (Legal Name)", "SMITH-JONES");
    set(&r, "Last Update Date", "01/02/2024");
    put_row(&b, r.v, l.n, "\n");
    char npi[11];
    series_npi(npi, 42);
    row_init(&r, &l, npi, "1");
    set(&r, "Provider Last Name (Legal Name)", "NEWBIE");
    put_row(&b, r.v, l.n, "\n");
    row_init(&r, &l, "1134296023", "");   /* weekly stub: deactivates BACK, keeps its names */
    set(&r, "NPI Deactivation Date", "05/05/2024");
    put_row(&b, r.v, l.n, "\n");
    write_file(w, b.data, b.len);
    b.len = 0;
    nm_buf_printf(&b, "\"NPI\",\"Provider Other Organization Name\",\"Provider Other Organization Name Type Code\"\n"
                      "\"1558598797\",\"ACME DBA ONE\",\"3\"\n\"1558598797\",\"ACME FORMER\",\"4\"\n"
                      "\"1679576722\",\"NOBODY\",\"3\"\n");
    write_file(on, b.data, b.len);
    b.len = 0;
    /* the real pl header has two spaces in "Address-  Address Line 2" */
    nm_buf_printf(&b,
                  "\"NPI\",\"Provider Secondary Practice Location Address- Address Line 1\","
                  "\"Provider Secondary Practice Location Address-  Address Line 2\","
                  "\"Provider Secondary Practice Location Address - City Name\","
                  "\"Provider Secondary Practice Location Address - State Name\","
                  "\"Provider Secondary Practice Location Address - Postal Code\","
                  "\"Provider Secondary Practice Location Address - Country Code (If outside U.S.)\","
                  "\"Provider Secondary Practice Location Address - Telephone Number\","
                  "\"Provider Secondary Practice Location Address - Telephone Extension\","
                  "\"Provider Practice Location Address - Fax Number\"\r\n"
                  "\"1234567893\",\"300 ELM ST\",\"FLOOR 2\",\"EL PASO\",\"TX\",\"79901\",\"US\",\"9155550100\",\"12\",\"9155550101\"\r\n"
                  "\"1234567893\",\"400 PINE RD\",\"\",\"WACO\",\"TX\",\"76701\",\"US\",\"\",\"\",\"\"\r\n");
    write_file(pl, b.data, b.len);
    b.len = 0;
    nm_buf_printf(&b, "NPPES Deactivated NPI Report 20240408\nNPI,NPPES Deactivation Date\n"
                      "1558598797,04/01/2024\n1306849450,03/15/2024\n");
    write_file(de, b.data, b.len);
    nm_buf_free(&b);
    const char *paths[] = {m, w, on, pl, de};
    nm_index_stats st;
    char *rep = NULL;
    nm_registry *reg = build(paths, 5, 2, &st, &rep);
    cr_assert_eq(st.providers_updated, 2);
    cr_assert_eq(st.rows_read, 4 + 3 + 3 + 2 + 2);
    cr_assert_eq(st.rows_skipped, 1);   /* othername row of an NPI not in the registry */
    cr_assert(strstr(rep, "on.csv:4:1: NPI not in the registry (row skipped)"), "%s", rep);
    free(rep);
    cr_assert_eq(nm_registry_count(reg), 6);   /* 4 + NEWBIE + stub from the deactivation list */
    cr_assert_eq(nm_registry_find(reg, 1234567893), 0);
    char *j = lookup(reg, "1234567893");
    cr_assert(strstr(j, "\"last_name\":\"SMITH-JONES\""), "%s", j);
    cr_assert(strstr(j, "\"last_update_date\":\"2024-01-02\""), "%s", j);
    cr_assert(strstr(j, "\"certification_date\":null"), "%s", j);   /* the 329-layout row replaced it */
    cr_assert(strstr(j, "\"secondary_locations\":[{\"line1\":\"300 ELM ST\",\"line2\":\"FLOOR 2\",\"city\":\"EL PASO\","
                        "\"state\":\"TX\",\"postal_code\":\"79901\",\"country\":\"US\",\"phone\":\"9155550100\","
                        "\"phone_extension\":\"12\",\"fax\":\"9155550101\"},{\"line1\":\"400 PINE RD\",\"line2\":\"\","
                        "\"city\":\"WACO\",\"state\":\"TX\",\"postal_code\":\"76701\",\"country\":\"US\",\"phone\":\"\","
                        "\"phone_extension\":\"\",\"fax\":\"\"}]"), "%s", j);
    free(j);
    j = lookup(reg, "1558598797");
    cr_assert(strstr(j, "\"deactivated\":true,\"in_deactivation_list\":true,\"stub\":false"), "%s", j);
    cr_assert(strstr(j, "\"deactivation_date\":\"2024-04-01\""), "%s", j);
    cr_assert(strstr(j, "\"other_organization_names\":[{\"name\":\"ACME DBA ONE\",\"type_code\":\"3\"},"
                        "{\"name\":\"ACME FORMER\",\"type_code\":\"4\"}]"), "%s", j);
    free(j);
    j = lookup(reg, "1306849450");
    cr_assert(strstr(j, "\"stub\":true"), "%s", j);
    cr_assert(strstr(j, "\"deactivated\":true"), "%s", j);
    free(j);
    j = lookup(reg, npi);
    cr_assert(strstr(j, "\"last_name\":\"NEWBIE\""), "%s", j);
    free(j);
    j = lookup(reg, "1134296023");
    cr_assert(strstr(j, "\"deactivated\":true,\"in_deactivation_list\":false,\"stub\":false"), "%s", j);
    cr_assert(strstr(j, "\"last_name\":\"BACK\""), "%s", j);
    cr_assert(strstr(j, "\"deactivation_date\":\"2024-05-05\",\"reactivation_date\":null"), "%s", j);
    free(j);
    nm_registry_info in;
    nm_registry_get_info(reg, &in);
    cr_assert_eq(in.secondary_locations, 2);
    cr_assert_eq(in.with_secondary_locations, 1);
    cr_assert_eq(in.other_names, 4);   /* Jane's other name, Acme's column 11, two othername rows */
    cr_assert_eq(in.deactivated, 4);
    nm_registry_free(reg);
    unlink(m), unlink(w), unlink(on), unlink(pl), unlink(de);
}

/* Bad rows: each problem reported at its exact line and column. */
Test(nppes, bad_rows_exact_locations) {
    static layout l;
    static frow r;
    make_layout(&l, 330);
    char p[512];
    tmp_path(p, sizeof p, "bad.csv");
    nm_buf b = {0};
    char buf[4096];
    put_header(&b, &l, "\n");
    jane(&r, &l);
    put_row(&b, r.v, l.n, "\n");                            /* 2: fine */
    put_row(&b, r.v, l.n - 1, "\n");                        /* 3: one field short */
    unsigned last_col = col_of(&r, "Healthcare Provider Taxonomy Group_15");
    set(&r, "NPI", "1234567890");
    put_row(&b, r.v, l.n, "\n");                            /* 4: check digit */
    set(&r, "NPI", "1234567893");
    set(&r, "Entity Type Code", "3");
    put_row(&b, r.v, l.n, "\n");                            /* 5: entity type */
    unsigned et_col = col_of(&r, "Entity Type Code");
    set(&r, "Entity Type Code", "1");
    set(&r, "Provider Enumeration Date", "02/30/2020");
    put_row(&b, r.v, l.n, "\n");                            /* 6: impossible date, nulled */
    unsigned date_col = col_of(&r, "Provider Enumeration Date");
    set(&r, "Provider Enumeration Date", "05/23/2005");
    set(&r, "Provider First Name", "ABCDEFGHIJABCDEFGHIJABCDEFGHIJABCDEFGHIJ");   /* 40 > 35 */
    put_row(&b, r.v, l.n, "\n");                            /* 7: too long, nulled */
    unsigned first_col = col_of(&r, "Provider First Name");
    set(&r, "Provider First Name", "JANE");
    size_t at = b.len;
    put_row(&b, r.v, l.n, "\n");                            /* 8: NUL byte */
    unsigned last_name_col = col_of(&r, "Provider Last Name (Legal Name)");
    b.data[at + last_name_col + 1] = 0;                     /* inside "SMITH" */
    unsigned cert_col = col_of(&r, "Certification Date");
    put_row(&b, r.v, l.n, "\n");                            /* 9: quote open at end of line */
    b.len -= 2;
    nm_buf_printf(&b, "\n");
    /* Latin-1 N with tilde, 35 characters: fits, though its UTF-8 form has 36 bytes */
    char acc[] = "MU\xD1OZABCDEFGHIJABCDEFGHIJABCDEFGHIJ";
    set(&r, "Provider Last Name (Legal Name)", acc);
    put_row(&b, r.v, l.n, "\n");                            /* 10: Latin-1, kept */
    unsigned acc_col = col_of(&r, "Provider Last Name (Legal Name)");
    set(&r, "Provider Last Name (Legal Name)", "SMITH");
    set(&r, "Entity Type Code", "");
    put_row(&b, r.v, l.n, "\n");                            /* 11: no entity type and not a stub */
    write_file(p, b.data, b.len);
    nm_buf_free(&b);
    const char *paths[] = {p};
    nm_index_stats st;
    char *rep = NULL;
    nm_registry *reg = build(paths, 1, 1, &st, &rep);
    cr_assert_eq(st.rows_read, 10);
    cr_assert_eq(st.rows_skipped, 6, "%s", rep);
    cr_assert_eq(st.fields_nulled, 2, "%s", rep);
    const struct {
        int line;
        unsigned col;
        const char *text;
    } want[] = {
        {3, last_col, "wrong number of fields (row skipped)"},
        {4, 1, "invalid NPI (length, digits or check digit) (row skipped)"},
        {5, et_col, "unknown entity type (row skipped)"},
        {6, date_col, "impossible date (field nulled)"},
        {7, first_col, "field too long (field nulled)"},
        {8, last_name_col + 2, "embedded NUL byte (row skipped)"},
        {9, cert_col, "unbalanced quote (row skipped)"},
        {10, acc_col, "invalid UTF-8 (read as Latin-1)"},
        {11, et_col, "unknown entity type (row skipped)"},
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        snprintf(buf, sizeof buf, "%s:%d:%u: %s", p, want[i].line, want[i].col, want[i].text);
        cr_assert(strstr(rep, buf), "missing \"%s\" in:\n%s", buf, rep);
    }
    cr_assert(strstr(rep, "summary: 6 rows skipped, 2 fields nulled"), "%s", rep);
    /* contents never appear in the report */
    cr_assert_null(strstr(rep, "SMITH"));
    cr_assert_null(strstr(rep, "ABCDEFGHIJ"));
    free(rep);
    /* rows 2, 6, 7, 10 kept; all the same NPI: the last (10) wins */
    cr_assert_eq(nm_registry_count(reg), 1);
    char *j = lookup(reg, "1234567893");
    cr_assert(strstr(j, "\"last_name\":\"MU\xC3\x91OZABCDEFGHIJABCDEFGHIJABCDEFGHIJ\""), "%s", j);
    free(j);
    nm_registry_free(reg);
    /* strict mode fails the build */
    nm_index_opts o = {0};
    o.strict = 1;
    o.quiet = 1;
    nm_registry *none = NULL;
    nm_err err;
    cr_assert_eq(nm_registry_build(paths, 1, &o, &none, &st, &err), NM_E_BADROWS);
    cr_assert_null(none);
    cr_assert_eq(st.rows_skipped, 6);
    unlink(p);
}

Test(nppes, fatal_files) {
    char p[512];
    tmp_path(p, sizeof p, "fatal.csv");
    const char *paths[] = {p};
    nm_index_opts o = {0};
    o.quiet = 1;
    nm_registry *r = NULL;
    nm_err err;
    write_file(p, "", 0);
    cr_assert_eq(nm_registry_build(paths, 1, &o, &r, NULL, &err), NM_E_FORMAT);
    write_file(p, "\"a\",\"b\"\n\"1\",\"2\"\n", 16);
    cr_assert_eq(nm_registry_build(paths, 1, &o, &r, NULL, &err), NM_E_FORMAT);
    cr_assert(strstr(err.msg, "not an NPPES file"), "%s", err.msg);
    const char *ep = "\"NPI\",\"Endpoint Type\"\n\"1234567893\",\"DIRECT\"\n";
    write_file(p, ep, strlen(ep));
    cr_assert_eq(nm_registry_build(paths, 1, &o, &r, NULL, &err), NM_E_FORMAT);
    cr_assert(strstr(err.msg, "endpoint_pfile"), "%s", err.msg);
    /* a main file without its "Provider First Name" column */
    static layout l;
    make_layout(&l, 330);
    strcpy(l.names[6], "Something Else");
    nm_buf b = {0};
    put_header(&b, &l, "\n");
    write_file(p, b.data, b.len);
    nm_buf_free(&b);
    cr_assert_eq(nm_registry_build(paths, 1, &o, &r, NULL, &err), NM_E_FORMAT);
    cr_assert(strstr(err.msg, "missing required column \"Provider First Name\""), "%s", err.msg);
    cr_assert_null(r);
    const char *missing[] = {"/nonexistent/npidata.csv"};
    cr_assert_lt(nm_registry_build(missing, 1, &o, &r, NULL, &err), 0);
    unlink(p);
}

/* Many rows, so the scanner cuts them into several chunks: the snapshot must
 * be byte-identical for 1 and 2 threads. */
Test(nppes, threads_identical) {
    static layout l;
    static frow r;
    make_layout(&l, 330);
    char p[512], s1[512], s2[512];
    tmp_path(p, sizeof p, "many.csv");
    tmp_path(s1, sizeof s1, "t1.nmx");
    tmp_path(s2, sizeof s2, "t2.nmx");
    nm_buf b = {0};
    put_header(&b, &l, "\n");
    static const char *const cities[] = {"AUSTIN", "BOSTON", "DENVER", "MIAMI", "OMAHA", "TULSA", "RENO"};
    for (unsigned i = 0; i < 6000; i++) {
        char npi[11], name[32];
        series_npi(npi, i % 5000);   /* the last 1000 update earlier rows */
        row_init(&r, &l, npi, i % 3 ? "1" : "2");
        snprintf(name, sizeof name, "NAME%u", i);
        set(&r, i % 3 ? "Provider Last Name (Legal Name)" : "Provider Organization Name (Legal Business Name)", name);
        set(&r, "Provider Business Practice Location Address City Name", cities[(i * 7) % 7 + i % 5]);
        set(&r, "Healthcare Provider Taxonomy Code_1", i % 2 ? "207Q00000X" : "363L00000X");
        if (i % 11 == 0) set(&r, "Provider Enumeration Date", "13/01/2020");
        put_row(&b, r.v, l.n, "\n");
    }
    write_file(p, b.data, b.len);
    nm_buf_free(&b);
    const char *paths[] = {p};
    char *rep1 = NULL, *rep2 = NULL;
    nm_index_stats st1, st2;
    nm_registry *a = build(paths, 1, 1, &st1, &rep1), *c = build(paths, 1, 2, &st2, &rep2);
    cr_assert_str_eq(rep1, rep2);
    cr_assert_eq(st1.providers_updated, 1000);
    cr_assert_eq(st2.providers_updated, 1000);
    cr_assert_eq(st1.fields_nulled, st2.fields_nulled);
    nm_err err;
    cr_assert_eq(nm_registry_save(a, s1, &err), 0, "%s", err.msg);
    cr_assert_eq(nm_registry_save(c, s2, &err), 0, "%s", err.msg);
    size_t n1, n2;
    char *x = NULL, *y = NULL;
    cr_assert_eq(nm_read_all(s1, &x, &n1, &err), 0);
    cr_assert_eq(nm_read_all(s2, &y, &n2, &err), 0);
    cr_assert_eq(n1, n2);
    cr_assert_eq(memcmp(x, y, n1), 0, "snapshots differ between 1 and 2 threads");
    /* and a load gives back every row */
    nm_registry *d = NULL;
    cr_assert_eq(nm_registry_load(s1, &d, &err), 0, "%s", err.msg);
    for (size_t i = 0; i < nm_registry_count(a); i += 13) {
        char *ja, *jd;
        nm_registry_row_json(a, i, &ja, NULL);
        nm_registry_row_json(d, i, &jd, NULL);
        cr_assert_str_eq(ja, jd);
        free(ja), free(jd);
    }
    free(x), free(y), free(rep1), free(rep2);
    nm_registry_free(a), nm_registry_free(c), nm_registry_free(d);
    unlink(p), unlink(s1), unlink(s2);
}

/* ---- the commands ---------------------------------------------------------------------- */


Test(cli, index_info_lookup) {
    char m[512], snap[512], cmd[2048], out[16384];
    tmp_path(m, sizeof m, "cli.csv");
    tmp_path(snap, sizeof snap, "cli.nmx");
    write_main(m, 330, "\n", 0);
    snprintf(cmd, sizeof cmd, "%s index --out %s --threads 2 %s 2>&1", NM_CLI_PATH, snap, m);
    cr_assert_eq(nm_test_shell(cmd, out, sizeof out), 0, "%s", out);
    cr_assert(strstr(out, "4 providers"), "%s", out);
    snprintf(cmd, sizeof cmd, "%s info %s --json", NM_CLI_PATH, snap);
    cr_assert_eq(nm_test_shell(cmd, out, sizeof out), 0, "%s", out);
    cr_assert(strstr(out, "{\"providers\":4,\"individuals\":2,\"organizations\":1,\"deactivated\":1,"), "%s", out);
    snprintf(cmd, sizeof cmd, "%s info %s", NM_CLI_PATH, snap);
    cr_assert_eq(nm_test_shell(cmd, out, sizeof out), 0, "%s", out);
    cr_assert(strstr(out, "providers"), "%s", out);
    snprintf(cmd, sizeof cmd, "%s lookup %s 1234567893 1558598797", NM_CLI_PATH, snap);
    cr_assert_eq(nm_test_shell(cmd, out, sizeof out), 0, "%s", out);
    cr_assert_eq(strncmp(out, JANE_JSON_A, strlen(JANE_JSON_A)), 0, "%s", out);
    cr_assert(strstr(out, "}\n{\"npi\":\"1558598797\""), "%s", out);
    /* unknown NPI: message on stderr, the others still printed, exit 1 */
    snprintf(cmd, sizeof cmd, "%s lookup %s 1679576722 1558598797 2>/dev/null", NM_CLI_PATH, snap);
    cr_assert_eq(nm_test_shell(cmd, out, sizeof out), 1);
    cr_assert_eq(strncmp(out, "{\"npi\":\"1558598797\"", 19), 0, "%s", out);
    snprintf(cmd, sizeof cmd, "%s lookup %s 1679576722 2>&1 >/dev/null", NM_CLI_PATH, snap);
    cr_assert_eq(nm_test_shell(cmd, out, sizeof out), 1);
    cr_assert(strstr(out, "1679576722 not found"), "%s", out);
    /* failures: corrupt snapshot, missing file, usage */
    snprintf(cmd, sizeof cmd, "%s info %s 2>&1", NM_CLI_PATH, m);
    cr_assert_eq(nm_test_shell(cmd, out, sizeof out), 1);
    cr_assert(strstr(out, "not an npimatch registry snapshot"), "%s", out);
    snprintf(cmd, sizeof cmd, "%s index --out %s /nonexistent.csv 2>&1", NM_CLI_PATH, snap);
    cr_assert_eq(nm_test_shell(cmd, out, sizeof out), 1);
    snprintf(cmd, sizeof cmd, "%s index %s 2>&1", NM_CLI_PATH, m);
    cr_assert_eq(nm_test_shell(cmd, out, sizeof out), 2);
    /* standard input */
    snprintf(cmd, sizeof cmd, "cat %s | %s index --quiet --out %s - && %s info --json %s", m, NM_CLI_PATH, snap,
             NM_CLI_PATH, snap);
    cr_assert_eq(nm_test_shell(cmd, out, sizeof out), 0, "%s", out);
    cr_assert(strstr(out, "{\"providers\":4,"), "%s", out);
    /* strict mode with a bad row: exit 1 and the previous snapshot kept */
    FILE *f = fopen(m, "ab");
    fputs("\"1234567890\",\"1\"\n", f);
    fclose(f);
    snprintf(cmd, sizeof cmd, "%s index --strict --out %s %s 2>&1", NM_CLI_PATH, snap, m);
    cr_assert_eq(nm_test_shell(cmd, out, sizeof out), 1, "%s", out);
    cr_assert(strstr(out, "cli.csv:6:"), "%s", out);
    snprintf(cmd, sizeof cmd, "%s info --json %s", NM_CLI_PATH, snap);
    cr_assert_eq(nm_test_shell(cmd, out, sizeof out), 0, "%s", out);
    snprintf(cmd, sizeof cmd, "%s index --quiet --out %s %s 2>&1", NM_CLI_PATH, snap, m);
    cr_assert_eq(nm_test_shell(cmd, out, sizeof out), 0, "%s", out);
    cr_assert_str_eq(out, "");
    unlink(m), unlink(snap);
}

