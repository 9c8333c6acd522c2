/* registry.c - the Registry type: an nm_registry (npimatch/registry.h) owned
 * by a Python object. Builds, loads and saves run without the GIL; a closed
 * registry raises RegistryClosedError from every method instead of touching
 * freed memory. Lookups hold the GIL, so close() (which needs it too) cannot
 * free the registry under a running lookup. */
#include "nmpy.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "npimatch/match.h"
#include "npimatch/registry.h"
#include "registry/registry_internal.h"

typedef struct {
    PyObject_HEAD
    nm_registry *r;
    int busy;   /* calls using r without the GIL (nmpy_registry_acquire) */
} RegistryObject;

static PyTypeObject *RegistryType;

static nm_registry *live(PyObject *self) {
    nm_registry *r = ((RegistryObject *)self)->r;
    if (!r) PyErr_SetString(nmpy_ClosedError, "the registry is closed");
    return r;
}

static PyObject *wrap(nm_registry *r) {
    RegistryObject *o = PyObject_New(RegistryObject, RegistryType);
    if (!o) {
        nm_registry_free(r);
        return NULL;
    }
    o->r = r;
    o->busy = 0;
    return (PyObject *)o;
}

static void registry_dealloc(PyObject *self) {
    PyTypeObject *tp = Py_TYPE(self);
    nm_registry_free(((RegistryObject *)self)->r);
    PyObject_Free(self);
    Py_DECREF(tp);
}

static int save_to(nm_registry *r, PyObject *out) {
    PyObject *keep = NULL;
    const char *path = nmpy_fs_path(out, &keep);
    if (!path) return -1;
    nm_err err;
    nm_err_clear(&err);
    int rc;
    Py_BEGIN_ALLOW_THREADS
    rc = nm_registry_save(r, path, &err);
    Py_END_ALLOW_THREADS
    Py_DECREF(keep);
    if (rc != 0) {
        nmpy_raise(rc, &err);
        return -1;
    }
    return 0;
}

#define SET_U64(d, k, v)                                                     \
    do {                                                                     \
        PyObject *x_ = PyLong_FromUnsignedLongLong(v);                       \
        if (!x_ || PyDict_SetItemString(d, k, x_) < 0) {                     \
            Py_XDECREF(x_);                                                  \
            Py_DECREF(d);                                                    \
            return NULL;                                                     \
        }                                                                    \
        Py_DECREF(x_);                                                       \
    } while (0)

static PyObject *stats_dict(const nm_index_stats *s) {
    PyObject *d = PyDict_New();
    if (!d) return NULL;
    SET_U64(d, "rows_read", s->rows_read);
    SET_U64(d, "rows_skipped", s->rows_skipped);
    SET_U64(d, "fields_nulled", s->fields_nulled);
    SET_U64(d, "bytes_read", s->bytes_read);
    SET_U64(d, "providers_updated", s->providers_updated);
    return d;
}

/* _registry_build(paths: tuple[str], strict: bool, threads: int)
 *   -> (Registry, stats: dict, report: str)
 * The report ("file:line:col: reason" lines and a summary; never field
 * contents) is collected in memory rather than written to the process's
 * stderr, which a notebook does not show. */
static PyObject *py_registry_build(PyObject *self, PyObject *args) {
    PyObject *paths;
    int strict = 0, threads = 0;
    PyObject *oprog = Py_None;
    if (!PyArg_ParseTuple(args, "O!|piO", &PyTuple_Type, &paths, &strict, &threads, &oprog)) return NULL;
    nmpy_progress *pg = nmpy_progress_of(oprog);
    Py_ssize_t np = PyTuple_Size(paths);
    if (np == 0) {
        PyErr_SetString(PyExc_ValueError, "no NPPES file given");
        return NULL;
    }
    PyObject *keep = PyTuple_New(np);
    const char **cpaths = calloc((size_t)np, sizeof *cpaths);
    PyObject *res = NULL;
    char *report = NULL;
    size_t report_len = 0;
    FILE *rep = NULL;
    if (!keep || !cpaths) {
        PyErr_NoMemory();
        goto done;
    }
    for (Py_ssize_t i = 0; i < np; i++) {
        PyObject *b = NULL;
        cpaths[i] = nmpy_fs_path(PyTuple_GetItem(paths, i), &b);
        if (!cpaths[i]) goto done;
        PyTuple_SetItem(keep, i, b);
    }
    rep = open_memstream(&report, &report_len);
    if (!rep) {
        PyErr_NoMemory();
        goto done;
    }
    nm_index_opts opts;
    memset(&opts, 0, sizeof opts);
    opts.threads = threads;
    opts.strict = strict;
    opts.report = rep;
    nm_index_stats stats;
    memset(&stats, 0, sizeof stats);
    nm_err err;
    nm_err_clear(&err);
    nm_registry *r = NULL;
    int rc;
    Py_BEGIN_ALLOW_THREADS
    NMPY_WITH_PROGRESS(pg, rc = nm_registry_build(cpaths, (size_t)np, &opts, &r, &stats, &err));
    Py_END_ALLOW_THREADS
    fclose(rep);
    rep = NULL;
    if (rc != 0) {
        nm_registry_free(r);
        nmpy_raise(rc, &err);
        goto done;
    }
    PyObject *reg = wrap(r);
    if (!reg) goto done;
    PyObject *sd = stats_dict(&stats);
    PyObject *rs = PyUnicode_DecodeUTF8(report ? report : "", (Py_ssize_t)report_len, "replace");
    if (sd && rs) res = PyTuple_Pack(3, reg, sd, rs);
    Py_DECREF(reg);
    Py_XDECREF(sd);
    Py_XDECREF(rs);
done:
    if (rep) fclose(rep);
    free(report);
    free(cpaths);
    Py_XDECREF(keep);
    return res;
}

/* _registry_load(path, model=None): with a model, the lean load `match`
 * uses (nm_registry_load_for_match): when the snapshot stores the matcher's
 * data for that model, the providers' records are not loaded at all. */
static PyObject *py_registry_load(PyObject *self, PyObject *args) {
    PyObject *arg, *omod = Py_None, *keep = NULL;
    if (!PyArg_ParseTuple(args, "O|O", &arg, &omod)) return NULL;
    struct nm_model *m = NULL;
    if (omod != Py_None && !(m = nmpy_model_of(omod))) return NULL;
    const char *path = nmpy_fs_path(arg, &keep);
    if (!path) return NULL;
    nm_err err;
    nm_err_clear(&err);
    nm_registry *r = NULL;
    int rc;
    Py_BEGIN_ALLOW_THREADS
    rc = m ? nm_registry_load_for_match(path, m, &r, &err) : nm_registry_load(path, &r, &err);
    Py_END_ALLOW_THREADS
    Py_DECREF(keep);
    if (rc != 0) {
        nm_registry_free(r);
        return nmpy_raise(rc, &err);
    }
    return wrap(r);
}

static PyObject *registry_has_records(PyObject *self, PyObject *unused) {
    nm_registry *r = live(self);
    if (!r) return NULL;
    return PyBool_FromLong(!r->no_records);
}

/* save(path, model=None): with a model, also store the matcher's data for
 * it (as `npimatch index` does), so loads for_matching skip the records. */
static PyObject *registry_save(PyObject *self, PyObject *args) {
    PyObject *arg, *omod = Py_None;
    if (!PyArg_ParseTuple(args, "O|O", &arg, &omod)) return NULL;
    nm_registry *r = live(self);
    if (!r) return NULL;
    if (omod == Py_None) {
        if (save_to(r, arg) < 0) return NULL;
        Py_RETURN_NONE;
    }
    struct nm_model *m = nmpy_model_of(omod);
    PyObject *keep = NULL;
    const char *path = m ? nmpy_fs_path(arg, &keep) : NULL;
    if (!path) return NULL;
    nm_err err;
    nm_err_clear(&err);
    nm_matcher *mt = NULL;
    int rc;
    Py_BEGIN_ALLOW_THREADS
    rc = nm_matcher_create(r, m, NULL, &mt, &err);
    if (!rc) rc = nm_registry_save_with_matcher(r, mt, path, &err);
    nm_matcher_free(mt);
    Py_END_ALLOW_THREADS
    Py_DECREF(keep);
    if (rc != 0) return nmpy_raise(rc, &err);
    Py_RETURN_NONE;
}

static PyObject *registry_info(PyObject *self, PyObject *unused) {
    nm_registry *r = live(self);
    if (!r) return NULL;
    nm_registry_info in;
    memset(&in, 0, sizeof in);
    nm_registry_get_info(r, &in);
    PyObject *d = PyDict_New();
    if (!d) return NULL;
    SET_U64(d, "providers", in.providers);
    SET_U64(d, "individuals", in.individuals);
    SET_U64(d, "organizations", in.organizations);
    SET_U64(d, "deactivated", in.deactivated);
    SET_U64(d, "with_secondary_locations", in.with_secondary_locations);
    SET_U64(d, "secondary_locations", in.secondary_locations);
    SET_U64(d, "taxonomies", in.taxonomies);
    SET_U64(d, "distinct_taxonomies", in.distinct_taxonomies);
    SET_U64(d, "other_names", in.other_names);
    SET_U64(d, "memory_bytes", in.memory_bytes);
    return d;
}

/* An NPI given as int (or numpy integer) or as a 10-digit string; 0 when it
 * cannot be one (the lookup then yields None for it). */
static int npi_of(PyObject *o, uint64_t *npi) {
    *npi = 0;
    if (o == Py_None) return 0;
    if (PyUnicode_Check(o)) {
        Py_ssize_t n;
        const char *s = PyUnicode_AsUTF8AndSize(o, &n);
        if (!s) return -1;
        if (n != 10) return 0;
        uint64_t v = 0;
        for (Py_ssize_t i = 0; i < n; i++) {
            if (s[i] < '0' || s[i] > '9') return 0;
            v = v * 10 + (uint64_t)(s[i] - '0');
        }
        *npi = v;
        return 0;
    }
    if (PyFloat_Check(o)) return 0;  /* NaN from a pandas column with gaps */
    PyObject *i = PyNumber_Index(o);
    if (!i) {
        PyObject *tn = PyType_GetName(Py_TYPE(o));
        PyErr_Clear();
        PyErr_Format(PyExc_TypeError, "NPIs must be int or str, got %S", tn ? tn : Py_None);
        Py_XDECREF(tn);
        return -1;
    }
    unsigned long long v = PyLong_AsUnsignedLongLong(i);
    Py_DECREF(i);
    if (PyErr_Occurred()) {
        PyErr_Clear();  /* negative or huge: not an NPI */
        return 0;
    }
    *npi = v;
    return 0;
}

/* lookup_json(npis) -> list[str | None]: each provider as the engine's JSON. */
static PyObject *registry_lookup_json(PyObject *self, PyObject *arg) {
    nm_registry *r = live(self);
    if (!r) return NULL;
    PyObject *seq = PySequence_Tuple(arg);
    if (!seq) return NULL;
    Py_ssize_t n = PyTuple_Size(seq);
    PyObject *out = PyList_New(n);
    for (Py_ssize_t i = 0; out && i < n; i++) {
        uint64_t npi;
        if (npi_of(PyTuple_GetItem(seq, i), &npi) < 0) {
            Py_CLEAR(out);
            break;
        }
        int64_t row = npi ? nm_registry_find(r, npi) : -1;
        PyObject *item;
        if (row < 0) {
            item = Py_NewRef(Py_None);
        } else {
            char *json = NULL;
            size_t len = 0;
            int rc = nm_registry_row_json(r, (size_t)row, &json, &len);
            if (rc != 0) {
                free(json);
                nmpy_raise(rc, NULL);
                Py_CLEAR(out);
                break;
            }
            item = PyUnicode_DecodeUTF8(json, (Py_ssize_t)len, "replace");
            free(json);
            if (!item) {
                Py_CLEAR(out);
                break;
            }
        }
        PyList_SetItem(out, i, item);
    }
    Py_DECREF(seq);
    return out;
}

static PyObject *registry_find(PyObject *self, PyObject *arg) {
    nm_registry *r = live(self);
    if (!r) return NULL;
    uint64_t npi;
    if (npi_of(arg, &npi) < 0) return NULL;
    return PyLong_FromLongLong(npi ? nm_registry_find(r, npi) : -1);
}

nm_registry *nmpy_registry_acquire(PyObject *obj) {
    if (!PyObject_TypeCheck(obj, RegistryType)) {
        PyErr_SetString(PyExc_TypeError, "expected an npimatch Registry");
        return NULL;
    }
    nm_registry *r = live(obj);
    if (r) ((RegistryObject *)obj)->busy++;
    return r;
}

void nmpy_registry_release(PyObject *obj) {
    ((RegistryObject *)obj)->busy--;
}

static PyObject *registry_close(PyObject *self, PyObject *unused) {
    RegistryObject *o = (RegistryObject *)self;
    /* Another thread may be running an engine call on it without the GIL
     * (e.g. generate_hcp): freeing it now would pull the memory from under
     * that call. */
    if (o->busy) {
        PyErr_SetString(PyExc_RuntimeError,
                        "the registry is in use (a running call or an open Matcher); close that first");
        return NULL;
    }
    nm_registry_free(o->r);
    o->r = NULL;
    Py_RETURN_NONE;
}

static PyObject *registry_closed(PyObject *self, void *unused) {
    return PyBool_FromLong(((RegistryObject *)self)->r == NULL);
}

static Py_ssize_t registry_len(PyObject *self) {
    nm_registry *r = live(self);
    return r ? (Py_ssize_t)nm_registry_count(r) : -1;
}

static PyMethodDef registry_methods[] = {
    {"info", registry_info, METH_NOARGS, "Counts and memory of the registry as a dict."},
    {"save", registry_save, METH_VARARGS, "save(path, model=None): write a snapshot atomically (with the matcher data of model)."},
    {"find", registry_find, METH_O, "find(npi) -> row index, or -1 when absent."},
    {"has_records", registry_has_records, METH_NOARGS, "False when loaded for matching only."},
    {"lookup_json", registry_lookup_json, METH_O, "lookup_json(npis) -> list of JSON str (None when absent)."},
    {"close", registry_close, METH_NOARGS, "Free the registry now; later calls raise RegistryClosedError."},
    {NULL, NULL, 0, NULL}};

static PyGetSetDef registry_getset[] = {
    {"closed", registry_closed, NULL, "True after close()", NULL}, {NULL, NULL, NULL, NULL, NULL}};

static PyType_Slot registry_slots[] = {
    {Py_tp_dealloc, registry_dealloc},
    {Py_tp_methods, registry_methods},
    {Py_tp_getset, registry_getset},
    {Py_sq_length, registry_len},
    {Py_tp_doc, (void *)"The NPPES registry held by the engine (use npimatch.Registry)."},
    {0, NULL}};

static PyType_Spec registry_spec = {
    .name = "npimatch._npimatch._Registry",
    .basicsize = sizeof(RegistryObject),
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_DISALLOW_INSTANTIATION,
    .slots = registry_slots,
};

int nmpy_registry_init_type(PyObject *module) {
    RegistryType = (PyTypeObject *)PyType_FromSpec(&registry_spec);
    if (!RegistryType) return -1;
    Py_INCREF((PyObject *)RegistryType);
    return PyModule_AddObject(module, "_Registry", (PyObject *)RegistryType);
}

PyMethodDef nmpy_registry_functions[] = {
    {"_registry_build", py_registry_build, METH_VARARGS, "_registry_build(paths, strict, threads, progress=None)"},
    {"_registry_load", py_registry_load, METH_VARARGS, "_registry_load(path, model=None)"},
    {NULL, NULL, 0, NULL}};
