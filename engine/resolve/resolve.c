/* One night of person resolution (resolve.h). */
#define _GNU_SOURCE /* qsort_r */
#include "resolve/resolve.h"
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "block/candidates.h"
#include "cluster/cluster.h"
#include "common/data.h"
#include "common/error_internal.h"
#include "common/hash.h"
#include "common/io.h"
#include "common/progress.h"
#include "compare/compare_pairs.h"
#include "match/matcher.h"
#include "ingest/csv.h"
#include "output/csv_out.h"
#include "resolve/fields.h"
#include "resolve/registry_npi.h"
#include "state/state.h"
#include "table/rows.h"
#include "table/tables.h"

#define CHUNK 512
#define MAX_RULES 64
#define TF_MIN 1000

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* ---- tonight's table and what blocking/comparison need over it ---------- */

typedef struct edge {
    uint32_t a, b;      /* table rows, a < b */
    uint32_t q;         /* the row it was computed from */
    uint8_t different;
    double weight;
} edge;

typedef NM_VEC(edge) edge_vec;

typedef struct night {
    nm_matcher mt;               /* the model, row store, indexes, TF, plan, threads, block cap */
    nm_rtable t;                 /* tonight's records, key order */
    double link_p, keep_p;
    nm_cmp_scratch cs1;          /* the cluster callback's (single-threaded) */
    NM_VEC(uint8_t) vec1;
} night;

typedef struct worker {
    nm_mworker mw;               /* candidates, vectors, weights of one query */
    edge_vec out;
    uint64_t pairs;              /* compared, the record with itself not counted */
} worker;

/* Row store, TF and blocking indexes over tonight's whole table: the
 * matcher's build (match/matcher.h) with the table as its reference side. */
static int night_prepare(night *nt, nm_err *err) {
    if (nm_model_blocking_rule_count(nt->mt.m) > MAX_RULES)
        return nm_err_set(err, NM_E_MODEL, "resolve: at most %d blocking rules", MAX_RULES);
    double t0 = now_s();
    /* TF counts and blocking indexes read the row store, so it comes first. */
    if (nm_rrows_build(&nt->mt.rows, &nt->t, nt->mt.threads)) return nm_err_set(err, NM_E_NOMEM, "resolve: out of memory");
    /* Frequencies counted over a few hundred values are noise (two MARYs in
     * five records would make a first-name agreement count against a match):
     * below TF_MIN values the model's u is used. */
    nt->mt.tf_min_values = TF_MIN;
    return nm_matcher_index_rows(&nt->mt, t0, err);
}

static void night_release_index(night *nt) {
    nm_index_free(&nt->mt.ix);
    nm_rrows_free(&nt->mt.rows);
    for (size_t f = 0; f < NM_MAX_FIELDS; f++) nm_tf_free(&nt->mt.tf[f]);
}

static void night_free(night *nt) {
    nm_rtable_free(&nt->t);
    night_release_index(nt);
    nm_cmp_scratch_free(&nt->cs1);
    NM_VEC_FREE(&nt->vec1);
}

/* Compare record q with its candidates (the matcher's scoring: the model's
 * weight with q's term frequencies; a deterministic rule makes it certain);
 * keep the edges clustering can use (links and vetoes of some weight;
 * weaker guarded pairs are found again by the union-time callback when they
 * matter). */
static int score_one(const night *nt, worker *w, uint32_t q) {
    const nm_matcher *mt = &nt->mt;
    nm_mworker *mw = &w->mw;
    NM_TRY(nm_score_query(mt, mw, &nt->t, q));
    size_t nc = mt->plan.ncomp;
    for (size_t i = 0; i < mw->cands.rows.n; i++) {
        uint32_t c = mw->cands.rows.v[i];
        if (c == q) continue;
        w->pairs++;
        const uint8_t *v = mw->vec.v + i * nc;
        double wt = nm_model_first_rule(mt->m, v) >= 0 ? INFINITY : mw->w.v[i];
        if (nm_weight_to_probability(wt) < nt->keep_p) continue;
        edge e = {q < c ? q : c, q < c ? c : q, q, nm_model_first_guard(mt->m, v) >= 0, wt};
        if (NM_VEC_PUSH(&w->out, e)) return NM_E_NOMEM;
    }
    return 0;
}

/* Score rows qs[0..n) in parallel; edges appended to *out in qs order. */
static int score_rows(const night *nt, worker *wk, const uint32_t *qs, size_t n, edge_vec *out,
                      uint64_t *pairs, nm_err *err) {
    size_t nch = (n + CHUNK - 1) / CHUNK;
    edge_vec *parts = calloc(nch ? nch : 1, sizeof *parts);
    if (!parts) return nm_err_set(err, NM_E_NOMEM, "resolve: out of memory");
    int rc = 0;
    const nm_progress *pg = nm_progress_get();
#pragma omp parallel for schedule(dynamic, 1) num_threads(nt->mt.threads)
    for (size_t k = 0; k < nch; k++) {
        worker *w = &wk[omp_get_thread_num()];
        w->out.n = 0;
        /* the calling thread reports; any thread sees a cancel */
        int x = omp_get_thread_num() == 0 ? nm_progress_tick(pg, k * CHUNK, n) : nm_progress_cancelled(pg) ? NM_E_CANCELLED : 0;
        for (size_t i = k * CHUNK; i < n && i < (k + 1) * CHUNK && !x; i++) x = score_one(nt, w, qs[i]);
        if (!x) {
            parts[k].v = malloc((w->out.n ? w->out.n : 1) * sizeof(edge));
            if (!parts[k].v) x = NM_E_NOMEM;
            else if (w->out.n) memcpy(parts[k].v, w->out.v, w->out.n * sizeof(edge)), parts[k].n = w->out.n;
        }
        if (x) {
#pragma omp atomic write
            rc = x;
        }
    }
    for (size_t k = 0; k < nch; k++) {
        if (!rc && NM_VEC_RESERVE(out, out->n + parts[k].n + 1)) rc = NM_E_NOMEM;
        if (!rc && parts[k].n) memcpy(out->v + out->n, parts[k].v, parts[k].n * sizeof(edge)), out->n += parts[k].n;
        free(parts[k].v);
    }
    free(parts);
    for (int t = 0; t < nt->mt.threads; t++) *pairs += wk[t].pairs, wk[t].pairs = 0;
    return rc ? nm_err_set(err, rc, "resolve: %s while comparing", nm_strerror(rc)) : 0;
}

/* The cluster callback: do the model's guards hold on rows a and b (a pair
 * blocking may never have compared)? Compared from the smaller row so the
 * answer is a function of the pair. */
typedef struct diff_ctx {
    night *nt;
    const uint32_t *row;         /* affected index -> table row */
} diff_ctx;

static int different_cb(void *ctx, uint32_t a, uint32_t b) {
    diff_ctx *d = ctx;
    night *nt = d->nt;
    uint32_t x = d->row[a], y = d->row[b];
    if (x > y) {
        uint32_t s = x;
        x = y, y = s;
    }
    const nm_matcher *mt = &nt->mt;
    if (NM_VEC_RESERVE(&nt->vec1, mt->plan.ncomp + 1)) return 1;   /* out of memory: refuse (safe side) */
    if (nm_compare_pairs(mt->m, &mt->plan, &nt->t, x, &mt->rows, &y, 1, &nt->cs1, nt->vec1.v)) return 1;
    return nm_model_first_guard(mt->m, nt->vec1.v) >= 0;
}

static int edge_cmp(const void *pa, const void *pb) {
    const edge *x = pa, *y = pb;
    if (x->a != y->a) return x->a < y->a ? -1 : 1;
    if (x->b != y->b) return x->b < y->b ? -1 : 1;
    return (x->q > y->q) - (x->q < y->q);   /* computed from a (the smaller) first */
}

/* ---- input keys ---------------------------------------------------------- */

typedef struct keyset {
    nm_buf b;
    NM_VEC(uint64_t) off;        /* n + 1 */
} keyset;

static inline nm_key ks_key(const keyset *k, size_t i) {
    nm_key x = {k->b.data + k->off.v[i], (uint32_t)(k->off.v[i + 1] - k->off.v[i])};
    return x;
}

typedef struct sort_ctx {
    const keyset *ks;
    const uint64_t *hash;
} sort_ctx;

static int by_key(const void *pa, const void *pb, void *u) {
    const sort_ctx *c = u;
    uint32_t a = *(const uint32_t *)pa, b = *(const uint32_t *)pb;
    nm_key x = ks_key(c->ks, a), y = ks_key(c->ks, b);
    int r = nm_key_cmp(x.p, x.len, y.p, y.len);
    if (r) return r;
    if (c->hash && c->hash[a] != c->hash[b]) return c->hash[a] < c->hash[b] ? -1 : 1;
    return (a > b) - (a < b);
}

/* --delete file: source,record_id columns. */
static int read_deletes(const char *path, const char *data, size_t len, keyset *ks, int threads, nm_err *err) {
    nm_csv *csv;
    nm_csv_opts co = {.threads = threads};
    NM_TRY(data ? nm_csv_open_memory(data, len, path, &co, &csv, err) : nm_csv_open(path, &co, &csv, err));
    int cs = nm_csv_find_column(csv, "source"), ci = nm_csv_find_column(csv, "record_id"), rc = 0;
    if (ci < 0) rc = nm_err_set(err, NM_E_FORMAT, "%s: no record_id column in the header", path);
    nm_csv_row row;
    char a[4096], b[4096];
    while (!rc) {
        int x = nm_csv_next(csv, &row, err);
        if (x < 0) {
            rc = x;
            break;
        }
        if (x == 0) break;
        if (row.error != NM_R_COUNT || (uint32_t)ci >= row.nfields || (cs >= 0 && (uint32_t)cs >= row.nfields)) {
            rc = nm_err_set(err, NM_E_FORMAT, "%s:%llu: malformed row", path, (unsigned long long)row.line);
            break;
        }
        size_t sl = cs >= 0 ? nm_csv_unescape(&row.f[cs], a, sizeof a) : 0;
        size_t il = nm_csv_unescape(&row.f[ci], b, sizeof b);
        if (nm_record_key_make(&ks->b, a, sl, b, il) || NM_VEC_PUSH(&ks->off, (uint64_t)ks->b.len))
            rc = nm_err_set(err, NM_E_NOMEM, "resolve: out of memory");
    }
    nm_csv_close(csv);
    return rc;
}

/* ---- the night ------------------------------------------------------------ */

enum { ST_SAME = 0, ST_NEW = 1, ST_CHANGED = 2 };

static int load_model(nm_state *st, const char *path, const char *dflt, nm_model **m, int *store, nm_err *err) {
    const void *p;
    size_t len;
    int rc = nm_state_get_section(st, "model", &p, &len, err);
    *store = 0;
    if (rc == NM_E_NOTFOUND) {
        if (err) memset(err, 0, sizeof *err);
        *store = 1;
        return nm_model_load(path ? path : dflt, m, err);
    }
    if (rc) return rc;
    NM_TRY(nm_model_parse(p, len, "state model", m, err));
    if (!path) return 0;
    /* Another model would make tonight's weights and keys disagree with the
     * stored fields and persons: refused rather than silently mixed. */
    nm_model *given;
    char *js = NULL;
    size_t jl = 0;
    NM_TRY(nm_model_load(path, &given, err));
    rc = nm_model_to_json(given, &js, &jl, err);
    nm_model_free(given);
    if (!rc && (jl != len || memcmp(js, p, len)))
        rc = nm_err_set(err, NM_E_ARG, "state %s was built with another model ('%s'); start a new state to change it",
                        nm_state_dir(st), nm_model_name(*m));
    free(js);
    if (rc) nm_model_free(*m), *m = NULL;
    return rc;
}

/* One PERSONS.csv row; npi (NULL: no column) is the record's matched NPI. */
static int write_row(nm_buf *b, nm_key k, uint32_t id, double conf, const char *change, const nm_rtable *npi_t,
                     int npi_f, size_t r) {
    const char *z = memchr(k.p, 0, k.len);
    size_t sl = z ? (size_t)(z - k.p) : k.len;
    char ids[NM_ID_LEN + 1];
    nm_id_format(id, ids);
    NM_TRY(nm_csv_put(b, k.p, sl, 1));
    NM_TRY(nm_csv_put(b, z ? z + 1 : "", z ? k.len - sl - 1 : 0, 0));
    NM_TRY(nm_csv_put(b, ids, NM_ID_LEN, 0));
    NM_TRY(nm_csv_putf(b, 0, "%.4f", conf));
    NM_TRY(nm_csv_put(b, change, strlen(change), 0));
    if (npi_f >= 0) {
        uint32_t len = 0;
        const char *v = nm_rt_count(npi_t, (size_t)npi_f, r) ? nm_rt_value(npi_t, (size_t)npi_f, nm_rt_first(npi_t, (size_t)npi_f, r), &len) : "";
        NM_TRY(nm_csv_put(b, v, len, 0));
    }
    return nm_buf_putc(b, '\n');
}

int nm_resolve_run(const nm_resolve_opts *o, nm_resolve_stats *S, nm_err *err) {
    memset(S, 0, sizeof *S);
    double t0 = now_s();
    int threads = o->threads > 0 ? o->threads : omp_get_max_threads();
    nm_state *st = NULL;
    nm_model *m = NULL;
    nm_input in;
    memset(&in, 0, sizeof in);
    night nt;
    memset(&nt, 0, sizeof nt);
    nm_rtable ot = {0};
    keyset iks = {0}, dks = {0};
    uint64_t *ihash = NULL, *nhash = NULL;
    uint32_t *npi = NULL;
    uint32_t *iord = NULL, *irow = NULL, *nt_old = NULL, *nt_in = NULL, *aff_of = NULL, *aff_row = NULL;
    uint8_t *nt_st = NULL, *del = NULL, *touched = NULL, *in_aff = NULL;
    uint32_t *pstart = NULL, *prow = NULL;
    worker *wk = NULL;
    edge_vec edges = {0};
    NM_VEC(uint32_t) aff = {0}, work = {0};
    nm_key *akeys = NULL, *dkeys = NULL;
    uint32_t *afirst = NULL, *aprev = NULL, *dprev = NULL;
    nm_cluster_edge *cedges = NULL;
    nm_cluster_result cres;
    memset(&cres, 0, sizeof cres);
    nm_ids_output ids;
    memset(&ids, 0, sizeof ids);
    nm_state_records nrec;
    memset(&nrec, 0, sizeof nrec);
    nm_buf ob = {0};
    nm_writer *w = NULL;
    char *fields_blob = NULL;
    int rc, store_model = 0;

    rc = nm_state_open(o->state_dir, NM_STATE_WRITE, &st, err);
    if (rc) return rc;
    rc = load_model(st, o->model, o->registry ? "builtin:hcp_person" : "builtin:patient", &m, &store_model, err);
    if (!rc) rc = nm_registry_npi_check(m, o->registry, o->state_dir, err);
    if (!rc && o->registry && !o->input_data && !strcmp(o->input, "-"))   /* read twice: resolution and matching fields */
        rc = nm_err_set(err, NM_E_ARG, "--registry needs the input in a file, not on stdin");
    if (rc) goto done;
    int npi_f = nm_registry_npi_field(m);
    nt.mt.m = m;
    {
        nm_match_opts mo = {threads, o->block_cap ? o->block_cap : 200, -1, -1, 1};
        nm_matcher_set_opts(&nt.mt, &mo);
    }
    nt.link_p = nm_model_thresholds(m)->link_probability;
    nt.keep_p = NM_MIN(0.5, nt.link_p);
    uint32_t gen = nm_state_generation(st) + 1;
    const nm_state_records *old = nm_state_records_of(st);
    size_t n_old = old->n;

    /* The stored hashes of the live generation (the fields are read only
     * when tonight changes something). */
    const uint64_t *ohash = NULL;
    if (n_old) {
        const void *p;
        size_t len;
        rc = nm_state_get_section(st, "fhash", &p, &len, err);
        if (!rc && len != n_old * 8) rc = nm_err_set(err, NM_E_CORRUPT, "state: fhash section size %zu", len);
        if (rc) goto done;
        ohash = p;
    }
    S->sec_load = now_s() - t0;

    /* Tonight's input. */
    t0 = now_s();
    nm_input_opts io = {NULL, 0, threads, o->input_data, o->input_len};
    rc = nm_input_read_sourced(&in, o->input, m, &io, "source", err);
    if (rc) goto done;
    {
        const char *files[1] = {o->input};
        nm_diag_print(&in.diag, files, o->report ? o->report : stderr);
    }
    /* registry_npi is the matcher's answer, never the input's, and not part
     * of the change hash (registry_npi.h). */
    if (npi_f >= 0 && (rc = nm_registry_npi_set(&in.t, (size_t)npi_f, NULL)) != 0) {
        rc = nm_err_set(err, rc, "resolve: model field '%s' must be a plain identifier", NM_REGISTRY_NPI_FIELD);
        goto done;
    }
    size_t nin = in.t.n;
    S->rows = nin;
    ihash = malloc((nin + 1) * sizeof *ihash);
    iord = malloc((nin + 1) * sizeof *iord);
    irow = malloc((nin + 1) * sizeof *irow);
    if (!ihash || !iord || !irow || NM_VEC_PUSH(&iks.off, 0)) goto nomem;
    size_t nuse = 0;
    for (size_t i = 0; i < nin; i++) {
        uint32_t sl, il;
        const char *s = nm_input_source(&in, i, &sl), *id = nm_input_id(&in, i, &il);
        int bad = in.reason.v[i] != NM_R_COUNT;
        if (!bad) {
            int x = nm_record_key_make(&iks.b, s, sl, id, il);
            if (x == NM_E_NOMEM) goto nomem;
            bad = x != 0;
        }
        if (NM_VEC_PUSH(&iks.off, (uint64_t)iks.b.len)) goto nomem;
        ihash[i] = nm_fields_hash(&in.t, i);
        irow[i] = UINT32_MAX;
        if (bad) S->rejected++;
        else iord[nuse++] = (uint32_t)i;
    }
    sort_ctx sc = {&iks, ihash};
    if (nuse) qsort_r(iord, nuse, sizeof *iord, by_key, &sc);
    /* Duplicate keys: the first in (key, hash) order is the record, the
     * others point at it (irow filled once tonight's rows are known). */
    uint32_t *dup_of = malloc((nin + 1) * sizeof *dup_of);
    if (!dup_of) goto nomem;
    size_t nk = 0;
    for (size_t i = 0; i < nuse; i++) {
        nm_key k = ks_key(&iks, iord[i]);
        if (nk) {
            nm_key p = ks_key(&iks, iord[nk - 1]);
            if (!nm_key_cmp(p.p, p.len, k.p, k.len)) {
                dup_of[iord[i]] = iord[nk - 1];
                S->duplicates++;
                continue;
            }
        }
        dup_of[iord[i]] = iord[i];
        iord[nk++] = iord[i];
    }

    /* Deletions. */
    del = calloc(n_old + 1, 1);
    if (!del) {
        free(dup_of);
        goto nomem;
    }
    if (o->delete_path) {
        if (NM_VEC_PUSH(&dks.off, 0)) {
            free(dup_of);
            goto nomem;
        }
        rc = read_deletes(o->delete_path, o->delete_data, o->delete_len, &dks, threads, err);
        for (size_t i = 0; !rc && i + 1 < dks.off.n; i++) {
            nm_key k = ks_key(&dks, i);
            int64_t r = nm_records_find(old, k.p, k.len);
            if (r < 0) S->delete_unknown++;
            else del[r] = 1;
        }
        if (rc) {
            free(dup_of);
            goto done;
        }
    }
    if (o->full)
        for (size_t i = 0; i < n_old; i++) del[i] = 1;   /* kept below when the input has the key */

    /* Tonight's table: old rows and input rows merged in key order. */
    size_t cap_n = n_old + nk + 1;
    nt_old = malloc(cap_n * sizeof *nt_old);
    nt_in = malloc(cap_n * sizeof *nt_in);
    nt_st = malloc(cap_n);
    nhash = malloc(cap_n * sizeof *nhash);
    if (!nt_old || !nt_in || !nt_st || !nhash || nm_rtable_init(&nt.t, m) || nm_rtable_init(&ot, m)) {
        free(dup_of);
        goto nomem;
    }
    size_t nn = 0, i = 0, j = 0;
    while (i < n_old || j < nk) {
        nm_key a = i < n_old ? nm_records_key(old, i) : (nm_key){NULL, 0};
        nm_key b = j < nk ? ks_key(&iks, iord[j]) : (nm_key){NULL, 0};
        int c = i >= n_old ? 1 : j >= nk ? -1 : nm_key_cmp(a.p, a.len, b.p, b.len);
        if (c < 0) {
            if (!del[i]) {
                nt_old[nn] = (uint32_t)i, nt_in[nn] = UINT32_MAX, nt_st[nn] = ST_SAME, nhash[nn] = ohash[i];
                nn++;
            }
            i++;
            continue;
        }
        uint32_t r = iord[j++];
        nt_in[nn] = r;
        nhash[nn] = ihash[r];
        irow[r] = (uint32_t)nn;
        if (c == 0) {
            del[i] = 0;   /* an upsert wins over a deletion */
            nt_old[nn] = (uint32_t)i;
            nt_st[nn] = ohash[i] == ihash[r] ? ST_SAME : ST_CHANGED;
            i++;
        } else {
            nt_old[nn] = UINT32_MAX;
            nt_st[nn] = ST_NEW;
        }
        S->fresh += nt_st[nn] == ST_NEW;
        S->changed += nt_st[nn] == ST_CHANGED;
        S->unchanged += nt_st[nn] == ST_SAME;
        nn++;
    }
    for (size_t r = 0; r < nin; r++)
        if (irow[r] == UINT32_MAX && in.reason.v[r] == NM_R_COUNT && dup_of[r] != r) irow[r] = irow[dup_of[r]];
    free(dup_of);
    size_t n_del = 0;
    for (size_t r = 0; r < n_old; r++) n_del += del[r];
    S->deleted = n_del;
    S->records = nn;
    /* New and changed records matched to NPIs, before the stored fields are
     * read (the registry's matcher is the big allocation of such a night). */
    if (npi_f >= 0 && S->fresh + S->changed) {
        npi = calloc(nin + 1, sizeof *npi);
        uint32_t *dirty = malloc((S->fresh + S->changed + 1) * sizeof *dirty);
        size_t nd = 0;
        if (!npi || !dirty) {
            free(dirty);
            goto nomem;
        }
        for (size_t r = 0; r < nn; r++)
            if (nt_st[r] != ST_SAME) dirty[nd++] = nt_in[r];
        nm_registry_npi_stats rs;
        rc = nm_registry_npi_match(o->registry, o->input, o->input_data, o->input_len, nin, dirty, nd, threads, npi, &rs, err);
        free(dirty);
        if (!rc && nm_registry_npi_set(&in.t, (size_t)npi_f, npi)) goto nomem;
        if (rc) goto done;
        S->npi_matched = rs.matched, S->npi_ambiguous = rs.ambiguous, S->npi_unmatched = rs.unmatched;
        S->sec_registry = rs.seconds;
    }
    /* Tonight's fields: stored rows as they are, new and changed rows from
     * the input. A night that changes nothing never reads them, unless the
     * output's npi column needs them (--registry). */
    int busy = S->fresh + S->changed + n_del > 0, need_fields = busy || npi_f >= 0;
    if (need_fields && n_old) {
        const void *p;
        size_t len;
        nm_rtable_free(&ot);
        rc = nm_state_get_section(st, "fields", &p, &len, err);
        if (!rc) rc = nm_fields_load(&ot, m, p, len, err);
        if (!rc && ot.n != n_old)
            rc = nm_err_set(err, NM_E_CORRUPT, "state: fields section holds %zu records, the record table %zu", ot.n, n_old);
        if (!rc && busy) rc = nm_state_drop_section(st, "fields", err);   /* replaced below; frees its bytes */
        if (rc) goto done;
    }
    for (size_t r = 0; need_fields && r < nn; r++) {
        int x = nt_st[r] == ST_SAME ? nm_rtable_copy_record(&nt.t, &ot, nt_old[r])
                                    : nm_rtable_copy_record(&nt.t, &in.t, nt_in[r]);
        if (x) goto nomem;
    }
    nm_rtable_free(&ot);
    nm_rtable_free(&in.t);   /* copied; the keys and ids stay for the output */
    S->sec_read = now_s() - t0 - S->sec_registry;

    /* Persons and their members before tonight (table rows of tonight). */
    nm_idtab *tab = nm_state_ids(st);
    size_t nids = tab->n;
    pstart = calloc(nids + 2, sizeof *pstart);
    prow = malloc((nn + 1) * sizeof *prow);
    touched = calloc(nids + 1, 1);
    in_aff = calloc(nn + 1, 1);
    aff_of = malloc((nn + 1) * sizeof *aff_of);
    if (!pstart || !prow || !touched || !in_aff || !aff_of) goto nomem;
    for (size_t r = 0; r < nn; r++)
        if (nt_old[r] != UINT32_MAX) pstart[old->person.v[nt_old[r]] + 2]++;
    for (size_t p = 0; p < nids; p++) pstart[p + 2] += pstart[p + 1];
    for (size_t r = 0; r < nn; r++)
        if (nt_old[r] != UINT32_MAX) prow[pstart[old->person.v[nt_old[r]] + 1]++] = (uint32_t)r;

    /* Affected: dirty rows, members of the persons of changed and deleted rows. */
#define ADD_ROW(r)                                                                  \
    do {                                                                            \
        if (!in_aff[r]) {                                                           \
            in_aff[r] = 1;                                                          \
            if (NM_VEC_PUSH(&aff, (uint32_t)(r)) || NM_VEC_PUSH(&work, (uint32_t)(r))) goto nomem; \
        }                                                                           \
    } while (0)
#define TOUCH(p)                                                                    \
    do {                                                                            \
        if (!touched[p]) {                                                          \
            touched[p] = 1;                                                         \
            for (uint32_t mx_ = pstart[p]; mx_ < pstart[(p) + 1]; mx_++) ADD_ROW(prow[mx_]); \
        }                                                                           \
    } while (0)
    for (size_t r = 0; r < nn; r++) {
        if (nt_st[r] == ST_SAME) continue;
        ADD_ROW(r);
        if (nt_st[r] == ST_CHANGED) TOUCH(old->person.v[nt_old[r]]);
    }
    for (size_t r = 0; r < n_old; r++)
        if (del[r]) TOUCH(old->person.v[r]);

    if (aff.n) {
        t0 = now_s();
        rc = night_prepare(&nt, err);
        if (rc) goto done;
        S->sec_index = now_s() - t0;
        t0 = now_s();
        wk = calloc((size_t)threads, sizeof *wk);
        if (!wk) goto nomem;
        for (int t = 0; t < threads; t++)
            if (nm_mworker_init(&wk[t].mw, &nt.mt)) goto nomem;
        /* Compare the worklist; links out of the affected set pull the
         * linked person in, until the set is closed under links. */
        while (work.n) {
            size_t from = edges.n;
            uint32_t *q = work.v;
            size_t nq = work.n;
            work.v = NULL, work.n = work.cap = 0;
            S->compared += nq;
            rc = score_rows(&nt, wk, q, nq, &edges, &S->pairs, err);
            free(q);
            if (rc) goto done;
            for (size_t e = from; e < edges.n; e++) {
                const edge *x = &edges.v[e];
                if (x->different || nm_weight_to_probability(x->weight) < nt.link_p) continue;
                uint32_t ends[2] = {x->a, x->b};
                for (int k = 0; k < 2; k++) {
                    uint32_t r = ends[k];
                    if (in_aff[r]) continue;
                    if (nt_old[r] == UINT32_MAX) ADD_ROW(r);   /* cannot happen: new rows are dirty */
                    else TOUCH(old->person.v[nt_old[r]]);
                }
            }
        }
        S->sec_compare = now_s() - t0;
    }

    /* Affected rows in table (key) order; edges among them, each pair once. */
    t0 = now_s();
    {
        size_t k = 0;
        for (size_t r = 0; r < nn; r++)
            if (in_aff[r]) aff_of[r] = (uint32_t)k++;
        aff_row = malloc((k + 1) * sizeof *aff_row);
        if (!aff_row) goto nomem;
        for (size_t r = 0; r < nn; r++)
            if (in_aff[r]) aff_row[aff_of[r]] = (uint32_t)r;
        S->affected = k;
    }
    /* Sort by (a, b, computed from a first): a pair met from both sides keeps
     * the weight of its smaller row, whatever was processed first. */
    {
        size_t ne = 0;
        for (size_t e = 0; e < edges.n; e++)
            if (in_aff[edges.v[e].a] && in_aff[edges.v[e].b]) edges.v[ne++] = edges.v[e];
        if (ne) qsort(edges.v, ne, sizeof *edges.v, edge_cmp);
        size_t nu = 0;
        for (size_t e = 0; e < ne; e++)
            if (!nu || edges.v[nu - 1].a != edges.v[e].a || edges.v[nu - 1].b != edges.v[e].b) edges.v[nu++] = edges.v[e];
        edges.n = nu;
        S->edges = nu;
    }
    size_t na = S->affected;
    akeys = malloc((na + 1) * sizeof *akeys);
    afirst = malloc((na + 1) * sizeof *afirst);
    aprev = malloc((na + 1) * sizeof *aprev);
    cedges = malloc((edges.n + 1) * sizeof *cedges);
    dkeys = malloc((n_del + 1) * sizeof *dkeys);
    dprev = malloc((n_del + 1) * sizeof *dprev);
    if (!akeys || !afirst || !aprev || !cedges || !dkeys || !dprev) goto nomem;
    for (size_t a = 0; a < na; a++) {
        uint32_t r = aff_row[a];
        akeys[a] = nt_old[r] != UINT32_MAX ? nm_records_key(old, nt_old[r]) : ks_key(&iks, nt_in[r]);
        afirst[a] = nt_old[r] != UINT32_MAX ? old->first_seen.v[nt_old[r]] : gen;
        aprev[a] = nt_old[r] != UINT32_MAX ? old->person.v[nt_old[r]] : NM_ID_NONE;
    }
    for (size_t e = 0; e < edges.n; e++) {
        const edge *x = &edges.v[e];
        cedges[e] = (nm_cluster_edge){aff_of[x->a], aff_of[x->b], x->weight, nm_weight_to_probability(x->weight),
                                      x->different};
    }
    {
        size_t d = 0;
        for (size_t r = 0; r < n_old; r++)
            if (del[r]) dkeys[d] = nm_records_key(old, r), dprev[d++] = old->person.v[r];
    }
    diff_ctx dc = {&nt, aff_row};
    nm_cluster_opts copts = {different_cb, &dc, 0};
    if (na) {
        rc = nm_cluster_ex(akeys, na, cedges, edges.n, NULL, 0, nt.link_p, &copts, &cres, err);
        if (rc) goto done;
        S->refused = cres.n_refused;
    }
    nm_ids_input ii = {gen, na, akeys, afirst, aprev, cres.cluster, cres.rank, edges.n, cedges, cres.edge_state,
                       n_del, dkeys, dprev};
    rc = nm_ids_assign(tab, &ii, &ids, err);
    if (rc) goto done;
    S->issued = ids.n_issued;
    S->retired = ids.n_retired;
    S->sec_cluster = now_s() - t0;

    /* What comparison needed is not needed any more: free it before the
     * output and the sections are built (peak memory). */
    night_release_index(&nt);

    /* Tonight's record table. */
    t0 = now_s();
    for (size_t r = 0; r < nn; r++) {
        nm_key k = nt_old[r] != UINT32_MAX ? nm_records_key(old, nt_old[r]) : ks_key(&iks, nt_in[r]);
        uint32_t first = nt_old[r] != UINT32_MAX ? old->first_seen.v[nt_old[r]] : gen;
        uint32_t person;
        float conf;
        if (in_aff[r]) {
            person = ids.id[aff_of[r]];
            conf = (float)cres.strength[aff_of[r]];
            S->change[ids.change[aff_of[r]]]++;
        } else {
            person = old->person.v[nt_old[r]];
            conf = old->confidence.v[nt_old[r]];
        }
        if (nm_records_push(&nrec, k.p, k.len, first, person, conf)) goto nomem;
    }
    for (size_t p = 0; p < tab->n; p++) S->persons += tab->v[p].status == NM_ID_LIVE;

    /* PERSONS.csv before the commit (state.h step 7): a run killed in the
     * commit is redone whole by the next run, output included. */
    rc = nm_writer_open(o->out, 0, &w, err);
    const char *head = npi_f >= 0 ? "source,record_id,person_id,confidence,change,npi\n"
                                  : "source,record_id,person_id,confidence,change\n";
    if (!rc) rc = nm_writer_write(w, head, strlen(head), err);
    size_t nrows_out = o->all ? nn : nin;
    for (size_t x = 0; x < nrows_out && !rc; x++) {
        size_t r;
        if (o->all) r = x;
        else if ((r = irow[x]) == UINT32_MAX) continue;
        const char *ch = in_aff[r] ? nm_change_name(ids.change[aff_of[r]]) : "unchanged";
        nm_key k = nm_records_key(&nrec, r);
        if (write_row(&ob, k, nrec.person.v[r], nrec.confidence.v[r], ch, &nt.t, npi_f, r)) goto nomem;
        if (ob.len > (1u << 20)) {
            rc = nm_writer_write(w, ob.data, ob.len, err);
            ob.len = 0;
        }
    }
    if (!rc && ob.len) rc = nm_writer_write(w, ob.data, ob.len, err);
    if (w) {
        if (rc) nm_writer_abort(w);
        else rc = nm_writer_commit(w, err);
        w = NULL;
    }
    if (rc) goto done;
    S->sec_write = now_s() - t0;

    /* The state: records, fields, hashes, audit; then the switch. */
    t0 = now_s();
    rc = nm_state_audit_add(st, ids.events, ids.n_events, akeys, dkeys, err);
    if (rc) goto done;
    if (busy) {
        size_t blen;
        rc = nm_fields_save(&nt.t, &fields_blob, &blen, err);
        nm_rtable_free(&nt.t);
        if (!rc) {
            rc = nm_state_put_section_owned(st, "fields", fields_blob, blen, err);
            fields_blob = NULL;
        }
        if (!rc) {
            rc = nm_state_put_section_owned(st, "fhash", nhash, (nn ? nn : 1) * sizeof *nhash, err);
            nhash = NULL;
        }
    }
    if (!rc && store_model) {
        char *js;
        size_t jl;
        rc = nm_model_to_json(m, &js, &jl, err);
        if (!rc) rc = nm_state_put_section_owned(st, "model", js, jl, err);
    }
    if (rc) goto done;
    nm_state_set_records(st, &nrec);
    rc = nm_state_commit(st, (int64_t)time(NULL), err);
    if (!rc) S->generation = gen;
    S->sec_commit = now_s() - t0;
    goto done;

nomem:
    rc = nm_err_set(err, NM_E_NOMEM, "resolve: out of memory");
done:
#undef ADD_ROW
#undef TOUCH
    if (w) nm_writer_abort(w);
    nm_buf_free(&ob);
    free(fields_blob);
    nm_records_free(&nrec);
    nm_ids_output_free(&ids);
    nm_cluster_result_free(&cres);
    free(cedges), free(akeys), free(afirst), free(aprev), free(dkeys), free(dprev);
    for (int t = 0; wk && t < threads; t++) {
        nm_mworker_free(&wk[t].mw);
        NM_VEC_FREE(&wk[t].out);
    }
    free(wk);
    NM_VEC_FREE(&edges);
    NM_VEC_FREE(&aff);
    NM_VEC_FREE(&work);
    free(pstart), free(prow), free(touched), free(in_aff), free(aff_of), free(aff_row);
    free(nt_old), free(nt_in), free(nt_st), free(nhash), free(del);
    free(ihash), free(iord), free(irow), free(npi);
    nm_buf_free(&iks.b), NM_VEC_FREE(&iks.off);
    nm_buf_free(&dks.b), NM_VEC_FREE(&dks.off);
    nm_rtable_free(&ot);
    night_free(&nt);
    nm_input_free(&in);
    nm_model_free(m);
    nm_state_close(st);
    return rc;
}

void nm_resolve_stats_print(const nm_resolve_stats *s, FILE *out) {
    fprintf(out,
            "resolve: generation %u: %llu rows (%llu rejected, %llu duplicate keys): %llu new, %llu changed, "
            "%llu unchanged; %llu deleted (%llu delete keys unknown); %llu records in the state\n",
            s->generation, (unsigned long long)s->rows, (unsigned long long)s->rejected,
            (unsigned long long)s->duplicates, (unsigned long long)s->fresh, (unsigned long long)s->changed,
            (unsigned long long)s->unchanged, (unsigned long long)s->deleted, (unsigned long long)s->delete_unknown,
            (unsigned long long)s->records);
    fprintf(out, "affected %llu records (%llu compared, %llu pairs, %llu edges, %llu links refused)\n",
            (unsigned long long)s->affected, (unsigned long long)s->compared, (unsigned long long)s->pairs,
            (unsigned long long)s->edges, (unsigned long long)s->refused);
    fprintf(out, "changes:");
    for (int c = 0; c < NM_CHANGE_COUNT; c++) fprintf(out, " %s %llu", nm_change_name(c), (unsigned long long)s->change[c]);
    fprintf(out, "; IDs issued %llu, retired %llu; %llu live persons\n", (unsigned long long)s->issued,
            (unsigned long long)s->retired, (unsigned long long)s->persons);
    if (s->npi_matched + s->npi_ambiguous + s->npi_unmatched)
        fprintf(out, "registry: %llu new or changed records matched to NPIs: %llu matched, %llu ambiguous, %llu unmatched (%.2f s)\n",
                (unsigned long long)(s->npi_matched + s->npi_ambiguous + s->npi_unmatched),
                (unsigned long long)s->npi_matched, (unsigned long long)s->npi_ambiguous,
                (unsigned long long)s->npi_unmatched, s->sec_registry);
    fprintf(out, "time: load %.2f s, read %.2f s, index %.2f s, compare %.2f s, cluster+ids %.2f s, write %.2f s, commit %.2f s\n",
            s->sec_load, s->sec_read, s->sec_index, s->sec_compare, s->sec_cluster, s->sec_write, s->sec_commit);
}
