/* A small strict JSON (RFC 8259) parser into an arena-backed DOM, and a
 * writer with deterministic formatting. Used for model files and reports.
 *
 * Parser: rejects everything RFC 8259 rejects (comments, trailing commas,
 * single quotes, leading zeros, bare control characters in strings, invalid
 * UTF-8 escapes, lone surrogates) plus duplicate object keys and nesting
 * deeper than NM_JSON_MAX_DEPTH (model files are configuration: a repeated
 * key is always a mistake). Errors read "<name>:<line>:<col>: <reason>",
 * line and column 1-based, column counted in bytes.
 *
 * DOM: every node, key and string lives in the caller's nm_arena and is
 * freed with it. Object members keep their input (or insertion) order.
 *
 * Writer: 2-space indentation; an array or object whose members are
 * scalars (or arrays/objects of scalars) and whose line fits in 120 columns
 * is written on one line (one model level per line); numbers use the shortest "%.*g" form that reads
 * back to the same double; non-finite numbers are refused. Same DOM => same
 * bytes. */
#ifndef NM_JSON_H
#define NM_JSON_H

#include <stddef.h>
#include <stdint.h>
#include "common/arena.h"
#include "npimatch/error.h"

#define NM_JSON_MAX_DEPTH 64

typedef enum nm_json_type {
    NM_JSON_NULL,
    NM_JSON_BOOL,
    NM_JSON_NUMBER,
    NM_JSON_STRING,
    NM_JSON_ARRAY,
    NM_JSON_OBJECT
} nm_json_type;

typedef struct nm_json nm_json;
struct nm_json {
    nm_json_type type;
    uint32_t line, col;          /* where the value starts (0 for built nodes) */
    uint32_t key_line, key_col;  /* where its key starts, inside an object */
    const char *key;             /* member name when inside an object, else NULL */
    size_t key_len;
    nm_json *next;               /* next sibling in the parent array/object */
    union {
        int boolean;
        double number;
        struct { const char *s; size_t len; } str;   /* NUL-terminated, may hold \u0000 */
        struct { nm_json *first, *last; size_t n; } kids;
    } u;
};

/* Parse `len` bytes. `name` is used in messages (file name). The DOM is
 * allocated in `arena`; on error *out is NULL, err holds the position. */
int nm_json_parse(const char *text, size_t len, const char *name, nm_arena *arena, nm_json **out,
                  nm_err *err);

/* Member `key` of an object (NULL when absent or when `obj` is not an object). */
nm_json *nm_json_get(const nm_json *obj, const char *key);
/* i-th element of an array or object (NULL when out of range). */
nm_json *nm_json_at(const nm_json *arr, size_t i);
static inline size_t nm_json_len(const nm_json *v) {
    return v && (v->type == NM_JSON_ARRAY || v->type == NM_JSON_OBJECT) ? v->u.kids.n : 0;
}
const char *nm_json_type_name(nm_json_type t);

/* Builders (for writers): nodes in `arena`; NULL when out of memory. */
nm_json *nm_json_new(nm_arena *a, nm_json_type t);
nm_json *nm_json_new_number(nm_arena *a, double x);
nm_json *nm_json_new_string(nm_arena *a, const char *s);
nm_json *nm_json_new_bool(nm_arena *a, int b);
/* Append `v` to array `arr` (key NULL) or object `obj` (key copied into the
 * arena). Returns 0 or NM_E_NOMEM / NM_E_ARG. */
int nm_json_push(nm_arena *a, nm_json *arr, nm_json *v);
int nm_json_put(nm_arena *a, nm_json *obj, const char *key, nm_json *v);

/* Serialise `v` (with a final newline) into `out`. Returns 0, NM_E_ARG for a
 * non-finite number, NM_E_NOMEM. */
int nm_json_write(const nm_json *v, nm_buf *out);
/* The shortest decimal form of x that reads back to x (x finite), NUL-terminated
 * into buf (>= 32 bytes); returns its length. */
size_t nm_json_format_number(double x, char buf[32]);

#endif
