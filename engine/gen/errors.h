/* The shared error model of the labelled-data generators (gen hcp, gen
 * patients): the ways a value typed into a CRM, a claims feed or an event
 * sign-in sheet differs from the registry or from the person's other records.
 *
 * Each function below makes ONE kind of change to a NUL-terminated upper-case
 * ASCII buffer (capacity `cap`, always NUL-terminated afterwards), draws only
 * from the caller's nm_rng (so the result depends on the record's seed alone)
 * and returns 1 when it changed something, 0 when the value offered no
 * opportunity (no nickname known, no hyphen, ...). The generators decide WHEN
 * to call them, at the rates documented in docs/error-model.md; this file
 * decides HOW the change looks.
 *
 * Kinds of change and their model:
 *  - typos (Damerau 1964: ~80% of misspellings are one substitution,
 *    transposition, deletion or insertion): substitution by a key adjacent
 *    on a QWERTY keyboard 40%, transposition of two neighbours 25%, a dropped
 *    letter 20%, an inserted adjacent-key letter (or doubled letter) 15%;
 *  - nickname swaps from data/nicknames.csv (formal -> a variant of its
 *    group, variant -> the group's formal name);
 *  - hyphenation changes of compound surnames (SMITH-JONES -> SMITH JONES,
 *    SMITHJONES, SMITH or JONES; GARCIA LOPEZ -> GARCIA-LOPEZ);
 *  - address spelling (USPS Publication 28 abbreviations vs spelled out:
 *    STREET/ST, SUITE/STE/#, NORTH/N ...);
 *  - ZIP forms (ZIP5, ZIP+4 with or without hyphen, leading zero lost to a
 *    spreadsheet) and phone formats;
 *  - letter case of a whole record (CRM exports are often title case). */
#ifndef NM_GEN_ERRORS_H
#define NM_GEN_ERRORS_H

#include <stddef.h>
#include "gen/gen.h"

/* One typo in s (letters only are touched; values shorter than 3 letters are
 * left alone). */
int nm_generr_typo(nm_rng *r, char *s, size_t cap);

/* Swap a given name for a nickname-table equivalent: a formal name becomes
 * one of its group's variants, a variant its group's formal name. */
int nm_generr_nickname(nm_rng *r, char *s, size_t cap);
/* 1 when nm_generr_nickname could change `s` (the name is in the table). */
int nm_generr_has_nickname(const char *s);

/* Change how a compound surname is joined: hyphen <-> space, the parts run
 * together, or only one part kept. 0 for a one-part surname. */
int nm_generr_hyphenation(nm_rng *r, char *s, size_t cap);

/* Flip Publication 28 words between abbreviated and spelled-out forms
 * (street suffixes, directionals, unit designators; STE/SUITE/# and APT/#),
 * each listed word with probability 1/2, at least one. 0 when none is listed. */
int nm_generr_address_words(nm_rng *r, char *s, size_t cap);

/* Append a second address line to the first ("100 MAIN ST STE 2"), as
 * people type it on one line. 1 if line2 was non-empty (and is now empty). */
int nm_generr_join_lines(char *line1, size_t cap1, char *line2);

/* Write a ZIP in one of the forms feeds carry, from 5 or 9 digits:
 * form 0 ZIP5, 1 ZIP+4 "12345-6789", 2 nine digits, 3 ZIP5 with a leading
 * zero lost (as a number in a spreadsheet; only when it starts with 0). */
enum { NM_ZIP5 = 0, NM_ZIP9_HYPHEN, NM_ZIP9, NM_ZIP_LOST_ZERO, NM_ZIP_FORMS };
int nm_generr_zip_form(nm_rng *r, const char *zip, char out[11]);

/* Format a 10-digit phone: "(555) 123-4567", "555-123-4567", "555.123.4567",
 * "5551234567", "+1 555 123 4567", "555-123-4567 X12". Returns the form. */
enum { NM_PHONE_PAREN = 0, NM_PHONE_DASH, NM_PHONE_DOT, NM_PHONE_DIGITS, NM_PHONE_INTL, NM_PHONE_EXT,
       NM_PHONE_FORMS };
int nm_generr_phone_form(nm_rng *r, const char *digits10, char out[24]);

/* Change one digit of a digit string to another digit (wrong NPI digit, a
 * mistyped phone or birth year). */
void nm_generr_wrong_digit(nm_rng *r, char *digits, size_t n);

/* Whole-record letter case: 0 upper (as stored), 1 title case, 2 lower. */
enum { NM_CASE_UPPER = 0, NM_CASE_TITLE, NM_CASE_LOWER };
void nm_generr_apply_case(char *s, int mode);

#endif
