/* Internal layout of the NPPES registry and the accessor API the matching
 * engine builds on.
 *
 * Layout (columnar, no per-record allocation):
 *  - fixed-width columns, one entry per row: NPI, replacement NPI (uint32:
 *    NPIs are < 3e9), entity type, sex, sole-proprietor flag, status flags,
 *    five dates as uint32 YYYYMMDD (0 = empty);
 *  - one record blob per row (offsets blob_off[n+1] into one byte array)
 *    holding the string fields. A record is a varint bitmask of the present
 *    fields, then each present field: a string as varint length + UTF-8
 *    bytes, a dictionary field as a 3-byte little-endian id. After the scalar
 *    fields comes the taxonomy/licence list: varint count, then per group a
 *    slot byte (1..15) followed by a small record (code, licence, state,
 *    primary switch). Empty fields cost nothing; low-cardinality values
 *    (states, countries, cities, credentials, taxonomy codes, prefixes)
 *    cost 3 bytes;
 *  - secondary practice locations (pl_pfile) and organization other names
 *    (othername_pfile) as CSR lists: first[row]..first[row+1] indexes items,
 *    each item a record in the list's own blob;
 *  - a dictionary of distinct low-cardinality strings (id 0 = empty);
 *  - an open-addressing hash index NPI -> row, rebuilt on load.
 *
 * Reading a row: nm_reg_main_decode() fills an nm_reg_main view (pointers
 * into the registry, valid while it lives) in one pass over the record. */
#ifndef NM_REGISTRY_INTERNAL_H
#define NM_REGISTRY_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include "common/arena.h"
#include "npimatch/registry.h"

/* ---- string views and field schemas ------------------------------------ */

typedef struct nm_str {
    const char *p;   /* not NUL-terminated; p may be NULL when len == 0 */
    uint32_t len;
} nm_str;

enum { NM_FK_STR = 0, NM_FK_DICT = 1 };

/* Scalar fields of a main-file row, in record order (hot fields first). */
#define NM_MAIN_FIELDS(X, P)                                     \
    X(P, LAST, STR, "last_name", 35)                             \
    X(P, FIRST, STR, "first_name", 35)                           \
    X(P, MIDDLE, STR, "middle_name", 20)                         \
    X(P, PREFIX, DICT, "name_prefix", 5)                         \
    X(P, SUFFIX, DICT, "name_suffix", 5)                         \
    X(P, CREDENTIAL, DICT, "credential", 20)                     \
    X(P, ORG_NAME, STR, "organization_name", 100)                \
    X(P, PARENT_ORG, STR, "parent_organization_lbn", 100)        \
    X(P, OTH_ORG, STR, "other_organization_name", 100)           \
    X(P, OTH_ORG_TYPE, DICT, "other_organization_name_type", 1)  \
    X(P, OTH_LAST, STR, "other_last_name", 35)                   \
    X(P, OTH_FIRST, STR, "other_first_name", 35)                 \
    X(P, OTH_MIDDLE, STR, "other_middle_name", 20)               \
    X(P, OTH_PREFIX, DICT, "other_name_prefix", 5)               \
    X(P, OTH_SUFFIX, DICT, "other_name_suffix", 5)               \
    X(P, OTH_CREDENTIAL, DICT, "other_credential", 20)           \
    X(P, OTH_TYPE, DICT, "other_last_name_type", 1)              \
    X(P, PRAC_LINE1, STR, "line1", 55)                           \
    X(P, PRAC_LINE2, STR, "line2", 55)                           \
    X(P, PRAC_CITY, DICT, "city", 40)                            \
    X(P, PRAC_STATE, DICT, "state", 40)                          \
    X(P, PRAC_POSTAL, STR, "postal_code", 20)                    \
    X(P, PRAC_COUNTRY, DICT, "country", 2)                       \
    X(P, PRAC_PHONE, STR, "phone", 20)                           \
    X(P, PRAC_FAX, STR, "fax", 20)                               \
    X(P, MAIL_LINE1, STR, "line1", 55)                           \
    X(P, MAIL_LINE2, STR, "line2", 55)                           \
    X(P, MAIL_CITY, DICT, "city", 40)                            \
    X(P, MAIL_STATE, DICT, "state", 40)                          \
    X(P, MAIL_POSTAL, STR, "postal_code", 20)                    \
    X(P, MAIL_COUNTRY, DICT, "country", 2)                       \
    X(P, MAIL_PHONE, STR, "phone", 20)                           \
    X(P, MAIL_FAX, STR, "fax", 20)

/* Field lists are X-macros X(P, id, kind, json key, documented max length);
 * P is the enum prefix. */
#define NM_X_FIELD_ENUM(P, id, kind, json, maxlen) P##id,
enum nm_main_field { NM_MAIN_FIELDS(NM_X_FIELD_ENUM, NM_MF_) NM_MF_COUNT };

/* One taxonomy/licence group (NPPES columns Healthcare Provider Taxonomy
 * Code_i, Provider License Number_i, ..._State Code_i, Primary Switch_i). */
#define NM_TAX_FIELDS(X, P)                         \
    X(P, CODE, DICT, "code", 10)                    \
    X(P, LICENSE, STR, "license", 20)               \
    X(P, LICENSE_STATE, DICT, "license_state", 2)   \
    X(P, PRIMARY, DICT, "primary", 1)
enum nm_tax_field { NM_TAX_FIELDS(NM_X_FIELD_ENUM, NM_TF_) NM_TF_COUNT };
#define NM_TAX_SLOTS 15

/* A secondary practice location (pl_pfile). */
#define NM_PL_FIELDS(X, P)                   \
    X(P, LINE1, STR, "line1", 55)            \
    X(P, LINE2, STR, "line2", 55)            \
    X(P, CITY, DICT, "city", 40)             \
    X(P, STATE, DICT, "state", 40)           \
    X(P, POSTAL, STR, "postal_code", 20)     \
    X(P, COUNTRY, DICT, "country", 2)        \
    X(P, PHONE, STR, "phone", 20)            \
    X(P, EXT, STR, "phone_extension", 5)     \
    X(P, FAX, STR, "fax", 20)
enum nm_pl_field { NM_PL_FIELDS(NM_X_FIELD_ENUM, NM_PF_) NM_PF_COUNT };

/* An organization other name (othername_pfile). */
#define NM_ON_FIELDS(X, P)                \
    X(P, NAME, STR, "name", 100)          \
    X(P, TYPE, DICT, "type_code", 1)
enum nm_on_field { NM_ON_FIELDS(NM_X_FIELD_ENUM, NM_OF_) NM_OF_COUNT };

typedef struct nm_rec_schema {
    int nfields;
    const uint8_t *kind;        /* NM_FK_* per field */
    const char *const *json;    /* JSON key per field */
    const uint16_t *maxlen;     /* documented NPPES maximum length (bytes) */
} nm_rec_schema;

extern const nm_rec_schema nm_schema_main, nm_schema_tax, nm_schema_pl, nm_schema_on;

/* ---- dictionary ---------------------------------------------------------- */

#define NM_DICT_MAX ((1u << 24) - 1)   /* ids are stored in 3 bytes */

typedef struct nm_dict {
    nm_buf str;            /* concatenated strings */
    uint32_t *off;         /* off[id-1]..off[id] for id 1..n (off[0] = 0) */
    uint32_t n, cap;
    uint32_t *slots;       /* hash table of ids (0 = free); NULL when not built */
    uint32_t nslots;       /* power of two */
} nm_dict;

void nm_dict_init(nm_dict *d);
void nm_dict_free(nm_dict *d);
void nm_dict_reset(nm_dict *d);   /* empty, keep memory */
/* Id of a string (1..n), inserting it if new; 0 for the empty string;
 * negative NM_E_NOMEM / NM_E_FORMAT (too many distinct values). */
int64_t nm_dict_intern(nm_dict *d, const char *s, size_t len);
/* Id of a string, or 0 if absent (needs the hash: nm_dict_rehash after load). */
uint32_t nm_dict_find(const nm_dict *d, const char *s, size_t len);
int nm_dict_rehash(nm_dict *d);
static inline nm_str nm_dict_get(const nm_dict *d, uint32_t id) {
    if (!id || id > d->n) return (nm_str){NULL, 0};
    uint32_t a = id == 1 ? 0 : d->off[id - 2], b = d->off[id - 1];
    return (nm_str){d->str.data + a, b - a};
}

/* ---- records --------------------------------------------------------------- */

/* Field value for encoding: a string (for dict fields, the dict id in `id`). */
typedef struct nm_rec_val {
    const char *p;
    uint32_t len;
    uint32_t id;
} nm_rec_val;

/* Append one record. For dict fields, `id` is written; when `patch` is not
 * NULL the blob positions of the 3-byte ids are pushed there (so a chunk
 * can re-map its local ids to global ones). */
typedef NM_VEC(uint32_t) nm_u32vec;
int nm_rec_encode(nm_buf *blob, const nm_rec_schema *s, const nm_rec_val *v, nm_u32vec *patch);
/* Decode one record at p; returns the position after it. */
const uint8_t *nm_rec_decode(const uint8_t *p, const nm_rec_schema *s, const nm_dict *dict, nm_str *out);

static inline int nm_varint_put(nm_buf *b, uint64_t v) {
    uint8_t tmp[10];
    int n = 0;
    do {
        tmp[n++] = (uint8_t)((v & 0x7f) | (v > 0x7f ? 0x80 : 0));
        v >>= 7;
    } while (v);
    return nm_buf_append(b, tmp, (size_t)n);
}
static inline const uint8_t *nm_varint_get(const uint8_t *p, uint64_t *v) {
    uint64_t x = 0;
    int sh = 0;
    while (*p & 0x80) {
        x |= (uint64_t)(*p++ & 0x7f) << sh;
        sh += 7;
    }
    *v = x | ((uint64_t)*p++ << sh);
    return p;
}

/* ---- the registry ---------------------------------------------------------- */

enum {
    NM_RF_DEACTIVATED = 1,       /* deactivated (date without later reactivation, or listed) */
    NM_RF_LISTED = 2,            /* named in a deactivation list */
    NM_RF_STUB = 4               /* no main-file row: only NPI + deactivation date known */
};

enum { NM_D_ENUM, NM_D_UPDATE, NM_D_DEACT, NM_D_REACT, NM_D_CERT, NM_D_COUNT };

/* A CSR list of records per row. */
typedef struct nm_reg_list {
    uint32_t *first;     /* n_rows + 1 entries */
    uint64_t *off;       /* nitems + 1 entries into blob */
    size_t nitems;
    nm_buf blob;
} nm_reg_list;

/* Opaque derived data saved after the registry's own sections (snapshot
 * format 2): a few u64 words of meta and raw sections, written as they are
 * and handed back on load. The snapshot knows nothing of their meaning
 * (engine/match/match_cache.c gives it). owned: loaded (freed with the
 * registry) rather than borrowed for a save. */
#define NM_REG_EXTRA_MAX 256
#define NM_REG_EXTRA_META 512
typedef struct nm_reg_extra {
    size_t nmeta, nsec;
    uint64_t meta[NM_REG_EXTRA_META];
    void *p[NM_REG_EXTRA_MAX];
    uint64_t size[NM_REG_EXTRA_MAX];
    int owned;
} nm_reg_extra;

struct nm_registry {
    size_t n;
    uint32_t *npi;
    uint32_t *repl_npi;
    uint8_t *entity;     /* 1, 2, or 0 (stub row) */
    uint8_t *sex;        /* ASCII code as in the file ('M','F','U'...), 0 empty */
    uint8_t *sole;       /* 'Y','N','X' or 0 */
    uint8_t *flags;      /* NM_RF_* */
    uint32_t *date[NM_D_COUNT];
    uint64_t *blob_off;  /* n + 1 */
    nm_buf blob;
    nm_reg_list pl, on;
    nm_dict dict;
    /* counters computed at build, stored in the snapshot */
    uint64_t taxonomies, distinct_taxonomies, other_names;
    /* NPI hash index (not persisted) */
    uint32_t *hslots;    /* row + 1, 0 = free */
    uint64_t hmask;
    nm_reg_extra extra;  /* derived data stored with the snapshot (the matcher's, match_cache.c) */
    int no_records;      /* loaded without records, blobs, lists (nm_registry_load_keyed) */
};

/* nm_registry_load; when want != 0 and the snapshot's extra data has that
 * key (meta[1]: the data replaces the records for its user), the records,
 * secondary locations and other names are not loaded at all (no_records):
 * such a registry has NPIs and fixed columns only. */
int nm_registry_load_keyed(const char *path, uint64_t want, nm_registry **out, nm_err *err);

/* Free the extra sections the registry owns (loaded ones) and clear them. */
void nm_reg_extra_free(nm_reg_extra *x);

/* Rebuild the NPI hash index (after build or load). */
int nm_registry_reindex(nm_registry *r);
/* Allocate an empty registry shell (all arrays NULL). */
nm_registry *nm_registry_new(void);
/* Make b hold exactly `size` bytes of capacity (+1 for a NUL), length
 * unchanged (<= size): registry arrays live long, so no doubling slack. */
int nm_buf_exact(nm_buf *b, size_t size);
/* 1 if every record decodes inside its bounds with existing dictionary ids
 * (run on load, so a damaged file cannot make accessors read out of bounds). */
int nm_registry_check_records(const nm_registry *r);
/* Allocate the fixed-width columns and blob_off for n rows (snapshot load). */
int nm_registry_alloc_columns(nm_registry *r, size_t n);

/* Decoded main row. */
typedef struct nm_reg_main {
    nm_str f[NM_MF_COUNT];
    int ntax;
    uint8_t tax_slot[NM_TAX_SLOTS];
    nm_str tax[NM_TAX_SLOTS][NM_TF_COUNT];
} nm_reg_main;

void nm_reg_main_decode(const nm_registry *r, size_t row, nm_reg_main *out);
/* One scalar field of a main row (skips the fields before it; for hot loops
 * that need one or two fields, cheaper than a full decode). */
nm_str nm_reg_main_field(const nm_registry *r, size_t row, enum nm_main_field field);

/* Items of a CSR list for one row: [*begin, *end). */
static inline void nm_reg_list_range(const nm_reg_list *l, size_t row, uint32_t *begin, uint32_t *end) {
    if (!l->first) { *begin = *end = 0; return; }
    *begin = l->first[row];
    *end = l->first[row + 1];
}
void nm_reg_pl_decode(const nm_registry *r, uint32_t item, nm_str out[NM_PF_COUNT]);
void nm_reg_on_decode(const nm_registry *r, uint32_t item, nm_str out[NM_OF_COUNT]);

/* ---- building ---------------------------------------------------------------- */

/* A builder collects main rows (fixed fields + records), companion items and
 * deactivation entries; nm_regb_finish resolves duplicates (later row wins,
 * first position kept), attaches companion items by NPI, applies the
 * deactivation lists and returns the registry. */
typedef struct nm_regb_row {
    uint32_t npi, repl_npi;
    uint8_t entity, sex, sole, flags;
    uint32_t date[NM_D_COUNT];
} nm_regb_row;

/* Rows of one chunk (or the whole staging area): fixed fields, record blob
 * and the positions of dictionary ids to re-map (chunk-local dictionaries). */
typedef struct nm_regb_part {
    NM_VEC(nm_regb_row) rows;
    NM_VEC(uint64_t) off;      /* start of each row's record in blob */
    nm_buf blob;
    nm_u32vec patch;
    nm_dict dict;              /* chunk-local dictionary */
    uint32_t *gmap;            /* local id -> global id or 0, from nm_regb_part_lookup */
    uint32_t gmap_n;           /* local ids looked up (gmap valid for 1..gmap_n) */
} nm_regb_part;

void nm_regb_part_init(nm_regb_part *p);
void nm_regb_part_reset(nm_regb_part *p);
void nm_regb_part_free(nm_regb_part *p);

/* A companion item waiting for its NPI: list item record + where it came from. */
typedef struct nm_regb_item {
    uint32_t npi;
    uint16_t file;
    uint64_t line;
    uint64_t off;   /* record start in the list blob */
} nm_regb_item;

typedef NM_VEC(nm_regb_item) nm_regb_itemvec;

/* A part handed to the builder: its arrays are adopted as they are (no copy
 * at append time), with the map of its local dictionary ids to global ones;
 * the ids in its blob are re-mapped and its records copied once, in
 * parallel, by nm_regb_finish. */
typedef struct nm_regb_seg {
    nm_regb_row *rows;
    uint64_t *off;        /* record start of each row in blob */
    char *blob;
    uint32_t *patch;      /* blob positions of local dictionary ids */
    uint32_t *map;        /* local id -> global id */
    size_t nrows, blob_len, npatch;
    size_t row0;          /* staged index of rows[0] */
} nm_regb_seg;

typedef struct nm_regb {
    nm_dict dict;                 /* global dictionary */
    NM_VEC(nm_regb_seg) segs;     /* staged main rows, in input order */
    size_t nstaged;
    int threads;                  /* OpenMP threads for nm_regb_finish (0: default) */
    nm_regb_itemvec pl_items, on_items;
    nm_buf pl_blob, on_blob;
    NM_VEC(uint32_t) deact_npi;   /* deactivation list entries, in order */
    NM_VEC(uint32_t) deact_date;
    uint64_t providers_updated;
} nm_regb;

void nm_regb_init(nm_regb *b);
void nm_regb_free(nm_regb *b);
/* Look up a part's local dictionary values in the builder's dictionary
 * (read only: parts may be looked up in parallel while nothing is
 * appended); nm_regb_append_part then only interns the values not found. */
int nm_regb_part_lookup(const nm_regb *b, nm_regb_part *p);
/* Append a part's rows after the staged ones: the builder takes over the
 * part's row, offset, blob and patch arrays (the part is left empty, its
 * dictionary reset, ready for reuse) and maps its local dictionary ids. */
int nm_regb_append_part(nm_regb *b, nm_regb_part *p);
/* Finish. unknown_npi(user, file, line) is called for companion items whose
 * NPI has no row (they are dropped). Frees the builder's contents. */
int nm_regb_finish(nm_regb *b, nm_registry **out,
                   void (*unknown_npi)(void *user, uint16_t file, uint64_t line), void *user);

/* ---- small parsers shared by ingest and tests ---------------------------- */

/* "MM/DD/YYYY" -> YYYYMMDD; 0 for empty; -1 for an impossible date. */
int64_t nm_parse_date_mdy(const char *s, size_t n);
/* Parse a 10-digit NPI that passes nm_npi_valid; 0 otherwise. */
uint32_t nm_npi_parse(const char *s, size_t n);

#endif
