/* CSV output helpers (RFC 4180): a field is quoted when it holds a comma,
 * a quote, CR or LF, and quotes inside are doubled. Rows are built in
 * memory buffers (one per chunk of records) and written through nm_writer
 * (atomic, zstd for .zst) in chunk order. */
#ifndef NM_OUTPUT_CSV_OUT_H
#define NM_OUTPUT_CSV_OUT_H

#include <stddef.h>
#include "common/arena.h"

/* Append one field (quoted if needed), preceded by a comma unless first. */
int nm_csv_put(nm_buf *b, const char *s, size_t n, int first);
/* Append a printf-formatted field (numbers: never needs quoting). */
int nm_csv_putf(nm_buf *b, int first, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
