/* Loading the generator tables from the embedded data/ files.
 *
 * The files are small CSVs without quoting, one header line, written for the
 * project (see gen.h for the list). Strings stay in the embedded bytes (static
 * for the life of the process); only the index arrays are allocated, once. */
#include <pthread.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include "common/arena.h"
#include "common/data.h"
#include "common/error_internal.h"
#include "gen/gen.h"

#define MAX_COLS 6

typedef struct line_cols {
    nm_gen_str col[MAX_COLS];
    int n;
} line_cols;

/* Split `line` into at most `want` columns; the last column takes the rest of
 * the line, so values with commas ("MD, PHD") need no quoting when last. */
static void split_line(const char *p, const char *end, int want, line_cols *lc) {
    lc->n = 0;
    while (lc->n < want) {
        const char *q = p;
        if (lc->n < want - 1)
            while (q < end && *q != ',') q++;
        else
            q = end;
        lc->col[lc->n].s = p;
        lc->col[lc->n].len = (uint32_t)(q - p);
        lc->n++;
        if (q >= end) break;
        p = q + 1;
    }
}

static long parse_uint(nm_gen_str s) {
    if (!s.len || s.len > 9) return -1;
    long v = 0;
    for (uint32_t i = 0; i < s.len; i++) {
        if (s.s[i] < '0' || s.s[i] > '9') return -1;
        v = v * 10 + (s.s[i] - '0');
    }
    return v;
}

static int str_eq(nm_gen_str s, const char *lit) { return s.len == strlen(lit) && !memcmp(s.s, lit, s.len); }

/* Vose's alias construction over `w` (n weights > 0). Deterministic: depends
 * only on the weights and their order. */
static int wtable_build(nm_gen_wtable *t, const double *w, uint32_t n) {
    t->n = n;
    t->prob = malloc(n * sizeof *t->prob);
    t->alias = malloc(n * sizeof *t->alias);
    double *p = malloc(n * sizeof *p);
    uint32_t *small = malloc(n * sizeof *small), *large = malloc(n * sizeof *large);
    if (!t->prob || !t->alias || !p || !small || !large) {
        free(p), free(small), free(large);
        return NM_E_NOMEM;
    }
    double sum = 0;
    for (uint32_t i = 0; i < n; i++) sum += w[i];
    uint32_t ns = 0, nl = 0;
    for (uint32_t i = 0; i < n; i++) {
        p[i] = w[i] * n / sum;
        if (p[i] < 1.0) small[ns++] = i;
        else large[nl++] = i;
    }
    while (ns && nl) {
        uint32_t s = small[--ns], l = large[--nl];
        t->prob[s] = (uint32_t)(p[s] * 4294967296.0);
        t->alias[s] = l;
        p[l] = (p[l] + p[s]) - 1.0;
        if (p[l] < 1.0) small[ns++] = l;
        else large[nl++] = l;
    }
    /* Leftovers are 1.0 up to rounding: always themselves. */
    while (nl) { uint32_t l = large[--nl]; t->prob[l] = UINT32_MAX; t->alias[l] = l; }
    while (ns) { uint32_t s = small[--ns]; t->prob[s] = UINT32_MAX; t->alias[s] = s; }
    free(p), free(small), free(large);
    return NM_OK;
}

/* Growable list of (string, weight, ref) used while reading a file. */
typedef struct wlist {
    nm_gen_str *items;
    uint32_t *ref;
    double *w;
    uint32_t n;
    size_t cap;
} wlist;

static int wlist_add(wlist *l, nm_gen_str s, double w, uint32_t ref) {
    if (l->n == l->cap) {
        size_t c1 = l->cap, c2 = l->cap, c3 = l->cap;
        if (nm_vec_grow_((void **)&l->items, &c1, l->n + 1, sizeof *l->items) ||
            nm_vec_grow_((void **)&l->ref, &c2, l->n + 1, sizeof *l->ref) ||
            nm_vec_grow_((void **)&l->w, &c3, l->n + 1, sizeof *l->w))
            return NM_E_NOMEM;
        l->cap = c1;
    }
    l->items[l->n] = s;
    l->ref[l->n] = ref;
    l->w[l->n] = w;
    l->n++;
    return NM_OK;
}

/* Turn the list into a table (the list's arrays move into the table). */
static int wlist_finish(wlist *l, nm_gen_wtable *t) {
    memset(t, 0, sizeof *t);
    if (!l->n) { free(l->items), free(l->ref), free(l->w); memset(l, 0, sizeof *l); return NM_OK; }
    int rc = wtable_build(t, l->w, l->n);
    t->items = l->items;
    t->ref = l->ref;
    free(l->w);
    memset(l, 0, sizeof *l);
    return rc;
}

/* Iterate the data lines of an embedded file: calls fn(ctx, cols, lineno). */
typedef int (*line_fn)(void *ctx, const line_cols *lc, int lineno, const char *file, nm_err *err);

static int each_line(const char *file, int ncols, line_fn fn, void *ctx, nm_err *err) {
    size_t len;
    const char *d = nm_data_get(file, &len);
    if (!d) return nm_err_set(err, NM_E_NOTFOUND, "%s: table not embedded in this build", file);
    const char *p = d, *end = d + len;
    int lineno = 0;
    while (p < end) {
        const char *e = memchr(p, '\n', (size_t)(end - p));
        if (!e) e = end;
        const char *le = e;
        if (le > p && le[-1] == '\r') le--;
        lineno++;
        if (lineno > 1 && le > p) {
            line_cols lc;
            split_line(p, le, ncols, &lc);
            if (lc.n != ncols) return nm_err_set(err, NM_E_FORMAT, "%s:%d: expected %d columns", file, lineno, ncols);
            NM_TRY(fn(ctx, &lc, lineno, file, err));
        }
        p = e + 1;
    }
    return NM_OK;
}

/* name,weight */
static int on_name_weight(void *ctx, const line_cols *lc, int lineno, const char *file, nm_err *err) {
    long w = parse_uint(lc->col[1]);
    if (w <= 0 || !lc->col[0].len || lc->col[0].len > 35)
        return nm_err_set(err, NM_E_FORMAT, "%s:%d: bad name or weight", file, lineno);
    return wlist_add(ctx, lc->col[0], (double)w, 0);
}

static int load_names(const char *file, nm_gen_wtable *t, nm_err *err) {
    wlist l = {0};
    int rc = each_line(file, 2, on_name_weight, &l, err);
    if (rc == NM_OK && !l.n) rc = nm_err_set(err, NM_E_FORMAT, "%s: empty table", file);
    if (rc) { free(l.items), free(l.ref), free(l.w); return rc; }
    return wlist_finish(&l, t);
}

/* cities.csv: city,state,zip3,area_code,weight */
typedef struct city_ctx {
    nm_gen_tables *t;
    wlist all;
    size_t cap;
} city_ctx;

static int on_city(void *vctx, const line_cols *lc, int lineno, const char *file, nm_err *err) {
    city_ctx *c = vctx;
    nm_gen_tables *t = c->t;
    long w = parse_uint(lc->col[4]);
    if (lc->col[1].len != 2 || lc->col[2].len != 3 || lc->col[3].len != 3 || w <= 0 || !lc->col[0].len ||
        lc->col[0].len > 40 || parse_uint(lc->col[2]) < 0 || parse_uint(lc->col[3]) < 200)
        return nm_err_set(err, NM_E_FORMAT, "%s:%d: bad city row", file, lineno);
    if (nm_vec_grow_((void **)&t->city, &c->cap, t->ncity + 1, sizeof *t->city)) return NM_E_NOMEM;
    nm_gen_city *ci = &t->city[t->ncity];
    memset(ci, 0, sizeof *ci);
    ci->name = lc->col[0];
    memcpy(ci->state, lc->col[1].s, 2);
    memcpy(ci->zip3, lc->col[2].s, 3);
    memcpy(ci->area, lc->col[3].s, 3);
    uint32_t s = 0;
    while (s < t->nstates && memcmp(t->states[s].code, ci->state, 2)) s++;
    if (s == t->nstates) {
        if (s == NM_GEN_MAX_STATES) return nm_err_set(err, NM_E_FORMAT, "%s:%d: too many states", file, lineno);
        memcpy(t->states[s].code, ci->state, 3);
        t->nstates++;
    }
    ci->state_idx = s;
    NM_TRY(wlist_add(&c->all, ci->name, (double)w, t->ncity));
    t->ncity++;
    return NM_OK;
}

static int load_cities(nm_gen_tables *t, nm_err *err) {
    city_ctx c = {t, {0}, 0};
    int rc = each_line("cities.csv", 5, on_city, &c, err);
    if (rc == NM_OK && !t->ncity) rc = nm_err_set(err, NM_E_FORMAT, "cities.csv: empty table");
    if (rc) { free(c.all.items), free(c.all.ref), free(c.all.w); return rc; }
    /* Per-state city lists, weighted like the national table. */
    for (uint32_t s = 0; s < t->nstates; s++) {
        wlist l = {0};
        for (uint32_t i = 0; i < c.all.n; i++)
            if (t->city[c.all.ref[i]].state_idx == s) NM_TRY(wlist_add(&l, c.all.items[i], c.all.w[i], c.all.ref[i]));
        t->states[s].ncities = l.n;
        NM_TRY(wlist_finish(&l, &t->states[s].by_weight));
    }
    return wlist_finish(&c.all, &t->cities);
}

static int class_index(nm_gen_tables *t, nm_gen_str name, int create) {
    for (uint32_t i = 0; i < t->nclasses; i++)
        if (str_eq(name, t->classes[i].name)) return (int)i;
    if (!create || t->nclasses == NM_GEN_MAX_CLASSES || name.len >= sizeof t->classes[0].name) return -1;
    memcpy(t->classes[t->nclasses].name, name.s, name.len);
    return (int)t->nclasses++;
}

/* taxonomy_codes.csv: code,entity,class,weight,female_pct */
typedef struct tax_ctx {
    nm_gen_tables *t;
    wlist by_entity[3];
    wlist by_class[NM_GEN_MAX_CLASSES];
    size_t cap;
} tax_ctx;

static int on_taxonomy(void *vctx, const line_cols *lc, int lineno, const char *file, nm_err *err) {
    tax_ctx *c = vctx;
    nm_gen_tables *t = c->t;
    long ent = parse_uint(lc->col[1]), w = parse_uint(lc->col[3]), fem = parse_uint(lc->col[4]);
    int cls = class_index(t, lc->col[2], 1);
    if (lc->col[0].len != 10 || (ent != 1 && ent != 2) || w <= 0 || fem < 0 || fem > 100 || cls < 0)
        return nm_err_set(err, NM_E_FORMAT, "%s:%d: bad taxonomy row", file, lineno);
    if (nm_vec_grow_((void **)&t->tax, &c->cap, t->ntax + 1, sizeof *t->tax)) return NM_E_NOMEM;
    nm_gen_taxonomy *x = &t->tax[t->ntax];
    memset(x, 0, sizeof *x);
    memcpy(x->code, lc->col[0].s, 10);
    x->entity = (uint8_t)ent;
    x->cls = (uint8_t)cls;
    x->female_pct = (uint8_t)fem;
    NM_TRY(wlist_add(&c->by_entity[ent], lc->col[0], (double)w, t->ntax));
    NM_TRY(wlist_add(&c->by_class[cls], lc->col[0], (double)w, t->ntax));
    t->ntax++;
    return NM_OK;
}

/* kind,weight,value files: credentials_typed.csv, org_words.csv, name_affixes.csv */
typedef struct kind_ctx {
    nm_gen_tables *t;
    wlist *lists;         /* one per kind */
    const char **kinds;   /* fixed kinds (NULL-terminated); "type:<class>" and class names handled below */
    int by_class;         /* credentials_typed.csv: kind is a class name */
    wlist *class_lists;
    wlist *chain_lists;   /* org_words.csv "chain:<class>" */
} kind_ctx;

static int on_kind(void *vctx, const line_cols *lc, int lineno, const char *file, nm_err *err) {
    kind_ctx *c = vctx;
    long w = parse_uint(lc->col[1]);
    nm_gen_str kind = lc->col[0], val = lc->col[2];
    if (w <= 0 || !val.len || val.len > 100 || memchr(val.s, '"', val.len))
        return nm_err_set(err, NM_E_FORMAT, "%s:%d: bad weight or value", file, lineno);
    if (c->by_class) {
        int cls = class_index(c->t, kind, 0);
        if (cls < 0) return nm_err_set(err, NM_E_FORMAT, "%s:%d: class not in taxonomy_codes.csv", file, lineno);
        return wlist_add(&c->class_lists[cls], val, (double)w, 0);
    }
    int chain = kind.len > 6 && !memcmp(kind.s, "chain:", 6);
    if ((kind.len > 5 && !memcmp(kind.s, "type:", 5)) || chain) {
        nm_gen_str cname = {kind.s + 5 + chain, kind.len - 5 - chain};
        int cls = class_index(c->t, cname, 0);
        if (cls < 0) return nm_err_set(err, NM_E_FORMAT, "%s:%d: class not in taxonomy_codes.csv", file, lineno);
        return wlist_add(&(chain ? c->chain_lists : c->class_lists)[cls], val, (double)w, 0);
    }
    for (int k = 0; c->kinds[k]; k++)
        if (str_eq(kind, c->kinds[k])) return wlist_add(&c->lists[k], val, (double)w, 0);
    return nm_err_set(err, NM_E_FORMAT, "%s:%d: unknown kind", file, lineno);
}

static int load_kinds(nm_gen_tables *t, const char *file, const char **kinds, nm_gen_wtable **dst, int by_class,
                      size_t class_field_off, nm_err *err) {
    wlist lists[8] = {{0}}, class_lists[NM_GEN_MAX_CLASSES] = {{0}}, chain_lists[NM_GEN_MAX_CLASSES] = {{0}};
    kind_ctx c = {t, lists, kinds, by_class, class_lists, chain_lists};
    int rc = each_line(file, 3, on_kind, &c, err);
    for (int k = 0; kinds && kinds[k]; k++) {
        if (!rc && !lists[k].n) rc = nm_err_set(err, NM_E_FORMAT, "%s: no rows of kind %s", file, kinds[k]);
        if (!rc) rc = wlist_finish(&lists[k], dst[k]);
        else free(lists[k].items), free(lists[k].ref), free(lists[k].w);
    }
    for (uint32_t i = 0; i < NM_GEN_MAX_CLASSES; i++) {
        if (!class_lists[i].n) continue;   /* leave tables other files filled alone */
        nm_gen_wtable *ct = (nm_gen_wtable *)((char *)&t->classes[i] + class_field_off);
        if (!rc) rc = wlist_finish(&class_lists[i], ct);
        else free(class_lists[i].items), free(class_lists[i].ref), free(class_lists[i].w);
    }
    for (uint32_t i = 0; i < NM_GEN_MAX_CLASSES; i++) {
        if (!chain_lists[i].n) continue;
        if (!rc) rc = wlist_finish(&chain_lists[i], &t->classes[i].org_chains);
        else free(chain_lists[i].items), free(chain_lists[i].ref), free(chain_lists[i].w);
    }
    return rc;
}

static int load_taxonomy(nm_gen_tables *t, nm_err *err) {
    tax_ctx c;
    memset(&c, 0, sizeof c);
    c.t = t;
    int rc = each_line("taxonomy_codes.csv", 5, on_taxonomy, &c, err);
    if (!rc && (!c.by_entity[1].n || !c.by_entity[2].n))
        rc = nm_err_set(err, NM_E_FORMAT, "taxonomy_codes.csv: needs codes for both entity types");
    for (int e = 0; e < 3; e++) {
        if (!rc) rc = wlist_finish(&c.by_entity[e], &t->tax_by_entity[e]);
        else free(c.by_entity[e].items), free(c.by_entity[e].ref), free(c.by_entity[e].w);
    }
    for (int i = 0; i < NM_GEN_MAX_CLASSES; i++) {
        if (!rc) rc = wlist_finish(&c.by_class[i], &t->classes[i].taxonomies);
        else free(c.by_class[i].items), free(c.by_class[i].ref), free(c.by_class[i].w);
    }
    return rc;
}

static nm_gen_tables g_tables;
static int g_rc;
static nm_err g_err;
static pthread_once_t g_once = PTHREAD_ONCE_INIT;

static int load_all(nm_gen_tables *t, nm_err *err) {
    NM_TRY(load_names("surnames.csv", &t->surnames, err));
    NM_TRY(load_names("given_names_male.csv", &t->given_m, err));
    NM_TRY(load_names("given_names_female.csv", &t->given_f, err));
    NM_TRY(load_names("street_names.csv", &t->streets, err));
    NM_TRY(load_cities(t, err));
    NM_TRY(load_taxonomy(t, err));
    static const char *org_kinds[] = {"adj", "legal", "title", "issuer", NULL};
    nm_gen_wtable *org_dst[] = {&t->org_adj, &t->org_legal, &t->ao_title, &t->id_issuer};
    NM_TRY(load_kinds(t, "org_words.csv", org_kinds, org_dst, 0, offsetof(nm_gen_class, org_types), err));
    static const char *no_kinds[] = {NULL};
    NM_TRY(load_kinds(t, "credentials_typed.csv", no_kinds, NULL, 1, offsetof(nm_gen_class, credentials), err));
    static const char *aff_kinds[] = {"prefix_dr", "prefix_m", "prefix_f", "suffix", NULL};
    nm_gen_wtable *aff_dst[] = {&t->prefix_dr, &t->prefix_m, &t->prefix_f, &t->name_suffix};
    /* name_affixes.csv has no per-class rows; load_kinds only writes class
     * tables that received rows, so org_types is left as loaded above. */
    return load_kinds(t, "name_affixes.csv", aff_kinds, aff_dst, 0, offsetof(nm_gen_class, org_types), err);
}

static void load_once(void) { g_rc = load_all(&g_tables, &g_err); }

int nm_gen_tables_load(const nm_gen_tables **out, nm_err *err) {
    pthread_once(&g_once, load_once);
    if (g_rc) {
        if (err) *err = g_err;
        return g_rc;
    }
    *out = &g_tables;
    return NM_OK;
}
