/* npimatch/match.h - HCP-to-NPI matching: for every record of an input file,
 * the registry provider it is, with a calibrated confidence and the reasons.
 *
 * A matcher is built once per registry load and model: the model's fields
 * are extracted from the registry and normalized once (the HCP preset maps
 * field names to NPPES columns), every blocking rule gets an in-memory
 * index (XXH3 key -> rows), and name term frequencies are counted. Then
 * nm_match_file runs the pipeline per input record, in parallel:
 * block (candidates from every rule, each compared once, tagged with the
 * first rule that found it) -> compare (a level per comparison) -> score
 * (Fellegi-Sunter weight with TF terms) -> decide (deterministic rules
 * first, then best and runner-up against the thresholds).
 *
 * Output CSV, one row per input row in input order (byte-identical for any
 * thread count and SIMD level):
 *   record_id,npi,confidence,match_weight,status,runner_up_npi,
 *   runner_up_confidence,match_key,explanation
 * status: matched | ambiguous (runner-up within ambiguity_gap_bits of the
 * best) | unmatched (best below match_probability; no candidate:
 * "no_candidates"; every candidate vetoed by the model's guards:
 * "vetoed:<count>"; a row rejected: "rejected:<reason>"). match_key: the
 * deterministic rule or the blocking rule that found the winner. */
#ifndef NPIMATCH_MATCH_H
#define NPIMATCH_MATCH_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "npimatch/error.h"
#include "npimatch/model.h"
#include "npimatch/registry.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct nm_matcher nm_matcher;

typedef struct nm_match_opts {
    int threads;                 /* 0: OpenMP default */
    uint32_t block_cap;          /* blocks larger than this are skipped and counted; 0: 2000 */
    double match_probability;    /* < 0 or NaN: the model's threshold */
    double ambiguity_gap_bits;   /* < 0 or NaN: the model's */
    int keep_lambda;             /* 1: use the model's lambda; 0 (default): 1 / active providers of the registry */
} nm_match_opts;

/* Build a matcher over registry r with model m (r is borrowed: keep it
 * alive until nm_matcher_free; m is copied). The prior is 1/N for a registry
 * of N active providers unless o->keep_lambda. Errors: NM_E_NOMEM, NM_E_MODEL (a model
 * whose fields the registry cannot fill at all). */
NM_API int nm_matcher_create(const nm_registry *r, const nm_model *m, const nm_match_opts *o, nm_matcher **out,
                             nm_err *err);
NM_API void nm_matcher_free(nm_matcher *mt);

/* Save registry r (the one mt was built on) as a snapshot that also holds
 * mt's normalized registry rows, term frequencies and blocking indexes, so
 * nm_matcher_create on the loaded registry with a model of the same fields,
 * normalizers and blocking rules adopts them instead of rebuilding them
 * (other models build as usual). mt NULL: the registry alone, without any
 * such data it was loaded with. Errors as nm_registry_save; NM_E_ARG when
 * mt was built on another registry. */
NM_API int nm_registry_save_with_matcher(const nm_registry *r, const nm_matcher *mt, const char *path, nm_err *err);

/* nm_registry_load for matching with model m: when the snapshot holds the
 * matcher data of m (nm_registry_save_with_matcher), the providers' records
 * themselves are not loaded (the matcher has its own normalized copy), which
 * saves their memory; such a registry serves nm_matcher_create with m,
 * nm_registry_find/count and NPIs, while nm_registry_row_json and
 * nm_registry_save refuse it (NM_E_ARG). Otherwise the same as nm_registry_load. */
NM_API int nm_registry_load_for_match(const char *path, const nm_model *m, nm_registry **out, nm_err *err);

#define NM_MATCH_MAX_RULES 64
typedef struct nm_match_stats {
    uint64_t records, matched, ambiguous, unmatched, rejected;
    uint64_t matched_by_rule;                       /* matched through a deterministic rule */
    uint64_t pairs;                                 /* candidate pairs compared and scored */
    uint64_t rule_pairs[NM_MATCH_MAX_RULES];        /* pairs attributed to each blocking rule */
    uint64_t rule_skipped[NM_MATCH_MAX_RULES];      /* blocks over the cap, per rule */
    uint64_t rejected_by[32];                       /* by nm_reason (engine/common/diag.h) */
    double seconds_read, seconds_match;
} nm_match_stats;

typedef struct nm_match_file_opts {
    const char *const *map;      /* "field=column" overrides of input column names */
    size_t nmap;
} nm_match_file_opts;

/* Match every record of `input` (CSV, plain or .zst) and write `output`
 * atomically (plain, or zstd when it ends in .zst; "-" = stdout). Bad rows
 * are reported on `report` (NULL: stderr) as "file:line:col: reason" and
 * written as unmatched. Fails at once (NM_E_FORMAT) when the input has no
 * record_id or name column. stats may be NULL. */
NM_API int nm_match_file(nm_matcher *mt, const char *input, const char *output, const nm_match_file_opts *o,
                         nm_match_stats *stats, FILE *report, nm_err *err);

/* The run summary (counts by status, pairs per record, rejected rows by
 * reason); with `blocking`, per-rule pair counts, skipped blocks and the
 * largest blocks of each index. */
NM_API void nm_match_stats_print(const nm_matcher *mt, const nm_match_stats *st, int blocking, FILE *out);

#ifdef __cplusplus
}
#endif
#endif
