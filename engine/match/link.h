/* Generic linkage (npimatch link / dedupe / train on two CSV files or one):
 * the HCP matcher's stages over record tables built from CSV columns, with
 * no registry.
 *
 *  link    the larger side is indexed (ties: the right), every record of the
 *          other side is a query; each pair is scored once.
 *  dedupe  one table is both sides; a query keeps only candidates after it
 *          in input order, so each unordered pair is scored once and no
 *          record is paired with itself. Blocking keys are symmetric (a and
 *          b share a key of a rule iff b and a do, and a block over the cap
 *          is skipped from both ends), so this drops no pair.
 *
 * Output rows (plain or .zst, atomic):
 *   pairs:    left_id,right_id,match_probability,match_weight,match_key,explanation
 *             one per pair with probability >= the threshold or satisfying
 *             a deterministic rule (match_key = the rule's name, else the
 *             first blocking rule that found the pair); ordered by left
 *             input order, then match weight descending, then right id
 *             (bytes), then right input order. Dedupe: left is the earlier
 *             record in input order.
 *   clusters: record_id,cluster_id,confidence, one per input row in input
 *             order; cluster_id = the smallest record id (byte order) in the
 *             cluster, so it does not depend on row order or thread count;
 *             confidence = the strongest link probability holding the record
 *             in its cluster (1 alone). A rejected row gets an empty
 *             cluster_id and confidence 0.
 * Record ids: --map record_id=COLUMN, else the model's "id_column", else the
 * first of record_id, rec_id, id in the header; a file without one fails. */
#ifndef NM_MATCH_LINK_H
#define NM_MATCH_LINK_H

#include <stdio.h>
#include "match/matcher.h"
#include "match/train_pairs.h"

typedef struct nm_link_opts {
    int threads;                        /* 0: OpenMP default */
    double threshold;                   /* pairs written: < 0 or NaN: the model's match_probability */
    uint32_t block_cap;                 /* 0: 2000 */
    const char *const *map[2];          /* per side (left, right): "field=column" overrides */
    size_t nmap[2];
    const char *data[2];                /* per side: CSV bytes in memory instead of the file (the */
    size_t len[2];                      /* path then names them in messages); NULL: read the file */
} nm_link_opts;

typedef struct nm_link_stats {
    uint64_t records[2], rejected[2];
    uint64_t pairs_scored, pairs_written;
    uint64_t clusters, links_refused;
    double seconds_read, seconds_score, seconds_cluster;
} nm_link_stats;

/* A matcher over an in-memory record table (no registry): indexes, row
 * store and term frequencies of `ref` (borrowed only during the call).
 * The model's lambda is kept. Free with nm_matcher_free. */
int nm_matcher_from_table(const nm_rtable *ref, const nm_model *m, const nm_match_opts *o, nm_matcher **out,
                          nm_err *err);

/* Read side `side` (0 left, 1 right) of a linkage, a generic CSV, for model m
 * (id column rules above; maps and in-memory data from o, may be NULL). */
int nm_link_read(nm_input *in, const char *path, const nm_model *m, const nm_link_opts *o, int side, int threads,
                 nm_err *err);

/* npimatch link: score left x right, write pairs to `out`. Bad rows are
 * reported on `report` (NULL: stderr). stats may be NULL. */
int nm_link_files(const char *left, const char *right, const nm_model *m, const char *out, const nm_link_opts *o,
                  nm_link_stats *stats, FILE *report, nm_err *err);

/* npimatch dedupe: self-link `input`, cluster (engine/cluster: the model's
 * link_probability and guards), write clusters to `out` and, when
 * pairs_out != NULL, the scored pairs as in nm_link_files. Fails
 * (NM_E_FORMAT) on a duplicate record id. */
int nm_dedupe_file(const char *input, const nm_model *m, const char *out, const char *pairs_out,
                   const nm_link_opts *o, nm_link_stats *stats, FILE *report, nm_err *err);

/* npimatch train on a dedupe (right == NULL) or link input: u from random
 * pairs (seeded), m by EM per training blocking rule, or from labels (CSV
 * left_id,right_id of known matching pairs; u from random pairs).
 * `out` is trained in place (a copy of the model). */
int nm_train_files(const char *left, const char *right, nm_model *out, const nm_link_opts *lo,
                   const nm_train_opts *to, nm_train_report *rep, FILE *report, nm_err *err);

#endif
