/* Stable person ID assignment (rules and labels: see ids.h). */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "common/error_internal.h"
#include "common/arena.h"
#include "ids/ids.h"

/* ---- the ID text ------------------------------------------------------- */

#define MASK60 ((UINT64_C(1) << 60) - 1)
/* Odd multipliers (from splitmix64); any odd constant is a bijection mod 2^60. */
#define MIX_C1 UINT64_C(0xbf58476d1ce4e5b9)
#define MIX_C2 UINT64_C(0x94d049bb133111eb)
#define MIX_ADD UINT64_C(0x0a5b3c8d2e1f4960)

static const char crockford[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/* Shifts are >= 30 so each xor-shift is its own inverse on 60 bits
 * (x >> 2s == 0), which keeps unmix short. */
static uint64_t mix60(uint64_t x) {
    x = (x + MIX_ADD) & MASK60;
    x ^= x >> 30;
    x = (x * MIX_C1) & MASK60;
    x ^= x >> 31;
    x = (x * MIX_C2) & MASK60;
    x ^= x >> 30;
    return x;
}

static uint64_t inv_odd(uint64_t c) {   /* c^-1 mod 2^64 by Newton's iteration */
    uint64_t x = c;
    for (int i = 0; i < 6; i++) x *= 2 - c * x;
    return x;
}

static uint64_t unmix60(uint64_t x) {
    x ^= x >> 30;
    x = (x * inv_odd(MIX_C2)) & MASK60;
    x ^= x >> 31;
    x = (x * inv_odd(MIX_C1)) & MASK60;
    x ^= x >> 30;
    return (x - MIX_ADD) & MASK60;
}

void nm_id_format(uint32_t index, char out[NM_ID_LEN + 1]) {
    uint64_t x = mix60(index);
    out[0] = 'P';
    for (int i = 12; i >= 1; i--) {
        out[i] = crockford[x & 31];
        x >>= 5;
    }
    out[NM_ID_LEN] = 0;
}

static int crockford_value(char c) {
    if (c >= 'a' && c <= 'z') c = (char)(c - 'a' + 'A');
    if (c == 'I' || c == 'L') return 1;
    if (c == 'O') return 0;
    const char *p = c ? strchr(crockford, c) : NULL;
    return p ? (int)(p - crockford) : -1;
}

int nm_id_parse(const char *s, size_t len, uint32_t *index) {
    if (len != NM_ID_LEN || (s[0] != 'P' && s[0] != 'p')) return NM_E_FORMAT;
    uint64_t x = 0;
    for (size_t i = 1; i < NM_ID_LEN; i++) {
        int v = crockford_value(s[i]);
        if (v < 0) return NM_E_FORMAT;
        x = x << 5 | (uint64_t)v;
    }
    uint64_t i = unmix60(x);
    if (i >= NM_ID_NONE) return NM_E_FORMAT;
    *index = (uint32_t)i;
    return NM_OK;
}

uint32_t nm_idtab_resolve(const nm_idtab *t, uint32_t id) {
    /* Successors are always older (rule 3), so the chain ends; the bound
     * guards a corrupted table. */
    for (size_t steps = 0; id < t->n && steps <= t->n; steps++) {
        if (t->v[id].status != NM_ID_RETIRED) return id;
        id = t->v[id].successor;
    }
    return NM_ID_NONE;
}

const char *nm_change_name(int c) {
    static const char *names[] = {"new", "unchanged", "joined", "merged", "split", "moved"};
    return c >= 0 && c < NM_CHANGE_COUNT ? names[c] : "?";
}

const char *nm_event_name(int t) {
    static const char *names[] = {"issued",       "joined",         "merged_into", "split_from",
                                  "record_moved", "record_removed", "emptied"};
    return t >= 0 && t < NM_EV_COUNT ? names[t] : "?";
}

/* ---- assignment -------------------------------------------------------- */

/* A record holding an old ID, sorted so that each ID's records are grouped by
 * cluster, each group starting with its oldest record. */
typedef struct held {
    uint32_t id, cluster, first_seen, rank, rec;
} held;

static int held_cmp(const void *a, const void *b) {
    const held *x = a, *y = b;
    if (x->id != y->id) return x->id < y->id ? -1 : 1;
    if (x->cluster != y->cluster) return x->cluster < y->cluster ? -1 : 1;
    if (x->first_seen != y->first_seen) return x->first_seen < y->first_seen ? -1 : 1;
    return (x->rank > y->rank) - (x->rank < y->rank);
}

/* An old ID seen tonight. */
typedef struct oldid {
    uint32_t id;
    uint32_t winner;       /* cluster that keeps it (rule 4) */
    uint32_t affected;     /* affected records holding it */
    uint32_t deleted;      /* deleted records holding it */
    double cross;          /* strongest link between its records and others in the winner */
} oldid;

static int u32_cmp(const void *a, const void *b) {
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

static oldid *find_old(oldid *olds, size_t n, uint32_t id) {
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (olds[mid].id < id) lo = mid + 1;
        else hi = mid;
    }
    return lo < n && olds[lo].id == id ? &olds[lo] : NULL;
}

void nm_ids_output_free(nm_ids_output *out) {
    if (!out) return;
    free(out->id);
    free(out->change);
    free(out->events);
    memset(out, 0, sizeof *out);
}

int nm_ids_assign(nm_idtab *tab, const nm_ids_input *in, nm_ids_output *out, nm_err *err) {
    memset(out, 0, sizeof *out);
    size_t n = in->n, nn = n ? n : 1;
    int rc = NM_OK;
    size_t ev_cap = 0, nheld = 0, nold = 0, nclusters = 0;
    uint32_t *rank = malloc(nn * sizeof *rank);
    uint32_t *order = malloc(nn * sizeof *order);          /* records in key order */
    held *hs = malloc(nn * sizeof *hs);
    uint32_t *ids_seen = malloc((n + in->n_deleted + 1) * sizeof *ids_seen);
    oldid *olds = NULL;
    uint32_t *chosen = NULL, *cstart = NULL, *cmembers = NULL;
    double *best = NULL, *splitw = NULL;
    uint32_t *drank = NULL, *dorder = NULL;
    struct idw { uint32_t id; double w; } *parts = NULL;
    uint32_t *wstart = NULL, *wlist = NULL, *wfill = NULL;
    uint32_t *corder = NULL;
    out->id = malloc(nn * sizeof *out->id);
    out->change = malloc(nn);
    if (!rank || !order || !hs || !ids_seen || !out->id || !out->change) goto nomem;

    /* ---- validate and group --------------------------------------------- */
    for (size_t i = 0; i < n; i++) {
        uint32_t p = in->prev[i];
        if (in->cluster[i] >= n) {
            rc = nm_err_set(err, NM_E_ARG, "ids: record %zu has cluster %u of %zu", i, in->cluster[i], n);
            goto fail;
        }
        if (in->cluster[i] + 1 > nclusters) nclusters = in->cluster[i] + 1;
        if (p != NM_ID_NONE && (p >= tab->n || tab->v[p].status != NM_ID_LIVE)) {
            rc = nm_err_set(err, NM_E_ARG, "ids: record %zu holds ID index %u which is not live", i, p);
            goto fail;
        }
    }
    for (size_t i = 0; i < in->n_deleted; i++) {
        uint32_t p = in->deleted_prev[i];
        if (p != NM_ID_NONE && (p >= tab->n || tab->v[p].status != NM_ID_LIVE)) {
            rc = nm_err_set(err, NM_E_ARG, "ids: deleted record %zu holds ID index %u which is not live", i, p);
            goto fail;
        }
    }
    if (in->rank) memcpy(rank, in->rank, n * sizeof *rank);
    else if ((rc = nm_keys_rank(in->keys, n, rank, err))) goto fail;
    for (size_t i = 0; i < n; i++) order[i] = NM_ID_NONE;
    for (size_t i = 0; i < n; i++) {
        if (rank[i] >= n || order[rank[i]] != NM_ID_NONE) {
            rc = nm_err_set(err, NM_E_ARG, "ids: the key ranks are not a permutation (record %zu)", i);
            goto fail;
        }
        order[rank[i]] = (uint32_t)i;
    }

    size_t nseen = 0;
    for (size_t i = 0; i < n; i++) {
        if (in->prev[i] == NM_ID_NONE) continue;
        hs[nheld++] = (held){in->prev[i], in->cluster[i], in->first_seen[i], rank[i], (uint32_t)i};
        ids_seen[nseen++] = in->prev[i];
    }
    for (size_t i = 0; i < in->n_deleted; i++)
        if (in->deleted_prev[i] != NM_ID_NONE) ids_seen[nseen++] = in->deleted_prev[i];
    qsort(hs, nheld, sizeof *hs, held_cmp);
    qsort(ids_seen, nseen, sizeof *ids_seen, u32_cmp);
    olds = calloc(nseen + 1, sizeof *olds);
    chosen = malloc((nclusters + 1) * sizeof *chosen);
    best = malloc(nn * sizeof *best);
    splitw = malloc(nn * sizeof *splitw);
    if (!olds || !chosen || !best || !splitw) goto nomem;
    for (size_t i = 0; i < nseen; i++)
        if (!nold || olds[nold - 1].id != ids_seen[i])
            olds[nold++] = (oldid){ids_seen[i], NM_ID_NONE, 0, 0, NAN};
    for (size_t i = 0; i < in->n_deleted; i++)
        if (in->deleted_prev[i] != NM_ID_NONE) find_old(olds, nold, in->deleted_prev[i])->deleted++;

    /* Rule 4: each old ID's winner is the cluster with most of its records;
     * ties go to the group whose oldest record is oldest. Groups are sorted
     * by cluster within an ID, and each group starts with its oldest record. */
    for (size_t s = 0; s < nheld;) {
        size_t e = s;
        while (e < nheld && hs[e].id == hs[s].id) e++;
        oldid *o = find_old(olds, nold, hs[s].id);
        size_t best_n = 0;
        const held *best_first = NULL;
        for (size_t g = s; g < e;) {
            size_t h = g;
            while (h < e && hs[h].cluster == hs[g].cluster) h++;
            size_t cnt = h - g;
            int better = cnt > best_n ||
                         (cnt == best_n && (hs[g].first_seen < best_first->first_seen ||
                                            (hs[g].first_seen == best_first->first_seen && hs[g].rank < best_first->rank)));
            if (better) {
                best_n = cnt;
                best_first = &hs[g];
            }
            g = h;
        }
        o->winner = best_first->cluster;
        o->affected = (uint32_t)(e - s);
        s = e;
    }
    for (size_t k = 0; k < nold; k++) {
        const oldid *o = &olds[k];
        if (o->affected + o->deleted != tab->v[o->id].members) {
            char id[NM_ID_LEN + 1];
            nm_id_format(o->id, id);
            rc = nm_err_set(err, NM_E_ARG,
                            "ids: incomplete person %s: %u of its %u records passed (every member of a touched "
                            "person must be re-clustered)",
                            id, o->affected + o->deleted, tab->v[o->id].members);
            goto fail;
        }
    }

    /* Rule 3: a cluster takes the oldest ID it wins. */
    for (size_t c = 0; c < nclusters; c++) chosen[c] = NM_ID_NONE;
    for (size_t k = 0; k < nold; k++) {
        const oldid *o = &olds[k];
        if (o->winner != NM_ID_NONE && o->id < chosen[o->winner]) chosen[o->winner] = o->id;
    }

    /* Clusters in the key order of their smallest record (the order of new IDs
     * and of events). cstart/cmembers: records of each cluster in key order. */
    cstart = calloc(nclusters + 2, sizeof *cstart);
    cmembers = malloc(nn * sizeof *cmembers);
    corder = malloc((nclusters + 1) * sizeof *corder);
    parts = malloc(nn * sizeof *parts);
    wstart = calloc(nclusters + 2, sizeof *wstart);
    wlist = malloc((nold + 1) * sizeof *wlist);
    wfill = malloc((nclusters + 1) * sizeof *wfill);
    if (!cstart || !cmembers || !corder || !parts || !wstart || !wlist || !wfill) goto nomem;
    for (size_t i = 0; i < n; i++) cstart[in->cluster[i] + 1]++;
    for (size_t c = 0; c < nclusters; c++) cstart[c + 1] += cstart[c];
    {
        size_t nco = 0;
        uint32_t *fill = malloc((nclusters + 1) * sizeof *fill);
        uint8_t *seen = calloc(nclusters + 1, 1);
        if (!fill || !seen) {
            free(fill);
            free(seen);
            goto nomem;
        }
        memcpy(fill, cstart, nclusters * sizeof *fill);
        for (size_t r = 0; r < n; r++) {
            uint32_t i = order[r], c = in->cluster[i];
            cmembers[fill[c]++] = i;
            if (!seen[c]) {
                seen[c] = 1;
                corder[nco++] = c;
            }
        }
        free(fill);
        free(seen);
        if (nco != nclusters) {   /* cluster ids must be dense */
            rc = nm_err_set(err, NM_E_ARG, "ids: cluster ids are not dense (%zu used of %zu)", nco, nclusters);
            goto fail;
        }
    }

    /* Reserve the table and the events before changing anything, so that
     * nothing fails once the table is being updated. Events: at most one
     * issued and one merged_into/emptied per ID, one split_from per held
     * record, one per affected and per deleted record. */
    size_t n_new = 0;
    for (size_t c = 0; c < nclusters; c++) n_new += chosen[c] == NM_ID_NONE;
    if (tab->n + n_new >= NM_ID_NONE) {
        rc = nm_err_set(err, NM_E_ARG, "ids: the ID counter is exhausted");
        goto fail;
    }
    if (NM_VEC_RESERVE(tab, tab->n + n_new)) goto nomem;
    ev_cap = n_new + nheld + 2 * nold + n + in->n_deleted + 1;
    out->events = malloc(ev_cap * sizeof *out->events);
    drank = malloc((in->n_deleted + 1) * sizeof *drank);
    dorder = malloc((in->n_deleted + 1) * sizeof *dorder);
    if (!out->events || !drank || !dorder) goto nomem;
    if (nm_keys_rank(in->deleted_keys, in->n_deleted, drank, err)) {
        rc = nm_err_set(err, NM_E_ARG, "ids: two deleted records have the same key");
        goto fail;
    }
    for (size_t i = 0; i < in->n_deleted; i++) dorder[drank[i]] = (uint32_t)i;
    uint32_t first_new = (uint32_t)tab->n;
    for (size_t k = 0; k < nclusters; k++) {
        uint32_t c = corder[k];
        if (chosen[c] == NM_ID_NONE) chosen[c] = first_new + (uint32_t)out->n_issued++;
    }

    /* Audit weights: per record, the strongest LINKED edge (its link into its
     * person) and the strongest edge to the winner of the ID it held (what
     * tied it to the part it left); per old ID the strongest link crossing
     * from its records to other records of its winner. */
    for (size_t i = 0; i < n; i++) best[i] = splitw[i] = NAN;
    for (size_t k = 0; k < in->n_edges; k++) {
        const nm_cluster_edge *e = &in->edges[k];
        if (e->a >= n || e->b >= n) continue;
        uint32_t ends[2] = {e->a, e->b};
        for (int s = 0; s < 2; s++) {
            uint32_t x = ends[s], y = ends[1 - s];
            uint32_t px = in->prev[x], py = in->prev[y];
            if (in->edge_state[k] == NM_EDGE_LINKED) {
                if (isnan(best[x]) || e->weight > best[x]) best[x] = e->weight;
                if (px != NM_ID_NONE && px != py) {
                    oldid *o = find_old(olds, nold, px);
                    if (o->winner == in->cluster[x] && (isnan(o->cross) || e->weight > o->cross)) o->cross = e->weight;
                }
            } else if (px != NM_ID_NONE && in->cluster[x] != in->cluster[y]) {
                oldid *o = find_old(olds, nold, px);
                if (o->winner == in->cluster[y] && o->winner != in->cluster[x] &&
                    (isnan(splitw[x]) || e->weight > splitw[x]))
                    splitw[x] = e->weight;
            }
        }
    }

    /* ---- apply: labels, table, events (nothing fails from here) --------- */
    for (size_t k = 0; k < nold; k++) {
        const oldid *o = &olds[k];
        tab->v[o->id].members -= o->affected + o->deleted;
        if (o->winner != NM_ID_NONE && chosen[o->winner] != o->id) {
            tab->v[o->id].status = NM_ID_RETIRED;
            tab->v[o->id].successor = chosen[o->winner];
            out->n_retired++;
        } else if (o->winner == NM_ID_NONE) {
            tab->v[o->id].status = NM_ID_EMPTY;   /* every record deleted */
        }
    }
    for (size_t k = 0; k < n_new; k++)
        tab->v[tab->n++] = (nm_id_entry){NM_ID_LIVE, NM_ID_NONE, in->gen, 0};
    for (size_t i = 0; i < n; i++) {
        uint32_t p = in->prev[i], q = chosen[in->cluster[i]];
        int fresh = q >= first_new;
        out->id[i] = q;
        tab->v[q].members++;
        if (p == NM_ID_NONE) out->change[i] = fresh ? NM_CHANGE_NEW : NM_CHANGE_JOINED;
        else if (p == q) out->change[i] = NM_CHANGE_UNCHANGED;
        else if (tab->v[p].status == NM_ID_RETIRED && tab->v[p].successor == q) out->change[i] = NM_CHANGE_MERGED;
        else if (fresh) out->change[i] = NM_CHANGE_SPLIT;
        else out->change[i] = NM_CHANGE_MOVED;
    }

    /* The IDs each cluster wins, in ID order (a counting sort by winner). */
    for (size_t k = 0; k < nold; k++)
        if (olds[k].winner != NM_ID_NONE) wstart[olds[k].winner + 1]++;
    for (size_t c = 0; c < nclusters; c++) wstart[c + 1] += wstart[c];
    memcpy(wfill, wstart, nclusters * sizeof *wfill);
    for (size_t k = 0; k < nold; k++)
        if (olds[k].winner != NM_ID_NONE) wlist[wfill[olds[k].winner]++] = (uint32_t)k;

#define EMIT(...) (out->events[out->n_events++] = (nm_id_event){__VA_ARGS__})
    for (size_t k = 0; k < nclusters; k++) {
        uint32_t c = corder[k], q = chosen[c];
        const uint32_t *mem = cmembers + cstart[c];
        size_t nm = cstart[c + 1] - cstart[c];
        if (q >= first_new) {
            EMIT(NM_EV_ISSUED, 0, q, NM_ID_NONE, NM_ID_NONE, NAN);
            /* One split_from per ID this part left, with the strongest edge
             * any of its records had to the part that kept that ID. */
            size_t np = 0;
            for (size_t m = 0; m < nm; m++)
                if (in->prev[mem[m]] != NM_ID_NONE) parts[np++] = (struct idw){in->prev[mem[m]], splitw[mem[m]]};
            for (size_t a1 = 1; a1 < np; a1++)   /* insertion sort: parts are small */
                for (size_t b1 = a1; b1 > 0 && parts[b1 - 1].id > parts[b1].id; b1--) {
                    struct idw t = parts[b1];
                    parts[b1] = parts[b1 - 1];
                    parts[b1 - 1] = t;
                }
            for (size_t s1 = 0; s1 < np;) {
                size_t e1 = s1;
                double w = NAN;
                for (; e1 < np && parts[e1].id == parts[s1].id; e1++)
                    if (!isnan(parts[e1].w) && (isnan(w) || parts[e1].w > w)) w = parts[e1].w;
                EMIT(NM_EV_SPLIT_FROM, 0, q, parts[s1].id, NM_ID_NONE, w);
                s1 = e1;
            }
        }
        for (uint32_t j = wstart[c]; j < wstart[c + 1]; j++) {
            const oldid *o = &olds[wlist[j]];
            if (o->id != q) EMIT(NM_EV_MERGED_INTO, 0, o->id, q, NM_ID_NONE, o->cross);
        }
        for (size_t m = 0; m < nm; m++) {
            uint32_t i = mem[m];
            int ch = out->change[i];
            if (ch == NM_CHANGE_NEW || ch == NM_CHANGE_JOINED) EMIT(NM_EV_JOINED, 0, q, NM_ID_NONE, i, best[i]);
            else if (ch == NM_CHANGE_SPLIT || ch == NM_CHANGE_MOVED)
                EMIT(NM_EV_RECORD_MOVED, 0, q, in->prev[i], i, best[i]);
        }
    }
    for (size_t r = 0; r < in->n_deleted; r++) {
        uint32_t i = dorder[r];
        if (in->deleted_prev[i] != NM_ID_NONE) EMIT(NM_EV_RECORD_REMOVED, 1, in->deleted_prev[i], NM_ID_NONE, i, NAN);
    }
    for (size_t k = 0; k < nold; k++)
        if (olds[k].winner == NM_ID_NONE) EMIT(NM_EV_EMPTIED, 0, olds[k].id, NM_ID_NONE, NM_ID_NONE, NAN);
#undef EMIT
    goto done;

nomem:
    rc = nm_err_set(err, NM_E_NOMEM, "out of memory");
fail:
    nm_ids_output_free(out);
done:
    free(corder);
    free(wstart);
    free(wlist);
    free(wfill);
    free(parts);
    free(rank);
    free(order);
    free(hs);
    free(ids_seen);
    free(olds);
    free(chosen);
    free(cstart);
    free(cmembers);
    free(best);
    free(splitw);
    free(drank);
    free(dorder);
    return rc;
}
