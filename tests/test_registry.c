/* Tests of the registry store without the CSV layer: NPI check digit, date
 * parsing, dictionary, record encoding, the builder (updates by NPI, stubs,
 * deactivation lists, companion lists), JSON, and the snapshot format
 * (round trip, thread-count independence, refusal of damaged files). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xxhash.h>
#include "npimatch.h"
#include "registry/registry_internal.h"

static void tmp_path(char *out, size_t cap, const char *name) {
    snprintf(out, cap, "%s/registry_%d_%s", NM_TEST_TMPDIR, (int)getpid(), name);
}

/* ---- NPI check digit (CMS "Requirements for NPI Check Digit") ------------- */

Test(npi, known_valid_and_invalid) {
    /* CMS example and published NPIs, including one whose check digit is 0 */
    const char *valid[] = {"1234567893", "1558598797", "1295723567", "1134296023", "1679576722", "1306849450"};
    for (size_t i = 0; i < sizeof valid / sizeof valid[0]; i++) cr_assert(nm_npi_valid(valid[i], 10), "%s", valid[i]);
    cr_assert_not(nm_npi_valid("1234567890", 10));
    cr_assert_not(nm_npi_valid("123456789", 9));
    cr_assert_not(nm_npi_valid("12345678933", 11));
    cr_assert_not(nm_npi_valid("3234567893", 10));   /* must start with 1 or 2 */
    cr_assert_not(nm_npi_valid("12345a7893", 10));
    cr_assert_not(nm_npi_valid(NULL, 0));
    cr_assert_eq(nm_npi_parse("1306849450", 10), 1306849450u);
    cr_assert_eq(nm_npi_parse("1234567890", 10), 0u);
}

Test(npi, exactly_one_check_digit_per_base) {
    /* Luhn: for every 9-digit base exactly one check digit is valid */
    char s[11] = "1000000000";
    unsigned seed = 12345;
    for (int k = 0; k < 2000; k++) {
        seed = seed * 1103515245u + 12345u;
        snprintf(s, sizeof s, "%c%08u0", (seed >> 30) & 1 ? '2' : '1', (seed >> 3) % 100000000u);
        int nvalid = 0;
        for (char c = '0'; c <= '9'; c++) {
            s[9] = c;
            nvalid += nm_npi_valid(s, 10);
        }
        cr_assert_eq(nvalid, 1);
    }
}

/* ---- dates ------------------------------------------------------------------- */

Test(date, mdy_parsing) {
    cr_assert_eq(nm_parse_date_mdy("05/23/2005", 10), 20050523);
    cr_assert_eq(nm_parse_date_mdy("02/29/2024", 10), 20240229);   /* leap year */
    cr_assert_eq(nm_parse_date_mdy("02/29/2000", 10), 20000229);   /* divisible by 400 */
    cr_assert_eq(nm_parse_date_mdy("", 0), 0);
    cr_assert_eq(nm_parse_date_mdy("02/29/1900", 10), -1);         /* divisible by 100 */
    cr_assert_eq(nm_parse_date_mdy("02/29/2023", 10), -1);
    cr_assert_eq(nm_parse_date_mdy("13/01/2020", 10), -1);
    cr_assert_eq(nm_parse_date_mdy("00/10/2020", 10), -1);
    cr_assert_eq(nm_parse_date_mdy("04/31/2020", 10), -1);
    cr_assert_eq(nm_parse_date_mdy("2020-01-01", 10), -1);
    cr_assert_eq(nm_parse_date_mdy("1/1/2020", 8), 20200101);     /* spreadsheet export style */
    cr_assert_eq(nm_parse_date_mdy("3/15/2024", 9), 20240315);
    cr_assert_eq(nm_parse_date_mdy("1/1/20", 6), -1);
    cr_assert_eq(nm_parse_date_mdy("001/01/2020", 11), -1);
    cr_assert_eq(nm_parse_date_mdy("01/01/2020 ", 11), -1);
    cr_assert_eq(nm_parse_date_mdy("/01/2020", 8), -1);
    cr_assert_eq(nm_parse_date_mdy("01-01-2020", 10), -1);
    cr_assert_eq(nm_parse_date_mdy("01/01/0000", 10), -1);
}

/* ---- dictionary and records -------------------------------------------------- */

Test(dict, intern_find_get) {
    nm_dict d;
    nm_dict_init(&d);
    char buf[32];
    for (int i = 0; i < 5000; i++) {
        snprintf(buf, sizeof buf, "v%d", i);
        cr_assert_eq(nm_dict_intern(&d, buf, strlen(buf)), i + 1);
    }
    cr_assert_eq(nm_dict_intern(&d, "v42", 3), 43);
    cr_assert_eq(nm_dict_intern(&d, "", 0), 0);
    cr_assert_eq(nm_dict_find(&d, "v4999", 5), 5000u);
    cr_assert_eq(nm_dict_find(&d, "nope", 4), 0u);
    nm_str s = nm_dict_get(&d, 1234);
    cr_assert_eq(s.len, 5);
    cr_assert_eq(memcmp(s.p, "v1233", 5), 0);
    cr_assert_null(nm_dict_get(&d, 0).p);
    nm_dict_free(&d);
}

Test(rec, encode_decode_roundtrip) {
    nm_dict d;
    nm_dict_init(&d);
    nm_buf blob = {0};
    nm_rec_val v[NM_PF_COUNT];
    memset(v, 0, sizeof v);
    char big[300];
    memset(big, 'x', sizeof big);   /* length needs a 2-byte varint */
    v[NM_PF_LINE1] = (nm_rec_val){big, sizeof big, 0};
    v[NM_PF_STATE] = (nm_rec_val){"TX", 2, (uint32_t)nm_dict_intern(&d, "TX", 2)};
    v[NM_PF_FAX] = (nm_rec_val){"5551234567", 10, 0};
    cr_assert_eq(nm_rec_encode(&blob, &nm_schema_pl, v, NULL), 0);
    size_t first = blob.len;
    cr_assert_eq(nm_rec_encode(&blob, &nm_schema_pl, v, NULL), 0);
    nm_str out[NM_PF_COUNT];
    const uint8_t *p = nm_rec_decode((const uint8_t *)blob.data, &nm_schema_pl, &d, out);
    cr_assert_eq((size_t)(p - (const uint8_t *)blob.data), first);
    cr_assert_eq(out[NM_PF_LINE1].len, 300);
    cr_assert_eq(out[NM_PF_LINE2].len, 0);
    cr_assert_eq(out[NM_PF_STATE].len, 2);
    cr_assert_eq(memcmp(out[NM_PF_STATE].p, "TX", 2), 0);
    cr_assert_eq(memcmp(out[NM_PF_FAX].p, "5551234567", 10), 0);
    nm_buf_free(&blob);
    nm_dict_free(&d);
}

/* ---- builder ---------------------------------------------------------------------- */

/* NPI i of a test series: 9-digit base from i, check digit found by trying all ten. */
static uint32_t test_npi(uint32_t i) {
    char s[11];
    snprintf(s, sizeof s, "1%08u0", i);
    for (char c = '0'; c <= '9'; c++) {
        s[9] = c;
        if (nm_npi_valid(s, 10)) return nm_npi_parse(s, 10);
    }
    return 0;
}

/* Append a synthetic main row to a part, the way ingest does. */
static void add_row(nm_regb_part *p, uint32_t npi, uint8_t entity, const char *last, const char *city,
                    const char *tax, uint32_t deact) {
    nm_regb_row row = {0};
    row.npi = npi;
    row.entity = entity;
    row.sex = entity == 1 ? 'F' : 0;
    row.date[NM_D_ENUM] = 20070101;
    row.date[NM_D_DEACT] = deact;
    nm_rec_val mv[NM_MF_COUNT];
    memset(mv, 0, sizeof mv);
    mv[entity == 1 ? NM_MF_LAST : NM_MF_ORG_NAME] = (nm_rec_val){last, (uint32_t)strlen(last), 0};
    mv[NM_MF_PRAC_CITY] = (nm_rec_val){city, (uint32_t)strlen(city), 0};
    mv[NM_MF_PRAC_CITY].id = (uint32_t)nm_dict_intern(&p->dict, city, strlen(city));
    cr_assert_eq(NM_VEC_PUSH(&p->rows, row), 0);
    cr_assert_eq(NM_VEC_PUSH(&p->off, (uint64_t)p->blob.len), 0);
    cr_assert_eq(nm_rec_encode(&p->blob, &nm_schema_main, mv, &p->patch), 0);
    nm_varint_put(&p->blob, tax ? 1 : 0);
    if (tax) {
        nm_rec_val tv[NM_TF_COUNT];
        memset(tv, 0, sizeof tv);
        tv[NM_TF_CODE] = (nm_rec_val){tax, 10, (uint32_t)nm_dict_intern(&p->dict, tax, strlen(tax))};
        tv[NM_TF_PRIMARY] = (nm_rec_val){"Y", 1, (uint32_t)nm_dict_intern(&p->dict, "Y", 1)};
        nm_buf_putc(&p->blob, 3);
        cr_assert_eq(nm_rec_encode(&p->blob, &nm_schema_tax, tv, &p->patch), 0);
    }
}

static const char *cities[] = {"AUSTIN", "BOSTON", "DENVER", "MIAMI", "OMAHA"};
static const char *taxes[] = {"207Q00000X", "208D00000X", "363L00000X"};

/* A registry of n synthetic providers, rows spread over `nparts` parts (as
 * if scanned with that many chunks). */
static nm_registry *make_registry(uint32_t n, int nparts) {
    nm_regb b;
    nm_regb_init(&b);
    uint32_t per = (n + (uint32_t)nparts - 1) / (uint32_t)nparts;
    for (uint32_t start = 0; start < n; start += per) {
        nm_regb_part p;
        nm_regb_part_init(&p);
        for (uint32_t i = start; i < n && i < start + per; i++) {
            char name[32];
            snprintf(name, sizeof name, "NAME%u", i);
            add_row(&p, test_npi(i), (uint8_t)(1 + i % 2), name, cities[i % 5], i % 4 ? taxes[i % 3] : NULL,
                    i % 10 == 9 ? 20200202 : 0);
        }
        cr_assert_eq(nm_regb_append_part(&b, &p), 0);
        nm_regb_part_free(&p);
    }
    /* a secondary location for every 7th provider, two for provider 0 */
    for (uint32_t i = 0; i < n; i += 7) {
        for (int k = 0; k < (i == 0 ? 2 : 1); k++) {
            nm_rec_val v[NM_PF_COUNT];
            memset(v, 0, sizeof v);
            v[NM_PF_LINE1] = (nm_rec_val){k ? "2 SECOND ST" : "1 FIRST ST", k ? 11u : 10u, 0};
            v[NM_PF_CITY] = (nm_rec_val){"OMAHA", 5, (uint32_t)nm_dict_intern(&b.dict, "OMAHA", 5)};
            nm_regb_item it = {test_npi(i), 1, i + 2, b.pl_blob.len};
            cr_assert_eq(NM_VEC_PUSH(&b.pl_items, it), 0);
            cr_assert_eq(nm_rec_encode(&b.pl_blob, &nm_schema_pl, v, NULL), 0);
        }
    }
    nm_registry *r = NULL;
    cr_assert_eq(nm_regb_finish(&b, &r, NULL, NULL), 0);
    nm_regb_free(&b);
    return r;
}

static char *json_of(const nm_registry *r, uint32_t npi) {
    int64_t row = nm_registry_find(r, npi);
    cr_assert_geq(row, 0, "NPI %u missing", npi);
    char *j = NULL;
    cr_assert_eq(nm_registry_row_json(r, (size_t)row, &j, NULL), 0);
    return j;
}

Test(builder, rows_fields_and_lists) {
    nm_registry *r = make_registry(100, 3);
    cr_assert_eq(nm_registry_count(r), 100);
    cr_assert_eq(nm_registry_find(r, 1234567893), -1);
    char *j = json_of(r, test_npi(0));
    cr_assert(strstr(j, "\"last_name\":\"NAME0\""), "%s", j);
    cr_assert(strstr(j, "\"practice_location\":{\"line1\":\"\",\"line2\":\"\",\"city\":\"AUSTIN\""), "%s", j);
    cr_assert(strstr(j, "\"taxonomies\":[],"), "%s", j);   /* i % 4 == 0: no taxonomy */
    cr_assert(strstr(j, "\"secondary_locations\":[{\"line1\":\"1 FIRST ST\",\"line2\":\"\",\"city\":\"OMAHA\""), "%s", j);
    cr_assert(strstr(j, "{\"line1\":\"2 SECOND ST\""), "%s", j);
    free(j);
    j = json_of(r, test_npi(5));
    cr_assert(strstr(j, "\"organization_name\":\"NAME5\""), "%s", j);
    cr_assert(strstr(j, "\"entity_type\":2"), "%s", j);
    cr_assert(strstr(j, "\"taxonomies\":[{\"slot\":3,\"code\":\"363L00000X\",\"license\":\"\",\"license_state\":\"\",\"primary\":\"Y\"}]"), "%s", j);
    cr_assert(strstr(j, "\"enumeration_date\":\"2007-01-01\""), "%s", j);
    cr_assert(strstr(j, "\"deactivation_date\":null"), "%s", j);
    free(j);
    j = json_of(r, test_npi(9));
    cr_assert(strstr(j, "\"deactivated\":true"), "%s", j);
    cr_assert(strstr(j, "\"deactivation_date\":\"2020-02-02\""), "%s", j);
    free(j);
    nm_registry_info in;
    nm_registry_get_info(r, &in);
    cr_assert_eq(in.providers, 100);
    cr_assert_eq(in.individuals, 50);
    cr_assert_eq(in.organizations, 50);
    cr_assert_eq(in.deactivated, 10);
    cr_assert_eq(in.secondary_locations, 16);   /* 15 providers (0,7,..,98) + 1 extra */
    cr_assert_eq(in.with_secondary_locations, 15);
    cr_assert_eq(in.taxonomies, 75);
    cr_assert_eq(in.distinct_taxonomies, 3);
    cr_assert_gt(in.memory_bytes, 100 * 40);
    char *dummy = NULL;
    cr_assert_eq(nm_registry_row_json(r, 100, &dummy, NULL), NM_E_ARG);
    /* the load-time record check accepts built records and catches damage */
    cr_assert(nm_registry_check_records(r));
    char saved = r->blob.data[r->blob_off[3] + 1];
    r->blob.data[r->blob_off[3] + 1] = (char)0x7f;   /* first string length overruns the record */
    cr_assert_not(nm_registry_check_records(r));
    r->blob.data[r->blob_off[3] + 1] = saved;
    r->dict.n--;                                     /* a dictionary id beyond the dictionary */
    cr_assert_not(nm_registry_check_records(r));
    r->dict.n++;
    cr_assert(nm_registry_check_records(r));
    /* single-field access agrees with the full decode, for every field */
    for (size_t row = 0; row < 100; row++) {
        nm_reg_main m;
        nm_reg_main_decode(r, row, &m);
        for (int f = 0; f < NM_MF_COUNT; f++) {
            nm_str s = nm_reg_main_field(r, row, (enum nm_main_field)f);
            cr_assert_eq(s.len, m.f[f].len);
            cr_assert(s.len == 0 || s.p == m.f[f].p);
        }
    }
    nm_registry_free(r);
}

static void count_unknown(void *u, uint16_t file, uint64_t line) {
    cr_assert_eq(file, 4);
    cr_assert_eq(line, 9);
    ++*(int *)u;
}

Test(builder, later_row_wins_and_deactivation_list) {
    nm_regb b;
    nm_regb_init(&b);
    nm_regb_part p;
    nm_regb_part_init(&p);
    add_row(&p, test_npi(1), 1, "OLD", "AUSTIN", NULL, 0);
    add_row(&p, test_npi(2), 1, "KEEP", "BOSTON", NULL, 0);
    cr_assert_eq(nm_regb_append_part(&b, &p), 0);
    nm_regb_part_reset(&p);
    add_row(&p, test_npi(1), 1, "NEW", "DENVER", NULL, 0);
    add_row(&p, test_npi(2), 0, "", "", NULL, 20220303);   /* weekly stub row for a full row */
    p.rows.v[p.rows.n - 1].flags = NM_RF_STUB;
    cr_assert_eq(nm_regb_append_part(&b, &p), 0);
    nm_regb_part_free(&p);
    /* deactivation list: one known NPI, one unknown (becomes a stub) */
    NM_VEC_PUSH(&b.deact_npi, test_npi(2));
    NM_VEC_PUSH(&b.deact_date, 20230105u);
    NM_VEC_PUSH(&b.deact_npi, test_npi(3));
    NM_VEC_PUSH(&b.deact_date, 20230106u);
    /* an othername item for an NPI that has no row is dropped and reported */
    nm_rec_val v[NM_OF_COUNT] = {{"X", 1, 0}, {0}};
    nm_regb_item it = {test_npi(77), 4, 9, 0};
    NM_VEC_PUSH(&b.on_items, it);
    nm_rec_encode(&b.on_blob, &nm_schema_on, v, NULL);
    nm_registry *r = NULL;
    int unknown = 0;
    cr_assert_eq(nm_regb_finish(&b, &r, count_unknown, &unknown), 0);
    cr_assert_eq(unknown, 1);
    cr_assert_eq(b.providers_updated, 2);
    nm_regb_free(&b);
    cr_assert_eq(nm_registry_count(r), 3);
    cr_assert_eq(nm_registry_find(r, test_npi(1)), 0);   /* keeps its first position */
    char *j = json_of(r, test_npi(1));
    cr_assert(strstr(j, "\"last_name\":\"NEW\""), "%s", j);
    cr_assert(strstr(j, "\"city\":\"DENVER\""), "%s", j);
    free(j);
    j = json_of(r, test_npi(2));
    cr_assert(strstr(j, "\"deactivated\":true,\"in_deactivation_list\":true,\"stub\":false"), "%s", j);
    cr_assert(strstr(j, "\"last_name\":\"KEEP\""), "%s", j);   /* the stub row kept the names */
    cr_assert(strstr(j, "\"deactivation_date\":\"2023-01-05\""), "%s", j);
    free(j);
    j = json_of(r, test_npi(3));
    cr_assert(strstr(j, "\"entity_type\":null"), "%s", j);
    cr_assert(strstr(j, "\"stub\":true"), "%s", j);
    cr_assert(strstr(j, "\"deactivation_date\":\"2023-01-06\""), "%s", j);
    free(j);
    nm_registry_free(r);
}

/* ---- snapshot -------------------------------------------------------------------------- */

static void assert_same_rows(const nm_registry *a, const nm_registry *b) {
    cr_assert_eq(nm_registry_count(a), nm_registry_count(b));
    for (size_t i = 0; i < nm_registry_count(a); i++) {
        char *x = NULL, *y = NULL;
        cr_assert_eq(nm_registry_row_json(a, i, &x, NULL), 0);
        cr_assert_eq(nm_registry_row_json(b, i, &y, NULL), 0);
        cr_assert_str_eq(x, y);
        free(x), free(y);
    }
    nm_registry_info ia, ib;
    nm_registry_get_info(a, &ia);
    nm_registry_get_info(b, &ib);
    cr_assert_eq(ia.taxonomies, ib.taxonomies);
    cr_assert_eq(ia.distinct_taxonomies, ib.distinct_taxonomies);
    cr_assert_eq(ia.secondary_locations, ib.secondary_locations);
    cr_assert_eq(ia.deactivated, ib.deactivated);
}

static char *slurp(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *p = malloc((size_t)n + 1);
    cr_assert_eq(fread(p, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    *len = (size_t)n;
    return p;
}

static void spit(const char *path, const char *p, size_t n) {
    FILE *f = fopen(path, "wb");
    cr_assert_not_null(f);
    cr_assert_eq(fwrite(p, 1, n, f), n);
    fclose(f);
}

Test(snapshot, roundtrip_and_chunking_independent) {
    char p1[512], p2[512];
    tmp_path(p1, sizeof p1, "a.nmx");
    tmp_path(p2, sizeof p2, "b.nmx");
    nm_registry *a = make_registry(3000, 1), *b = make_registry(3000, 7);
    nm_err err;
    cr_assert_eq(nm_registry_save(a, p1, &err), 0, "%s", err.msg);
    cr_assert_eq(nm_registry_save(b, p2, &err), 0, "%s", err.msg);
    size_t l1, l2;
    char *s1 = slurp(p1, &l1), *s2 = slurp(p2, &l2);
    cr_assert_eq(l1, l2);
    cr_assert_eq(memcmp(s1, s2, l1), 0, "snapshots differ with the chunking");
    free(s1), free(s2);
    nm_registry *c = NULL;
    cr_assert_eq(nm_registry_load(p1, &c, &err), 0, "%s", err.msg);
    assert_same_rows(a, c);
    for (uint32_t i = 0; i < 3000; i += 97) cr_assert_eq(nm_registry_find(c, test_npi(i)), (int64_t)i);
    nm_registry_free(a), nm_registry_free(b), nm_registry_free(c);
    unlink(p1), unlink(p2);
}

Test(snapshot, empty_registry_roundtrip) {
    nm_regb b;
    nm_regb_init(&b);
    nm_registry *r = NULL, *c = NULL;
    cr_assert_eq(nm_regb_finish(&b, &r, NULL, NULL), 0);
    nm_regb_free(&b);
    char p[512];
    tmp_path(p, sizeof p, "empty.nmx");
    nm_err err;
    cr_assert_eq(nm_registry_save(r, p, &err), 0, "%s", err.msg);
    cr_assert_eq(nm_registry_load(p, &c, &err), 0, "%s", err.msg);
    cr_assert_eq(nm_registry_count(c), 0);
    cr_assert_eq(nm_registry_find(c, 1234567893), -1);
    nm_registry_free(r), nm_registry_free(c);
    unlink(p);
}

static int load_code(const char *path, nm_err *err) {
    nm_registry *r = NULL;
    int rc = nm_registry_load(path, &r, err);
    cr_assert_null(r);
    return rc;
}

/* Save a synthetic registry of `rows` providers to `path`; return its bytes. */
static char *saved_bytes(uint32_t rows, const char *path, size_t *n) {
    nm_registry *r = make_registry(rows, 2);
    nm_err err;
    cr_assert_eq(nm_registry_save(r, path, &err), 0, "%s", err.msg);
    nm_registry_free(r);
    return slurp(path, n);
}

Test(snapshot, refuses_damaged_files) {
    char p[512], q[512];
    tmp_path(p, sizeof p, "good.nmx");
    tmp_path(q, sizeof q, "bad.nmx");
    nm_registry *r = NULL;
    nm_err err;
    size_t n;
    char *s = saved_bytes(500, p, &n);
    /* truncated at several points, including inside the header */
    size_t cuts[] = {0, 5, 40, 64, n / 2, n - 1};
    for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
        spit(q, s, cuts[i]);
        cr_assert_eq(load_code(q, &err), NM_E_CORRUPT, "cut %zu: %s", cuts[i], err.msg);
    }
    /* one flipped byte anywhere after the header: checksum */
    size_t flips[] = {64, 100, n / 3, n - 1};
    for (size_t i = 0; i < sizeof flips / sizeof flips[0]; i++) {
        s[flips[i]] ^= 0x20;
        spit(q, s, n);
        cr_assert_eq(load_code(q, &err), NM_E_CORRUPT, "flip %zu", flips[i]);
        cr_assert(strstr(err.msg, "checksum"), "%s", err.msg);
        s[flips[i]] ^= 0x20;
    }
    /* a flipped byte in the stored checksum itself */
    s[30] ^= 1;
    spit(q, s, n);
    cr_assert_eq(load_code(q, &err), NM_E_CORRUPT);
    s[30] ^= 1;
    /* wrong magic: not a snapshot */
    s[0] = 'X';
    spit(q, s, n);
    cr_assert_eq(load_code(q, &err), NM_E_FORMAT);
    cr_assert(strstr(err.msg, "not an npimatch registry snapshot"), "%s", err.msg);
    s[0] = 'N';
    /* other format version */
    s[8] = 99;
    spit(q, s, n);
    cr_assert_eq(load_code(q, &err), NM_E_VERSION);
    cr_assert(strstr(err.msg, "version 99"), "%s", err.msg);
    s[8] = 1;
    /* byte-order mark from another machine */
    char bom[4] = {1, 2, 3, 4};
    memcpy(s + 12, bom, 4);
    spit(q, s, n);
    cr_assert_eq(load_code(q, &err), NM_E_FORMAT);
    /* a text file */
    spit(q, "\"NPI\",\"Entity Type Code\"\n", 25);
    cr_assert_eq(load_code(q, &err), NM_E_FORMAT);
    /* the untouched bytes still load */
    cr_assert_eq(nm_registry_load(p, &r, &err), 0, "%s", err.msg);
    nm_registry_free(r);
    cr_assert_eq(load_code("/nonexistent/x.nmx", &err), NM_E_NOTFOUND);
    free(s);
    unlink(p), unlink(q);
}

/* A file whose checksum is right but whose sizes lie (a buggy or hostile
 * writer) is still refused, never read out of bounds. */
Test(snapshot, refuses_inconsistent_sizes_with_valid_checksum) {
    char p[512], q[512];
    tmp_path(p, sizeof p, "sizes.nmx");
    tmp_path(q, sizeof q, "sizes_bad.nmx");
    nm_err err;
    size_t n;
    char *s = saved_bytes(300, p, &n);
    /* meta words: 0 rows, 1 blob bytes, ..., 6 dictionary entries */
    const size_t words[] = {0, 1, 2, 6, 7};
    const int64_t deltas[] = {1, -1, 1000000};
    for (size_t w = 0; w < sizeof words / sizeof words[0]; w++)
        for (size_t d = 0; d < sizeof deltas / sizeof deltas[0]; d++) {
            char *t = malloc(n);
            memcpy(t, s, n);
            uint64_t v;
            memcpy(&v, t + 64 + 8 * words[w], 8);
            v += (uint64_t)deltas[d];
            memcpy(t + 64 + 8 * words[w], &v, 8);
            uint64_t h = XXH3_64bits(t + 64, n - 64);
            memcpy(t + 24, &h, 8);
            spit(q, t, n);
            cr_assert_eq(load_code(q, &err), NM_E_CORRUPT, "meta word %zu delta %lld: %s", words[w],
                         (long long)deltas[d], err.msg);
            free(t);
        }
    free(s);
    unlink(p), unlink(q);
}
