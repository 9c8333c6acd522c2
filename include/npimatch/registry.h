/* npimatch/registry.h - the NPPES registry: ingest, snapshot, lookup.
 *
 * A registry holds every provider of the NPPES files it was built from, in a
 * columnar in-memory layout (string arenas with offsets, fixed-width arrays;
 * no per-record allocation). It is built once from the CMS files
 * (nm_registry_build), saved as a versioned, zstd-compressed, XXH3-checked
 * snapshot (nm_registry_save) and loaded from it on the nightly fast path
 * (nm_registry_load). Deactivated NPIs are kept and flagged. */
#ifndef NPIMATCH_REGISTRY_H
#define NPIMATCH_REGISTRY_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "npimatch/error.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct nm_registry nm_registry;

/* Options for nm_registry_build. Zero-initialise, then set what you need. */
typedef struct nm_index_opts {
    int threads;          /* 0: OpenMP default */
    int strict;           /* nonzero: any rejected row or nulled field fails the build (NM_E_BADROWS) */
    FILE *report;         /* where "file:line:col: reason" lines and the summary go; NULL = stderr */
    int quiet;            /* nonzero: no report at all (counts still returned) */
} nm_index_opts;

/* Counts from a build, by file and by reason. */
typedef struct nm_index_stats {
    uint64_t rows_read;        /* data rows seen in all files */
    uint64_t rows_skipped;     /* rows dropped (bad NPI, wrong field count, ...) */
    uint64_t fields_nulled;    /* fields cleared (impossible dates, over-long values, ...) */
    uint64_t bytes_read;       /* uncompressed bytes parsed */
    uint64_t providers_updated;/* rows of later files that replaced an earlier row by NPI */
} nm_index_stats;

/* Build a registry from NPPES files, in order. Each file's kind is told by
 * its header: the main file (npidata_pfile, 330 or 329 columns; weekly
 * incremental files have the same layout and later rows replace earlier ones
 * by NPI), othername_pfile, pl_pfile, or a deactivation list (CSV with "NPI"
 * and a deactivation date column). Paths may name plain or .zst files or "-"
 * for stdin. On success *out is owned by the caller (nm_registry_free).
 * Bad rows are reported and counted, not fatal, unless opts->strict. A file
 * that is empty, not NPPES, or lacks a required column fails at once. */
NM_API int nm_registry_build(const char *const *paths, size_t npaths, const nm_index_opts *opts,
                             nm_registry **out, nm_index_stats *stats, nm_err *err);

/* Write a snapshot atomically (temporary file, fsync, rename). */
NM_API int nm_registry_save(const nm_registry *r, const char *path, nm_err *err);
/* Load a snapshot. A truncated, corrupted (checksum), foreign or
 * wrong-version file is refused with NM_E_CORRUPT / NM_E_FORMAT / NM_E_VERSION. */
NM_API int nm_registry_load(const char *path, nm_registry **out, nm_err *err);
NM_API void nm_registry_free(nm_registry *r);

typedef struct nm_registry_info {
    uint64_t providers, individuals, organizations, deactivated;
    uint64_t with_secondary_locations, secondary_locations;
    uint64_t taxonomies;            /* taxonomy codes kept, all providers */
    uint64_t distinct_taxonomies;
    uint64_t other_names;           /* individual other names + organization other names */
    uint64_t memory_bytes;          /* bytes held by the in-memory registry */
} nm_registry_info;

NM_API void nm_registry_get_info(const nm_registry *r, nm_registry_info *out);

/* Row index of an NPI, or -1 if absent. O(1) average. */
NM_API int64_t nm_registry_find(const nm_registry *r, uint64_t npi);
NM_API size_t nm_registry_count(const nm_registry *r);

/* Every kept field of one provider as a JSON object (UTF-8), appended to a
 * malloc'ed NUL-terminated string the caller frees. Returns 0 or NM_E_ARG
 * for a row out of range. */
NM_API int nm_registry_row_json(const nm_registry *r, size_t row, char **json, size_t *len);

/* NPI check digit (Luhn over "80840" + the first 9 digits, CMS
 * "Requirements for NPI Check Digit"): 1 when `s` is 10 digits starting with
 * 1 or 2 and the check digit is right. */
NM_API int nm_npi_valid(const char *s, size_t n);

#ifdef __cplusplus
}
#endif
#endif
