/* The record table: the model's fields of many records, normalized once,
 * multi-valued, columnar.
 *
 * Both sides of a linkage live in one: the registry (built once per load
 * from the NPPES columns through the HCP preset, registry_table.c) and an
 * input batch (built from CSV columns, input_table.c). Each model field is a
 * CSR list: record r owns values roff[r]..roff[r+1], value v is the bytes
 * voff[v]..voff[v+1]. A provider has several addresses, phones, ZIPs,
 * licences and names, so every field may hold several values; an empty value
 * (length 0) is a null and is kept only to keep two fields aligned (licence
 * number i goes with licence state i).
 *
 * Derived data that predicates and blocking keys need (Soundex, NYSIIS,
 * Double Metaphone codes, nickname group ids) is computed once per value,
 * for the fields whose comparisons or keys use it (nm_rtable_plan). */
#ifndef NM_TABLE_RECORDS_H
#define NM_TABLE_RECORDS_H

#include <stddef.h>
#include <stdint.h>
#include "common/arena.h"
#include "npimatch/model.h"

#define NM_NICK_MAX 3          /* nickname groups kept per given name */
#define NM_VALUE_CAP 256       /* longest normalized value kept (bytes) */

enum {
    NM_NEED_SOUNDEX = 1,
    NM_NEED_NYSIIS = 2,
    NM_NEED_DMETAPHONE = 4,
    NM_NEED_NICKNAME = 8
};

/* Derived codes of one value; unused members stay zero. Bytes only
 * (alignment 1), so the row store can hand out pointers into its records. */
typedef struct nm_vcodes {
    char soundex[4];
    char nysiis[6];
    char dm1[4], dm2[4];            /* Double Metaphone primary, alternate (NUL-padded) */
    uint8_t nick[NM_NICK_MAX][4];   /* nickname group ids + 1, little-endian (0 = none) */
} nm_vcodes;

_Static_assert(_Alignof(nm_vcodes) == 1, "row store points at unaligned codes");

static inline uint32_t nm_vcodes_nick(const nm_vcodes *c, int i) {
    const uint8_t *b = c->nick[i];
    return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

typedef struct nm_rcol {
    NM_VEC(uint32_t) roff;     /* n_records + 1 */
    NM_VEC(uint32_t) voff;     /* n_values + 1 */
    nm_buf bytes;
    NM_VEC(nm_vcodes) codes;   /* per value, when needs != 0 */
    uint8_t needs;             /* NM_NEED_* */
} nm_rcol;

typedef struct nm_rtable {
    const nm_model *model;
    size_t nfields;
    size_t n;                  /* records */
    nm_rcol *col;              /* nfields */
} nm_rtable;

/* The derived data each field needs under model m (comparisons, matching
 * and training blocking rules). needs[] has nm_model_field_count entries. */
void nm_rtable_plan(const nm_model *m, uint8_t *needs);

/* tokf[f] = 1 for the fields a token-set Jaccard level of m reads (their
 * row store values carry token filters, compare/tokset.h); else 0. */
void nm_rtable_token_fields(const nm_model *m, uint8_t *tokf);
/* tj[k] = 1 when a token-set Jaccard level of cmp reads its field slot k
 * (k < 2, the slots the compare stage pairs up); else 0. */
void nm_comparison_token_slots(const nm_comparison *cmp, uint8_t tj[2]);

int nm_rtable_init(nm_rtable *t, const nm_model *m);
void nm_rtable_free(nm_rtable *t);
/* Empty the table, keep its memory (per-chunk scratch tables). */
void nm_rtable_reset(nm_rtable *t);

/* Building, one record at a time: add its values, then end it. */
/* Normalize `in` with field f's normalizers and append the value (dropped
 * when nothing usable remains, unless keep_empty). Returns 0 or NM_E_NOMEM. */
int nm_rtable_add(nm_rtable *t, size_t f, const char *in, size_t n, int keep_empty);
/* Two-line form for address fields (line 1, line 2); other fields join them with a space. */
int nm_rtable_add2(nm_rtable *t, size_t f, const char *a, size_t na, const char *b, size_t nb, int keep_empty);
/* Append an already normalized value (no normalizer run; codes still derived). */
int nm_rtable_add_norm(nm_rtable *t, size_t f, const char *v, size_t n);
/* Close the current record (its values are those added since the last end). */
int nm_rtable_end_record(nm_rtable *t);
/* Append every record of src after dst's (same model). */
int nm_rtable_append(nm_rtable *dst, const nm_rtable *src);
/* Append record r of src as dst's next record, values and derived codes
 * copied as they are (same model; nothing normalized or derived again).
 * Returns 0 or NM_E_NOMEM. */
int nm_rtable_copy_record(nm_rtable *dst, const nm_rtable *src, size_t r);

/* Normalize one value with field f's normalizer chain into out (cap bytes,
 * NUL-terminated). Returns the length (0: nothing usable). */
size_t nm_field_normalize(const nm_field *f, const char *in, size_t n, char *out, size_t cap);

/* ---- reading ---- */
static inline uint32_t nm_rt_count(const nm_rtable *t, size_t f, size_t r) {
    return t->col[f].roff.v[r + 1] - t->col[f].roff.v[r];
}
static inline uint32_t nm_rt_first(const nm_rtable *t, size_t f, size_t r) { return t->col[f].roff.v[r]; }
static inline const char *nm_rt_value(const nm_rtable *t, size_t f, uint32_t v, uint32_t *len) {
    const nm_rcol *c = &t->col[f];
    *len = c->voff.v[v + 1] - c->voff.v[v];
    return c->bytes.data + c->voff.v[v];
}
/* Values added so far to field f of the record being built. */
static inline uint32_t nm_rt_pending(const nm_rtable *t, size_t f) {
    const nm_rcol *c = &t->col[f];
    return (uint32_t)(c->voff.n - 1) - c->roff.v[c->roff.n - 1];
}
/* 1 when record r has at least one non-empty value in field f. */
int nm_rt_has(const nm_rtable *t, size_t f, size_t r);
/* Bytes held (for memory reports). */
size_t nm_rtable_bytes(const nm_rtable *t);

#endif
