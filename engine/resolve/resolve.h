/* One night of person resolution (`npimatch resolve`): tonight's records
 * against everything earlier nights established in the state directory,
 * stable person IDs out.
 *
 * A night (the recipe of state/state.h):
 *   1. Lock the state; the model is the one the state was built with (saved
 *      in section "model" on the first night; another --model is refused).
 *   2. Input rows are upserts keyed by (source, record_id) (a file without
 *      a source column has source "" on every row): a key not in the
 *      state is new; a known key whose normalized fields hash differently is
 *      changed; otherwise unchanged (costs nothing). --delete KEYS removes
 *      keys, --full removes every stored key not in the input. A key both
 *      deleted and in the input stays (the upsert wins). Rows rejected by
 *      the reader (bad CSV, no name) are reported and skipped. A key given
 *      twice in one night keeps the row whose normalized fields hash lowest
 *      (a rule of the values, not of the row order).
 *   3. Tonight's record table (old rows, changed rows replaced, new rows
 *      inserted, deleted rows removed; key order) is indexed under the
 *      model's blocking rules, and every new or changed record is compared
 *      with its candidates in the whole table.
 *   4. Affected records: the new and changed ones, every member of each
 *      person one of them held or links to (probability >= the model's
 *      link_probability, no guard), every member of each person that lost a
 *      deleted record; each added member is compared in turn, and so on
 *      until no link leaves the affected set, so clustering sees whole
 *      components (cluster.h).
 *   5. nm_cluster_ex over the affected records and their edges, with the
 *      guards applied to pairs blocking never compared; nm_ids_assign (rules
 *      1-5 of ids/ids.h) gives IDs, change labels and audit events.
 *   6. PERSONS.csv is written (atomically), then the state is committed.
 *
 * Pair weights: the model's Fellegi-Sunter weight with term frequencies of
 * the query record's values counted over tonight's whole table; a pair
 * satisfying a deterministic rule gets an infinite weight. A pair compared
 * from both sides keeps the weight computed from its smaller key, so the
 * result depends neither on the row order nor on the thread count.
 *
 * Output columns: source,record_id,person_id,confidence,change. One row
 * per usable input row in input order (a key given twice gets two rows with
 * the same answer); with --all, one row per record of the state in key
 * order. change is one of ids.h's labels (new, unchanged, joined, merged,
 * split, moved); records deleted tonight are not listed (their removal is in
 * the audit log: record_removed, emptied). confidence: the probability of
 * the record's strongest link in its person (1 for a record alone). */
#ifndef NM_RESOLVE_H
#define NM_RESOLVE_H

#include <stdint.h>
#include <stdio.h>
#include "ids/ids.h"
#include "npimatch/error.h"

typedef struct nm_resolve_opts {
    const char *input;          /* CSV (plain or .zst) with source, record_id and the model's fields */
    const char *state_dir;
    const char *out;            /* PERSONS.csv ("-" stdout, .zst compressed) */
    const char *model;          /* NULL: the state's model, else builtin:patient */
    const char *delete_path;    /* NULL or a CSV with source,record_id */
    int full;                   /* keys not in the input are deleted */
    int all;                    /* write every record of the state */
    int threads;                /* <= 0: OpenMP default */
    uint32_t block_cap;         /* 0: 200 (blocks larger are skipped: other rules find their pairs) */
    FILE *report;               /* rejected rows (NULL: stderr) */
    const char *registry;       /* NULL, or a registry (.nmx): HCP records matched to NPIs first (registry_npi.h);
                                   the input must then be a file (it is read twice), not stdin */
    const char *input_data;     /* non-NULL: CSV bytes in memory (borrowed) read instead of the */
    size_t input_len;           /* input file; `input` then names them in messages */
    const char *delete_data;    /* likewise for delete_path */
    size_t delete_len;
} nm_resolve_opts;

typedef struct nm_resolve_stats {
    uint32_t generation;        /* committed */
    uint64_t rows, rejected, duplicates;
    uint64_t fresh, changed, unchanged, deleted, delete_unknown;
    uint64_t records;           /* in the state after tonight */
    uint64_t affected, compared, pairs, edges, refused;
    uint64_t change[NM_CHANGE_COUNT];
    uint64_t issued, retired, persons;
    double sec_load, sec_read, sec_index, sec_compare, sec_cluster, sec_write, sec_commit;
    uint64_t npi_matched, npi_ambiguous, npi_unmatched;   /* --registry: tonight's new and changed records */
    double sec_registry;        /* --registry: loading it, building its matcher, matching */
} nm_resolve_stats;

/* --registry (resolve/registry_npi.h): the input is HCP records (the HCP
 * fields of `npimatch match`); each new or changed record is matched to an
 * NPI first and the matched NPI becomes its field registry_npi; the default
 * model is builtin:hcp_person (same NPI: one person; different NPIs: never
 * one person; no NPI: the HCP fields decide). PERSONS.csv then has a sixth
 * column, npi (the record's matched NPI, empty when none). A state is built
 * with or without --registry for life; the other way is refused.
 *
 * Run one night. Returns 0 with *stats filled, or NM_E_* (NM_E_LOCKED,
 * NM_E_VERSION, NM_E_FORMAT for an input without record_id, NM_E_ARG for a
 * model other than the state's, ...) with the state untouched. */
int nm_resolve_run(const nm_resolve_opts *o, nm_resolve_stats *stats, nm_err *err);
void nm_resolve_stats_print(const nm_resolve_stats *s, FILE *out);

#endif
