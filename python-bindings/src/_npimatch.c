/* _npimatch.c - module init, exceptions and the chunked run loop of the
 * npimatch C extension (see nmpy.h for the file map). */
#include "nmpy.h"
#include "npimatch.h"

PyObject *nmpy_Error;
PyObject *nmpy_ClosedError;

/* Engine status codes with their own exception class (a subclass of
 * NpimatchError); the rest raise NpimatchError itself. */
static struct {
    int code;
    const char *name;
    PyObject *cls;
} err_classes[] = {
    {NM_E_IO, "NpimatchIOError", NULL},          {NM_E_FORMAT, "FormatError", NULL},
    {NM_E_CORRUPT, "CorruptError", NULL},        {NM_E_VERSION, "VersionError", NULL},
    {NM_E_BADROWS, "BadRowsError", NULL},        {NM_E_NOTFOUND, "NotFoundError", NULL},
    {NM_E_UNSUPPORTED, "UnsupportedError", NULL},
};
#define N_ERR_CLASSES (sizeof err_classes / sizeof err_classes[0])

PyObject *nmpy_raise(int code, const nm_err *err) {
    if (code == NM_E_NOMEM) return PyErr_NoMemory();
    if (code == NM_E_INTERRUPTED || code == NM_E_CANCELLED) {
        PyErr_SetNone(PyExc_KeyboardInterrupt);
        return NULL;
    }
    PyObject *cls = nmpy_Error;
    for (size_t i = 0; i < N_ERR_CLASSES; i++)
        if (err_classes[i].code == code) cls = err_classes[i].cls;
    const char *msg = (err && err->msg[0]) ? err->msg : nm_strerror(code);
    PyObject *exc = PyObject_CallFunction(cls, "s", msg);
    if (!exc) return NULL;
    PyObject *c = PyLong_FromLong(code);
    if (c) {
        PyObject_SetAttrString(exc, "code", c);
        Py_DECREF(c);
    }
    PyErr_SetObject(cls, exc);
    Py_DECREF(exc);
    return NULL;
}

const char *nmpy_fs_path(PyObject *s, PyObject **keep) {
    *keep = NULL;
    if (!PyUnicode_Check(s)) {
        PyErr_SetString(PyExc_TypeError, "paths must be str");
        return NULL;
    }
    *keep = PyUnicode_EncodeFSDefault(s);
    return *keep ? PyBytes_AsString(*keep) : NULL;
}

/* Rows per chunk: small enough that the slowest kernel (address
 * normalization, a few microseconds per row) returns to the interpreter well
 * within a second, large enough that dropping and retaking the GIL costs
 * nothing measurable. Below NMPY_GIL_MIN rows the GIL is kept: releasing it
 * costs more than the work. */
#define NMPY_CHUNK (1u << 16)
#define NMPY_GIL_MIN 2048u

static const char PROGRESS_KEY[] = "npimatch.progress";

/* The calling thread's progress hook (borrowed), or NULL. */
static PyObject *progress_hook(void) {
    PyObject *d = PyThreadState_GetDict();
    return d ? PyDict_GetItemString(d, PROGRESS_KEY) : NULL;
}

/* _set_progress_hook(callable | None) -> previous hook (or None). */
static PyObject *set_progress_hook(PyObject *self, PyObject *hook) {
    PyObject *d = PyThreadState_GetDict();
    if (!d) {
        PyErr_SetString(PyExc_RuntimeError, "no thread state dict");
        return NULL;
    }
    if (hook != Py_None && !PyCallable_Check(hook)) {
        PyErr_SetString(PyExc_TypeError, "the progress hook must be callable or None");
        return NULL;
    }
    PyObject *prev = PyDict_GetItemString(d, PROGRESS_KEY);
    prev = prev ? Py_NewRef(prev) : Py_NewRef(Py_None);
    int rc = hook == Py_None ? (PyDict_GetItemString(d, PROGRESS_KEY) ? PyDict_DelItemString(d, PROGRESS_KEY) : 0)
                             : PyDict_SetItemString(d, PROGRESS_KEY, hook);
    if (rc < 0) {
        Py_DECREF(prev);
        return NULL;
    }
    return prev;
}

int nmpy_run(size_t n, nmpy_chunk_fn fn, void *ctx) {
    int nomem = 0, rc = 0;
    /* Only calls long enough to take several chunks report progress: a bar
     * for one chunk would flash and vanish. A strong reference: the hook may
     * replace itself while it runs. */
    PyObject *hook = n > NMPY_CHUNK ? progress_hook() : NULL;
    Py_XINCREF(hook);
    for (size_t lo = 0; lo < n; lo += NMPY_CHUNK) {
        size_t hi = n - lo > NMPY_CHUNK ? lo + NMPY_CHUNK : n;
        if (n >= NMPY_GIL_MIN) {
            Py_BEGIN_ALLOW_THREADS
            fn(ctx, lo, hi, &nomem);
            Py_END_ALLOW_THREADS
        } else {
            fn(ctx, lo, hi, &nomem);
        }
        if (nomem) {
            PyErr_NoMemory();
            rc = -1;
            break;
        }
        if (PyErr_CheckSignals() < 0) {
            rc = -1;
            break;
        }
        if (hook) {
            PyObject *r = PyObject_CallFunction(hook, "nn", (Py_ssize_t)hi, (Py_ssize_t)n);
            if (!r) {
                rc = -1;
                break;
            }
            Py_DECREF(r);
        }
    }
    Py_XDECREF(hook);
    return rc;
}

static PyObject *simd_level(PyObject *self, PyObject *unused) {
    return PyUnicode_FromString(nm_simd_name(nm_simd_active()));
}

static PyMethodDef module_methods[] = {
    {"simd_level", simd_level, METH_NOARGS, "The SIMD level the engine's kernels use (scalar, avx2, avx512)."},
    {"_set_progress_hook", set_progress_hook, METH_O,
     "_set_progress_hook(hook) -> previous: hook(done, total) is called between chunks of long calls in this thread."},
    {NULL, NULL, 0, NULL}};

static struct PyModuleDef moddef = {
    PyModuleDef_HEAD_INIT, "_npimatch",
    "npimatch C extension: vectorised comparators, normalizers and the NPPES registry.", -1, NULL,
    NULL, NULL, NULL, NULL};


PyMODINIT_FUNC PyInit__npimatch(void) {
    PyObject *m = PyModule_Create(&moddef);
    if (!m) return NULL;
    if (PyModule_AddFunctions(m, module_methods) < 0 || PyModule_AddFunctions(m, nmpy_kernel_methods) < 0 ||
        PyModule_AddFunctions(m, nmpy_registry_functions) < 0 || PyModule_AddFunctions(m, nmpy_model_functions) < 0 ||
        PyModule_AddFunctions(m, nmpy_matcher_functions) < 0 ||
        PyModule_AddFunctions(m, nmpy_evalgen_functions) < 0 || PyModule_AddFunctions(m, nmpy_table_functions) < 0 ||
        PyModule_AddFunctions(m, nmpy_linkage_functions) < 0)
        goto fail;

    nmpy_Error = PyErr_NewExceptionWithDoc("npimatch.NpimatchError",
                                           "An error reported by the npimatch engine; .code is the NM_E_* status.",
                                           NULL, NULL);
    if (!nmpy_Error) goto fail;
    Py_INCREF(nmpy_Error);
    if (PyModule_AddObject(m, "NpimatchError", nmpy_Error) < 0) goto fail;
    for (size_t i = 0; i < N_ERR_CLASSES; i++) {
        char qual[96];
        snprintf(qual, sizeof qual, "npimatch.%s", err_classes[i].name);
        err_classes[i].cls = PyErr_NewException(qual, nmpy_Error, NULL);
        if (!err_classes[i].cls) goto fail;
        Py_INCREF(err_classes[i].cls);
        if (PyModule_AddObject(m, err_classes[i].name, err_classes[i].cls) < 0) goto fail;
    }
    nmpy_ClosedError = PyErr_NewExceptionWithDoc("npimatch.RegistryClosedError",
                                                 "The registry was closed; load or build it again.", nmpy_Error, NULL);
    if (!nmpy_ClosedError) goto fail;
    Py_INCREF(nmpy_ClosedError);
    if (PyModule_AddObject(m, "RegistryClosedError", nmpy_ClosedError) < 0) goto fail;
    if (nmpy_column_init_type(m) < 0 || nmpy_registry_init_type(m) < 0 || nmpy_model_init_type(m) < 0 ||
        nmpy_matcher_init_type(m) < 0 || nmpy_table_init_types(m) < 0)
        goto fail;
    /* NM_E_* codes as module constants, for matching on err.code. */
#define NM_X_CONST(name, value, text) \
    if (PyModule_AddIntConstant(m, #name, value) < 0) goto fail;
    NM_ERROR_LIST(NM_X_CONST)
#undef NM_X_CONST
    return m;
fail:
    Py_DECREF(m);
    return NULL;
}
