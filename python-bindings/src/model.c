/* model.c - the _Model type: an nm_model (npimatch/model.h) owned by a
 * Python object. The Python layer (npimatch/model.py) reads the model through
 * its JSON form (nm_model_to_json, the same bytes `save` writes), so this
 * file only loads, saves, serialises and scores: the waterfall and the
 * compact explanation of one comparison vector. */
#include "nmpy.h"
#include <stdlib.h>
#include <string.h>
#include "npimatch/model.h"

typedef struct {
    PyObject_HEAD
    nm_model *m;
} ModelObject;

static PyTypeObject *ModelType;

static PyObject *wrap(nm_model *m) {
    ModelObject *o = PyObject_New(ModelObject, ModelType);
    if (!o) {
        nm_model_free(m);
        return NULL;
    }
    o->m = m;
    return (PyObject *)o;
}

PyObject *nmpy_model_wrap(nm_model *m) { return wrap(m); }

static void model_dealloc(PyObject *self) {
    PyTypeObject *tp = Py_TYPE(self);
    nm_model_free(((ModelObject *)self)->m);
    PyObject_Free(self);
    Py_DECREF(tp);
}

/* _model_load(path: str) -> _Model; "builtin:hcp" etc. are embedded models. */
static PyObject *py_model_load(PyObject *self, PyObject *arg) {
    PyObject *keep;
    const char *path = nmpy_fs_path(arg, &keep);
    if (!path) return NULL;
    nm_err err;
    nm_err_clear(&err);
    nm_model *m = NULL;
    int rc;
    Py_BEGIN_ALLOW_THREADS
    rc = nm_model_load(path, &m, &err);
    Py_END_ALLOW_THREADS
    Py_DECREF(keep);
    if (rc != 0) {
        nm_model_free(m);
        return nmpy_raise(rc, &err);
    }
    return wrap(m);
}

/* _model_parse(json: str, name: str) -> _Model */
static PyObject *py_model_parse(PyObject *self, PyObject *args) {
    const char *json, *name;
    Py_ssize_t n;
    if (!PyArg_ParseTuple(args, "s#s", &json, &n, &name)) return NULL;
    nm_err err;
    nm_err_clear(&err);
    nm_model *m = NULL;
    int rc = nm_model_parse(json, (size_t)n, name, &m, &err);
    if (rc != 0) {
        nm_model_free(m);
        return nmpy_raise(rc, &err);
    }
    return wrap(m);
}

static PyObject *model_to_json(PyObject *self, PyObject *unused) {
    char *json = NULL;
    size_t len = 0;
    nm_err err;
    nm_err_clear(&err);
    int rc = nm_model_to_json(((ModelObject *)self)->m, &json, &len, &err);
    if (rc != 0) {
        free(json);
        return nmpy_raise(rc, &err);
    }
    PyObject *s = PyUnicode_DecodeUTF8(json, (Py_ssize_t)len, "replace");
    free(json);
    return s;
}

static PyObject *model_save(PyObject *self, PyObject *arg) {
    PyObject *keep;
    const char *path = nmpy_fs_path(arg, &keep);
    if (!path) return NULL;
    nm_err err;
    nm_err_clear(&err);
    int rc;
    Py_BEGIN_ALLOW_THREADS
    rc = nm_model_save(((ModelObject *)self)->m, path, &err);
    Py_END_ALLOW_THREADS
    Py_DECREF(keep);
    if (rc != 0) return nmpy_raise(rc, &err);
    Py_RETURN_NONE;
}

/* A comparison vector (one level index per comparison) and optional term
 * frequencies from Python sequences, checked against the model: levels out
 * of range would be undefined behaviour in the engine's scoring. */
static int read_vector(const nm_model *m, PyObject *levels, PyObject *tf, uint8_t *lv, double *tfv, int *have_tf) {
    size_t nc = nm_model_comparison_count(m);
    PyObject *seq = PySequence_Tuple(levels);
    if (!seq) return -1;
    if ((size_t)PyTuple_Size(seq) != nc) {
        PyErr_Format(PyExc_ValueError, "expected %zu levels (one per comparison), got %zd", nc, PyTuple_Size(seq));
        Py_DECREF(seq);
        return -1;
    }
    for (size_t i = 0; i < nc; i++) {
        long v = PyLong_AsLong(PyTuple_GetItem(seq, (Py_ssize_t)i));
        if (v == -1 && PyErr_Occurred()) {
            Py_DECREF(seq);
            return -1;
        }
        if (v < 0 || v >= nm_model_comparison(m, i)->n_levels) {
            PyErr_Format(PyExc_ValueError, "level %ld out of range for comparison %zu", v, i);
            Py_DECREF(seq);
            return -1;
        }
        lv[i] = (uint8_t)v;
    }
    Py_DECREF(seq);
    *have_tf = 0;
    if (tf == NULL || tf == Py_None) return 0;
    seq = PySequence_Tuple(tf);
    if (!seq) return -1;
    if ((size_t)PyTuple_Size(seq) != nc) {
        PyErr_Format(PyExc_ValueError, "expected %zu term frequencies, got %zd", nc, PyTuple_Size(seq));
        Py_DECREF(seq);
        return -1;
    }
    for (size_t i = 0; i < nc; i++) {
        tfv[i] = PyFloat_AsDouble(PyTuple_GetItem(seq, (Py_ssize_t)i));
        if (tfv[i] == -1.0 && PyErr_Occurred()) {
            Py_DECREF(seq);
            return -1;
        }
    }
    Py_DECREF(seq);
    *have_tf = 1;
    return 0;
}

PyObject *nmpy_explain_tuple(const nm_model *m, const uint8_t *levels, const double *tf) {
    nm_waterfall_step steps[NM_MAX_COMPARISONS + 1];
    size_t n = nm_waterfall(m, levels, tf, steps);
    int len = nm_explain(m, levels, tf, NULL, 0);
    if (len < 0) return nmpy_raise(len, NULL);
    char *text = malloc((size_t)len + 1);
    PyObject *list = text ? PyList_New((Py_ssize_t)n) : PyErr_NoMemory();
    for (size_t i = 0; list && i < n; i++) {
        const nm_waterfall_step *st = &steps[i];
        PyObject *t = Py_BuildValue("(ssdddd)", st->comparison, st->label, st->weight, st->tf_weight,
                                    st->cumulative, st->probability);
        if (!t) Py_CLEAR(list);
        else PyList_SetItem(list, (Py_ssize_t)i, t);
    }
    PyObject *res = NULL;
    if (list) {
        nm_explain(m, levels, tf, text, (size_t)len + 1);
        res = Py_BuildValue("(Ns#)", list, text, (Py_ssize_t)len);
    }
    free(text);
    return res;
}

/* explain(levels, tf=None) -> (steps, explanation), see nmpy_explain_tuple. */
static PyObject *model_explain(PyObject *self, PyObject *args) {
    const nm_model *m = ((ModelObject *)self)->m;
    PyObject *levels, *tf = Py_None;
    if (!PyArg_ParseTuple(args, "O|O", &levels, &tf)) return NULL;
    uint8_t lv[NM_MAX_COMPARISONS];
    double tfv[NM_MAX_COMPARISONS];
    int have_tf;
    if (read_vector(m, levels, tf, lv, tfv, &have_tf) < 0) return NULL;
    return nmpy_explain_tuple(m, lv, have_tf ? tfv : NULL);
}

static PyMethodDef model_methods[] = {
    {"to_json", model_to_json, METH_NOARGS, "The model as JSON (the bytes save() writes)."},
    {"save", model_save, METH_O, "save(path): write the model JSON atomically (.zst compresses)."},
    {"explain", model_explain, METH_VARARGS,
     "explain(levels, tf=None) -> (waterfall step tuples, compact explanation str)."},
    {NULL, NULL, 0, NULL}};

static PyType_Slot model_slots[] = {
    {Py_tp_dealloc, model_dealloc},
    {Py_tp_methods, model_methods},
    {Py_tp_doc, (void *)"A linkage model held by the engine (use npimatch.Model)."},
    {0, NULL}};

static PyType_Spec model_spec = {
    .name = "npimatch._npimatch._Model",
    .basicsize = sizeof(ModelObject),
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_DISALLOW_INSTANTIATION,
    .slots = model_slots,
};

int nmpy_model_init_type(PyObject *module) {
    ModelType = (PyTypeObject *)PyType_FromSpec(&model_spec);
    if (!ModelType) return -1;
    Py_INCREF((PyObject *)ModelType);
    return PyModule_AddObject(module, "_Model", (PyObject *)ModelType);
}

PyMethodDef nmpy_model_functions[] = {
    {"_model_load", py_model_load, METH_O, "_model_load(path) -> _Model"},
    {"_model_parse", py_model_parse, METH_VARARGS, "_model_parse(json, name) -> _Model"},
    {NULL, NULL, 0, NULL}};

nm_model *nmpy_model_of(PyObject *obj) {
    if (!PyObject_TypeCheck(obj, ModelType)) {
        PyErr_SetString(PyExc_TypeError, "expected an npimatch Model");
        return NULL;
    }
    return ((ModelObject *)obj)->m;
}
