/* linkage.c - resolve, link, dedupe and train from tables: the engine
 * functions behind `npimatch resolve / link / dedupe / train`, called on
 * the CSV bytes of _table_csv (read in memory by the engine's CSV reader)
 * without the GIL, with the caller's _Progress hook installed. Outputs are
 * the CLI's files, written where the Python layer says (a temporary
 * directory) and read back with _read_csv_columns. Bad-row reports and the
 * run summary are collected in memory (never record contents). */
#include "nmpy.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "common/error_internal.h"
#include "match/link.h"
#include "match/train_pairs.h"
#include "resolve/resolve.h"

/* A tuple of str as a NULL-terminated array of UTF-8 pointers (borrowed from
 * the tuple's str objects). */
static const char **str_tuple(PyObject *t, size_t *n) {
    if (!PyTuple_Check(t)) {
        PyErr_SetString(PyExc_TypeError, "expected a tuple of str");
        return NULL;
    }
    Py_ssize_t k = PyTuple_Size(t);
    const char **v = calloc((size_t)k + 1, sizeof *v);
    if (!v) return (const char **)PyErr_NoMemory();
    for (Py_ssize_t i = 0; i < k; i++)
        if (!(v[i] = PyUnicode_AsUTF8AndSize(PyTuple_GetItem(t, i), NULL))) {
            free(v);
            return NULL;
        }
    *n = (size_t)k;
    return v;
}

/* The report collected in memory as str (NULL on error). */
static PyObject *report_str(char *rep, size_t len) {
    return PyUnicode_DecodeUTF8(rep ? rep : "", (Py_ssize_t)len, "replace");
}

static PyObject *link_stats_dict(const nm_link_stats *s) {
    return Py_BuildValue("{sKsKsKsKsKsKsKsKsdsdsd}", "records_left", (unsigned long long)s->records[0], "records_right",
                         (unsigned long long)s->records[1], "rejected_left", (unsigned long long)s->rejected[0],
                         "rejected_right", (unsigned long long)s->rejected[1], "pairs_scored",
                         (unsigned long long)s->pairs_scored, "pairs_written", (unsigned long long)s->pairs_written,
                         "clusters", (unsigned long long)s->clusters, "links_refused",
                         (unsigned long long)s->links_refused, "seconds_read", s->seconds_read, "seconds_score",
                         s->seconds_score, "seconds_cluster", s->seconds_cluster);
}

/* _link(left, right, model, out, threads, threshold, block_cap, maps_left, maps_right, None, progress)
 * _dedupe(data, None, model, out, threads, threshold, block_cap, maps, (), pairs_out|None, progress)
 * -> (stats, report). left/right/data: _CsvData. */
static PyObject *run_link(PyObject *args, int dedupe) {
    PyObject *ol, *or_, *omod, *oout, *oml, *omr, *oprog, *opairs = Py_None;
    int threads;
    double thr;
    unsigned int cap;
    if (!PyArg_ParseTuple(args, "OOOUidIOOOO", &ol, &or_, &omod, &oout, &threads, &thr, &cap, &oml, &omr, &opairs,
                          &oprog))
        return NULL;
    nm_model *m = nmpy_model_of(omod);
    if (!m) return NULL;
    size_t ll = 0, lr = 0, nml = 0, nmr = 0;
    const char *dl = nmpy_csvdata(ol, &ll), *dr = dedupe ? NULL : nmpy_csvdata(or_, &lr);
    if (!dl || (!dedupe && !dr)) return NULL;
    nmpy_progress *pg = nmpy_progress_of(oprog);
    PyObject *kout = PyUnicode_EncodeFSDefault(oout), *kpairs = NULL;
    if (!kout) return NULL;
    if (opairs != Py_None && !(kpairs = PyUnicode_EncodeFSDefault(opairs))) {
        Py_DECREF(kout);
        return NULL;
    }
    const char **ml = str_tuple(oml, &nml), **mr = ml ? str_tuple(omr, &nmr) : NULL;
    PyObject *res = NULL;
    char *rep = NULL;
    size_t replen = 0;
    FILE *rf = (ml && mr) ? open_memstream(&rep, &replen) : NULL;
    if (rf) {
        nm_link_opts o = {threads, thr, cap, {ml, mr}, {nml, nmr}, {dl, dr}, {ll, lr}};
        nm_link_stats st;
        memset(&st, 0, sizeof st);
        nm_err err;
        nm_err_clear(&err);
        int rc;
        const char *out = PyBytes_AsString(kout), *pairs = kpairs ? PyBytes_AsString(kpairs) : NULL;
        Py_BEGIN_ALLOW_THREADS
        NMPY_WITH_PROGRESS(pg, rc = dedupe ? nm_dedupe_file("data", m, out, pairs, &o, &st, rf, &err)
                                           : nm_link_files("left", "right", m, out, &o, &st, rf, &err));
        Py_END_ALLOW_THREADS
        fclose(rf);
        if (rc) {
            nmpy_raise(rc, &err);
        } else {
            PyObject *sd = link_stats_dict(&st), *rs = report_str(rep, replen);
            if (sd && rs) res = PyTuple_Pack(2, sd, rs);
            Py_XDECREF(sd);
            Py_XDECREF(rs);
        }
    } else if (!PyErr_Occurred()) {
        PyErr_NoMemory();
    }
    free(rep);
    free(ml);
    free(mr);
    Py_DECREF(kout);
    Py_XDECREF(kpairs);
    return res;
}

static PyObject *py_link(PyObject *self, PyObject *args) { return run_link(args, 0); }
static PyObject *py_dedupe(PyObject *self, PyObject *args) { return run_link(args, 1); }

static PyObject *train_report_dict(const nm_model *m, const nm_train_report *r, int labelled) {
    PyObject *runs = PyList_New(0);
    if (!runs) return NULL;
    for (size_t i = 0; !labelled && i < r->nruns; i++) {
        const nm_blocking_rule *br = nm_model_training_rule(m, i);
        PyObject *d = Py_BuildValue("{sssKsisOsd}", "rule", br ? br->name : "blocked pairs", "pairs",
                                    (unsigned long long)r->rule_pairs[i], "iterations", r->em[i].iterations,
                                    "converged", r->em[i].converged ? Py_True : Py_False, "lambda", r->em[i].lambda);
        if (!d || PyList_Append(runs, d) < 0) {
            Py_XDECREF(d);
            Py_DECREF(runs);
            return NULL;
        }
        Py_DECREF(d);
    }
    return Py_BuildValue("{sKsKsN}", "random_pairs", (unsigned long long)r->random_pairs, "labelled_pairs",
                         (unsigned long long)r->labelled, "em_runs", runs);
}

/* _train(registry|None, left, right|None, model, seed, random_pairs, labels_path|None, threads,
 *        maps_left, maps_right, progress) -> (trained _Model, report dict, report text)
 * With a registry: HCP records (left) against it (npimatch train --registry);
 * without: dedupe (right None) or link training on generic tables. */
static PyObject *py_train(PyObject *self, PyObject *args) {
    PyObject *oreg, *ol, *or_, *omod, *olab, *oml, *omr, *oprog;
    unsigned long long seed, npairs;
    int threads;
    if (!PyArg_ParseTuple(args, "OOOOKKOiOOO", &oreg, &ol, &or_, &omod, &seed, &npairs, &olab, &threads, &oml, &omr,
                          &oprog))
        return NULL;
    nm_model *base = nmpy_model_of(omod);
    if (!base) return NULL;
    size_t ll = 0, lr = 0, nml = 0, nmr = 0;
    const char *dl = nmpy_csvdata(ol, &ll), *dr = or_ == Py_None ? NULL : nmpy_csvdata(or_, &lr);
    if (!dl || (or_ != Py_None && !dr)) return NULL;
    PyObject *klab = NULL;
    if (olab != Py_None && !(klab = PyUnicode_EncodeFSDefault(olab))) return NULL;
    nm_registry *r = NULL;
    if (oreg != Py_None && !(r = nmpy_registry_acquire(oreg))) {
        Py_XDECREF(klab);
        return NULL;
    }
    nmpy_progress *pg = nmpy_progress_of(oprog);
    const char **ml = str_tuple(oml, &nml), **mr = ml ? str_tuple(omr, &nmr) : NULL;
    PyObject *res = NULL;
    char *rep = NULL;
    size_t replen = 0;
    FILE *rf = (ml && mr) ? open_memstream(&rep, &replen) : NULL;
    nm_model *trained = NULL;
    if (rf) {
        nm_train_opts to = {seed, npairs, 0, klab ? PyBytes_AsString(klab) : NULL};
        nm_train_report tr;
        memset(&tr, 0, sizeof tr);
        nm_err err;
        nm_err_clear(&err);
        int rc = 0;
        Py_BEGIN_ALLOW_THREADS
        if (nm_model_clone(base, &trained)) rc = nm_err_set(&err, NM_E_NOMEM, "train: out of memory");
        if (!rc && r) {
            /* As `npimatch train --registry`: the model's own lambda is kept. */
            nm_match_opts mo = {threads, 0, -1, -1, 1};
            nm_matcher *mt = NULL;
            nm_input in;
            memset(&in, 0, sizeof in);
            rc = nm_matcher_create(r, base, &mo, &mt, &err);
            nm_input_opts io = {ml, nml, mt ? mt->threads : threads, dl, ll};
            if (!rc && !(rc = nm_input_read(&in, "data", base, &io, &err))) {
                nm_diag_print(&in.diag, (const char *const[]){"data"}, rf);
                NMPY_WITH_PROGRESS(pg, rc = nm_train_against_registry(mt, &in, trained, &to, &tr, &err));
                nm_input_free(&in);
            }
            nm_matcher_free(mt);
        } else if (!rc) {
            nm_link_opts lo = {threads, -1, 0, {ml, mr}, {nml, nmr}, {dl, dr}, {ll, lr}};
            NMPY_WITH_PROGRESS(pg, rc = nm_train_files(dr ? "left" : "data", dr ? "right" : NULL, trained, &lo, &to,
                                                       &tr, rf, &err));
        }
        Py_END_ALLOW_THREADS
        fclose(rf);
        if (rc) {
            nmpy_raise(rc, &err);
        } else {
            PyObject *rd = train_report_dict(trained, &tr, klab != NULL), *rs = report_str(rep, replen);
            PyObject *mo = (rd && rs) ? nmpy_model_wrap(trained) : NULL;
            trained = NULL;   /* owned by mo, or freed by nmpy_model_wrap */
            if (mo) res = PyTuple_Pack(3, mo, rd, rs);
            Py_XDECREF(mo);
            Py_XDECREF(rd);
            Py_XDECREF(rs);
        }
    } else if (!PyErr_Occurred()) {
        PyErr_NoMemory();
    }
    nm_model_free(trained);
    if (r) nmpy_registry_release(oreg);
    free(rep);
    free(ml);
    free(mr);
    Py_XDECREF(klab);
    return res;
}

static PyObject *resolve_stats_dict(const nm_resolve_stats *s) {
    PyObject *ch = PyDict_New();
    if (!ch) return NULL;
    for (int i = 0; i < NM_CHANGE_COUNT; i++) {
        PyObject *v = PyLong_FromUnsignedLongLong(s->change[i]);
        if (!v || PyDict_SetItemString(ch, nm_change_name(i), v) < 0) {
            Py_XDECREF(v);
            Py_DECREF(ch);
            return NULL;
        }
        Py_DECREF(v);
    }
    return Py_BuildValue("{sIsKsKsKsKsKsKsKsKsKsKsKsKsKsKsNsKsKsK}", "generation", s->generation, "rows",
                         (unsigned long long)s->rows, "rejected", (unsigned long long)s->rejected, "duplicates",
                         (unsigned long long)s->duplicates, "new", (unsigned long long)s->fresh, "changed",
                         (unsigned long long)s->changed, "unchanged", (unsigned long long)s->unchanged, "deleted",
                         (unsigned long long)s->deleted, "delete_unknown", (unsigned long long)s->delete_unknown,
                         "records", (unsigned long long)s->records, "affected", (unsigned long long)s->affected,
                         "compared", (unsigned long long)s->compared, "pairs", (unsigned long long)s->pairs, "edges",
                         (unsigned long long)s->edges, "refused", (unsigned long long)s->refused, "change", ch,
                         "issued", (unsigned long long)s->issued, "retired", (unsigned long long)s->retired,
                         "persons", (unsigned long long)s->persons);
}

/* _resolve(data, state_dir, out, model|None, deletes|None, full, all, threads, block_cap, progress)
 * -> (stats, report). data, deletes: _CsvData; model: a path or builtin: name. */
static PyObject *py_resolve(PyObject *self, PyObject *args) {
    PyObject *odata, *ostate, *oout, *omodel, *odel, *oprog;
    int full, all, threads;
    unsigned int cap;
    if (!PyArg_ParseTuple(args, "OUUOOppiIO", &odata, &ostate, &oout, &omodel, &odel, &full, &all, &threads, &cap,
                          &oprog))
        return NULL;
    size_t len = 0, dlen = 0;
    const char *data = nmpy_csvdata(odata, &len), *ddata = NULL;
    if (!data) return NULL;
    if (odel != Py_None && !(ddata = nmpy_csvdata(odel, &dlen))) return NULL;
    PyObject *kstate = PyUnicode_EncodeFSDefault(ostate), *kout = PyUnicode_EncodeFSDefault(oout), *kmodel = NULL;
    PyObject *res = NULL;
    char *rep = NULL;
    size_t replen = 0;
    FILE *rf = NULL;
    if (!kstate || !kout) goto done;
    if (omodel != Py_None && !(kmodel = PyUnicode_EncodeFSDefault(omodel))) goto done;
    if (!(rf = open_memstream(&rep, &replen))) {
        PyErr_NoMemory();
        goto done;
    }
    nm_resolve_opts o;
    memset(&o, 0, sizeof o);
    o.input = "data";
    o.input_data = data, o.input_len = len;
    o.state_dir = PyBytes_AsString(kstate);
    o.out = PyBytes_AsString(kout);
    o.model = kmodel ? PyBytes_AsString(kmodel) : NULL;
    if (ddata) o.delete_path = "deletes", o.delete_data = ddata, o.delete_len = dlen;
    o.full = full, o.all = all, o.threads = threads, o.block_cap = cap, o.report = rf;
    nmpy_progress *pg = nmpy_progress_of(oprog);
    nm_resolve_stats st;
    memset(&st, 0, sizeof st);
    nm_err err;
    nm_err_clear(&err);
    int rc;
    Py_BEGIN_ALLOW_THREADS
    NMPY_WITH_PROGRESS(pg, rc = nm_resolve_run(&o, &st, &err));
    if (!rc) nm_resolve_stats_print(&st, rf);
    Py_END_ALLOW_THREADS
    fclose(rf);
    rf = NULL;
    if (rc) {
        nmpy_raise(rc, &err);
        goto done;
    }
    PyObject *sd = resolve_stats_dict(&st), *rs = report_str(rep, replen);
    if (sd && rs) res = PyTuple_Pack(2, sd, rs);
    Py_XDECREF(sd);
    Py_XDECREF(rs);
done:
    if (rf) fclose(rf);
    free(rep);
    Py_XDECREF(kstate);
    Py_XDECREF(kout);
    Py_XDECREF(kmodel);
    return res;
}

PyMethodDef nmpy_linkage_functions[] = {
    {"_link", py_link, METH_VARARGS,
     "_link(left, right, model, out, threads, threshold, block_cap, maps_left, maps_right, None, progress) -> (stats, report)"},
    {"_dedupe", py_dedupe, METH_VARARGS,
     "_dedupe(data, None, model, out, threads, threshold, block_cap, maps, (), pairs_out, progress) -> (stats, report)"},
    {"_train", py_train, METH_VARARGS,
     "_train(registry, left, right, model, seed, random_pairs, labels, threads, maps_left, maps_right, progress)"},
    {"_resolve", py_resolve, METH_VARARGS,
     "_resolve(data, state, out, model, deletes, full, all, threads, block_cap, progress) -> (stats, report)"},
    {NULL, NULL, 0, NULL}};
