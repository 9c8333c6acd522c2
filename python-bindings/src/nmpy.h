/* nmpy.h - internals shared by the files of the npimatch C extension.
 *
 *   _npimatch.c  module init, exceptions, the chunked GIL-free run loop
 *   strcol.c     string columns in: Arrow PyCapsules (u, U, vu, dictionary),
 *                lists/tuples of str, scalars; read in place, never copied
 *   column.c     result columns out: builders and the Column type, which
 *                exports itself through the Arrow PyCapsule interface and
 *                the buffer protocol
 *   kernels.c    the vectorised comparators and normalizers
 *   registry.c   the Registry type (nm_registry)
 *   model.c      the _Model type (nm_model): load, save, JSON, waterfall
 *   matcher.c    the _Matcher type (nm_matcher): HCP-to-NPI matching
 *   evalgen.c    the evaluator and the data generators (engine/eval, engine/gen)
 *   table.c      whole tables in (Arrow stream -> CSV bytes for the engine),
 *                engine CSV out -> Columns, the _Progress object
 *   linkage.c    resolve, link, dedupe, train (engine/resolve, engine/match/link.h)
 *
 * Built against the Stable ABI (Py_LIMITED_API 3.11, set by CMake). */
#ifndef NMPY_H
#define NMPY_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stddef.h>
#include <stdint.h>
#include "arrow_c.h"
#include "npimatch/error.h"

/* ---------- errors (_npimatch.c) ---------- */

extern PyObject *nmpy_Error;          /* npimatch.NpimatchError */
extern PyObject *nmpy_ClosedError;    /* npimatch.RegistryClosedError */
/* Raise the exception class for an engine status code, with the engine's
 * message (err may be NULL: nm_strerror(code) is used). Returns NULL. */
PyObject *nmpy_raise(int code, const nm_err *err);

/* A str path in the filesystem encoding; *keep owns the bytes (Py_XDECREF
 * it). NULL with TypeError for a non-str. */
const char *nmpy_fs_path(PyObject *s, PyObject **keep);

/* ---------- chunked execution (_npimatch.c) ---------- */

/* Run fn(ctx, lo, hi) over [0, n) in chunks. Large inputs run without the
 * GIL; between chunks the GIL is taken back and pending signals are handled,
 * so Ctrl-C stops a long call within one chunk. Returns 0, or -1 with a
 * Python exception set (KeyboardInterrupt, or MemoryError when fn set
 * *nomem). */
typedef void (*nmpy_chunk_fn)(void *ctx, size_t lo, size_t hi, int *nomem);
int nmpy_run(size_t n, nmpy_chunk_fn fn, void *ctx);
/* Progress: when the calling thread has a hook installed (_set_progress_hook,
 * kept in the thread state dict so threads do not see each other's bars),
 * nmpy_run calls hook(done, total) after each chunk of a call that has more
 * than one chunk. A hook that raises stops the call with its exception. */

/* ---------- string columns in (strcol.c) ---------- */

typedef struct nmpy_str {
    const char *p;   /* NULL: null element */
    size_t n;
} nmpy_str;

typedef struct nmpy_strcol {
    size_t len;                 /* elements (1 for a scalar) */
    int scalar;                 /* broadcast element 0 against the other inputs */
    nmpy_str *v;                /* len entries pointing into the producer's buffers */
    struct ArrowArray *chunks;  /* moved-in Arrow arrays, released by nmpy_strcol_free */
    size_t nchunks;
    struct ArrowSchema schema;  /* moved-in schema (release == NULL when none) */
    PyObject *keep;             /* str objects whose UTF-8 we point into */
    /* Fast path: one chunk of format "u" (int32 offsets), so batch kernels
     * can run on the Arrow buffers directly. NULL otherwise. */
    const int32_t *off32;
    const char *data;
    const uint8_t *validity;    /* with bit offset `voff` */
    int64_t voff;
} nmpy_strcol;

/* Convert `obj` (str, None, list/tuple of str|None|NaN, or an object with
 * __arrow_c_array__ / __arrow_c_stream__ holding strings) into a column.
 * `name` is the argument name for error messages. Returns 0 or -1 with an
 * exception set (the column is then already freed). */
int nmpy_strcol_from(PyObject *obj, const char *name, nmpy_strcol *out);
void nmpy_strcol_free(nmpy_strcol *c);
/* Element i of an Arrow integer buffer of format c C s S i I l L (a uint64
 * above INT64_MAX reads as -1). */
int64_t nmpy_read_int(const void *buf, char fmt, int64_t i);

static inline nmpy_str nmpy_at(const nmpy_strcol *c, size_t i) {
    return c->v[c->scalar ? 0 : i];
}

/* Common length of several inputs, scalars broadcast. Returns 0 and sets *n
 * (1 with *all_scalar when every input is a scalar) or -1 with ValueError. */
int nmpy_common_len(nmpy_strcol *const *cols, const char *const *names, int k, size_t *n, int *all_scalar);

/* ---------- result columns out (column.c) ---------- */

typedef enum nmpy_kind {
    NMPY_F64, NMPY_I32, NMPY_DATE32, NMPY_BOOL8, NMPY_UTF8
} nmpy_kind;

/* A growable result column, filled without the GIL (plain malloc). */
typedef struct nmpy_builder {
    nmpy_kind kind;
    size_t len, cap;            /* elements */
    int64_t null_count;
    uint8_t *validity;          /* allocated at the first null */
    void *values;               /* double / int32 / uint8 / int64 offsets */
    char *chars;                /* UTF8 bytes */
    size_t nchars, capchars;
} nmpy_builder;

int nmpy_builder_init(nmpy_builder *b, nmpy_kind kind, size_t cap);   /* 0 or -1 (no memory) */
void nmpy_builder_free(nmpy_builder *b);
/* Append one element; return 0 or -1 when out of memory. */
int nmpy_put_null(nmpy_builder *b);
int nmpy_put_f64(nmpy_builder *b, double v);
int nmpy_put_i32(nmpy_builder *b, int32_t v);
int nmpy_put_str(nmpy_builder *b, const char *p, size_t n);
/* Append all of s to d (same kind); 0 or -1 when out of memory. */
int nmpy_builder_append(nmpy_builder *d, const nmpy_builder *s);
/* Empty b, keeping its buffers. */
void nmpy_builder_reset(nmpy_builder *b);
/* Hand the builder's buffers to a new npimatch._npimatch.Column (the builder
 * is left empty). Needs the GIL. Returns a new reference or NULL. */
PyObject *nmpy_finish(nmpy_builder *b);
/* The same, text always as "U" (large_string, int64 offsets): what pandas'
 * Arrow-backed strings hold, so they take the buffers without a copy. */
PyObject *nmpy_finish_large(nmpy_builder *b);

extern PyTypeObject *nmpy_ColumnType;
int nmpy_column_init_type(PyObject *module);

/* ---------- kernels and registry ---------- */

extern PyMethodDef nmpy_kernel_methods[];
int nmpy_registry_init_type(PyObject *module);
extern PyMethodDef nmpy_registry_functions[];
/* The nm_registry of a _Registry object for a call that releases the GIL:
 * close() refuses while it is acquired. NULL with TypeError /
 * RegistryClosedError. Pair with nmpy_registry_release (GIL held). */
struct nm_registry;
struct nm_registry *nmpy_registry_acquire(PyObject *obj);
void nmpy_registry_release(PyObject *obj);

int nmpy_model_init_type(PyObject *module);
extern PyMethodDef nmpy_model_functions[];
/* The nm_model of a _Model object (borrowed), or NULL with TypeError. */
struct nm_model;
struct nm_model *nmpy_model_of(PyObject *obj);
/* A new _Model owning m (freed on failure). */
PyObject *nmpy_model_wrap(struct nm_model *m);
/* (steps, explanation) of one comparison vector: nm_waterfall as a list of
 * (comparison, label, weight, tf_weight, cumulative, probability) tuples and
 * the nm_explain string. tf may be NULL. New reference or NULL. */
PyObject *nmpy_explain_tuple(const struct nm_model *m, const uint8_t *levels, const double *tf);
int nmpy_matcher_init_type(PyObject *module);
extern PyMethodDef nmpy_matcher_functions[];
extern PyMethodDef nmpy_evalgen_functions[];

/* ---------- tables and progress (table.c) ---------- */

#include "npimatch/progress.h"
/* The engine hook of one call (npimatch/progress.h) as a _Progress object
 * holds it: the engine writes done/total, Python reads them and sets flag. */
typedef struct nmpy_progress {
    volatile uint64_t done, total;
    volatile int flag;
    nm_progress hook;
} nmpy_progress;
/* The hook of a _Progress object, NULL for None (or another type). */
nmpy_progress *nmpy_progress_of(PyObject *obj);
/* Install around an engine call made without the GIL. */
#define NMPY_WITH_PROGRESS(pg, call)                                          \
    do {                                                                      \
        const nm_progress *nmpy_prev_ = nm_progress_set((pg) ? &(pg)->hook : NULL); \
        call;                                                                 \
        nm_progress_set(nmpy_prev_);                                          \
    } while (0)
/* The CSV bytes of a _CsvData (borrowed), or NULL with TypeError. */
const char *nmpy_csvdata(PyObject *obj, size_t *len);
/* The columns of a _ColData (borrowed: valid while obj lives), NULL for another type (no error set). */
struct nm_columns;
const struct nm_columns *nmpy_coldata(PyObject *obj);
int nmpy_table_init_types(PyObject *module);
extern PyMethodDef nmpy_table_functions[];
extern PyMethodDef nmpy_linkage_functions[];

#endif
