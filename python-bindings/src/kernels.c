/* kernels.c - the vectorised comparators and normalizers.
 *
 * Each Python call converts its arguments to string columns once
 * (strcol.c), runs an engine function per row in chunks without the GIL
 * (nmpy_run) and returns result Columns (column.c). Null in gives null out;
 * an engine result that is empty or invalid (no letters for a phonetic code,
 * a phone that is not 10 digits, an unparseable date) is also null, so
 * "missing" has one representation downstream. */
#include "nmpy.h"
#include <stdlib.h>
#include <string.h>
#include "npimatch/compare.h"
#include "npimatch/normalize.h"

/* ====================== pairwise comparators ====================== */

enum { PAIR_JARO, PAIR_JW, PAIR_LEV, PAIR_OSA, PAIR_N };

typedef struct pair_ctx {
    const nmpy_strcol *a, *b;
    int kind, max;
    nmpy_builder out;
    double *tmp;           /* batch fast path: one chunk of scores */
    nm_jaro_parts *parts;
} pair_ctx;

static int is_null_bit(const uint8_t *bits, int64_t i) {
    return bits && !((bits[i >> 3] >> (i & 7)) & 1);
}

/* A scalar query against a plain Arrow "u" column: the engine's SIMD
 * one-against-many kernel reads the Arrow offsets and bytes directly
 * (npimatch/compare.h: candidates are packed Arrow-style). */
static void pair_chunk_batch(pair_ctx *c, size_t lo, size_t hi, int *nomem) {
    nmpy_str q = c->a->v[0];
    const nmpy_strcol *b = c->b;
    size_t n = hi - lo;
    const uint32_t *off = (const uint32_t *)(b->off32 + lo);
    if (c->kind == PAIR_JW) {
        nm_jw_batch(q.p, q.n, b->data, off, n, c->tmp);
    } else {
        nm_jaro_parts_batch(q.p, q.n, b->data, off, n, c->parts);
        for (size_t i = 0; i < n; i++) c->tmp[i] = nm_jaro_from_parts(&c->parts[i]);
    }
    for (size_t i = 0; i < n; i++) {
        int r = is_null_bit(b->validity, b->voff + (int64_t)(lo + i)) ? nmpy_put_null(&c->out)
                                                                        : nmpy_put_f64(&c->out, c->tmp[i]);
        if (r < 0) {
            *nomem = 1;
            return;
        }
    }
}

static void pair_chunk(void *vctx, size_t lo, size_t hi, int *nomem) {
    pair_ctx *c = vctx;
    if (c->tmp) {
        pair_chunk_batch(c, lo, hi, nomem);
        return;
    }
    for (size_t i = lo; i < hi; i++) {
        nmpy_str a = nmpy_at(c->a, i), b = nmpy_at(c->b, i);
        int r;
        if (!a.p || !b.p) {
            r = nmpy_put_null(&c->out);
        } else {
            switch (c->kind) {
            case PAIR_JARO: r = nmpy_put_f64(&c->out, nm_jaro(a.p, a.n, b.p, b.n)); break;
            case PAIR_JW: r = nmpy_put_f64(&c->out, nm_jaro_winkler(a.p, a.n, b.p, b.n)); break;
            case PAIR_LEV: r = nmpy_put_i32(&c->out, nm_levenshtein(a.p, a.n, b.p, b.n, c->max)); break;
            default: r = nmpy_put_i32(&c->out, nm_osa_distance(a.p, a.n, b.p, b.n, c->max)); break;
            }
        }
        if (r < 0) {
            *nomem = 1;
            return;
        }
    }
}

/* _pair(kind, a, b, max=-1) -> Column */
static PyObject *py_pair(PyObject *self, PyObject *args) {
    int kind, max = -1;
    PyObject *oa, *ob;
    if (!PyArg_ParseTuple(args, "iOO|i", &kind, &oa, &ob, &max)) return NULL;
    if (kind < 0 || kind >= PAIR_N) {
        PyErr_SetString(PyExc_ValueError, "unknown comparator");
        return NULL;
    }
    pair_ctx c;
    memset(&c, 0, sizeof c);
    nmpy_strcol a, b;
    if (nmpy_strcol_from(oa, "a", &a) < 0) return NULL;
    if (nmpy_strcol_from(ob, "b", &b) < 0) {
        nmpy_strcol_free(&a);
        return NULL;
    }
    PyObject *res = NULL;
    size_t n;
    int all_scalar;
    nmpy_strcol *cols[2] = {&a, &b};
    const char *names[2] = {"a", "b"};
    if (nmpy_common_len(cols, names, 2, &n, &all_scalar) < 0) goto done;
    c.a = &a;
    c.b = &b;
    c.kind = kind;
    c.max = max;
    if (nmpy_builder_init(&c.out, kind <= PAIR_JW ? NMPY_F64 : NMPY_I32, n) < 0) {
        PyErr_NoMemory();
        goto done;
    }
    if (kind <= PAIR_JW && a.scalar && a.v[0].p && !b.scalar && b.off32 && n > 0) {
        size_t chunk = n < (1u << 16) ? n : (1u << 16);
        c.tmp = malloc(chunk * sizeof *c.tmp);
        c.parts = kind == PAIR_JARO ? malloc(chunk * sizeof *c.parts) : NULL;
        if (!c.tmp || (kind == PAIR_JARO && !c.parts)) {
            PyErr_NoMemory();
            goto done;
        }
    }
    if (nmpy_run(n, pair_chunk, &c) < 0) goto done;
    res = nmpy_finish(&c.out);
done:
    nmpy_builder_free(&c.out);
    free(c.tmp);
    free(c.parts);
    nmpy_strcol_free(&a);
    nmpy_strcol_free(&b);
    return res;
}

/* ====================== row-wise normalizers ====================== */

#define MAXIN 5
#define MAXOUT 6

typedef struct rowout {
    const char *p[MAXOUT];
    size_t n[MAXOUT];
    union {
        nm_person_name name;
        nm_address addr;
        char code[2][8];
        char phone[16];
        struct { char zip5[8], plus4[8]; } zip;
    } u;
    char *dyn;          /* scratch for outputs whose size follows the input */
    size_t dyncap;
} rowout;

/* Returns 1 (outputs set), 0 (row is null) or -1 (out of memory). */
typedef int (*row_fn)(const nmpy_str *in, int param, rowout *o);

static int need_dyn(rowout *o, size_t cap) {
    if (cap <= o->dyncap) return 0;
    char *d = realloc(o->dyn, cap);
    if (!d) return -1;
    o->dyn = d;
    o->dyncap = cap;
    return 0;
}

static void set_out(rowout *o, int k, const char *p) {
    o->p[k] = p;
    o->n[k] = strlen(p);
}

static int row_soundex(const nmpy_str *in, int param, rowout *o) {
    o->n[0] = nm_soundex(in[0].p, in[0].n, o->u.code[0]);
    o->p[0] = o->u.code[0];
    return 1;
}

static int row_nysiis(const nmpy_str *in, int max_len, rowout *o) {
    size_t cap = (max_len > 0 ? (size_t)max_len : in[0].n) + 1;
    if (need_dyn(o, cap) < 0) return -1;
    o->n[0] = nm_nysiis(in[0].p, in[0].n, max_len, o->dyn, cap);
    o->p[0] = o->dyn;
    return 1;
}

static int row_dmetaphone(const nmpy_str *in, int param, rowout *o) {
    nm_double_metaphone(in[0].p, in[0].n, o->u.code[0], o->u.code[1]);
    set_out(o, 0, o->u.code[0]);
    set_out(o, 1, o->u.code[1]);
    return 1;
}

static int row_text(const nmpy_str *in, int keep_hyphen, rowout *o) {
    /* Folding never lengthens a UTF-8 string by more than a ligature's
     * expansion; 2n + 16 leaves room and the engine truncates safely anyway. */
    if (need_dyn(o, 2 * in[0].n + 16) < 0) return -1;
    o->n[0] = nm_normalize_text(in[0].p, in[0].n, keep_hyphen, o->dyn, o->dyncap);
    o->p[0] = o->dyn;
    return 1;
}

static int row_phone(const nmpy_str *in, int param, rowout *o) {
    if (!nm_normalize_phone(in[0].p, in[0].n, o->u.phone)) return 0;
    set_out(o, 0, o->u.phone);
    return 1;
}

static int row_zip(const nmpy_str *in, int param, rowout *o) {
    if (!nm_normalize_zip(in[0].p, in[0].n, o->u.zip.zip5, o->u.zip.plus4)) return 0;
    set_out(o, 0, o->u.zip.zip5);
    set_out(o, 1, o->u.zip.plus4);
    return 1;
}

static int row_email(const nmpy_str *in, int param, rowout *o) {
    if (need_dyn(o, in[0].n + 1) < 0) return -1;
    size_t k = nm_normalize_email(in[0].p, in[0].n, o->dyn, o->dyncap);
    if (!k) return 0;
    o->p[0] = o->dyn;
    o->n[0] = k;
    return 1;
}

static void name_out(rowout *o) {
    const nm_person_name *nm = &o->u.name;
    set_out(o, 0, nm->prefix);
    set_out(o, 1, nm->first);
    set_out(o, 2, nm->middle);
    set_out(o, 3, nm->last);
    set_out(o, 4, nm->suffix);
    set_out(o, 5, nm->credentials);
}

static int row_name_parts(const nmpy_str *in, int param, rowout *o) {
    memset(&o->u.name, 0, sizeof o->u.name);
    if (nm_normalize_person_name(in[0].p, in[0].n, in[1].p, in[1].n, in[2].p, in[2].n, in[3].p, in[3].n, in[4].p,
                                 in[4].n, &o->u.name) != 0)
        return 0;
    name_out(o);
    return 1;
}

static int row_name_full(const nmpy_str *in, int param, rowout *o) {
    memset(&o->u.name, 0, sizeof o->u.name);
    if (nm_parse_full_name(in[0].p, in[0].n, &o->u.name) != 0) return 0;
    name_out(o);
    return 1;
}

static int row_address(const nmpy_str *in, int param, rowout *o) {
    memset(&o->u.addr, 0, sizeof o->u.addr);
    if (nm_normalize_address(in[0].p, in[0].n, in[1].p, in[1].n, &o->u.addr) != 0) return 0;
    const nm_address *a = &o->u.addr;
    set_out(o, 0, a->number);
    set_out(o, 1, a->street);
    set_out(o, 2, a->unit);
    set_out(o, 3, a->po_box);
    set_out(o, 4, a->line);
    return 1;
}

static const struct {
    const char *name;
    int nin, nout;
    row_fn fn;
} row_kinds[] = {
    {"soundex", 1, 1, row_soundex},       {"nysiis", 1, 1, row_nysiis},
    {"double_metaphone", 1, 2, row_dmetaphone}, {"normalize_text", 1, 1, row_text},
    {"normalize_phone", 1, 1, row_phone}, {"normalize_zip", 1, 2, row_zip},
    {"normalize_email", 1, 1, row_email}, {"normalize_name", 5, 6, row_name_parts},
    {"parse_full_name", 1, 6, row_name_full}, {"normalize_address", 2, 5, row_address},
};
#define N_ROW_KINDS (int)(sizeof row_kinds / sizeof row_kinds[0])

typedef struct rows_ctx {
    int nin, nout, param;
    row_fn fn;
    nmpy_strcol in[MAXIN];
    nmpy_builder out[MAXOUT];
    rowout ro;
} rows_ctx;

static void rows_chunk(void *vctx, size_t lo, size_t hi, int *nomem) {
    rows_ctx *c = vctx;
    for (size_t i = lo; i < hi; i++) {
        nmpy_str in[MAXIN];
        int any = 0;
        for (int k = 0; k < c->nin; k++) {
            in[k] = nmpy_at(&c->in[k], i);
            any |= in[k].p != NULL;
        }
        /* One input: null in, null out. Several (name parts, address
         * lines): the row is null only when every part is. */
        int r = any ? c->fn(in, c->param, &c->ro) : 0;
        if (r < 0) {
            *nomem = 1;
            return;
        }
        for (int k = 0; k < c->nout; k++) {
            int e = (r && c->ro.n[k]) ? nmpy_put_str(&c->out[k], c->ro.p[k], c->ro.n[k]) : nmpy_put_null(&c->out[k]);
            if (e < 0) {
                *nomem = 1;
                return;
            }
        }
    }
}

/* _rows(kind_name, inputs_tuple, param=0, names=None) -> tuple of Columns */
static PyObject *py_rows(PyObject *self, PyObject *args) {
    const char *kind;
    PyObject *inputs, *names = Py_None;
    int param = 0;
    if (!PyArg_ParseTuple(args, "sO!|iO", &kind, &PyTuple_Type, &inputs, &param, &names)) return NULL;
    int ki = 0;
    while (ki < N_ROW_KINDS && strcmp(row_kinds[ki].name, kind) != 0) ki++;
    if (ki == N_ROW_KINDS) {
        PyErr_Format(PyExc_ValueError, "unknown normalizer '%s'", kind);
        return NULL;
    }
    if (PyTuple_Size(inputs) != row_kinds[ki].nin) {
        PyErr_Format(PyExc_TypeError, "%s takes %d inputs", kind, row_kinds[ki].nin);
        return NULL;
    }
    rows_ctx *c = calloc(1, sizeof *c);
    if (!c) return PyErr_NoMemory();
    c->nin = row_kinds[ki].nin;
    c->nout = row_kinds[ki].nout;
    c->fn = row_kinds[ki].fn;
    c->param = param;
    const char *argnames[MAXIN] = {"a", "b", "c", "d", "e"};
    if (PyTuple_Check(names) && PyTuple_Size(names) == c->nin)
        for (int k = 0; k < c->nin; k++) {
            PyObject *nm = PyTuple_GetItem(names, k);
            const char *s = PyUnicode_Check(nm) ? PyUnicode_AsUTF8AndSize(nm, NULL) : NULL;
            if (s) argnames[k] = s;
            PyErr_Clear();
        }
    PyObject *res = NULL;
    int nin_ok = 0;
    for (; nin_ok < c->nin; nin_ok++)
        if (nmpy_strcol_from(PyTuple_GetItem(inputs, nin_ok), argnames[nin_ok], &c->in[nin_ok]) < 0) goto done;
    size_t n;
    int all_scalar;
    nmpy_strcol *cols[MAXIN];
    for (int k = 0; k < c->nin; k++) cols[k] = &c->in[k];
    if (nmpy_common_len(cols, argnames, c->nin, &n, &all_scalar) < 0) goto done;
    for (int k = 0; k < c->nout; k++)
        if (nmpy_builder_init(&c->out[k], NMPY_UTF8, n) < 0) {
            PyErr_NoMemory();
            goto done;
        }
    if (nmpy_run(n, rows_chunk, c) < 0) goto done;
    res = PyTuple_New(c->nout);
    for (int k = 0; res && k < c->nout; k++) {
        PyObject *col = nmpy_finish(&c->out[k]);
        if (!col) Py_CLEAR(res);
        else PyTuple_SetItem(res, k, col);
    }
done:
    for (int k = 0; k < nin_ok; k++) nmpy_strcol_free(&c->in[k]);
    for (int k = 0; k < c->nout; k++) nmpy_builder_free(&c->out[k]);
    free(c->ro.dyn);
    free(c);
    return res;
}

/* ====================== dates ====================== */

typedef struct date_ctx {
    const nmpy_strcol *a;
    int as_date;
    nmpy_builder out;
} date_ctx;

static void date_chunk(void *vctx, size_t lo, size_t hi, int *nomem) {
    date_ctx *c = vctx;
    for (size_t i = lo; i < hi; i++) {
        nmpy_str s = nmpy_at(c->a, i);
        uint32_t ymd = 0;
        int r;
        if (!s.p || nm_parse_date(s.p, s.n, &ymd) != 0)
            r = nmpy_put_null(&c->out);
        else if (c->as_date)
            r = nmpy_put_i32(&c->out, nm_date_to_days(ymd));
        else
            r = nmpy_put_i32(&c->out, (int32_t)ymd);
        if (r < 0) {
            *nomem = 1;
            return;
        }
    }
}

/* _parse_date(a, as_date) -> Column (date32 or int32 YYYYMMDD) */
static PyObject *py_parse_date(PyObject *self, PyObject *args) {
    PyObject *oa;
    int as_date = 1;
    if (!PyArg_ParseTuple(args, "O|p", &oa, &as_date)) return NULL;
    date_ctx c;
    memset(&c, 0, sizeof c);
    nmpy_strcol a;
    if (nmpy_strcol_from(oa, "a", &a) < 0) return NULL;
    PyObject *res = NULL;
    c.a = &a;
    c.as_date = as_date;
    if (nmpy_builder_init(&c.out, as_date ? NMPY_DATE32 : NMPY_I32, a.len) < 0) {
        PyErr_NoMemory();
        goto done;
    }
    if (nmpy_run(a.len, date_chunk, &c) < 0) goto done;
    res = nmpy_finish(&c.out);
done:
    nmpy_builder_free(&c.out);
    nmpy_strcol_free(&a);
    return res;
}

PyMethodDef nmpy_kernel_methods[] = {
    {"_pair", py_pair, METH_VARARGS, "_pair(kind, a, b, max=-1): elementwise comparator (0 jaro, 1 jw, 2 lev, 3 osa)."},
    {"_rows", py_rows, METH_VARARGS, "_rows(name, inputs, param=0): row-wise normalizer; tuple of string Columns."},
    {"_parse_date", py_parse_date, METH_VARARGS, "_parse_date(a, as_date=True): dates to date32 or int YYYYMMDD."},
    {NULL, NULL, 0, NULL}};
