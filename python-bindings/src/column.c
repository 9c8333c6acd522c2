/* column.c - result columns out.
 *
 * Kernels fill an nmpy_builder (plain malloc: they run without the GIL),
 * then nmpy_finish moves its buffers into a reference-counted nmpy_colbuf
 * owned by a Column object. The Column exports itself through the Arrow
 * PyCapsule interface (__arrow_c_array__) so pyarrow.array(col),
 * polars.from_arrow(...) and pandas import it without copying; each export
 * takes a reference on the buffers and its release callback drops it, so the
 * Arrow array outlives the Column safely and release needs no GIL. Numeric
 * columns also expose the buffer protocol (numpy.asarray(col)). */
#include "nmpy.h"
#include <math.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

PyTypeObject *nmpy_ColumnType;

#define NMPY_MAX(a, b) ((a) > (b) ? (a) : (b))

/* ---------------- builder ---------------- */

static size_t width_of(nmpy_kind k) {
    switch (k) {
    case NMPY_F64: return sizeof(double);
    case NMPY_I32:
    case NMPY_DATE32: return sizeof(int32_t);
    case NMPY_BOOL8: return 1;
    case NMPY_UTF8: return sizeof(int64_t);  /* offsets; the first one is extra */
    }
    return 8;
}

int nmpy_builder_init(nmpy_builder *b, nmpy_kind kind, size_t cap) {
    memset(b, 0, sizeof *b);
    b->kind = kind;
    b->cap = cap ? cap : 1;
    b->values = malloc((b->cap + (kind == NMPY_UTF8)) * width_of(kind));
    if (!b->values) return -1;
    if (kind == NMPY_UTF8) {
        ((int64_t *)b->values)[0] = 0;
        /* Bytes grow by doubling from a modest start: several string
         * outputs of a 100M-row call must not reserve gigabytes up front. */
        b->capchars = (b->cap < (1u << 17) ? b->cap * 8 : (size_t)1 << 20) + 16;
        b->chars = malloc(b->capchars);
        if (!b->chars) {
            free(b->values);
            return -1;
        }
    }
    return 0;
}

void nmpy_builder_free(nmpy_builder *b) {
    free(b->values);
    free(b->validity);
    free(b->chars);
    memset(b, 0, sizeof *b);
}

/* Room for ncap elements (values, and validity bits cleared when present). */
static int grow_to(nmpy_builder *b, size_t ncap) {
    void *nv = realloc(b->values, (ncap + (b->kind == NMPY_UTF8)) * width_of(b->kind));
    if (!nv) return -1;
    b->values = nv;
    if (b->validity) {
        uint8_t *nb = realloc(b->validity, (ncap + 7) / 8);
        if (!nb) return -1;
        memset(nb + (b->cap + 7) / 8, 0, (ncap + 7) / 8 - (b->cap + 7) / 8);
        b->validity = nb;
    }
    b->cap = ncap;
    return 0;
}

static int reserve1(nmpy_builder *b) {
    return b->len < b->cap ? 0 : grow_to(b, b->cap * 2);
}

static inline void set_valid(nmpy_builder *b) {
    if (b->validity) b->validity[b->len >> 3] |= (uint8_t)(1u << (b->len & 7));
}

int nmpy_put_null(nmpy_builder *b) {
    if (reserve1(b) < 0) return -1;
    if (!b->validity) {
        /* First null: every earlier element was valid. */
        b->validity = calloc((b->cap + 7) / 8, 1);
        if (!b->validity) return -1;
        for (size_t i = 0; i < b->len; i++) b->validity[i >> 3] |= (uint8_t)(1u << (i & 7));
    }
    switch (b->kind) {
    case NMPY_F64: ((double *)b->values)[b->len] = NAN; break;  /* numpy users see NaN */
    case NMPY_I32:
    case NMPY_DATE32: ((int32_t *)b->values)[b->len] = 0; break;
    case NMPY_BOOL8: ((uint8_t *)b->values)[b->len] = 0; break;
    case NMPY_UTF8: ((int64_t *)b->values)[b->len + 1] = (int64_t)b->nchars; break;
    }
    b->len++;
    b->null_count++;
    return 0;
}

void nmpy_builder_reset(nmpy_builder *b) {
    b->len = 0;
    b->nchars = 0;
    b->null_count = 0;
    free(b->validity);
    b->validity = NULL;
    if (b->kind == NMPY_UTF8) ((int64_t *)b->values)[0] = 0;
}

int nmpy_builder_append(nmpy_builder *d, const nmpy_builder *s) {
    if (!s->len) return 0;
    size_t need = d->len + s->len, w = width_of(d->kind);
    if (need > d->cap && grow_to(d, NMPY_MAX(need, d->cap * 2))) return -1;
    if (s->validity && !d->validity) {
        d->validity = calloc((d->cap + 7) / 8, 1);
        if (!d->validity) return -1;
        for (size_t i = 0; i < d->len; i++) d->validity[i >> 3] |= (uint8_t)(1u << (i & 7));
    }
    if (d->validity)
        for (size_t i = 0; i < s->len; i++) {
            size_t j = d->len + i;
            if (!s->validity || (s->validity[i >> 3] >> (i & 7)) & 1) d->validity[j >> 3] |= (uint8_t)(1u << (j & 7));
        }
    if (d->kind == NMPY_UTF8) {
        if (d->nchars + s->nchars > d->capchars) {
            size_t nc = d->capchars * 2;
            while (nc < d->nchars + s->nchars) nc *= 2;
            char *np = realloc(d->chars, nc);
            if (!np) return -1;
            d->chars = np;
            d->capchars = nc;
        }
        if (s->nchars) memcpy(d->chars + d->nchars, s->chars, s->nchars);
        int64_t *doff = (int64_t *)d->values + d->len, base = (int64_t)d->nchars;
        const int64_t *soff = s->values;
        for (size_t i = 1; i <= s->len; i++) doff[i] = base + soff[i];
        d->nchars += s->nchars;
    } else {
        memcpy((char *)d->values + d->len * w, s->values, s->len * w);
    }
    d->len += s->len;
    d->null_count += s->null_count;
    return 0;
}

int nmpy_put_f64(nmpy_builder *b, double v) {
    if (reserve1(b) < 0) return -1;
    set_valid(b);
    ((double *)b->values)[b->len++] = v;
    return 0;
}

int nmpy_put_i32(nmpy_builder *b, int32_t v) {
    if (reserve1(b) < 0) return -1;
    set_valid(b);
    ((int32_t *)b->values)[b->len++] = v;
    return 0;
}

int nmpy_put_str(nmpy_builder *b, const char *p, size_t n) {
    if (reserve1(b) < 0) return -1;
    if (b->nchars + n > b->capchars) {
        size_t nc = b->capchars * 2;
        while (nc < b->nchars + n) nc *= 2;
        char *np = realloc(b->chars, nc);
        if (!np) return -1;
        b->chars = np;
        b->capchars = nc;
    }
    if (n) memcpy(b->chars + b->nchars, p, n);
    b->nchars += n;
    set_valid(b);
    ((int64_t *)b->values)[++b->len] = (int64_t)b->nchars;
    return 0;
}

/* ---------------- shared, reference-counted buffers ---------------- */

typedef struct nmpy_colbuf {
    atomic_long refs;
    nmpy_kind kind;
    int64_t length, null_count, n_buffers;
    const void *buffers[3];   /* Arrow order: validity, values/offsets, chars */
    void *owned[3];
    char fmt[8];
} nmpy_colbuf;

static void colbuf_decref(nmpy_colbuf *cb) {
    if (!cb || atomic_fetch_sub(&cb->refs, 1) != 1) return;
    for (int i = 0; i < 3; i++) free(cb->owned[i]);
    free(cb);
}

typedef struct {
    PyObject_HEAD
    nmpy_colbuf *cb;
} ColumnObject;

static PyObject *finish(nmpy_builder *b, int large) {
    nmpy_colbuf *cb = calloc(1, sizeof *cb);
    if (!cb) {
        nmpy_builder_free(b);
        return PyErr_NoMemory();
    }
    atomic_init(&cb->refs, 1);
    cb->kind = b->kind;
    cb->length = (int64_t)b->len;
    cb->null_count = b->null_count;
    cb->owned[0] = b->validity;
    cb->owned[1] = b->values;
    cb->n_buffers = 2;
    switch (b->kind) {
    case NMPY_F64: strcpy(cb->fmt, "g"); break;
    case NMPY_I32: strcpy(cb->fmt, "i"); break;
    case NMPY_DATE32: strcpy(cb->fmt, "tdD"); break;
    case NMPY_BOOL8: strcpy(cb->fmt, "C"); break;
    case NMPY_UTF8:
        cb->n_buffers = 3;
        cb->owned[2] = b->chars;
        if (b->nchars <= INT32_MAX && !large) {
            /* Narrow the offsets in place: "u" (string) is what most
             * consumers expect; "U" (large_string) only past 2 GiB. */
            int64_t *o64 = b->values;
            int32_t *o32 = b->values;
            for (size_t i = 0; i <= b->len; i++) o32[i] = (int32_t)o64[i];
            strcpy(cb->fmt, "u");
        } else {
            strcpy(cb->fmt, "U");
        }
        break;
    }
    for (int i = 0; i < 3; i++) cb->buffers[i] = cb->owned[i];
    memset(b, 0, sizeof *b);

    ColumnObject *col = PyObject_New(ColumnObject, nmpy_ColumnType);
    if (!col) {
        colbuf_decref(cb);
        return NULL;
    }
    col->cb = cb;
    return (PyObject *)col;
}

PyObject *nmpy_finish(nmpy_builder *b) { return finish(b, 0); }
PyObject *nmpy_finish_large(nmpy_builder *b) { return finish(b, 1); }

static void column_dealloc(PyObject *self) {
    PyTypeObject *tp = Py_TYPE(self);
    colbuf_decref(((ColumnObject *)self)->cb);
    PyObject_Free(self);
    Py_DECREF(tp);
}

/* ---------------- Arrow PyCapsule export ---------------- */

static void schema_release(struct ArrowSchema *s) {
    colbuf_decref(s->private_data);
    s->release = NULL;
}

static void array_release(struct ArrowArray *a) {
    colbuf_decref(a->private_data);
    a->release = NULL;
}

static void schema_capsule_del(PyObject *cap) {
    struct ArrowSchema *s = PyCapsule_GetPointer(cap, "arrow_schema");
    if (!s) {
        PyErr_Clear();
        return;
    }
    if (s->release) s->release(s);
    free(s);
}

static void array_capsule_del(PyObject *cap) {
    struct ArrowArray *a = PyCapsule_GetPointer(cap, "arrow_array");
    if (!a) {
        PyErr_Clear();
        return;
    }
    if (a->release) a->release(a);
    free(a);
}

static PyObject *make_schema_capsule(nmpy_colbuf *cb) {
    struct ArrowSchema *s = calloc(1, sizeof *s);
    if (!s) return PyErr_NoMemory();
    atomic_fetch_add(&cb->refs, 1);
    s->format = cb->fmt;
    s->name = "";
    s->flags = ARROW_FLAG_NULLABLE;
    s->release = schema_release;
    s->private_data = cb;
    PyObject *cap = PyCapsule_New(s, "arrow_schema", schema_capsule_del);
    if (!cap) {
        s->release(s);
        free(s);
    }
    return cap;
}

static PyObject *column_arrow_c_schema(PyObject *self, PyObject *unused) {
    return make_schema_capsule(((ColumnObject *)self)->cb);
}

/* requested_schema is accepted and ignored: producers may do so (PyCapsule
 * interface); our layout is always the canonical one. */
static PyObject *column_arrow_c_array(PyObject *self, PyObject *args, PyObject *kw) {
    static char *kwlist[] = {"requested_schema", NULL};
    PyObject *req = Py_None;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "|O", kwlist, &req)) return NULL;
    nmpy_colbuf *cb = ((ColumnObject *)self)->cb;
    PyObject *scap = make_schema_capsule(cb);
    if (!scap) return NULL;
    struct ArrowArray *a = calloc(1, sizeof *a);
    if (!a) {
        Py_DECREF(scap);
        return PyErr_NoMemory();
    }
    atomic_fetch_add(&cb->refs, 1);
    a->length = cb->length;
    a->null_count = cb->null_count;
    a->n_buffers = cb->n_buffers;
    a->buffers = cb->buffers;
    a->release = array_release;
    a->private_data = cb;
    PyObject *acap = PyCapsule_New(a, "arrow_array", array_capsule_del);
    if (!acap) {
        a->release(a);
        free(a);
        Py_DECREF(scap);
        return NULL;
    }
    PyObject *t = PyTuple_Pack(2, scap, acap);
    Py_DECREF(scap);
    Py_DECREF(acap);
    return t;
}

/* ---------------- Python-level helpers (fallback without pyarrow) ---------------- */

static int is_null_at(const nmpy_colbuf *cb, int64_t i) {
    const uint8_t *v = cb->buffers[0];
    return v && !((v[i >> 3] >> (i & 7)) & 1);
}

static PyObject *item(const nmpy_colbuf *cb, int64_t i, PyObject *date_cls) {
    if (is_null_at(cb, i)) Py_RETURN_NONE;
    switch (cb->kind) {
    case NMPY_F64: return PyFloat_FromDouble(((const double *)cb->buffers[1])[i]);
    case NMPY_I32: return PyLong_FromLong(((const int32_t *)cb->buffers[1])[i]);
    case NMPY_BOOL8: return PyBool_FromLong(((const uint8_t *)cb->buffers[1])[i]);
    case NMPY_DATE32:
        /* 719163 = proleptic Gregorian ordinal of 1970-01-01. */
        return PyObject_CallMethod(date_cls, "fromordinal", "l", (long)((const int32_t *)cb->buffers[1])[i] + 719163L);
    case NMPY_UTF8: {
        const char *chars = cb->buffers[2];
        int64_t lo, hi;
        if (cb->fmt[0] == 'u') {
            lo = ((const int32_t *)cb->buffers[1])[i];
            hi = ((const int32_t *)cb->buffers[1])[i + 1];
        } else {
            lo = ((const int64_t *)cb->buffers[1])[i];
            hi = ((const int64_t *)cb->buffers[1])[i + 1];
        }
        return PyUnicode_FromStringAndSize(chars + lo, (Py_ssize_t)(hi - lo));
    }
    }
    Py_RETURN_NONE;
}

static PyObject *column_to_pylist(PyObject *self, PyObject *unused) {
    nmpy_colbuf *cb = ((ColumnObject *)self)->cb;
    PyObject *date_cls = NULL;
    if (cb->kind == NMPY_DATE32) {
        PyObject *mod = PyImport_ImportModule("datetime");
        if (!mod) return NULL;
        date_cls = PyObject_GetAttrString(mod, "date");
        Py_DECREF(mod);
        if (!date_cls) return NULL;
    }
    PyObject *list = PyList_New((Py_ssize_t)cb->length);
    for (int64_t i = 0; list && i < cb->length; i++) {
        PyObject *o = item(cb, i, date_cls);
        if (!o) {
            Py_CLEAR(list);
            break;
        }
        PyList_SetItem(list, (Py_ssize_t)i, o);
    }
    Py_XDECREF(date_cls);
    return list;
}

static PyObject *column_item0(PyObject *self, PyObject *unused) {
    nmpy_colbuf *cb = ((ColumnObject *)self)->cb;
    if (cb->length < 1) {
        PyErr_SetString(PyExc_IndexError, "empty column");
        return NULL;
    }
    if (cb->kind != NMPY_DATE32) return item(cb, 0, NULL);
    PyObject *l = column_to_pylist(self, NULL);
    if (!l) return NULL;
    PyObject *o = PyList_GetItem(l, 0);
    Py_XINCREF(o);
    Py_DECREF(l);
    return o;
}

static Py_ssize_t column_len(PyObject *self) {
    return (Py_ssize_t)((ColumnObject *)self)->cb->length;
}

static PyObject *column_get_null_count(PyObject *self, void *unused) {
    return PyLong_FromLongLong(((ColumnObject *)self)->cb->null_count);
}

static PyObject *column_get_format(PyObject *self, void *unused) {
    return PyUnicode_FromString(((ColumnObject *)self)->cb->fmt);
}

static PyObject *column_repr(PyObject *self) {
    nmpy_colbuf *cb = ((ColumnObject *)self)->cb;
    return PyUnicode_FromFormat("<npimatch Column format=%s length=%lld nulls=%lld>", cb->fmt,
                                (long long)cb->length, (long long)cb->null_count);
}

/* Buffer protocol (Stable ABI since 3.11): numeric columns only, read-only.
 * Nulls read as NaN (float) or 0 (int); null_count tells whether any exist. */
static int column_getbuffer(PyObject *self, Py_buffer *view, int flags) {
    nmpy_colbuf *cb = ((ColumnObject *)self)->cb;
    const char *fmt;
    Py_ssize_t isz;
    switch (cb->kind) {
    case NMPY_F64: fmt = "d"; isz = 8; break;
    case NMPY_I32:
    case NMPY_DATE32: fmt = "i"; isz = 4; break;
    case NMPY_BOOL8: fmt = "B"; isz = 1; break;
    default:
        PyErr_SetString(PyExc_BufferError, "string columns have no buffer view; use pyarrow.array(col)");
        return -1;
    }
    if (flags & PyBUF_WRITABLE) {
        PyErr_SetString(PyExc_BufferError, "npimatch columns are read-only");
        return -1;
    }
    view->obj = Py_NewRef(self);
    view->buf = (void *)cb->buffers[1];
    view->len = (Py_ssize_t)cb->length * isz;
    view->readonly = 1;
    view->itemsize = isz;
    view->format = (flags & PyBUF_FORMAT) ? (char *)fmt : NULL;
    view->ndim = 1;
    view->shape = NULL;
    view->strides = NULL;
    view->suboffsets = NULL;
    view->internal = NULL;
    if (flags & PyBUF_ND) {
        /* shape must outlive the view: keep it in `internal`. */
        Py_ssize_t *shape = PyMem_Malloc(sizeof *shape);
        if (!shape) {
            Py_CLEAR(view->obj);
            PyErr_NoMemory();
            return -1;
        }
        *shape = (Py_ssize_t)cb->length;
        view->shape = shape;
        view->internal = shape;
    }
    return 0;
}

static void column_releasebuffer(PyObject *self, Py_buffer *view) {
    PyMem_Free(view->internal);
}

static PyMethodDef column_methods[] = {
    {"__arrow_c_array__", (PyCFunction)(void (*)(void))column_arrow_c_array, METH_VARARGS | METH_KEYWORDS,
     "Export as an Arrow array (PyCapsule interface); zero-copy."},
    {"__arrow_c_schema__", column_arrow_c_schema, METH_NOARGS, "Arrow schema of the column (PyCapsule interface)."},
    {"to_pylist", column_to_pylist, METH_NOARGS, "Values as a Python list (None for nulls)."},
    {"_item0", column_item0, METH_NOARGS, NULL},
    {NULL, NULL, 0, NULL}};

static PyGetSetDef column_getset[] = {
    {"null_count", column_get_null_count, NULL, "number of nulls", NULL},
    {"format", column_get_format, NULL, "Arrow format string", NULL},
    {NULL, NULL, NULL, NULL, NULL}};

static PyType_Slot column_slots[] = {
    {Py_tp_dealloc, column_dealloc},
    {Py_tp_methods, column_methods},
    {Py_tp_getset, column_getset},
    {Py_tp_repr, column_repr},
    {Py_sq_length, column_len},
    {Py_bf_getbuffer, column_getbuffer},
    {Py_bf_releasebuffer, column_releasebuffer},
    {Py_tp_doc, (void *)"A result column owned by npimatch: export with pyarrow.array(col), "
                        "numpy.asarray(col) (numeric) or col.to_pylist()."},
    {0, NULL}};

static PyType_Spec column_spec = {
    .name = "npimatch._npimatch.Column",
    .basicsize = sizeof(ColumnObject),
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_DISALLOW_INSTANTIATION,
    .slots = column_slots,
};

int nmpy_column_init_type(PyObject *module) {
    nmpy_ColumnType = (PyTypeObject *)PyType_FromSpec(&column_spec);
    if (!nmpy_ColumnType) return -1;
    Py_INCREF((PyObject *)nmpy_ColumnType);
    return PyModule_AddObject(module, "Column", (PyObject *)nmpy_ColumnType);
}
