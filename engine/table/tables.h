/* Building record tables (records.h) from the two sides of a linkage, and
 * the registry's term frequencies.
 *
 *  registry_table.c  registry -> row store through the HCP preset (model
 *                    field names mapped to NPPES columns)
 *  input_table.c     CSV -> table through column names (model "column",
 *                    --map field=column, a full `name` column parsed)
 *  tf.c              per-field value frequencies (Splink's term-frequency
 *                    adjustment: "SMITH" agreeing is weaker evidence) */
#ifndef NM_TABLE_TABLES_H
#define NM_TABLE_TABLES_H

#include "common/diag.h"
#include "npimatch/registry.h"
#include "table/records.h"
#include "table/rows.h"

/* The registry's row store for model m (row i = registry row i; fields the
 * preset does not know stay empty), built chunk by chunk (the
 * columnar table of a chunk is discarded once its rows are appended), so
 * the whole registry never exists twice in memory. */
int nm_rrows_from_registry(nm_rrows *rr, const nm_registry *r, const nm_model *m, int threads, nm_err *err);
/* 1 when the HCP preset can fill a model field of this name from NPPES. */
int nm_registry_has_field(const char *field);

/* Value frequencies of one field: sorted distinct XXH3 hashes and counts. */
typedef struct nm_tf {
    uint64_t *hash;
    uint32_t *count;
    size_t n;
    uint64_t total;       /* values counted */
} nm_tf;
int nm_tf_build(nm_tf *tf, const nm_rrows *t, size_t f);
/* Relative frequency of a normalized value (0 when unseen or empty). */
double nm_tf_lookup(const nm_tf *tf, const char *v, size_t n);
void nm_tf_free(nm_tf *tf);

/* An input batch: the table plus, per record, its id, line and status. */
typedef struct nm_input {
    nm_rtable t;
    nm_buf ids;                    /* record ids, concatenated */
    NM_VEC(uint32_t) id_off;       /* n + 1 */
    NM_VEC(uint64_t) line;         /* 1-based line in the file */
    NM_VEC(uint8_t) reason;        /* NM_R_COUNT: usable; else why not (nm_reason) */
    nm_diag diag;                  /* rows rejected, by reason, in input order */
    uint64_t rows;
    nm_buf srcs;                   /* with nm_input_read_sourced: each row's source, */
    NM_VEC(uint32_t) src_off;      /* concatenated, n + 1 offsets (empty when the column is absent) */
    const char *const *colname;    /* nm_input_read_columns: the table's column names (borrowed; */
    uint32_t ncols;                /* line = 0-based row, diag column = 1-based column index); else NULL */
} nm_input;

typedef struct nm_input_opts {
    const char *const *map;        /* "field=column" overrides */
    size_t nmap;
    int threads;
    const char *data;              /* non-NULL: read these CSV bytes (borrowed) instead of the */
    size_t len;                    /* file; the path only names them in messages (Python tables) */
} nm_input_opts;

/* Read a CSV (plain or .zst) into `in` for model m. Fails at once
 * (NM_E_FORMAT) when the file has no record_id column (generic: none of
 * id_columns), no name column (not generic), or
 * a --map names an unknown field or column. Bad rows are kept as empty
 * records with a reason. */
int nm_input_read(nm_input *in, const char *path, const nm_model *m, const nm_input_opts *o, nm_err *err);
/* Generic datasets (link, dedupe): record ids come from the first of
 * id_columns[0..nid) the header has (unless --map record_id=...), not from
 * record_id unless listed; no name
 * column is required, and a row is rejected (no_name) only when none of the
 * model's fields has a value. */
int nm_input_read_generic(nm_input *in, const char *path, const nm_model *m, const nm_input_opts *o,
                          const char *const *id_columns, size_t nid, nm_err *err);
/* Same over bytes in memory (tests). */
int nm_input_read_memory(nm_input *in, const char *data, size_t len, const nm_model *m, const nm_input_opts *o,
                         nm_err *err);
/* nm_input_read that also keeps column `source_column` of every row
 * (in->srcs, nm_input_source), for records keyed by (source, record_id). */
int nm_input_read_sourced(nm_input *in, const char *path, const nm_model *m, const nm_input_opts *o,
                          const char *source_column, nm_err *err);
void nm_input_free(nm_input *in);

/* A table in memory (Arrow-like columns, e.g. handed over by the Python
 * package), read in place without rendering it as CSV. Column k of a batch
 * is a string view: int32 or int64 offsets into data (Arrow "u" / "U"),
 * 16-byte string views into vbuf (Arrow "vu"), or all null; elements
 * offset .. offset + rows; valid: validity bitmap (bit offset + i), NULL
 * when there are no nulls. Everything is borrowed. */
enum { NM_STRCOL_I32, NM_STRCOL_I64, NM_STRCOL_VIEW, NM_STRCOL_NULL };
typedef struct nm_strcol {
    int kind;
    int64_t offset;
    const uint8_t *valid;
    const void *off;               /* offsets (n + 1 after offset) or views */
    const char *data;
    const char *const *vbuf;
    int64_t nvbuf;
} nm_strcol;
typedef struct nm_colbatch {
    int64_t rows;
    const nm_strcol *col;          /* ncols */
} nm_colbatch;
typedef struct nm_columns {
    const char *name;              /* names the table in messages ("records") */
    const char *const *colname;    /* ncols column names (the CSV header) */
    uint32_t ncols;
    const nm_colbatch *batch;      /* the rows, batch after batch */
    size_t nbatch;
} nm_columns;
/* nm_input_read over a table: the same column mapping, per-field rules and
 * bad-row reasons as a CSV (one row function serves both); a null is an
 * empty field, a line break in a value reads as a space. Locations are
 * 0-based rows and 1-based column indexes (nm_input_report names the
 * column); o->data is ignored. NM_E_FORMAT for the header errors of
 * nm_input_read or malformed offsets. */
int nm_input_read_columns(nm_input *in, const nm_columns *t, const nm_model *m, const nm_input_opts *o, nm_err *err);
/* Print in's rejected rows and their summary (nm_diag_print; for a table,
 * "name: row N, column C: reason"). */
void nm_input_report(const nm_input *in, const char *name, FILE *out);
/* Row r's source (source_column), "" when the file has no such column. */
static inline const char *nm_input_source(const nm_input *in, size_t r, uint32_t *len) {
    if (!in->src_off.n) {
        *len = 0;
        return "";
    }
    *len = in->src_off.v[r + 1] - in->src_off.v[r];
    return in->srcs.data + in->src_off.v[r];
}
static inline const char *nm_input_id(const nm_input *in, size_t r, uint32_t *len) {
    *len = in->id_off.v[r + 1] - in->id_off.v[r];
    return in->ids.data + in->id_off.v[r];
}

#endif
