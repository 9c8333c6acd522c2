/* Veto-constrained clustering of scored pairs (see cluster.h for the rule). */
#define _GNU_SOURCE   /* qsort_r */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "cluster/cluster.h"
#include "common/error_internal.h"

static int key_cmp(const nm_key *x, const nm_key *y) { return nm_key_cmp(x->p, x->len, y->p, y->len); }

/* Ranking sorts (8-byte prefix, index) pairs: the prefix is the 8 bytes
 * after the keys' longest common prefix (record keys share their source and
 * often an ID prefix), big-endian and zero-padded, so most comparisons are
 * one integer compare; equal prefixes fall back to the full bytes. A strictly
 * smaller prefix always means a smaller key (a padded 0 is below any byte
 * except a real 0, and that case compares equal). */
typedef struct ranked {
    uint64_t pre;
    uint32_t idx;
} ranked;

typedef struct rank_ctx {
    const nm_key *keys;
} rank_ctx;

static int ranked_cmp(const void *a, const void *b, void *ctx) {
    const ranked *x = a, *y = b;
    if (x->pre != y->pre) return x->pre < y->pre ? -1 : 1;
    const nm_key *keys = ((const rank_ctx *)ctx)->keys;
    return key_cmp(&keys[x->idx], &keys[y->idx]);
}

int nm_keys_rank(const nm_key *keys, size_t n, uint32_t *rank, nm_err *err) {
    if (n > UINT32_MAX - 1) return nm_err_set(err, NM_E_ARG, "clustering: too many records (%zu)", n);
    ranked *ord = malloc((n ? n : 1) * sizeof *ord);
    if (!ord) return nm_err_set(err, NM_E_NOMEM, "out of memory");
    size_t lcp = n ? keys[0].len : 0;
    for (size_t i = 1; i < n && lcp; i++) {
        size_t m = NM_MIN(lcp, (size_t)keys[i].len), j = 0;
        while (j < m && keys[i].p[j] == keys[0].p[j]) j++;
        lcp = j;
    }
    for (size_t i = 0; i < n; i++) {
        uint64_t pre = 0;
        for (size_t j = 0; j < 8; j++)
            pre = pre << 8 | (lcp + j < keys[i].len ? (unsigned char)keys[i].p[lcp + j] : 0u);
        ord[i] = (ranked){pre, (uint32_t)i};
    }
    rank_ctx ctx = {keys};
    qsort_r(ord, n, sizeof *ord, ranked_cmp, &ctx);
    for (size_t r = 0; r < n; r++) {
        if (r && !ranked_cmp(&ord[r - 1], &ord[r], &ctx)) {
            int rc = nm_err_set(err, NM_E_ARG, "clustering: records %u and %u have the same key",
                                NM_MIN(ord[r - 1].idx, ord[r].idx), NM_MAX(ord[r - 1].idx, ord[r].idx));
            free(ord);
            return rc;
        }
        rank[ord[r].idx] = (uint32_t)r;
    }
    free(ord);
    return NM_OK;
}

/* A candidate link in processing order: k1 = the weight as an integer that
 * sorts strongest first, k2 = (smaller key rank, larger key rank). Sorted
 * ascending by (k1, k2, edge index): a total order, so the result does not
 * depend on the input order. */
typedef struct link {
    uint64_t k1, k2;
    uint32_t edge;
} link;

/* IEEE-754 doubles as unsigned integers in ascending numeric order (sign bit
 * flipped for positives, all bits for negatives), then complemented so the
 * largest weight comes first. -0 is +0 (they compare equal as weights). */
static uint64_t weight_key(double w) {
    if (w == 0) w = 0;
    uint64_t u;
    memcpy(&u, &w, sizeof u);
    u = (u >> 63) ? ~u : (u | UINT64_C(1) << 63);
    return ~u;
}

/* LSD radix sort, 8-bit digits, stable: k2 digits first, then k1. Digits
 * equal in every element are skipped (weights are often small integers and
 * ranks use few bits), so a pass costs only where keys differ. Linear time,
 * unlike the comparison sort it replaces (the sort dominated clustering). */
static int sort_links(link *v, size_t n) {
    if (n < 2) return NM_OK;
    link *tmp = malloc(n * sizeof *tmp);
    if (!tmp) return NM_E_NOMEM;
    link *src = v, *dst = tmp;
    for (int pass = 0; pass < 16; pass++) {
        int shift = (pass % 8) * 8;
        int first = pass < 8;   /* k2, then k1 */
        size_t count[256] = {0};
        for (size_t i = 0; i < n; i++) count[((first ? src[i].k2 : src[i].k1) >> shift) & 255]++;
        if (count[((first ? src[0].k2 : src[0].k1) >> shift) & 255] == n) continue;
        size_t pos = 0;
        for (int d = 0; d < 256; d++) {
            size_t c = count[d];
            count[d] = pos;
            pos += c;
        }
        for (size_t i = 0; i < n; i++) dst[count[((first ? src[i].k2 : src[i].k1) >> shift) & 255]++] = src[i];
        link *t = src;
        src = dst;
        dst = t;
    }
    if (src != v) memcpy(v, src, n * sizeof *v);
    free(tmp);
    return NM_OK;
}

typedef struct uf {
    uint32_t *parent, *size;
    /* Veto partner lists, one singly linked list per root: entry e holds the
     * record on the other side of a veto pair of some member. */
    uint32_t *head, *tail, *count;
    uint32_t *vnext, *vpartner;
    size_t vcap, vn;
    /* Members of each root (a singly linked list), for the union-time checks. */
    uint32_t *mnext, *mhead, *mtail;
} uf;

static uint32_t uf_find(uf *u, uint32_t x) {
    while (u->parent[x] != x) {
        u->parent[x] = u->parent[u->parent[x]];   /* path halving */
        x = u->parent[x];
    }
    return x;
}

#define NIL UINT32_MAX

static int veto_push(uf *u, uint32_t rec, uint32_t partner) {
    if (u->vn == u->vcap) {
        size_t nc = u->vcap ? u->vcap * 2 : 64;
        uint32_t *a = realloc(u->vnext, nc * sizeof *a);
        if (!a) return NM_E_NOMEM;
        u->vnext = a;
        uint32_t *b = realloc(u->vpartner, nc * sizeof *b);
        if (!b) return NM_E_NOMEM;
        u->vpartner = b;
        u->vcap = nc;
    }
    uint32_t e = (uint32_t)u->vn++;
    u->vpartner[e] = partner;
    u->vnext[e] = NIL;
    if (u->head[rec] == NIL) u->head[rec] = e;
    else u->vnext[u->tail[rec]] = e;
    u->tail[rec] = e;
    u->count[rec]++;
    return NM_OK;
}

static int veto_pair(uf *u, uint32_t a, uint32_t b) {
    NM_TRY(veto_push(u, a, b));
    return veto_push(u, b, a);
}

/* The caller's check over every cross pair; a pair found different becomes
 * an explicit veto, so the next link between the same clusters is refused by
 * the list check without calling back. Returns 1 (different), 0, or <0. */
static int check_cross(uf *u, uint32_t ra, uint32_t rb, const nm_cluster_opts *o) {
    uint64_t limit = o->max_checks ? o->max_checks : 4096;
    if ((uint64_t)u->size[ra] * u->size[rb] > limit) return 0;
    for (uint32_t x = u->mhead[ra]; x != NIL; x = u->mnext[x])
        for (uint32_t y = u->mhead[rb]; y != NIL; y = u->mnext[y])
            if (o->different(o->ctx, x, y)) {
                NM_TRY(veto_pair(u, x, y));
                return 1;
            }
    return 0;
}

/* 1 when some veto pair has one end in root ra and the other in root rb. */
static int vetoed(uf *u, uint32_t ra, uint32_t rb) {
    if (u->count[ra] > u->count[rb]) {
        uint32_t t = ra;
        ra = rb;
        rb = t;
    }
    for (uint32_t e = u->head[ra]; e != NIL; e = u->vnext[e])
        if (uf_find(u, u->vpartner[e]) == rb) return 1;
    return 0;
}

static void uf_union(uf *u, uint32_t ra, uint32_t rb) {
    if (u->size[ra] < u->size[rb]) {
        uint32_t t = ra;
        ra = rb;
        rb = t;
    }
    u->parent[rb] = ra;
    u->size[ra] += u->size[rb];
    u->mnext[u->mtail[ra]] = u->mhead[rb];
    u->mtail[ra] = u->mtail[rb];
    if (u->head[rb] != NIL) {
        if (u->head[ra] == NIL) u->head[ra] = u->head[rb];
        else u->vnext[u->tail[ra]] = u->head[rb];
        u->tail[ra] = u->tail[rb];
        u->count[ra] += u->count[rb];
    }
}

void nm_cluster_result_free(nm_cluster_result *res) {
    if (!res) return;
    free(res->cluster);
    free(res->rank);
    free(res->strength);
    free(res->strength_weight);
    free(res->edge_state);
    memset(res, 0, sizeof *res);
}

int nm_cluster(const nm_key *keys, size_t n, const nm_cluster_edge *edges, size_t n_edges,
               const uint32_t (*vetoes)[2], size_t n_vetoes, double link_probability,
               nm_cluster_result *res, nm_err *err) {
    return nm_cluster_ex(keys, n, edges, n_edges, vetoes, n_vetoes, link_probability, NULL, res, err);
}

int nm_cluster_ex(const nm_key *keys, size_t n, const nm_cluster_edge *edges, size_t n_edges,
                  const uint32_t (*vetoes)[2], size_t n_vetoes, double link_probability,
                  const nm_cluster_opts *opts, nm_cluster_result *res, nm_err *err) {
    if (opts && !opts->different) opts = NULL;
    memset(res, 0, sizeof *res);
    if (n_edges > UINT32_MAX / 2 || n_vetoes > UINT32_MAX / 4)
        return nm_err_set(err, NM_E_ARG, "clustering: too many edges");
    for (size_t i = 0; i < n_edges; i++) {
        const nm_cluster_edge *e = &edges[i];
        if (e->a >= n || e->b >= n || e->a == e->b)
            return nm_err_set(err, NM_E_ARG, "clustering: edge %zu joins records %u and %u of %zu", i, e->a, e->b, n);
        if (isnan(e->weight) || isnan(e->probability))
            return nm_err_set(err, NM_E_ARG, "clustering: edge %zu has no weight (NaN)", i);
    }
    for (size_t i = 0; i < n_vetoes; i++)
        if (vetoes[i][0] >= n || vetoes[i][1] >= n || vetoes[i][0] == vetoes[i][1])
            return nm_err_set(err, NM_E_ARG, "clustering: veto %zu names records %u and %u of %zu", i,
                              vetoes[i][0], vetoes[i][1], n);

    size_t nn = n ? n : 1, ne = n_edges ? n_edges : 1;
    res->n = n;
    res->cluster = malloc(nn * sizeof *res->cluster);
    res->rank = malloc(nn * sizeof *res->rank);
    res->strength = malloc(nn * sizeof *res->strength);
    res->strength_weight = malloc(nn * sizeof *res->strength_weight);
    res->edge_state = calloc(ne, 1);
    uf u = {0};
    u.parent = malloc(nn * sizeof(uint32_t));
    u.size = malloc(nn * sizeof(uint32_t));
    u.head = malloc(nn * sizeof(uint32_t));
    u.tail = malloc(nn * sizeof(uint32_t));
    u.count = calloc(nn, sizeof(uint32_t));
    u.mnext = malloc(nn * sizeof(uint32_t));
    u.mhead = malloc(nn * sizeof(uint32_t));
    u.mtail = malloc(nn * sizeof(uint32_t));
    link *links = malloc(ne * sizeof *links);
    uint32_t *first = malloc(nn * sizeof *first);
    int rc = NM_OK;
    if (!res->cluster || !res->rank || !res->strength || !res->strength_weight || !res->edge_state || !u.parent ||
        !u.size || !u.head || !u.tail || !u.count || !u.mnext || !u.mhead || !u.mtail || !links || !first) {
        rc = nm_err_set(err, NM_E_NOMEM, "out of memory");
        goto done;
    }
    if ((rc = nm_keys_rank(keys, n, res->rank, err))) goto done;

    for (size_t i = 0; i < n; i++) {
        u.parent[i] = (uint32_t)i;
        u.size[i] = 1;
        u.head[i] = u.tail[i] = NIL;
        u.mhead[i] = u.mtail[i] = (uint32_t)i;
        u.mnext[i] = NIL;
        res->strength[i] = 1.0;
        res->strength_weight[i] = NAN;   /* no link yet (set to +inf below when none) */
    }
    for (size_t i = 0; i < n_vetoes && !rc; i++)
        if (veto_pair(&u, vetoes[i][0], vetoes[i][1])) rc = nm_err_set(err, NM_E_NOMEM, "out of memory");
    size_t nl = 0;
    for (size_t i = 0; i < n_edges; i++) {
        const nm_cluster_edge *e = &edges[i];
        if (e->different) {
            res->edge_state[i] = NM_EDGE_VETO;
            if (veto_pair(&u, e->a, e->b)) rc = nm_err_set(err, NM_E_NOMEM, "out of memory");
        } else if (e->probability >= link_probability) {
            uint32_t ra = res->rank[e->a], rb = res->rank[e->b];
            links[nl++] = (link){weight_key(e->weight), (uint64_t)NM_MIN(ra, rb) << 32 | NM_MAX(ra, rb), (uint32_t)i};
        } else {
            res->edge_state[i] = NM_EDGE_BELOW;
        }
    }
    if (rc) goto done;
    if (sort_links(links, nl)) {
        rc = nm_err_set(err, NM_E_NOMEM, "out of memory");
        goto done;
    }
    int cc = 0;
    for (size_t k = 0; k < nl; k++) {
        const nm_cluster_edge *e = &edges[links[k].edge];
        uint32_t ra = uf_find(&u, e->a), rb = uf_find(&u, e->b);
        if (ra == rb) {
            res->edge_state[links[k].edge] = NM_EDGE_LINKED;
        } else if (vetoed(&u, ra, rb) || (opts && (cc = check_cross(&u, ra, rb, opts)) != 0)) {
            if (cc < 0) {
                rc = nm_err_set(err, NM_E_NOMEM, "out of memory");
                goto done;
            }
            res->edge_state[links[k].edge] = NM_EDGE_REFUSED;
            res->n_refused++;
        } else {
            uf_union(&u, ra, rb);
            res->edge_state[links[k].edge] = NM_EDGE_LINKED;
        }
    }
    /* A record's strength: its best link inside its cluster. Links only ever
     * join, so every LINKED edge ends inside one final cluster. */
    for (size_t k = 0; k < nl; k++) {
        const nm_cluster_edge *e = &edges[links[k].edge];
        if (res->edge_state[links[k].edge] != NM_EDGE_LINKED) continue;
        uint32_t ends[2] = {e->a, e->b};
        for (int s = 0; s < 2; s++) {
            uint32_t x = ends[s];
            if (isnan(res->strength_weight[x]) || e->weight > res->strength_weight[x]) {
                res->strength_weight[x] = e->weight;
                res->strength[x] = e->probability;
            }
        }
    }
    for (size_t i = 0; i < n; i++)
        if (isnan(res->strength_weight[i])) res->strength_weight[i] = INFINITY;
    /* Number clusters in the key order of their smallest member. */
    for (size_t i = 0; i < n; i++) first[res->rank[i]] = (uint32_t)i;   /* first: rank -> record */
    for (size_t i = 0; i < n; i++) u.tail[i] = NIL;                    /* reused: root -> cluster id */
    uint32_t nc = 0;
    for (size_t r = 0; r < n; r++) {
        uint32_t root = uf_find(&u, first[r]);
        if (u.tail[root] == NIL) u.tail[root] = nc++;
        res->cluster[first[r]] = u.tail[root];
    }
    res->n_clusters = nc;
done:
    free(u.parent);
    free(u.size);
    free(u.head);
    free(u.tail);
    free(u.count);
    free(u.vnext);
    free(u.vpartner);
    free(u.mnext);
    free(u.mhead);
    free(u.mtail);
    free(links);
    free(first);
    if (rc) nm_cluster_result_free(res);
    return rc;
}
