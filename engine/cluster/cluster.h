/* Clustering of scored pairs into persons, with "confidently different" vetoes.
 *
 * Input: n records named by dense indices 0..n-1, each with a key (opaque
 * bytes, unique; for person resolution "source\0record_id") that fixes every
 * tie, and scored edges (a, b, match weight, probability, different flag).
 *
 * Why not plain connected components: one weak or blank-valued link (two
 * records sharing only a common surname and a ZIP, or a record with most
 * fields empty) chains two unrelated people into one component, and with
 * them everyone linked to either. The model's clustering guards
 * (npimatch/model.h: "clustering": {"guards": [...]}) name pairs that are
 * confidently different people (e.g. both birth dates valid and different
 * beyond a typo, and different first names); such a pair must never end in
 * one person.
 *
 * Algorithm (a veto-constrained Kruskal):
 *   1. An edge with `different` set, or listed in the caller's veto pairs,
 *      is a veto: its two records must end in different clusters. It never
 *      links, whatever its probability.
 *   2. Other edges with probability >= link_probability (the model's
 *      thresholds.link_probability) are candidate links; the rest are ignored
 *      (reported as NM_EDGE_BELOW).
 *   3. Candidate links are taken strongest first: match weight descending,
 *      ties by the key ranks of (smaller end, larger end) ascending, so the
 *      result depends neither on the order of records nor of edges.
 *   4. A link whose two ends are already in one cluster is redundant
 *      (NM_EDGE_LINKED). Otherwise the union is made unless some veto pair
 *      has one end in each cluster; then the link is refused (NM_EDGE_REFUSED).
 *      Each cluster keeps the list of its records' veto partners (lists are
 *      concatenated on union, O(1)), and the check walks the shorter list.
 *      Optionally (nm_cluster_ex) the caller's guard check also runs on
 *      every pair across the two clusters, for pairs blocking never compared.
 * Because unions are made strongest first, a component holding a vetoed pair
 * is split along its weakest links: those are the ones refused. Without any
 * veto the result is exactly the connected components of the links.
 *
 * Incremental use: clusters are independent, so the caller may pass only the
 * affected records (previous members of every person touched tonight plus the
 * new and changed records) and every edge among them; the result for them is
 * the one a run over all records would give, and clusters elsewhere are
 * untouched. The caller must pass whole components (every record linked to a
 * passed record), else a union elsewhere is missed.
 *
 * Cost: O(E log E) for the sort, near-linear union-find, plus the veto checks
 * (bounded by the veto lists of the smaller side per union). Memory: a few
 * words per record and per edge. Not thread-parallel (it is not the hot path:
 * pair comparison is); deterministic by construction. */
#ifndef NM_CLUSTER_H
#define NM_CLUSTER_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "npimatch/error.h"

/* A record key: `len` bytes at `p` (not NUL-terminated, may contain NUL). */
typedef struct nm_key {
    const char *p;
    uint32_t len;
} nm_key;

/* Byte order of keys (memcmp; on a common prefix the shorter is smaller). */
static inline int nm_key_cmp(const char *a, size_t al, const char *b, size_t bl) {
    size_t m = al < bl ? al : bl;
    int c = m ? memcmp(a, b, m) : 0;
    return c ? c : (al > bl) - (al < bl);
}

typedef struct nm_cluster_edge {
    uint32_t a, b;          /* record indices, a != b */
    double weight;          /* match weight (log2 Bayes factor, model.h) */
    double probability;     /* nm_weight_to_probability(weight) */
    uint8_t different;      /* 1: a clustering guard holds ("confidently different") */
} nm_cluster_edge;

/* What clustering did with each edge. */
enum {
    NM_EDGE_BELOW = 0,      /* probability under the link threshold: ignored */
    NM_EDGE_LINKED = 1,     /* a link inside the final cluster (union made or redundant) */
    NM_EDGE_REFUSED = 2,    /* a link refused: the union would join a vetoed pair */
    NM_EDGE_VETO = 3        /* different flag: the pair must stay apart */
};

typedef struct nm_cluster_result {
    size_t n;               /* records */
    size_t n_clusters;
    uint32_t *cluster;      /* [n] cluster id in 0..n_clusters-1, numbered in the
                               key order of each cluster's smallest member */
    uint32_t *rank;         /* [n] position of the record's key in sorted key order */
    double *strength;       /* [n] highest probability of a LINKED edge at the
                               record; 1.0 for a record alone in its cluster
                               (nothing links it, nothing contests it) */
    double *strength_weight;/* [n] match weight of that edge (+inf when alone) */
    uint8_t *edge_state;    /* [n_edges] NM_EDGE_* per input edge */
    size_t n_refused;       /* edges refused by a veto */
} nm_cluster_result;

/* Rank keys: rank[i] = position of keys[i] in byte order (memcmp, shorter
 * first on a common prefix). Returns 0, NM_E_ARG when two keys are equal
 * (the message names the two indices), NM_E_NOMEM. rank is caller-owned [n]. */
int nm_keys_rank(const nm_key *keys, size_t n, uint32_t *rank, nm_err *err);

/* Optional checks at union time. The guards can only veto pairs that were
 * compared, and blocking does not compare every pair of a person (A and C
 * may meet only through B). With `different` set, a union of clusters A and
 * B is also refused when different(ctx, a, b) holds for some a in A, b in B
 * (the caller compares the two records and applies the model's guards), so
 * no person holds a guarded pair at all. Cost |A|*|B| calls per union;
 * unions above max_checks pairs (runaway components) rely on the explicit
 * vetoes only. `different` must be a pure function of (a, b): the result
 * then stays independent of input order. */
typedef struct nm_cluster_opts {
    int (*different)(void *ctx, uint32_t a, uint32_t b);
    void *ctx;
    uint32_t max_checks;    /* 0: 4096 */
} nm_cluster_opts;

/* Cluster n records. edges: n_edges scored pairs (a, b < n; NaN weights are
 * refused with NM_E_ARG). vetoes: NULL or n_vetoes pairs (2 indices each)
 * that must stay apart in addition to the edges flagged `different`.
 * link_probability: the model's thresholds.link_probability. On success
 * *res holds malloc'ed arrays freed by nm_cluster_result_free. */
int nm_cluster(const nm_key *keys, size_t n, const nm_cluster_edge *edges, size_t n_edges,
               const uint32_t (*vetoes)[2], size_t n_vetoes, double link_probability,
               nm_cluster_result *res, nm_err *err);

/* nm_cluster with options (NULL: none). */
int nm_cluster_ex(const nm_key *keys, size_t n, const nm_cluster_edge *edges, size_t n_edges,
                  const uint32_t (*vetoes)[2], size_t n_vetoes, double link_probability,
                  const nm_cluster_opts *opts, nm_cluster_result *res, nm_err *err);

void nm_cluster_result_free(nm_cluster_result *res);

#endif
