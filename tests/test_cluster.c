/* Clustering with "confidently different" vetoes (engine/cluster/cluster.h):
 * chaining through a weak link is refused when it would join a vetoed pair,
 * links are taken strongest first, and the result depends neither on the
 * order of records nor of edges. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cluster/cluster.h"
#include "gen/gen.h"

#define THR 0.95

static double prob(double w) { return 1.0 / (1.0 + pow(2.0, -w)); }

static nm_cluster_edge E(uint32_t a, uint32_t b, double w) { return (nm_cluster_edge){a, b, w, prob(w), 0}; }
static nm_cluster_edge V(uint32_t a, uint32_t b, double w) { return (nm_cluster_edge){a, b, w, prob(w), 1}; }

/* Keys "k000", "k001", ...: key order equals index order. */
static nm_key *make_keys(size_t n, char (*store)[16]) {
    nm_key *k = malloc(n * sizeof *k);
    for (size_t i = 0; i < n; i++) {
        snprintf(store[i], 16, "k%05u", (unsigned)i);
        k[i] = (nm_key){store[i], (uint32_t)strlen(store[i])};
    }
    return k;
}

static void run(size_t n, const nm_cluster_edge *e, size_t ne, nm_cluster_result *res) {
    char (*store)[16] = malloc(n * 16);
    nm_key *keys = make_keys(n, store);
    nm_err err = {0};
    cr_assert_eq(nm_cluster(keys, n, e, ne, NULL, 0, THR, res, &err), 0, "%s", err.msg);
    free(keys);
    free(store);
}

Test(cluster, weak_link_chaining_is_refused_when_vetoed) {
    /* Person A = {0,1}, person B = {2,3}; 1-2 is a weak link above the
     * threshold (a shared blank-ish record); 0 and 3 are confidently
     * different (guard). */
    nm_cluster_edge e[] = {E(0, 1, 20), E(2, 3, 18), E(1, 2, 6), V(0, 3, -30)};
    nm_cluster_result r;
    run(4, e, 4, &r);
    cr_assert_eq(r.n_clusters, 2);
    cr_assert_eq(r.cluster[0], r.cluster[1]);
    cr_assert_eq(r.cluster[2], r.cluster[3]);
    cr_assert_neq(r.cluster[0], r.cluster[2]);
    cr_assert_eq(r.edge_state[2], NM_EDGE_REFUSED, "the weakest link is the one refused");
    cr_assert_eq(r.edge_state[0], NM_EDGE_LINKED);
    cr_assert_eq(r.edge_state[3], NM_EDGE_VETO);
    cr_assert_eq(r.n_refused, 1);
    nm_cluster_result_free(&r);

    /* Without the veto the same links chain everyone together. */
    run(4, e, 3, &r);
    cr_assert_eq(r.n_clusters, 1);
    nm_cluster_result_free(&r);
}

Test(cluster, veto_pairs_from_the_caller) {
    nm_cluster_edge e[] = {E(0, 1, 20), E(1, 2, 7)};
    const uint32_t veto[][2] = {{2, 0}};
    nm_key keys[3] = {{"a", 1}, {"b", 1}, {"c", 1}};
    nm_cluster_result r;
    cr_assert_eq(nm_cluster(keys, 3, e, 2, veto, 1, THR, &r, NULL), 0);
    cr_assert_eq(r.cluster[0], r.cluster[1]);
    cr_assert_neq(r.cluster[1], r.cluster[2]);
    nm_cluster_result_free(&r);
}

/* The union-time check: guards on pairs blocking never compared. `label`
 * gives each record a true person; 0 = unknown (blank-ish record). */
typedef struct labels {
    const int *label;
    int calls;
} labels;

static int differ_by_label(void *ctx, uint32_t a, uint32_t b) {
    labels *l = ctx;
    l->calls++;
    return l->label[a] && l->label[b] && l->label[a] != l->label[b];
}

Test(cluster, uncompared_guarded_pairs_are_checked_at_union_time) {
    /* 0 and 2 were never compared; they meet only through the blank-ish
     * record 1 (0-1 strong, 1-2 weaker). */
    nm_key keys[3] = {{"a", 1}, {"b", 1}, {"c", 1}};
    nm_cluster_edge e[] = {E(1, 2, 8), E(0, 1, 15)};
    int lab[] = {1, 0, 2};
    labels l = {lab, 0};
    nm_cluster_opts o = {differ_by_label, &l, 0};
    nm_cluster_result r;
    cr_assert_eq(nm_cluster_ex(keys, 3, e, 2, NULL, 0, THR, &o, &r, NULL), 0);
    cr_assert_eq(r.cluster[0], r.cluster[1]);
    cr_assert_neq(r.cluster[1], r.cluster[2]);
    cr_assert_eq(r.edge_state[0], NM_EDGE_REFUSED);
    cr_assert_gt(l.calls, 0);
    nm_cluster_result_free(&r);
    /* Without the check the blank record chains them. */
    cr_assert_eq(nm_cluster(keys, 3, e, 2, NULL, 0, THR, &r, NULL), 0);
    cr_assert_eq(r.n_clusters, 1);
    nm_cluster_result_free(&r);
    /* Above max_checks pairs the union relies on explicit vetoes only. */
    o.max_checks = 1;
    cr_assert_eq(nm_cluster_ex(keys, 3, e, 2, NULL, 0, THR, &o, &r, NULL), 0);
    cr_assert_eq(r.n_clusters, 1);
    nm_cluster_result_free(&r);
}

Test(cluster, strongest_link_wins_the_contested_record) {
    /* 1 links to both 0 and 2, which are vetoed: it goes with the stronger. */
    nm_cluster_edge e[] = {E(1, 2, 9), E(0, 1, 15), V(0, 2, -20)};
    nm_cluster_result r;
    run(3, e, 3, &r);
    cr_assert_eq(r.cluster[1], r.cluster[0]);
    cr_assert_neq(r.cluster[1], r.cluster[2]);
    cr_assert_eq(r.edge_state[0], NM_EDGE_REFUSED);
    nm_cluster_result_free(&r);
    e[0].weight = 16;   /* now 1-2 is the stronger link */
    e[0].probability = prob(16);
    run(3, e, 3, &r);
    cr_assert_eq(r.cluster[1], r.cluster[2]);
    cr_assert_neq(r.cluster[1], r.cluster[0]);
    nm_cluster_result_free(&r);
}

Test(cluster, weight_order_across_signs_and_magnitudes) {
    /* Record 0 is contested by 1..6, which veto each other: it joins the
     * strongest. With link_probability 0 every edge is a candidate link. */
    double w[] = {-3.5, 2.0, -0.0, 1e300, INFINITY, 0.0};
    for (int best = 0; best < 6; best++) {
        nm_cluster_edge e[6 + 15];
        size_t ne = 0;
        for (int i = 0; i < 6; i++) {
            double x = i == best ? w[best] : -1e308;
            if (best == 3 && i == 4) x = 1e299;   /* below 1e300 */
            e[ne++] = (nm_cluster_edge){0, (uint32_t)(i + 1), x, 0.5, 0};
        }
        for (uint32_t i = 1; i <= 6; i++)
            for (uint32_t j = i + 1; j <= 6; j++) e[ne++] = V(i, j, -40);
        nm_key keys[7] = {{"a", 1}, {"b", 1}, {"c", 1}, {"d", 1}, {"e", 1}, {"f", 1}, {"g", 1}};
        nm_cluster_result r;
        cr_assert_eq(nm_cluster(keys, 7, e, ne, NULL, 0, 0.0, &r, NULL), 0);
        cr_assert_eq(r.cluster[0], r.cluster[best + 1], "weight %g", w[best]);
        nm_cluster_result_free(&r);
    }
}

Test(cluster, equal_weights_are_ordered_by_record_keys) {
    /* 1 links to 0 and 2 with the same weight: the pair with the smaller
     * keys, (0,1), is taken first. */
    nm_cluster_edge e[] = {E(2, 1, 10), E(1, 0, 10), V(0, 2, -20)};
    nm_cluster_result r;
    run(3, e, 3, &r);
    cr_assert_eq(r.cluster[1], r.cluster[0]);
    cr_assert_neq(r.cluster[1], r.cluster[2]);
    nm_cluster_result_free(&r);
}

Test(cluster, threshold_and_different_flag) {
    /* Below the link probability: ignored. A flagged pair never links, even
     * with a high probability (a guard overrides the score). */
    nm_cluster_edge e[] = {E(0, 1, 3), V(2, 3, 40)};
    nm_cluster_result r;
    run(4, e, 2, &r);
    cr_assert_eq(r.n_clusters, 4);
    cr_assert_eq(r.edge_state[0], NM_EDGE_BELOW);
    cr_assert_eq(r.edge_state[1], NM_EDGE_VETO);
    cr_assert_eq(r.strength[0], 1.0, "a record alone is certain of itself");
    cr_assert(isinf(r.strength_weight[0]));
    nm_cluster_result_free(&r);
}

Test(cluster, strength_is_the_best_link_inside_the_cluster) {
    nm_cluster_edge e[] = {E(0, 1, 12), E(1, 2, 8), E(0, 2, 10)};
    nm_cluster_result r;
    run(3, e, 3, &r);
    cr_assert_eq(r.n_clusters, 1);
    cr_assert_float_eq(r.strength_weight[0], 12, 1e-12);
    cr_assert_float_eq(r.strength_weight[1], 12, 1e-12);
    cr_assert_float_eq(r.strength_weight[2], 10, 1e-12);
    cr_assert_float_eq(r.strength[2], prob(10), 1e-12);
    nm_cluster_result_free(&r);
    /* A deterministic-rule match may carry an infinite weight: it stays the best. */
    e[0] = (nm_cluster_edge){0, 1, INFINITY, 1.0, 0};
    run(3, e, 3, &r);
    cr_assert(isinf(r.strength_weight[0]) && r.strength[0] == 1.0);
    cr_assert_float_eq(r.strength_weight[2], 10, 1e-12);
    nm_cluster_result_free(&r);
}

Test(cluster, bad_input_is_refused) {
    nm_key keys[2] = {{"same", 4}, {"same", 4}};
    nm_cluster_edge e[] = {E(0, 1, 10)};
    nm_cluster_result r;
    nm_err err = {0};
    cr_assert_eq(nm_cluster(keys, 2, e, 1, NULL, 0, THR, &r, &err), NM_E_ARG);
    cr_assert(strstr(err.msg, "same key"));
    nm_key k2[2] = {{"a", 1}, {"b", 1}};
    e[0].weight = NAN;
    cr_assert_eq(nm_cluster(k2, 2, e, 1, NULL, 0, THR, &r, &err), NM_E_ARG);
    e[0] = E(0, 2, 10);
    cr_assert_eq(nm_cluster(k2, 2, e, 1, NULL, 0, THR, &r, &err), NM_E_ARG);
    /* A key that is a prefix of another is a different key. */
    nm_key k3[2] = {{"ab", 2}, {"ab\0", 3}};
    e[0] = E(0, 1, 10);
    cr_assert_eq(nm_cluster(k3, 2, e, 1, NULL, 0, THR, &r, &err), 0);
    cr_assert_eq(r.rank[0], 0);
    cr_assert_eq(r.rank[1], 1);
    nm_cluster_result_free(&r);
}

/* ---- random graphs ---------------------------------------------------- */

static uint64_t rng_state;
static uint64_t rnd(void) { return nm_splitmix64(&rng_state); }

typedef struct graph {
    size_t n, ne;
    char (*store)[16];
    nm_key *keys;
    nm_cluster_edge *e;
} graph;

/* Random sparse graph with weights from a small set (many ties) and some
 * vetoes; keys in random (not index) order. */
static graph random_graph(size_t n, size_t ne, uint64_t seed) {
    rng_state = seed;
    graph g = {n, ne, malloc(n * 16), malloc(n * sizeof(nm_key)), malloc(ne * sizeof(nm_cluster_edge))};
    for (size_t i = 0; i < n; i++) {
        snprintf(g.store[i], 16, "r%08llx", (unsigned long long)(rnd() & 0xffffffffu) ^ (unsigned long long)i);
        g.keys[i] = (nm_key){g.store[i], (uint32_t)strlen(g.store[i])};
    }
    for (size_t k = 0; k < ne; k++) {
        uint32_t a = (uint32_t)(rnd() % n), b;
        do b = (uint32_t)(rnd() % n);
        while (b == a);
        double w = (double)(rnd() % 8) * 2 + 1;   /* 1..15: about 1/8 below the threshold */
        g.e[k] = rnd() % 10 == 0 ? V(a, b, -10) : E(a, b, w);
    }
    return g;
}

static void free_graph(graph *g) {
    free(g->store);
    free(g->keys);
    free(g->e);
}

/* Same partition, checked as: clusters by key are equal (cluster ids are
 * numbered by key order, so even the numbers must agree). */
static void shuffle_u32(uint32_t *p, size_t n) {
    for (size_t i = n; i > 1; i--) {
        size_t j = rnd() % i;
        uint32_t t = p[i - 1];
        p[i - 1] = p[j];
        p[j] = t;
    }
}

Test(cluster, order_independence_on_random_graphs) {
    for (int round = 0; round < 20; round++) {
        graph g = random_graph(300, 700, 1000 + round);
        nm_cluster_result a, b;
        cr_assert_eq(nm_cluster(g.keys, g.n, g.e, g.ne, NULL, 0, THR, &a, NULL), 0);
        /* Permute records (keys move with them) and edges. */
        uint32_t *perm = malloc(g.n * sizeof *perm);   /* new position of old record */
        for (size_t i = 0; i < g.n; i++) perm[i] = (uint32_t)i;
        shuffle_u32(perm, g.n);
        nm_key *k2 = malloc(g.n * sizeof *k2);
        for (size_t i = 0; i < g.n; i++) k2[perm[i]] = g.keys[i];
        uint32_t *eperm = malloc(g.ne * sizeof *eperm);
        for (size_t i = 0; i < g.ne; i++) eperm[i] = (uint32_t)i;
        shuffle_u32(eperm, g.ne);
        nm_cluster_edge *e2 = malloc(g.ne * sizeof *e2);
        for (size_t i = 0; i < g.ne; i++) {
            nm_cluster_edge x = g.e[eperm[i]];
            x.a = perm[x.a];
            x.b = perm[x.b];
            if (rnd() & 1) {   /* and the direction of the pair */
                uint32_t t = x.a;
                x.a = x.b;
                x.b = t;
            }
            e2[i] = x;
        }
        cr_assert_eq(nm_cluster(k2, g.n, e2, g.ne, NULL, 0, THR, &b, NULL), 0);
        /* With the union-time check (a pure function of the records). */
        int *lab = malloc(g.n * sizeof *lab), *lab2 = malloc(g.n * sizeof *lab2);
        for (size_t i = 0; i < g.n; i++) lab[i] = (int)(rnd() % 40), lab2[perm[i]] = lab[i];
        labels l1 = {lab, 0}, l2 = {lab2, 0};
        nm_cluster_opts o1 = {differ_by_label, &l1, 0}, o2 = {differ_by_label, &l2, 0};
        nm_cluster_result ca, cb;
        cr_assert_eq(nm_cluster_ex(g.keys, g.n, g.e, g.ne, NULL, 0, THR, &o1, &ca, NULL), 0);
        cr_assert_eq(nm_cluster_ex(k2, g.n, e2, g.ne, NULL, 0, THR, &o2, &cb, NULL), 0);
        cr_assert_gt(ca.n_refused, a.n_refused, "the check refused more unions");
        for (size_t i = 0; i < g.n; i++) {
            cr_assert_eq(ca.cluster[i], cb.cluster[perm[i]]);
            for (size_t j = i + 1; j < g.n; j++)
                if (ca.cluster[i] == ca.cluster[j]) cr_assert(!differ_by_label(&l1, (uint32_t)i, (uint32_t)j));
        }
        nm_cluster_result_free(&ca);
        nm_cluster_result_free(&cb);
        free(lab);
        free(lab2);
        cr_assert_eq(a.n_clusters, b.n_clusters);
        cr_assert_eq(a.n_refused, b.n_refused);
        for (size_t i = 0; i < g.n; i++) {
            cr_assert_eq(a.cluster[i], b.cluster[perm[i]], "round %d record %zu", round, i);
            cr_assert_eq(a.strength[i], b.strength[perm[i]]);
        }
        for (size_t i = 0; i < g.ne; i++) cr_assert_eq(b.edge_state[i], a.edge_state[eperm[i]]);
        nm_cluster_result_free(&a);
        nm_cluster_result_free(&b);
        free(perm);
        free(k2);
        free(eperm);
        free(e2);
        free_graph(&g);
    }
}

/* Reference: connected components by repeated relaxation (no union-find). */
static void components(size_t n, const nm_cluster_edge *e, size_t ne, uint32_t *label) {
    for (size_t i = 0; i < n; i++) label[i] = (uint32_t)i;
    for (int changed = 1; changed;) {
        changed = 0;
        for (size_t k = 0; k < ne; k++) {
            if (e[k].different || e[k].probability < THR) continue;
            uint32_t m = label[e[k].a] < label[e[k].b] ? label[e[k].a] : label[e[k].b];
            if (label[e[k].a] != m || label[e[k].b] != m) label[e[k].a] = label[e[k].b] = m, changed = 1;
        }
    }
}

Test(cluster, vetoes_hold_and_without_vetoes_it_is_connected_components) {
    for (int round = 0; round < 10; round++) {
        graph g = random_graph(400, 500, 77 + round);
        nm_cluster_result r;
        cr_assert_eq(nm_cluster(g.keys, g.n, g.e, g.ne, NULL, 0, THR, &r, NULL), 0);
        size_t refused = 0;
        for (size_t k = 0; k < g.ne; k++) {
            if (g.e[k].different) cr_assert_neq(r.cluster[g.e[k].a], r.cluster[g.e[k].b], "veto broken");
            if (r.edge_state[k] == NM_EDGE_LINKED) cr_assert_eq(r.cluster[g.e[k].a], r.cluster[g.e[k].b]);
            if (r.edge_state[k] == NM_EDGE_REFUSED) {
                refused++;
                cr_assert_neq(r.cluster[g.e[k].a], r.cluster[g.e[k].b]);
            }
        }
        cr_assert_eq(refused, r.n_refused);
        nm_cluster_result_free(&r);

        /* Drop the vetoes: same partition as plain connected components. */
        size_t m = 0;
        for (size_t k = 0; k < g.ne; k++)
            if (!g.e[k].different) g.e[m++] = g.e[k];
        cr_assert_eq(nm_cluster(g.keys, g.n, g.e, m, NULL, 0, THR, &r, NULL), 0);
        uint32_t *label = malloc(g.n * sizeof *label);
        components(g.n, g.e, m, label);
        for (size_t i = 0; i < g.n; i++)
            for (size_t j = i + 1; j < g.n; j++)
                cr_assert_eq(label[i] == label[j], r.cluster[i] == r.cluster[j]);
        cr_assert_eq(r.n_refused, 0);
        free(label);
        nm_cluster_result_free(&r);
        free_graph(&g);
    }
}

Test(cluster, a_subset_of_whole_components_clusters_as_in_the_full_run) {
    graph g = random_graph(500, 450, 4242);
    nm_cluster_result full;
    cr_assert_eq(nm_cluster(g.keys, g.n, g.e, g.ne, NULL, 0, THR, &full, NULL), 0);
    /* Affected set: the records of every component (links and vetoes as one
     * graph) touching records 0..49, as the resolve command would pass. */
    uint32_t *label = malloc(g.n * sizeof *label);
    nm_cluster_edge *all = malloc(g.ne * sizeof *all);
    for (size_t k = 0; k < g.ne; k++) all[k] = g.e[k], all[k].different = 0, all[k].probability = 1;
    components(g.n, all, g.ne, label);
    uint8_t *touched = calloc(g.n, 1), *in = calloc(g.n, 1);
    for (size_t i = 0; i < 50; i++) touched[label[i]] = 1;
    uint32_t *sub_of = malloc(g.n * sizeof *sub_of), *orig = malloc(g.n * sizeof *orig);
    nm_key *sk = malloc(g.n * sizeof *sk);
    size_t sn = 0;
    for (size_t i = 0; i < g.n; i++)
        if (touched[label[i]]) in[i] = 1, sub_of[i] = (uint32_t)sn, orig[sn] = (uint32_t)i, sk[sn++] = g.keys[i];
    nm_cluster_edge *se = malloc(g.ne * sizeof *se);
    size_t sne = 0;
    for (size_t k = 0; k < g.ne; k++)
        if (in[g.e[k].a]) {
            se[sne] = g.e[k];
            se[sne].a = sub_of[g.e[k].a];
            se[sne++].b = sub_of[g.e[k].b];
        }
    cr_assert(sn > 50 && sn < g.n, "the subset is a proper one (%zu)", sn);
    nm_cluster_result part;
    cr_assert_eq(nm_cluster(sk, sn, se, sne, NULL, 0, THR, &part, NULL), 0);
    for (size_t i = 0; i < sn; i++)
        for (size_t j = i + 1; j < sn; j++)
            cr_assert_eq(part.cluster[i] == part.cluster[j], full.cluster[orig[i]] == full.cluster[orig[j]]);
    nm_cluster_result_free(&full);
    nm_cluster_result_free(&part);
    free(label);
    free(all);
    free(touched);
    free(in);
    free(sub_of);
    free(orig);
    free(sk);
    free(se);
    free_graph(&g);
}
