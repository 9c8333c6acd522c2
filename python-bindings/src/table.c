/* table.c - whole tables in, engine CSV outputs back as columns.
 *
 * In: a table with the Arrow PyCapsule stream interface (pyarrow Table,
 * polars DataFrame, an Arrow-backed pandas frame converted once by
 * pyarrow) is moved out of its capsule. For matching (_ColData) its string
 * columns are handed to the engine in place (nm_input_read_columns: the
 * CSV reader's row function, so column mapping, full-name parsing, UTF-8
 * checks and bad-row reasons are the CLI's; rows are reported by 0-based
 * row and column name). For the other table calls it is rendered in C,
 * without the GIL, into CSV bytes in memory (_CsvData) that the engine
 * reads with the very reader it uses for files; line N of the bytes is row
 * N - 2 of the table (line 1 is the header).
 *
 * Out: the engine writes its usual CSV (the CLI's columns and number
 * formats); _read_csv_columns reads it back in C into Columns (text, or
 * float64 for the named columns; empty fields are null). */
#include "nmpy.h"
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "common/arena.h"
#include "common/io.h"
#include "ingest/csv.h"
#include "npimatch/progress.h"
#include "table/tables.h"

/* ---------------- _CsvData ---------------- */

typedef struct {
    PyObject_HEAD
    nm_buf b;
    Py_ssize_t rows;
    PyObject *columns;   /* tuple of column names */
} CsvDataObject;

static PyTypeObject *CsvDataType;

static void csvdata_dealloc(PyObject *self) {
    CsvDataObject *o = (CsvDataObject *)self;
    PyTypeObject *tp = Py_TYPE(self);
    nm_buf_free(&o->b);
    Py_XDECREF(o->columns);
    PyObject_Free(self);
    Py_DECREF(tp);
}

static Py_ssize_t csvdata_len(PyObject *self) { return ((CsvDataObject *)self)->rows; }

static PyObject *csvdata_nbytes(PyObject *self, void *unused) {
    return PyLong_FromSize_t(((CsvDataObject *)self)->b.len);
}

static PyObject *csvdata_columns(PyObject *self, void *unused) {
    return Py_NewRef(((CsvDataObject *)self)->columns);
}

static PyObject *csvdata_bytes(PyObject *self, PyObject *unused) {
    CsvDataObject *o = (CsvDataObject *)self;
    return PyBytes_FromStringAndSize(o->b.data ? o->b.data : "", (Py_ssize_t)o->b.len);
}

const char *nmpy_csvdata(PyObject *obj, size_t *len) {
    if (!obj || !PyObject_TypeCheck(obj, CsvDataType)) {
        PyErr_SetString(PyExc_TypeError, "expected a table converted by _table_csv");
        return NULL;
    }
    CsvDataObject *o = (CsvDataObject *)obj;
    *len = o->b.len;
    return o->b.data ? o->b.data : "";
}

/* ---------------- rendering ---------------- */

/* One column of the current batch. */
typedef struct tcol {
    const char *fmt;                    /* value format (of the dictionary for dictionary columns) */
    char idx;                           /* dictionary index format, 0 when plain */
    const struct ArrowArray *a;         /* values (the dictionary for dictionary columns) */
    const struct ArrowArray *ia;        /* the column itself (indices for dictionary columns) */
} tcol;

static inline int bit(const void *bits, int64_t i) {
    return !bits || (((const uint8_t *)bits)[i >> 3] >> (i & 7)) & 1;
}

static int is_int_fmt(const char *f) { return f[0] && !f[1] && strchr("cCsSiIlL", f[0]); }
static int is_str_fmt(const char *f) { return !strcmp(f, "u") || !strcmp(f, "U") || !strcmp(f, "vu"); }

/* Supported: strings (u, U, vu, dictionary of them), integers, floats,
 * booleans, dates, timestamps (written as their date), all-null. */
static int supported(const struct ArrowSchema *s) {
    const char *f = s->format ? s->format : "";
    if (s->dictionary) return is_int_fmt(f) && s->dictionary->format && is_str_fmt(s->dictionary->format);
    return is_str_fmt(f) || is_int_fmt(f) || !strcmp(f, "n") || !strcmp(f, "f") || !strcmp(f, "g") ||
           !strcmp(f, "b") || !strcmp(f, "tdD") || !strcmp(f, "tdm") || !strncmp(f, "ts", 2);
}

/* The bytes of string element i of array a (format f); *ok = 0 when the
 * layout is inconsistent. NULL for a null. */
static const char *str_at(const char *f, const struct ArrowArray *a, int64_t i, size_t *n, int *ok) {
    int64_t j = a->offset + i;
    if (a->null_count && !bit(a->buffers[0], j)) return NULL;
    if (f[0] == 'v') {
        const uint8_t *v = (const uint8_t *)a->buffers[1] + 16 * j;
        int32_t len, bi, bo;
        memcpy(&len, v, 4);
        if (len < 0) return *ok = 0, NULL;
        *n = (size_t)len;
        if (len <= 12) return (const char *)v + 4;
        memcpy(&bi, v + 8, 4);
        memcpy(&bo, v + 12, 4);
        if (bi < 0 || bi >= a->n_buffers - 3 || bo < 0 || !a->buffers[2 + bi]) return *ok = 0, NULL;
        return (const char *)a->buffers[2 + bi] + bo;
    }
    int64_t lo, hi;
    if (f[0] == 'U') lo = ((const int64_t *)a->buffers[1])[j], hi = ((const int64_t *)a->buffers[1])[j + 1];
    else lo = ((const int32_t *)a->buffers[1])[j], hi = ((const int32_t *)a->buffers[1])[j + 1];
    if (lo < 0 || hi < lo) return *ok = 0, NULL;
    *n = (size_t)(hi - lo);
    return (const char *)(a->buffers[2] ? a->buffers[2] : "") + lo;
}

/* A text value as a CSV field: quoted when it holds a delimiter or quote;
 * line breaks become spaces (the engine's reader takes one row per line,
 * and a record's line break carries no identity). */
static int put_text(nm_buf *b, const char *p, size_t n) {
    int quote = 0, brk = 0;
    for (size_t i = 0; i < n; i++) {
        char c = p[i];
        if (c == ',' || c == '"') quote = 1;
        else if (c == '\n' || c == '\r') brk = 1;
    }
    if (!quote && !brk) return nm_buf_append(b, p, n);
    if (nm_buf_reserve(b, 2 * n + 2)) return NM_E_NOMEM;
    char *d = b->data + b->len;
    if (quote) *d++ = '"';
    for (size_t i = 0; i < n; i++) {
        char c = p[i];
        if (c == '"') *d++ = '"';
        *d++ = (c == '\n' || c == '\r') ? ' ' : c;
    }
    if (quote) *d++ = '"';
    b->len = (size_t)(d - b->data);
    return 0;
}

static int put_date(nm_buf *b, int64_t days) {
    time_t t = (time_t)days * 86400;
    struct tm tm;
    if (!gmtime_r(&t, &tm)) return 0;
    return nm_buf_printf(b, "%04d-%02d-%02d", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
}

/* Row i of column c (as a CSV field when csv, else its raw text); 0,
 * NM_E_NOMEM, or 1 for a malformed array. */
static int put_value(nm_buf *b, const tcol *c, int64_t i, int csv) {
    const struct ArrowArray *a = c->ia;
    int64_t j = a->offset + i;
    if (!strcmp(c->fmt, "n") && !c->idx) return 0;
    if (a->null_count && a->n_buffers > 0 && !bit(a->buffers[0], j)) return 0;
    int ok = 1;
    size_t n = 0;
    const char *p;
    if (c->idx) {
        int64_t k = nmpy_read_int(a->buffers[1], c->idx, j);
        if (k < 0 || k >= c->a->length) return 1;
        p = str_at(c->fmt, c->a, k, &n, &ok);
        return !ok ? 1 : !p ? 0 : csv ? put_text(b, p, n) : nm_buf_append(b, p, n);
    }
    const char *f = c->fmt;
    if (is_str_fmt(f)) {
        p = str_at(f, a, i, &n, &ok);
        return !ok ? 1 : !p ? 0 : csv ? put_text(b, p, n) : nm_buf_append(b, p, n);
    }
    if (is_int_fmt(f)) {
        if (f[0] == 'L') return nm_buf_printf(b, "%llu", (unsigned long long)((const uint64_t *)a->buffers[1])[j]);
        return nm_buf_printf(b, "%lld", (long long)nmpy_read_int(a->buffers[1], f[0], j));
    }
    if (f[0] == 'f' || f[0] == 'g') {
        double v = f[0] == 'f' ? ((const float *)a->buffers[1])[j] : ((const double *)a->buffers[1])[j];
        if (isnan(v)) return 0;   /* pandas' missing value */
        /* Identifiers read by pandas as floats (a column with gaps): 1234567893.0 is the NPI 1234567893. */
        if (v == floor(v) && fabs(v) < 9007199254740992.0) return nm_buf_printf(b, "%.0f", v);
        return nm_buf_printf(b, "%.17g", v);
    }
    if (f[0] == 'b') return nm_buf_append(b, bit(a->buffers[1], j) ? "true" : "false", bit(a->buffers[1], j) ? 4 : 5);
    if (!strcmp(f, "tdD")) return put_date(b, ((const int32_t *)a->buffers[1])[j]);
    if (!strcmp(f, "tdm")) return put_date(b, ((const int64_t *)a->buffers[1])[j] / 86400000);
    if (!strncmp(f, "ts", 2)) {
        static const int64_t per_day[] = {86400LL, 86400000LL, 86400000000LL, 86400000000000LL};
        int unit = f[2] == 's' ? 0 : f[2] == 'm' ? 1 : f[2] == 'u' ? 2 : 3;
        int64_t v = ((const int64_t *)a->buffers[1])[j], d = per_day[unit];
        return put_date(b, v >= 0 ? v / d : -((-v + d - 1) / d));
    }
    return 1;
}

typedef struct batch {
    struct ArrowArray a;
} batch;

/* A table moved out of its Arrow stream capsule: schema, batches, names. */
typedef struct taken {
    struct ArrowSchema sch;
    batch *bs;
    size_t nb;
    int64_t nc;
    PyObject *names;    /* tuple of column names */
} taken;

static void taken_free(taken *t) {
    for (size_t i = 0; i < t->nb; i++)
        if (t->bs[i].a.release) t->bs[i].a.release(&t->bs[i].a);
    free(t->bs);
    t->bs = NULL;
    t->nb = 0;
    if (t->sch.release) t->sch.release(&t->sch);
    t->sch.release = NULL;
    Py_CLEAR(t->names);
}

/* Take every batch of `obj`'s __arrow_c_stream__ (a struct stream) and
 * check the schema; 0, or -1 with a Python error (t freed). */
static int take_stream(PyObject *obj, const char *what, taken *t) {
    memset(t, 0, sizeof *t);
    PyObject *cap = PyObject_CallMethod(obj, "__arrow_c_stream__", NULL);
    if (!cap) return -1;
    struct ArrowArrayStream *src = PyCapsule_GetPointer(cap, "arrow_array_stream");
    if (!src || !src->release) {
        Py_DECREF(cap);
        if (!PyErr_Occurred()) PyErr_Format(PyExc_ValueError, "%s: Arrow stream capsule was already consumed", what);
        return -1;
    }
    struct ArrowArrayStream st = *src;
    src->release = NULL;
    Py_DECREF(cap);
    int rc = st.get_schema(&st, &t->sch);
    if (rc) {
        const char *m = st.get_last_error ? st.get_last_error(&st) : NULL;
        PyErr_Format(PyExc_ValueError, "%s: Arrow stream failed: %s", what, m ? m : strerror(rc));
        t->sch.release = NULL;
        goto fail;
    }
    if (!t->sch.format || strcmp(t->sch.format, "+s")) {
        PyErr_Format(PyExc_TypeError, "%s: expected a table (Arrow struct stream), got Arrow format '%s'", what,
                     t->sch.format ? t->sch.format : "?");
        goto fail;
    }
    int64_t nc = t->nc = t->sch.n_children;
    if (nc <= 0) {
        PyErr_Format(PyExc_ValueError, "%s: the table has no columns", what);
        goto fail;
    }
    t->names = PyTuple_New((Py_ssize_t)nc);
    if (!t->names) goto fail;
    for (int64_t k = 0; k < nc; k++) {
        const struct ArrowSchema *cs = t->sch.children[k];
        const char *nm = cs->name ? cs->name : "";
        PyObject *s = PyUnicode_FromString(nm);
        if (!s) goto fail;
        PyTuple_SetItem(t->names, (Py_ssize_t)k, s);
        if (!supported(cs)) {
            PyErr_Format(PyExc_TypeError,
                         "%s: column '%s' has an unsupported type (Arrow format '%s'): use strings, numbers, "
                         "booleans or dates",
                         what, nm, cs->format ? cs->format : "?");
            goto fail;
        }
        if (!nm[0] || strchr(nm, ',') || strchr(nm, '"') || strchr(nm, '\n')) {
            PyErr_Format(PyExc_ValueError, "%s: column %lld has an empty name or one with a comma, quote or line break",
                         what, (long long)k + 1);
            goto fail;
        }
    }
    for (;;) {
        struct ArrowArray a;
        memset(&a, 0, sizeof a);
        if ((rc = st.get_next(&st, &a)) != 0) {
            const char *m = st.get_last_error ? st.get_last_error(&st) : NULL;
            PyErr_Format(PyExc_ValueError, "%s: Arrow stream failed: %s", what, m ? m : strerror(rc));
            goto fail;
        }
        if (!a.release) break;
        batch *nbs = realloc(t->bs, (t->nb + 1) * sizeof *t->bs);
        if (!nbs) {
            a.release(&a);
            PyErr_NoMemory();
            goto fail;
        }
        t->bs = nbs;
        t->bs[t->nb++].a = a;
        if (a.n_children != nc || a.length < 0) {
            PyErr_Format(PyExc_ValueError, "%s: malformed Arrow batch", what);
            goto fail;
        }
    }
    st.release(&st);
    return 0;
fail:
    st.release(&st);
    taken_free(t);
    return -1;
}

/* The columns of batch ba as tcols; 0, or 1 for a malformed batch. */
static int batch_cols(const taken *t, const struct ArrowArray *ba, tcol *cols) {
    for (int64_t k = 0; k < t->nc; k++) {
        const struct ArrowSchema *cs = t->sch.children[k];
        const struct ArrowArray *ca = ba->children[k];
        if (!ca || ca->length < ba->offset + ba->length || ca->offset < 0 || (cs->dictionary && !ca->dictionary) ||
            (strcmp(cs->format, "n") && ca->n_buffers < 2) ||
            (ca->length && ca->n_buffers >= 2 && !ca->buffers[1] && strcmp(cs->format, "n")))
            return 1;
        /* A struct child's rows are offset by the parent's offset. */
        cols[k].ia = ca;
        if (cs->dictionary) cols[k].idx = cs->format[0], cols[k].fmt = cs->dictionary->format, cols[k].a = ca->dictionary;
        else cols[k].idx = 0, cols[k].fmt = cs->format, cols[k].a = ca;
    }
    return 0;
}

/* _table_csv(stream_obj, what) -> _CsvData
 * `stream_obj` has __arrow_c_stream__ yielding a struct (table) stream. */
static PyObject *py_table_csv(PyObject *self, PyObject *args) {
    PyObject *obj;
    const char *what;
    if (!PyArg_ParseTuple(args, "Os", &obj, &what)) return NULL;
    taken tk;
    if (take_stream(obj, what, &tk) < 0) return NULL;
    CsvDataObject *res = PyObject_New(CsvDataObject, CsvDataType);
    if (!res) goto done;
    memset(&res->b, 0, sizeof res->b);
    res->rows = 0;
    res->columns = Py_NewRef(tk.names);
    int bad = 0, nomem = 0;
    int64_t rows = 0, nc = tk.nc;
    Py_BEGIN_ALLOW_THREADS
    nm_buf *b = &res->b;
    for (int64_t k = 0; k < nc && !nomem; k++)
        nomem = (k && nm_buf_putc(b, ',')) || put_text(b, tk.sch.children[k]->name, strlen(tk.sch.children[k]->name));
    nomem = nomem || nm_buf_putc(b, '\n');
    tcol *cols = calloc((size_t)nc, sizeof *cols);
    nomem = nomem || !cols;
    for (size_t bi = 0; bi < tk.nb && !nomem && !bad; bi++) {
        const struct ArrowArray *ba = &tk.bs[bi].a;
        int64_t n = ba->length;
        if ((bad = batch_cols(&tk, ba, cols))) break;
        for (int64_t i = 0; i < n && !nomem && !bad; i++) {
            int64_t r = ba->offset + i;
            for (int64_t k = 0; k < nc; k++) {
                int x = k && nm_buf_putc(b, ',') ? NM_E_NOMEM : put_value(b, &cols[k], r, 1);
                if (x == 1) bad = 1;
                else if (x) nomem = 1;
                if (x) break;
            }
            if (!nomem && !bad && nm_buf_putc(b, '\n')) nomem = 1;
        }
        rows += n;
    }
    free(cols);
    Py_END_ALLOW_THREADS
    res->rows = (Py_ssize_t)rows;
    if (nomem || bad) {
        Py_CLEAR(res);
        if (nomem) PyErr_NoMemory();
        else PyErr_Format(PyExc_ValueError, "%s: malformed Arrow array (offsets or dictionary indices out of range)", what);
    }
done:
    taken_free(&tk);
    return (PyObject *)res;
}

/* ---------------- _ColData: a table's columns read in place ---------------- */

/* The table stays in its Arrow buffers: plain string columns ("u", "U",
 * "vu") are handed to the engine as views (nm_input_read_columns), no byte
 * copied; only columns of other types (numbers, booleans, dates,
 * dictionaries) are rendered to text, as the CSV path writes them. */
typedef struct {
    PyObject_HEAD
    taken tk;
    nm_strcol *views;        /* nb x nc */
    nm_colbatch *batches;    /* nb */
    const char **colname;    /* nc, into the schema */
    nm_buf *text;            /* nb x nc: rendered columns' bytes */
    int64_t **toff;          /* nb x nc: their offsets (NULL for views) */
    const char ***vbuf;      /* nb x nc: string-view data buffers */
    nm_columns t;
    Py_ssize_t rows;
    char name[64];           /* names the table in messages */
} ColDataObject;

static PyTypeObject *ColDataType;

static void coldata_clear(ColDataObject *o) {
    size_t n = o->tk.nb * (size_t)o->tk.nc;
    for (size_t i = 0; i < n; i++) {
        if (o->text) nm_buf_free(&o->text[i]);
        if (o->toff) free(o->toff[i]);
        if (o->vbuf) free(o->vbuf[i]);
    }
    free(o->text), free(o->toff), free(o->vbuf), free(o->views), free(o->batches), free(o->colname);
    o->text = NULL, o->toff = NULL, o->vbuf = NULL, o->views = NULL, o->batches = NULL, o->colname = NULL;
    taken_free(&o->tk);
}

static void coldata_dealloc(PyObject *self) {
    PyTypeObject *tp = Py_TYPE(self);
    coldata_clear((ColDataObject *)self);
    PyObject_Free(self);
    Py_DECREF(tp);
}

static Py_ssize_t coldata_len(PyObject *self) { return ((ColDataObject *)self)->rows; }

static PyObject *coldata_columns(PyObject *self, void *unused) {
    return Py_NewRef(((ColDataObject *)self)->tk.names);
}

/* Column c of a batch as an engine view; 0, NM_E_NOMEM, or 1 (malformed). */
static int col_view(ColDataObject *o, size_t at, const tcol *c, int64_t off, int64_t n) {
    nm_strcol *v = &o->views[at];
    const struct ArrowArray *a = c->ia;
    memset(v, 0, sizeof *v);
    if (!c->idx && !strcmp(c->fmt, "n")) return v->kind = NM_STRCOL_NULL, 0;
    if (!c->idx && is_str_fmt(c->fmt)) {
        v->offset = a->offset + off;
        v->valid = a->null_count && a->n_buffers > 0 ? a->buffers[0] : NULL;
        v->off = a->buffers[1];
        if (c->fmt[0] == 'v') {
            /* string views: buffers 2 .. n_buffers - 2 hold the data (the last the sizes) */
            int64_t nv = a->n_buffers - 3;
            if (nv < 0) return 1;
            const char **vb = malloc((size_t)(nv ? nv : 1) * sizeof *vb);
            if (!vb) return NM_E_NOMEM;
            for (int64_t i = 0; i < nv; i++) vb[i] = a->buffers[2 + i];
            o->vbuf[at] = vb;
            v->kind = NM_STRCOL_VIEW, v->vbuf = vb, v->nvbuf = nv;
            return 0;
        }
        v->kind = c->fmt[0] == 'U' ? NM_STRCOL_I64 : NM_STRCOL_I32;
        v->data = a->buffers[2] ? a->buffers[2] : "";
        return 0;
    }
    int64_t *offs = malloc((size_t)(n + 1) * sizeof *offs);
    if (!offs) return NM_E_NOMEM;
    o->toff[at] = offs;
    nm_buf *b = &o->text[at];
    offs[0] = 0;
    for (int64_t i = 0; i < n; i++) {
        int x = put_value(b, c, off + i, 0);
        if (x) return x;
        offs[i + 1] = (int64_t)b->len;
    }
    v->kind = NM_STRCOL_I64, v->off = offs, v->data = b->data ? b->data : "";
    return 0;
}

/* _table_columns(stream_obj, what) -> _ColData */
static PyObject *py_table_columns(PyObject *self, PyObject *args) {
    PyObject *obj;
    const char *what;
    if (!PyArg_ParseTuple(args, "Os", &obj, &what)) return NULL;
    ColDataObject *o = PyObject_New(ColDataObject, ColDataType);
    if (!o) return NULL;
    o->views = NULL, o->batches = NULL, o->colname = NULL, o->text = NULL, o->toff = NULL, o->vbuf = NULL;
    o->rows = 0;
    if (take_stream(obj, what, &o->tk) < 0) {
        memset(&o->tk, 0, sizeof o->tk);
        Py_DECREF(o);
        return NULL;
    }
    size_t nb = o->tk.nb, nc = (size_t)o->tk.nc, n = nb * nc;
    o->views = calloc(n ? n : 1, sizeof *o->views);
    o->batches = calloc(nb ? nb : 1, sizeof *o->batches);
    o->colname = calloc(nc, sizeof *o->colname);
    o->text = calloc(n ? n : 1, sizeof *o->text);
    o->toff = calloc(n ? n : 1, sizeof *o->toff);
    o->vbuf = calloc(n ? n : 1, sizeof *o->vbuf);
    tcol *cols = calloc(nc, sizeof *cols);
    if (!o->views || !o->batches || !o->colname || !o->text || !o->toff || !o->vbuf || !cols) {
        free(cols);
        Py_DECREF(o);
        return PyErr_NoMemory();
    }
    for (size_t k = 0; k < nc; k++) o->colname[k] = o->tk.sch.children[k]->name;
    int x = 0;
    int64_t rows = 0;
    Py_BEGIN_ALLOW_THREADS
    for (size_t bi = 0; bi < nb && !x; bi++) {
        const struct ArrowArray *ba = &o->tk.bs[bi].a;
        if ((x = batch_cols(&o->tk, ba, cols))) break;
        for (size_t k = 0; k < nc && !x; k++) x = col_view(o, bi * nc + k, &cols[k], ba->offset, ba->length);
        o->batches[bi] = (nm_colbatch){ba->length, o->views + bi * nc};
        rows += ba->length;
    }
    Py_END_ALLOW_THREADS
    free(cols);
    if (x) {
        Py_DECREF(o);
        if (x == 1) return PyErr_Format(PyExc_ValueError, "%s: malformed Arrow array (offsets or dictionary indices out of range)", what);
        return PyErr_NoMemory();
    }
    o->rows = (Py_ssize_t)rows;
    snprintf(o->name, sizeof o->name, "%s", what);
    o->t = (nm_columns){o->name, o->colname, (uint32_t)nc, o->batches, nb};
    return (PyObject *)o;
}

const nm_columns *nmpy_coldata(PyObject *obj) {
    if (!obj || !PyObject_TypeCheck(obj, ColDataType)) return NULL;
    return &((ColDataObject *)obj)->t;
}

/* _csv_file(path) -> _CsvData: a CSV file (plain or .zst) read whole, for
 * the calls whose engine entry takes bytes (resolve, link, dedupe, train). */
static PyObject *py_csv_file(PyObject *self, PyObject *arg) {
    PyObject *keep = NULL;
    const char *path = nmpy_fs_path(arg, &keep);
    if (!path) return NULL;
    char *data = NULL;
    size_t len = 0;
    nm_err err;
    nm_err_clear(&err);
    int rc;
    Py_BEGIN_ALLOW_THREADS
    rc = nm_read_all(path, &data, &len, &err);
    Py_END_ALLOW_THREADS
    Py_DECREF(keep);
    if (rc) return nmpy_raise(rc, &err);
    CsvDataObject *res = PyObject_New(CsvDataObject, CsvDataType);
    if (!res) {
        free(data);
        return NULL;
    }
    res->b.data = data, res->b.len = len, res->b.cap = len + 1;
    res->rows = 0;
    for (size_t i = 0; i < len; i++) res->rows += data[i] == '\n';
    res->rows -= res->rows > 0;   /* the header */
    res->columns = PyTuple_New(0);
    if (!res->columns) Py_CLEAR(res);
    return (PyObject *)res;
}

/* ---------------- engine CSV out -> Columns ---------------- */

/* The engine's output is scanned in parallel (nm_csv_scan): each chunk
 * fills its own builders, appended in chunk order after each block, so the
 * columns do not depend on the thread count. */
typedef struct rctx {
    uint32_t nc;
    const uint8_t *isf;          /* per column: float64 */
    nmpy_builder *out;           /* nc final builders */
    nmpy_builder *part;          /* nchunks x nc */
    char **tmp;                  /* per chunk: unescape buffer */
} rctx;

#define TMP_CAP (1 << 16)

static int r_begin(void *u, int c) {
    rctx *x = u;
    for (uint32_t k = 0; k < x->nc; k++) nmpy_builder_reset(&x->part[(size_t)c * x->nc + k]);
    return 0;
}

static int r_row(void *u, int c, const nm_csv_row *row) {
    rctx *x = u;
    nmpy_builder *bl = &x->part[(size_t)c * x->nc];
    for (uint32_t k = 0; k < x->nc; k++) {
        int bad;
        if (k >= row->nfields || !row->f[k].len) {
            bad = nmpy_put_null(&bl[k]);
        } else {
            const char *p = row->f[k].p;
            size_t n = row->f[k].len;
            if (row->f[k].flags & NM_CSV_ESCAPED) {
                n = nm_csv_unescape(&row->f[k], x->tmp[c], TMP_CAP);
                p = x->tmp[c];
            }
            if (x->isf[k]) {
                char num[64];
                size_t m = n < 63 ? n : 63;
                memcpy(num, p, m);
                num[m] = 0;
                bad = nmpy_put_f64(&bl[k], strtod(num, NULL));
            } else {
                bad = nmpy_put_str(&bl[k], p, n);
            }
        }
        if (bad) return NM_E_NOMEM;
    }
    return 0;
}

static int r_end(void *u, int nchunks) {
    rctx *x = u;
    for (int c = 0; c < nchunks; c++)
        for (uint32_t k = 0; k < x->nc; k++)
            if (nmpy_builder_append(&x->out[k], &x->part[(size_t)c * x->nc + k])) return NM_E_NOMEM;
    return 0;
}

/* A plain output file is read in blocks of whole lines (the engine writes
 * one row per line), each parsed in parallel behind a copy of the header:
 * mapping the whole file would hold all its pages in the process's memory
 * next to the columns built from it (the peak of a Python match). Other
 * files (.zst) are opened whole by the CSV reader. */
#define READ_BLOCK ((size_t)16 << 20)

typedef struct blocks {
    FILE *f;
    char *buf;
    size_t hlen, carry, cap;     /* header bytes, bytes after the last full line of the previous block */
    size_t cut;                  /* end of the open block */
    int eof;
} blocks;

/* Open the next block (header + whole lines) as a CSV; 1 opened, 0 at the end, < 0 error. */
static int next_block(blocks *bk, const char *path, const nm_csv_opts *co, nm_csv **csv, nm_err *err) {
    *csv = NULL;
    if (bk->eof && !bk->carry) return 0;
    for (;;) {
        size_t have = bk->hlen + bk->carry;
        if (!bk->eof) {
            if (bk->cap - have < READ_BLOCK / 2) {
                char *nb = realloc(bk->buf, bk->cap * 2);
                if (!nb) return nm_err_set(err, NM_E_NOMEM, "%s: out of memory", path);
                bk->buf = nb, bk->cap *= 2;
            }
            size_t got = fread(bk->buf + have, 1, bk->cap - have, bk->f);
            if (got < bk->cap - have) {
                if (ferror(bk->f)) return nm_err_set(err, NM_E_IO, "%s: read error", path);
                bk->eof = 1;
            }
            have += got;
        }
        size_t cut = have;
        if (!bk->eof) {
            while (cut > bk->hlen && bk->buf[cut - 1] != '\n') cut--;
            if (cut == bk->hlen) {   /* a line longer than the buffer: read more */
                bk->carry = have - bk->hlen;
                continue;
            }
        }
        if (cut == bk->hlen) return 0;
        int rc = nm_csv_open_memory(bk->buf, cut, path, co, csv, err);
        /* the caller scans, then next_block moves the rest behind the header */
        bk->carry = have - cut;
        bk->cut = cut;
        return rc ? rc : 1;
    }
}

static void block_done(blocks *bk, nm_csv *csv) {
    /* keep the unparsed tail right after the header */
    nm_csv_close(csv);
    memmove(bk->buf + bk->hlen, bk->buf + bk->cut, bk->carry);
}

/* _read_csv_columns(path, float_columns: tuple[str], large=False) -> list[(name, Column)]
 * large: text columns as large_string (for pandas). */
static PyObject *py_read_csv_columns(PyObject *self, PyObject *args) {
    PyObject *opath, *ofl;
    int large = 0;
    if (!PyArg_ParseTuple(args, "UO!|p", &opath, &PyTuple_Type, &ofl, &large)) return NULL;
    PyObject *kp = PyUnicode_EncodeFSDefault(opath);
    if (!kp) return NULL;
    nm_csv *csv = NULL;
    nm_err err;
    nm_err_clear(&err);
    nm_csv_opts co = {.threads = 0};
    int rc, nw = omp_get_max_threads();
    const char *path = PyBytes_AsString(kp);
    size_t pl = strlen(path);
    blocks bk = {NULL, NULL, 0, 0, 0, 0, 0};
    int whole = pl >= 4 && !strcmp(path + pl - 4, ".zst");
    Py_BEGIN_ALLOW_THREADS
    if (whole) {
        rc = nm_csv_open(path, &co, &csv, &err);
    } else if (!(bk.f = fopen(path, "rb"))) {
        rc = nm_err_set(&err, NM_E_IO, "%s: cannot open", path);
    } else if (!(bk.buf = malloc(bk.cap = READ_BLOCK))) {
        rc = nm_err_set(&err, NM_E_NOMEM, "%s: out of memory", path);
    } else {
        /* the header line, kept at the front of every block */
        int ch;
        rc = 0;
        while ((ch = getc(bk.f)) != EOF && bk.hlen < bk.cap - 1) {
            bk.buf[bk.hlen++] = (char)ch;
            if (ch == '\n') break;
        }
        if (ch != '\n') bk.buf[bk.hlen++] = '\n', bk.eof = ch == EOF;
        rc = next_block(&bk, path, &co, &csv, &err);
        if (rc == 0) rc = nm_csv_open_memory(bk.buf, bk.hlen, path, &co, &csv, &err);   /* no rows */
        else if (rc == 1) rc = 0;
    }
    Py_END_ALLOW_THREADS
    Py_DECREF(kp);
    if (rc) {
        if (bk.f) fclose(bk.f);
        free(bk.buf);
        return nmpy_raise(rc, &err);
    }
    uint32_t nc = nm_csv_ncols(csv);
    size_t nparts = (size_t)nw * (nc ? nc : 1);
    rctx x = {nc, calloc(nc ? nc : 1, 1), calloc(nc ? nc : 1, sizeof(nmpy_builder)), calloc(nparts, sizeof(nmpy_builder)),
              calloc((size_t)nw, sizeof(char *))};
    uint8_t *isf = (uint8_t *)x.isf;
    PyObject *res = NULL;
    int ok = isf && x.out && x.part && x.tmp;
    for (int c = 0; ok && c < nw; c++) ok = (x.tmp[c] = malloc(TMP_CAP)) != NULL;
    for (uint32_t k = 0; ok && k < nc; k++) {
        for (Py_ssize_t i = 0; i < PyTuple_Size(ofl); i++) {
            const char *fn = PyUnicode_AsUTF8AndSize(PyTuple_GetItem(ofl, i), NULL);
            if (!fn) goto out;
            if (!strcmp(fn, nm_csv_colname(csv, k))) isf[k] = 1;
        }
        nmpy_kind kind = isf[k] ? NMPY_F64 : NMPY_UTF8;
        ok = nmpy_builder_init(&x.out[k], kind, 1024) == 0;
        for (int c = 0; ok && c < nw; c++) ok = nmpy_builder_init(&x.part[(size_t)c * nc + k], kind, 1024) == 0;
    }
    if (!ok) {
        PyErr_NoMemory();
        goto out;
    }
    /* the names outlive the blocks */
    PyObject *names = PyList_New(nc);
    for (uint32_t k = 0; names && k < nc; k++) {
        PyObject *nm = PyUnicode_FromString(nm_csv_colname(csv, k));
        if (!nm) Py_CLEAR(names);
        else PyList_SetItem(names, k, nm);
    }
    if (!names) goto out;
    Py_BEGIN_ALLOW_THREADS
    nm_csv_consumer cons = {&x, r_begin, r_row, r_end, nw, 0, NULL};
    for (;;) {
        rc = nm_csv_scan(csv, &cons, &err);
        if (rc || whole) break;
        block_done(&bk, csv);
        csv = NULL;
        if ((rc = next_block(&bk, path, &co, &csv, &err)) != 1) break;
        if (nm_csv_ncols(csv) != nc) {
            rc = nm_err_set(&err, NM_E_FORMAT, "%s: the header changed between blocks", path);
            break;
        }
    }
    Py_END_ALLOW_THREADS
    if (rc) {
        Py_DECREF(names);
        nmpy_raise(rc > 0 ? NM_E_NOMEM : rc, &err);
        goto out;
    }
    res = PyList_New(nc);
    for (uint32_t k = 0; res && k < nc; k++) {
        PyObject *col = large ? nmpy_finish_large(&x.out[k]) : nmpy_finish(&x.out[k]);
        PyObject *t = col ? Py_BuildValue("(ON)", PyList_GetItem(names, k), col) : NULL;
        if (!t) {
            Py_CLEAR(res);
            break;
        }
        PyList_SetItem(res, k, t);
    }
    Py_DECREF(names);
out:
    for (uint32_t k = 0; x.out && k < nc; k++) nmpy_builder_free(&x.out[k]);
    for (size_t i = 0; x.part && i < nparts; i++) nmpy_builder_free(&x.part[i]);
    for (int c = 0; x.tmp && c < nw; c++) free(x.tmp[c]);
    free(x.tmp);
    free(x.part);
    free(x.out);
    free(isf);
    nm_csv_close(csv);
    if (bk.f) fclose(bk.f);
    free(bk.buf);
    return res;
}

/* ---------------- _Progress ---------------- */

typedef struct {
    PyObject_HEAD
    nmpy_progress pg;
} ProgressObject;

static PyTypeObject *ProgressType;

static void progress_fn(void *ctx, uint64_t done, uint64_t total) {
    nmpy_progress *p = ctx;
    p->total = total;
    p->done = done;
}

static PyObject *progress_new(PyTypeObject *tp, PyObject *args, PyObject *kw) {
    ProgressObject *o = (ProgressObject *)PyType_GenericAlloc(tp, 0);
    if (!o) return NULL;
    o->pg.done = o->pg.total = 0;
    o->pg.flag = 0;
    o->pg.hook.fn = progress_fn;
    o->pg.hook.ctx = &o->pg;
    o->pg.hook.cancel = &o->pg.flag;
    return (PyObject *)o;
}

static void progress_dealloc(PyObject *self) {
    PyTypeObject *tp = Py_TYPE(self);
    PyObject_Free(self);
    Py_DECREF(tp);
}

static PyObject *progress_state(PyObject *self, PyObject *unused) {
    ProgressObject *o = (ProgressObject *)self;
    return Py_BuildValue("(KK)", (unsigned long long)o->pg.done, (unsigned long long)o->pg.total);
}

static PyObject *progress_cancel(PyObject *self, PyObject *unused) {
    ((ProgressObject *)self)->pg.flag = 1;
    Py_RETURN_NONE;
}

static PyObject *progress_cancelled(PyObject *self, void *unused) {
    return PyBool_FromLong(((ProgressObject *)self)->pg.flag != 0);
}

nmpy_progress *nmpy_progress_of(PyObject *obj) {
    if (!obj || obj == Py_None) return NULL;
    if (!PyObject_TypeCheck(obj, ProgressType)) return NULL;
    return &((ProgressObject *)obj)->pg;
}

static PyMethodDef progress_methods[] = {
    {"state", progress_state, METH_NOARGS, "(done, total) as last reported by the engine (total 0: unknown)"},
    {"cancel", progress_cancel, METH_NOARGS, "Ask the running engine call to stop at its next chunk."},
    {NULL, NULL, 0, NULL}};
static PyGetSetDef progress_getset[] = {
    {"cancelled", progress_cancelled, NULL, "True after cancel()", NULL}, {NULL, NULL, NULL, NULL, NULL}};
static PyType_Slot progress_slots[] = {
    {Py_tp_new, progress_new},
    {Py_tp_dealloc, progress_dealloc},
    {Py_tp_methods, progress_methods},
    {Py_tp_getset, progress_getset},
    {Py_tp_doc, (void *)"Progress and cancel flag of one engine call (npimatch/progress.h)."},
    {0, NULL}};
static PyType_Spec progress_spec = {
    .name = "npimatch._npimatch._Progress",
    .basicsize = sizeof(ProgressObject),
    .flags = Py_TPFLAGS_DEFAULT,
    .slots = progress_slots,
};

static PyGetSetDef csvdata_getset[] = {{"nbytes", csvdata_nbytes, NULL, "bytes of CSV", NULL},
                                       {"columns", csvdata_columns, NULL, "column names", NULL},
                                       {NULL, NULL, NULL, NULL, NULL}};
static PyMethodDef csvdata_methods[] = {
    {"tobytes", csvdata_bytes, METH_NOARGS, "The CSV bytes (a copy; for tests)."}, {NULL, NULL, 0, NULL}};
static PyType_Slot csvdata_slots[] = {{Py_tp_dealloc, csvdata_dealloc},
                                      {Py_sq_length, csvdata_len},
                                      {Py_tp_getset, csvdata_getset},
                                      {Py_tp_methods, csvdata_methods},
                                      {Py_tp_doc, (void *)"A table rendered as CSV bytes for the engine."},
                                      {0, NULL}};
static PyType_Spec csvdata_spec = {
    .name = "npimatch._npimatch._CsvData",
    .basicsize = sizeof(CsvDataObject),
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_DISALLOW_INSTANTIATION,
    .slots = csvdata_slots,
};

static PyGetSetDef coldata_getset[] = {{"columns", coldata_columns, NULL, "column names", NULL},
                                       {NULL, NULL, NULL, NULL, NULL}};
static PyType_Slot coldata_slots[] = {{Py_tp_dealloc, coldata_dealloc},
                                      {Py_sq_length, coldata_len},
                                      {Py_tp_getset, coldata_getset},
                                      {Py_tp_doc, (void *)"A table's columns held for the engine to read in place."},
                                      {0, NULL}};
static PyType_Spec coldata_spec = {
    .name = "npimatch._npimatch._ColData",
    .basicsize = sizeof(ColDataObject),
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_DISALLOW_INSTANTIATION,
    .slots = coldata_slots,
};

int nmpy_table_init_types(PyObject *module) {
    CsvDataType = (PyTypeObject *)PyType_FromSpec(&csvdata_spec);
    ColDataType = (PyTypeObject *)PyType_FromSpec(&coldata_spec);
    ProgressType = (PyTypeObject *)PyType_FromSpec(&progress_spec);
    if (!CsvDataType || !ColDataType || !ProgressType) return -1;
    Py_INCREF((PyObject *)CsvDataType);
    Py_INCREF((PyObject *)ColDataType);
    Py_INCREF((PyObject *)ProgressType);
    if (PyModule_AddObject(module, "_CsvData", (PyObject *)CsvDataType) < 0) return -1;
    if (PyModule_AddObject(module, "_ColData", (PyObject *)ColDataType) < 0) return -1;
    return PyModule_AddObject(module, "_Progress", (PyObject *)ProgressType);
}

PyMethodDef nmpy_table_functions[] = {
    {"_table_csv", py_table_csv, METH_VARARGS, "_table_csv(table, what) -> _CsvData"},
    {"_table_columns", py_table_columns, METH_VARARGS, "_table_columns(table, what) -> _ColData"},
    {"_csv_file", py_csv_file, METH_O, "_csv_file(path) -> _CsvData"},
    {"_read_csv_columns", py_read_csv_columns, METH_VARARGS,
     "_read_csv_columns(path, float_columns, large=False) -> [(name, Column)]"},
    {NULL, NULL, 0, NULL}};
