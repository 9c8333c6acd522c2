/* Status codes to text, and the internal helper that fills an nm_err. */
#include <stdarg.h>
#include <stdio.h>
#include "common/error_internal.h"

const char *nm_strerror(int code) {
    switch (code) {
#define NM_X_CASE(name, value, text) case value: return text;
        NM_ERROR_LIST(NM_X_CASE)
#undef NM_X_CASE
    }
    return "unknown error";
}

void nm_err_clear(nm_err *err) {
    if (!err) return;
    err->code = NM_OK;
    err->msg[0] = 0;
}

int nm_err_set(nm_err *err, int code, const char *fmt, ...) {
    if (err) {
        err->code = code;
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
        va_end(ap);
    }
    return code;
}
