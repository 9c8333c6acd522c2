/* Bad-input diagnostics: count every rejected row or nulled field by reason,
 * keep the first few locations of each reason, and print them as
 * "file:line:column: reason" plus a summary. Never stores or prints field
 * contents (protected health information).
 *
 * Parallel readers give each chunk its own nm_diag and merge them in chunk
 * order (nm_diag_merge), so the report is identical for any thread count. */
#ifndef NM_DIAG_H
#define NM_DIAG_H

#include <stdint.h>
#include <stdio.h>

/* Reasons, stable names used in summaries and JSON. Append only. */
#define NM_REASON_LIST(X)                                                   \
    X(NM_R_UNBALANCED_QUOTE, "unbalanced_quote", "unbalanced quote")        \
    X(NM_R_FIELD_COUNT, "field_count", "wrong number of fields")            \
    X(NM_R_INVALID_NPI, "invalid_npi", "invalid NPI (length, digits or check digit)") \
    X(NM_R_ENTITY_TYPE, "unknown_entity_type", "unknown entity type")       \
    X(NM_R_INVALID_DATE, "invalid_date", "impossible date (field nulled)")  \
    X(NM_R_FIELD_TOO_LONG, "field_too_long", "field too long (field nulled)") \
    X(NM_R_NUL_BYTE, "nul_byte", "embedded NUL byte")                       \
    X(NM_R_INVALID_UTF8, "invalid_utf8", "invalid UTF-8 (read as Latin-1)") \
    X(NM_R_NO_NAME, "no_name", "no usable name")                            \
    X(NM_R_DUPLICATE_KEY, "duplicate_key", "duplicate key (later row wins)") \
    X(NM_R_UNKNOWN_NPI, "unknown_npi", "NPI not in the registry")           \
    X(NM_R_BAD_VALUE, "bad_value", "invalid value (field nulled)")          \
    X(NM_R_MISSING_KEY, "missing_key", "missing record key")

typedef enum nm_reason {
#define NM_X_R(id, name, text) id,
    NM_REASON_LIST(NM_X_R)
#undef NM_X_R
    NM_R_COUNT
} nm_reason;

const char *nm_reason_name(nm_reason r);   /* "unbalanced_quote" */
const char *nm_reason_text(nm_reason r);   /* "unbalanced quote" */

#define NM_DIAG_KEEP 20   /* locations kept per reason for the report */

typedef struct nm_diag_loc {
    uint64_t line;
    uint32_t col;
    uint16_t file;        /* index into the caller's list of file names */
    uint8_t reason;
    uint8_t row_skipped;  /* 1: the row was dropped; 0: a field was nulled */
} nm_diag_loc;

typedef struct nm_diag {
    uint64_t count[NM_R_COUNT];
    uint64_t rows_skipped;
    uint64_t fields_nulled;
    nm_diag_loc kept[NM_R_COUNT][NM_DIAG_KEEP];
    uint32_t nkept[NM_R_COUNT];
} nm_diag;

void nm_diag_init(nm_diag *d);
/* Record one problem. row_skipped says whether the whole row was dropped. */
void nm_diag_add(nm_diag *d, nm_reason r, uint16_t file, uint64_t line, uint32_t col, int row_skipped);
/* Append src's counts and kept locations after dst's (src comes later in the input). */
void nm_diag_merge(nm_diag *dst, const nm_diag *src);
uint64_t nm_diag_total(const nm_diag *d);
/* Print kept locations ("file:line:col: reason") in input order, then one
 * summary line per reason with its count. `files` maps file indexes to names. */
void nm_diag_print(const nm_diag *d, const char *const *files, FILE *out);
/* The same for rows of a table: line = 0-based row, col = 1-based index
 * into colnames (0: the whole row), printed "name: row N, column C: reason". */
void nm_diag_print_rows(const nm_diag *d, const char *name, const char *const *colnames, uint32_t ncols, FILE *out);

#endif
