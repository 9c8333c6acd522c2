/* The row store: the registry side of the record table laid out record by
 * record (all fields of a provider in one run of bytes), for the compare
 * stage. Candidates are random registry rows; in the columnar table each
 * field of a candidate is a separate cache miss (offsets, then bytes, then
 * codes, for each of ~14 fields), here a candidate is one contiguous run of
 * a few cache lines the prefetcher streams in.
 *
 * Layout of a record: the number of values nv (2 bytes, little-endian),
 * a count byte per field, a length byte per value (field by field), then
 * per value its bytes, the derived codes (nm_vcodes, byte-aligned) when the
 * field has any, and the token filter (compare/tokset.h, NM_TOKF_BYTES)
 * when a token-set Jaccard level reads the field (nm_rtable_token_fields).
 * Counts and lengths come first so that decoding a record is a sum over
 * bytes loaded side by side, not a chain of loads each waiting for the
 * length before it. */
#ifndef NM_TABLE_ROWS_H
#define NM_TABLE_ROWS_H

#include "table/records.h"

typedef struct nm_rrows {
    size_t n, nfields;
    uint64_t *off;               /* n + 1 */
    nm_buf blob;
    uint8_t needs[NM_MAX_FIELDS];
    uint8_t tokf[NM_MAX_FIELDS];   /* 1: field f's values carry token filters */
} nm_rrows;

/* A decoded value: bytes and codes (or NULL) in the row store. */
typedef struct nm_vview {
    const char *p;
    uint32_t len;
    const nm_vcodes *codes;
} nm_vview;

/* Set what a record of model m holds beside each value (nfields, needs,
 * tokf: rows.h layout), the same for a built row store and one read from
 * a snapshot. Leaves everything else of rr alone. */
void nm_rrows_layout(nm_rrows *rr, const nm_model *m);
int nm_rrows_build(nm_rrows *rr, const nm_rtable *t, int threads);
/* Incremental building (the registry, chunk by chunk): begin for n records
 * with the fields of table `like`; nm_rrows_put encodes a table's records
 * into b (off[i]: record i's start in b); nm_rrows_append adds them. */
int nm_rrows_begin(nm_rrows *rr, const nm_rtable *like, size_t n);
int nm_rrows_put(nm_buf *b, uint64_t *off, const nm_rtable *t);
int nm_rrows_append(nm_rrows *rr, const nm_buf *b, const uint64_t *off, size_t n);
void nm_rrows_free(nm_rrows *rr);
/* 1 when every record of rr decodes inside its own bytes (a row store read
 * from a file is checked before any decode trusts it), else 0. */
int nm_rrows_check(const nm_rrows *rr);

/* Decode record r: its values go to v[0..) and fstart[f]..fstart[f+1] are
 * field f's values (fstart has nfields + 1 entries). v needs room for every
 * value of the record (nm_rrows_nvalues). Returns the number of values. */
size_t nm_rrows_decode(const nm_rrows *rr, size_t r, nm_vview *v, uint32_t *fstart);
/* The same, field-major: record r's values of field f are appended to
 * cols[f] (grown as needed; cols has nfields entries) and fstart[f * stride]
 * is set to cols[f].n before they are. Fields with want[f] == 0 are passed
 * over (no values appended). 0 or NM_E_NOMEM. */
typedef NM_VEC(nm_vview) nm_vview_vec;
int nm_rrows_decode_cols(const nm_rrows *rr, size_t r, const uint8_t *want, nm_vview_vec *cols, uint32_t *fstart,
                         size_t stride);
/* Number of values of record r (the room v needs). */
static inline size_t nm_rrows_nvalues(const nm_rrows *rr, size_t r) {
    const uint8_t *p = (const uint8_t *)rr->blob.data + rr->off[r];
    return (size_t)p[0] | (size_t)p[1] << 8;
}
/* Ask the cache for every line of record r (at most 8) ahead of its decode. */
static inline void nm_rrows_prefetch(const nm_rrows *rr, size_t r) {
    const char *p = rr->blob.data + rr->off[r], *e = rr->blob.data + rr->off[r + 1];
    if (e > p + 512) e = p + 512;
    for (const char *x = (const char *)((uintptr_t)p & ~(uintptr_t)63); x < e; x += 64) __builtin_prefetch(x);
}

#endif
