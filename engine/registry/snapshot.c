/* Registry snapshot: save and load.
 *
 * Layout (little-endian host order, checked on load):
 *   header   64 bytes: magic "NMREG\0\0\0", u32 format version, u32 byte-order
 *            mark 0x01020304, u64 file size, u64 XXH3-64 of every byte after
 *            the header, u32 frame count, padding;
 *   meta     NM_META u64 counters (rows, items, lengths, info counters);
 *   extra    (format 2) M_XMETA u64 words of the extra data's meta, then
 *            M_XSEC u64 sizes of its sections (registry_internal.h
 *            nm_reg_extra: the matcher's row store, term frequencies and
 *            blocking indexes, engine/match/match_cache.c);
 *   table    per frame: u64 raw size, u64 compressed size;
 *   frames   zstd frames.
 * Every column/array is a section; sections are cut into frames of at most
 * FRAME_RAW bytes so that compression and decompression run in parallel
 * (OpenMP over frames) and land directly in the final arrays. The checksum
 * is verified before anything is decompressed, so a flipped byte anywhere is
 * refused as NM_E_CORRUPT; zstd's own errors are a second line. */
#include <errno.h>
#include <stdint.h>
#include <sys/mman.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>
#include "common/error_internal.h"
#include "common/hash.h"
#include "common/io.h"
#include "registry/registry_internal.h"

#define SNAP_MAGIC "NMREG\0\0\0"
#define SNAP_VERSION 2u   /* 2: optional extra sections; version 1 files (none) still load */
#define SNAP_BOM 0x01020304u
#define SNAP_HEADER 64
#define FRAME_RAW ((size_t)4 << 20)
/* zstd level 1: on a 2M-provider registry it compresses about twice as fast
 * as level 3 for a 14% larger file (163 vs 143 MB), and decompresses as
 * fast; the snapshot is rewritten on every index run, so speed wins. */
#define ZLEVEL 1

enum {
    M_N, M_BLOB, M_PL_ITEMS, M_PL_BLOB, M_ON_ITEMS, M_ON_BLOB, M_DICT_N, M_DICT_STR,
    M_TAXONOMIES, M_DISTINCT_TAX, M_OTHER_NAMES, M_HAS_PL, M_HAS_ON, M_XMETA, M_XSEC, NM_META = 16
};

typedef struct section {
    void *p;
    size_t size;
} section;

/* The sections of a registry in file order; sizes derive from meta. */
static int sections_of(nm_registry *r, const uint64_t *m, section *s) {
    size_t n = (size_t)m[M_N];
    int k = 0;
    s[k++] = (section){r->npi, n * 4};
    s[k++] = (section){r->repl_npi, n * 4};
    s[k++] = (section){r->entity, n};
    s[k++] = (section){r->sex, n};
    s[k++] = (section){r->sole, n};
    s[k++] = (section){r->flags, n};
    for (int d = 0; d < NM_D_COUNT; d++) s[k++] = (section){r->date[d], n * 4};
    s[k++] = (section){r->no_records ? NULL : r->blob_off, (n + 1) * 8};
    s[k++] = (section){r->blob.data, (size_t)m[M_BLOB]};
    s[k++] = (section){r->pl.first, m[M_HAS_PL] ? (n + 1) * 4 : 0};
    s[k++] = (section){r->pl.off, m[M_HAS_PL] ? ((size_t)m[M_PL_ITEMS] + 1) * 8 : 0};
    s[k++] = (section){r->pl.blob.data, (size_t)m[M_PL_BLOB]};
    s[k++] = (section){r->on.first, m[M_HAS_ON] ? (n + 1) * 4 : 0};
    s[k++] = (section){r->on.off, m[M_HAS_ON] ? ((size_t)m[M_ON_ITEMS] + 1) * 8 : 0};
    s[k++] = (section){r->on.blob.data, (size_t)m[M_ON_BLOB]};
    s[k++] = (section){r->dict.off, (size_t)m[M_DICT_N] * 4};
    s[k++] = (section){r->dict.str.data, (size_t)m[M_DICT_STR]};
    for (size_t i = 0; i < r->extra.nsec; i++) s[k++] = (section){r->extra.p[i], (size_t)r->extra.size[i]};
    return k;
}
#define NSECTIONS (6 + NM_D_COUNT + 10 + NM_REG_EXTRA_MAX)

static size_t frames_of(const section *s, int ns) {
    size_t f = 0;
    for (int i = 0; i < ns; i++) f += (s[i].size + FRAME_RAW - 1) / FRAME_RAW;
    return f;
}

typedef struct frame {
    const char *src;   /* save: raw bytes; load: compressed bytes */
    char *dst;
    size_t raw, comp;
} frame;

/* Cut sections into frames (raw pointers and sizes). A section not loaded
 * (p NULL: records skipped for matching) gives frames with dst NULL. */
static void cut_frames(const section *s, int ns, frame *fr) {
    size_t f = 0;
    for (int i = 0; i < ns; i++)
        for (size_t o = 0; o < s[i].size; o += FRAME_RAW) {
            fr[f].raw = NM_MIN(FRAME_RAW, s[i].size - o);
            fr[f].src = fr[f].dst = s[i].p ? (char *)s[i].p + o : NULL;
            f++;
        }
}

/* Drop the pages of a read-only file mapping already consumed from the
 * process (they stay in the page cache): a snapshot with the matcher's data
 * is gigabytes, and holding all of it mapped while decompressing would add
 * its whole size to the peak resident memory. */
#define WINDOW_BYTES ((size_t)64 << 20)
static void release(const void *p, size_t n) {
#ifdef MADV_DONTNEED
    const uintptr_t pg = 4096;
    uintptr_t a = ((uintptr_t)p + pg - 1) & ~(pg - 1), e = ((uintptr_t)p + n) & ~(pg - 1);
    if (e > a) madvise((void *)a, e - a, MADV_DONTNEED);
#else
    (void)p, (void)n;
#endif
}

/* XXH3 of p[0..n) in windows, releasing each window when mapped. */
static uint64_t hash_released(const uint8_t *p, size_t n, int mapped) {
    XXH3_state_t st;
    XXH3_64bits_reset(&st);
    for (size_t o = 0; o < n; o += WINDOW_BYTES) {
        size_t k = NM_MIN(WINDOW_BYTES, n - o);
        XXH3_64bits_update(&st, p + o, k);
        if (mapped) release(p + o, k);
    }
    return XXH3_64bits_digest(&st);
}

static void put_u32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }
static void put_u64(uint8_t *p, uint64_t v) { memcpy(p, &v, 8); }
static uint32_t get_u32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }
static uint64_t get_u64(const uint8_t *p) { uint64_t v; memcpy(&v, p, 8); return v; }

int nm_registry_save(const nm_registry *reg, const char *path, nm_err *err) {
    nm_registry *r = (nm_registry *)reg;   /* sections_of takes non-const pointers; nothing is written */
    if (r->no_records) return nm_err_set(err, NM_E_ARG, "%s: registry loaded without its records cannot be saved", path);
    uint64_t m[NM_META] = {0};
    m[M_N] = r->n;
    m[M_BLOB] = r->blob.len;
    m[M_PL_ITEMS] = r->pl.nitems;
    m[M_PL_BLOB] = r->pl.blob.len;
    m[M_ON_ITEMS] = r->on.nitems;
    m[M_ON_BLOB] = r->on.blob.len;
    m[M_DICT_N] = r->dict.n;
    m[M_DICT_STR] = r->dict.str.len;
    m[M_TAXONOMIES] = r->taxonomies;
    m[M_DISTINCT_TAX] = r->distinct_taxonomies;
    m[M_OTHER_NAMES] = r->other_names;
    m[M_HAS_PL] = r->pl.first != NULL;
    m[M_HAS_ON] = r->on.first != NULL;
    m[M_XMETA] = r->extra.nmeta;
    m[M_XSEC] = r->extra.nsec;
    size_t nx = r->extra.nmeta + r->extra.nsec;
    uint64_t xm[NM_REG_EXTRA_META + NM_REG_EXTRA_MAX];
    memcpy(xm, r->extra.meta, r->extra.nmeta * 8);
    memcpy(xm + r->extra.nmeta, r->extra.size, r->extra.nsec * 8);
    section s[NSECTIONS];
    int ns = sections_of(r, m, s);
    size_t nf = frames_of(s, ns);
    frame *fr = calloc(nf + 1, sizeof *fr);
    uint8_t *table = malloc(nf * 16 + 1);
    if (!fr || !table) {
        free(fr), free(table);
        return nm_err_set(err, NM_E_NOMEM, "%s: out of memory", path);
    }
    cut_frames(s, ns, fr);
    int bad = 0;
    /* One compression context per thread: ZSTD_compress would allocate and
     * zero a fresh context (megabytes of tables) for every frame. */
#pragma omp parallel reduction(| : bad)
    {
        ZSTD_CCtx *cx = ZSTD_createCCtx();
        if (!cx) bad |= 1;
#pragma omp for schedule(dynamic, 1)
        for (size_t f = 0; f < nf; f++) {
            if (!cx) continue;
            size_t cap = ZSTD_compressBound(fr[f].raw);
            fr[f].dst = malloc(cap);
            if (!fr[f].dst) { bad |= 1; continue; }
            size_t z = ZSTD_compressCCtx(cx, fr[f].dst, cap, fr[f].src, fr[f].raw, ZLEVEL);
            if (ZSTD_isError(z)) bad |= 2;
            else fr[f].comp = z;
        }
        ZSTD_freeCCtx(cx);
    }
    int rc = 0;
    if (bad) {
        rc = nm_err_set(err, bad & 1 ? NM_E_NOMEM : NM_E_COMPRESS, "%s: %s", path,
                        bad & 1 ? "out of memory" : "zstd compression failed");
        goto done;
    }
    uint64_t size = SNAP_HEADER + sizeof m + nx * 8 + nf * 16;
    for (size_t f = 0; f < nf; f++) {
        put_u64(table + 16 * f, fr[f].raw);
        put_u64(table + 16 * f + 8, fr[f].comp);
        size += fr[f].comp;
    }
    XXH3_state_t st;
    XXH3_64bits_reset(&st);
    XXH3_64bits_update(&st, m, sizeof m);
    XXH3_64bits_update(&st, xm, nx * 8);
    XXH3_64bits_update(&st, table, nf * 16);
    for (size_t f = 0; f < nf; f++) XXH3_64bits_update(&st, fr[f].dst, fr[f].comp);
    uint8_t h[SNAP_HEADER] = {0};
    memcpy(h, SNAP_MAGIC, 8);
    put_u32(h + 8, SNAP_VERSION);
    put_u32(h + 12, SNAP_BOM);
    put_u64(h + 16, size);
    put_u64(h + 24, XXH3_64bits_digest(&st));
    put_u32(h + 32, (uint32_t)nf);
    nm_writer *w = NULL;
    rc = nm_writer_open(path, 0, &w, err);
    if (rc) goto done;
    rc = nm_writer_write(w, h, sizeof h, err);
    if (!rc) rc = nm_writer_write(w, m, sizeof m, err);
    if (!rc) rc = nm_writer_write(w, xm, nx * 8, err);
    if (!rc) rc = nm_writer_write(w, table, nf * 16, err);
    for (size_t f = 0; f < nf && !rc; f++) rc = nm_writer_write(w, fr[f].dst, fr[f].comp, err);
    if (rc) nm_writer_abort(w);
    else rc = nm_writer_commit(w, err);
done:
    for (size_t f = 0; f < nf; f++) free(fr[f].dst);
    free(fr);
    free(table);
    return rc;
}

static int alloc_for_meta(nm_registry *r, const uint64_t *m) {
    size_t n = (size_t)m[M_N];
    NM_TRY(nm_registry_alloc_columns(r, n));
    r->n = n;
    if (r->no_records) {   /* nothing of the records but their (zero) offsets */
        free(r->blob_off);
        r->blob_off = calloc(n + 1, sizeof *r->blob_off);
        if (!r->blob_off) return NM_E_NOMEM;
    } else {
        NM_TRY(nm_buf_exact(&r->blob, m[M_BLOB]));
        r->blob.len = m[M_BLOB];
        /* 2 MiB pages: a 2M-provider blob (330 MB) then costs ~160 page faults, not ~80000 */
        nm_advise_huge(r->blob.data, r->blob.cap);
    }
    nm_reg_list *ls[2] = {&r->pl, &r->on};
    for (int k = 0; k < 2 && !r->no_records; k++) {
        if (!m[k ? M_HAS_ON : M_HAS_PL]) continue;
        size_t items = (size_t)m[k ? M_ON_ITEMS : M_PL_ITEMS], bl = (size_t)m[k ? M_ON_BLOB : M_PL_BLOB];
        ls[k]->first = malloc((n + 1) * 4);
        ls[k]->off = malloc((items + 1) * 8);
        if (!ls[k]->first || !ls[k]->off) return NM_E_NOMEM;
        ls[k]->nitems = items;
        NM_TRY(nm_buf_exact(&ls[k]->blob, bl));
        ls[k]->blob.len = bl;
    }
    r->dict.n = r->dict.cap = (uint32_t)m[M_DICT_N];
    r->dict.off = malloc((size_t)m[M_DICT_N] * 4 + 4);
    if (!r->dict.off) return NM_E_NOMEM;
    NM_TRY(nm_buf_exact(&r->dict.str, m[M_DICT_STR]));
    r->dict.str.len = m[M_DICT_STR];
    r->taxonomies = m[M_TAXONOMIES];
    r->distinct_taxonomies = m[M_DISTINCT_TAX];
    r->other_names = m[M_OTHER_NAMES];
    r->extra.owned = 1;
    for (size_t i = 0; i < r->extra.nsec; i++) {
        r->extra.p[i] = malloc(r->extra.size[i] ? r->extra.size[i] : 1);
        if (!r->extra.p[i]) return NM_E_NOMEM;
        nm_advise_huge(r->extra.p[i], r->extra.size[i]);
    }
    return 0;
}

/* Cheap structural checks after decompression: offsets must stay inside
 * their blobs, so a file that passed the checksum but was written by a
 * buggy or hostile producer cannot make accessors read out of bounds. */
static int check_structure(const nm_registry *r) {
    if (r->no_records) return 1;
    if (r->blob_off[0] != 0 || r->blob_off[r->n] != r->blob.len) return 0;
    for (size_t i = 0; i < r->n; i++)
        if (r->blob_off[i] > r->blob_off[i + 1]) return 0;
    const nm_reg_list *ls[2] = {&r->pl, &r->on};
    for (int k = 0; k < 2; k++) {
        const nm_reg_list *l = ls[k];
        if (!l->first) continue;
        if (l->first[0] != 0 || l->first[r->n] != l->nitems || l->off[l->nitems] != l->blob.len) return 0;
        for (size_t i = 0; i < r->n; i++)
            if (l->first[i] > l->first[i + 1]) return 0;
        for (size_t i = 0; i < l->nitems; i++)
            if (l->off[i] > l->off[i + 1]) return 0;
    }
    for (uint32_t i = 0; i < r->dict.n; i++)
        if ((i && r->dict.off[i] < r->dict.off[i - 1]) || r->dict.off[i] > r->dict.str.len) return 0;
    return nm_registry_check_records(r);
}

static int load_bytes(const char *path, const uint8_t *p, size_t len, int mapped, uint64_t want, nm_registry **out,
                      nm_err *err) {
    if (len < 8 && !memcmp(p, SNAP_MAGIC, len))
        return nm_err_set(err, NM_E_CORRUPT, "%s: truncated snapshot (%zu bytes)", path, len);
    if (memcmp(p, SNAP_MAGIC, 8))
        return nm_err_set(err, NM_E_FORMAT, "%s: not an npimatch registry snapshot (bad magic)", path);
    if (len < SNAP_HEADER) return nm_err_set(err, NM_E_CORRUPT, "%s: truncated snapshot header", path);
    if (get_u32(p + 12) != SNAP_BOM)
        return nm_err_set(err, NM_E_FORMAT, "%s: snapshot written with another byte order", path);
    uint32_t ver = get_u32(p + 8);
    if (ver != SNAP_VERSION && ver != 1)
        return nm_err_set(err, NM_E_VERSION, "%s: snapshot format version %u, this build reads versions 1 to %u",
                          path, ver, SNAP_VERSION);
    uint64_t size = get_u64(p + 16);
    if (size != len)
        return nm_err_set(err, NM_E_CORRUPT, "%s: snapshot is %s (%zu bytes, header says %llu)", path,
                          len < size ? "truncated" : "followed by extra bytes", len, (unsigned long long)size);
    if (hash_released(p + SNAP_HEADER, len - SNAP_HEADER, mapped) != get_u64(p + 24))
        return nm_err_set(err, NM_E_CORRUPT, "%s: snapshot checksum mismatch (file corrupted)", path);
    uint64_t nf = get_u32(p + 32);
    uint64_t m[NM_META];
    if (len < SNAP_HEADER + sizeof m)
        return nm_err_set(err, NM_E_CORRUPT, "%s: snapshot frame table truncated", path);
    memcpy(m, p + SNAP_HEADER, sizeof m);
    if (ver == 1) m[M_XMETA] = m[M_XSEC] = 0;
    if (m[M_XMETA] > NM_REG_EXTRA_META || m[M_XSEC] > NM_REG_EXTRA_MAX)
        return nm_err_set(err, NM_E_CORRUPT, "%s: snapshot sizes are inconsistent", path);
    size_t nx = (size_t)(m[M_XMETA] + m[M_XSEC]);
    if (len < SNAP_HEADER + sizeof m + nx * 8 + nf * 16)
        return nm_err_set(err, NM_E_CORRUPT, "%s: snapshot frame table truncated", path);
    const uint8_t *xm = p + SNAP_HEADER + sizeof m;
    const uint8_t *table = xm + nx * 8;
    /* Sizes must be plausible before anything is allocated from them. */
    uint64_t raw_total = 0, pos = SNAP_HEADER + sizeof m + nx * 8 + nf * 16;
    for (uint64_t f = 0; f < nf; f++) raw_total += get_u64(table + 16 * f), pos += get_u64(table + 16 * f + 8);
    if (pos != len || m[M_N] > UINT32_MAX || m[M_DICT_N] > NM_DICT_MAX || m[M_HAS_PL] > 1 || m[M_HAS_ON] > 1 ||
        m[M_BLOB] > raw_total || m[M_PL_BLOB] > raw_total || m[M_ON_BLOB] > raw_total || m[M_DICT_STR] > raw_total ||
        m[M_PL_ITEMS] > raw_total || m[M_ON_ITEMS] > raw_total || m[M_N] > raw_total)
        return nm_err_set(err, NM_E_CORRUPT, "%s: snapshot sizes are inconsistent", path);
    for (size_t i = 0; i < m[M_XSEC]; i++)
        if (get_u64(xm + 8 * (m[M_XMETA] + i)) > raw_total)
            return nm_err_set(err, NM_E_CORRUPT, "%s: snapshot sizes are inconsistent", path);
    nm_registry *r = nm_registry_new();
    if (!r) return nm_err_set(err, NM_E_NOMEM, "%s: out of memory", path);
    r->extra.nmeta = (size_t)m[M_XMETA];
    r->extra.nsec = (size_t)m[M_XSEC];
    memcpy(r->extra.meta, xm, r->extra.nmeta * 8);
    memcpy(r->extra.size, xm + r->extra.nmeta * 8, r->extra.nsec * 8);
    r->no_records = want && r->extra.nmeta >= 2 && r->extra.meta[1] == want;
    int rc = alloc_for_meta(r, m);
    if (rc) {
        nm_registry_free(r);
        return nm_err_set(err, rc, "%s: out of memory", path);
    }
    section s[NSECTIONS];
    int ns = sections_of(r, m, s);
    frame *fr = calloc(frames_of(s, ns) + 1, sizeof *fr);
    if (!fr || frames_of(s, ns) != nf) {
        free(fr);
        nm_registry_free(r);
        return nm_err_set(err, fr ? NM_E_CORRUPT : NM_E_NOMEM, "%s: snapshot frame count does not match its contents", path);
    }
    cut_frames(s, ns, fr);
    const char *c = (const char *)table + nf * 16;
    for (uint64_t f = 0; f < nf; f++) {
        if (get_u64(table + 16 * f) != fr[f].raw) {
            free(fr);
            nm_registry_free(r);
            return nm_err_set(err, NM_E_CORRUPT, "%s: snapshot frame %llu has the wrong size", path,
                              (unsigned long long)f);
        }
        fr[f].src = c;
        fr[f].comp = get_u64(table + 16 * f + 8);
        c += fr[f].comp;
    }
    int bad = 0;
    /* Windows of frames (in file order), each released once decompressed. */
#pragma omp parallel reduction(| : bad)
    {
        ZSTD_DCtx *dx = ZSTD_createDCtx();
        if (!dx) bad = 1;
        for (size_t w0 = 0, w1; w0 < nf; w0 = w1) {
            size_t bytes = 0;
            for (w1 = w0; w1 < nf && (w1 == w0 || bytes + fr[w1].comp <= WINDOW_BYTES); w1++) bytes += fr[w1].comp;
#pragma omp for schedule(dynamic, 1)
            for (size_t f = w0; f < w1; f++) {
                if (!dx || !fr[f].dst) continue;
                size_t z = ZSTD_decompressDCtx(dx, fr[f].dst, fr[f].raw, fr[f].src, fr[f].comp);
                if (ZSTD_isError(z) || z != fr[f].raw) bad = 1;
            }
#pragma omp single
            if (mapped) release(fr[w0].src, bytes);
        }
        ZSTD_freeDCtx(dx);
    }
    free(fr);
    if (bad || !check_structure(r)) {
        nm_registry_free(r);
        return nm_err_set(err, NM_E_CORRUPT, "%s: snapshot data is corrupted (%s)", path,
                          bad ? "zstd frame error" : "inconsistent offsets");
    }
    if (nm_dict_rehash(&r->dict) || nm_registry_reindex(r)) {
        nm_registry_free(r);
        return nm_err_set(err, NM_E_NOMEM, "%s: out of memory", path);
    }
    *out = r;
    return 0;
}

int nm_registry_load_keyed(const char *path, uint64_t want, nm_registry **out, nm_err *err) {
    *out = NULL;
    nm_reader *rd = NULL;
    NM_TRY(nm_reader_open(path, &rd, err));
    size_t len = 0;
    const char *p = nm_reader_map(rd, &len);
    int rc;
    if (p) {
        rc = load_bytes(path, (const uint8_t *)p, len, 1, want, out, err);
        nm_reader_close(rd);
        return rc;
    }
    nm_reader_close(rd);
    char *buf = NULL;
    NM_TRY(nm_read_all(path, &buf, &len, err));
    rc = load_bytes(path, (const uint8_t *)buf, len, 0, want, out, err);
    free(buf);
    return rc;
}

int nm_registry_load(const char *path, nm_registry **out, nm_err *err) { return nm_registry_load_keyed(path, 0, out, err); }
