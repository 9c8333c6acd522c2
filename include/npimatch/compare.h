/* npimatch/compare.h - comparators: Jaro / Jaro-Winkler (scalar reference and
 * SIMD one-against-many kernels), edit distances, token Jaccard, phonetic
 * codes, dates and ZIP geography.
 *
 * Strings are byte strings with explicit lengths (no NUL needed). Scoring
 * compares normalized values (npimatch/normalize.h), which are upper-case
 * ASCII, so "bytes" and "characters" coincide. No function allocates unless
 * it says so; all are thread-safe. */
#ifndef NPIMATCH_COMPARE_H
#define NPIMATCH_COMPARE_H

#include <stddef.h>
#include <stdint.h>
#include "npimatch/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ======================= Jaro and Jaro-Winkler ======================= *
 * Conventions (pinned by tests; see docs in engine/compare/jaro.c):
 *  - match window r = max(floor(max(la,lb)/2) - 1, 0); greedy matching in
 *    order of a, first free b[j] with |i-j| <= r;
 *  - t = matched characters out of order; Jaro uses floor(t/2);
 *  - J = (m/la + m/lb + (m - floor(t/2))/m) / 3, and 0 when m = 0;
 *  - Winkler: common prefix l <= 4, p = 0.1, boost only when J > 0.7:
 *    JW = J + l*p*(1-J);
 *  - unit: bytes; two empty strings score 0 (scoring treats empty as null);
 *  - the double is computed by one fixed formula (nm_jw_from_parts) on every
 *    path, so scalar and SIMD results are bit-identical. */

/* The integers that determine J and JW. Scores and threshold decisions are
 * functions of these alone. */
typedef struct nm_jaro_parts {
    uint32_t la, lb;     /* lengths */
    uint32_t m;          /* matching characters */
    uint32_t t_half;     /* floor(transpositions / 2) */
    uint32_t prefix;     /* common prefix length, capped at 4 */
} nm_jaro_parts;

/* Scalar reference: compute the parts of a pair. */
NM_API void nm_jaro_parts_of(const char *a, size_t la, const char *b, size_t lb, nm_jaro_parts *out);
/* Jaro and Jaro-Winkler similarity from parts (the one formula every path uses). */
NM_API double nm_jaro_from_parts(const nm_jaro_parts *p);
NM_API double nm_jw_from_parts(const nm_jaro_parts *p);
/* Exact integer threshold test: is JW >= percent/100? (and Jaro for nm_jaro_at_least).
 * Decided in integer arithmetic, so ties such as JW == 0.80 exactly go the same way on
 * every path and are never lost to floating-point rounding. */
NM_API int nm_jw_at_least(const nm_jaro_parts *p, unsigned percent);
NM_API int nm_jaro_at_least(const nm_jaro_parts *p, unsigned percent);

/* Convenience scalar scores. */
NM_API double nm_jaro(const char *a, size_t la, const char *b, size_t lb);
NM_API double nm_jaro_winkler(const char *a, size_t la, const char *b, size_t lb);

/* One query against many candidates (the shape of a block). Candidates are
 * packed Arrow-style: candidate i is bytes[offsets[i] .. offsets[i+1]).
 * Uses the active SIMD level (npimatch/simd.h); results are identical on
 * every level. `out` has n entries, owned by the caller. */
NM_API void nm_jw_batch(const char *q, size_t lq, const char *bytes, const uint32_t *offsets, size_t n,
                        double *out);
/* Same, returning the parts (for exact threshold decisions or several cuts). */
NM_API void nm_jaro_parts_batch(const char *q, size_t lq, const char *bytes, const uint32_t *offsets,
                                size_t n, nm_jaro_parts *out);
/* Same, returning for each candidate the index of the first threshold (in
 * percent, descending) that JW reaches, or nthr when none: with {92, 88, 70}
 * a JW of 0.90 gives 1. Thresholds are decided exactly (nm_jw_at_least).
 * At most 255 thresholds are used (levels are bytes). */
NM_API void nm_jw_level_batch(const char *q, size_t lq, const char *bytes, const uint32_t *offsets,
                              size_t n, const uint8_t *thresholds_pct, int nthr, uint8_t *out);

/* A block prepared once for many queries (blocking compares every record of
 * a block with the same candidates). nm_jw_block_prepare copies the
 * candidates (packed as for nm_jw_batch; the caller keeps ownership of
 * bytes/offsets) and lays them out for the SIMD level active at that time;
 * *out is freed with nm_jw_block_free. Returns NM_OK, NM_E_ARG (n or the
 * offsets out of range) or NM_E_NOMEM (then *out = NULL). */
typedef struct nm_jw_block nm_jw_block;
NM_API int nm_jw_block_prepare(const char *bytes, const uint32_t *offsets, size_t n, nm_jw_block **out);
NM_API void nm_jw_block_free(nm_jw_block *b);
/* Number of candidates of the block (0 for NULL). */
NM_API size_t nm_jw_block_count(const nm_jw_block *b);
/* The same results as nm_jw_batch / nm_jaro_parts_batch / nm_jw_level_batch
 * against the block's candidates, in their original order (`out` has
 * nm_jw_block_count entries, owned by the caller). Read-only on the block:
 * threads may share one. Queried under another SIMD level than the one it was
 * prepared for, the block falls back to the batch kernels (same results). */
NM_API void nm_jw_block_jw(const nm_jw_block *b, const char *q, size_t lq, double *out);
NM_API void nm_jw_block_parts(const nm_jw_block *b, const char *q, size_t lq, nm_jaro_parts *out);
NM_API void nm_jw_block_level(const nm_jw_block *b, const char *q, size_t lq, const uint8_t *thresholds_pct, int nthr,
                              uint8_t *out);

/* ======================= edit distances and token sets ======================= */

/* Levenshtein distance. If max >= 0 and the distance exceeds max, returns
 * max + 1 as soon as that is certain (early exit). */
NM_API int nm_levenshtein(const char *a, size_t la, const char *b, size_t lb, int max);
/* Optimal-string-alignment Damerau-Levenshtein (adjacent transpositions,
 * no substring edited twice); same bound convention. */
NM_API int nm_osa_distance(const char *a, size_t la, const char *b, size_t lb, int max);
/* Hamming distance of equal-length strings; -1 when the lengths differ. */
NM_API int nm_hamming(const char *a, size_t la, const char *b, size_t lb);
/* Jaccard similarity of the sets of space-separated tokens (organization
 * names): |A n B| / |A u B|, 0 when both are empty. */
NM_API double nm_token_jaccard(const char *a, size_t la, const char *b, size_t lb);

/* ======================= phonetic codes ======================= *
 * Inputs are normalized names (upper-case ASCII letters; other bytes are
 * skipped). Outputs are NUL-terminated in caller buffers. */

/* American Soundex (NARA rule: consonants with the same code separated only
 * by H or W are coded once). out: 5 bytes. Returns 4, or 0 (out = "") when
 * the input has no letter. */
NM_API size_t nm_soundex(const char *s, size_t n, char out[5]);
/* NYSIIS, original algorithm (Taft 1970). max_len 6 gives the original
 * truncation, 0 no truncation. out needs cap >= (max_len ? max_len : n) + 1.
 * Returns the code length (0 for no letters). */
NM_API size_t nm_nysiis(const char *s, size_t n, int max_len, char *out, size_t cap);
/* Double Metaphone (Philips 2000), codes of at most 4 characters. primary
 * and alternate: 5 bytes each. Returns the primary length (0 for no letters). */
NM_API size_t nm_double_metaphone(const char *s, size_t n, char primary[5], char alternate[5]);

/* ======================= dates ======================= *
 * Dates are packed integers YYYYMMDD (0 = missing), as produced by
 * nm_parse_date (npimatch/normalize.h). Predicates return 1 or 0, and 0 when
 * either date is missing. */
NM_API int nm_date_valid(uint32_t ymd);
NM_API int nm_date_same_year_month(uint32_t a, uint32_t b);
NM_API int nm_date_same_year(uint32_t a, uint32_t b);
/* Day and month swapped (03/04 vs 04/03), same year, and not equal. */
NM_API int nm_date_transposed(uint32_t a, uint32_t b);
/* The 8-digit forms differ in exactly one digit. */
NM_API int nm_date_one_digit_off(uint32_t a, uint32_t b);
/* |a - b| in days; -1 when either is missing or invalid. */
NM_API int32_t nm_date_days_apart(uint32_t a, uint32_t b);
/* Days since 1970-01-01 (proleptic Gregorian); INT32_MIN when invalid. */
NM_API int32_t nm_date_to_days(uint32_t ymd);

/* ======================= ZIP geography ======================= */

/* ZIP codes as normalized 5-digit strings. */
NM_API int nm_zip5_equal(const char *a, const char *b);
NM_API int nm_zip3_equal(const char *a, const char *b);

/* Optional centroid table: CSV "zip,lat,lon" (header required; extra
 * columns ignored). Not shipped; users supply one. Free with nm_zip_table_free. */
typedef struct nm_zip_table nm_zip_table;
NM_API int nm_zip_table_load(const char *path, nm_zip_table **out, nm_err *err);
NM_API void nm_zip_table_free(nm_zip_table *t);
/* Great-circle distance in km between ZIP centroids; -1 if either is unknown. */
NM_API double nm_zip_distance_km(const nm_zip_table *t, const char *zip_a, const char *zip_b);

#ifdef __cplusplus
}
#endif
#endif
