/* CSV output helpers (RFC 4180): a field is quoted when it holds a comma,
 * a quote, CR or LF, and quotes inside are doubled. Rows are built in
 * memory buffers (one per chunk of records) and written through nm_writer
 * (atomic, zstd for .zst) in chunk order. */
#ifndef NM_OUTPUT_CSV_OUT_H
#define NM_OUTPUT_CSV_OUT_H

#include <stddef.h>
#include <stdint.h>
#include "common/arena.h"

/* Append one field (quoted if needed), preceded by a comma unless first. */
int nm_csv_put(nm_buf *b, const char *s, size_t n, int first);
/* Append a printf-formatted field (numbers: never needs quoting). */
int nm_csv_putf(nm_buf *b, int first, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Append ",<x as %.<prec>f>" (prec 1..4) / ",<v as %0<width>u>" (width <=
 * 20): the same text as nm_csv_putf, without printf (output/numfmt.h). */
int nm_csv_put_fixed(nm_buf *b, double x, int prec);
int nm_csv_put_u32(nm_buf *b, uint32_t v, int width);

#endif
