/* CSV output helpers (csv_out.h). */
#include "output/csv_out.h"
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "npimatch/error.h"
#include "output/numfmt.h"

int nm_csv_put(nm_buf *b, const char *s, size_t n, int first) {
    if (!first && nm_buf_putc(b, ',')) return NM_E_NOMEM;
    int quote = 0;
    for (size_t i = 0; i < n && !quote; i++) quote = s[i] == ',' || s[i] == '"' || s[i] == '\n' || s[i] == '\r';
    if (!quote) return nm_buf_append(b, s, n);
    if (nm_buf_reserve(b, 2 * n + 2)) return NM_E_NOMEM;
    b->data[b->len++] = '"';
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '"') b->data[b->len++] = '"';
        b->data[b->len++] = s[i];
    }
    b->data[b->len++] = '"';
    b->data[b->len] = 0;
    return 0;
}

int nm_csv_putf(nm_buf *b, int first, const char *fmt, ...) {
    char tmp[128];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n < 0) return NM_E_INTERNAL;
    if ((size_t)n >= sizeof tmp) n = sizeof tmp - 1;
    if (!first && nm_buf_putc(b, ',')) return NM_E_NOMEM;
    return nm_buf_append(b, tmp, (size_t)n);
}

int nm_csv_put_fixed(nm_buf *b, double x, int prec) {
    char t[NM_FMT_CAP + 1];
    t[0] = ',';
    return nm_buf_append(b, t, 1 + nm_fmt_fixed(t + 1, x, prec, 0));
}

int nm_csv_put_u32(nm_buf *b, uint32_t v, int width) {
    char t[40];
    t[0] = ',';
    return nm_buf_append(b, t, 1 + nm_fmt_u32(t + 1, v, width));
}
