/* The progress and cancel hook (npimatch/progress.h): a match reports
 * progress up to its record count and stops with NM_E_CANCELLED (no output
 * written) when the flag is raised; dedupe over in-memory CSV bytes does the
 * same; hooks are per thread. */
#include <pthread.h>
#include <unistd.h>
#include "match/link.h"
#include "match/matcher.h"
#include "match_fixture.h"
#include "npimatch/progress.h"

/* Enough records for several windows of the matcher (chunks of 256, 64 per window). */
#define NREC 40000

typedef struct seen {
    uint64_t calls, last_done, last_total, max_done;
    int monotonic;
    uint64_t cancel_after;      /* raise the flag at this call (0: never) */
    volatile int flag;
} seen;

static void on_progress(void *ctx, uint64_t done, uint64_t total) {
    seen *s = ctx;
    if (s->calls && done < s->last_done) s->monotonic = 0;
    s->calls++;
    s->last_done = done, s->last_total = total;
    if (done > s->max_done) s->max_done = done;
    if (s->cancel_after && s->calls == s->cancel_after) s->flag = 1;
}

static nm_registry *REG;
static nm_model *MODEL;

static void setup(void) {
    static prov p[8];
    static const char *first[] = {"ROBERT", "MARY", "JOHN", "PATRICIA", "LINDA", "JAMES", "SUSAN", "DAVID"};
    for (int i = 0; i < 8; i++)
        p[i] = (prov){1, first[i], NULL, "SMITH", NULL, NULL, "1 MAIN ST", "DENVER", "CO", "80202", NULL, NULL, NULL, NULL};
    char name[64];
    snprintf(name, sizeof name, "progress_nppes_%d.csv", (int)getpid());
    REG = fx_registry(p, 8, name);
    nm_err e;
    cr_assert_eq(nm_model_load("builtin:hcp", &MODEL, &e), 0);
}

static void teardown(void) {
    nm_registry_free(REG);
    nm_model_free(MODEL);
}

static char *records(size_t n) {
    nm_buf b = {0};
    nm_buf_printf(&b, "record_id,first_name,last_name,city,state\n");
    static const char *first[] = {"ROBERT", "MARY", "JON", "PAT", "ZELDA"};
    for (size_t i = 0; i < n; i++) nm_buf_printf(&b, "r%zu,%s,SMITH,DENVER,CO\n", i, first[i % 5]);
    nm_buf_putc(&b, 0);
    return b.data;
}

static int run_match(seen *s, const char *out, nm_err *e) {
    nm_matcher *mt;
    nm_match_opts o = {2, 0, -1, -1, 0};
    cr_assert_eq(nm_matcher_create(REG, MODEL, &o, &mt, e), 0, "%s", e->msg);
    char *csv = records(NREC);
    nm_progress pg = {on_progress, s, &s->flag};
    const nm_progress *prev = nm_progress_set(&pg);
    cr_assert_null(prev);
    cr_assert_eq(nm_progress_get(), &pg);
    FILE *devnull = fopen("/dev/null", "w");
    int rc = nm_match_data(mt, "records", csv, strlen(csv), out, NULL, NULL, devnull, e);
    fclose(devnull);
    cr_assert_eq(nm_progress_set(prev), &pg);
    free(csv);
    nm_matcher_free(mt);
    return rc;
}

Test(progress, match_reaches_total, .init = setup, .fini = teardown) {
    seen s = {.monotonic = 1};
    char out[512];
    fx_path(out, sizeof out, "progress_full.csv");
    unlink(out);
    nm_err e = {0};
    cr_assert_eq(run_match(&s, out, &e), 0, "%s", e.msg);
    cr_assert_gt(s.calls, 2, "one report per window and one at the end");
    cr_assert(s.monotonic);
    cr_assert_eq(s.last_total, NREC);
    cr_assert_eq(s.last_done, NREC, "the last report is done == total");
    cr_assert_eq(access(out, F_OK), 0);
}

Test(progress, match_cancel_stops_with_error, .init = setup, .fini = teardown) {
    seen s = {.monotonic = 1, .cancel_after = 2};
    char out[512];
    fx_path(out, sizeof out, "progress_cancel.csv");
    unlink(out);
    nm_err e = {0};
    int rc = run_match(&s, out, &e);
    cr_assert_eq(rc, NM_E_CANCELLED, "rc %d: %s", rc, e.msg);
    cr_assert_eq(e.code, NM_E_CANCELLED);
    cr_assert_not_null(strstr(e.msg, "cancelled"), "%s", e.msg);
    cr_assert_eq(s.calls, 2, "no chunk runs after the flag is seen");
    cr_assert_lt(s.max_done, NREC);
    cr_assert_neq(access(out, F_OK), 0, "a cancelled match writes no output");
    cr_assert_str_eq(nm_strerror(NM_E_CANCELLED), "cancelled by the caller");
}

Test(progress, match_cancelled_while_reading, .init = setup, .fini = teardown) {
    /* The flag is up before the call: reading the input (normalization, a
     * long phase of its own) stops at its first row. */
    seen s = {.monotonic = 1, .flag = 1};
    char out[512];
    fx_path(out, sizeof out, "progress_read.csv");
    unlink(out);
    nm_err e = {0};
    int rc = run_match(&s, out, &e);
    cr_assert_eq(rc, NM_E_CANCELLED, "rc %d: %s", rc, e.msg);
    cr_assert_not_null(strstr(e.msg, "cancelled"), "%s", e.msg);
    cr_assert_eq(s.calls, 0, "no progress report: matching never started");
    cr_assert_neq(access(out, F_OK), 0);
}

Test(progress, dedupe_in_memory_cancel) {
    nm_model *m;
    nm_err e = {0};
    cr_assert_eq(nm_model_load("builtin:patient", &m, &e), 0, "%s", e.msg);
    nm_buf b = {0};
    nm_buf_printf(&b, "record_id,first_name,last_name,birth_date\n");
    for (int i = 0; i < 6000; i++) nm_buf_printf(&b, "p%d,ANN%d,LEE,1970-01-%02d\n", i, i % 50, 1 + i % 28);
    char out[512];
    fx_path(out, sizeof out, "progress_dedupe.csv");
    unlink(out);
    nm_link_opts o = {1, -1, 0, {NULL, NULL}, {0, 0}, {b.data, NULL}, {b.len, 0}};
    /* Cancelled before the first chunk: the flag is already up. */
    seen s = {.monotonic = 1, .flag = 1};
    nm_progress pg = {on_progress, &s, &s.flag};
    nm_progress_set(&pg);
    FILE *devnull = fopen("/dev/null", "w");
    int rc = nm_dedupe_file("people", m, out, NULL, &o, NULL, devnull, &e);
    cr_assert_eq(rc, NM_E_CANCELLED, "rc %d: %s", rc, e.msg);
    cr_assert_neq(access(out, F_OK), 0);
    /* Without the flag the same bytes are read from memory and clustered. */
    s.flag = 0;
    nm_link_stats st;
    rc = nm_dedupe_file("people", m, out, NULL, &o, &st, devnull, &e);
    nm_progress_set(NULL);
    fclose(devnull);
    cr_assert_eq(rc, 0, "%s", e.msg);
    cr_assert_eq(st.records[0], 6000);
    cr_assert_eq(access(out, F_OK), 0);
    nm_buf_free(&b);
    nm_model_free(m);
}

static void *other_thread(void *arg) {
    *(const nm_progress **)arg = nm_progress_get();
    return NULL;
}

Test(progress, hook_is_per_thread) {
    nm_progress pg = {NULL, NULL, NULL};
    nm_progress_set(&pg);
    const nm_progress *there = &pg;
    pthread_t t;
    cr_assert_eq(pthread_create(&t, NULL, other_thread, &there), 0);
    pthread_join(t, NULL);
    cr_assert_null(there);
    cr_assert_eq(nm_progress_get(), &pg);
    nm_progress_set(NULL);
}
