/* printf-identical number formatting without printf, for the per-record
 * output fields (confidence, match weight, NPI, explanation weights): the
 * printf family parses its format and goes through the generic
 * floating-point conversion for every field. */
#ifndef NM_OUTPUT_NUMFMT_H
#define NM_OUTPUT_NUMFMT_H

#include <stddef.h>
#include <stdint.h>

#define NM_FMT_CAP 128   /* room nm_fmt_fixed needs at out (longer text is cut, as nm_csv_putf does) */

/* The text of printf("%.<prec>f", x) (or "%+.<prec>f" when plus), prec
 * 1..4, at out (NM_FMT_CAP bytes, NUL-terminated); returns its length.
 * Values too large for the exact path, NaN and infinities go to snprintf. */
size_t nm_fmt_fixed(char *out, double x, int prec, int plus);
/* The text of printf("%0<width>u", v) at out (>= 11 + width bytes, NUL-
 * terminated), width <= 20; returns its length. */
size_t nm_fmt_u32(char *out, uint32_t v, int width);

#endif
