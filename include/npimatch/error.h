/* npimatch/error.h - status codes and error details shared by every public call.
 *
 * Every fallible function returns an int: 0 (NM_OK) on success, a negative
 * NM_E_* code on failure. Functions that can say more also take an optional
 * `nm_err *` (may be NULL) which receives the code and a one-line message
 * such as "hcps.csv:12:7: unbalanced quote". Messages name files, lines,
 * columns and reasons, never field contents: the data is protected health
 * information. */
#ifndef NPIMATCH_ERROR_H
#define NPIMATCH_ERROR_H

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define NM_API __attribute__((visibility("default")))
#else
#define NM_API
#endif

/* X-macro: one place lists every code, its value and its text, so the enum
 * and nm_strerror() cannot drift apart (the libuv UV_ERRNO_MAP pattern).
 * Values are stable: new codes are appended, never renumbered. */
#define NM_ERROR_LIST(X)                                                        \
    X(NM_OK, 0, "ok")                                                           \
    X(NM_E_NOMEM, -1, "out of memory")                                          \
    X(NM_E_IO, -2, "input/output error")                                        \
    X(NM_E_ARG, -3, "invalid argument")                                         \
    X(NM_E_FORMAT, -4, "input is not in the expected format")                   \
    X(NM_E_CORRUPT, -5, "file is truncated or corrupted")                       \
    X(NM_E_VERSION, -6, "file was written by an incompatible version")          \
    X(NM_E_BADROWS, -7, "input rows were rejected (strict mode)")               \
    X(NM_E_NOTFOUND, -8, "not found")                                           \
    X(NM_E_LOCKED, -9, "locked by another run")                                 \
    X(NM_E_INTERRUPTED, -10, "interrupted")                                     \
    X(NM_E_MODEL, -11, "invalid model")                                         \
    X(NM_E_COMPRESS, -12, "compression error")                                  \
    X(NM_E_UNSUPPORTED, -13, "not supported on this machine or build")          \
    X(NM_E_INTERNAL, -14, "internal error")                                     \
    X(NM_E_CANCELLED, -15, "cancelled by the caller")

enum nm_status {
#define NM_X_ENUM(name, value, text) name = value,
    NM_ERROR_LIST(NM_X_ENUM)
#undef NM_X_ENUM
};

/* Detail for a failed call. Caller-owned, usually on the stack; the engine
 * only writes into it. `msg` is always NUL-terminated (empty when code == 0). */
typedef struct nm_err {
    int code;
    char msg[512];
} nm_err;

/* nm_strerror: static text for a status code ("unknown error" for codes not
 * in NM_ERROR_LIST). Never NULL; the caller must not free it. */
NM_API const char *nm_strerror(int code);

/* nm_err_clear: reset `err` (may be NULL) to NM_OK with an empty message. */
NM_API void nm_err_clear(nm_err *err);

#ifdef __cplusplus
}
#endif
#endif
