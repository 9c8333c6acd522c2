/* Person-resolution bookkeeping cost: clustering (veto-constrained union-find),
 * stable ID assignment, and a state commit + reopen, on a synthetic night.
 * Records come in persons of 1-6 with strong links inside, 2% weak links
 * between persons and a veto on a tenth of those (so some unions are
 * refused). Night 2 re-clusters everything with 1% new records.
 * Usage: bench_resolve [records (default 1000000)] [state dir (default: none,
 * skip the state part)]. Prints, never asserts. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "cluster/cluster.h"
#include "gen/gen.h"
#include "ids/ids.h"
#include "state/state.h"

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static uint64_t rng = 99;
static uint64_t rnd(void) { return nm_splitmix64(&rng); }

static double prob(double w) { return 1.0 / (1.0 + pow(2.0, -w)); }

int main(int argc, char **argv) {
    size_t n = argc > 1 ? strtoull(argv[1], NULL, 10) : 1000000;
    const char *dir = argc > 2 ? argv[2] : NULL;
    char *kb = malloc(n * 16);
    nm_key *keys = malloc(n * sizeof *keys);
    size_t cap = n * 3, ne = 0;
    nm_cluster_edge *e = malloc(cap * sizeof *e);
    uint32_t *prev = malloc(n * sizeof *prev), *fs = malloc(n * sizeof *fs);
    if (!kb || !keys || !e || !prev || !fs) return 1;
    for (size_t i = 0; i < n; i++) {
        /* "src\0" + 10 digits, in a scrambled order */
        int l = snprintf(kb + i * 16, 16, "src%c%010llu", 0, (unsigned long long)((i * 2654435761u) % 10000000000ull));
        keys[i] = (nm_key){kb + i * 16, (uint32_t)l};
        prev[i] = NM_ID_NONE;
        fs[i] = 1;
    }
    for (size_t s = 0; s < n;) {
        size_t sz = 1 + rnd() % 6;
        if (s + sz > n) sz = n - s;
        for (size_t a = s; a < s + sz; a++)
            for (size_t b = a + 1; b < s + sz && ne < cap; b++) {
                double w = 10 + (double)(rnd() % 20);
                e[ne++] = (nm_cluster_edge){(uint32_t)a, (uint32_t)b, w, prob(w), 0};
            }
        s += sz;
    }
    /* Weak links between random records; a tenth of them come with a veto
     * between the neighbours of their ends (records of the same persons, as
     * persons are consecutive runs), which the clustering must honour. */
    for (size_t k = 0; k < n / 50 && ne + 1 < cap; k++) {
        uint32_t a = (uint32_t)(rnd() % n), b = (uint32_t)(rnd() % n);
        if (a == b) continue;
        double w = 5 + (double)(rnd() % 4);
        e[ne++] = (nm_cluster_edge){a, b, w, prob(w), 0};
        if (rnd() % 10 == 0 && a + 1 < n && b + 1 < n && a + 1 != b + 1)
            e[ne++] = (nm_cluster_edge){a + 1, b + 1, -20, prob(-20), 1};
    }
    printf("records %zu, edges %zu\n", n, ne);

    nm_cluster_result cr;
    nm_err err = {0};
    double t0 = now();
    if (nm_cluster(keys, n, e, ne, NULL, 0, 0.95, &cr, &err)) return fprintf(stderr, "%s\n", err.msg), 1;
    double t1 = now();
    printf("cluster:  %.3f s  (%zu clusters, %zu links refused)  %.2f M edges/s\n", t1 - t0, cr.n_clusters,
           cr.n_refused, (double)ne / (t1 - t0) / 1e6);

    nm_idtab tab = {0};
    nm_ids_input in = {.gen = 1, .n = n, .keys = keys, .first_seen = fs, .prev = prev, .cluster = cr.cluster,
                       .rank = cr.rank, .n_edges = ne, .edges = e, .edge_state = cr.edge_state};
    nm_ids_output o;
    t0 = now();
    if (nm_ids_assign(&tab, &in, &o, &err)) return fprintf(stderr, "%s\n", err.msg), 1;
    t1 = now();
    printf("ids night 1: %.3f s  (%zu issued, %zu events)\n", t1 - t0, o.n_issued, o.n_events);
    memcpy(prev, o.id, n * sizeof *prev);
    nm_ids_output_free(&o);
    in.gen = 2;
    t0 = now();
    if (nm_ids_assign(&tab, &in, &o, &err)) return fprintf(stderr, "%s\n", err.msg), 1;
    t1 = now();
    printf("ids night 2 (same clusters): %.3f s  (%zu events)\n", t1 - t0, o.n_events);
    nm_ids_output_free(&o);

    if (dir) {
        nm_state *st;
        if (nm_state_open(dir, NM_STATE_WRITE, &st, &err)) return fprintf(stderr, "%s\n", err.msg), 1;
        uint32_t *ord = malloc(n * sizeof *ord);
        for (size_t i = 0; i < n; i++) ord[cr.rank[i]] = (uint32_t)i;
        nm_state_records r = {0};
        for (size_t k = 0; k < n; k++) {
            uint32_t i = ord[k];
            nm_records_push(&r, keys[i].p, keys[i].len, fs[i], prev[i], (float)cr.strength[i]);
        }
        nm_state_set_records(st, &r);
        free(nm_state_ids(st)->v);
        *nm_state_ids(st) = tab;
        tab = (nm_idtab){0};
        t0 = now();
        if (nm_state_commit(st, 1764000000, &err)) return fprintf(stderr, "%s\n", err.msg), 1;
        t1 = now();
        nm_state_close(st);
        if (nm_state_open(dir, NM_STATE_READ, &st, &err)) return fprintf(stderr, "%s\n", err.msg), 1;
        double t2 = now();
        printf("state commit: %.3f s, open: %.3f s (generation %u)\n", t1 - t0, t2 - t1, nm_state_generation(st));
        nm_state_close(st);
        free(ord);
    }
    nm_cluster_result_free(&cr);
    free(tab.v);
    free(kb);
    free(keys);
    free(e);
    free(prev);
    free(fs);
    return 0;
}
