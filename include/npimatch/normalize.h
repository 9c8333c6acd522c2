/* npimatch/normalize.h - pure functions that turn messy input into the
 * canonical forms the comparators and blocking keys use.
 *
 * Every normalizer writes into caller-owned buffers (no allocation, except
 * the nickname table, built once per process from data/nicknames.csv and
 * owned by the library). Input text is UTF-8 (the CSV readers transcode
 * Latin-1 NPPES bytes); output is upper-case ASCII with single spaces.
 * Functions return the output length, or 0 when nothing usable remains. */
#ifndef NPIMATCH_NORMALIZE_H
#define NPIMATCH_NORMALIZE_H

#include <stddef.h>
#include <stdint.h>
#include "npimatch/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- generic text ---- */

/* Fold case and Latin accents to ASCII (e.g. "Muñoz-Peña" -> "MUNOZ PENA"),
 * turn punctuation into spaces except apostrophes and periods (dropped:
 * O'BRIEN -> OBRIEN, M.D. -> MD), collapse and trim spaces.
 * `keep_hyphen` keeps '-' (surnames use it to mark parts). Output is NUL-terminated;
 * truncated to cap-1 bytes. */
NM_API size_t nm_normalize_text(const char *in, size_t n, int keep_hyphen, char *out, size_t cap);

/* ---- person names ---- */

#define NM_NAME_CAP 64
typedef struct nm_person_name {
    char prefix[16];            /* DR, MR, MRS, MS, MISS */
    char first[NM_NAME_CAP];
    char middle[NM_NAME_CAP];
    char last[NM_NAME_CAP];     /* normalized, hyphens kept: SMITH-JONES */
    char suffix[16];            /* JR, SR, II, III, IV, V */
    char credentials[NM_NAME_CAP]; /* canonical credentials, space separated: "MD PHD" */
} nm_person_name;

/* Clean name fields that came in separate columns (any may be NULL/empty).
 * Prefixes, suffixes and credentials typed into the name fields are moved
 * to their own fields ("SMITH MD" in last -> last SMITH, credentials MD;
 * "JOHN JR" -> first JOHN, suffix JR). Returns 0 or NM_E_ARG. */
NM_API int nm_normalize_person_name(const char *first, size_t lf, const char *middle, size_t lm,
                                    const char *last, size_t ll, const char *suffix, size_t ls,
                                    const char *credential, size_t lc, nm_person_name *out);
/* Parse a full name in one string: "Dr. Robert J. Smith Jr., M.D.",
 * "SMITH, ROBERT J", "Smith-Jones, Mary Ann PhD". Returns 0, or NM_E_ARG
 * when no name is found. */
NM_API int nm_parse_full_name(const char *s, size_t n, nm_person_name *out);
/* Canonical credential for one token ("M.D." -> "MD", "PA-C" -> "PAC"); 0 if
 * the token is not a known credential. out: 16 bytes. */
NM_API size_t nm_canonical_credential(const char *tok, size_t n, char out[16]);

/* Surname variants that should compare equal to the whole: SMITH-JONES
 * gives SMITHJONES, SMITH, JONES; DE LA CRUZ gives DELACRUZ, CRUZ;
 * VAN DER BERG gives VANDERBERG, BERG; MC DONALD gives MCDONALD. The first
 * variant is always the whole name with spaces and hyphens removed.
 * Writes up to `max` variants into parts[i] (NM_NAME_CAP bytes each);
 * returns how many. */
NM_API size_t nm_surname_variants(const char *last, size_t n, char parts[][NM_NAME_CAP], size_t max);

/* ---- nicknames ---- */

/* The given-name equivalence table from data/nicknames.csv (BOB ~ ROBERT,
 * PEGGY ~ MARGARET, ...). Built on first use, thread-safe, never freed by
 * the caller. */
typedef struct nm_nicknames nm_nicknames;
NM_API const nm_nicknames *nm_nicknames_default(void);
/* 1 when the two normalized given names are listed as equivalent (or equal). */
NM_API int nm_nickname_match(const nm_nicknames *t, const char *a, size_t la, const char *b, size_t lb);
/* The equivalence groups a name belongs to (a name such as KATE may belong to
 * several: KATHERINE, KATHLEEN). Writes up to max group ids, returns how many
 * (0 for a name not in the table). Blocking keys use these ids; two names
 * match when they share one. */
NM_API size_t nm_nickname_groups(const nm_nicknames *t, const char *name, size_t n, uint32_t *ids, size_t max);
/* The canonical (formal) given name of a group, NUL-terminated static text. */
NM_API const char *nm_nickname_group_name(const nm_nicknames *t, uint32_t id);
/* Number of equivalence pairs in the table (for tests and docs). */
NM_API size_t nm_nicknames_pair_count(const nm_nicknames *t);

/* ---- addresses (USPS Publication 28) ---- */

#define NM_ADDR_CAP 128
typedef struct nm_address {
    char number[16];            /* primary street number: "1824", "12B" */
    char street[NM_ADDR_CAP];   /* "N MAIN ST": directionals and suffixes in Pub 28 abbreviations */
    char unit[32];              /* secondary unit, canonical: "STE 300", "APT 4B" */
    char po_box[16];            /* box number when the line is a PO box, else "" */
    char line[NM_ADDR_CAP];     /* whole normalized address (number street unit / PO BOX n) */
} nm_address;

/* Normalize address lines 1 and 2 (either may be NULL/empty) so one address
 * typed two ways compares equal: STREET->ST, AVENUE->AVE, NORTH->N,
 * SUITE/#->STE/# unit, P.O. BOX/POB/POST OFFICE BOX->PO BOX, FIRST->1ST.
 * Returns 0, or NM_E_ARG when nothing usable remains. */
NM_API int nm_normalize_address(const char *line1, size_t n1, const char *line2, size_t n2, nm_address *out);
/* The identifier of the last secondary unit in a normalized unit string:
 * "STE 300" -> "300", "# 4B" and "APT 4B" -> "4B", "" -> "". Pointer into
 * `unit` (or static ""); compare ids when designators may differ. */
NM_API const char *nm_address_unit_id(const char *unit);

/* ---- phones, ZIP codes, e-mail, dates ---- */

/* US phone to 10 digits: strips +1/1 prefix, punctuation, spaces and
 * extensions ("x123", "ext. 45"). out: 11 bytes. Returns 10, or 0 when the
 * input does not hold a 10-digit NANP number. */
NM_API size_t nm_normalize_phone(const char *in, size_t n, char out[11]);
/* ZIP: "68847-2944", "688472944", "6884" (leading zero lost) ... -> zip5
 * "68847" and plus4 "2944" (or ""). Returns 5, or 0 when invalid. */
NM_API size_t nm_normalize_zip(const char *in, size_t n, char zip5[6], char plus4[5]);
/* E-mail lower-cased and trimmed; 0 when it has no single '@' with text on both sides. */
NM_API size_t nm_normalize_email(const char *in, size_t n, char *out, size_t cap);
/* Dates in YYYY-MM-DD, MM/DD/YYYY, M/D/YYYY, M/D/YY, YYYYMMDD (and '-' or '.'
 * in place of '/') to packed YYYYMMDD. Two-digit years pivot on the current
 * year: YY <= this year's last two digits means 20YY, else 19YY (birth dates). Impossible dates
 * (02/30, month 13) are rejected. Returns 0 and sets *ymd, or NM_E_ARG. */
NM_API int nm_parse_date(const char *in, size_t n, uint32_t *ymd);

#ifdef __cplusplus
}
#endif
#endif
