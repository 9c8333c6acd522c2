/* strcol.c - string columns in, read in place.
 *
 * Every input becomes an array of {pointer, length} views into memory the
 * producer owns: Arrow buffers moved out of PyCapsules (Arrow PyCapsule
 * interface: the consumer moves the struct and sets the source's release to
 * NULL, then releases it when done), or the UTF-8 cache of str objects held
 * by a tuple. No string byte is copied and no Python code runs per row.
 * Producers may ignore requested schemas, so all string layouts are taken:
 * "u" (int32 offsets), "U" (int64 offsets), "vu" (string view), "n" (all
 * null) and dictionary-encoded variants of these. */
#include "nmpy.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char nmpy_empty[1] = "";

/* Views are only trusted as far as the spec lets a consumer check them:
 * offsets must not go backwards, dictionary indices and string-view buffer
 * references must be in range. A malformed producer gets ValueError, not a
 * crashed kernel. */
static int bad_input(const char *name, const char *why) {
    PyErr_Format(PyExc_ValueError, "argument '%s': malformed Arrow array (%s)", name, why);
    return -1;
}

static inline int is_valid(const uint8_t *bits, int64_t i) {
    return !bits || (bits[i >> 3] >> (i & 7)) & 1;
}

static int grow(nmpy_strcol *c, size_t extra, size_t *cap) {
    if (c->len + extra <= *cap) return 0;
    size_t ncap = *cap ? *cap : 1024;
    while (ncap < c->len + extra) ncap *= 2;
    nmpy_str *nv = realloc(c->v, ncap * sizeof *nv);
    if (!nv) {
        PyErr_NoMemory();
        return -1;
    }
    c->v = nv;
    *cap = ncap;
    return 0;
}

int64_t nmpy_read_int(const void *buf, char fmt, int64_t i) {
    switch (fmt) {
    case 'c': return ((const int8_t *)buf)[i];
    case 'C': return ((const uint8_t *)buf)[i];
    case 's': return ((const int16_t *)buf)[i];
    case 'S': return ((const uint16_t *)buf)[i];
    case 'i': return ((const int32_t *)buf)[i];
    case 'I': return ((const uint32_t *)buf)[i];
    case 'l': return ((const int64_t *)buf)[i];
    default: { uint64_t u = ((const uint64_t *)buf)[i]; return u > INT64_MAX ? -1 : (int64_t)u; }
    }
}

/* Fill dst[0 .. a->length) from one Arrow array of schema s. */
static int fill(const struct ArrowSchema *s, const struct ArrowArray *a, nmpy_str *dst, const char *name, int depth) {
    const char *f = s->format ? s->format : "";
    int64_t n = a->length, off = a->offset;
    if (n < 0 || off < 0) return bad_input(name, "negative length or offset");
    const uint8_t *valid = (a->null_count != 0 && a->n_buffers > 0) ? a->buffers[0] : NULL;

    if (s->dictionary) {
        if (depth > 0 || !a->dictionary || strlen(f) != 1 || !strchr("cCsSiIlL", f[0]) || a->n_buffers != 2)
            return bad_input(name, "unsupported dictionary layout");
        const struct ArrowArray *d = a->dictionary;
        nmpy_str *vals = d->length > 0 ? malloc((size_t)d->length * sizeof *vals) : NULL;
        if (d->length > 0 && !vals) {
            PyErr_NoMemory();
            return -1;
        }
        if (fill(s->dictionary, d, vals, name, depth + 1) < 0) {
            free(vals);
            return -1;
        }
        const void *idx = a->buffers[1];
        if (n > 0 && !idx) {
            free(vals);
            return bad_input(name, "missing dictionary indices");
        }
        for (int64_t i = 0; i < n; i++) {
            if (!is_valid(valid, off + i)) {
                dst[i] = (nmpy_str){NULL, 0};
                continue;
            }
            int64_t k = nmpy_read_int(idx, f[0], off + i);
            if (k < 0 || k >= d->length) {
                free(vals);
                return bad_input(name, "dictionary index out of range");
            }
            dst[i] = vals[k];
        }
        free(vals);
        return 0;
    }

    if (strcmp(f, "n") == 0) {
        for (int64_t i = 0; i < n; i++) dst[i] = (nmpy_str){NULL, 0};
        return 0;
    }
    if (strcmp(f, "u") == 0 || strcmp(f, "U") == 0) {
        int large = f[0] == 'U';
        if (a->n_buffers != 3) return bad_input(name, "string array without 3 buffers");
        const char *data = a->buffers[2] ? a->buffers[2] : nmpy_empty;
        if (n == 0) return 0;
        if (!a->buffers[1]) return bad_input(name, "missing offsets");
        const int32_t *o32 = a->buffers[1];
        const int64_t *o64 = a->buffers[1];
        int64_t prev = large ? o64[off] : o32[off];
        if (prev < 0) return bad_input(name, "negative offset");
        for (int64_t i = 0; i < n; i++) {
            int64_t next = large ? o64[off + i + 1] : o32[off + i + 1];
            if (next < prev) return bad_input(name, "offsets go backwards");
            dst[i] = is_valid(valid, off + i) ? (nmpy_str){data + prev, (size_t)(next - prev)} : (nmpy_str){NULL, 0};
            prev = next;
        }
        return 0;
    }
    if (strcmp(f, "vu") == 0) {
        /* Buffers: validity, 16-byte views, variadic data buffers, then an
         * int64 array of the data buffers' sizes. A view holds its length,
         * then either the bytes inline (length <= 12) or a 4-byte prefix,
         * the data buffer index and the offset in it. */
        if (a->n_buffers < 3) return bad_input(name, "string view array with too few buffers");
        int64_t nvar = a->n_buffers - 3;
        const int64_t *sizes = a->buffers[a->n_buffers - 1];
        const uint8_t *views = a->buffers[1];
        if (n > 0 && !views) return bad_input(name, "missing views");
        for (int64_t i = 0; i < n; i++) {
            if (!is_valid(valid, off + i)) {
                dst[i] = (nmpy_str){NULL, 0};
                continue;
            }
            const uint8_t *v = views + 16 * (off + i);
            int32_t len, bi, bo;
            memcpy(&len, v, 4);
            if (len < 0) return bad_input(name, "negative string view length");
            if (len <= 12) {
                dst[i] = (nmpy_str){(const char *)v + 4, (size_t)len};
                continue;
            }
            memcpy(&bi, v + 8, 4);
            memcpy(&bo, v + 12, 4);
            if (bi < 0 || bi >= nvar || bo < 0 || !a->buffers[2 + bi] ||
                (sizes && (int64_t)bo + len > sizes[bi]))
                return bad_input(name, "string view outside its data buffer");
            dst[i] = (nmpy_str){(const char *)a->buffers[2 + bi] + bo, (size_t)len};
        }
        return 0;
    }
    if (f[0] == '+')
        PyErr_Format(PyExc_TypeError,
                     "argument '%s': expected one string column, got a table or nested column (Arrow format '%s')",
                     name, f);
    else
        PyErr_Format(PyExc_TypeError, "argument '%s': expected strings, got Arrow format '%s'", name, f);
    return -1;
}

static int add_chunk(nmpy_strcol *c, const struct ArrowArray *a, size_t *cap, const char *name) {
    if (a->length < 0) return bad_input(name, "negative length");
    if (grow(c, (size_t)a->length, cap) < 0) return -1;
    if (fill(&c->schema, a, c->v + c->len, name, 0) < 0) return -1;
    c->len += (size_t)a->length;
    return 0;
}

static int keep_chunk(nmpy_strcol *c, struct ArrowArray *a) {
    struct ArrowArray *nc = realloc(c->chunks, (c->nchunks + 1) * sizeof *nc);
    if (!nc) {
        a->release(a);
        PyErr_NoMemory();
        return -1;
    }
    c->chunks = nc;
    c->chunks[c->nchunks++] = *a;
    a->release = NULL;
    return 0;
}

static int from_c_array(PyObject *obj, const char *name, nmpy_strcol *c) {
    PyObject *t = PyObject_CallMethod(obj, "__arrow_c_array__", NULL);
    if (!t) return -1;
    if (!PyTuple_Check(t) || PyTuple_Size(t) != 2) {
        Py_DECREF(t);
        PyErr_Format(PyExc_TypeError, "argument '%s': __arrow_c_array__ did not return (schema, array)", name);
        return -1;
    }
    struct ArrowSchema *s = PyCapsule_GetPointer(PyTuple_GetItem(t, 0), "arrow_schema");
    struct ArrowArray *a = s ? PyCapsule_GetPointer(PyTuple_GetItem(t, 1), "arrow_array") : NULL;
    if (!s || !a || !s->release || !a->release) {
        Py_DECREF(t);
        if (!PyErr_Occurred())
            PyErr_Format(PyExc_ValueError, "argument '%s': Arrow capsule was already consumed", name);
        return -1;
    }
    /* Move both structs out; the capsules' destructors then do nothing. */
    c->schema = *s;
    s->release = NULL;
    struct ArrowArray moved = *a;
    a->release = NULL;
    Py_DECREF(t);
    if (keep_chunk(c, &moved) < 0) return -1;
    size_t cap = 0;
    return add_chunk(c, &c->chunks[0], &cap, name);
}

static int stream_error(struct ArrowArrayStream *st, int rc, const char *name) {
    const char *msg = st->get_last_error ? st->get_last_error(st) : NULL;
    PyErr_Format(PyExc_ValueError, "argument '%s': Arrow stream failed: %s", name, msg ? msg : strerror(rc));
    return -1;
}

static int from_c_stream(PyObject *obj, const char *name, nmpy_strcol *c) {
    PyObject *cap_obj = PyObject_CallMethod(obj, "__arrow_c_stream__", NULL);
    if (!cap_obj) return -1;
    struct ArrowArrayStream *src = PyCapsule_GetPointer(cap_obj, "arrow_array_stream");
    if (!src || !src->release) {
        Py_DECREF(cap_obj);
        if (!PyErr_Occurred())
            PyErr_Format(PyExc_ValueError, "argument '%s': Arrow stream capsule was already consumed", name);
        return -1;
    }
    struct ArrowArrayStream st = *src;
    src->release = NULL;
    Py_DECREF(cap_obj);

    int rc = 0, ret = -1;
    size_t cap = 0;
    if ((rc = st.get_schema(&st, &c->schema)) != 0) {
        c->schema.release = NULL;
        stream_error(&st, rc, name);
        goto done;
    }
    for (;;) {
        struct ArrowArray a;
        memset(&a, 0, sizeof a);
        if ((rc = st.get_next(&st, &a)) != 0) {
            stream_error(&st, rc, name);
            goto done;
        }
        if (!a.release) break;  /* end of stream */
        if (keep_chunk(c, &a) < 0) goto done;
        if (add_chunk(c, &c->chunks[c->nchunks - 1], &cap, name) < 0) goto done;
    }
    ret = 0;
done:
    /* Arrays from get_next live independently of the stream (C stream
     * interface), so the stream can go now. */
    st.release(&st);
    return ret;
}

static int from_sequence(PyObject *obj, const char *name, nmpy_strcol *c) {
    /* A tuple copy pins every str for the lifetime of the column, so a list
     * mutated by another thread while the GIL is released cannot free the
     * bytes we point at. */
    PyObject *t = PySequence_Tuple(obj);
    if (!t) return -1;
    c->keep = t;
    Py_ssize_t n = PyTuple_Size(t);
    size_t cap = 0;
    if (grow(c, (size_t)n, &cap) < 0) return -1;
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *o = PyTuple_GetItem(t, i);
        if (PyUnicode_Check(o)) {
            Py_ssize_t len;
            const char *p = PyUnicode_AsUTF8AndSize(o, &len);
            if (!p) return -1;
            c->v[i] = (nmpy_str){p, (size_t)len};
        } else if (o == Py_None || (PyFloat_Check(o) && isnan(PyFloat_AsDouble(o)))) {
            c->v[i] = (nmpy_str){NULL, 0};
        } else {
            PyObject *tn = PyType_GetName(Py_TYPE(o));
            PyErr_Format(PyExc_TypeError, "argument '%s': element %zd is %S, expected str or None", name, i,
                         tn ? tn : Py_None);
            Py_XDECREF(tn);
            return -1;
        }
    }
    c->len = (size_t)n;
    return 0;
}

int nmpy_strcol_from(PyObject *obj, const char *name, nmpy_strcol *c) {
    memset(c, 0, sizeof *c);
    int rc;
    if (obj == Py_None || PyUnicode_Check(obj)) {
        c->scalar = 1;
        c->v = malloc(sizeof *c->v);
        if (!c->v) {
            PyErr_NoMemory();
            return -1;
        }
        c->v[0] = (nmpy_str){NULL, 0};
        c->len = 1;
        if (obj != Py_None) {
            Py_ssize_t len;
            const char *p = PyUnicode_AsUTF8AndSize(obj, &len);
            if (!p) {
                nmpy_strcol_free(c);
                return -1;
            }
            c->v[0] = (nmpy_str){p, (size_t)len};
            Py_INCREF(obj);
            c->keep = obj;
        }
        return 0;
    }
    if (PyObject_HasAttrString(obj, "__arrow_c_array__"))
        rc = from_c_array(obj, name, c);
    else if (PyObject_HasAttrString(obj, "__arrow_c_stream__"))
        rc = from_c_stream(obj, name, c);
    else if (PyList_Check(obj) || PyTuple_Check(obj))
        rc = from_sequence(obj, name, c);
    else {
        PyObject *tn = PyType_GetName(Py_TYPE(obj));
        PyErr_Format(PyExc_TypeError,
                     "argument '%s': expected str, a list of str, or an Arrow-compatible string column "
                     "(pyarrow, pandas, polars), got %S", name, tn ? tn : Py_None);
        Py_XDECREF(tn);
        rc = -1;
    }
    if (rc < 0) {
        nmpy_strcol_free(c);
        return -1;
    }
    /* One plain "u" chunk: batch kernels may read the Arrow buffers as is. */
    if (c->nchunks == 1 && c->schema.format && strcmp(c->schema.format, "u") == 0 && !c->schema.dictionary &&
        c->chunks[0].length > 0) {
        const struct ArrowArray *a = &c->chunks[0];
        c->off32 = (const int32_t *)a->buffers[1] + a->offset;
        c->data = a->buffers[2] ? a->buffers[2] : nmpy_empty;
        c->validity = a->null_count != 0 ? a->buffers[0] : NULL;
        c->voff = a->offset;
    }
    return 0;
}

void nmpy_strcol_free(nmpy_strcol *c) {
    for (size_t i = 0; i < c->nchunks; i++)
        if (c->chunks[i].release) c->chunks[i].release(&c->chunks[i]);
    free(c->chunks);
    if (c->schema.release) c->schema.release(&c->schema);
    free(c->v);
    Py_XDECREF(c->keep);
    memset(c, 0, sizeof *c);
}

int nmpy_common_len(nmpy_strcol *const *cols, const char *const *names, int k, size_t *n, int *all_scalar) {
    int first = -1;
    *all_scalar = 1;
    *n = 1;
    for (int i = 0; i < k; i++) {
        if (!cols[i] || cols[i]->scalar) continue;
        *all_scalar = 0;
        if (first < 0) {
            first = i;
            *n = cols[i]->len;
        } else if (cols[i]->len != *n) {
            PyErr_Format(PyExc_ValueError, "length mismatch: '%s' has %zu elements, '%s' has %zu",
                         names[first], *n, names[i], cols[i]->len);
            return -1;
        }
    }
    return 0;
}
