/* Shared by the `npimatch resolve` tests: scratch directories, running the
 * CLI, reading files, and PERSONS.csv parsed into rows sorted by key. */
#ifndef NM_TEST_RESOLVE_FIXTURE_H
#define NM_TEST_RESOLVE_FIXTURE_H

#include <criterion/criterion.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "common/arena.h"
#include "ids/ids.h"

static inline void tmp_dir(char *out, size_t cap, const char *name) {
    snprintf(out, cap, "%s/resolve_%d_%s", NM_TEST_TMPDIR, (int)getpid(), name);
    char cmd[8300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s' && mkdir -p '%s'", out, out);
    cr_assert_eq(system(cmd), 0);
}

/* Run a command line; returns the exit status (-1 when killed otherwise). */
static inline int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static inline int sh(const char *fmt, ...) {
    char cmd[8192];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    int st = system(cmd);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static inline char *slurp(const char *path) {
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f, "%s", path);
    nm_buf b = {0};
    char buf[65536];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0) nm_buf_append(&b, buf, n);
    fclose(f);
    nm_buf_putc(&b, 0);
    return b.data;
}

static inline char *slurp_in(const char *dir, const char *name) {
    char p[4400];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    return slurp(p);
}

static inline void write_file(const char *path, const char *text) {
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    fputs(text, f);
    fclose(f);
}

/* ---- a PERSONS.csv parsed: rows of key, person, change ---------------------- */

typedef struct prow {
    char key[64];
    char id[NM_ID_LEN + 1];
    char change[16];
    char npi[16];                /* --registry: the record's matched NPI ("" none) */
} prow;

typedef struct ptab {
    prow *r;
    size_t n;
} ptab;

static inline int prow_cmp(const void *a, const void *b) { return strcmp(((const prow *)a)->key, ((const prow *)b)->key); }

static inline ptab parse(const char *text) {
    ptab t = {0};
    size_t cap = 1024;
    t.r = malloc(cap * sizeof *t.r);
    const char *p = strchr(text, '\n');
    cr_assert_not_null(p);
    int with_npi = !strncmp(text, "source,record_id,person_id,confidence,change,npi\n", 49);
    cr_assert(with_npi || !strncmp(text, "source,record_id,person_id,confidence,change\n", 45));
    for (p++; *p;) {
        const char *nl = strchr(p, '\n');
        cr_assert_not_null(nl);
        char line[256];
        snprintf(line, sizeof line, "%.*s", (int)(nl - p), p);
        char *c1 = strchr(line, ','), *c2 = c1 ? strchr(c1 + 1, ',') : NULL, *c3 = c2 ? strchr(c2 + 1, ',') : NULL,
             *c4 = c3 ? strchr(c3 + 1, ',') : NULL;
        cr_assert(c4, "bad row %s", line);
        if (t.n == cap) t.r = realloc(t.r, (cap *= 2) * sizeof *t.r);
        prow *r = &t.r[t.n++];
        snprintf(r->key, sizeof r->key, "%.*s", (int)(c2 - line), line);
        snprintf(r->id, sizeof r->id, "%.*s", (int)(c3 - c2 - 1), c2 + 1);
        char *c5 = with_npi ? strchr(c4 + 1, ',') : NULL;
        cr_assert(!with_npi || c5, "bad row %s", line);
        snprintf(r->change, sizeof r->change, "%.*s", c5 ? (int)(c5 - c4 - 1) : (int)strlen(c4 + 1), c4 + 1);
        snprintf(r->npi, sizeof r->npi, "%s", c5 ? c5 + 1 : "");
        p = nl + 1;
    }
    qsort(t.r, t.n, sizeof *t.r, prow_cmp);
    return t;
}

static inline const prow *find(const ptab *t, const char *key) {
    if (!t->n) return NULL;
    prow k;
    snprintf(k.key, sizeof k.key, "%s", key);
    return bsearch(&k, t->r, t->n, sizeof *t->r, prow_cmp);
}

static inline int has_id(const ptab *t, const char *id) {
    for (size_t i = 0; i < t->n; i++)
        if (!strcmp(t->r[i].id, id)) return 1;
    return 0;
}

/* Members of person id in t, as one string of sorted keys (t is key-sorted). */
static inline void members(const ptab *t, const char *id, nm_buf *out) {
    out->len = 0;
    for (size_t i = 0; i < t->n; i++)
        if (!strcmp(t->r[i].id, id)) nm_buf_append(out, t->r[i].key, strlen(t->r[i].key)), nm_buf_putc(out, ';');
    nm_buf_putc(out, 0);
}

static inline uint32_t id_index(const char *id) {
    uint32_t x;
    cr_assert_eq(nm_id_parse(id, strlen(id), &x), 0);
    return x;
}

/* dir/fa and dir/fb (PERSONS.csv of night k) give the same person, change
 * and NPI to every key. */
static inline void assert_same_persons(const char *dir, const char *fa, const char *fb, int k) {
    char *x = slurp_in(dir, fa), *y = slurp_in(dir, fb);
    ptab a = parse(x), b = parse(y);
    cr_assert_eq(a.n, b.n);
    for (size_t i = 0; i < a.n; i++) {
        cr_assert_str_eq(a.r[i].key, b.r[i].key);
        cr_assert_str_eq(a.r[i].id, b.r[i].id, "night %d %s", k, a.r[i].key);
        cr_assert_str_eq(a.r[i].change, b.r[i].change, "night %d %s", k, a.r[i].key);
        cr_assert_str_eq(a.r[i].npi, b.r[i].npi, "night %d %s", k, a.r[i].key);
    }
    free(x), free(y), free(a.r), free(b.r);
}

/* Lines 2.. of src in a fixed pseudo-random order. */
static inline void shuffle_file(const char *src, const char *dst, unsigned seed) {
    char *t = slurp(src);
    size_t n = 0, cap = 1024;
    char **lines = malloc(cap * sizeof *lines);
    for (char *p = t; *p;) {
        char *nl = strchr(p, '\n');
        *nl = 0;
        if (n == cap) lines = realloc(lines, (cap *= 2) * sizeof *lines);
        lines[n++] = p;
        p = nl + 1;
    }
    uint64_t s = seed * 0x9E3779B97F4A7C15ull + 1;
    for (size_t i = n - 1; i > 1; i--) {
        s ^= s << 13, s ^= s >> 7, s ^= s << 17;
        size_t j = 1 + (size_t)(s % i);
        char *x = lines[i];
        lines[i] = lines[j];
        lines[j] = x;
    }
    FILE *f = fopen(dst, "w");
    for (size_t i = 0; i < n; i++) fprintf(f, "%s\n", lines[i]);
    fclose(f);
    free(lines);
    free(t);
}

#endif
