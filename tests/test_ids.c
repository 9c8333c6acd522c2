/* Stable person IDs (engine/ids/ids.h): the ID text, each rule in isolation
 * on hand-made nights, and a simulated sequence of nights on random evolving
 * graphs where every ID change must be explained by the rules. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cluster/cluster.h"
#include "gen/gen.h"
#include "ids/ids.h"

/* Hand-made nights below list only the fields they use; the rest are zero. */
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

/* ---- the ID text -------------------------------------------------------- */

static int cmp_str13(const void *a, const void *b) { return memcmp(a, b, NM_ID_LEN); }

Test(ids, text_is_fixed_length_opaque_unique_and_parses_back) {
    enum { N = 100000 };
    char (*all)[NM_ID_LEN + 1] = malloc(N * sizeof *all);
    for (uint32_t i = 0; i < N; i++) {
        nm_id_format(i, all[i]);
        cr_assert_eq(strlen(all[i]), NM_ID_LEN);
        cr_assert_eq(all[i][0], 'P');
        uint32_t back = 0;
        cr_assert_eq(nm_id_parse(all[i], NM_ID_LEN, &back), 0);
        cr_assert_eq(back, i);
    }
    /* Consecutive IDs share no visible order: most characters differ. */
    int differ = 0;
    for (int c = 1; c < NM_ID_LEN; c++) differ += all[0][c] != all[1][c];
    cr_assert_geq(differ, 6, "%s %s", all[0], all[1]);
    qsort(all, N, sizeof *all, cmp_str13);
    for (size_t i = 1; i < N; i++) cr_assert_neq(memcmp(all[i - 1], all[i], NM_ID_LEN), 0);
    free(all);

    char id[NM_ID_LEN + 1];
    nm_id_format(4000000000u, id);
    uint32_t back;
    cr_assert_eq(nm_id_parse(id, NM_ID_LEN, &back), 0);
    cr_assert_eq(back, 4000000000u);
    for (char *p = id; *p; p++) *p = (char)(*p >= 'A' && *p <= 'Z' ? *p - 'A' + 'a' : *p);
    cr_assert_eq(nm_id_parse(id, NM_ID_LEN, &back), 0, "lower case is accepted");
    cr_assert_eq(back, 4000000000u);
    cr_assert_eq(nm_id_parse("P123", 4, &back), NM_E_FORMAT);
    cr_assert_eq(nm_id_parse("Q000000000000", NM_ID_LEN, &back), NM_E_FORMAT);
    cr_assert_eq(nm_id_parse("P00000000000U", NM_ID_LEN, &back), NM_E_FORMAT, "U is not a Crockford digit");
}

/* ---- a small harness for hand-made nights -------------------------------- */

typedef struct night {
    nm_idtab *tab;
    uint32_t gen;
    size_t n;
    const char **keys;          /* names of the affected records */
    const uint32_t *cluster;
    const uint32_t *prev;
    const uint32_t *first_seen; /* NULL: everyone first seen in generation 1 */
    size_t n_deleted;
    const char **deleted;
    const uint32_t *deleted_prev;
} night;

static void run_night(const night *nt, nm_ids_output *out) {
    nm_key *k = malloc((nt->n + 1) * sizeof *k), *dk = malloc((nt->n_deleted + 1) * sizeof *dk);
    uint32_t *fs = malloc((nt->n + 1) * sizeof *fs);
    for (size_t i = 0; i < nt->n; i++) {
        k[i] = (nm_key){nt->keys[i], (uint32_t)strlen(nt->keys[i])};
        fs[i] = nt->first_seen ? nt->first_seen[i] : 1;
    }
    for (size_t i = 0; i < nt->n_deleted; i++) dk[i] = (nm_key){nt->deleted[i], (uint32_t)strlen(nt->deleted[i])};
    nm_ids_input in = {.gen = nt->gen, .n = nt->n, .keys = k, .first_seen = fs, .prev = nt->prev,
                       .cluster = nt->cluster, .n_deleted = nt->n_deleted, .deleted_keys = dk,
                       .deleted_prev = nt->deleted_prev};
    nm_err err = {0};
    cr_assert_eq(nm_ids_assign(nt->tab, &in, out, &err), 0, "%s", err.msg);
    free(k);
    free(dk);
    free(fs);
}

#define NONE NM_ID_NONE

static size_t count_events(const nm_ids_output *o, int type) {
    size_t c = 0;
    for (size_t i = 0; i < o->n_events; i++) c += o->events[i].type == type;
    return c;
}

/* Night 1: persons {a,b,c} and {d,e}. */
static void first_night(nm_idtab *t, uint32_t *ida, uint32_t *idd) {
    const char *keys[] = {"a", "b", "c", "d", "e"};
    uint32_t cl[] = {0, 0, 0, 1, 1}, prev[] = {NONE, NONE, NONE, NONE, NONE};
    nm_ids_output o;
    run_night(&(night){t, 1, 5, keys, cl, prev}, &o);
    cr_assert_eq(o.n_issued, 2);
    for (int i = 0; i < 5; i++) cr_assert_eq(o.change[i], NM_CHANGE_NEW);
    cr_assert_eq(o.id[0], o.id[1]);
    cr_assert_neq(o.id[0], o.id[3]);
    cr_assert_eq(count_events(&o, NM_EV_ISSUED), 2);
    cr_assert_eq(count_events(&o, NM_EV_JOINED), 5);
    *ida = o.id[0];
    *idd = o.id[3];
    cr_assert_lt(*ida, *idd, "new IDs are issued in key order of the persons' first records");
    nm_ids_output_free(&o);
}

Test(ids, rule1_records_keep_their_id_while_the_person_survives) {
    nm_idtab t = {0};
    uint32_t A, D;
    first_night(&t, &A, &D);
    /* Night 2: same clusters, listed in another order with other cluster numbers. */
    const char *keys[] = {"e", "c", "a", "d", "b"};
    uint32_t cl[] = {0, 1, 1, 0, 1}, prev[] = {D, A, A, D, A};
    nm_ids_output o;
    run_night(&(night){&t, 2, 5, keys, cl, prev}, &o);
    for (int i = 0; i < 5; i++) {
        cr_assert_eq(o.id[i], prev[i]);
        cr_assert_eq(o.change[i], NM_CHANGE_UNCHANGED);
    }
    cr_assert_eq(o.n_events, 0);
    cr_assert_eq(t.n, 2, "no ID issued");
    nm_ids_output_free(&o);
    free(t.v);
}

Test(ids, rule2_a_new_record_takes_the_id_of_the_person_it_links_to) {
    nm_idtab t = {0};
    uint32_t A, D;
    first_night(&t, &A, &D);
    const char *keys[] = {"d", "e", "f"};
    uint32_t cl[] = {0, 0, 0}, prev[] = {D, D, NONE}, fs[] = {1, 1, 2};
    nm_ids_output o;
    run_night(&(night){&t, 2, 3, keys, cl, prev, fs}, &o);
    cr_assert_eq(o.id[2], D);
    cr_assert_eq(o.change[2], NM_CHANGE_JOINED);
    cr_assert_eq(o.change[0], NM_CHANGE_UNCHANGED);
    cr_assert_eq(o.n_events, 1);
    cr_assert_eq(o.events[0].type, NM_EV_JOINED);
    cr_assert_eq(o.events[0].id, D);
    cr_assert_eq(o.events[0].rec, 2);
    cr_assert_eq(t.v[D].members, 3);
    nm_ids_output_free(&o);
    free(t.v);
}

Test(ids, rule3_a_merge_keeps_the_oldest_id_and_retires_the_other) {
    nm_idtab t = {0};
    uint32_t A, D;
    first_night(&t, &A, &D);
    /* A new record "f" links both persons: one cluster. */
    const char *keys[] = {"a", "b", "c", "d", "e", "f"};
    uint32_t cl[] = {0, 0, 0, 0, 0, 0}, prev[] = {A, A, A, D, D, NONE}, fs[] = {1, 1, 1, 1, 1, 2};
    nm_ids_output o;
    run_night(&(night){&t, 2, 6, keys, cl, prev, fs}, &o);
    for (int i = 0; i < 6; i++) cr_assert_eq(o.id[i], A, "oldest ID kept");
    cr_assert_eq(o.change[0], NM_CHANGE_UNCHANGED);
    cr_assert_eq(o.change[3], NM_CHANGE_MERGED);
    cr_assert_eq(o.change[5], NM_CHANGE_JOINED);
    cr_assert_eq(t.v[D].status, NM_ID_RETIRED);
    cr_assert_eq(t.v[D].successor, A);
    cr_assert_eq(nm_idtab_resolve(&t, D), A, "a retired ID resolves to its successor");
    cr_assert_eq(t.v[D].members, 0);
    cr_assert_eq(t.v[A].members, 6);
    cr_assert_eq(count_events(&o, NM_EV_MERGED_INTO), 1);
    cr_assert_eq(o.n_retired, 1);
    nm_ids_output_free(&o);
    free(t.v);
}

Test(ids, rule3_the_oldest_id_wins_even_when_it_is_the_smaller_person) {
    nm_idtab t = {0};
    uint32_t A, D;
    first_night(&t, &A, &D);
    /* Night 2: {d,e} grows to 5 records. Night 3: it merges with {a,b,c}. */
    const char *k2[] = {"d", "e", "x", "y", "z"};
    uint32_t c2[] = {0, 0, 0, 0, 0}, p2[] = {D, D, NONE, NONE, NONE}, f2[] = {1, 1, 2, 2, 2};
    nm_ids_output o;
    run_night(&(night){&t, 2, 5, k2, c2, p2, f2}, &o);
    nm_ids_output_free(&o);
    const char *k3[] = {"a", "b", "c", "d", "e", "x", "y", "z"};
    uint32_t c3[8] = {0}, p3[] = {A, A, A, D, D, D, D, D}, f3[] = {1, 1, 1, 1, 1, 2, 2, 2};
    run_night(&(night){&t, 3, 8, k3, c3, p3, f3}, &o);
    for (int i = 0; i < 8; i++) cr_assert_eq(o.id[i], A);
    cr_assert_eq(o.change[7], NM_CHANGE_MERGED);
    nm_ids_output_free(&o);
    free(t.v);
}

Test(ids, rule4_a_split_leaves_the_id_with_the_larger_part) {
    nm_idtab t = {0};
    const char *k1[] = {"a", "b", "c", "d", "e"};
    uint32_t c1[5] = {0}, p1[] = {NONE, NONE, NONE, NONE, NONE};
    nm_ids_output o;
    run_night(&(night){&t, 1, 5, k1, c1, p1}, &o);
    uint32_t A = o.id[0];
    nm_ids_output_free(&o);
    /* Split into {a,b} and {c,d,e}: the larger part keeps A. */
    uint32_t c2[] = {0, 0, 1, 1, 1}, p2[] = {A, A, A, A, A};
    run_night(&(night){&t, 2, 5, k1, c2, p2}, &o);
    cr_assert_eq(o.id[2], A);
    cr_assert_eq(o.id[4], A);
    cr_assert_neq(o.id[0], A);
    cr_assert_eq(o.id[0], o.id[1]);
    cr_assert_eq(o.change[0], NM_CHANGE_SPLIT);
    cr_assert_eq(o.change[2], NM_CHANGE_UNCHANGED);
    cr_assert_eq(count_events(&o, NM_EV_ISSUED), 1);
    cr_assert_eq(count_events(&o, NM_EV_SPLIT_FROM), 1);
    cr_assert_eq(count_events(&o, NM_EV_RECORD_MOVED), 2);
    for (size_t i = 0; i < o.n_events; i++)
        if (o.events[i].type == NM_EV_SPLIT_FROM) cr_assert_eq(o.events[i].other, A);
    cr_assert_eq(t.v[A].members, 3);
    cr_assert_eq(t.v[o.id[0]].members, 2);
    cr_assert_eq(t.v[o.id[0]].issued_gen, 2);
    nm_ids_output_free(&o);
    free(t.v);
}

Test(ids, rule4_ties_go_to_the_part_with_the_oldest_record) {
    /* {a,b,c,d} split 2/2. First by first-seen generation: c and d are older. */
    nm_idtab t = {0};
    const char *k[] = {"a", "b", "c", "d"};
    uint32_t c1[4] = {0}, p1[] = {NONE, NONE, NONE, NONE};
    nm_ids_output o;
    run_night(&(night){&t, 1, 4, k, c1, p1}, &o);
    uint32_t A = o.id[0];
    nm_ids_output_free(&o);
    uint32_t c2[] = {0, 0, 1, 1}, p2[] = {A, A, A, A}, fs[] = {3, 1, 1, 2};
    run_night(&(night){&t, 2, 4, k, c2, p2, fs}, &o);
    /* Oldest of part {a,b}: b (gen 1); of {c,d}: c (gen 1, key "c" > "b"): {a,b} keeps A. */
    cr_assert_eq(o.id[0], A);
    cr_assert_neq(o.id[2], A);
    nm_ids_output_free(&o);

    nm_idtab t2 = {0};
    run_night(&(night){&t2, 1, 4, k, c1, p1}, &o);
    A = o.id[0];
    nm_ids_output_free(&o);
    uint32_t fs2[] = {2, 2, 1, 2};   /* c is the oldest record */
    run_night(&(night){&t2, 2, 4, k, c2, p2, fs2}, &o);
    cr_assert_eq(o.id[2], A);
    cr_assert_neq(o.id[0], A);
    nm_ids_output_free(&o);
    free(t.v);
    free(t2.v);
}

Test(ids, rule5_ids_depend_only_on_the_sequence_of_nights) {
    /* The same night given in two row orders, on two fresh tables. */
    const char *k1[] = {"m", "b", "x", "a", "q"}, *k2[] = {"q", "a", "x", "b", "m"};
    uint32_t c1[] = {0, 1, 2, 1, 0}, c2[] = {2, 0, 1, 0, 2}, p0[] = {NONE, NONE, NONE, NONE, NONE};
    nm_idtab t1 = {0}, t2 = {0};
    nm_ids_output o1, o2;
    run_night(&(night){&t1, 1, 5, k1, c1, p0}, &o1);
    run_night(&(night){&t2, 1, 5, k2, c2, p0}, &o2);
    for (int i = 0; i < 5; i++)
        for (int j = 0; j < 5; j++)
            if (!strcmp(k1[i], k2[j])) cr_assert_eq(o1.id[i], o2.id[j], "record %s", k1[i]);
    /* Issue order follows the persons' smallest keys: {a,b} < {m,q} < {x}. */
    cr_assert_eq(o1.id[3], 0);
    cr_assert_eq(o1.id[0], 1);
    cr_assert_eq(o1.id[2], 2);
    nm_ids_output_free(&o1);
    nm_ids_output_free(&o2);
    /* Never reused: merge everything (two IDs retire), then split it again:
     * the new ID comes after every ID ever issued. */
    const char *k[] = {"a", "b", "m", "q", "x"};
    uint32_t all[5] = {0}, prev[] = {0, 0, 1, 1, 2};
    run_night(&(night){&t1, 2, 5, k, all, prev}, &o1);
    cr_assert_eq(o1.n_retired, 2);
    nm_ids_output_free(&o1);
    uint32_t parts[] = {0, 0, 0, 1, 1}, prev2[] = {0, 0, 0, 0, 0};
    run_night(&(night){&t1, 3, 5, k, parts, prev2}, &o1);
    cr_assert_eq(o1.id[4], 3, "the counter continues: IDs 1 and 2 are not reused");
    cr_assert_eq(t1.n, 4);
    nm_ids_output_free(&o1);
    free(t1.v);
    free(t2.v);
}

Test(ids, moved_and_deleted_records) {
    nm_idtab t = {0};
    uint32_t A, D;
    first_night(&t, &A, &D);
    /* c leaves A for D; e is deleted; nothing else changes. */
    const char *keys[] = {"a", "b", "c", "d"};
    uint32_t cl[] = {0, 0, 1, 1}, prev[] = {A, A, A, D};
    const char *del[] = {"e"};
    uint32_t dprev[] = {D};
    nm_ids_output o;
    run_night(&(night){&t, 2, 4, keys, cl, prev, NULL, 1, del, dprev}, &o);
    cr_assert_eq(o.id[2], D);
    cr_assert_eq(o.change[2], NM_CHANGE_MOVED);
    cr_assert_eq(o.id[0], A);
    cr_assert_eq(count_events(&o, NM_EV_RECORD_MOVED), 1);
    cr_assert_eq(count_events(&o, NM_EV_RECORD_REMOVED), 1);
    cr_assert_eq(t.v[D].members, 2);
    nm_ids_output_free(&o);
    /* Deleting every record of A empties it. */
    const char *keys3[] = {"c", "d"};
    uint32_t cl3[] = {0, 0}, prev3[] = {D, D};
    const char *del3[] = {"b", "a"};
    uint32_t dprev3[] = {A, A};
    run_night(&(night){&t, 3, 2, keys3, cl3, prev3, NULL, 2, del3, dprev3}, &o);
    cr_assert_eq(t.v[A].status, NM_ID_EMPTY);
    cr_assert_eq(t.v[A].members, 0);
    cr_assert_eq(count_events(&o, NM_EV_EMPTIED), 1);
    cr_assert_eq(count_events(&o, NM_EV_RECORD_REMOVED), 2);
    /* removed events in key order: a then b */
    cr_assert_eq(o.events[0].type, NM_EV_RECORD_REMOVED);
    cr_assert_eq(o.events[0].rec, 1);
    nm_ids_output_free(&o);
    free(t.v);
}

Test(ids, an_incomplete_person_is_refused_and_the_table_untouched) {
    nm_idtab t = {0};
    uint32_t A, D;
    first_night(&t, &A, &D);
    nm_id_entry before[2];
    memcpy(before, t.v, sizeof before);
    uint32_t cl[] = {0, 1}, prev[] = {A, A}, fs[] = {1, 1};
    nm_key k[2] = {{"a", 1}, {"b", 1}};   /* c is missing */
    nm_ids_input in = {.gen = 2, .n = 2, .keys = k, .first_seen = fs, .prev = prev, .cluster = cl};
    nm_ids_output o;
    nm_err err = {0};
    cr_assert_eq(nm_ids_assign(&t, &in, &o, &err), NM_E_ARG);
    cr_assert(strstr(err.msg, "incomplete person"), "%s", err.msg);
    cr_assert_eq(t.n, 2);
    cr_assert_eq(memcmp(before, t.v, sizeof before), 0);
    /* A retired or unknown ID is refused too. */
    uint32_t bad[] = {7, 7};
    in.prev = bad;
    cr_assert_eq(nm_ids_assign(&t, &in, &o, &err), NM_E_ARG);
    free(t.v);
}

/* ---- simulated nights ----------------------------------------------------- */

#define MAXR 600
#define THR 0.95

static uint64_t rng_state;
static uint64_t rnd(void) { return nm_splitmix64(&rng_state); }

typedef struct sim_edge {
    uint32_t a, b;           /* universe record numbers */
    double w;
    uint8_t diff;
} sim_edge;

typedef struct sim {
    size_t nrec;             /* records ever created */
    char key[MAXR][12];
    uint8_t alive[MAXR];
    uint32_t first_seen[MAXR], id[MAXR];
    sim_edge e[4 * MAXR];
    size_t ne;
    nm_idtab tab;
} sim;

static double prob(double w) { return 1.0 / (1.0 + pow(2.0, -w)); }

typedef struct tonight {
    size_t n, ne, nd;
    uint32_t rec[MAXR];      /* affected index -> universe */
    int32_t idx[MAXR];       /* universe -> affected index or -1 */
    nm_key keys[MAXR];
    uint32_t prev[MAXR], fs[MAXR];
    nm_cluster_edge edges[4 * MAXR];
    nm_key dkeys[MAXR];
    uint32_t dprev[MAXR], drec[MAXR];
} tonight;

/* Everyone alive is affected (the rules must hold for any whole-person set). */
static void build_tonight(const sim *s, const uint8_t *deleted, tonight *t) {
    t->n = t->ne = t->nd = 0;
    for (size_t r = 0; r < s->nrec; r++) {
        t->idx[r] = -1;
        if (deleted[r]) {
            t->dkeys[t->nd] = (nm_key){s->key[r], (uint32_t)strlen(s->key[r])};
            t->drec[t->nd] = (uint32_t)r;
            t->dprev[t->nd++] = s->id[r];
        }
        if (!s->alive[r]) continue;
        t->idx[r] = (int32_t)t->n;
        t->rec[t->n] = (uint32_t)r;
        t->keys[t->n] = (nm_key){s->key[r], (uint32_t)strlen(s->key[r])};
        t->prev[t->n] = s->id[r];
        t->fs[t->n++] = s->first_seen[r];
    }
    for (size_t k = 0; k < s->ne; k++) {
        const sim_edge *e = &s->e[k];
        if (!s->alive[e->a] || !s->alive[e->b]) continue;
        t->edges[t->ne++] = (nm_cluster_edge){(uint32_t)t->idx[e->a], (uint32_t)t->idx[e->b], e->w, prob(e->w), e->diff};
    }
}

static void assign(nm_idtab *tab, tonight *t, uint32_t gen, nm_cluster_result *cr, nm_ids_output *o) {
    nm_err err = {0};
    cr_assert_eq(nm_cluster(t->keys, t->n, t->edges, t->ne, NULL, 0, THR, cr, &err), 0, "%s", err.msg);
    nm_ids_input in = {.gen = gen, .n = t->n, .keys = t->keys, .first_seen = t->fs, .prev = t->prev,
                       .cluster = cr->cluster, .rank = gen % 2 ? cr->rank : NULL, .n_edges = t->ne, .edges = t->edges, .edge_state = cr->edge_state,
                       .n_deleted = t->nd, .deleted_keys = t->dkeys, .deleted_prev = t->dprev};
    cr_assert_eq(nm_ids_assign(tab, &in, o, &err), 0, "%s", err.msg);
}

static nm_idtab copy_tab(const nm_idtab *t) {
    nm_idtab c = {malloc((t->n + 1) * sizeof *t->v), t->n, t->n};
    if (t->n) memcpy(c.v, t->v, t->n * sizeof *t->v);
    return c;
}

static int key_less(const sim *s, uint32_t a, uint32_t b) {   /* (first_seen, key) */
    if (s->first_seen[a] != s->first_seen[b]) return s->first_seen[a] < s->first_seen[b];
    return strcmp(s->key[a], s->key[b]) < 0;
}

/* Check tonight's outcome against the rules, independently of ids.c. */
static void check_rules(const sim *s, const nm_idtab *before, const nm_idtab *after, const tonight *t,
                        const nm_cluster_result *cr, const nm_ids_output *o, const uint8_t *deleted) {
    size_t nc = cr->n_clusters;
    uint32_t *cid = malloc(nc * sizeof *cid);
    for (size_t c = 0; c < nc; c++) cid[c] = NONE;
    /* One ID per cluster, distinct, live; new ones above the old counter. */
    for (size_t i = 0; i < t->n; i++) {
        uint32_t c = cr->cluster[i];
        if (cid[c] == NONE) cid[c] = o->id[i];
        cr_assert_eq(cid[c], o->id[i], "one ID per person");
        cr_assert_eq(after->v[o->id[i]].status, NM_ID_LIVE);
        if (o->id[i] >= before->n) cr_assert_eq(after->v[o->id[i]].issued_gen, after->v[after->n - 1].issued_gen);
        else cr_assert_eq(before->v[o->id[i]].status, NM_ID_LIVE, "retired IDs are never reused");
    }
    for (size_t c = 0; c < nc; c++)
        for (size_t d = c + 1; d < nc; d++) cr_assert_neq(cid[c], cid[d], "two persons share an ID");

    for (uint32_t x = 0; x < before->n; x++) {
        if (before->v[x].status != NM_ID_LIVE) {
            cr_assert_eq(memcmp(&before->v[x], &after->v[x], sizeof before->v[x]), 0, "dead IDs stay as they were");
            continue;
        }
        /* Records of X tonight, per cluster; did X's person change at all? */
        uint32_t *cnt = calloc(nc, sizeof *cnt), *oldest = malloc(nc * sizeof *oldest);
        size_t total = 0, lost = 0;
        for (size_t r = 0; r < s->nrec; r++) {
            if (s->id[r] != x) continue;
            if (deleted[r]) {
                lost++;
                continue;
            }
            if (!s->alive[r]) continue;
            uint32_t c = cr->cluster[t->idx[r]];
            if (!cnt[c]++ || key_less(s, (uint32_t)r, oldest[c])) oldest[c] = (uint32_t)r;
            total++;
        }
        if (!total) {
            cr_assert_eq(after->v[x].status, NM_ID_EMPTY);
            free(cnt);
            free(oldest);
            continue;
        }
        size_t w = NONE;
        for (size_t c = 0; c < nc; c++)
            if (cnt[c] && (w == NONE || cnt[c] > cnt[w] || (cnt[c] == cnt[w] && key_less(s, oldest[c], oldest[w]))))
                w = c;
        /* Rule 4: X lives on only in its winner; rule 3: there it yields to older IDs only. */
        if (after->v[x].status == NM_ID_LIVE) {
            cr_assert_eq(cid[w], x, "ID %u kept by a part other than the largest", x);
        } else {
            cr_assert_eq(after->v[x].status, NM_ID_RETIRED);
            cr_assert_eq(after->v[x].successor, cid[w]);
            cr_assert_lt(cid[w], x, "merged into a younger ID");
        }
        for (size_t c = 0; c < nc; c++)
            if (cnt[c] && c != w) cr_assert_neq(cid[c], x);
        /* Unchanged membership => unchanged ID. */
        size_t members_w = 0;
        for (size_t i = 0; i < t->n; i++) members_w += cr->cluster[i] == w;
        if (!lost && cnt[w] == total && members_w == total) cr_assert_eq(cid[w], x, "a person that did not change lost its ID");
        free(cnt);
        free(oldest);
    }
    /* Labels. */
    for (size_t i = 0; i < t->n; i++) {
        uint32_t p = t->prev[i], q = o->id[i];
        int fresh = q >= before->n, want;
        if (p == NONE) want = fresh ? NM_CHANGE_NEW : NM_CHANGE_JOINED;
        else if (p == q) want = NM_CHANGE_UNCHANGED;
        else if (after->v[p].status == NM_ID_RETIRED && after->v[p].successor == q) want = NM_CHANGE_MERGED;
        else if (fresh) want = NM_CHANGE_SPLIT;
        else want = NM_CHANGE_MOVED;
        cr_assert_eq(o->change[i], want);
    }
    free(cid);
}

static void mutate(sim *s, uint8_t *deleted, uint32_t gen) {
    memset(deleted, 0, MAXR);
    size_t add = 5 + rnd() % 20;
    for (size_t k = 0; k < add && s->nrec < MAXR; k++) {
        size_t r = s->nrec++;
        snprintf(s->key[r], sizeof s->key[r], "s%05llu", (unsigned long long)(rnd() % 100000));
        for (size_t q = 0; q < r; q++)   /* keys must stay unique */
            if (!strcmp(s->key[q], s->key[r])) snprintf(s->key[r], sizeof s->key[r], "t%05u", (unsigned)r);
        s->alive[r] = 1;
        s->first_seen[r] = gen;
        s->id[r] = NONE;
        size_t links = rnd() % 4;
        for (size_t l = 0; l < links && r > 0 && s->ne < 4 * MAXR; l++) {
            uint32_t b = (uint32_t)(rnd() % r);
            if (!s->alive[b]) continue;
            s->e[s->ne++] = (sim_edge){(uint32_t)r, b, (double)(rnd() % 20) - 2, (uint8_t)(rnd() % 12 == 0)};
        }
    }
    /* Delete a few; change some edges (changed records re-scored). */
    for (size_t r = 0; r < s->nrec; r++)
        if (s->alive[r] && s->id[r] != NONE && rnd() % 40 == 0) s->alive[r] = 0, deleted[r] = 1;
    for (size_t k = 0; k < s->ne; k++) {
        uint64_t x = rnd() % 30;
        if (x == 0) s->e[k].w = (double)(rnd() % 20) - 2;
        else if (x == 1) s->e[k] = s->e[--s->ne];
    }
    size_t extra = rnd() % 10;
    for (size_t l = 0; l < extra && s->nrec > 1 && s->ne < 4 * MAXR; l++) {
        uint32_t a = (uint32_t)(rnd() % s->nrec), b = (uint32_t)(rnd() % s->nrec);
        if (a != b) s->e[s->ne++] = (sim_edge){a, b, (double)(rnd() % 20) - 2, (uint8_t)(rnd() % 8 == 0)};
    }
}

Test(ids, simulated_nights_follow_the_rules_and_are_deterministic) {
    static sim s;
    static tonight t, t2;
    static uint8_t deleted[MAXR];
    size_t labels[NM_CHANGE_COUNT] = {0};
    memset(&s, 0, sizeof s);
    rng_state = 20261124;
    for (uint32_t gen = 1; gen <= 30; gen++) {
        mutate(&s, deleted, gen);
        build_tonight(&s, deleted, &t);
        nm_idtab before = copy_tab(&s.tab);
        nm_cluster_result cr;
        nm_ids_output o;
        assign(&s.tab, &t, gen, &cr, &o);
        check_rules(&s, &before, &s.tab, &t, &cr, &o, deleted);
        for (size_t i = 0; i < t.n; i++) labels[o.change[i]]++;

        /* Shuffled input (records and edges) gives the same IDs and events. */
        nm_idtab shuf = copy_tab(&before);
        uint32_t perm[MAXR];
        for (size_t i = 0; i < t.n; i++) perm[i] = (uint32_t)i;
        for (size_t i = t.n; i > 1; i--) {
            size_t j = rnd() % i;
            uint32_t x = perm[i - 1];
            perm[i - 1] = perm[j];
            perm[j] = x;
        }
        t2 = t;
        for (size_t i = 0; i < t.n; i++) {
            t2.keys[perm[i]] = t.keys[i];
            t2.prev[perm[i]] = t.prev[i];
            t2.fs[perm[i]] = t.fs[i];
        }
        for (size_t k = 0; k < t.ne; k++) {
            nm_cluster_edge e = t.edges[t.ne - 1 - k];
            e.a = perm[e.a];
            e.b = perm[e.b];
            t2.edges[k] = e;
        }
        nm_cluster_result cr2;
        nm_ids_output o2;
        assign(&shuf, &t2, gen, &cr2, &o2);
        for (size_t i = 0; i < t.n; i++) {
            cr_assert_eq(o2.id[perm[i]], o.id[i], "night %u: shuffled input changed an ID", gen);
            cr_assert_eq(o2.change[perm[i]], o.change[i]);
        }
        cr_assert_eq(shuf.n, s.tab.n);
        cr_assert_eq(memcmp(shuf.v, s.tab.v, s.tab.n * sizeof *s.tab.v), 0);
        cr_assert_eq(o2.n_events, o.n_events);
        for (size_t k = 0; k < o.n_events; k++) {
            const nm_id_event *a = &o.events[k], *b = &o2.events[k];
            cr_assert_eq(a->type, b->type);
            cr_assert_eq(a->id, b->id);
            cr_assert_eq(a->other, b->other);
            if (a->rec != NONE && !a->deleted) cr_assert_eq(perm[a->rec], b->rec);
            cr_assert(a->weight == b->weight || (isnan(a->weight) && isnan(b->weight)));
        }
        free(shuf.v);
        nm_cluster_result_free(&cr2);
        nm_ids_output_free(&o2);

        /* Apply the night. */
        for (size_t i = 0; i < t.n; i++) s.id[t.rec[i]] = o.id[i];
        for (size_t r = 0; r < s.nrec; r++)
            if (deleted[r]) s.id[r] = NONE;

        /* Re-running the same night changes nothing. */
        uint8_t none[MAXR] = {0};
        build_tonight(&s, none, &t2);
        nm_idtab again = copy_tab(&s.tab);
        nm_cluster_result cr3;
        nm_ids_output o3;
        assign(&again, &t2, gen + 1, &cr3, &o3);
        cr_assert_eq(o3.n_events, 0, "night %u rerun: %zu events", gen, o3.n_events);
        for (size_t i = 0; i < t2.n; i++) cr_assert_eq(o3.change[i], NM_CHANGE_UNCHANGED);
        cr_assert_eq(again.n, s.tab.n);
        cr_assert_eq(memcmp(again.v, s.tab.v, s.tab.n * sizeof *s.tab.v), 0);
        free(again.v);
        nm_cluster_result_free(&cr3);
        nm_ids_output_free(&o3);

        free(before.v);
        nm_cluster_result_free(&cr);
        nm_ids_output_free(&o);
    }
    cr_assert_gt(s.tab.n, 30, "the simulation issued IDs");
    for (int c = 0; c < NM_CHANGE_COUNT; c++)
        cr_assert_gt(labels[c], 0, "the simulation never produced '%s'", nm_change_name(c));
    size_t retired = 0;
    for (size_t i = 0; i < s.tab.n; i++) retired += s.tab.v[i].status == NM_ID_RETIRED;
    cr_assert_gt(retired, 0, "the simulation merged persons");
    free(s.tab.v);
}
