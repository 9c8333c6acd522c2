/* Jaro-Winkler one query against many candidates: the ISA-agnostic driver.
 *
 * The SIMD level is read once per batch (never per pair). Candidates are
 * sorted, in chunks, into lane classes by length (<= 16, <= 32, <= 64 bytes:
 * the kernels' 16-, 32- and 64-bit lanes); candidates longer than 64 bytes,
 * queries longer than NM_JV_MAX_QUERY and the scalar level use the scalar
 * reference. Every path yields the same integer parts, and scores and levels
 * are the same exact functions of them (jaro.c), so all levels agree bit for
 * bit. */
#include <string.h>
#include "compare/jaro_internal.h"
#include "npimatch/simd.h"

#define JV_CHUNK 1024

static void emit_scalar(const nm_jaro_parts *p, size_t i, const nm_jv_out *o) {
    if (o->parts) {
        o->parts[i] = *p;
    } else if (o->jw) {
        o->jw[i] = nm_jw_from_parts(p);
    } else {
        int k = 0;
        while (k < o->nthr && !nm_jw_at_least(p, o->thr[k])) k++;
        o->level[i] = (uint8_t)k;
    }
}

static void scalar_one(const char *q, size_t lq, const char *bytes, const uint32_t *offsets, size_t i,
                       const nm_jv_out *o) {
    nm_jaro_parts p;
    nm_jaro_parts_of(q, lq, bytes + offsets[i], offsets[i + 1] - offsets[i], &p);
    emit_scalar(&p, i, o);
}

static nm_jv_kernel_fn *kernel_of(int lvl) { return lvl == NM_SIMD_AVX512 ? nm_jv_lanes_avx512 : nm_jv_lanes_avx2; }

/* Sort candidates into lane classes and run each class's kernel: the
 * candidates idx[0..cnt) when idx is given, else s .. s+cnt-1. */
static void run_classes(int lvl, const char *q, size_t lq, const char *bytes, const uint32_t *offsets, size_t n,
                        const uint32_t *idx, size_t s, size_t cnt, const nm_jv_out *o) {
    nm_jv_kernel_fn *kern = kernel_of(lvl);
    const char *end = bytes + offsets[n];
    uint32_t cls[3][JV_CHUNK];
    for (size_t c0 = 0; c0 < cnt; c0 += JV_CHUNK) {
        size_t e = cnt - c0 < JV_CHUNK ? cnt : c0 + JV_CHUNK;
        size_t k[3] = {0, 0, 0};
        for (size_t x = c0; x < e; x++) {
            uint32_t i = idx ? idx[x] : (uint32_t)(s + x);
            uint32_t len = offsets[i + 1] - offsets[i];
            if (len > 64) {
                scalar_one(q, lq, bytes, offsets, i, o);
                continue;
            }
            int c = (len > 16) + (len > 32);
            cls[c][k[c]++] = i;
        }
        for (int c = 0; c < 3; c++)
            if (k[c]) kern((const uint8_t *)q, (uint32_t)lq, bytes, end, offsets, cls[c], 0, k[c], 16 << c, o);
    }
}

void nm_jv_batch_list(int lvl, const char *q, size_t lq, const char *bytes, const uint32_t *offsets, size_t n,
                      const uint32_t *idx, size_t cnt, const nm_jv_out *o) {
    run_classes(lvl, q, lq, bytes, offsets, n, idx, 0, cnt, o);
}

void nm_jv_batch_run(const char *q, size_t lq, const char *bytes, const uint32_t *offsets, size_t n,
                     const nm_jv_out *o) {
    nm_simd_level lvl = nm_simd_active();
    if (n == 0) return;
    if (lvl == NM_SIMD_SCALAR || lq > NM_JV_MAX_QUERY) {
        for (size_t i = 0; i < n; i++) scalar_one(q, lq, bytes, offsets, i, o);
        return;
    }
    const char *end = bytes + offsets[n];
    size_t s = 0;
    while (s < n) {
        /* Runs of consecutive short candidates (the usual name block) go
         * straight to the lanes with no per-candidate sorting: 64 byte lanes
         * while candidates are <= 8 bytes (blocks sorted by ascending length
         * keep them together), then 16-bit lanes while they are <= 16. */
        if (lvl == NM_SIMD_AVX512) {
            s += nm_jv_run8_avx512((const uint8_t *)q, (uint32_t)lq, bytes, end, offsets, s, n - s, o);
            s += nm_jv_run16_avx512((const uint8_t *)q, (uint32_t)lq, bytes, end, offsets, s, n - s, o);
        } else {
            s += kernel_of(lvl)((const uint8_t *)q, (uint32_t)lq, bytes, end, offsets, NULL, s, n - s, 16, o);
        }
        if (s >= n) break;
        /* Otherwise sort the next chunk into lane classes. */
        size_t e = n - s < JV_CHUNK ? n : s + JV_CHUNK;
        run_classes(lvl, q, lq, bytes, offsets, n, NULL, s, e - s, o);
        s = e;
    }
}

void nm_jaro_parts_batch(const char *q, size_t lq, const char *bytes, const uint32_t *offsets, size_t n,
                         nm_jaro_parts *out) {
    nm_jv_out o = {.parts = out};
    nm_jv_batch_run(q, lq, bytes, offsets, n, &o);
}

void nm_jw_batch(const char *q, size_t lq, const char *bytes, const uint32_t *offsets, size_t n, double *out) {
    nm_jv_out o = {.jw = out};
    nm_jv_batch_run(q, lq, bytes, offsets, n, &o);
}

void nm_jw_level_batch(const char *q, size_t lq, const char *bytes, const uint32_t *offsets, size_t n,
                       const uint8_t *thresholds_pct, int nthr, uint8_t *out) {
    /* Levels are bytes: at most 255 thresholds take part. */
    nm_jv_out o = {.level = out, .thr = thresholds_pct, .nthr = nthr < 0 ? 0 : nthr > 255 ? 255 : nthr};
    nm_jv_batch_run(q, lq, bytes, offsets, n, &o);
}
