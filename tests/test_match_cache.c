/* The matcher's registry-side data stored in the snapshot (match_cache.c):
 * a snapshot saved with it round-trips, a matcher adopting it gives the
 * same bytes as one that rebuilds it (1 and 2 threads), a load for matching
 * skips the records, another model rebuilds, and a format 1 snapshot (no
 * extra data) still loads. */
#include <unistd.h>
#include "match_fixture.h"
#include "common/io.h"
#include "match/matcher.h"
#include "registry/registry_internal.h"

static char *slurp(const char *path, size_t *n) {
    char *s;
    nm_err e;
    cr_assert_eq(nm_read_all(path, &s, n, &e), 0, "%s", e.msg);
    return s;
}

static nm_registry *REG;
static nm_model *MODEL;
static char IN[512];

static void setup(void) {
    char nppes[512];
    fx_path(nppes, sizeof nppes, "mc_nppes.csv");
    fx_path(IN, sizeof IN, "mc_hcps.csv");
    nm_err e = {0};
    nm_gen_nppes_opts go = {.rows = 2500, .seed = 7, .layout = 330, .deactivated = 0.01, .out = nppes};
    cr_assert_eq(nm_gen_nppes(&go, &e), 0, "%s", e.msg);
    const char *paths[1] = {nppes};
    nm_index_opts io = {.quiet = 1};
    cr_assert_eq(nm_registry_build(paths, 1, &io, &REG, NULL, &e), 0, "%s", e.msg);
    cr_assert_eq(nm_model_load("builtin:hcp", &MODEL, &e), 0);
    nm_buf csv = {0}, truth = {0};
    nm_hcp_sample_opts so = {1200, 4, 1.0, 0.05};
    cr_assert_eq(nm_hcp_sample(REG, &so, &csv, &truth), 0);
    fx_write(IN, csv.data);
    nm_buf_free(&csv);
    nm_buf_free(&truth);
    unlink(nppes);
}

static void teardown(void) {
    nm_registry_free(REG);
    nm_model_free(MODEL);
}

/* Match IN with a matcher over r, threads t; returns the output bytes. */
static char *match_with(const nm_registry *r, const nm_model *m, int t, const char *name, int *borrowed, size_t *n) {
    char out[512];
    fx_path(out, sizeof out, name);
    nm_err e = {0};
    nm_match_opts o = {t, 0, -1, -1, 0};
    nm_matcher *mt;
    cr_assert_eq(nm_matcher_create(r, m, &o, &mt, &e), 0, "%s", e.msg);
    if (borrowed) *borrowed = mt->borrowed;
    FILE *devnull = fopen("/dev/null", "w");
    cr_assert_eq(nm_match_file(mt, IN, out, NULL, NULL, devnull, &e), 0, "%s", e.msg);
    fclose(devnull);
    nm_matcher_free(mt);
    char *s = slurp(out, n);
    unlink(out);
    return s;
}

Test(match_cache, stored_data_gives_identical_matches, .init = setup, .fini = teardown) {
    char snap[512];
    fx_path(snap, sizeof snap, "mc_reg.nmx");
    nm_err e = {0};
    nm_matcher *mt;
    nm_match_opts o = {2, 0, -1, -1, 0};
    cr_assert_eq(nm_matcher_create(REG, MODEL, &o, &mt, &e), 0, "%s", e.msg);
    cr_assert_eq(mt->borrowed, 0);
    cr_assert_eq(nm_registry_save_with_matcher(REG, mt, snap, &e), 0, "%s", e.msg);
    nm_matcher_free(mt);

    size_t n0, n1, n2, n3;
    int b;
    char *rebuilt = match_with(REG, MODEL, 1, "mc_o0.csv", &b, &n0);
    cr_assert_eq(b, 0);
    cr_assert_gt(n0, 1200 * 20);
    /* full load: records present, data adopted */
    nm_registry *full;
    cr_assert_eq(nm_registry_load(snap, &full, &e), 0, "%s", e.msg);
    cr_assert_eq(full->no_records, 0);
    char *a = match_with(full, MODEL, 1, "mc_o1.csv", &b, &n1);
    cr_assert_eq(b, 1, "the stored data was not adopted");
    /* load for matching: no records, adopted, 1 and 2 threads */
    nm_registry *lean;
    cr_assert_eq(nm_registry_load_for_match(snap, MODEL, &lean, &e), 0, "%s", e.msg);
    cr_assert_eq(lean->no_records, 1);
    cr_assert_eq(nm_registry_count(lean), nm_registry_count(REG));
    char *c1 = match_with(lean, MODEL, 1, "mc_o2.csv", &b, &n2);
    cr_assert_eq(b, 1);
    char *c2 = match_with(lean, MODEL, 2, "mc_o3.csv", &b, &n3);
    cr_assert(n0 == n1 && n0 == n2 && n0 == n3);
    cr_assert_eq(memcmp(rebuilt, a, n0), 0, "adopted (full load) differs from rebuilt");
    cr_assert_eq(memcmp(rebuilt, c1, n0), 0, "adopted (lean load) differs from rebuilt");
    cr_assert_eq(memcmp(rebuilt, c2, n0), 0, "2 threads differ from 1");
    /* a lean registry cannot be saved or shown, and another model cannot use it */
    char *json;
    cr_assert_eq(nm_registry_row_json(lean, 0, &json, NULL), NM_E_ARG);
    char other[512];
    fx_path(other, sizeof other, "mc_other.nmx");
    cr_assert_eq(nm_registry_save(lean, other, &e), NM_E_ARG);
    free(rebuilt), free(a), free(c1), free(c2);
    nm_registry_free(full);
    nm_registry_free(lean);
    unlink(snap);
}

/* A model with other blocking rules has another fingerprint: the full
 * registry rebuilds (same output as without stored data), the lean load
 * keeps the records. */
Test(match_cache, other_model_rebuilds, .init = setup, .fini = teardown) {
    char snap[512];
    fx_path(snap, sizeof snap, "mc_reg2.nmx");
    nm_err e = {0};
    nm_matcher *mt;
    cr_assert_eq(nm_matcher_create(REG, MODEL, NULL, &mt, &e), 0, "%s", e.msg);
    cr_assert_eq(nm_registry_save_with_matcher(REG, mt, snap, &e), 0, "%s", e.msg);
    nm_matcher_free(mt);
    nm_model *same;
    cr_assert_eq(nm_model_load("builtin:hcp", &same, &e), 0);
    /* same fields and rules: same fingerprint; a different model file: another */
    cr_assert_eq(nm_match_cache_fingerprint(same), nm_match_cache_fingerprint(MODEL));
    nm_model *pat;
    cr_assert_eq(nm_model_load("builtin:patient", &pat, &e), 0, "%s", e.msg);
    cr_assert_neq(nm_match_cache_fingerprint(pat), nm_match_cache_fingerprint(MODEL));
    nm_registry *r;
    cr_assert_eq(nm_registry_load_for_match(snap, pat, &r, &e), 0, "%s", e.msg);
    cr_assert_eq(r->no_records, 0, "records skipped for a model the stored data is not for");
    nm_registry_free(r);
    /* re-saved without the matcher: no extra data left */
    char bare[512];
    fx_path(bare, sizeof bare, "mc_bare.nmx");
    cr_assert_eq(nm_registry_load(snap, &r, &e), 0);
    cr_assert_gt(r->extra.nsec, 0);
    cr_assert_eq(nm_registry_save_with_matcher(r, NULL, bare, &e), 0, "%s", e.msg);
    nm_registry_free(r);
    cr_assert_eq(nm_registry_load(bare, &r, &e), 0);
    cr_assert_eq(r->extra.nsec, 0);
    size_t n0, n1;
    int b;
    char *x = match_with(r, MODEL, 1, "mc_b0.csv", &b, &n0);
    cr_assert_eq(b, 0);
    char *y = match_with(REG, MODEL, 1, "mc_b1.csv", &b, &n1);
    cr_assert(n0 == n1 && !memcmp(x, y, n0));
    free(x), free(y);
    nm_registry_free(r);
    nm_model_free(same);
    nm_model_free(pat);
    unlink(snap), unlink(bare);
}

/* Format 1 files (the same layout without extra data) still load. */
Test(match_cache, format1_loads, .init = setup, .fini = teardown) {
    char p[512];
    fx_path(p, sizeof p, "mc_v1.nmx");
    nm_registry *r;
    nm_err e = {0};
    cr_assert_eq(nm_registry_save(REG, p, &e), 0, "%s", e.msg);
    size_t n;
    char *s = slurp(p, &n);
    cr_assert_eq(s[8], 2);
    s[8] = 1;   /* a format 1 file had the same layout when it had no extra data */
    FILE *f = fopen(p, "wb");
    fwrite(s, 1, n, f);
    fclose(f);
    cr_assert_eq(nm_registry_load(p, &r, &e), 0, "%s", e.msg);
    cr_assert_eq(nm_registry_count(r), nm_registry_count(REG));
    cr_assert_eq(r->extra.nsec, 0);
    nm_registry_free(r);
    free(s);
    unlink(p);
}
