/* Synthetic test data: shared building blocks of the generators.
 *
 * Every generator (gen nppes now; gen hcp and gen patients later) draws from
 * the same embedded tables, so names, addresses and phones look alike across
 * the files a test links together. The tables are CSVs written for the
 * project (one header line, no quoting; a value that may hold commas is the
 * last column):
 *   surnames.csv              name,weight   ~3,000 US surnames of many origins,
 *                                           weights ~ occurrences per million
 *   given_names_{male,female}.csv name,weight
 *   street_names.csv          name,weight   street names without suffix
 *   cities.csv                city,state,zip3,area_code,weight  (50 states, DC, PR)
 *   taxonomy_codes.csv        code,entity,class,weight,female_pct
 *   credentials_typed.csv     class,weight,spelling   ("M.D.", "MD", "MD, PHD" ...)
 *   org_words.csv             kind,weight,value   kinds: adj, legal, title,
 *                                           issuer, type:<class>, chain:<class>
 *   name_affixes.csv          kind,weight,value   prefix_dr, prefix_m, prefix_f, suffix
 *   nppes_header_330.csv, nppes_header_329.csv   the NPPES main-file headers
 * A `class` (PHYS, NP, GROUP, PHARMORG ...) ties a taxonomy code to the
 * credentials its holders type and to the words in its organizations' names.
 *
 * Determinism: nothing here reads the clock or global state. Give each record
 * its own nm_rng seeded from (seed, record index) and the output depends only
 * on the seed, never on the thread count or the order rows are made in.
 *
 * Strings produced here are upper-case ASCII, never contain a double quote,
 * CR or LF (NPPES replaces embedded quotes with single quotes, Readme 1.1), and
 * always fit the documented NPPES field lengths (Readme exhibit 2-1). */
#ifndef NM_GEN_H
#define NM_GEN_H

#include <stddef.h>
#include <stdint.h>
#include "npimatch/error.h"

/* ---- random numbers ------------------------------------------------------
 * xoshiro256** (Blackman & Vigna 2018) seeded through splitmix64, as its
 * authors recommend: fast, 256-bit state, no bad seeds. */
typedef struct nm_rng {
    uint64_t s[4];
} nm_rng;

static inline uint64_t nm_splitmix64(uint64_t *x) {
    uint64_t z = (*x += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* Seed a stream: (seed, stream) pairs give independent-looking sequences, so
 * `stream` is the record index and records can be made in any order. */
static inline void nm_rng_seed(nm_rng *r, uint64_t seed, uint64_t stream) {
    uint64_t x = seed ^ (stream * 0xD1342543DE82EF95ull);
    x = nm_splitmix64(&x) ^ stream;
    for (int i = 0; i < 4; i++) r->s[i] = nm_splitmix64(&x);
}

static inline uint64_t nm_rng_next(nm_rng *r) {
    uint64_t *s = r->s;
    uint64_t x = s[1] * 5, res = ((x << 7) | (x >> 57)) * 9, t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = (s[3] << 45) | (s[3] >> 19);
    return res;
}

/* Uniform in [0, n) by Lemire's multiply-shift (bias < n / 2^32: irrelevant
 * for test data, and it keeps the draw count fixed, which keeps streams
 * aligned). n must be >= 1. */
static inline uint32_t nm_rng_below(nm_rng *r, uint32_t n) {
    return (uint32_t)(((nm_rng_next(r) >> 32) * (uint64_t)n) >> 32);
}
/* Uniform in [lo, hi] (inclusive). */
static inline int32_t nm_rng_range(nm_rng *r, int32_t lo, int32_t hi) {
    return lo + (int32_t)nm_rng_below(r, (uint32_t)(hi - lo) + 1);
}
static inline double nm_rng_unit(nm_rng *r) { return (double)(nm_rng_next(r) >> 11) * 0x1p-53; }
/* 1 with probability p. */
static inline int nm_rng_chance(nm_rng *r, double p) { return nm_rng_unit(r) < p; }

/* ---- weighted tables -----------------------------------------------------
 * Walker's alias method (Vose's construction): O(1) draws whatever the size,
 * one 64-bit random number per draw. */
typedef struct nm_gen_str {
    const char *s;   /* points into the embedded data (static); not NUL-terminated */
    uint32_t len;
} nm_gen_str;

typedef struct nm_gen_wtable {
    uint32_t n;
    nm_gen_str *items;   /* the strings, in file order */
    uint32_t *ref;       /* per item: a caller-defined index (row of a parallel table) */
    uint32_t *prob;      /* alias threshold, scaled to 2^32 */
    uint32_t *alias;
} nm_gen_wtable;

static inline uint32_t nm_gen_wpick(const nm_gen_wtable *t, nm_rng *r) {
    uint64_t x = nm_rng_next(r);
    uint32_t i = (uint32_t)(((x >> 32) * (uint64_t)t->n) >> 32);
    return (uint32_t)x < t->prob[i] ? i : t->alias[i];
}
static inline nm_gen_str nm_gen_wpick_str(const nm_gen_wtable *t, nm_rng *r) {
    return t->items[nm_gen_wpick(t, r)];
}

/* ---- small string helpers shared by the generator files ------------------ */
/* Append n bytes of s at dst[at] (truncating to fit cap with a NUL) and
 * NUL-terminate; returns the new length. */
static inline size_t nm_gen_cat(char *dst, size_t at, size_t cap, const char *s, size_t n) {
    if (at + n + 1 > cap) n = at + 1 < cap ? cap - at - 1 : 0;
    for (size_t i = 0; i < n; i++) dst[at + i] = s[i];
    dst[at + n] = 0;
    return at + n;
}
/* v as exactly n decimal digits (leading zeros kept), no NUL. */
static inline void nm_gen_digits(char *out, uint32_t v, int n) {
    for (int i = n - 1; i >= 0; i--) out[i] = (char)('0' + v % 10), v /= 10;
}
/* A weighted choice among a few literals, for short fixed lists in code. */
typedef struct nm_gen_lit {
    const char *s;
    uint16_t w;
} nm_gen_lit;
const char *nm_gen_pick_lit(nm_rng *r, const nm_gen_lit *a, size_t n);

/* ---- the tables ---------------------------------------------------------- */
typedef struct nm_gen_city {
    nm_gen_str name;
    char state[3];
    char zip3[4];
    char area[4];        /* telephone area code */
    uint32_t state_idx;  /* index into nm_gen_tables.states */
} nm_gen_city;

typedef struct nm_gen_taxonomy {
    char code[11];       /* e.g. 207Q00000X */
    uint8_t entity;      /* 1 individual, 2 organization */
    uint8_t cls;         /* index into nm_gen_tables.classes */
    uint8_t female_pct;  /* share of women among individuals with this code */
} nm_gen_taxonomy;

#define NM_GEN_MAX_CLASSES 48
#define NM_GEN_MAX_STATES 64

typedef struct nm_gen_state {
    char code[3];
    uint32_t *cities;    /* indices into nm_gen_tables.city */
    uint32_t ncities;
    nm_gen_wtable by_weight; /* cities of this state by weight (ref = city index) */
} nm_gen_state;

typedef struct nm_gen_class {
    char name[16];            /* PHYS, NP, GROUP, PHARMORG, ... (taxonomy_codes.csv) */
    nm_gen_wtable taxonomies; /* codes of this class (ref = taxonomy index) */
    nm_gen_wtable credentials;/* typed spellings (credentials_typed.csv); n == 0 if none */
    nm_gen_wtable org_types;  /* org words "type:<class>" (org_words.csv); n == 0 if none */
    nm_gen_wtable org_chains; /* "chain:<class>": legal names shared by many NPIs (one per store) */
} nm_gen_class;

typedef struct nm_gen_tables {
    nm_gen_wtable surnames, given_m, given_f, streets;
    nm_gen_wtable cities;                 /* ref = index into city[] */
    nm_gen_city *city;
    uint32_t ncity;
    nm_gen_state states[NM_GEN_MAX_STATES];
    uint32_t nstates;
    nm_gen_taxonomy *tax;
    uint32_t ntax;
    nm_gen_wtable tax_by_entity[3];       /* [1] individuals, [2] organizations; ref = tax index */
    nm_gen_class classes[NM_GEN_MAX_CLASSES];
    uint32_t nclasses;
    nm_gen_wtable org_adj, org_legal, ao_title, id_issuer;
    nm_gen_wtable prefix_dr, prefix_m, prefix_f, name_suffix;
} nm_gen_tables;

/* Parse the embedded tables once (thread-safe; later calls return the same
 * object). The tables are static for the life of the process: never free
 * them. Returns NM_OK, or NM_E_FORMAT / NM_E_NOMEM with a message naming the
 * table, line and reason. */
int nm_gen_tables_load(const nm_gen_tables **out, nm_err *err);

/* ---- names ---------------------------------------------------------------
 * Each pick writes at most cap-1 bytes plus a NUL into `out` and returns the
 * length. cap >= 48 always suffices (surnames stay within 35 bytes, the
 * NPPES limit). */

/* A surname with the real registry's long tail: mostly the weighted table
 * (SMITH ~1%), some hyphenated or two-part compounds (SMITH-JONES, GARCIA
 * LOPEZ), particles and apostrophes from the table (DE LA CRUZ, O'BRIEN), and
 * a share of rare synthetic surnames made of syllables (mostly singletons). */
size_t nm_gen_pick_surname(const nm_gen_tables *t, nm_rng *r, char *out, size_t cap);
/* A given name for sex 'M' or 'F' (anything else: either). */
size_t nm_gen_pick_given(const nm_gen_tables *t, nm_rng *r, char sex, char *out, size_t cap);

typedef struct nm_gen_person {
    char last[48], first[48], middle[48], prefix[8], suffix[8];
    char sex;            /* 'M' or 'F' */
} nm_gen_person;

/* A person: surname, given name (a few double names like MARY ANN), middle
 * name or initial or none, suffix (JR., III) for some men. `sex` 'M'/'F' or 0
 * for a coin flip. prefix is filled with MR./MS./MRS. for some; callers that
 * know the person is a doctor may overwrite it with DR. */
void nm_gen_person_make(const nm_gen_tables *t, nm_rng *r, char sex, nm_gen_person *p);

/* ---- addresses and phones ------------------------------------------------ */
typedef struct nm_gen_address {
    char line1[64], line2[32];
    char zip[10];        /* 9 digits (ZIP+4, no hyphen) or 5 */
    const nm_gen_city *city;
} nm_gen_address;

/* A city weighted by population (NULL never: the table is not empty). */
const nm_gen_city *nm_gen_pick_city(const nm_gen_tables *t, nm_rng *r);
/* Another city of the same state (may be the same city). */
const nm_gen_city *nm_gen_pick_city_in_state(const nm_gen_tables *t, nm_rng *r, const nm_gen_city *c);
/* A street address in `city` (USPS Publication 28 style abbreviations, with
 * a share of spelled-out suffixes and punctuation as people type them),
 * second line with a suite for some; ZIP = city ZIP3 + 2 digits, +4 digits
 * for about 95%. */
void nm_gen_address_make(const nm_gen_tables *t, nm_rng *r, const nm_gen_city *city, nm_gen_address *a);
/* A post-office box in `city`; like USPS, the ZIP+4 add-on is the box number. */
void nm_gen_po_box_make(nm_rng *r, const nm_gen_city *city, nm_gen_address *a);
/* A 10-digit phone number in the city's area code (NANP: exchange 2-9XX, not
 * N11). out must hold 11 bytes. */
void nm_gen_phone(nm_rng *r, const nm_gen_city *city, char out[11]);
/* A fax number next to `phone` (same exchange, nearby line number). */
void nm_gen_fax_near(nm_rng *r, const char phone[11], char out[11]);

/* ---- dates and identifiers ----------------------------------------------- */
/* Days since 1970-01-01 of a proleptic Gregorian date, and back to
 * "MM/DD/YYYY" (out must hold 11 bytes). */
int32_t nm_gen_days(int y, int m, int d);
void nm_gen_date_str(int32_t days, char out[11]);

/* The NPI check digit of a 9-digit base: Luhn over "80840" + base (CMS
 * "Requirements for NPI Check Digit": the prefix contributes 24). */
int nm_gen_npi_check_digit(const char base9[9]);
/* The NPI of record `index` for `seed`: 10 digits starting with 1, valid
 * check digit, unique for index < NM_GEN_NPI_SPACE (a keyed permutation of
 * 1xxxxxxxx bases), same for a given (seed, index). out holds 11 bytes. */
#define NM_GEN_NPI_SPACE 100000000u
void nm_gen_npi(uint64_t seed, uint64_t index, char out[11]);

/* ---- generators ---------------------------------------------------------- */
typedef struct nm_gen_nppes_opts {
    uint64_t rows;           /* data rows, header excluded; <= NM_GEN_NPI_SPACE */
    uint64_t seed;
    int threads;             /* 0 = OpenMP default; output does not depend on it */
    int layout;              /* 330 (current, default) or 329 (2015 layout) */
    double deactivated;      /* share of deactivated stub rows (default 0.015) */
    int32_t asof_days;       /* "now" for dates (0 = NM_GEN_ASOF); fixed so output is reproducible */
    const char *out;         /* path; ".zst" compresses; "-" stdout */
} nm_gen_nppes_opts;

/* Fixed "today" of generated data: 2026-11-01. */
#define NM_GEN_ASOF_Y 2026
#define NM_GEN_ASOF_M 11
#define NM_GEN_ASOF_D 1

/* Write a synthetic NPPES main file (npidata_pfile layout: quoted header,
 * every field double-quoted, MM/DD/YYYY dates, LF line ends) through
 * nm_writer (atomic). Returns NM_OK or a negative code with `err` filled. */
int nm_gen_nppes(const nm_gen_nppes_opts *o, nm_err *err);

/* Format rows [first, first+count) of the file into `dst` (no header), as
 * nm_gen_nppes writes them; for tests and benchmarks. Returns bytes written
 * or a negative code. `dst` grows as needed (an nm_buf, see common/arena.h). */
struct nm_buf;
long nm_gen_nppes_rows(const nm_gen_tables *t, const nm_gen_nppes_opts *o, uint64_t first, uint64_t count,
                       struct nm_buf *dst);

#endif
