/* Jaro-Winkler against a prepared block: the block's candidates are laid out
 * once, and every query against it loads its pattern-match rows instead of
 * building them.
 *
 * Why: a one-against-many batch (jaro_batch.c) spends most of its work per
 * group of candidates on loading their bytes into lanes and comparing every
 * query byte with every candidate byte (the rows), and can use the 64 byte
 * lanes only where 64 consecutive candidates are <= 8 bytes, which a block in
 * arbitrary order rarely has. Blocking compares many queries with the same
 * candidates, so here the candidates of <= 16 bytes are partitioned by length
 * class (<= 8 bytes: 64 byte lanes; 9-16: 32 lanes of 16 bits), in their
 * original order within a class, and each group of lanes is stored as its
 * rows for every byte value the block's short candidates contain. A query
 * maps its bytes to rows (absent bytes to the zero row) and runs only the
 * matching passes; outputs go back to the candidates' original indexes.
 *
 * The layout is built for AVX-512 (nm_simd_active() at preparation). Other
 * levels, queries over 32 bytes against the <= 8-byte class (its byte lanes
 * hold windows of radius <= 15 only) and candidates over 16 bytes use the
 * batch path on the block's own copy of the candidates. Every path yields the same integer
 * parts and the same exact functions of them (jaro.c), so results are
 * bit-identical on every level. */
#include <stdlib.h>
#include <string.h>
#include "compare/jaro_internal.h"
#include "npimatch/simd.h"

struct nm_jw_block {
    size_t n;
    char *bytes;          /* copy of the candidates, original order */
    uint32_t *off;        /* n + 1 offsets into bytes */
    int layout;           /* groups built (AVX-512 at preparation) */
    uint32_t nrow;        /* rows per group: the zero row + distinct bytes (<= 257) */
    uint16_t sym[256];    /* byte -> row (0: no short candidate has it) */
    nm_jv_groups g8, g16; /* <= 8 bytes in 64 byte lanes; 9-16 in 32 16-bit lanes */
    uint32_t *rest;       /* candidates over 16 bytes, ascending */
    size_t nrest;
    void *mem;            /* rows, lengths and indexes of both classes */
};

/* Fill one class: lanes per group, lane width in bytes (1 or 2). */
static void fill_groups(nm_jw_block *b, nm_jv_groups *g, const uint32_t *idx, size_t cnt, size_t lanes, int lw,
                        uint8_t *rows, uint8_t *len, uint32_t *orig, uint32_t *wfirst, nm_jv_win *win) {
    *g = (nm_jv_groups){.ngroups = (cnt + lanes - 1) / lanes, .count = cnt, .rows = rows, .len = len,
                        .orig = orig, .wfirst = wfirst, .win = win};
    /* Output windows: runs of a group's candidates within one aligned
     * 16-index window of the original order. */
    size_t nw = 0;
    for (size_t x = 0; x < cnt; x++) {
        size_t lane = x % lanes;
        if (lane == 0) wfirst[x / lanes] = (uint32_t)nw;
        uint32_t c = idx[x], base = c & ~15u;
        if (lane == 0 || win[nw - 1].base != base)
            win[nw++] = (nm_jv_win){.base = base, .mask = 0, .lane = (uint16_t)lane};
        win[nw - 1].mask |= (uint16_t)(1u << (c & 15));
    }
    wfirst[g->ngroups] = (uint32_t)nw;
    for (size_t x = 0; x < cnt; x++) {
        size_t gi = x / lanes, lane = x % lanes;
        uint32_t c = idx[x], lc = b->off[c + 1] - b->off[c];
        const uint8_t *s = (const uint8_t *)b->bytes + b->off[c];
        uint8_t *grow = rows + gi * b->nrow * NM_JV_ROW;
        orig[x] = c;
        if (lw == 1) {
            len[gi * NM_JV_ROW + lane] = (uint8_t)lc;
            for (uint32_t i = 0; i < lc; i++) grow[b->sym[s[i]] * NM_JV_ROW + lane] |= (uint8_t)(1u << i);
        } else {
            uint16_t *l16 = (uint16_t *)(len + gi * NM_JV_ROW);
            l16[lane] = (uint16_t)lc;
            for (uint32_t i = 0; i < lc; i++) {
                uint16_t *r = (uint16_t *)(grow + b->sym[s[i]] * NM_JV_ROW);
                r[lane] |= (uint16_t)(1u << i);
            }
        }
    }
}

int nm_jw_block_prepare(const char *bytes, const uint32_t *offsets, size_t n, nm_jw_block **out) {
    *out = NULL;
    if (n >= UINT32_MAX || (n && !offsets) || (n && offsets[n] < offsets[0])) return NM_E_ARG;
    nm_jw_block *b = calloc(1, sizeof *b);
    if (!b) return NM_E_NOMEM;
    size_t total = n ? offsets[n] - offsets[0] : 0;
    b->n = n;
    b->bytes = malloc(total ? total : 1);
    b->off = malloc((n + 1) * sizeof *b->off);
    uint32_t *idx = malloc((n ? n : 1) * sizeof *idx);
    if (!b->bytes || !b->off || !idx) goto nomem;
    if (total) memcpy(b->bytes, bytes + offsets[0], total);
    for (size_t i = 0; i <= n; i++) b->off[i] = n ? offsets[i] - offsets[0] : 0;

    /* Length classes, each in original order: idx[0..n8) <= 8 bytes,
     * then n16 of 9-16 bytes, then the rest (over 16). */
    size_t n8 = 0, n16 = 0, x = 0;
    for (size_t i = 0; i < n; i++) {
        uint32_t lc = b->off[i + 1] - b->off[i];
        n8 += lc <= 8;
        n16 += lc > 8 && lc <= 16;
    }
    for (int cls = 0; cls < 3; cls++)
        for (size_t i = 0; i < n; i++) {
            uint32_t lc = b->off[i + 1] - b->off[i];
            if ((lc > 8) + (lc > 16) == cls) idx[x++] = (uint32_t)i;
        }
    b->nrest = n - n8 - n16;
    b->rest = idx; /* kept with the block: the over-16 list is its tail */

    /* Rows: one per byte value of the short candidates, after the zero row. */
    b->nrow = 1;
    for (size_t k = 0; k < n8 + n16; k++) {
        uint32_t c = idx[k];
        for (uint32_t p = b->off[c]; p < b->off[c + 1]; p++) {
            uint8_t v = (uint8_t)b->bytes[p];
            if (!b->sym[v]) b->sym[v] = (uint16_t)b->nrow++;
        }
    }
    b->layout = nm_simd_active() == NM_SIMD_AVX512 && n8 + n16 > 0;
    if (b->layout) {
        size_t ng8 = (n8 + 63) / 64, ng16 = (n16 + 31) / 32, ng = ng8 + ng16;
        size_t rows_sz = ng * b->nrow * NM_JV_ROW, len_sz = ng * NM_JV_ROW;
        size_t orig_sz = (ng8 * 64 + ng16 * 32) * sizeof(uint32_t), wf_sz = (ng + 2) * sizeof(uint32_t);
        size_t win_sz = (n8 + n16) * sizeof(nm_jv_win), total_sz = rows_sz + len_sz + orig_sz + wf_sz + win_sz;
        b->mem = aligned_alloc(64, (total_sz + 63) & ~(size_t)63);
        if (!b->mem) goto nomem;
        memset(b->mem, 0, rows_sz + len_sz + orig_sz);
        uint8_t *rows = b->mem, *len = rows + rows_sz;
        uint32_t *orig = (uint32_t *)(len + len_sz), *wf = orig + ng8 * 64 + ng16 * 32;
        nm_jv_win *win = (nm_jv_win *)(wf + ng + 2);
        fill_groups(b, &b->g8, idx, n8, 64, 1, rows, len, orig, wf, win);
        fill_groups(b, &b->g16, idx + n8, n16, 32, 2, rows + ng8 * b->nrow * NM_JV_ROW, len + ng8 * NM_JV_ROW,
                    orig + ng8 * 64, wf + ng8 + 1, win + wf[ng8]);
    }
    *out = b;
    return NM_OK;
nomem:
    free(idx);
    b->rest = NULL;
    nm_jw_block_free(b);
    return NM_E_NOMEM;
}

void nm_jw_block_free(nm_jw_block *b) {
    if (!b) return;
    free(b->bytes);
    free(b->off);
    free(b->rest);
    free(b->mem);
    free(b);
}

size_t nm_jw_block_count(const nm_jw_block *b) { return b ? b->n : 0; }

static void block_run(const nm_jw_block *b, const char *q, size_t lq, const nm_jv_out *o) {
    if (b->n == 0) return;
    int lvl = (int)nm_simd_active();
    if (!b->layout || lvl != NM_SIMD_AVX512 || lq == 0 || lq > NM_JV_MAX_QUERY || (lq > 32 && b->g8.count)) {
        nm_jv_batch_run(q, lq, b->bytes, b->off, b->n, o);
        return;
    }
    uint16_t qs[NM_JV_MAX_QUERY];
    for (size_t j = 0; j < lq; j++) qs[j] = b->sym[(uint8_t)q[j]];
    if (b->g8.count) nm_jv_block8_avx512((const uint8_t *)q, (uint32_t)lq, qs, &b->g8, b->nrow, o);
    if (b->g16.count) nm_jv_block16_avx512((const uint8_t *)q, (uint32_t)lq, qs, &b->g16, b->nrow, o);
    if (b->nrest)
        nm_jv_batch_list(lvl, q, lq, b->bytes, b->off, b->n, b->rest + (b->n - b->nrest), b->nrest, o);
}

void nm_jw_block_jw(const nm_jw_block *b, const char *q, size_t lq, double *out) {
    nm_jv_out o = {.jw = out};
    block_run(b, q, lq, &o);
}

void nm_jw_block_parts(const nm_jw_block *b, const char *q, size_t lq, nm_jaro_parts *out) {
    nm_jv_out o = {.parts = out};
    block_run(b, q, lq, &o);
}

void nm_jw_block_level(const nm_jw_block *b, const char *q, size_t lq, const uint8_t *thresholds_pct, int nthr,
                       uint8_t *out) {
    nm_jv_out o = {.level = out, .thr = thresholds_pct, .nthr = nthr < 0 ? 0 : nthr > 255 ? 255 : nthr};
    block_run(b, q, lq, &o);
}
