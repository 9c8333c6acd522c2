/* evalgen.c - the evaluator (engine/eval) and the data generators
 * (engine/gen) for Python. Both are the engine's own code, called in
 * process without the GIL: evaluate() gets exactly the figures of
 * `npimatch eval --json` (the same JSON writer), and the generators write the
 * same bytes as `npimatch gen` for the same seed. */
#include "nmpy.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "eval/eval.h"
#include "gen/gen.h"
#include "gen/labelled.h"

/* A path, or NULL for None; *keep owns the bytes. */
static int opt_path(PyObject *o, const char **out, PyObject **keep) {
    *out = NULL;
    *keep = NULL;
    if (o == Py_None) return 0;
    *out = nmpy_fs_path(o, keep);
    return *out ? 0 : -1;
}

static PyObject *json_and_text(const nm_buf *json, const char *text, size_t tlen) {
    PyObject *j = PyUnicode_DecodeUTF8(json->data ? json->data : "", (Py_ssize_t)json->len, "replace");
    PyObject *t = PyUnicode_DecodeUTF8(text ? text : "", (Py_ssize_t)tlen, "replace");
    PyObject *r = (j && t) ? PyTuple_Pack(2, j, t) : NULL;
    Py_XDECREF(j);
    Py_XDECREF(t);
    return r;
}

/* _eval(mode: "matches"|"persons", truth, predictions, stats|None, worst)
 *   -> (json: str, text: str)
 * json is the report `npimatch eval --json` writes; text is its stdout. */
static PyObject *py_eval(PyObject *self, PyObject *args) {
    const char *mode;
    PyObject *ot, *op, *os;
    Py_ssize_t worst;
    if (!PyArg_ParseTuple(args, "sOOOn", &mode, &ot, &op, &os, &worst)) return NULL;
    int persons = !strcmp(mode, "persons");
    if (!persons && strcmp(mode, "matches")) {
        PyErr_SetString(PyExc_ValueError, "kind must be 'matches' or 'persons'");
        return NULL;
    }
    if (worst < 0) {
        PyErr_SetString(PyExc_ValueError, "worst must be >= 0");
        return NULL;
    }
    PyObject *kt = NULL, *kp = NULL, *ks = NULL, *res = NULL;
    nm_eval_opts o;
    memset(&o, 0, sizeof o);
    o.worst = (size_t)worst;
    const char *pred = NULL;
    if (opt_path(ot, &o.truth, &kt) < 0 || opt_path(op, &pred, &kp) < 0 || opt_path(os, &o.stats, &ks) < 0)
        goto done;
    if (!o.truth || !pred) {
        PyErr_SetString(PyExc_TypeError, "truth and predictions are required");
        goto done;
    }
    if (persons) o.persons = pred;
    else o.matches = pred;

    nm_err err;
    nm_err_clear(&err);
    nm_buf json = {0};
    char *text = NULL;
    size_t tlen = 0;
    int rc;
    Py_BEGIN_ALLOW_THREADS
    FILE *tf = NULL;
    if (persons) {
        nm_eval_persons e;
        rc = nm_eval_persons_run(&o, &e, &err);
        if (rc == 0) {
            rc = nm_eval_persons_json(&e, &json);
            if (rc == 0 && (tf = open_memstream(&text, &tlen)) != NULL) nm_eval_persons_print(&e, tf);
            nm_eval_persons_free(&e);
        }
    } else {
        nm_eval_npi e;
        rc = nm_eval_npi_run(&o, &e, &err);
        if (rc == 0) {
            rc = nm_eval_npi_json(&e, &json);
            if (rc == 0 && (tf = open_memstream(&text, &tlen)) != NULL) nm_eval_npi_print(&e, tf);
            nm_eval_npi_free(&e);
        }
    }
    if (tf) fclose(tf);
    else if (rc == 0) rc = NM_E_NOMEM;
    Py_END_ALLOW_THREADS
    if (rc == 0) res = json_and_text(&json, text, tlen);
    else nmpy_raise(rc, &err);
    nm_buf_free(&json);
    free(text);
done:
    Py_XDECREF(kt);
    Py_XDECREF(kp);
    Py_XDECREF(ks);
    return res;
}

/* The realised error counts of a labelled generator as a dict:
 * {records, providers, absent_records, org_records, dup_records,
 *  errors: {kind: (eligible, applied, documented rate)}}. */
static PyObject *counts_dict(const nm_gen_counts *k, int nkinds, const char *(*name)(int), double (*rate)(int)) {
    PyObject *errors = PyDict_New();
    for (int i = 0; errors && i < nkinds; i++) {
        PyObject *t = Py_BuildValue("(KKd)", (unsigned long long)k->eligible[i], (unsigned long long)k->applied[i],
                                    rate(i));
        if (!t || PyDict_SetItemString(errors, name(i), t) < 0) Py_CLEAR(errors);
        Py_XDECREF(t);
    }
    if (!errors) return NULL;
    PyObject *d = Py_BuildValue("{sKsKsKsKsKsN}", "records", (unsigned long long)k->records, "providers",
                                (unsigned long long)k->providers, "absent_records",
                                (unsigned long long)k->absent_records, "org_records",
                                (unsigned long long)k->org_records, "dup_records", (unsigned long long)k->dup_records,
                                "errors", errors);
    return d;
}

/* _gen_nppes(path, rows, seed, threads, layout, deactivated) -> None */
static PyObject *py_gen_nppes(PyObject *self, PyObject *args) {
    PyObject *op;
    unsigned long long rows, seed;
    int threads, layout;
    double deact;
    if (!PyArg_ParseTuple(args, "OKKiid", &op, &rows, &seed, &threads, &layout, &deact)) return NULL;
    if (rows > NM_GEN_NPI_SPACE) {
        PyErr_Format(PyExc_ValueError, "rows must be at most %u", NM_GEN_NPI_SPACE);
        return NULL;
    }
    if (layout != 329 && layout != 330) {
        PyErr_SetString(PyExc_ValueError, "layout must be 330 or 329");
        return NULL;
    }
    if (!(deact >= 0 && deact <= 1)) {
        PyErr_SetString(PyExc_ValueError, "deactivated must be a number from 0 to 1");
        return NULL;
    }
    PyObject *keep;
    nm_gen_nppes_opts o;
    memset(&o, 0, sizeof o);
    if (opt_path(op, &o.out, &keep) < 0) return NULL;
    if (!o.out) {
        PyErr_SetString(PyExc_TypeError, "path is required");
        return NULL;
    }
    o.rows = rows;
    o.seed = seed;
    o.threads = threads;
    o.layout = layout;
    o.deactivated = deact;
    nm_err err;
    nm_err_clear(&err);
    int rc;
    Py_BEGIN_ALLOW_THREADS
    rc = nm_gen_nppes(&o, &err);
    Py_END_ALLOW_THREADS
    Py_DECREF(keep);
    if (rc < 0) return nmpy_raise(rc, &err);
    Py_RETURN_NONE;
}

/* _gen_hcp(registry, out, truth, rows, seed, absent, orgs, threads) -> counts */
static PyObject *py_gen_hcp(PyObject *self, PyObject *args) {
    PyObject *oreg, *oo, *ot;
    unsigned long long rows, seed;
    double absent, orgs;
    int threads;
    if (!PyArg_ParseTuple(args, "OOOKKddi", &oreg, &oo, &ot, &rows, &seed, &absent, &orgs, &threads)) return NULL;
    if (!(absent >= 0 && absent <= 1) || !(orgs >= 0 && orgs <= 1)) {
        PyErr_SetString(PyExc_ValueError, "absent and orgs must be numbers from 0 to 1");
        return NULL;
    }
    if (rows > 0xFFFFFFFEull) {
        PyErr_SetString(PyExc_ValueError, "rows must be below 2**32 - 1");
        return NULL;
    }
    nm_registry *reg = nmpy_registry_acquire(oreg);
    if (!reg) return NULL;
    PyObject *ko = NULL, *kt = NULL, *res = NULL;
    nm_gen_hcp_opts o;
    memset(&o, 0, sizeof o);
    if (opt_path(oo, &o.out, &ko) < 0 || opt_path(ot, &o.truth, &kt) < 0) goto done;
    if (!o.out || !o.truth) {
        PyErr_SetString(PyExc_TypeError, "out and truth paths are required");
        goto done;
    }
    nm_gen_counts k;
    memset(&k, 0, sizeof k);
    o.rows = rows;
    o.seed = seed;
    o.absent = absent;
    o.orgs = orgs;
    o.threads = threads;
    o.reg = reg;
    o.counts = &k;
    nm_err err;
    nm_err_clear(&err);
    int rc;
    Py_BEGIN_ALLOW_THREADS
    rc = nm_gen_hcp(&o, &err);
    Py_END_ALLOW_THREADS
    if (rc < 0) nmpy_raise(rc, &err);
    else res = counts_dict(&k, NM_HCP_NKINDS, nm_gen_hcp_error_name, nm_gen_hcp_error_rate);
done:
    nmpy_registry_release(oreg);
    Py_XDECREF(ko);
    Py_XDECREF(kt);
    return res;
}

/* _gen_patients(dir, rows, seed, sources, nights, threads) -> counts */
static PyObject *py_gen_patients(PyObject *self, PyObject *args) {
    PyObject *od;
    unsigned long long rows, seed;
    int sources, nights, threads;
    if (!PyArg_ParseTuple(args, "OKKiii", &od, &rows, &seed, &sources, &nights, &threads)) return NULL;
    if (sources < 1 || sources > 99 || nights < 1 || nights > 99) {
        PyErr_SetString(PyExc_ValueError, "sources and nights must be from 1 to 99");
        return NULL;
    }
    if (rows > 0xFFFFFFFEull) {
        PyErr_SetString(PyExc_ValueError, "rows must be below 2**32 - 1");
        return NULL;
    }
    PyObject *keep;
    nm_gen_patients_opts o;
    memset(&o, 0, sizeof o);
    if (opt_path(od, &o.dir, &keep) < 0) return NULL;
    if (!o.dir) {
        PyErr_SetString(PyExc_TypeError, "an output directory is required");
        return NULL;
    }
    nm_gen_counts k;
    memset(&k, 0, sizeof k);
    o.rows = rows;
    o.seed = seed;
    o.sources = sources;
    o.nights = nights;
    o.threads = threads;
    o.counts = &k;
    nm_err err;
    nm_err_clear(&err);
    int rc;
    Py_BEGIN_ALLOW_THREADS
    rc = nm_gen_patients(&o, &err);
    Py_END_ALLOW_THREADS
    Py_DECREF(keep);
    if (rc < 0) return nmpy_raise(rc, &err);
    return counts_dict(&k, NM_PAT_NKINDS, nm_gen_patients_error_name, nm_gen_patients_error_rate);
}

PyMethodDef nmpy_evalgen_functions[] = {
    {"_eval", py_eval, METH_VARARGS, "_eval(kind, truth, predictions, stats, worst) -> (json, text)"},
    {"_gen_nppes", py_gen_nppes, METH_VARARGS, "_gen_nppes(path, rows, seed, threads, layout, deactivated)"},
    {"_gen_hcp", py_gen_hcp, METH_VARARGS, "_gen_hcp(registry, out, truth, rows, seed, absent, orgs, threads)"},
    {"_gen_patients", py_gen_patients, METH_VARARGS, "_gen_patients(dir, rows, seed, sources, nights, threads)"},
    {NULL, NULL, 0, NULL}};
