/* Internal error helpers. Messages must never contain record contents. */
#ifndef NM_ERROR_INTERNAL_H
#define NM_ERROR_INTERNAL_H

#include "npimatch/error.h"

/* Fill `err` (may be NULL) with code and a printf-style message; returns code
 * so callers can write `return nm_err_set(err, NM_E_IO, "%s: %s", path, strerror(errno));` */
int nm_err_set(nm_err *err, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Early-return helpers in the spirit of zstd's FORWARD_IF_ERROR. */
#define NM_TRY(expr)                        \
    do {                                    \
        int nm_try_rc_ = (expr);            \
        if (nm_try_rc_ < 0) return nm_try_rc_; \
    } while (0)

#define NM_LIKELY(x) __builtin_expect(!!(x), 1)
#define NM_UNLIKELY(x) __builtin_expect(!!(x), 0)
#define NM_MIN(a, b) ((a) < (b) ? (a) : (b))
#define NM_MAX(a, b) ((a) > (b) ? (a) : (b))

#endif
