/* Addresses, phone numbers, dates and NPIs for the generators. */
#include <string.h>
#include "gen/gen.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static size_t put_cstr(char *out, size_t at, size_t cap, const char *s) { return nm_gen_cat(out, at, cap, s, strlen(s)); }

static size_t put_uint(char *out, size_t at, size_t cap, uint32_t v) {
    char tmp[10];
    int n = 0;
    do tmp[n++] = (char)('0' + v % 10), v /= 10; while (v);
    char rev[10];
    for (int i = 0; i < n; i++) rev[i] = tmp[n - 1 - i];
    return nm_gen_cat(out, at, cap, rev, (size_t)n);
}

const char *nm_gen_pick_lit(nm_rng *r, const nm_gen_lit *a, size_t n) {
    uint32_t total = 0;
    for (size_t i = 0; i < n; i++) total += a[i].w;
    uint32_t x = nm_rng_below(r, total);
    for (size_t i = 0; i < n; i++) {
        if (x < a[i].w) return a[i].s;
        x -= a[i].w;
    }
    return a[n - 1].s;
}

const nm_gen_city *nm_gen_pick_city(const nm_gen_tables *t, nm_rng *r) {
    return &t->city[t->cities.ref[nm_gen_wpick(&t->cities, r)]];
}

const nm_gen_city *nm_gen_pick_city_in_state(const nm_gen_tables *t, nm_rng *r, const nm_gen_city *c) {
    const nm_gen_wtable *w = &t->states[c->state_idx].by_weight;
    return &t->city[w->ref[nm_gen_wpick(w, r)]];
}

/* Street suffixes: USPS Publication 28 appendix C1 abbreviations, with the
 * spelled-out and dotted forms people type into NPPES. */
static const nm_gen_lit SUFFIX[] = {
    {"ST", 250}, {"AVE", 180}, {"RD", 140}, {"DR", 160}, {"BLVD", 60}, {"LN", 50}, {"WAY", 40},
    {"CT", 30},  {"PKWY", 30}, {"HWY", 20}, {"PL", 20},  {"CIR", 20}, {"TRL", 10}, {"PIKE", 8},
    {"STREET", 35}, {"AVENUE", 20}, {"ROAD", 18}, {"DRIVE", 18}, {"BOULEVARD", 6}, {"LANE", 5},
    {"AVE.", 6}, {"ST.", 6}, {"RD.", 4}, {"DR.", 4}};
static const nm_gen_lit PREDIR[] = {{"N", 30}, {"S", 30}, {"E", 25}, {"W", 25}, {"NE", 4}, {"NW", 4}, {"SE", 4},
                              {"SW", 4}, {"NORTH", 2}, {"SOUTH", 2}, {"W.", 1}, {"E.", 1}};
static const nm_gen_lit POSTDIR[] = {{"NW", 3}, {"NE", 3}, {"SW", 2}, {"SE", 2}, {"N", 2}, {"S", 2}, {"E", 1}, {"W", 1}};

static uint32_t house_number(nm_rng *r) {
    uint32_t u = nm_rng_below(r, 100);
    if (u < 12) return 1 + nm_rng_below(r, 99);
    if (u < 45) return 100 + nm_rng_below(r, 900);
    if (u < 88) return 1000 + nm_rng_below(r, 9000);
    return 10000 + nm_rng_below(r, 30000);
}

static uint32_t suite_number(nm_rng *r) {
    uint32_t u = nm_rng_below(r, 100);
    if (u < 45) return (1 + nm_rng_below(r, 9)) * 100;                  /* 100, 200 ... 900 */
    if (u < 70) return (1 + nm_rng_below(r, 9)) * 100 + nm_rng_below(r, 60);
    if (u < 90) return 1 + nm_rng_below(r, 30);
    return 1000 + nm_rng_below(r, 4000);
}

static size_t make_line2(nm_rng *r, char *o, size_t cap) {
    static const char *const ORD[] = {"1ST", "2ND", "3RD", "4TH", "5TH", "6TH"};
    size_t n = 0;
    uint32_t u = nm_rng_below(r, 100);
    if (u < 46) n = put_uint(o, put_cstr(o, 0, cap, "STE "), cap, suite_number(r));
    else if (u < 74) n = put_uint(o, put_cstr(o, 0, cap, "SUITE "), cap, suite_number(r));
    else if (u < 80) { n = put_cstr(o, 0, cap, "STE "); o[n++] = (char)('A' + nm_rng_below(r, 6)); }
    else if (u < 83) { n = put_cstr(o, 0, cap, "SUITE "); o[n++] = (char)('A' + nm_rng_below(r, 6)); }
    else if (u < 87) { n = put_uint(o, put_cstr(o, 0, cap, "STE "), cap, 1 + nm_rng_below(r, 9)); o[n++] = (char)('A' + nm_rng_below(r, 4)); }
    else if (u < 90) n = put_uint(o, put_cstr(o, 0, cap, "SUITE #"), cap, suite_number(r));
    else if (u < 93) n = put_cstr(o, put_cstr(o, 0, cap, ORD[nm_rng_below(r, NELEM(ORD))]), cap, " FLOOR");
    else if (u < 95) n = put_uint(o, put_cstr(o, 0, cap, "BLDG "), cap, 1 + nm_rng_below(r, 12));
    else if (u < 97) n = put_uint(o, put_cstr(o, 0, cap, "# "), cap, suite_number(r));
    else if (u < 98) n = put_uint(o, put_cstr(o, 0, cap, "STE. "), cap, suite_number(r));
    else { n = put_uint(o, put_cstr(o, 0, cap, "APT "), cap, 1 + nm_rng_below(r, 30)); o[n++] = (char)('A' + nm_rng_below(r, 4)); }
    o[n] = 0;
    return n;
}

static void make_zip(nm_rng *r, const nm_gen_city *c, int plus4_pm, int plus4, char zip[10]) {
    memcpy(zip, c->zip3, 3);
    nm_gen_digits(zip + 3, nm_rng_below(r, 70), 2);   /* low ZIP5 tails are the most used */
    if ((int)nm_rng_below(r, 1000) < plus4_pm) {
        nm_gen_digits(zip + 5, plus4 >= 0 ? (uint32_t)plus4 : nm_rng_below(r, 10000), 4);
        zip[9] = 0;
    } else {
        zip[5] = 0;
    }
}

void nm_gen_address_make(const nm_gen_tables *t, nm_rng *r, const nm_gen_city *city, nm_gen_address *a) {
    char *o = a->line1;
    size_t cap = sizeof a->line1, n;
    a->city = city;
    n = put_uint(o, 0, cap, house_number(r));
    o[n++] = ' ';
    if (nm_rng_chance(r, 0.25)) {
        n = put_cstr(o, n, cap, nm_gen_pick_lit(r, PREDIR, NELEM(PREDIR)));
        o[n++] = ' ';
    }
    nm_gen_str st = nm_gen_wpick_str(&t->streets, r);
    n = nm_gen_cat(o, n, cap, st.s, st.len);
    o[n++] = ' ';
    n = put_cstr(o, n, cap, nm_gen_pick_lit(r, SUFFIX, NELEM(SUFFIX)));
    if (nm_rng_chance(r, 0.05)) {
        o[n++] = ' ';
        n = put_cstr(o, n, cap, nm_gen_pick_lit(r, POSTDIR, NELEM(POSTDIR)));
    }
    a->line2[0] = 0;
    if (nm_rng_chance(r, 0.05)) {   /* suite typed on line 1: "4780 SWEETWATER BLVD STE 100" */
        o[n++] = ' ';
        n += make_line2(r, o + n, cap - n);
    } else if (nm_rng_chance(r, 0.38)) {
        make_line2(r, a->line2, sizeof a->line2);
    }
    o[n] = 0;
    make_zip(r, city, 955, -1, a->zip);
}

void nm_gen_po_box_make(nm_rng *r, const nm_gen_city *city, nm_gen_address *a) {
    static const nm_gen_lit FORM[] = {{"PO BOX ", 88}, {"P.O. BOX ", 8}, {"P O BOX ", 4}};
    uint32_t box = nm_rng_chance(r, 0.9) ? 1 + nm_rng_below(r, 9999) : 10000 + nm_rng_below(r, 990000);
    size_t n = put_uint(a->line1, put_cstr(a->line1, 0, sizeof a->line1, nm_gen_pick_lit(r, FORM, NELEM(FORM))),
                        sizeof a->line1, box);
    a->line1[n] = 0;
    a->line2[0] = 0;
    a->city = city;
    /* USPS assigns PO box ZIP+4 add-ons from the box number (e.g. box 2168 -> 2168). */
    make_zip(r, city, 970, (int)(box % 10000), a->zip);
}

void nm_gen_phone(nm_rng *r, const nm_gen_city *city, char out[11]) {
    memcpy(out, city->area, 3);
    /* NANP exchange: first digit 2-9 and not an N11 service code. */
    uint32_t ex;
    do ex = 200 + nm_rng_below(r, 800); while (ex % 100 == 11);
    nm_gen_digits(out + 3, ex, 3);
    nm_gen_digits(out + 6, nm_rng_below(r, 10000), 4);
    out[10] = 0;
}

void nm_gen_fax_near(nm_rng *r, const char phone[11], char out[11]) {
    memcpy(out, phone, 6);
    uint32_t line = (uint32_t)((phone[6] - '0') * 1000 + (phone[7] - '0') * 100 + (phone[8] - '0') * 10 + (phone[9] - '0'));
    if (nm_rng_chance(r, 0.7)) line = (line + 1 + nm_rng_below(r, 30)) % 10000;
    else line = nm_rng_below(r, 10000);
    nm_gen_digits(out + 6, line, 4);
    out[10] = 0;
}

/* Days from civil date: H. Hinnant, "chrono-Compatible Low-Level Date
 * Algorithms" (proleptic Gregorian, exact for all int32 days). */
int32_t nm_gen_days(int y, int m, int d) {
    y -= m <= 2;
    int era = (y >= 0 ? y : y - 399) / 400;
    int yoe = y - era * 400;
    int doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

void nm_gen_date_str(int32_t days, char out[11]) {
    int32_t z = days + 719468;
    int era = (z >= 0 ? z : z - 146096) / 146097;
    int doe = z - era * 146097;
    int yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int y = yoe + era * 400;
    int doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int mp = (5 * doy + 2) / 153;
    int d = doy - (153 * mp + 2) / 5 + 1;
    int m = mp + (mp < 10 ? 3 : -9);
    y += m <= 2;
    nm_gen_digits(out, (uint32_t)m, 2);
    out[2] = '/';
    nm_gen_digits(out + 3, (uint32_t)d, 2);
    out[5] = '/';
    nm_gen_digits(out + 6, (uint32_t)y, 4);
    out[10] = 0;
}

int nm_gen_npi_check_digit(const char base9[9]) {
    /* Luhn with the 80840 prefix folded in as the constant 24; doubling
     * starts at the rightmost base digit (CMS, Requirements for NPI Check Digit). */
    int sum = 24;
    for (int i = 8, dbl = 1; i >= 0; i--, dbl ^= 1) {
        int v = base9[i] - '0';
        if (dbl) v = v * 2 > 9 ? v * 2 - 9 : v * 2;
        sum += v;
    }
    return (10 - sum % 10) % 10;
}

/* Keyed permutation of [0, 10^8): a 4-round balanced Feistel network on 28
 * bits with cycle walking (Black & Rogaway 2002), so NPIs look scattered but
 * never collide, and each is computed from its row index alone. */
static uint32_t npi_permute(uint64_t seed, uint32_t x) {
    uint64_t k = seed ^ 0x4E50494E50494E50ull;   /* "NPINPINP" */
    uint32_t keys[4];
    for (int i = 0; i < 4; i++) keys[i] = (uint32_t)nm_splitmix64(&k);
    do {
        uint32_t l = x >> 14, rr = x & 0x3FFF;
        for (int i = 0; i < 4; i++) {
            uint64_t h = ((uint64_t)rr << 32) ^ keys[i];
            uint32_t f = (uint32_t)nm_splitmix64(&h) & 0x3FFF;
            uint32_t nl = rr;
            rr = l ^ f;
            l = nl;
        }
        x = (l << 14) | rr;
    } while (x >= NM_GEN_NPI_SPACE);
    return x;
}

void nm_gen_npi(uint64_t seed, uint64_t index, char out[11]) {
    uint32_t v = npi_permute(seed, (uint32_t)(index % NM_GEN_NPI_SPACE));
    out[0] = '1';
    nm_gen_digits(out + 1, v, 8);
    out[9] = (char)('0' + nm_gen_npi_check_digit(out));
    out[10] = 0;
}
