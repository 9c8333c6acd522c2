/* Scoring throughput: weights of random comparison vectors for the shipped
 * HCP model (13 comparisons), through nm_score_batch (table lookups + sum)
 * and nm_score with TF values; pattern counting and EM iterations.
 * Levels are drawn mostly "else" (70%), otherwise uniform.
 * Usage: bench_score [pairs (default 20000000)]. Prints, never asserts. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "npimatch.h"

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

int main(int argc, char **argv) {
    size_t n = argc > 1 ? strtoull(argv[1], NULL, 10) : 20000000;
    nm_model *m;
    nm_err e;
    if (nm_model_load("builtin:hcp", &m, &e)) {
        fprintf(stderr, "%s\n", e.msg);
        return 1;
    }
    size_t nc = nm_model_comparison_count(m);
    uint8_t *vec = malloc(n * nc);
    double *out = malloc(n * sizeof *out);
    if (!vec || !out) return 1;
    uint64_t s = 1;
    for (size_t i = 0; i < n; i++)
        for (size_t c = 0; c < nc; c++) {
            s = s * 6364136223846793005ull + 1442695040888963407ull;
            /* mostly "else" (the last level), as in blocked pairs */
            unsigned nl = nm_model_comparison(m, c)->n_levels, r = (unsigned)(s >> 33) % 100;
            vec[i * nc + c] = (uint8_t)(r < 70 ? nl - 1 : r % nl);
        }
    memset(out, 0, n * sizeof *out);   /* first-touch page faults are not scoring */
    double t0 = now();
    nm_score_batch(m, vec, n, out);
    double t1 = now();
    double sum = 0;
    for (size_t i = 0; i < n; i++) sum += out[i];
    printf("nm_score_batch: %zu pairs x %zu comparisons in %.3f s = %.1f M pairs/s (checksum %.6g)\n", n, nc,
           t1 - t0, (double)n / (t1 - t0) / 1e6, sum);
    /* cache-resident blocks, the shape of one record's candidates */
    size_t blk = 1024, reps = n / blk;
    t0 = now();
    for (size_t r = 0; r < reps; r++) nm_score_batch(m, vec + (r % 64) * blk * nc, blk, out + (r % 64) * blk);
    t1 = now();
    printf("nm_score_batch, blocks of %zu: %zu pairs in %.3f s = %.1f M pairs/s\n", blk, reps * blk, t1 - t0,
           (double)(reps * blk) / (t1 - t0) / 1e6);
    double tf[64] = {0};
    tf[1] = 0.002;
    tf[3] = 0.0001;
    t0 = now();
    for (size_t r = 0; r < reps; r++) nm_score_batch_tf(m, vec + (r % 64) * blk * nc, blk, tf, out + (r % 64) * blk);
    t1 = now();
    printf("nm_score_batch_tf, blocks of %zu (TF folded per block): %.1f M pairs/s\n", blk,
           (double)(reps * blk) / (t1 - t0) / 1e6);
    size_t n2 = n / 4;
    t0 = now();
    sum = 0;
    for (size_t i = 0; i < n2; i++) sum += nm_score(m, vec + i * nc, tf, NULL);
    t1 = now();
    printf("nm_score with TF: %zu pairs in %.3f s = %.1f M pairs/s (checksum %.6g)\n", n2, t1 - t0,
           (double)n2 / (t1 - t0) / 1e6, sum);
    nm_patterns *p;
    nm_patterns_create(nc, &p);
    t0 = now();
    for (size_t i = 0; i < n2; i++) nm_patterns_add(p, vec + i * nc, 1);
    t1 = now();
    printf("patterns: %zu pairs -> %zu distinct in %.3f s\n", n2, nm_patterns_count(p), t1 - t0);
    nm_em_options o = {.max_iterations = 10, .tolerance = 1e-300};
    const nm_patterns *runs[1] = {p};
    nm_em_report rep;
    t0 = now();
    nm_train_em(m, runs, NULL, 1, &o, &rep, NULL);
    t1 = now();
    printf("EM: %d iterations over %zu patterns in %.3f s (%.2f ms/iteration)\n", rep.iterations,
           nm_patterns_count(p), t1 - t0, (t1 - t0) * 1e3 / rep.iterations);
    nm_patterns_free(p);
    free(vec);
    free(out);
    nm_model_free(m);
    return 0;
}
