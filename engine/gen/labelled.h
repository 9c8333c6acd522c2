/* Labelled test data: HCP customer files with NPI truth (gen hcp) and nightly
 * patient feeds with person truth (gen patients).
 *
 * Both apply the error model of gen/errors.h at the rates listed below (one
 * table per generator, X-macros so the code, the counters and
 * docs/error-model.md read the same numbers). Each rate is a probability per
 * ELIGIBLE record: the record must offer the opportunity (a middle name to
 * drop, a nickname to swap, a female provider for a married name ...).
 * Generators count, per kind, eligible records and applied errors, so tests
 * can check the realised rates against the documented ones.
 *
 * Determinism: every record draws from an nm_rng seeded with (seed, record),
 * provider- or person-level choices from (seed, provider); the plan (which
 * provider gets which records, in which order) is drawn sequentially from
 * one stream. Output bytes depend on the seed and inputs only, never on the
 * thread count. */
#ifndef NM_GEN_LABELLED_H
#define NM_GEN_LABELLED_H

#include <stdint.h>
#include <string.h>
#include "common/arena.h"
#include "gen/gen.h"
#include "npimatch/error.h"
#include "npimatch/registry.h"

/* ---- gen hcp ------------------------------------------------------------------
 * X(id, name, rate, eligible records) */
#define NM_HCP_ERRORS(X)                                                                     \
    X(NPI_PRESENT, "npi_present", 0.45, "all records: the npi column is filled")            \
    X(NPI_WRONG_DIGIT, "npi_wrong_digit", 0.03, "npi filled: one digit wrong")              \
    X(NPI_ORG_FOR_IND, "npi_org_for_individual", 0.03, "npi filled, individual: an organization's NPI") \
    X(NPI_OTHER, "npi_other_provider", 0.02, "npi filled: another provider's NPI")          \
    X(MARRIED, "married_name", 0.05, "female individuals: last name replaced (former name or another surname)") \
    X(HYPHEN, "hyphenation", 0.40, "compound surnames: joined differently or one part")     \
    X(NICKNAME, "nickname", 0.12, "first name in the nickname table: swapped")              \
    X(TYPO_FIRST, "typo_first", 0.03, "individuals: one typo in the first name")           \
    X(TYPO_LAST, "typo_last", 0.04, "individuals: one typo in the last name")              \
    X(MIDDLE_MISSING, "middle_missing", 0.40, "individuals with a middle name: left empty") \
    X(MIDDLE_INITIAL, "middle_initial", 0.40, "full middle name kept: reduced to its initial") \
    X(SUFFIX_IN_NAME, "suffix_in_last_name", 0.25, "individuals with a suffix: typed after the last name") \
    X(SUFFIX_MISSING, "suffix_missing", 0.40, "suffix not in the last name: left empty")   \
    X(CRED_IN_NAME, "credential_in_last_name", 0.06, "individuals with a credential: typed after the last name") \
    X(CRED_MISSING, "credential_missing", 0.40, "credential not in the name: left empty")  \
    X(SWAP, "first_last_swapped", 0.015, "individuals: first and last name swapped")       \
    X(FIRST_MISSING, "first_missing", 0.01, "individuals: first name empty")               \
    X(ORG_DBA, "org_other_name", 0.40, "organizations with an other name (DBA): used instead") \
    X(ORG_LEGAL_DROPPED, "org_legal_dropped", 0.35, "organization names ending in INC, LLC ...: ending dropped") \
    X(TYPO_ORG, "typo_org", 0.04, "organizations: one typo in the name")                   \
    X(ADDR_SECONDARY, "secondary_practice_address", 0.30, "providers with a secondary practice location: it is used") \
    X(ADDR_MAILING, "mailing_address", 0.12, "mailing address differs from practice: it is used") \
    X(ADDR_OLD, "old_address", 0.08, "otherwise: an old address in the same state")        \
    X(EVENT_STYLE, "event_record", 0.06, "all records: an event sign-in: no street, ZIP, phone, taxonomy or licence") \
    X(ADDR_MISSING, "address_missing", 0.03, "other records: street lines empty")          \
    X(ADDR_JOIN, "address_lines_joined", 0.30, "second address line present: typed on line 1") \
    X(ADDR_WORDS, "address_spelling", 0.30, "street line with a Pub. 28 word: abbreviated/spelled differently") \
    X(CITY_MISSING, "city_missing", 0.02, "all records: city empty")                       \
    X(ZIP5, "zip5_only", 0.55, "ZIP+4 known (not starting with 0): only ZIP5 written")     \
    X(PHONE_OLD, "old_phone", 0.10, "all records: an old phone number")                   \
    X(PHONE_MISSING, "phone_missing", 0.20, "not an old phone: phone empty")               \
    X(TAXONOMY_PRESENT, "taxonomy_present", 0.40, "all records: taxonomy code filled")     \
    X(LICENSE_PRESENT, "license_present", 0.30, "licence known: licence number and state filled") \
    X(CASE_TITLE, "title_case", 0.30, "all records: written in title case")                \
    X(CASE_LOWER, "lower_case", 0.03, "not title case: written in lower case")

#define NM_X_ENUM_HCP(id, name, rate, doc) NM_HCP_##id,
enum { NM_HCP_ERRORS(NM_X_ENUM_HCP) NM_HCP_NKINDS };
#undef NM_X_ENUM_HCP


typedef struct nm_gen_counts {
    uint64_t eligible[48], applied[48];
    uint64_t records, providers, absent_records, org_records, dup_records;
} nm_gen_counts;

typedef struct nm_gen_hcp_opts {
    uint64_t rows;            /* records to write */
    uint64_t seed;
    int threads;              /* 0 = OpenMP default; output does not depend on it */
    double absent;            /* share of providers absent from the registry (default 0.10) */
    double orgs;              /* share of organization providers (default 0.15) */
    const nm_registry *reg;   /* providers are drawn from it (required) */
    const char *out, *truth;  /* paths (nm_writer: atomic, .zst compresses) */
    nm_gen_counts *counts;    /* optional: filled with eligible/applied counts */
} nm_gen_hcp_opts;

/* Write the HCP file and its truth. Returns NM_OK or a negative code with
 * `err` filled (a registry without active providers is NM_E_ARG). */
int nm_gen_hcp(const nm_gen_hcp_opts *o, nm_err *err);
const char *nm_gen_hcp_error_name(int kind);
double nm_gen_hcp_error_rate(int kind);

/* ---- helpers shared by the two generators ------------------------------------- */
/* Draw an error of `kind` at `rate` for an eligible record and count it. */
static inline int nm_gen_roll(nm_gen_counts *k, nm_rng *r, int kind, double rate) {
    k->eligible[kind]++;
    int hit = nm_rng_chance(r, rate);
    k->applied[kind] += (uint64_t)hit;
    return hit;
}
/* Copy a NUL-terminated string, truncated to cap - 1 bytes. */
static inline void nm_gen_copy(char *dst, size_t cap, const char *s) {
    size_t n = strlen(s);
    if (n > cap - 1) n = cap - 1;
    memcpy(dst, s, n);
    dst[n] = 0;
}
/* Append one CSV field (quoted when it holds a comma or quote, RFC 4180)
 * and a comma, or a LF when `last`. 0 or NM_E_NOMEM. */
int nm_gen_csv_field(nm_buf *b, const char *s, int last);
/* Write a whole buffer to `path` through nm_writer (atomic). */
int nm_gen_write_buf(const char *path, const nm_buf *b, nm_err *err);

/* ---- gen patients ---------------------------------------------------------------- */
#define NM_PAT_ERRORS(X)                                                                     \
    X(NICKNAME, "nickname", 0.08, "first name in the nickname table: swapped")              \
    X(TYPO_FIRST, "typo_first", 0.03, "one typo in the first name")                        \
    X(TYPO_LAST, "typo_last", 0.03, "one typo in the last name")                           \
    X(MIDDLE_MISSING, "middle_missing", 0.35, "persons with a middle name: left empty")    \
    X(MIDDLE_INITIAL, "middle_initial", 0.40, "full middle name kept: reduced to its initial") \
    X(SUFFIX_IN_NAME, "suffix_in_last_name", 0.15, "persons with a suffix: typed after the last name") \
    X(SUFFIX_MISSING, "suffix_missing", 0.35, "suffix not in the last name: left empty")   \
    X(SWAP, "first_last_swapped", 0.01, "first and last name swapped")                     \
    X(HYPHEN, "hyphenation", 0.40, "compound surnames: joined differently or one part")     \
    X(MARRIED, "married_name", 0.80, "records of women who married (10% of women, on a later night), sent after it: new last name") \
    X(DOB_TYPO, "birth_date_typo", 0.02, "one digit of the birth date wrong (a valid date)") \
    X(DOB_SWAP, "birth_date_day_month", 0.015, "day <= 12: day and month transposed")      \
    X(DOB_MDY, "birth_date_mdy", 0.25, "birth date written MM/DD/YYYY (else YYYY-MM-DD)")  \
    X(DOB_MISSING, "birth_date_missing", 0.01, "birth date empty")                         \
    X(SEX_MISSING, "sex_missing", 0.03, "sex empty")                                       \
    X(ADDR_WORDS, "address_spelling", 0.30, "street line with a Pub. 28 word: abbreviated/spelled differently") \
    X(ADDR_JOIN, "address_lines_joined", 0.30, "second address line present: typed on line 1") \
    X(ADDR_MISSING, "address_missing", 0.02, "street lines empty")                         \
    X(ZIP5, "zip5_only", 0.55, "ZIP+4 known (not starting with 0): only ZIP5 written")     \
    X(PHONE_MISSING, "phone_missing", 0.15, "phone empty")                                 \
    X(EMAIL_PRESENT, "email_present", 0.45, "email filled")                               \
    X(CASE_TITLE, "title_case", 0.30, "written in title case")                             \
    X(CASE_LOWER, "lower_case", 0.03, "not title case: lower case")

#define NM_X_ENUM_PAT(id, name, rate, doc) NM_PAT_##id,
enum { NM_PAT_ERRORS(NM_X_ENUM_PAT) NM_PAT_NKINDS };
#undef NM_X_ENUM_PAT

typedef struct nm_gen_patients_opts {
    uint64_t rows;            /* distinct records (source, record_id) over all nights */
    uint64_t seed;
    int sources;              /* K >= 1 */
    int nights;               /* T >= 1 */
    int threads;              /* 0 = OpenMP default; output does not depend on it */
    const char *dir;          /* output directory (created if missing) */
    nm_gen_counts *counts;    /* optional */
} nm_gen_patients_opts;

int nm_gen_patients(const nm_gen_patients_opts *o, nm_err *err);
const char *nm_gen_patients_error_name(int kind);
double nm_gen_patients_error_rate(int kind);

#endif
