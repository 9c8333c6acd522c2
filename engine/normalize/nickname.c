/* Given-name equivalence table (BOB ~ ROBERT, PEGGY ~ MARGARET ...).
 *
 * Source: data/nicknames.csv, embedded in the library. Format: one group per
 * line, "CANONICAL,VARIANT,...", '#' lines are comments. Group ids are the
 * 0-based data line numbers, so they are stable for a given table and
 * usable in blocking keys. A name may sit in several groups; two names are
 * equivalent when they share a group (not transitively: KATE matches
 * KATHERINE and KATHLEEN, which do not match each other unless a group lists
 * both). nm_nicknames_pair_count() counts distinct unordered
 * canonical-variant links, the conservative measure of the table's size.
 *
 * Layout: names in one string pool, a flat array of group ids per name
 * (name -> [glist_off, glist_off + glist_n)), and an open-addressing
 * (linear probing) hash of the names. Built once per process under
 * pthread_once; immutable afterwards, so lookups need no locking. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include "npimatch/normalize.h"
#include "common/data.h"
#include "common/hash.h"
#include "normalize/text.h"

struct nm_nicknames {
    char *pool;                 /* NUL-terminated names */
    uint32_t *name_off;         /* per name: offset in pool */
    uint8_t *name_len;
    uint32_t *glist_off;        /* per name: first entry in glist */
    uint16_t *glist_n;
    uint32_t *glist;            /* group ids, ascending per name */
    uint32_t *group_canon;      /* per group: name index of its canonical */
    uint32_t *slots;            /* hash slots: name index + 1, 0 = empty */
    uint32_t mask;
    uint32_t nnames, ngroups;
    size_t npairs;
};

#define NAME_MAX_LEN 63

static uint32_t name_hash(const char *s, size_t n) { return (uint32_t)nm_hash64(s, n, 0x6e69636bULL); }

static int64_t find_name(const struct nm_nicknames *t, const char *s, size_t n) {
    if (!t->slots || n == 0 || n > NAME_MAX_LEN) return -1;
    for (uint32_t h = name_hash(s, n) & t->mask;; h = (h + 1) & t->mask) {
        uint32_t v = t->slots[h];
        if (!v) return -1;
        v--;
        if (t->name_len[v] == n && !memcmp(t->pool + t->name_off[v], s, n)) return v;
    }
}

typedef struct { uint32_t name, group; } entry;

static int cmp_entry(const void *a, const void *b) {
    const entry *x = a, *y = b;
    if (x->name != y->name) return x->name < y->name ? -1 : 1;
    return (x->group > y->group) - (x->group < y->group);
}
static int cmp_u64(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

static struct nm_nicknames g_table;
static pthread_once_t g_once = PTHREAD_ONCE_INIT;

/* Grow-on-demand arrays for the one-time build; on allocation failure the
 * table stays empty (every lookup answers "not listed") rather than abort. */
static int grow(void **p, size_t *cap, size_t need, size_t elem) {
    if (need <= *cap) return 0;
    size_t nc = *cap ? *cap : 256;
    while (nc < need) nc *= 2;
    void *q = realloc(*p, nc * elem);
    if (!q) return -1;
    *p = q;
    *cap = nc;
    return 0;
}

static void build(void) {
    struct nm_nicknames *t = &g_table;
    size_t len = 0;
    const char *src = nm_data_get("nicknames.csv", &len);
    if (!src) return;
    /* Upper bound on distinct names: one per comma or newline. */
    size_t max_names = 1;
    for (size_t i = 0; i < len; i++) max_names += (src[i] == ',' || src[i] == '\n');
    uint32_t nslots = 64;
    while (nslots < max_names * 2) nslots *= 2;
    t->slots = calloc(nslots, sizeof *t->slots);
    t->mask = nslots - 1;
    t->pool = malloc(len + max_names + 1);
    t->name_off = malloc(max_names * sizeof *t->name_off);
    t->name_len = malloc(max_names);
    entry *ents = NULL;
    uint64_t *links = NULL;
    size_t nents = 0, cents = 0, nlinks = 0, clinks = 0, cgroups = 0, pool_len = 0;
    if (!t->slots || !t->pool || !t->name_off || !t->name_len) goto fail;

    for (size_t p = 0; p < len;) {
        size_t e = p;
        while (e < len && src[e] != '\n') e++;
        size_t line_end = e;
        if (p < line_end && src[p] != '#') {
            uint32_t gid = t->ngroups, canon = UINT32_MAX;
            for (size_t f = p; f <= line_end;) {
                size_t fe = f;
                while (fe < line_end && src[fe] != ',') fe++;
                char nm[NAME_MAX_LEN + 1];
                size_t nl = nm_fold_text(src + f, fe - f, 0, nm, sizeof nm);
                f = fe + 1;
                if (!nl) continue;
                int64_t idx = find_name(t, nm, nl);
                if (idx < 0) {
                    idx = t->nnames++;
                    memcpy(t->pool + pool_len, nm, nl + 1);
                    t->name_off[idx] = (uint32_t)pool_len;
                    t->name_len[idx] = (uint8_t)nl;
                    pool_len += nl + 1;
                    uint32_t h = name_hash(nm, nl) & t->mask;
                    while (t->slots[h]) h = (h + 1) & t->mask;
                    t->slots[h] = (uint32_t)idx + 1;
                }
                if (grow((void **)&ents, &cents, nents + 1, sizeof *ents)) goto fail;
                ents[nents++] = (entry){(uint32_t)idx, gid};
                if (canon == UINT32_MAX) {
                    canon = (uint32_t)idx;
                } else if ((uint32_t)idx != canon) {
                    uint32_t a = (canon < (uint32_t)idx ? canon : (uint32_t)idx), b = (canon < (uint32_t)idx ? (uint32_t)idx : canon);
                    if (grow((void **)&links, &clinks, nlinks + 1, sizeof *links)) goto fail;
                    links[nlinks++] = ((uint64_t)a << 32) | b;
                }
            }
            if (canon != UINT32_MAX) {
                if (grow((void **)&t->group_canon, &cgroups, t->ngroups + 1, sizeof *t->group_canon)) goto fail;
                t->group_canon[t->ngroups++] = canon;
            }
        }
        p = line_end + 1;
    }

    qsort(links, nlinks, sizeof *links, cmp_u64);
    for (size_t i = 0; i < nlinks; i++) t->npairs += (i == 0 || links[i] != links[i - 1]);

    qsort(ents, nents, sizeof *ents, cmp_entry);
    t->glist = malloc((nents + 1) * sizeof *t->glist);
    t->glist_off = calloc(t->nnames + 1, sizeof *t->glist_off);
    t->glist_n = calloc(t->nnames + 1, sizeof *t->glist_n);
    if (!t->glist || !t->glist_off || !t->glist_n) goto fail;
    size_t ng = 0;
    for (size_t i = 0; i < nents; i++) {
        if (i > 0 && ents[i].name == ents[i - 1].name && ents[i].group == ents[i - 1].group) continue;
        if (i == 0 || ents[i].name != ents[i - 1].name) t->glist_off[ents[i].name] = (uint32_t)ng;
        t->glist[ng++] = ents[i].group;
        t->glist_n[ents[i].name]++;
    }
    free(ents);
    free(links);
    return;
fail:
    free(ents);
    free(links);
    free(t->slots);
    free(t->pool);
    free(t->name_off);
    free(t->name_len);
    free(t->glist);
    free(t->glist_off);
    free(t->glist_n);
    free(t->group_canon);
    memset(t, 0, sizeof *t);
}

const nm_nicknames *nm_nicknames_default(void) {
    pthread_once(&g_once, build);
    return &g_table;
}

/* Lookups accept any case and accents: names are folded first (cheap for
 * already-normalized input, and it keeps "Bob" ~ "ROBERT" working). */
static int64_t lookup(const nm_nicknames *t, const char *s, size_t n) {
    char buf[NAME_MAX_LEN + 1];
    if (!s || n == 0) return -1;
    size_t l = nm_fold_text(s, n, 0, buf, sizeof buf);
    return find_name(t, buf, l);
}

size_t nm_nickname_groups(const nm_nicknames *t, const char *name, size_t n, uint32_t *ids, size_t max) {
    if (!t) t = nm_nicknames_default();
    int64_t i = lookup(t, name, n);
    if (i < 0) return 0;
    size_t k = t->glist_n[i] < max ? t->glist_n[i] : max;
    if (ids) memcpy(ids, t->glist + t->glist_off[i], k * sizeof *ids);
    return k;
}

int nm_nickname_match(const nm_nicknames *t, const char *a, size_t la, const char *b, size_t lb) {
    if (!t) t = nm_nicknames_default();
    char fa[NAME_MAX_LEN + 1], fb[NAME_MAX_LEN + 1];
    size_t na = a ? nm_fold_text(a, la, 0, fa, sizeof fa) : 0;
    size_t nb = b ? nm_fold_text(b, lb, 0, fb, sizeof fb) : 0;
    if (!na || !nb) return 0;
    if (na == nb && !memcmp(fa, fb, na)) return 1;
    int64_t ia = find_name(t, fa, na), ib = find_name(t, fb, nb);
    if (ia < 0 || ib < 0) return 0;
    /* Both lists are sorted: a merge walk finds a shared group. */
    const uint32_t *ga = t->glist + t->glist_off[ia], *gb = t->glist + t->glist_off[ib];
    size_t i = 0, j = 0, ea = t->glist_n[ia], eb = t->glist_n[ib];
    while (i < ea && j < eb) {
        if (ga[i] == gb[j]) return 1;
        if (ga[i] < gb[j]) i++;
        else j++;
    }
    return 0;
}

const char *nm_nickname_group_name(const nm_nicknames *t, uint32_t id) {
    if (!t) t = nm_nicknames_default();
    if (id >= t->ngroups) return "";
    return t->pool + t->name_off[t->group_canon[id]];
}

size_t nm_nicknames_pair_count(const nm_nicknames *t) {
    if (!t) t = nm_nicknames_default();
    return t->npairs;
}
