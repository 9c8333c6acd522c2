/* npimatch eval: metrics of NPI matching and person resolution against
 * generated truth (see eval.h for the definitions). Inputs are read with the
 * project's CSV reader, sequentially (they are the size of a customer file);
 * malformed input stops with "file:line:col: reason". */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "common/error_internal.h"
#include "common/hash.h"
#include "common/io.h"
#include "common/json.h"
#include "eval/eval.h"
#include "ingest/csv.h"

/* ---- metrics --------------------------------------------------------------------------- */
nm_eval_prf nm_eval_prf_make(uint64_t tp, uint64_t fp, uint64_t fn) {
    nm_eval_prf m = {tp, fp, fn, 0, 0, 0};
    m.precision = tp + fp ? (double)tp / (double)(tp + fp) : 0;
    m.recall = tp + fn ? (double)tp / (double)(tp + fn) : 0;
    m.f1 = m.precision + m.recall > 0 ? 2 * m.precision * m.recall / (m.precision + m.recall) : 0;
    return m;
}

int nm_eval_bin_of(double c) {
    int b = (int)floor(c * NM_EVAL_BINS);
    return b < 0 ? 0 : b >= NM_EVAL_BINS ? NM_EVAL_BINS - 1 : b;
}

static uint64_t pairs(uint64_t n) { return n * (n - (n > 0)) / 2; }

static int cmp_u64(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

/* The contingency table as sorted (true, predicted) keys: cells are runs of
 * equal keys; row sums a_i and column sums b_j are counted first. */
int nm_eval_clusters_compute(const uint32_t *truth, const uint32_t *pred, size_t n, nm_eval_clusters *out,
                             uint8_t *right) {
    memset(out, 0, sizeof *out);
    out->records = n;
    if (!n) return 0;
    uint32_t tmax = 0, pmax = 0;
    for (size_t i = 0; i < n; i++) tmax = NM_MAX(tmax, truth[i]), pmax = NM_MAX(pmax, pred[i]);
    uint64_t *key = malloc(n * sizeof *key);
    uint64_t *a = calloc((size_t)tmax + 1, sizeof *a), *b = calloc((size_t)pmax + 1, sizeof *b);
    uint32_t *tcells = calloc((size_t)tmax + 1, sizeof *tcells), *pcells = calloc((size_t)pmax + 1, sizeof *pcells);
    uint32_t *major = malloc(((size_t)pmax + 1) * sizeof *major);
    uint64_t *majn = calloc((size_t)pmax + 1, sizeof *majn);
    if (!key || !a || !b || !tcells || !pcells || !major || !majn) {
        free(key), free(a), free(b), free(tcells), free(pcells), free(major), free(majn);
        return NM_E_NOMEM;
    }
    for (size_t i = 0; i < n; i++) {
        key[i] = (uint64_t)truth[i] << 32 | pred[i];
        a[truth[i]]++;
        b[pred[i]]++;
    }
    qsort(key, n, sizeof *key, cmp_u64);
    double b3p = 0, b3r = 0;
    for (size_t i = 0; i < n;) {
        size_t j = i;
        while (j < n && key[j] == key[i]) j++;
        uint64_t nij = j - i;
        uint32_t t = (uint32_t)(key[i] >> 32), p = (uint32_t)key[i];
        out->tp_pairs += pairs(nij);
        b3p += (double)nij * (double)nij / (double)b[p];
        b3r += (double)nij * (double)nij / (double)a[t];
        tcells[t]++;
        pcells[p]++;
        /* Keys ascend by true id, so the first strict maximum is the smallest id. */
        if (nij > majn[p]) majn[p] = nij, major[p] = t;
        i = j;
    }
    for (uint32_t t = 0; t <= tmax; t++)
        if (a[t]) {
            out->true_persons++;
            out->true_pairs += pairs(a[t]);
            out->split += tcells[t] > 1;
        }
    for (uint32_t p = 0; p <= pmax; p++)
        if (b[p]) {
            out->clusters++;
            out->pred_pairs += pairs(b[p]);
            out->over_merged += pcells[p] > 1;
            out->right += majn[p];
        }
    if (right)
        for (size_t i = 0; i < n; i++) right[i] = major[pred[i]] == truth[i];
    out->pairwise = nm_eval_prf_make(out->tp_pairs, out->pred_pairs - out->tp_pairs, out->true_pairs - out->tp_pairs);
    out->b3_precision = b3p / (double)n;
    out->b3_recall = b3r / (double)n;
    double s = out->b3_precision + out->b3_recall;
    out->b3_f1 = s > 0 ? 2 * out->b3_precision * out->b3_recall / s : 0;
    free(key), free(a), free(b), free(tcells), free(pcells), free(major), free(majn);
    return 0;
}

/* ---- string keys -> dense ids ------------------------------------------------------------ */
typedef struct smap {
    nm_buf keys;
    NM_VEC(uint64_t) off;     /* n + 1 offsets into keys */
    uint32_t *slots, mask;    /* id + 1 */
} smap;

static void smap_free(smap *m) {
    nm_buf_free(&m->keys);
    NM_VEC_FREE(&m->off);
    free(m->slots);
}
static size_t smap_n(const smap *m) { return m->off.n ? m->off.n - 1 : 0; }

static int smap_grow(smap *m) {
    uint32_t cap = m->slots ? (m->mask + 1) * 2 : 1024;
    uint32_t *s = calloc(cap, sizeof *s);
    if (!s) return NM_E_NOMEM;
    for (size_t id = 0; id < smap_n(m); id++) {
        uint64_t a = m->off.v[id];
        uint32_t h = (uint32_t)nm_hash64(m->keys.data + a, m->off.v[id + 1] - a, 0) & (cap - 1);
        while (s[h]) h = (h + 1) & (cap - 1);
        s[h] = (uint32_t)id + 1;
    }
    free(m->slots);
    m->slots = s;
    m->mask = cap - 1;
    return 0;
}

/* Id of key (inserting it when `insert`); -1 when absent, NM_E_NOMEM. *added
 * says whether it was new. */
static int64_t smap_id(smap *m, const char *k, size_t n, int insert, int *added) {
    if (added) *added = 0;
    if (!m->slots) {
        if (!insert) return -1;
        if (smap_grow(m) || NM_VEC_PUSH(&m->off, 0)) return NM_E_NOMEM;
    }
    uint32_t h = (uint32_t)nm_hash64(k, n, 0) & m->mask;
    for (;; h = (h + 1) & m->mask) {
        uint32_t v = m->slots[h];
        if (!v) break;
        uint64_t a = m->off.v[v - 1], b = m->off.v[v];
        if (b - a == n && !memcmp(m->keys.data + a, k, n)) return v - 1;
    }
    if (!insert) return -1;
    size_t id = smap_n(m);
    if (nm_buf_append(&m->keys, k, n) || NM_VEC_PUSH(&m->off, m->keys.len)) return NM_E_NOMEM;
    m->slots[h] = (uint32_t)id + 1;
    if (added) *added = 1;
    if ((id + 1) * 2 > m->mask) NM_TRY(smap_grow(m));
    return (int64_t)id;
}
static const char *smap_key(const smap *m, size_t id, size_t *n) {
    *n = m->off.v[id + 1] - m->off.v[id];
    return m->keys.data + m->off.v[id];
}

/* ---- CSV input with named columns ------------------------------------------------------------ */
enum { MAXCOL = 12 };
typedef struct tab {
    nm_csv *c;
    const char *path;
    int col[MAXCOL];
    int ncol;
    nm_csv_row row;
    char val[MAXCOL][2048];
    size_t len[MAXCOL];
} tab;

/* Open and find columns; names[i] ending in '?' are optional (col -1 when
 * absent), others are required. */
static int tab_open(tab *t, const char *path, const char *const *names, int n, nm_err *err) {
    memset(t->col, -1, sizeof t->col);
    t->path = path;
    t->ncol = n;
    NM_TRY(nm_csv_open(path, NULL, &t->c, err));
    for (int i = 0; i < n; i++) {
        char nm[64];
        size_t l = strlen(names[i]);
        int opt = names[i][l - 1] == '?';
        snprintf(nm, sizeof nm, "%.*s", (int)(l - opt), names[i]);
        t->col[i] = nm_csv_find_column(t->c, nm);
        if (t->col[i] < 0 && !opt) {
            nm_csv_close(t->c);
            t->c = NULL;
            return nm_err_set(err, NM_E_FORMAT, "%s:1:1: missing column '%s'", path, nm);
        }
    }
    return 0;
}

/* Next row: 1, 0 at the end, or an error naming the line and column. */
static int tab_next(tab *t, nm_err *err) {
    int rc = nm_csv_next(t->c, &t->row, err);
    if (rc <= 0) return rc;
    const nm_csv_row *r = &t->row;
    if (r->error != NM_R_COUNT)
        return nm_err_set(err, NM_E_FORMAT, "%s:%llu:%u: %s", t->path, (unsigned long long)r->line, r->error_col,
                          nm_reason_text((nm_reason)r->error));
    if (r->nfields != nm_csv_ncols(t->c)) {
        uint32_t col = r->nfields ? r->f[NM_MIN(r->nfields, nm_csv_ncols(t->c)) - 1].col : 1;
        return nm_err_set(err, NM_E_FORMAT, "%s:%llu:%u: wrong number of fields (%u, header has %u)", t->path,
                          (unsigned long long)r->line, col, r->nfields, nm_csv_ncols(t->c));
    }
    for (int i = 0; i < t->ncol; i++) {
        t->len[i] = 0;
        t->val[i][0] = 0;
        if (t->col[i] < 0) continue;
        const nm_csv_field *f = &r->f[t->col[i]];
        t->len[i] = nm_csv_unescape(f, t->val[i], sizeof t->val[i]);
        /* Trim the spaces spreadsheets leave around values. */
        char *v = t->val[i];
        size_t a = 0, b = t->len[i];
        while (a < b && v[a] == ' ') a++;
        while (b > a && v[b - 1] == ' ') b--;
        memmove(v, v + a, b - a);
        v[b - a] = 0;
        t->len[i] = b - a;
    }
    return 1;
}

static int tab_bad(const tab *t, int i, nm_err *err, const char *what) {
    uint32_t col = t->col[i] >= 0 ? t->row.f[t->col[i]].col : 1;
    return nm_err_set(err, NM_E_FORMAT, "%s:%llu:%u: %s", t->path, (unsigned long long)t->row.line, col, what);
}

static void tab_close(tab *t) {
    if (t->c) nm_csv_close(t->c);
    t->c = NULL;
}

/* An NPI value: empty (0) or 10 digits. */
static int get_npi(const tab *t, int i, uint64_t *out, nm_err *err) {
    *out = 0;
    if (!t->len[i]) return 0;
    if (t->len[i] != 10) return tab_bad(t, i, err, "NPI is not 10 digits");
    for (int k = 0; k < 10; k++) {
        char c = t->val[i][k];
        if (c < '0' || c > '9') return tab_bad(t, i, err, "NPI is not 10 digits");
        *out = *out * 10 + (uint64_t)(c - '0');
    }
    return 0;
}

/* A confidence in [0, 1]; empty is 0. */
static int get_conf(const tab *t, int i, double *out, nm_err *err) {
    *out = 0;
    if (i < 0 || t->col[i] < 0 || !t->len[i]) return 0;
    char *end;
    *out = strtod(t->val[i], &end);
    if (*end || !(*out >= 0 && *out <= 1)) return tab_bad(t, i, err, "confidence is not a number from 0 to 1");
    return 0;
}

/* ---- worst cases ------------------------------------------------------------------------------- */
typedef struct cand {
    double conf;
    uint64_t seq;           /* input order, to break ties deterministically */
    const char *id, *status, *expl;
} cand;
typedef NM_VEC(cand) candvec;

static int cmp_desc(const void *a, const void *b) {
    const cand *x = a, *y = b;
    if (x->conf != y->conf) return x->conf < y->conf ? 1 : -1;
    return (x->seq > y->seq) - (x->seq < y->seq);
}
static int cmp_asc(const void *a, const void *b) {
    const cand *x = a, *y = b;
    if (x->conf != y->conf) return x->conf < y->conf ? -1 : 1;
    return (x->seq > y->seq) - (x->seq < y->seq);
}

static int keep_worst(candvec *v, size_t keep, int desc, nm_arena *a, nm_eval_case **out, size_t *n) {
    if (v->n) qsort(v->v, v->n, sizeof *v->v, desc ? cmp_desc : cmp_asc);
    *n = NM_MIN(keep, v->n);
    *out = nm_arena_alloc(a, (*n + 1) * sizeof **out);
    if (!*out) return NM_E_NOMEM;
    for (size_t i = 0; i < *n; i++)
        (*out)[i] = (nm_eval_case){v->v[i].id, v->v[i].status, v->v[i].expl, v->v[i].conf};
    return 0;
}

static const char *dup(nm_arena *a, const char *s) { return nm_arena_strndup(a, s, strlen(s)); }

/* ---- NPI matching ---------------------------------------------------------------------------------- */
enum { T_ID, T_NPI };
enum { M_ID, M_NPI, M_CONF, M_STATUS, M_RUNNER, M_EXPL, M_CAND, M_NCOLS };

static int read_stats(const nm_eval_opts *o, nm_eval_npi *e, const smap *ids, const uint64_t *truth, nm_err *err) {
    char *text;
    size_t len;
    NM_TRY(nm_read_all(o->stats, &text, &len, err));
    nm_arena a;
    nm_arena_init(&a, 1 << 16);
    nm_json *root;
    int rc = nm_json_parse(text, len, o->stats, &a, &root, err);
    const nm_json *rec = NULL, *pc = NULL, *sec = NULL, *cands = NULL;
    if (!rc && root->type != NM_JSON_OBJECT) rc = nm_err_set(err, NM_E_FORMAT, "%s:1:1: not a JSON object", o->stats);
    if (!rc) {
        rec = nm_json_get(root, "records");
        pc = nm_json_get(root, "pairs_compared");
        sec = nm_json_get(root, "seconds");
        cands = nm_json_get(root, "candidates");
        const nm_json *bad = NULL;
        if (!rec || rec->type != NM_JSON_NUMBER || rec->u.number < 0) bad = rec ? rec : root;
        else if (!pc || pc->type != NM_JSON_NUMBER || pc->u.number < 0) bad = pc ? pc : root;
        else if (sec && sec->type != NM_JSON_NUMBER) bad = sec;
        else if (cands && cands->type != NM_JSON_STRING) bad = cands;
        if (bad)
            rc = nm_err_set(err, NM_E_FORMAT, "%s:%u:%u: stats need numbers 'records' and 'pairs_compared' "
                            "(optional: number 'seconds', string 'candidates')", o->stats, bad->line, bad->col);
    }
    if (!rc) {
        e->have_stats = 1;
        e->stats_records = (uint64_t)rec->u.number;
        e->pairs_compared = (uint64_t)pc->u.number;
        e->seconds = sec ? sec->u.number : 0;
    }
    if (!rc && cands) {
        /* The candidate list's path is relative to the stats file. */
        char path[4096];
        const char *slash = strrchr(o->stats, '/');
        if (cands->u.str.s[0] == '/' || !slash) snprintf(path, sizeof path, "%s", cands->u.str.s);
        else snprintf(path, sizeof path, "%.*s/%s", (int)(slash - o->stats), o->stats, cands->u.str.s);
        static const char *const CN[] = {"record_id", "npi"};
        tab t;
        rc = tab_open(&t, path, CN, 2, err);
        uint8_t *found = rc ? NULL : calloc(smap_n(ids) + 1, 1);
        if (!rc && !found) rc = nm_err_set(err, NM_E_NOMEM, "eval: out of memory");
        while (!rc && (rc = tab_next(&t, err)) == 1) {
        rc = 0;
            uint64_t npi;
            rc = get_npi(&t, 1, &npi, err);
            int64_t id = rc ? -1 : smap_id((smap *)ids, t.val[0], t.len[0], 0, NULL);
            if (id >= 0 && npi && truth[id] == npi && !found[id]) found[id] = 1, e->blocking_found++;
        }
        if (!rc) e->have_blocking = 1;
        free(found);
        if (t.c) tab_close(&t);
    }
    nm_arena_free(&a);
    free(text);
    return rc;
}

int nm_eval_npi_run(const nm_eval_opts *o, nm_eval_npi *e, nm_err *err) {
    memset(e, 0, sizeof *e);
    nm_arena_init(&e->arena, 1 << 16);
    smap ids = {0};
    NM_VEC(uint64_t) truth = {0};
    uint8_t *seen = NULL;
    candvec fp = {0}, fn = {0};
    tab t = {0}, m = {0};
    uint64_t sw_tp[NM_EVAL_SWEEP] = {0}, sw_fp[NM_EVAL_SWEEP] = {0};
    double *conf_of = NULL;
    const char **expl_of = NULL, **status_of = NULL;
    static const char *const TN[] = {"record_id", "npi"};
    int rc = tab_open(&t, o->truth, TN, 2, err);
    while (!rc && (rc = tab_next(&t, err)) == 1) {
        rc = 0;
        uint64_t npi;
        int added;
        if ((rc = get_npi(&t, T_NPI, &npi, err))) break;
        if (!t.len[T_ID]) { rc = tab_bad(&t, T_ID, err, "empty record_id"); break; }
        int64_t id = smap_id(&ids, t.val[T_ID], t.len[T_ID], 1, &added);
        if (id < 0) { rc = nm_err_set(err, NM_E_NOMEM, "eval: out of memory"); break; }
        if (!added) { rc = tab_bad(&t, T_ID, err, "duplicate record_id"); break; }
        if (NM_VEC_PUSH(&truth, npi)) { rc = nm_err_set(err, NM_E_NOMEM, "eval: out of memory"); break; }
        e->records++;
        e->truth_with_npi += npi != 0;
    }
    tab_close(&t);
    e->truth_absent = e->records - e->truth_with_npi;
    size_t n = truth.n;
    if (!rc) {
        seen = calloc(n + 1, 1);
        conf_of = calloc(n + 1, sizeof *conf_of);
        expl_of = calloc(n + 1, sizeof *expl_of);
        status_of = calloc(n + 1, sizeof *status_of);
        if (!seen || !conf_of || !expl_of || !status_of) rc = nm_err_set(err, NM_E_NOMEM, "eval: out of memory");
    }
    static const char *const MN[] = {"record_id", "npi", "confidence", "status", "runner_up_npi?", "explanation?",
                                     "candidates?"};
    uint64_t cand_sum = 0;
    if (!rc) rc = tab_open(&m, o->matches, MN, M_NCOLS, err);
    uint64_t seq = 0;
    while (!rc && (rc = tab_next(&m, err)) == 1) {
        rc = 0;
        uint64_t npi, runner;
        double conf;
        if ((rc = get_npi(&m, M_NPI, &npi, err)) || (rc = get_npi(&m, M_RUNNER, &runner, err)) ||
            (rc = get_conf(&m, M_CONF, &conf, err)))
            break;
        if (m.col[M_CAND] >= 0 && m.len[M_CAND]) {
            /* Candidates scored for the record (optional column): pairs compared. */
            char *end;
            unsigned long long v = strtoull(m.val[M_CAND], &end, 10);
            if (*end || m.val[M_CAND][0] == '-') { rc = tab_bad(&m, M_CAND, err, "candidates is not a whole number"); break; }
            cand_sum += v;
        }
        e->rows++;
        int64_t id = smap_id(&ids, m.val[M_ID], m.len[M_ID], 0, NULL);
        if (id < 0) { e->unknown++; continue; }
        if (seen[id]) { rc = tab_bad(&m, M_ID, err, "duplicate record_id"); break; }
        seen[id] = 1;
        const char *st = m.val[M_STATUS];
        int matched = !strcmp(st, "matched");
        e->status_matched += matched;
        /* match writes matched / ambiguous / unmatched; "review" is read as ambiguous. */
        int amb = !strcmp(st, "ambiguous") || !strcmp(st, "review");
        e->status_ambiguous += amb;
        e->status_other += !matched && !amb;
        uint64_t tn = truth.v[id];
        int right = npi && npi == tn;
        if (matched && npi) {
            if (right) e->at_model.tp++;
            else if (tn) e->fp_wrong++;
            else e->fp_absent++;
        }
        if (tn && (right || (runner && runner == tn))) e->top2_found++;
        if (npi) {
            int b = (int)floor(conf * 100 + 1e-9);
            b = NM_MIN(b, NM_EVAL_SWEEP - 1);
            if (right) sw_tp[b]++;
            else sw_fp[b]++;
            nm_eval_bin *cb = &e->calib[nm_eval_bin_of(conf)];
            cb->count++;
            cb->right += (uint64_t)right;
            cb->conf_sum += conf;
        }
        conf_of[id] = conf;
        int is_fp = matched && npi && !right, is_fn = tn && !(matched && right);
        if (is_fp || is_fn) {
            expl_of[id] = dup(&e->arena, m.val[M_EXPL]);
            status_of[id] = dup(&e->arena, st);
            if (!expl_of[id] || !status_of[id]) { rc = nm_err_set(err, NM_E_NOMEM, "eval: out of memory"); break; }
        }
        if (is_fp) {
            cand c = {conf, seq, dup(&e->arena, m.val[M_ID]), status_of[id], expl_of[id]};
            if (!c.id || NM_VEC_PUSH(&fp, c)) { rc = nm_err_set(err, NM_E_NOMEM, "eval: out of memory"); break; }
        }
        seq++;
    }
    tab_close(&m);
    if (!rc) {
        e->at_model.fp = e->fp_wrong + e->fp_absent;
        e->at_model = nm_eval_prf_make(e->at_model.tp, e->at_model.fp, e->truth_with_npi - e->at_model.tp);
        /* Sweep: positives at threshold i/100 are the bins >= i. */
        uint64_t tp = 0, fpc = 0;
        for (int i = NM_EVAL_SWEEP - 1; i >= 0; i--) {
            tp += sw_tp[i];
            fpc += sw_fp[i];
            nm_eval_sweep *s = &e->sweep[i];
            s->threshold = i / 100.0;
            s->tp = tp;
            s->fp = fpc;
            s->m = nm_eval_prf_make(tp, fpc, e->truth_with_npi - tp);
        }
        for (int i = 1; i < NM_EVAL_SWEEP; i++)
            if (e->sweep[i].m.f1 > e->sweep[e->best].m.f1) e->best = i;
        /* Missed records (truth NPI not matched right), lowest confidence first. */
        for (size_t id = 0; id < n && !rc; id++) {
            if (!seen[id]) e->missing++;
            if (!truth.v[id] || (seen[id] && !expl_of[id])) continue;
            size_t kl;
            const char *k = smap_key(&ids, id, &kl);
            cand c = {conf_of[id], id, nm_arena_strndup(&e->arena, k, kl),
                      seen[id] ? status_of[id] : "absent", seen[id] ? expl_of[id] : "(no row in the matches file)"};
            if (!c.id || NM_VEC_PUSH(&fn, c)) rc = nm_err_set(err, NM_E_NOMEM, "eval: out of memory");
        }
    }
    size_t keep = o->worst;
    if (!rc && (keep_worst(&fp, keep, 1, &e->arena, &e->worst_fp, &e->nworst_fp) ||
                keep_worst(&fn, keep, 0, &e->arena, &e->worst_fn, &e->nworst_fn)))
        rc = nm_err_set(err, NM_E_NOMEM, "eval: out of memory");
    int cand_col = m.col[M_CAND] >= 0;
    if (!rc && o->stats) rc = read_stats(o, e, &ids, truth.v, err);
    else if (!rc && cand_col) {
        e->have_stats = 2;   /* pairs from the matches file's candidates column */
        e->stats_records = e->rows;
        e->pairs_compared = cand_sum;
    }
    NM_VEC_FREE(&fp);
    NM_VEC_FREE(&fn);
    free(seen), free(conf_of), free(expl_of), free(status_of);
    NM_VEC_FREE(&truth);
    smap_free(&ids);
    if (rc) nm_eval_npi_free(e);
    return rc;
}

void nm_eval_npi_free(nm_eval_npi *e) {
    nm_arena_free(&e->arena);
    e->worst_fp = e->worst_fn = NULL;
    e->nworst_fp = e->nworst_fn = 0;
}

/* ---- person resolution --------------------------------------------------------------------------- */
/* Record keys are "source" US "record_id" (unit separator: never in a CSV value we accept). */
static size_t make_key(char *out, size_t cap, const tab *t) {
    return (size_t)snprintf(out, cap, "%s\x1f%s", t->val[0], t->val[1]);
}

int nm_eval_persons_run(const nm_eval_opts *o, nm_eval_persons *e, nm_err *err) {
    memset(e, 0, sizeof *e);
    nm_arena_init(&e->arena, 1 << 16);
    smap recs = {0}, tp = {0}, pp = {0};
    NM_VEC(uint32_t) tid = {0};
    uint32_t *pid = NULL, *ct = NULL, *cp = NULL;
    double *conf = NULL;
    uint8_t *right = NULL;
    size_t *idx = NULL;
    candvec wrong = {0};
    tab t = {0};
    char key[4200];
    static const char *const TN[] = {"source", "record_id", "person_id"};
    int rc = tab_open(&t, o->truth, TN, 3, err);
    while (!rc && (rc = tab_next(&t, err)) == 1) {
        rc = 0;
        int added;
        if (!t.len[1]) { rc = tab_bad(&t, 1, err, "empty record_id"); break; }
        if (!t.len[2]) { rc = tab_bad(&t, 2, err, "empty person_id"); break; }
        size_t kl = make_key(key, sizeof key, &t);
        int64_t r = smap_id(&recs, key, kl, 1, &added);
        int64_t p = r < 0 ? r : smap_id(&tp, t.val[2], t.len[2], 1, NULL);
        if (p < 0) { rc = nm_err_set(err, NM_E_NOMEM, "eval: out of memory"); break; }
        if (!added) { rc = tab_bad(&t, 1, err, "duplicate (source, record_id)"); break; }
        if (NM_VEC_PUSH(&tid, (uint32_t)p)) { rc = nm_err_set(err, NM_E_NOMEM, "eval: out of memory"); break; }
        e->truth_rows++;
    }
    tab_close(&t);
    size_t n = tid.n;
    if (!rc) {
        pid = malloc((n + 1) * sizeof *pid);
        conf = calloc(n + 1, sizeof *conf);
        if (!pid || !conf) rc = nm_err_set(err, NM_E_NOMEM, "eval: out of memory");
        else memset(pid, 0xff, (n + 1) * sizeof *pid);
    }
    static const char *const PN[] = {"source", "record_id", "person_id", "confidence?", "change?"};
    if (!rc) rc = tab_open(&t, o->persons, PN, 5, err);
    while (!rc && (rc = tab_next(&t, err)) == 1) {
        rc = 0;
        double c;
        if ((rc = get_conf(&t, 3, &c, err))) break;
        if (!t.len[2]) { rc = tab_bad(&t, 2, err, "empty person_id"); break; }
        e->rows++;
        size_t kl = make_key(key, sizeof key, &t);
        int64_t r = smap_id(&recs, key, kl, 0, NULL);
        if (r < 0) { e->unknown++; continue; }
        if (pid[r] != UINT32_MAX) { rc = tab_bad(&t, 1, err, "duplicate (source, record_id)"); break; }
        int64_t p = smap_id(&pp, t.val[2], t.len[2], 1, NULL);
        if (p < 0) { rc = nm_err_set(err, NM_E_NOMEM, "eval: out of memory"); break; }
        pid[r] = (uint32_t)p;
        conf[r] = c;
        if (t.col[4] >= 0) {
            int k = 0;
            while (k < e->nchange && strcmp(e->change_name[k], t.val[4])) k++;
            if (k == e->nchange && k < 16) {
                size_t l = NM_MIN(t.len[4], sizeof e->change_name[0] - 1);
                memcpy(e->change_name[e->nchange], t.val[4], l);
                e->change_name[e->nchange++][l] = 0;
            }
            if (k < 16) e->change_count[k]++;
        }
    }
    tab_close(&t);
    /* Metrics over the records present in both files. */
    if (!rc) {
        ct = malloc((n + 1) * sizeof *ct);
        cp = malloc((n + 1) * sizeof *cp);
        idx = malloc((n + 1) * sizeof *idx);
        right = malloc(n + 1);
        if (!ct || !cp || !idx || !right) rc = nm_err_set(err, NM_E_NOMEM, "eval: out of memory");
    }
    size_t m = 0;
    if (!rc) {
        for (size_t r = 0; r < n; r++) {
            if (pid[r] == UINT32_MAX) { e->missing++; continue; }
            ct[m] = tid.v[r], cp[m] = pid[r], idx[m++] = r;
        }
        if (nm_eval_clusters_compute(ct, cp, m, &e->c, right)) rc = nm_err_set(err, NM_E_NOMEM, "eval: out of memory");
    }
    for (size_t i = 0; !rc && i < m; i++) {
        size_t r = idx[i];
        nm_eval_bin *b = &e->calib[nm_eval_bin_of(conf[r])];
        b->count++;
        b->right += right[i];
        b->conf_sum += conf[r];
        if (right[i]) continue;
        size_t kl;
        const char *k = smap_key(&recs, r, &kl);
        char *id = nm_arena_strndup(&e->arena, k, kl);
        if (!id) { rc = nm_err_set(err, NM_E_NOMEM, "eval: out of memory"); break; }
        char *sep = strchr(id, '\x1f');
        if (sep) *sep = ',';   /* shown as source,record_id */
        if (NM_VEC_PUSH(&wrong, ((cand){conf[r], r, id, "", ""}))) rc = nm_err_set(err, NM_E_NOMEM, "eval: out of memory");
    }
    if (!rc && keep_worst(&wrong, o->worst, 1, &e->arena, &e->worst, &e->nworst))
        rc = nm_err_set(err, NM_E_NOMEM, "eval: out of memory");
    NM_VEC_FREE(&wrong);
    free(pid), free(conf), free(ct), free(cp), free(idx), free(right);
    NM_VEC_FREE(&tid);
    smap_free(&recs), smap_free(&tp), smap_free(&pp);
    if (rc) nm_eval_persons_free(e);
    return rc;
}

void nm_eval_persons_free(nm_eval_persons *e) {
    nm_arena_free(&e->arena);
    e->worst = NULL;
    e->nworst = 0;
}
