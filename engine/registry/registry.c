/* The columnar registry: dictionary, record encoding, builder (merge of
 * per-chunk parts, later-row-wins updates by NPI, companion lists as CSR,
 * deactivation lists), NPI hash index and read accessors. */
#include <omp.h>
#include <stdlib.h>
#include <string.h>
#include "common/error_internal.h"
#include "common/hash.h"
#include "registry/registry_internal.h"

/* ---- schemas ------------------------------------------------------------------ */

#define NM_SCHEMA(name, LIST, count)                                                        \
    static const uint8_t name##_kind[] = {LIST(NM_X_KIND, _)};                              \
    static const char *const name##_json[] = {LIST(NM_X_JSON, _)};                          \
    static const uint16_t name##_max[] = {LIST(NM_X_MAX, _)};                               \
    const nm_rec_schema nm_schema_##name = {count, name##_kind, name##_json, name##_max};
#define NM_X_KIND(P, id, kind, json, maxlen) NM_FK_##kind,
#define NM_X_JSON(P, id, kind, json, maxlen) json,
#define NM_X_MAX(P, id, kind, json, maxlen) maxlen,
NM_SCHEMA(main, NM_MAIN_FIELDS, NM_MF_COUNT)
NM_SCHEMA(tax, NM_TAX_FIELDS, NM_TF_COUNT)
NM_SCHEMA(pl, NM_PL_FIELDS, NM_PF_COUNT)
NM_SCHEMA(on, NM_ON_FIELDS, NM_OF_COUNT)
#undef NM_X_KIND
#undef NM_X_JSON
#undef NM_X_MAX

/* ---- dictionary ------------------------------------------------------------------ */

void nm_dict_init(nm_dict *d) { memset(d, 0, sizeof *d); }

void nm_dict_free(nm_dict *d) {
    nm_buf_free(&d->str);
    free(d->off);
    free(d->slots);
    memset(d, 0, sizeof *d);
}

void nm_dict_reset(nm_dict *d) {
    d->str.len = 0;
    d->n = 0;
    if (d->slots) memset(d->slots, 0, (size_t)d->nslots * sizeof *d->slots);
}

static uint64_t dict_hash(const char *s, size_t len) { return nm_hash64(s, len, 0x9e3779b97f4a7c15ull); }

static int dict_grow_slots(nm_dict *d) {
    uint32_t ns = d->nslots ? d->nslots * 2 : 64;
    while (ns < 2 * (d->n + 1)) ns *= 2;
    uint32_t *slots = calloc(ns, sizeof *slots);
    if (!slots) return NM_E_NOMEM;
    for (uint32_t id = 1; id <= d->n; id++) {
        nm_str s = nm_dict_get(d, id);
        uint64_t h = dict_hash(s.p, s.len);
        uint32_t i = (uint32_t)h & (ns - 1);
        while (slots[i]) i = (i + 1) & (ns - 1);
        slots[i] = id;
    }
    free(d->slots);
    d->slots = slots;
    d->nslots = ns;
    return 0;
}

int nm_dict_rehash(nm_dict *d) {
    free(d->slots);
    d->slots = NULL;
    d->nslots = 0;
    return dict_grow_slots(d);
}

uint32_t nm_dict_find(const nm_dict *d, const char *s, size_t len) {
    if (!len || !d->slots) return 0;
    uint32_t i = (uint32_t)dict_hash(s, len) & (d->nslots - 1);
    for (uint32_t id; (id = d->slots[i]); i = (i + 1) & (d->nslots - 1)) {
        nm_str t = nm_dict_get(d, id);
        if (t.len == len && !memcmp(t.p, s, len)) return id;
    }
    return 0;
}

int64_t nm_dict_intern(nm_dict *d, const char *s, size_t len) {
    if (!len) return 0;
    if (!d->slots || 2 * (d->n + 1) > d->nslots) NM_TRY(dict_grow_slots(d));
    uint32_t i = (uint32_t)dict_hash(s, len) & (d->nslots - 1);
    for (uint32_t id; (id = d->slots[i]); i = (i + 1) & (d->nslots - 1)) {
        nm_str t = nm_dict_get(d, id);
        if (t.len == len && !memcmp(t.p, s, len)) return id;
    }
    if (d->n >= NM_DICT_MAX || d->str.len + len > UINT32_MAX) return NM_E_FORMAT;
    if (d->n + 1 > d->cap) {
        uint32_t nc = d->cap ? d->cap * 2 : 256;
        uint32_t *o = realloc(d->off, (size_t)nc * sizeof *o);
        if (!o) return NM_E_NOMEM;
        d->off = o;
        d->cap = nc;
    }
    NM_TRY(nm_buf_append(&d->str, s, len));
    d->off[d->n++] = (uint32_t)d->str.len;
    d->slots[i] = d->n;
    return d->n;
}

/* ---- records ----------------------------------------------------------------------- */

int nm_rec_encode(nm_buf *blob, const nm_rec_schema *s, const nm_rec_val *v, nm_u32vec *patch) {
    uint64_t mask = 0;
    for (int i = 0; i < s->nfields; i++)
        if (s->kind[i] == NM_FK_DICT ? v[i].id != 0 : v[i].len != 0) mask |= 1ull << i;
    NM_TRY(nm_varint_put(blob, mask));
    for (int i = 0; i < s->nfields; i++) {
        if (!(mask >> i & 1)) continue;
        if (s->kind[i] == NM_FK_DICT) {
            uint8_t b[3] = {(uint8_t)v[i].id, (uint8_t)(v[i].id >> 8), (uint8_t)(v[i].id >> 16)};
            if (patch && NM_VEC_PUSH(patch, (uint32_t)blob->len)) return NM_E_NOMEM;
            NM_TRY(nm_buf_append(blob, b, 3));
        } else {
            NM_TRY(nm_varint_put(blob, v[i].len));
            NM_TRY(nm_buf_append(blob, v[i].p, v[i].len));
        }
    }
    return 0;
}

const uint8_t *nm_rec_decode(const uint8_t *p, const nm_rec_schema *s, const nm_dict *dict, nm_str *out) {
    uint64_t mask;
    p = nm_varint_get(p, &mask);
    for (int i = 0; i < s->nfields; i++) {
        if (!(mask >> i & 1)) {
            out[i] = (nm_str){NULL, 0};
        } else if (s->kind[i] == NM_FK_DICT) {
            out[i] = nm_dict_get(dict, (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16);
            p += 3;
        } else {
            uint64_t len;
            p = nm_varint_get(p, &len);
            out[i] = (nm_str){(const char *)p, (uint32_t)len};
            p += len;
        }
    }
    return p;
}

/* Bounds-checked walk over one record: the position after it, or NULL if it
 * overruns `end` or names a dictionary id that does not exist. */
static const uint8_t *rec_check(const uint8_t *p, const uint8_t *end, const nm_rec_schema *s, uint32_t ndict) {
    uint64_t mask = 0, len;
    int sh = 0;
    do {
        if (p >= end || sh > 63) return NULL;
        mask |= (uint64_t)(*p & 0x7f) << sh;
        sh += 7;
    } while (*p++ & 0x80);
    if (mask >> s->nfields) return NULL;
    for (int i = 0; i < s->nfields; i++) {
        if (!(mask >> i & 1)) continue;
        if (s->kind[i] == NM_FK_DICT) {
            if (end - p < 3) return NULL;
            uint32_t id = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16;
            if (!id || id > ndict) return NULL;
            p += 3;
            continue;
        }
        len = 0;
        sh = 0;
        do {
            if (p >= end || sh > 63) return NULL;
            len |= (uint64_t)(*p & 0x7f) << sh;
            sh += 7;
        } while (*p++ & 0x80);
        if (len > (uint64_t)(end - p)) return NULL;
        p += len;
    }
    return p;
}

static int main_rec_ok(const uint8_t *p, const uint8_t *end, uint32_t ndict) {
    if (!(p = rec_check(p, end, &nm_schema_main, ndict)) || p >= end || *p > NM_TAX_SLOTS) return 0;
    int ntax = *p++;
    for (int t = 0; t < ntax; t++) {
        if (p >= end || *p < 1 || *p > NM_TAX_SLOTS) return 0;
        if (!(p = rec_check(p + 1, end, &nm_schema_tax, ndict))) return 0;
    }
    return p == end;
}

int nm_registry_check_records(const nm_registry *r) {
    const uint8_t *base = (const uint8_t *)r->blob.data;
    uint32_t nd = r->dict.n;
    int bad = 0;
#pragma omp parallel for schedule(static) reduction(| : bad)
    for (size_t i = 0; i < r->n; i++)
        bad |= !main_rec_ok(base + r->blob_off[i], base + r->blob_off[i + 1], nd);
    const nm_reg_list *ls[2] = {&r->pl, &r->on};
    const nm_rec_schema *ss[2] = {&nm_schema_pl, &nm_schema_on};
    for (int k = 0; k < 2 && !bad; k++) {
        const uint8_t *lb = (const uint8_t *)ls[k]->blob.data;
        for (size_t i = 0; i < ls[k]->nitems && !bad; i++)
            bad |= rec_check(lb + ls[k]->off[i], lb + ls[k]->off[i + 1], ss[k], nd) != lb + ls[k]->off[i + 1];
    }
    return !bad;
}

/* ---- accessors ---------------------------------------------------------------------- */

void nm_reg_main_decode(const nm_registry *r, size_t row, nm_reg_main *out) {
    const uint8_t *p = (const uint8_t *)r->blob.data + r->blob_off[row];
    p = nm_rec_decode(p, &nm_schema_main, &r->dict, out->f);
    uint64_t ntax;
    p = nm_varint_get(p, &ntax);
    out->ntax = (int)NM_MIN(ntax, (uint64_t)NM_TAX_SLOTS);
    for (int t = 0; t < out->ntax; t++) {
        out->tax_slot[t] = *p++;
        p = nm_rec_decode(p, &nm_schema_tax, &r->dict, out->tax[t]);
    }
}

nm_str nm_reg_main_field(const nm_registry *r, size_t row, enum nm_main_field field) {
    const uint8_t *p = (const uint8_t *)r->blob.data + r->blob_off[row];
    uint64_t mask, len;
    p = nm_varint_get(p, &mask);
    if (!(mask >> field & 1)) return (nm_str){NULL, 0};
    for (int i = 0; i < (int)field; i++) {
        if (!(mask >> i & 1)) continue;
        if (nm_schema_main.kind[i] == NM_FK_DICT) {
            p += 3;
        } else {
            p = nm_varint_get(p, &len);
            p += len;
        }
    }
    if (nm_schema_main.kind[field] == NM_FK_DICT)
        return nm_dict_get(&r->dict, (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16);
    p = nm_varint_get(p, &len);
    return (nm_str){(const char *)p, (uint32_t)len};
}

void nm_reg_pl_decode(const nm_registry *r, uint32_t item, nm_str out[NM_PF_COUNT]) {
    nm_rec_decode((const uint8_t *)r->pl.blob.data + r->pl.off[item], &nm_schema_pl, &r->dict, out);
}

void nm_reg_on_decode(const nm_registry *r, uint32_t item, nm_str out[NM_OF_COUNT]) {
    nm_rec_decode((const uint8_t *)r->on.blob.data + r->on.off[item], &nm_schema_on, &r->dict, out);
}

size_t nm_registry_count(const nm_registry *r) { return r ? r->n : 0; }

/* Multiplicative (Fibonacci) hashing: NPIs are dense-ish integers, so the
 * golden-ratio multiply spreads them over the high bits cheaply. */
static inline uint64_t npi_hash(uint32_t npi) { return ((uint64_t)npi * 0x9e3779b97f4a7c15ull) >> 20; }

int64_t nm_registry_find(const nm_registry *r, uint64_t npi) {
    if (!r || !r->hslots || npi > UINT32_MAX) return -1;
    for (uint64_t i = npi_hash((uint32_t)npi) & r->hmask;; i = (i + 1) & r->hmask) {
        uint32_t s = r->hslots[i];
        if (!s) return -1;
        if (r->npi[s - 1] == npi) return (int64_t)s - 1;
    }
}

int nm_registry_reindex(nm_registry *r) {
    uint64_t cap = 16;
    while (cap < 2 * (uint64_t)r->n) cap *= 2;
    free(r->hslots);
    r->hslots = calloc(cap, sizeof *r->hslots);
    if (!r->hslots) return NM_E_NOMEM;
    r->hmask = cap - 1;
    for (size_t row = 0; row < r->n; row++) {
        /* the table is far larger than the caches: fetch ahead */
        if (row + 8 < r->n) __builtin_prefetch(&r->hslots[npi_hash(r->npi[row + 8]) & r->hmask], 1);
        uint64_t i = npi_hash(r->npi[row]) & r->hmask;
        while (r->hslots[i]) i = (i + 1) & r->hmask;
        r->hslots[i] = (uint32_t)row + 1;
    }
    return 0;
}

int nm_buf_exact(nm_buf *b, size_t size) {
    char *p = realloc(b->data, size + 1);
    if (!p) return NM_E_NOMEM;
    b->data = p;
    b->cap = size + 1;
    if (b->len > size) b->len = size;
    b->data[b->len] = 0;
    return 0;
}

nm_registry *nm_registry_new(void) { return calloc(1, sizeof(nm_registry)); }

static void list_free(nm_reg_list *l) {
    free(l->first);
    free(l->off);
    nm_buf_free(&l->blob);
}

void nm_registry_free(nm_registry *r) {
    if (!r) return;
    free(r->npi);
    free(r->repl_npi);
    free(r->entity);
    free(r->sex);
    free(r->sole);
    free(r->flags);
    for (int d = 0; d < NM_D_COUNT; d++) free(r->date[d]);
    free(r->blob_off);
    nm_buf_free(&r->blob);
    list_free(&r->pl);
    list_free(&r->on);
    nm_dict_free(&r->dict);
    free(r->hslots);
    nm_reg_extra_free(&r->extra);
    free(r);
}

void nm_reg_extra_free(nm_reg_extra *x) {
    if (x->owned)
        for (size_t i = 0; i < x->nsec; i++) free(x->p[i]);
    memset(x, 0, sizeof *x);
}

void nm_registry_get_info(const nm_registry *r, nm_registry_info *o) {
    memset(o, 0, sizeof *o);
    if (!r) return;
    o->providers = r->n;
    for (size_t i = 0; i < r->n; i++) {
        o->individuals += r->entity[i] == 1;
        o->organizations += r->entity[i] == 2;
        o->deactivated += (r->flags[i] & NM_RF_DEACTIVATED) != 0;
        if (r->pl.first) o->with_secondary_locations += r->pl.first[i + 1] > r->pl.first[i];
    }
    o->secondary_locations = r->pl.nitems;
    o->taxonomies = r->taxonomies;
    o->distinct_taxonomies = r->distinct_taxonomies;
    o->other_names = r->other_names;
    uint64_t m = sizeof *r;
    m += r->n * (4 + 4 + 1 + 1 + 1 + 1 + 4 * NM_D_COUNT) + (r->n + 1) * 8 + r->blob.cap;
    const nm_reg_list *ls[2] = {&r->pl, &r->on};
    for (int k = 0; k < 2; k++)
        if (ls[k]->first) m += (r->n + 1) * 4 + (ls[k]->nitems + 1) * 8 + ls[k]->blob.cap;
    m += r->dict.str.cap + (uint64_t)r->dict.cap * 4 + (uint64_t)r->dict.nslots * 4;
    if (r->hslots) m += (r->hmask + 1) * 4;
    o->memory_bytes = m;
}

/* ---- builder ------------------------------------------------------------------------ */

void nm_regb_part_init(nm_regb_part *p) {
    memset(p, 0, sizeof *p);
    nm_dict_init(&p->dict);
}

void nm_regb_part_reset(nm_regb_part *p) {
    p->gmap_n = 0;
    p->rows.n = 0;
    p->off.n = 0;
    p->blob.len = 0;
    p->patch.n = 0;
    nm_dict_reset(&p->dict);
}

void nm_regb_part_free(nm_regb_part *p) {
    NM_VEC_FREE(&p->rows);
    NM_VEC_FREE(&p->off);
    nm_buf_free(&p->blob);
    NM_VEC_FREE(&p->patch);
    nm_dict_free(&p->dict);
    free(p->gmap);
    p->gmap = NULL;
    p->gmap_n = 0;
}

void nm_regb_init(nm_regb *b) {
    memset(b, 0, sizeof *b);
    nm_dict_init(&b->dict);
}

static void seg_free(nm_regb_seg *s) {
    free(s->rows);
    free(s->off);
    free(s->blob);
    free(s->patch);
    free(s->map);
    memset(s, 0, sizeof *s);
}

void nm_regb_free(nm_regb *b) {
    nm_dict_free(&b->dict);
    for (size_t i = 0; i < b->segs.n; i++) seg_free(&b->segs.v[i]);
    NM_VEC_FREE(&b->segs);
    b->nstaged = 0;
    NM_VEC_FREE(&b->pl_items);
    NM_VEC_FREE(&b->on_items);
    nm_buf_free(&b->pl_blob);
    nm_buf_free(&b->on_blob);
    NM_VEC_FREE(&b->deact_npi);
    NM_VEC_FREE(&b->deact_date);
}

int nm_regb_append_part(nm_regb *b, nm_regb_part *p) {
    if (!p->rows.n) return 0;   /* a chunk of rejected rows only */
    if (NM_VEC_RESERVE(&b->segs, b->segs.n + 1)) return NM_E_NOMEM;
    /* Local ids were handed out in first-appearance order within the chunk and
     * chunks are merged in input order, so global ids come out in
     * first-appearance order over the whole input whatever the chunking. */
    nm_regb_seg s;
    memset(&s, 0, sizeof s);
    s.map = malloc(((size_t)p->dict.n + 1) * sizeof *s.map);
    if (!s.map) return NM_E_NOMEM;
    s.map[0] = 0;
    for (uint32_t id = 1; id <= p->dict.n; id++) {
        if (id <= p->gmap_n && p->gmap[id]) {   /* found by nm_regb_part_lookup */
            s.map[id] = p->gmap[id];
            continue;
        }
        nm_str str = nm_dict_get(&p->dict, id);
        int64_t g = nm_dict_intern(&b->dict, str.p, str.len);
        if (g < 0) {
            free(s.map);
            return (int)g;
        }
        s.map[id] = (uint32_t)g;
    }
    s.rows = p->rows.v, s.nrows = p->rows.n;
    s.off = p->off.v;
    s.blob = p->blob.data, s.blob_len = p->blob.len;
    s.patch = p->patch.v, s.npatch = p->patch.n;
    s.row0 = b->nstaged;
    b->nstaged += s.nrows;
    b->segs.v[b->segs.n++] = s;
    memset(&p->rows, 0, sizeof p->rows);
    memset(&p->off, 0, sizeof p->off);
    memset(&p->blob, 0, sizeof p->blob);
    memset(&p->patch, 0, sizeof p->patch);
    nm_dict_reset(&p->dict);
    p->gmap_n = 0;
    return 0;
}

int nm_regb_part_lookup(const nm_regb *b, nm_regb_part *p) {
    p->gmap_n = 0;
    uint32_t *m = realloc(p->gmap, ((size_t)p->dict.n + 1) * sizeof *m);
    if (!m) return NM_E_NOMEM;
    p->gmap = m;
    m[0] = 0;
    for (uint32_t id = 1; id <= p->dict.n; id++) {
        nm_str str = nm_dict_get(&p->dict, id);
        m[id] = nm_dict_find(&b->dict, str.p, str.len);
    }
    p->gmap_n = p->dict.n;
    return 0;
}

/* The segment holding staged row i, starting the search at *hint (rows are
 * mostly visited in order, so this is usually one comparison). */
static size_t seg_of(const nm_regb *b, size_t i, size_t *hint) {
    size_t h = *hint;
    const nm_regb_seg *s = b->segs.v;
    if (h < b->segs.n && i >= s[h].row0 && i < s[h].row0 + s[h].nrows) return h;
    size_t lo = 0, hi = b->segs.n;   /* last segment with row0 <= i */
    while (hi - lo > 1) {
        size_t mid = (lo + hi) / 2;
        if (s[mid].row0 <= i) lo = mid;
        else hi = mid;
    }
    return *hint = lo;
}

/* Record of row j of a segment (records are contiguous in the blob). */
static uint64_t seg_rec_len(const nm_regb_seg *s, size_t j) {
    return (j + 1 < s->nrows ? s->off[j + 1] : s->blob_len) - s->off[j];
}

/* Attach companion items to rows as a CSR list (stable: file order kept per row). */
static int build_list(nm_registry *r, nm_reg_list *l, nm_regb_itemvec *items, nm_buf *blob,
                      void (*unknown)(void *, uint16_t, uint64_t), void *user, uint64_t *kept) {
    l->first = calloc(r->n + 2, sizeof *l->first);
    if (!l->first) return NM_E_NOMEM;
    int64_t *rowof = malloc((items->n + 1) * sizeof *rowof);
    if (!rowof) return NM_E_NOMEM;
    size_t nk = 0;
    for (size_t i = 0; i < items->n; i++) {
        rowof[i] = nm_registry_find(r, items->v[i].npi);
        if (rowof[i] < 0) {
            if (unknown) unknown(user, items->v[i].file, items->v[i].line);
            continue;
        }
        l->first[rowof[i] + 2]++;
        nk++;
    }
    for (size_t row = 0; row < r->n; row++) l->first[row + 2] += l->first[row + 1];
    uint64_t *pos = malloc((nk + 1) * sizeof *pos);
    if (!pos) {
        free(rowof);
        return NM_E_NOMEM;
    }
    for (size_t i = 0; i < items->n; i++)
        if (rowof[i] >= 0) pos[l->first[rowof[i] + 1]++] = i;
    free(rowof);
    /* Copy item records in CSR order so each row's items are contiguous. */
    l->off = malloc((nk + 1) * sizeof *l->off);
    if (!l->off) {
        free(pos);
        return NM_E_NOMEM;
    }
    for (size_t k = 0; k < nk; k++) {
        size_t i = pos[k];
        uint64_t a = items->v[i].off, e = i + 1 < items->n ? items->v[i + 1].off : blob->len;
        l->off[k] = l->blob.len;
        if (nm_buf_append(&l->blob, blob->data + a, e - a)) {
            free(pos);
            return NM_E_NOMEM;
        }
    }
    l->off[nk] = l->blob.len;
    l->nitems = nk;
    if (nm_buf_exact(&l->blob, l->blob.len)) {
        free(pos);
        return NM_E_NOMEM;
    }
    free(pos);
    *kept = nk;
    return 0;
}

static int alloc_columns(nm_registry *r, size_t n) {
    size_t m = n ? n : 1;
    r->npi = malloc(m * 4);
    r->repl_npi = malloc(m * 4);
    r->entity = malloc(m);
    r->sex = malloc(m);
    r->sole = malloc(m);
    r->flags = malloc(m);
    int ok = r->npi && r->repl_npi && r->entity && r->sex && r->sole && r->flags;
    for (int d = 0; d < NM_D_COUNT; d++) ok = (r->date[d] = malloc(m * 4)) && ok;
    r->blob_off = malloc((n + 1) * 8);
    return ok && r->blob_off ? 0 : NM_E_NOMEM;
}

int nm_registry_alloc_columns(nm_registry *r, size_t n) { return alloc_columns(r, n); }

/* Fibonacci hash table entry of the build: NPI and its provider position + 1. */
typedef struct npi_slot {
    uint32_t npi, id;
} npi_slot;

/* Skip one record (see nm_rec_decode); *mask gets its field bits and
 * *first_dict the id of field 0 when that is a dictionary field. */
static const uint8_t *rec_skip(const uint8_t *p, const nm_rec_schema *s, uint64_t *mask, uint32_t *first_dict) {
    uint64_t m, len;
    p = nm_varint_get(p, &m);
    *mask = m;
    if (first_dict) *first_dict = 0;
    for (int i = 0; i < s->nfields; i++) {
        if (!(m >> i & 1)) continue;
        if (s->kind[i] == NM_FK_DICT) {
            if (i == 0 && first_dict) *first_dict = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16;
            p += 3;
        } else {
            p = nm_varint_get(p, &len);
            p += len;
        }
    }
    return p;
}

static int finish(nm_regb *b, nm_registry *r, void (*unknown)(void *, uint16_t, uint64_t), void *user) {
    const int nt = b->threads > 0 ? b->threads : omp_get_max_threads();
    /* 1. Later rows replace earlier ones by NPI; the provider keeps the
     *    position of its first appearance (stable order across updates).
     *    A later stub row (NPI + deactivation date only) deactivates the
     *    earlier full row instead of wiping its names and addresses: the
     *    matcher still needs them to recognise a deactivated provider.
     *    The table holds the NPI itself so probing touches one cache line,
     *    and it becomes the registry's NPI index afterwards (same hash). */
    size_t ns = b->nstaged;
    uint64_t cap = 16;
    while (cap < 2 * (uint64_t)(ns + b->deact_npi.n)) cap *= 2;
    const uint64_t mask = cap - 1;
    npi_slot *slots = calloc(cap, sizeof *slots);
    uint32_t *winner = malloc((ns + 1) * sizeof *winner);   /* position -> staged index */
    uint32_t *stubk = malloc((b->deact_npi.n + 1) * sizeof *stubk);
    if (!slots || !winner || !stubk) {
        free(slots), free(winner), free(stubk);
        return NM_E_NOMEM;
    }
    size_t nu = 0, hint = 0;
    for (size_t sg = 0; sg < b->segs.n; sg++) {
        const nm_regb_seg *s = &b->segs.v[sg];
        for (size_t j = 0; j < s->nrows; j++) {
            /* the table is far larger than the caches: fetch ahead */
            if (j + 8 < s->nrows) __builtin_prefetch(&slots[npi_hash(s->rows[j + 8].npi) & mask], 1);
            uint32_t npi = s->rows[j].npi;
            uint64_t h = npi_hash(npi) & mask;
            while (slots[h].id && slots[h].npi != npi) h = (h + 1) & mask;
            if (slots[h].id) {
                uint32_t w = winner[slots[h].id - 1];
                size_t ws = seg_of(b, w, &hint);
                nm_regb_row *cur = &b->segs.v[ws].rows[w - b->segs.v[ws].row0], *nw = &s->rows[j];
                if ((nw->flags & NM_RF_STUB) && !(cur->flags & NM_RF_STUB)) {
                    cur->date[NM_D_DEACT] = nw->date[NM_D_DEACT];
                    cur->date[NM_D_REACT] = 0;
                } else {
                    winner[slots[h].id - 1] = (uint32_t)(s->row0 + j);
                }
                b->providers_updated++;
            } else {
                winner[nu] = (uint32_t)(s->row0 + j);
                slots[h] = (npi_slot){npi, (uint32_t)++nu};
            }
        }
    }
    /* 2. Deactivation-list NPIs without a row become stub rows, numbered
     *    after the rows. */
    size_t nstub = 0;
    for (size_t k = 0; k < b->deact_npi.n; k++) {
        uint32_t npi = b->deact_npi.v[k];
        uint64_t h = npi_hash(npi) & mask;
        while (slots[h].id && slots[h].npi != npi) h = (h + 1) & mask;
        if (slots[h].id) continue;
        stubk[nstub] = (uint32_t)k;
        slots[h] = (npi_slot){npi, (uint32_t)(nu + nstub + 1)};
        nstub++;
    }
    size_t n = nu + nstub;
    int rc = alloc_columns(r, n);
    if (rc) {
        free(slots), free(winner), free(stubk);
        return rc;
    }
    r->n = n;
    /* 3. Chunk-local dictionary ids -> global ids, in place, per segment. */
    const long nseg = (long)b->segs.n;
#pragma omp parallel for num_threads(nt) schedule(dynamic, 1)
    for (long sg = 0; sg < nseg; sg++) {
        nm_regb_seg *s = &b->segs.v[sg];
        uint8_t *blob = (uint8_t *)s->blob;
        for (size_t i = 0; i < s->npatch; i++) {
            uint8_t *q = blob + s->patch[i];
            uint32_t g = s->map[(uint32_t)q[0] | (uint32_t)q[1] << 8 | (uint32_t)q[2] << 16];
            q[0] = (uint8_t)g, q[1] = (uint8_t)(g >> 8), q[2] = (uint8_t)(g >> 16);
        }
    }
    /* 4. Fixed-width columns and record lengths (blob_off[k + 1] for now). */
    static const uint8_t empty_rec[2] = {0, 0};   /* no fields, no taxonomies */
#pragma omp parallel num_threads(nt)
    {
        size_t h = 0;
#pragma omp for schedule(static)
        for (size_t k = 0; k < n; k++) {
            nm_regb_row row;
            if (k < nu) {
                size_t i = winner[k], sg = seg_of(b, i, &h);
                const nm_regb_seg *s = &b->segs.v[sg];
                row = s->rows[i - s->row0];
                r->blob_off[k + 1] = seg_rec_len(s, i - s->row0);
            } else {
                memset(&row, 0, sizeof row);
                row.npi = b->deact_npi.v[stubk[k - nu]];
                row.flags = NM_RF_STUB;
                r->blob_off[k + 1] = sizeof empty_rec;
            }
            r->npi[k] = row.npi;
            r->repl_npi[k] = row.repl_npi;
            r->entity[k] = row.entity;
            r->sex[k] = row.sex;
            r->sole[k] = row.sole;
            r->flags[k] = row.flags;
            for (int d = 0; d < NM_D_COUNT; d++) r->date[d][k] = row.date[d];
        }
    }
    r->blob_off[0] = 0;
    for (size_t k = 0; k < n; k++) r->blob_off[k + 1] += r->blob_off[k];
    /* 5. One copy of every kept record into the final blob, in parallel. */
    rc = nm_buf_exact(&r->blob, r->blob_off[n]);
    if (!rc) {
        r->blob.len = r->blob_off[n];
        r->blob.data[r->blob.len] = 0;
        if (nu == ns) {   /* no updates: each segment is one run of the blob */
#pragma omp parallel for num_threads(nt) schedule(dynamic, 1)
            for (long sg = 0; sg < nseg; sg++) {
                nm_regb_seg *s = &b->segs.v[sg];
                if (s->blob_len) memcpy(r->blob.data + r->blob_off[s->row0], s->blob, s->blob_len);
                free(s->blob);
                s->blob = NULL;
            }
        } else {
#pragma omp parallel num_threads(nt)
            {
                size_t h = 0;
#pragma omp for schedule(static)
                for (size_t k = 0; k < nu; k++) {
                    size_t i = winner[k], sg = seg_of(b, i, &h);
                    const nm_regb_seg *s = &b->segs.v[sg];
                    memcpy(r->blob.data + r->blob_off[k], s->blob + s->off[i - s->row0],
                           r->blob_off[k + 1] - r->blob_off[k]);
                }
            }
        }
        for (size_t k = nu; k < n; k++) memcpy(r->blob.data + r->blob_off[k], empty_rec, sizeof empty_rec);
    }
    free(winner), free(stubk);
    for (size_t sg = 0; sg < b->segs.n; sg++) seg_free(&b->segs.v[sg]);
    b->segs.n = 0;
    b->nstaged = 0;
    if (rc) {
        free(slots);
        return rc;
    }
    /* 6. The build table is the NPI index: keep its ids. */
    r->hslots = malloc(cap * sizeof *r->hslots);
    if (!r->hslots) {
        free(slots);
        return NM_E_NOMEM;
    }
    r->hmask = mask;
#pragma omp parallel for num_threads(nt) schedule(static)
    for (uint64_t i = 0; i < cap; i++) r->hslots[i] = slots[i].id;
    free(slots);
    /* 7. Deactivation lists: listed NPIs are flagged; the list's date fills
     *    or supersedes an older date of the row. */
    for (size_t k = 0; k < b->deact_npi.n; k++) {
        int64_t row = nm_registry_find(r, b->deact_npi.v[k]);
        if (row < 0) continue;
        r->flags[row] |= NM_RF_LISTED;
        if (b->deact_date.v[k] > r->date[NM_D_DEACT][row]) r->date[NM_D_DEACT][row] = b->deact_date.v[k];
    }
    /* 8. Deactivated = a deactivation date with no later reactivation
     *    (NPPES Readme: reactivated NPIs carry both dates), or listed. */
#pragma omp parallel for num_threads(nt) schedule(static)
    for (size_t k = 0; k < n; k++) {
        uint32_t dd = r->date[NM_D_DEACT][k], rd = r->date[NM_D_REACT][k];
        if ((dd && rd <= dd) || (r->flags[k] & NM_RF_LISTED)) r->flags[k] |= NM_RF_DEACTIVATED;
    }
    /* 9. Companion lists. */
    uint64_t npl = 0, non = 0;
    NM_TRY(build_list(r, &r->pl, &b->pl_items, &b->pl_blob, unknown, user, &npl));
    NM_TRY(build_list(r, &r->on, &b->on_items, &b->on_blob, unknown, user, &non));
    /* The dictionary stops growing here: drop its doubling slack. */
    NM_TRY(nm_buf_exact(&r->dict.str, r->dict.str.len));
    if (r->dict.n) {
        uint32_t *o = realloc(r->dict.off, (size_t)r->dict.n * sizeof *o);
        if (o) r->dict.off = o, r->dict.cap = r->dict.n;
    }
    /* 10. Counters for info: taxonomy groups, distinct taxonomy codes (by
     *     dictionary id), other names (organization other name, other
     *     person name). */
    uint8_t *seen = calloc((size_t)r->dict.n + 1, 1);
    if (!seen) return NM_E_NOMEM;
    uint64_t tax = 0, oth = non;
    const uint8_t *base = (const uint8_t *)r->blob.data;
#pragma omp parallel for num_threads(nt) schedule(static) reduction(+ : tax, oth)
    for (size_t k = 0; k < n; k++) {
        uint64_t m;
        const uint8_t *p = rec_skip(base + r->blob_off[k], &nm_schema_main, &m, NULL);
        oth += (m >> NM_MF_OTH_ORG & 1) + ((m >> NM_MF_OTH_LAST & 1) | (m >> NM_MF_OTH_FIRST & 1));
        int nx = *p++;
        tax += (uint64_t)nx;
        for (int t = 0; t < nx; t++) {
            uint32_t code;
            p = rec_skip(p + 1, &nm_schema_tax, &m, &code);
            if (code) __atomic_store_n(&seen[code], 1, __ATOMIC_RELAXED);
        }
    }
    r->taxonomies = tax;
    r->other_names = oth;
    for (uint32_t id = 1; id <= r->dict.n; id++) r->distinct_taxonomies += seen[id];
    free(seen);
    return 0;
}

int nm_regb_finish(nm_regb *b, nm_registry **out, void (*unknown)(void *, uint16_t, uint64_t), void *user) {
    *out = NULL;
    nm_registry *r = nm_registry_new();
    if (!r) return NM_E_NOMEM;
    /* the registry adopts the builder's dictionary (its hash stays for lookups) */
    r->dict = b->dict;
    nm_dict_init(&b->dict);
    int rc = finish(b, r, unknown, user);
    if (rc) {
        nm_registry_free(r);
        return rc;
    }
    *out = r;
    return 0;
}
