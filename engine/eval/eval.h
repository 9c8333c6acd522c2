/* Evaluation of NPI matching and person resolution against generated truth
 * (npimatch eval). docs/eval.md describes the inputs, the metrics and the
 * JSON report.
 *
 * NPI matching (truth from gen hcp: record_id,npi; matches from match):
 *  - at the model's thresholds: a record is a predicted positive when its
 *    status is "matched" and it has an NPI; it is right when that NPI equals
 *    the truth NPI. Precision = right / predicted; recall = right / records
 *    whose truth has an NPI (records missing from the matches file count as
 *    missed);
 *  - a sweep over confidence thresholds 0.00, 0.01, ..., 1.00: any row with
 *    an NPI and confidence >= t is a positive, whatever its status;
 *  - calibration: rows with an NPI in 10 confidence bins, count and share
 *    right;
 *  - top-2 candidate recall (truth NPI is the match or the runner-up) and,
 *    with a stats file, pairs compared per record and blocking recall.
 * Person resolution (truth from gen patients: source,record_id,person_id):
 *  - pairwise precision/recall/F1 from the contingency table of true persons
 *    x predicted clusters: TP = sum C(n_ij, 2), predicted pairs = sum
 *    C(b_j, 2), true pairs = sum C(a_i, 2) (no pair enumeration);
 *  - B-cubed (Bagga & Baldwin 1998): precision = 1/N sum n_ij^2 / b_j,
 *    recall = 1/N sum n_ij^2 / a_i;
 *  - over-merged clusters (holding > 1 true person), split persons (spread
 *    over > 1 cluster), calibration (a record is right when its true person
 *    is the majority person of its cluster). */
#ifndef NM_EVAL_H
#define NM_EVAL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "common/arena.h"
#include "npimatch/error.h"

typedef struct nm_eval_prf {
    uint64_t tp, fp, fn;
    double precision, recall, f1;
} nm_eval_prf;
/* Precision, recall and F1 from counts (0 where undefined). */
nm_eval_prf nm_eval_prf_make(uint64_t tp, uint64_t fp, uint64_t fn);

#define NM_EVAL_BINS 10
typedef struct nm_eval_bin {
    uint64_t count, right;
    double conf_sum;
} nm_eval_bin;
/* Bin of a confidence in [0, 1]: floor(10 c), 1.0 in the last bin. */
int nm_eval_bin_of(double c);

#define NM_EVAL_SWEEP 101   /* thresholds 0.00 .. 1.00 */
typedef struct nm_eval_sweep {
    double threshold;
    uint64_t tp, fp;
    nm_eval_prf m;
} nm_eval_sweep;

/* One reviewed case: record id, confidence and explanation (strings in the
 * result's arena). */
typedef struct nm_eval_case {
    const char *record_id, *status, *explanation;
    double confidence;
} nm_eval_case;

typedef struct nm_eval_npi {
    uint64_t records;            /* truth rows */
    uint64_t truth_with_npi, truth_absent;
    uint64_t rows;               /* matches rows */
    uint64_t missing;            /* truth records without a matches row */
    uint64_t unknown;            /* matches rows not in the truth (ignored) */
    uint64_t status_matched, status_ambiguous, status_other;
    nm_eval_prf at_model;
    uint64_t fp_absent;          /* predicted NPIs for providers absent from the registry */
    uint64_t fp_wrong;           /* predicted a wrong NPI for a provider in the registry */
    nm_eval_sweep sweep[NM_EVAL_SWEEP];
    int best;                    /* index of the best-F1 threshold (lowest on ties) */
    nm_eval_bin calib[NM_EVAL_BINS];
    uint64_t top2_found;         /* truth NPI is npi or runner_up_npi */
    /* from --stats (have_stats 1) or the matches file's optional `candidates`
     * column (have_stats 2), and the optional candidates list */
    int have_stats, have_blocking;
    uint64_t stats_records, pairs_compared, blocking_found;
    double seconds;
    nm_eval_case *worst_fp, *worst_fn;
    size_t nworst_fp, nworst_fn;
    nm_arena arena;
} nm_eval_npi;

typedef struct nm_eval_clusters {
    uint64_t records, true_persons, clusters;
    uint64_t tp_pairs, pred_pairs, true_pairs;
    nm_eval_prf pairwise;        /* tp/fp/fn in pairs */
    double b3_precision, b3_recall, b3_f1;
    uint64_t over_merged, split;
    uint64_t right;              /* records whose true person is their cluster's majority */
} nm_eval_clusters;

/* Cluster metrics of n records: truth[i] and pred[i] are any ids (equal ids
 * = same person / cluster). right[i] (optional, n bytes) is set to 1 when
 * record i's true person is the majority person of its predicted cluster
 * (ties: the smallest true id). Returns 0 or NM_E_NOMEM. */
int nm_eval_clusters_compute(const uint32_t *truth, const uint32_t *pred, size_t n, nm_eval_clusters *out,
                             uint8_t *right);

typedef struct nm_eval_persons {
    uint64_t truth_rows, rows, missing, unknown;
    nm_eval_clusters c;
    nm_eval_bin calib[NM_EVAL_BINS];
    char change_name[16][24];    /* values of the change column and their counts */
    uint64_t change_count[16];
    int nchange;
    nm_eval_case *worst;         /* wrongly placed records, highest confidence first */
    size_t nworst;
    nm_arena arena;
} nm_eval_persons;

typedef struct nm_eval_opts {
    const char *truth;
    const char *matches;     /* NPI mode */
    const char *persons;     /* resolution mode */
    const char *stats;       /* optional (NPI mode) */
    size_t worst;            /* cases to keep for review (0: none) */
} nm_eval_opts;

/* Read the files and compute. Errors: NM_E_IO, NM_E_FORMAT with
 * "file:line:col: reason" (never field contents). Free with *_free. */
int nm_eval_npi_run(const nm_eval_opts *o, nm_eval_npi *out, nm_err *err);
void nm_eval_npi_free(nm_eval_npi *e);
int nm_eval_persons_run(const nm_eval_opts *o, nm_eval_persons *out, nm_err *err);
void nm_eval_persons_free(nm_eval_persons *e);

/* Reports: human-readable text, JSON (deterministic), sweep CSV. */
void nm_eval_npi_print(const nm_eval_npi *e, FILE *out);
int nm_eval_npi_json(const nm_eval_npi *e, nm_buf *out);
int nm_eval_sweep_csv(const nm_eval_npi *e, nm_buf *out);
void nm_eval_persons_print(const nm_eval_persons *e, FILE *out);
int nm_eval_persons_json(const nm_eval_persons *e, nm_buf *out);

#endif
