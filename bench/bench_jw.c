/* bench_jw: Jaro-Winkler one-against-many over a block of surnames, one core.
 *
 *   bench_jw [--n N] [--names FILE] [--dump-names FILE] [--scalar-queries Q]
 *            [--only scalar|avx2|avx512]
 *
 * Names: N distinct upper-case surnames of at most 16 bytes, made by a
 * deterministic syllable generator (default N = 10000), or read from FILE
 * (one per line; lines longer than 16 bytes are skipped). Every name is
 * compared as the query against the whole block (N^2 ordered pairs,
 * self-pairs included), with each SIMD level this CPU has, through
 * nm_jw_batch (double scores) and nm_jw_level_batch (JW bands 0.92/0.88/0.70),
 * once with the block in generated (random) order and once sorted by length,
 * and (random order) through a block prepared once for all N queries
 * (nm_jw_block_prepare, its time included, block size N).
 * The scalar reference is timed on the first Q queries only (default N/20)
 * because it is ~50x slower. A checksum per run shows that all kernels agree.
 * --dump-names writes the block for bench/jw_peers.py. Prints; never asserts. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "npimatch.h"
#include "npimatch/compare.h"
#include "npimatch/simd.h"

#define MAXLEN 16

static uint64_t rs = 0x2545F4914F6CDD1Dull;
static uint32_t rnd(uint32_t n) {
    rs ^= rs << 13;
    rs ^= rs >> 7;
    rs ^= rs << 17;
    return (uint32_t)(rs % n);
}

/* Thread CPU time: on a shared machine, time-slicing by other processes
 * does not count against the kernel (wall time is reported too). */
static double now_cpu(void) {
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}
static double now_wall(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* Plausible English-like surnames: onset + vowel (+ coda) syllables, mostly
 * two, with common endings; lengths come out like US surnames (mean ~7). */
static size_t gen_name(char *out) {
    static const char *on[] = {"B", "C", "D", "F", "G", "H", "J", "K", "L", "M", "N", "P", "R", "S", "T", "V",
                               "W", "BR", "CH", "CL", "DR", "FR", "GR", "SH", "ST", "TR", "TH", "WH", ""};
    static const char *vo[] = {"A", "E", "I", "O", "U", "A", "E", "O", "AI", "EA", "OU", "EE", "OO", "IE", "Y"};
    static const char *co[] = {"", "", "", "", "", "", "N", "R", "S", "L", "RD", "NS", "TT", "LL", "CK", "M", "RT", "ND"};
    static const char *end[] = {"SON", "MAN", "ER", "TON", "LEY", "FORD", "S", "Z", "SKI", "EZ", "ES", "Y"};
    size_t len = 0;
    uint32_t u = rnd(20);
    int syl = u < 8 ? 1 : u < 19 ? 2 : 3;
    for (int s = 0; s < syl + 1; s++) {
        const char *parts[3] = {on[rnd(sizeof on / sizeof *on)], vo[rnd(sizeof vo / sizeof *vo)],
                                co[rnd(sizeof co / sizeof *co)]};
        if (s == syl) { /* an ending, a third of the time */
            if (rnd(3)) break;
            parts[0] = end[rnd(sizeof end / sizeof *end)];
            parts[1] = parts[2] = "";
        }
        for (int k = 0; k < 3; k++) {
            size_t l = strlen(parts[k]);
            if (len + l > MAXLEN) return len;
            memcpy(out + len, parts[k], l);
            len += l;
        }
    }
    return len;
}

typedef struct {
    char *bytes;
    uint32_t *off;
    size_t n, cap, bcap;
    uint32_t *set; /* open-addressing set of name indexes + 1, for dedup */
    size_t setcap;
} block;

static uint64_t fnv(const char *s, size_t n) {
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++) h = (h ^ (uint8_t)s[i]) * 1099511628211ull;
    return h;
}

static int block_add(block *b, const char *s, size_t len) {
    if (len == 0 || len > MAXLEN) return 0;
    size_t h = fnv(s, len) & (b->setcap - 1);
    while (b->set[h]) {
        uint32_t k = b->set[h] - 1;
        if (b->off[k + 1] - b->off[k] == len && !memcmp(b->bytes + b->off[k], s, len)) return 0;
        h = (h + 1) & (b->setcap - 1);
    }
    if (b->n + 1 >= b->cap || b->off[b->n] + len > b->bcap) return -1;
    memcpy(b->bytes + b->off[b->n], s, len);
    b->off[b->n + 1] = b->off[b->n] + (uint32_t)len;
    b->set[h] = (uint32_t)++b->n;
    return 1;
}

static int read_names(block *b, const char *path, size_t want) {
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    char line[4096];
    while (b->n < want && fgets(line, sizeof line, f)) {
        size_t l = strcspn(line, "\r\n");
        if (block_add(b, line, l) < 0) break;
    }
    fclose(f);
    return 0;
}

typedef struct {
    double secs, wall;
    long pairs;
    double checksum;
} result;

/* The first nq names as queries against the whole block, through the batch
 * calls or (prepared) through the block prepared once with
 * nm_jw_block_prepare, whose CPU time is included and also returned in
 * *prep. */
static result run(const block *b, size_t nq, int levels, int prepared, double *prep) {
    double *out = malloc(b->n * sizeof *out);
    uint8_t *lv = malloc(b->n);
    static const uint8_t thr[] = {92, 88, 70};
    result r = {0, 0, 0, 0};
    double t0 = now_cpu(), w0 = now_wall();
    nm_jw_block *blk = NULL;
    if (prepared && nm_jw_block_prepare(b->bytes, b->off, b->n, &blk) != NM_OK) {
        fprintf(stderr, "bench_jw: nm_jw_block_prepare failed\n");
        exit(1);
    }
    if (prep) *prep = now_cpu() - t0;
    for (size_t i = 0; i < nq; i++) {
        const char *q = b->bytes + b->off[i];
        size_t lq = b->off[i + 1] - b->off[i];
        if (levels) {
            if (blk) nm_jw_block_level(blk, q, lq, thr, 3, lv);
            else nm_jw_level_batch(q, lq, b->bytes, b->off, b->n, thr, 3, lv);
            for (size_t k = 0; k < b->n; k += 97) r.checksum += lv[k];
        } else {
            if (blk) nm_jw_block_jw(blk, q, lq, out);
            else nm_jw_batch(q, lq, b->bytes, b->off, b->n, out);
            for (size_t k = 0; k < b->n; k += 97) r.checksum += out[k];
        }
    }
    nm_jw_block_free(blk);
    r.secs = now_cpu() - t0;
    r.wall = now_wall() - w0;
    r.pairs = (long)(nq * b->n);
    free(out);
    free(lv);
    return r;
}

int main(int argc, char **argv) {
    size_t n = 10000, nq_scalar = 0;
    const char *names = NULL, *dump = NULL, *only = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--n") && i + 1 < argc) n = strtoul(argv[++i], NULL, 10);
        else if (!strcmp(argv[i], "--names") && i + 1 < argc) names = argv[++i];
        else if (!strcmp(argv[i], "--dump-names") && i + 1 < argc) dump = argv[++i];
        else if (!strcmp(argv[i], "--scalar-queries") && i + 1 < argc) nq_scalar = strtoul(argv[++i], NULL, 10);
        else if (!strcmp(argv[i], "--only") && i + 1 < argc) only = argv[++i];
        else {
            fprintf(stderr, "usage: %s [--n N] [--names FILE] [--dump-names FILE] [--scalar-queries Q] [--only LEVEL]\n", argv[0]);
            return 2;
        }
    }
    if (n < 2) n = 2;
    block b = {0};
    b.cap = n + 2;
    b.bcap = (n + 1) * MAXLEN;
    b.bytes = malloc(b.bcap);
    b.off = calloc(b.cap + 1, sizeof *b.off);
    for (b.setcap = 16; b.setcap < 2 * n; b.setcap *= 2) {}
    b.set = calloc(b.setcap, sizeof *b.set);
    if (names) {
        if (read_names(&b, names, n) < 0) {
            fprintf(stderr, "bench_jw: cannot read %s\n", names);
            return 1;
        }
    } else {
        char tmp[MAXLEN];
        for (long tries = 0; b.n < n && tries < 100 * (long)n; tries++) block_add(&b, tmp, gen_name(tmp));
    }
    if (b.n < 2) {
        fprintf(stderr, "bench_jw: too few names\n");
        return 1;
    }
    if (dump) {
        FILE *f = fopen(dump, "w");
        if (!f) {
            fprintf(stderr, "bench_jw: cannot write %s\n", dump);
            return 1;
        }
        for (size_t i = 0; i < b.n; i++) fprintf(f, "%.*s\n", (int)(b.off[i + 1] - b.off[i]), b.bytes + b.off[i]);
        fclose(f);
    }
    if (!nq_scalar) nq_scalar = b.n / 20 ? b.n / 20 : 1;
    if (nq_scalar > b.n) nq_scalar = b.n;
    printf("names: %zu distinct, mean length %.2f bytes, <= %d bytes; pairs per full run: %zu (ordered, incl. self)\n",
           b.n, (double)b.off[b.n] / b.n, MAXLEN, b.n * b.n);

    /* The same block sorted by ascending length (stable): how an engine
     * keeps blocks, and what lets the AVX-512 kernel use 64 byte lanes for
     * the names of <= 8 bytes. */
    block sb = b;
    sb.bytes = malloc(b.bcap);
    sb.off = calloc(b.cap + 1, sizeof *sb.off);
    for (uint32_t len = 0, k = 0; len <= MAXLEN; len++)
        for (size_t i = 0; i < b.n; i++)
            if (b.off[i + 1] - b.off[i] == len) {
                memcpy(sb.bytes + sb.off[k], b.bytes + b.off[i], len);
                sb.off[k + 1] = sb.off[k] + len;
                k++;
            }

    nm_simd_level best = nm_simd_detect();
    for (int sorted = 0; sorted <= 1; sorted++) {
        const block *blk = sorted ? &sb : &b;
        printf("-- block %s\n", sorted ? "sorted by length" : "in generated (random) order");
        for (int lvl = NM_SIMD_SCALAR; lvl <= (int)best; lvl++) {
            if (only && strcmp(only, nm_simd_name((nm_simd_level)lvl))) continue;
            if (sorted && lvl == NM_SIMD_SCALAR) continue; /* order does not matter to it */
            nm_simd_force((nm_simd_level)lvl);
            size_t nq = lvl == NM_SIMD_SCALAR ? nq_scalar : blk->n;
            for (int levels = 0; levels <= 1; levels++) {
                result r = run(blk, nq, levels, 0, NULL);
                printf("%-7s %-21s %11ld pairs  cpu %7.3f s  %7.3f ns/pair  (wall %7.3f ns/pair)  checksum %.6f\n",
                       nm_simd_name((nm_simd_level)lvl), levels ? "nm_jw_level_batch" : "nm_jw_batch (double)",
                       r.pairs, r.secs, r.secs * 1e9 / (double)r.pairs, r.wall * 1e9 / (double)r.pairs, r.checksum);
            }
            /* The prepared block: one nm_jw_block_prepare of the whole block
             * (its cost included, amortised over the block's N queries), then
             * every query against it. */
            for (int levels = 0; levels <= 1 && !sorted; levels++) {
                double prep;
                result r = run(blk, nq, levels, 1, &prep);
                printf("%-7s %-21s %11ld pairs  cpu %7.3f s  %7.3f ns/pair  (wall %7.3f ns/pair)  checksum %.6f"
                       "  [prepare %.3f ms = %.4f ns/pair]\n",
                       nm_simd_name((nm_simd_level)lvl), levels ? "nm_jw_block_level" : "nm_jw_block_jw (double)",
                       r.pairs, r.secs, r.secs * 1e9 / (double)r.pairs, r.wall * 1e9 / (double)r.pairs, r.checksum,
                       prep * 1e3, prep * 1e9 / (double)r.pairs);
            }
        }
    }
    /* Same-query-count checksums make agreement visible at a glance. */
    double ref = 0;
    for (int sorted = 0; sorted <= 1 && !only; sorted++)
        for (int lvl = NM_SIMD_SCALAR; lvl <= (int)best; lvl++) {
            nm_simd_force((nm_simd_level)lvl);
            result r = run(sorted ? &sb : &b, nq_scalar, 0, 0, NULL);
            if (lvl == NM_SIMD_SCALAR && !sorted) ref = r.checksum;
            if (lvl == NM_SIMD_SCALAR && sorted) continue;
            printf("check %-7s %-6s first %zu queries: checksum %.9f %s\n", nm_simd_name((nm_simd_level)lvl),
                   sorted ? "sorted" : "random", nq_scalar, r.checksum,
                   sorted ? "" : r.checksum == ref ? "(= scalar)" : "(DIFFERS from scalar)");
        }
    free(sb.bytes);
    free(sb.off);
    free(b.bytes);
    free(b.off);
    free(b.set);
    return 0;
}
