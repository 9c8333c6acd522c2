/* The matcher (npimatch/match.h) inside: what is built once per registry
 * load, and the per-thread worker that scores one query record. Training
 * (cmd_train) reuses both to produce comparison vectors. */
#ifndef NM_MATCH_MATCHER_H
#define NM_MATCH_MATCHER_H

#include "block/candidates.h"
#include "compare/compare_pairs.h"
#include "index/index.h"
#include "npimatch/match.h"
#include "table/tables.h"

struct nm_matcher {
    const nm_registry *reg;
    const nm_model *m;                   /* own: the model with the registry's prior */
    nm_model *own;
    nm_rrows rows;                       /* registry side, row store: blocking keys, TF and compare read it */
    size_t nref;                         /* registry rows */
    nm_index ix;                         /* one per matching blocking rule */
    nm_tf tf[NM_MAX_FIELDS];
    int16_t tf_field[NM_MAX_COMPARISONS];/* field whose frequency a comparison's TF reads, -1 none */
    nm_cmp_plan plan;
    int threads;
    uint32_t block_cap;
    double match_p, gap;
    double seconds_table, seconds_index;
    size_t bytes_rows, bytes_index, bytes_tf;   /* for the summary */
    int borrowed;                        /* rows, index arrays and TF live in the registry snapshot (match_cache.c) */
    uint64_t tf_min_values;              /* TF of a field counted over fewer values is not used (0: always) */
};

/* Per-thread state: candidates, vectors, weights, compare scratch. */
typedef struct nm_mworker {
    nm_cands cands;
    /* Software pipelining across queries: the caller may name the record
     * it will score next (want_next, in table want_qt; SIZE_MAX: none). Its
     * candidates are then found (into next) before this query's pairs are
     * compared, and its rows requested from memory between this query's
     * comparisons (nm_cmp_scratch.ahead), so that their cache misses
     * overlap this query's work instead of stalling the next. */
    nm_cands next;
    const nm_rtable *want_qt, *next_qt;
    size_t want_next, next_q;
    NM_VEC(uint8_t) vec;
    NM_VEC(double) w;
    nm_cmp_scratch cs;
    double tf[NM_MAX_COMPARISONS];
    double tw[NM_MAX_COMPARISONS * NM_MAX_LEVELS];   /* weights with this query's TF terms */
    nm_match_stats st;
} nm_mworker;

/* Thresholds, threads, block cap and comparison plan from the options, else
 * the model's defaults (mt->m must be set). Shared by every way of making a matcher. */
void nm_matcher_set_opts(nm_matcher *mt, const nm_match_opts *o);
/* After mt->rows is built: term frequencies of the fields TF levels read and
 * the blocking indexes over the row store, with sizes and timings (t0: when
 * the row store build started). A field with fewer than mt->tf_min_values
 * values counted gets no TF (tf_field -1: the model's u). Returns 0 or an
 * error; frees nothing. */
int nm_matcher_index_rows(nm_matcher *mt, double t0, nm_err *err);

/* match_cache.c: the fingerprint of what the registry-side data depends on
 * (mt->m and mt->tf_field set), and adoption of that data from a registry
 * snapshot that stored it: 1 adopted (mt->borrowed), 0 absent or for another
 * model (build it), NM_E_NOMEM. */
uint64_t nm_match_cache_fingerprint(const nm_model *m);
/* mt->tf_field from mt->m, and the distinct fields it names into tff; returns how many. */
int nm_matcher_tf_fields(nm_matcher *mt, int *tff);
int nm_match_cache_adopt(nm_matcher *mt, const nm_registry *r);
/* nm_match_file over CSV bytes in memory (borrowed; `name` labels them in
 * the report), e.g. a table handed over by the Python package. */
int nm_match_data(nm_matcher *mt, const char *name, const char *data, size_t len, const char *output,
                  const nm_match_file_opts *o, nm_match_stats *stats, FILE *report, nm_err *err);
/* nm_match_file over a table's columns read in place (nm_input_read_columns:
 * the CSV's rules; bad rows reported as "name: row N, column C: reason"). */
int nm_match_columns(nm_matcher *mt, const nm_columns *t, const char *output, const nm_match_file_opts *o,
                     nm_match_stats *stats, FILE *report, nm_err *err);

int nm_mworker_init(nm_mworker *w, const nm_matcher *mt);
void nm_mworker_free(nm_mworker *w);

/* Term frequencies of record q's values (w->tf) and the weight table with
 * them folded in (w->tw). */
void nm_query_tf(const nm_matcher *mt, nm_mworker *w, const nm_rtable *qt, size_t q);
/* Candidates, vectors and weights of record q: w->cands, w->vec (n x ncomp), w->w. */
int nm_score_query(const nm_matcher *mt, nm_mworker *w, const nm_rtable *qt, size_t q);

/* The decision of match.c's header comment for one query record: scored
 * with nm_score_query (w->cands, w->vec, w->w hold its candidates), then
 * deterministic rules, guards (vetoed candidates get weight -INFINITY),
 * best and runner-up against the thresholds. win and
 * runner index w->cands (SIZE_MAX: none); npi is the winner's NPI when
 * matched, else 0. Shared by `match` (a CSV row) and `resolve --registry`
 * (the matched NPI as a record field). Returns 0 or NM_E_NOMEM. */
enum { NM_DECIDE_MATCHED, NM_DECIDE_AMBIGUOUS, NM_DECIDE_UNMATCHED };
typedef struct nm_decision {
    int status;                  /* NM_DECIDE_* */
    size_t win, runner;
    int rule;                    /* deterministic rule of the winner, -1 none */
    double conf, rconf;          /* posteriors of winner and runner-up */
    uint32_t npi;
    size_t vetoed;               /* candidates the model's guards vetoed (probability 0) */
} nm_decision;
int nm_match_decide(const nm_matcher *mt, nm_mworker *w, const nm_rtable *qt, size_t q, nm_decision *d);

#endif
