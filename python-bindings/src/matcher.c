/* matcher.c - the _Matcher type: an nm_matcher (npimatch/match.h) over a
 * _Registry and a _Model. Building it (field extraction, one index per
 * blocking rule, term frequencies) is the expensive part, so one matcher
 * serves many match_file calls. The matcher borrows the registry: it holds
 * the registry object and keeps it acquired (close() refuses) until the
 * matcher is closed or freed. The model is copied by the engine. */
#include "nmpy.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "common/diag.h"
#include "common/error_internal.h"
#include "match/matcher.h"
#include "npimatch/match.h"
#include "npimatch/registry.h"

typedef struct {
    PyObject_HEAD
    nm_matcher *mt;
    PyObject *reg;   /* the _Registry, acquired while mt lives */
    int busy;        /* match_file calls running without the GIL */
} MatcherObject;

static PyTypeObject *MatcherType;

static void matcher_release(MatcherObject *o) {
    nm_matcher_free(o->mt);
    o->mt = NULL;
    if (o->reg) {
        nmpy_registry_release(o->reg);
        Py_CLEAR(o->reg);
    }
}

static void matcher_dealloc(PyObject *self) {
    PyTypeObject *tp = Py_TYPE(self);
    matcher_release((MatcherObject *)self);
    PyObject_Free(self);
    Py_DECREF(tp);
}

/* _matcher_create(registry, model, threads, block_cap, match_probability,
 *                 ambiguity_gap_bits, keep_lambda) -> _Matcher
 * Negative probabilities / gaps mean "the model's". */
static PyObject *py_matcher_create(PyObject *self, PyObject *args) {
    PyObject *oreg, *omod;
    int threads, keep_lambda;
    unsigned int cap;
    double mp, gap;
    if (!PyArg_ParseTuple(args, "OOiIddp", &oreg, &omod, &threads, &cap, &mp, &gap, &keep_lambda)) return NULL;
    nm_model *m = nmpy_model_of(omod);
    if (!m) return NULL;
    nm_registry *r = nmpy_registry_acquire(oreg);
    if (!r) return NULL;
    nm_match_opts o;
    memset(&o, 0, sizeof o);
    o.threads = threads;
    o.block_cap = cap;
    o.match_probability = mp;
    o.ambiguity_gap_bits = gap;
    o.keep_lambda = keep_lambda;
    nm_err err;
    nm_err_clear(&err);
    nm_matcher *mt = NULL;
    int rc;
    Py_BEGIN_ALLOW_THREADS
    rc = nm_matcher_create(r, m, &o, &mt, &err);
    Py_END_ALLOW_THREADS
    if (rc != 0) {
        nm_matcher_free(mt);
        nmpy_registry_release(oreg);
        return nmpy_raise(rc, &err);
    }
    MatcherObject *mo = PyObject_New(MatcherObject, MatcherType);
    if (!mo) {
        nm_matcher_free(mt);
        nmpy_registry_release(oreg);
        return NULL;
    }
    mo->mt = mt;
    mo->busy = 0;
    mo->reg = Py_NewRef(oreg);
    return (PyObject *)mo;
}

static PyObject *stats_dict(const nm_match_stats *s) {
    return Py_BuildValue("{sKsKsKsKsKsKsKsdsd}", "records", (unsigned long long)s->records, "matched",
                         (unsigned long long)s->matched, "ambiguous", (unsigned long long)s->ambiguous, "unmatched",
                         (unsigned long long)s->unmatched, "rejected", (unsigned long long)s->rejected,
                         "matched_by_rule", (unsigned long long)s->matched_by_rule, "pairs",
                         (unsigned long long)s->pairs, "seconds_read", s->seconds_read, "seconds_match",
                         s->seconds_match);
}

/* match_file(input, output, maps: tuple[str], progress=None) -> (stats: dict, report: str)
 * match_data(data: _CsvData | _ColData, output, maps, progress=None) -> (stats, report)
 * The report holds the bad-row lines ("file:line:col: reason", never field
 * contents) and the run summary, collected in memory for notebooks. With
 * `blocking`, the result is (stats, report, rules): per blocking rule its
 * name, pairs, skipped blocks, keys and largest blocks (npimatch match --stats). */
static PyObject *run_match(MatcherObject *mo, PyObject *args, int from_data, int blocking) {
    PyObject *oin, *oout, *omaps, *oprog = Py_None;
    if (!PyArg_ParseTuple(args, from_data ? "OUO!|O" : "UUO!|O", &oin, &oout, &PyTuple_Type, &omaps, &oprog))
        return NULL;
    if (!mo->mt) {
        PyErr_SetString(nmpy_ClosedError, "the matcher is closed");
        return NULL;
    }
    size_t dlen = 0;
    const char *data = NULL;
    const nm_columns *cols = from_data ? nmpy_coldata(oin) : NULL;
    if (from_data && !cols && !(data = nmpy_csvdata(oin, &dlen))) return NULL;
    PyObject *kin = from_data ? NULL : PyUnicode_EncodeFSDefault(oin), *kout = PyUnicode_EncodeFSDefault(oout);
    Py_ssize_t nmap = PyTuple_Size(omaps);
    const char **maps = calloc((size_t)nmap + 1, sizeof *maps);
    PyObject *res = NULL;
    char *rep = NULL;
    size_t replen = 0;
    FILE *rf = NULL;
    if ((!from_data && !kin) || !kout || !maps) {
        if (!PyErr_Occurred()) PyErr_NoMemory();
        goto done;
    }
    for (Py_ssize_t i = 0; i < nmap; i++) {
        maps[i] = PyUnicode_AsUTF8AndSize(PyTuple_GetItem(omaps, i), NULL);
        if (!maps[i]) goto done;
    }
    rf = open_memstream(&rep, &replen);
    if (!rf) {
        PyErr_NoMemory();
        goto done;
    }
    nm_match_file_opts fo = {maps, (size_t)nmap};
    nm_match_stats st;
    memset(&st, 0, sizeof st);
    nm_err err;
    nm_err_clear(&err);
    int rc;
    const char *in = from_data ? "data" : PyBytes_AsString(kin), *out = PyBytes_AsString(kout);
    nmpy_progress *pg = nmpy_progress_of(oprog);
    /* The GIL is released: another thread must not free the matcher under
     * this call (close() refuses while busy; the caller's reference keeps
     * the object alive). */
    nm_matcher *mt = mo->mt;
    mo->busy++;
    Py_BEGIN_ALLOW_THREADS
    if (cols) NMPY_WITH_PROGRESS(pg, rc = nm_match_columns(mt, cols, out, &fo, &st, rf, &err));
    else NMPY_WITH_PROGRESS(pg, rc = nm_match_data(mt, in, data, dlen, out, &fo, &st, rf, &err));
    if (rc == 0) nm_match_stats_print(mt, &st, blocking, rf);
    Py_END_ALLOW_THREADS
    mo->busy--;
    fclose(rf);
    rf = NULL;
    if (rc != 0) {
        nmpy_raise(rc, &err);
        goto done;
    }
    PyObject *sd = stats_dict(&st);
    PyObject *rs = PyUnicode_DecodeUTF8(rep ? rep : "", (Py_ssize_t)replen, "replace");
    PyObject *rules = blocking ? PyList_New(0) : NULL;
    for (size_t i = 0; rules && i < mt->ix.nrules; i++) {
        const nm_rule_index *ri = &mt->ix.r[i];
        PyObject *top = PyList_New(0);
        for (int k = 0; top && k < NM_INDEX_TOP && ri->top[k]; k++) {
            PyObject *v = PyLong_FromUnsignedLong(ri->top[k]);
            if (!v || PyList_Append(top, v) < 0) Py_CLEAR(top);
            Py_XDECREF(v);
        }
        PyObject *d = top ? Py_BuildValue("{sssKsKsnsN}", "rule", ri->rule->name, "pairs",
                                          (unsigned long long)st.rule_pairs[i], "blocks_skipped",
                                          (unsigned long long)st.rule_skipped[i], "keys", (Py_ssize_t)ri->nkeys,
                                          "largest_blocks", top)
                          : NULL;
        if (!d || PyList_Append(rules, d) < 0) Py_CLEAR(rules);
        Py_XDECREF(d);
    }
    if (sd && rs && (!blocking || rules)) res = blocking ? PyTuple_Pack(3, sd, rs, rules) : PyTuple_Pack(2, sd, rs);
    Py_XDECREF(sd);
    Py_XDECREF(rs);
    Py_XDECREF(rules);
done:
    if (rf) fclose(rf);
    free(rep);
    free(maps);
    Py_XDECREF(kin);
    Py_XDECREF(kout);
    return res;
}

static PyObject *matcher_match_file(PyObject *self, PyObject *args) {
    return run_match((MatcherObject *)self, args, 0, 0);
}
static PyObject *matcher_match_data(PyObject *self, PyObject *args) {
    return run_match((MatcherObject *)self, args, 1, 0);
}
static PyObject *matcher_blocking_stats(PyObject *self, PyObject *args) {
    return run_match((MatcherObject *)self, args, 1, 1);
}

/* explain(csv: bytes, npi: int, maps: tuple[str]) -> (steps, explanation)
 * One record (a CSV with a header and one row, read exactly as match reads
 * its input) against one registry NPI, whether or not blocking would have
 * found it: its comparison vector, the query's term frequencies and the
 * waterfall of the matcher's model (prior 1/N unless keep_lambda), so the
 * final weight is the match_weight the matcher gives that pair. Raises
 * NotFoundError for an NPI not in the registry, ValueError for a rejected
 * row (the reason is an engine code, never field contents). */
static PyObject *matcher_explain(PyObject *self, PyObject *args) {
    MatcherObject *mo = (MatcherObject *)self;
    const char *data;
    Py_ssize_t len;
    unsigned long long npi;
    PyObject *omaps;
    if (!PyArg_ParseTuple(args, "y#KO!", &data, &len, &npi, &PyTuple_Type, &omaps)) return NULL;
    if (!mo->mt) {
        PyErr_SetString(nmpy_ClosedError, "the matcher is closed");
        return NULL;
    }
    const nm_matcher *mt = mo->mt;
    int64_t row = nm_registry_find(mt->reg, npi);
    if (row < 0) {
        nm_err e;
        nm_err_clear(&e);
        nm_err_set(&e, NM_E_NOTFOUND, "NPI %010llu is not in the registry", npi);
        return nmpy_raise(NM_E_NOTFOUND, &e);
    }
    Py_ssize_t nmap = PyTuple_Size(omaps);
    const char *maps[64];
    if (nmap > 64) {
        PyErr_SetString(PyExc_ValueError, "at most 64 column mappings");
        return NULL;
    }
    for (Py_ssize_t i = 0; i < nmap; i++)
        if (!(maps[i] = PyUnicode_AsUTF8AndSize(PyTuple_GetItem(omaps, i), NULL))) return NULL;
    nm_input in;
    memset(&in, 0, sizeof in);
    nm_input_opts io = {maps, (size_t)nmap, 1, NULL, 0};
    nm_err err;
    nm_err_clear(&err);
    nm_mworker w;
    memset(&w, 0, sizeof w);
    PyObject *res = NULL;
    int rc = nm_input_read_memory(&in, data, (size_t)len, mt->m, &io, &err);
    if (rc == 0 && in.t.n != 1) {
        PyErr_Format(PyExc_ValueError, "expected one record, got %zu", (size_t)in.t.n);
        goto done;
    }
    if (rc == 0 && in.reason.v[0] != NM_R_COUNT) {
        PyErr_Format(PyExc_ValueError, "the record is rejected: %s", nm_reason_text((nm_reason)in.reason.v[0]));
        goto done;
    }
    if (rc == 0) rc = nm_mworker_init(&w, mt);
    uint8_t vec[NM_MAX_COMPARISONS];
    uint32_t r32 = (uint32_t)row;
    if (rc == 0) rc = nm_compare_pairs(mt->m, &mt->plan, &in.t, 0, &mt->rows, &r32, 1, &w.cs, vec);
    if (rc != 0) {
        nmpy_raise(rc, &err);
        goto done;
    }
    nm_query_tf(mt, &w, &in.t, 0);
    res = nmpy_explain_tuple(mt->m, vec, w.tf);
done:
    nm_mworker_free(&w);
    nm_input_free(&in);
    return res;
}

static PyObject *matcher_close(PyObject *self, PyObject *unused) {
    if (((MatcherObject *)self)->busy) {
        PyErr_SetString(PyExc_RuntimeError, "the matcher is in use by a running call");
        return NULL;
    }
    matcher_release((MatcherObject *)self);
    Py_RETURN_NONE;
}

static PyObject *matcher_closed(PyObject *self, void *unused) {
    return PyBool_FromLong(((MatcherObject *)self)->mt == NULL);
}

static PyMethodDef matcher_methods[] = {
    {"match_file", matcher_match_file, METH_VARARGS, "match_file(input, output, maps, progress=None) -> (stats, report)"},
    {"match_data", matcher_match_data, METH_VARARGS, "match_data(data, output, maps, progress=None) -> (stats, report)"},
    {"blocking_stats", matcher_blocking_stats, METH_VARARGS,
     "blocking_stats(data, output, maps, progress=None) -> (stats, report, rules)"},
    {"explain", matcher_explain, METH_VARARGS, "explain(csv, npi, maps) -> (steps, explanation)"},
    {"close", matcher_close, METH_NOARGS, "Free the matcher and release its registry."},
    {NULL, NULL, 0, NULL}};

static PyGetSetDef matcher_getset[] = {
    {"closed", matcher_closed, NULL, "True after close()", NULL}, {NULL, NULL, NULL, NULL, NULL}};

static PyType_Slot matcher_slots[] = {
    {Py_tp_dealloc, matcher_dealloc},
    {Py_tp_methods, matcher_methods},
    {Py_tp_getset, matcher_getset},
    {Py_tp_doc, (void *)"An HCP-to-NPI matcher held by the engine (use npimatch.Matcher)."},
    {0, NULL}};

static PyType_Spec matcher_spec = {
    .name = "npimatch._npimatch._Matcher",
    .basicsize = sizeof(MatcherObject),
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_DISALLOW_INSTANTIATION,
    .slots = matcher_slots,
};

int nmpy_matcher_init_type(PyObject *module) {
    MatcherType = (PyTypeObject *)PyType_FromSpec(&matcher_spec);
    if (!MatcherType) return -1;
    Py_INCREF((PyObject *)MatcherType);
    return PyModule_AddObject(module, "_Matcher", (PyObject *)MatcherType);
}

PyMethodDef nmpy_matcher_functions[] = {
    {"_matcher_create", py_matcher_create, METH_VARARGS,
     "_matcher_create(registry, model, threads, block_cap, match_probability, ambiguity_gap_bits, keep_lambda)"},
    {NULL, NULL, 0, NULL}};
