/* CSV reading for NPPES files and nightly inputs.
 *
 * Rules (NPPES Readme section 1.1 and what CRM exports do):
 *  - fields are separated by `delim` (default ','), rows end at LF, a CR
 *    before the LF is dropped; a UTF-8 BOM at the start is skipped;
 *  - a field may be quoted; inside quotes "" stands for one quote (NPPES
 *    never writes it, CRM exports do); a quoted field may not span lines:
 *    a row whose quote is still open at its LF is rejected as
 *    NM_R_UNBALANCED_QUOTE and reading resumes on the next line, so one bad
 *    row cannot swallow the rest of a 10 GB file;
 *  - bytes are 8-bit: a field flagged NM_CSV_HIGHBIT holds bytes >= 0x80 and
 *    should be checked/transcoded with nm_csv_to_utf8 (NPPES is Latin-1 in
 *    practice); a NUL byte rejects the row (NM_R_NUL_BYTE).
 *
 * Speed: the scanner classifies 64 bytes at a time into bit masks of quotes,
 * delimiters and line feeds with a scalar, AVX2 or AVX-512 kernel (chosen by
 * nm_simd_active(); all give identical masks), and splits each block of input
 * into chunks at line feeds that OpenMP threads parse independently.
 * Consumers get chunk-local callbacks and merge their per-chunk state in
 * chunk order after each block, so results do not depend on thread count. */
#ifndef NM_CSV_H
#define NM_CSV_H

#include <stddef.h>
#include <stdint.h>
#include "common/diag.h"
#include "npimatch/error.h"

enum {
    NM_CSV_QUOTED = 1,   /* field was quoted */
    NM_CSV_ESCAPED = 2,  /* field contains "" pairs: nm_csv_unescape before use */
    NM_CSV_HIGHBIT = 4   /* field contains bytes >= 0x80 */
};

typedef struct nm_csv_field {
    const char *p;       /* contents, quotes stripped (still escaped if NM_CSV_ESCAPED) */
    uint32_t len;
    uint32_t col;        /* 1-based byte column of the field's first byte in its line (its opening quote if quoted) */
    uint32_t flags;
} nm_csv_field;

typedef struct nm_csv_row {
    uint64_t line;          /* 1-based line number in the file */
    uint32_t nfields;       /* all fields of the row (only max_fields are in f); 0 for a bad row */
    const nm_csv_field *f;  /* valid only during the callback */
    int error;              /* NM_R_COUNT if fine, else NM_R_UNBALANCED_QUOTE or NM_R_NUL_BYTE */
    uint32_t error_col;     /* 1-based column of the first problem reading left to right: a quote
                               inside an unquoted field, the byte after a closing quote that is not a
                               delimiter (the closing quote's column), the opening quote of a field
                               still open at the line end, or a NUL byte */
} nm_csv_row;

typedef struct nm_csv_opts {
    char delim;             /* 0 means ',' */
    int threads;            /* 0: omp_get_max_threads() */
    size_t block_size;      /* bytes per block for streamed (.zst, stdin) input; 0: 64 MiB */
    uint32_t max_fields;    /* fields beyond this are counted but not stored; 0: 1024; at most 2^20 */
} nm_csv_opts;

typedef struct nm_csv nm_csv;

/* Open a file ("-" for stdin; .zst or any zstd-framed file is decompressed)
 * and read its header row. An empty file fails with NM_E_FORMAT. */
int nm_csv_open(const char *path, const nm_csv_opts *opts, nm_csv **out, nm_err *err);
/* Same over bytes already in memory (tests, fuzzing, benches, embedded
 * tables). `data` is borrowed: it must stay valid and unchanged until
 * nm_csv_close; `name` is only used in messages (NULL: "<memory>"). */
int nm_csv_open_memory(const char *data, size_t len, const char *name, const nm_csv_opts *opts,
                       nm_csv **out, nm_err *err);
void nm_csv_close(nm_csv *c);
const char *nm_csv_path(const nm_csv *c);

/* Header row (fields unescaped, surrounding spaces trimmed). */
uint32_t nm_csv_ncols(const nm_csv *c);
const char *nm_csv_colname(const nm_csv *c, uint32_t i);
/* Column index by exact name, or by case-insensitive name if no exact match; -1 if absent. */
int nm_csv_find_column(const nm_csv *c, const char *name);
/* The same lookup over any list of n column names (a table's header). */
int nm_csv_find_name(const char *const *names, uint32_t n, const char *name);

/* Parallel scan of all data rows (after the header). For each block:
 * chunk_begin(user, chunk) then row(user, chunk, row) for each row of the
 * chunk, in order, on a worker thread; chunks of one block run concurrently.
 * When every chunk of the block is done, block_end(user, nchunks) runs on the
 * calling thread, so the consumer can append per-chunk results in order.
 * A callback returning nonzero stops the scan with that code. */
typedef struct nm_csv_consumer {
    void *user;
    int (*chunk_begin)(void *user, int chunk);
    int (*row)(void *user, int chunk, const nm_csv_row *row);
    int (*block_end)(void *user, int nchunks);
    int max_chunks;         /* upper bound on chunks per block the consumer prepared for (>= 1) */
    int chunks_per_thread;  /* 0 or 1: one chunk per thread; k > 1: up to k chunks per thread, handed
                               out to the threads as they come free (balances a shared machine) */
    uint64_t *first_line;   /* NULL: rows carry file line numbers. Else (max_chunks entries): rows carry
                               line numbers counted from 0 at their chunk's first line, and before
                               block_end the scanner stores each chunk's first file line here, so no
                               pass over the block counts line feeds before parsing */
} nm_csv_consumer;

/* A block is split into min(max_chunks, threads * max(chunks_per_thread, 1))
 * chunks (fewer if it has too few lines), so chunk indexes run
 * 0..nchunks-1 with nchunks <= max_chunks. Empty lines are skipped (not
 * rows). Returns 0, a negative NM_E_* code (I/O, corrupt .zst, memory;
 * detail in err) or the nonzero code a callback returned. */
int nm_csv_scan(nm_csv *c, const nm_csv_consumer *cons, nm_err *err);

/* Sequential reading, for small files (companion files, lists, tests):
 * returns 1 with *row filled, 0 at end, negative on error. The row is valid
 * until the next call. Do not mix with nm_csv_scan on one nm_csv. */
int nm_csv_next(nm_csv *c, nm_csv_row *row, nm_err *err);

/* Copy a field's value to dst (cap bytes) with "" collapsed; returns its length.
 * Writes at most cap - 1 bytes and a NUL (cap >= len + 1 always suffices). */
size_t nm_csv_unescape(const nm_csv_field *f, char *dst, size_t cap);

/* Make a field's bytes valid UTF-8 into dst: valid UTF-8 is copied; otherwise
 * each byte >= 0x80 is read as Windows-1252/Latin-1 and encoded. Returns the
 * output length and sets *was_valid. dst needs cap >= 3 * len + 1 (with less,
 * the output stops before the character that does not fit; always NUL-ended). */
size_t nm_csv_to_utf8(const char *p, size_t len, char *dst, size_t cap, int *was_valid);

/* Bytes of input read so far (uncompressed). */
uint64_t nm_csv_bytes_read(const nm_csv *c);

/* The 64-byte classification kernel, exposed for tests and benches:
 * bit i of *quote / *delim / *lf is set when p[i] is '"' / delim / '\n'.
 * Every level gives identical masks. */
typedef void (*nm_csv_classify_fn)(const char *p, char delim, uint64_t *quote, uint64_t *delim_mask,
                                   uint64_t *lf);
nm_csv_classify_fn nm_csv_classify_for(int simd_level);

/* The classification the scanner really runs (an extension of the above):
 * besides quote / delimiter / LF it flags CR (dropped before LF), NUL bytes
 * (rows are rejected) and bytes >= 0x80 (fields get NM_CSV_HIGHBIT).
 * Identical at every level. */
typedef struct nm_csv_masks {
    uint64_t quote, delim, lf, cr, nul, high;
} nm_csv_masks;
typedef void (*nm_csv_classify_ext_fn)(const char *p, char delim, nm_csv_masks *m);
nm_csv_classify_ext_fn nm_csv_classify_ext_for(int simd_level);

#endif
