/* The state directory (engine/state/state.h): round trip, carried sections,
 * generations kept, the lock against a second process, version and
 * corruption refusal, crash safety (fault injection at every named point and
 * SIGKILL in the middle of a large write: the previous generation stays
 * readable and the rerun gives the uninterrupted result), and the
 * `npimatch persons` command on a state built here. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "cluster/cluster.h"
#include "common/arena.h"
#include "common/json.h"
#include "gen/gen.h"
#include "ids/ids.h"
#include "state/state.h"

#define THR 0.95
#define T0 1764000000LL   /* run time of night 0 (fixed: results must compare equal) */

static void tmp_dir(char *out, size_t cap, const char *name) {
    snprintf(out, cap, "%s/state_%d_%s", NM_TEST_TMPDIR, (int)getpid(), name);
    char cmd[4200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", out);
    cr_assert_eq(system(cmd), 0);
}

/* ---- a scripted sequence of nights, run the way `npimatch resolve` will ----
 * Records s:1..s:7. Night 1: persons {1,2,3} {4,5} {6}. Night 2: s:6 deleted,
 * s:7 arrives linking 3 and 4: the two persons merge. Night 3: 1 and 5 are
 * found confidently different: the weakest link (7-4) is refused and {4,5}
 * splits off. Night 4 and later: nothing changes. */
typedef struct spec_edge {
    int a, b;
    double w;
    int diff;
} spec_edge;

static int alive(int night, int r) { return r <= 5 || (r == 6 && night == 1) || (r == 7 && night >= 2); }

static size_t edges_of(int night, spec_edge *e) {
    size_t n = 0;
    e[n++] = (spec_edge){1, 2, 20, 0};
    e[n++] = (spec_edge){2, 3, 20, 0};
    e[n++] = (spec_edge){4, 5, 20, 0};
    e[n++] = (spec_edge){3, 7, 10, 0};
    e[n++] = (spec_edge){7, 4, 9, 0};
    e[n++] = (spec_edge){5, 6, 2, 0};   /* below the threshold */
    if (night >= 3) e[n++] = (spec_edge){1, 5, -25, 1};
    return n;
}

static int apply_night(nm_state *st, int night, nm_err *err) {
    char names[8][8];
    nm_key keys[8], dkeys[8];
    uint32_t prev[8], fs[8], dprev[8], rmap[8];
    size_t n = 0, nd = 0;
    nm_state_records *old = nm_state_records_of(st);
    uint32_t gen = nm_state_generation(st) + 1;
    for (int r = 1; r <= 7; r++) {
        names[r][0] = 's';
        names[r][1] = 0;
        names[r][2] = (char)('0' + r);
        names[r][3] = 0;
        nm_key k = {names[r], 3};
        int64_t row = nm_records_find(old, k.p, k.len);
        if (alive(night, r)) {
            rmap[r] = (uint32_t)n;
            keys[n] = k;
            prev[n] = row >= 0 ? old->person.v[row] : NM_ID_NONE;
            fs[n++] = row >= 0 ? old->first_seen.v[row] : gen;
        } else if (row >= 0) {
            dkeys[nd] = k;
            dprev[nd++] = old->person.v[row];
        }
    }
    spec_edge se[16];
    size_t nse = edges_of(night, se), ne = 0;
    nm_cluster_edge e[16];
    for (size_t k = 0; k < nse; k++)
        if (alive(night, se[k].a) && alive(night, se[k].b))
            e[ne++] = (nm_cluster_edge){rmap[se[k].a], rmap[se[k].b], se[k].w, 1.0 / (1.0 + pow(2.0, -se[k].w)),
                                        (uint8_t)se[k].diff};
    nm_cluster_result cr;
    int rc = nm_cluster(keys, n, e, ne, NULL, 0, THR, &cr, err);
    if (rc) return rc;
    nm_ids_input in = {.gen = gen, .n = n, .keys = keys, .first_seen = fs, .prev = prev, .cluster = cr.cluster,
                       .n_edges = ne, .edges = e, .edge_state = cr.edge_state, .n_deleted = nd,
                       .deleted_keys = dkeys, .deleted_prev = dprev};
    nm_ids_output o;
    rc = nm_ids_assign(nm_state_ids(st), &in, &o, err);
    if (rc) {
        nm_cluster_result_free(&cr);
        return rc;
    }
    /* Tonight's table: every affected record is a change (its ID may have
     * moved even if its fields did not); deleted records go. */
    nm_state_records ch = {0}, nr = {0};
    for (size_t i = 0; i < n; i++)   /* keys are already in order */
        nm_records_push(&ch, keys[i].p, keys[i].len, fs[i], o.id[i], (float)cr.strength[i]);
    rc = nm_records_apply(old, &ch, dkeys, nd, &nr, err);
    nm_records_free(&ch);
    if (rc) return rc;
    nm_state_set_records(st, &nr);
    rc = nm_state_audit_add(st, o.events, o.n_events, keys, dkeys, err);
    char fields[32];
    int fl = snprintf(fields, sizeof fields, "fields of night %d", night);
    if (!rc) rc = nm_state_put_section(st, "fields", fields, (size_t)fl, err);
    if (!rc && night == 1) {
        char blk[1000];
        for (int i = 0; i < 1000; i++) blk[i] = (char)(i * 7);
        rc = nm_state_put_section(st, "blocking", blk, sizeof blk, err);
    }
    nm_cluster_result_free(&cr);
    nm_ids_output_free(&o);
    if (!rc) rc = nm_state_commit(st, T0 + 86400LL * night, err);
    return rc;
}

static void run_nights(const char *dir, int from, int to) {
    for (int night = from; night <= to; night++) {
        nm_state *st;
        nm_err err = {0};
        cr_assert_eq(nm_state_open(dir, NM_STATE_WRITE, &st, &err), 0, "%s", err.msg);
        cr_assert_eq(apply_night(st, night, &err), 0, "night %d: %s", night, err.msg);
        nm_state_close(st);
    }
}

static int append_audit(void *ctx, uint32_t gen, const char *text, size_t len) {
    (void)gen;
    return nm_buf_append(ctx, text, len);
}

/* Everything a reader can see, as one string: equal strings = equal states. */
static char *snapshot(const char *dir) {
    nm_state *st;
    nm_err err = {0};
    cr_assert_eq(nm_state_open(dir, NM_STATE_READ, &st, &err), 0, "%s", err.msg);
    nm_buf b = {0};
    nm_buf_printf(&b, "gen %u time %lld\n", nm_state_generation(st), (long long)nm_state_run_time(st));
    const nm_state_records *r = nm_state_records_of(st);
    for (size_t i = 0; i < r->n; i++) {
        nm_key k = nm_records_key(r, i);
        char id[NM_ID_LEN + 1];
        nm_id_format(r->person.v[i], id);
        nm_buf_printf(&b, "rec %.*s %u %s %.6f\n", (int)k.len - 2, k.p + 2, r->first_seen.v[i], id,
                      (double)r->confidence.v[i]);
    }
    const nm_idtab *t = nm_state_ids(st);
    for (size_t i = 0; i < t->n; i++)
        nm_buf_printf(&b, "id %zu %u %u %u %u\n", i, t->v[i].status, t->v[i].successor, t->v[i].issued_gen,
                      t->v[i].members);
    const char *names[16];
    size_t ns = nm_state_section_names(st, names, 16);
    for (size_t i = 0; i < ns; i++) {
        const void *p;
        size_t len;
        cr_assert_eq(nm_state_get_section(st, names[i], &p, &len, &err), 0, "%s", err.msg);
        nm_buf_printf(&b, "section %s %zu %016llx\n", names[i], len, (unsigned long long)len * 31 + (len ? ((const unsigned char *)p)[len - 1] : 0));
        nm_buf_append(&b, p, len < 64 ? len : 64);
        nm_buf_putc(&b, '\n');
    }
    cr_assert_eq(nm_state_audit_foreach(st, append_audit, &b, &err), 0, "%s", err.msg);
    nm_state_close(st);
    return b.data;
}

static int exists(const char *dir, const char *name) {
    char p[4400];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    struct stat s;
    return stat(p, &s) == 0;
}

/* ---- round trip ------------------------------------------------------------ */

Test(state, round_trip_and_generations) {
    char dir[4096];
    tmp_dir(dir, sizeof dir, "rt");
    nm_state *st;
    nm_err err = {0};
    cr_assert_eq(nm_state_open(dir, NM_STATE_READ, &st, &err), NM_E_NOTFOUND);
    cr_assert(strstr(err.msg, "not an npimatch state directory"), "%s", err.msg);
    cr_assert_eq(nm_state_open(dir, NM_STATE_WRITE, &st, &err), 0, "%s", err.msg);
    cr_assert_eq(nm_state_generation(st), 0);
    cr_assert_eq(apply_night(st, 1, &err), 0, "%s", err.msg);
    cr_assert_eq(nm_state_generation(st), 1);
    nm_state_close(st);

    cr_assert_eq(nm_state_open(dir, NM_STATE_READ, &st, &err), 0, "%s", err.msg);
    cr_assert_eq(nm_state_generation(st), 1);
    cr_assert_eq(nm_state_run_time(st), T0 + 86400);
    const nm_state_records *r = nm_state_records_of(st);
    cr_assert_eq(r->n, 6);
    cr_assert_eq(nm_records_find(r, "s\0" "3", 3), 2);
    cr_assert_eq(nm_records_find(r, "s\0" "9", 3), -1);
    cr_assert_eq(r->person.v[0], r->person.v[2]);
    cr_assert_neq(r->person.v[0], r->person.v[3]);
    cr_assert_eq(nm_state_ids(st)->n, 3);
    const void *p;
    size_t len;
    cr_assert_eq(nm_state_get_section(st, "fields", &p, &len, &err), 0, "%s", err.msg);
    cr_assert_eq(len, 17);
    cr_assert_eq(memcmp(p, "fields of night 1", 17), 0);
    cr_assert_eq(nm_state_get_section(st, "nothing", &p, &len, &err), NM_E_NOTFOUND);
    cr_assert_eq(nm_state_put_section(st, "Bad-Name", "x", 1, &err), NM_E_ARG);
    cr_assert_eq(nm_state_commit(st, 0, &err), NM_E_ARG, "a reader cannot commit");
    nm_state_close(st);

    run_nights(dir, 2, 3);
    /* Two generations kept; every audit segment kept; no debris. */
    cr_assert(!exists(dir, "gen-000001"));
    cr_assert(exists(dir, "gen-000002"));
    cr_assert(exists(dir, "gen-000003"));
    cr_assert(exists(dir, "audit/gen-000001.log.zst"));
    cr_assert(exists(dir, "audit/gen-000003.log.zst"));
    cr_assert(!exists(dir, "CURRENT.next"));
    /* The blocking section was put on night 1 only: carried by hard link. */
    char path[4400];
    snprintf(path, sizeof path, "%s/gen-000003/s-blocking.zst", dir);
    struct stat s;
    cr_assert_eq(stat(path, &s), 0);
    cr_assert_eq(s.st_nlink, 2, "gen 2 and gen 3 share the file");
    cr_assert_eq(nm_state_open(dir, NM_STATE_READ, &st, &err), 0, "%s", err.msg);
    cr_assert_eq(nm_state_get_section(st, "blocking", &p, &len, &err), 0, "%s", err.msg);
    cr_assert_eq(len, 1000);
    cr_assert_eq(((const unsigned char *)p)[999], (unsigned char)(999 * 7));

    /* The story of the scripted nights: merge on night 2, split on night 3. */
    r = nm_state_records_of(st);
    const nm_idtab *t = nm_state_ids(st);
    uint32_t a = r->person.v[0];
    cr_assert_eq(a, 0, "person {1,2,3} kept the oldest ID through the merge and the split");
    cr_assert_eq(r->person.v[nm_records_find(r, "s\0" "7", 3)], a);
    uint32_t b = r->person.v[nm_records_find(r, "s\0" "4", 3)];
    cr_assert_eq(b, 3, "the part split off got the next new ID");
    cr_assert_eq(t->v[1].status, NM_ID_RETIRED);   /* {4,5}'s first ID, merged on night 2 */
    cr_assert_eq(t->v[1].successor, 0);
    cr_assert_eq(t->v[2].status, NM_ID_EMPTY);     /* {6}, deleted on night 2 */
    nm_state_close(st);
}

static nm_key K(const char *s) { return (nm_key){s, (uint32_t)strlen(s)}; }

Test(state, records_apply_and_members_by_person) {
    nm_state_records old = {0}, ch = {0}, out = {0};
    const char *ok[] = {"a", "c", "e", "g"};
    for (int i = 0; i < 4; i++) nm_records_push(&old, ok[i], 1, 1, (uint32_t)(i % 2), 0.5f);
    nm_records_push(&ch, "b", 1, 2, 1, 0.9f);   /* new */
    nm_records_push(&ch, "e", 1, 1, 2, 0.8f);   /* moved */
    nm_records_push(&ch, "h", 1, 2, 2, 0.7f);   /* new, last */
    nm_key del[] = {K("g"), K("a"), K("zz")};   /* any order; unknown keys are ignored */
    nm_err err = {0};
    cr_assert_eq(nm_records_apply(&old, &ch, del, 3, &out, &err), 0, "%s", err.msg);
    const char *want[] = {"b", "c", "e", "h"};
    uint32_t want_p[] = {1, 1, 2, 2};
    cr_assert_eq(out.n, 4);
    for (size_t i = 0; i < 4; i++) {
        nm_key k = nm_records_key(&out, i);
        cr_assert(k.len == 1 && k.p[0] == want[i][0]);
        cr_assert_eq(out.person.v[i], want_p[i]);
    }
    cr_assert_float_eq(out.confidence.v[2], 0.8f, 1e-6);

    uint32_t *start, *rows;
    cr_assert_eq(nm_records_by_person(&out, 3, &start, &rows, &err), 0);
    cr_assert_eq(start[0], 0);
    cr_assert_eq(start[1], 0, "ID 0 has no member any more");
    cr_assert_eq(start[2], 2);
    cr_assert_eq(start[3], 4);
    cr_assert_eq(rows[0], 0);
    cr_assert_eq(rows[1], 1);
    cr_assert_eq(rows[2], 2);
    cr_assert_eq(rows[3], 3);
    free(start);
    free(rows);
    cr_assert_eq(nm_records_by_person(&out, 2, &start, &rows, &err), NM_E_ARG);
    nm_records_free(&out);

    /* A key both changed and deleted, and unsorted changes, are refused. */
    nm_key del2[] = {K("h")};
    cr_assert_eq(nm_records_apply(&old, &ch, del2, 1, &out, &err), NM_E_ARG);
    cr_assert_eq(out.n, 0);
    nm_records_push(&ch, "d", 1, 2, 2, 0.7f);
    cr_assert_eq(nm_records_apply(&old, &ch, NULL, 0, &out, &err), NM_E_ARG);
    nm_records_free(&old);
    nm_records_free(&ch);
}

/* ---- lock ---------------------------------------------------------------------- */

Test(state, a_second_writer_is_refused_while_readers_proceed) {
    char dir[4096];
    tmp_dir(dir, sizeof dir, "lock");
    run_nights(dir, 1, 1);
    nm_state *st;
    nm_err err = {0};
    cr_assert_eq(nm_state_open(dir, NM_STATE_WRITE, &st, &err), 0, "%s", err.msg);
    int fds[2];
    cr_assert_eq(pipe(fds), 0);
    pid_t pid = fork();
    if (pid == 0) {
        close(fds[0]);
        nm_state *s2, *s3;
        nm_err e2 = {0};
        int rc = nm_state_open(dir, NM_STATE_WRITE, &s2, &e2);
        if (write(fds[1], e2.msg, strlen(e2.msg) + 1) < 0) _exit(3);
        if (rc != NM_E_LOCKED) _exit(1);
        if (nm_state_open(dir, NM_STATE_READ, &s3, &e2)) _exit(2);
        nm_state_close(s3);
        _exit(0);
    }
    close(fds[1]);
    char msg[600] = {0};
    ssize_t got = read(fds[0], msg, sizeof msg - 1);
    close(fds[0]);
    int status;
    cr_assert_eq(waitpid(pid, &status, 0), pid);
    cr_assert(got > 0);
    cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child status %d: %s", status, msg);
    char want[128];
    snprintf(want, sizeof want, "is locked by another run (pid %d)", (int)getpid());
    cr_assert(strstr(msg, want), "%s", msg);
    cr_assert(strstr(msg, dir), "%s", msg);
    nm_state_close(st);
    /* Released on close. */
    cr_assert_eq(nm_state_open(dir, NM_STATE_WRITE, &st, &err), 0, "%s", err.msg);
    nm_state_close(st);
}

/* ---- version and corruption ------------------------------------------------------ */

static void rewrite_file(const char *path, const char *from, const char *to) {
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f);
    char buf[8192];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    char *p = strstr(buf, from);
    cr_assert_not_null(p);
    char out[8300];
    int k = snprintf(out, sizeof out, "%.*s%s%s", (int)(p - buf), buf, to, p + strlen(from));
    f = fopen(path, "wb");
    fwrite(out, 1, (size_t)k, f);
    fclose(f);
}

Test(state, another_version_and_damage_are_refused) {
    char dir[4096], path[4400];
    tmp_dir(dir, sizeof dir, "ver");
    run_nights(dir, 1, 1);
    snprintf(path, sizeof path, "%s/gen-000001/MANIFEST", dir);
    rewrite_file(path, "npimatch-state 1\n", "npimatch-state 2\n");
    nm_state *st;
    nm_err err = {0};
    cr_assert_eq(nm_state_open(dir, NM_STATE_READ, &st, &err), NM_E_VERSION);
    cr_assert(strstr(err.msg, "format 2") && strstr(err.msg, "reads format 1"), "%s", err.msg);
    cr_assert_eq(nm_state_open(dir, NM_STATE_WRITE, &st, &err), NM_E_VERSION, "a writer refuses too");
    rewrite_file(path, "npimatch-state 2\n", "npimatch-state 1\n");
    cr_assert_eq(nm_state_open(dir, NM_STATE_READ, &st, &err), 0, "%s", err.msg);
    nm_state_close(st);

    /* A changed manifest line: its checksum fails. */
    rewrite_file(path, "run_time 17", "run_time 27");
    cr_assert_eq(nm_state_open(dir, NM_STATE_READ, &st, &err), NM_E_CORRUPT);
    rewrite_file(path, "run_time 27", "run_time 17");

    /* A flipped byte in the record table. */
    snprintf(path, sizeof path, "%s/gen-000001/records.zst", dir);
    FILE *f = fopen(path, "r+b");
    fseek(f, 20, SEEK_SET);
    int c = fgetc(f);
    fseek(f, 20, SEEK_SET);
    fputc(c ^ 0x40, f);
    fclose(f);
    cr_assert_eq(nm_state_open(dir, NM_STATE_READ, &st, &err), NM_E_CORRUPT, "%s", err.msg);

    /* CURRENT naming a missing generation. */
    tmp_dir(dir, sizeof dir, "ver2");
    run_nights(dir, 1, 1);
    snprintf(path, sizeof path, "%s/CURRENT", dir);
    rewrite_file(path, "gen-000001", "gen-000005");
    cr_assert_eq(nm_state_open(dir, NM_STATE_READ, &st, &err), NM_E_CORRUPT);
    cr_assert(strstr(err.msg, "missing"), "%s", err.msg);
}

static int count_bytes(void *ctx, uint32_t gen, const char *text, size_t len) {
    (void)gen;
    (void)text;
    *(size_t *)ctx += len;
    return 0;
}

Test(state, a_replaced_or_missing_audit_segment_is_detected) {
    char dir[4096], other[4096], a[4400], b[4400];
    tmp_dir(dir, sizeof dir, "audit");
    tmp_dir(other, sizeof other, "audit2");
    run_nights(dir, 1, 2);
    run_nights(other, 1, 1);
    nm_state *st;
    nm_err err = {0};
    size_t bytes = 0;
    cr_assert_eq(nm_state_open(dir, NM_STATE_READ, &st, &err), 0, "%s", err.msg);
    cr_assert_eq(nm_state_audit_foreach(st, count_bytes, &bytes, &err), 0, "%s", err.msg);
    cr_assert_gt(bytes, 100);
    nm_state_close(st);
    /* Segment 2 replaced by a valid zstd file with other events (segment 1
     * of another state, whose night differs): the chain no longer holds. */
    snprintf(a, sizeof a, "%s/audit/gen-000002.log.zst", dir);
    snprintf(b, sizeof b, "%s/audit/gen-000001.log.zst", other);
    cr_assert_eq(rename(b, a), 0);
    cr_assert_eq(nm_state_open(dir, NM_STATE_READ, &st, &err), 0, "%s", err.msg);
    cr_assert_eq(nm_state_audit_foreach(st, count_bytes, &bytes, &err), NM_E_CORRUPT);
    cr_assert(strstr(err.msg, "chain"), "%s", err.msg);
    cr_assert_eq(unlink(a), 0);
    cr_assert_eq(nm_state_audit_foreach(st, count_bytes, &bytes, &err), NM_E_CORRUPT);
    cr_assert(strstr(err.msg, "missing"), "%s", err.msg);
    nm_state_close(st);
}

Test(state, inconsistent_tables_are_never_committed) {
    char dir[4096];
    tmp_dir(dir, sizeof dir, "bad");
    run_nights(dir, 1, 1);
    nm_state *st;
    nm_err err = {0};
    cr_assert_eq(nm_state_open(dir, NM_STATE_WRITE, &st, &err), 0, "%s", err.msg);
    nm_state_records_of(st)->person.v[0] = nm_state_records_of(st)->person.v[3];   /* counts disagree */
    cr_assert_eq(nm_state_commit(st, T0, &err), NM_E_INTERNAL);
    nm_state_close(st);
    cr_assert(!exists(dir, "gen-000002"));
    char *s = snapshot(dir);
    cr_assert(strstr(s, "gen 1 "));
    free(s);
}

/* ---- crash safety ------------------------------------------------------------------ */

static void check_fault(const char *point) {
    char dir[4096], ref[4096];
    tmp_dir(dir, sizeof dir, point);
    tmp_dir(ref, sizeof ref, "ref");
    run_nights(ref, 1, 1);
    char *ref1 = snapshot(ref);
    run_nights(ref, 2, 2);
    char *ref2 = snapshot(ref);
    run_nights(ref, 3, 3);
    char *ref3 = snapshot(ref);

    run_nights(dir, 1, 1);
    pid_t pid = fork();
    if (pid == 0) {
        setenv("NPIMATCH_FAULT", point, 1);
        nm_state *st;
        nm_err err = {0};
        if (nm_state_open(dir, NM_STATE_WRITE, &st, &err)) _exit(2);
        apply_night(st, 2, &err);
        _exit(0);   /* the fault point was not reached */
    }
    int status;
    cr_assert_eq(waitpid(pid, &status, 0), pid);
    cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 137, "%s: child status %d", point, status);

    /* The live generation is a complete one: the previous, or the new one
     * once CURRENT was switched. */
    char *now = snapshot(dir);
    int switched = !strcmp(point, "after_current_switch");
    cr_assert_str_eq(now, switched ? ref2 : ref1, "%s", point);
    free(now);

    /* The next run succeeds (the lock died with the child) and gives the
     * uninterrupted result. */
    if (!switched) run_nights(dir, 2, 2);
    now = snapshot(dir);
    cr_assert_str_eq(now, ref2, "%s", point);
    free(now);
    run_nights(dir, 3, 3);
    now = snapshot(dir);
    cr_assert_str_eq(now, ref3, "%s", point);
    free(now);
    cr_assert(!exists(dir, "gen-000001"), "%s: old generations are removed", point);
    cr_assert(!exists(dir, "CURRENT.next"));
    free(ref1);
    free(ref2);
    free(ref3);
}

Test(state, fault_mid_section) { check_fault("mid_section"); }
Test(state, fault_after_gen_write) { check_fault("after_gen_write"); }
Test(state, fault_before_current_switch) { check_fault("before_current_switch"); }
Test(state, fault_after_current_switch) { check_fault("after_current_switch"); }

Test(state, a_crash_during_the_first_night_leaves_no_state) {
    char dir[4096], ref[4096];
    tmp_dir(dir, sizeof dir, "first");
    tmp_dir(ref, sizeof ref, "firstref");
    run_nights(ref, 1, 1);
    char *ref1 = snapshot(ref);
    pid_t pid = fork();
    if (pid == 0) {
        setenv("NPIMATCH_FAULT", "before_current_switch", 1);
        nm_state *st;
        nm_err err = {0};
        if (nm_state_open(dir, NM_STATE_WRITE, &st, &err)) _exit(2);
        apply_night(st, 1, &err);
        _exit(0);
    }
    int status;
    cr_assert_eq(waitpid(pid, &status, 0), pid);
    cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 137);
    nm_state *st;
    nm_err err = {0};
    cr_assert_eq(nm_state_open(dir, NM_STATE_READ, &st, &err), NM_E_NOTFOUND, "no generation was switched in");
    run_nights(dir, 1, 1);
    char *now = snapshot(dir);
    cr_assert_str_eq(now, ref1);
    free(now);
    free(ref1);
}

static int big_tmp_exists(const char *gdir) {
    DIR *d = opendir(gdir);
    if (!d) return 0;
    struct dirent *e;
    int found = 0;
    while ((e = readdir(d)))
        if (!strncmp(e->d_name, "s-big.zst.tmp.", 14)) found = 1;
    closedir(d);
    return found;
}

Test(state, sigkill_in_the_middle_of_a_large_write) {
    char dir[4096], ref[4096], gdir[4200];
    tmp_dir(dir, sizeof dir, "kill");
    tmp_dir(ref, sizeof ref, "killref");
    run_nights(ref, 1, 2);
    char *ref2 = snapshot(ref);
    run_nights(dir, 1, 1);
    char *ref1 = snapshot(dir);
    snprintf(gdir, sizeof gdir, "%s/gen-000002", dir);
    pid_t pid = fork();
    if (pid == 0) {
        nm_state *st;
        nm_err err = {0};
        if (nm_state_open(dir, NM_STATE_WRITE, &st, &err)) _exit(2);
        size_t n = (size_t)48 << 20;   /* incompressible: zstd works on every byte */
        uint64_t *big = malloc(n), x = 12345;
        for (size_t i = 0; i < n / 8; i++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            big[i] = x;
        }
        if (nm_state_put_section_owned(st, "big", big, n, &err)) _exit(3);
        apply_night(st, 2, &err);
        _exit(0);
    }
    /* Kill as soon as the big section's temporary file appears. */
    int killed = 0;
    for (int i = 0; i < 200000 && !killed; i++) {
        if (big_tmp_exists(gdir)) {
            kill(pid, SIGKILL);
            killed = 1;
        } else {
            usleep(100);
        }
    }
    int status;
    cr_assert_eq(waitpid(pid, &status, 0), pid);
    cr_assert(killed && WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL, "the child was not killed mid-write");
    char *now = snapshot(dir);
    cr_assert_str_eq(now, ref1);
    free(now);
    run_nights(dir, 2, 2);
    now = snapshot(dir);
    cr_assert_str_eq(now, ref2);
    free(now);
    cr_assert(!big_tmp_exists(gdir), "debris removed");
    free(ref1);
    free(ref2);
}

/* Night 2 with a 16 MB incompressible section, so a commit takes long
 * enough for kills at random moments to land in its every phase. */
static int night2_big(const char *dir) {
    nm_state *st;
    nm_err err = {0};
    if (nm_state_open(dir, NM_STATE_WRITE, &st, &err)) return 2;
    size_t n = (size_t)16 << 20;
    uint64_t *big = malloc(n), x = 777;
    for (size_t i = 0; i < n / 8; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        big[i] = x;
    }
    if (nm_state_put_section_owned(st, "big", big, n, &err)) return 3;
    int rc = apply_night(st, 2, &err);
    nm_state_close(st);
    return rc ? 4 : 0;
}

Test(state, sigkill_at_random_moments) {
    char dir[4096], ref[4096];
    tmp_dir(ref, sizeof ref, "rndref");
    run_nights(ref, 1, 1);
    char *ref1 = snapshot(ref);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    cr_assert_eq(night2_big(ref), 0);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    uint64_t span = (uint64_t)((t1.tv_sec - t0.tv_sec) * 1000000 + (t1.tv_nsec - t0.tv_nsec) / 1000) + 1;
    char *ref2 = snapshot(ref);
    uint64_t seed = 5;
    int before = 0, after = 0;
    for (int round = 0; round < 8; round++) {
        tmp_dir(dir, sizeof dir, "rnd");
        run_nights(dir, 1, 1);
        pid_t pid = fork();
        if (pid == 0) _exit(night2_big(dir));
        usleep((useconds_t)(nm_splitmix64(&seed) % (span + span / 4)));   /* within the run's length */
        kill(pid, SIGKILL);
        int status;
        cr_assert_eq(waitpid(pid, &status, 0), pid);
        cr_assert(WIFSIGNALED(status) || (WIFEXITED(status) && WEXITSTATUS(status) == 0));
        /* Either the previous generation or the complete new one. */
        char *now = snapshot(dir);
        int is1 = !strcmp(now, ref1), is2 = !strcmp(now, ref2);
        cr_assert(is1 || is2, "round %d: the state is neither night 1 nor night 2", round);
        before += is1;
        after += is2;
        free(now);
        if (is1) cr_assert_eq(night2_big(dir), 0, "the rerun succeeds");
        now = snapshot(dir);
        cr_assert_str_eq(now, ref2);
        free(now);
    }
    cr_log_info("random kills: %d before the switch, %d after", before, after);
    free(ref1);
    free(ref2);
}

/* ---- npimatch persons --------------------------------------------------------------- */

static char *run_cli(const char *args, int *status) {
    char cmd[8400];
    snprintf(cmd, sizeof cmd, "%s persons %s 2>&1", NM_CLI_PATH, args);
    FILE *p = popen(cmd, "r");
    cr_assert_not_null(p);
    nm_buf b = {0};
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, p)) > 0) nm_buf_append(&b, buf, n);
    int st = pclose(p);
    *status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    if (!b.data) nm_buf_append(&b, "", 0);
    return b.data;
}

static int valid_json(const char *s) {
    nm_arena a;
    nm_arena_init(&a, 1 << 16);
    nm_json *j;
    int rc = nm_json_parse(s, strlen(s), "out", &a, &j, NULL);
    nm_arena_free(&a);
    return rc == 0;
}

Test(state, persons_command_shows_ids_records_and_the_audit_log) {
    char dir[4096], args[4400];
    tmp_dir(dir, sizeof dir, "cli");
    run_nights(dir, 1, 3);
    char id0[NM_ID_LEN + 1], id1[NM_ID_LEN + 1], id3[NM_ID_LEN + 1];
    nm_id_format(0, id0);
    nm_id_format(1, id1);
    nm_id_format(3, id3);
    int status;

    /* A retired ID resolves to the ID it was merged into. */
    snprintf(args, sizeof args, "--state %s --id %s", dir, id1);
    char *out = run_cli(args, &status);
    cr_assert_eq(status, 0, "%s", out);
    char want[128];
    snprintf(want, sizeof want, "status\tretired\nresolves_to\t%s\n", id0);
    cr_assert(strstr(out, want), "%s", out);
    cr_assert(strstr(out, "  s:7\t"), "%s", out);
    snprintf(want, sizeof want, "merged_into\t%s\t%s\t", id1, id0);
    cr_assert(strstr(out, want), "history shows the merge:\n%s", out);
    free(out);

    snprintf(args, sizeof args, "--state %s --id %s --json", dir, id3);
    out = run_cli(args, &status);
    cr_assert_eq(status, 0, "%s", out);
    cr_assert(valid_json(out), "%s", out);
    cr_assert(strstr(out, "\"event\":\"split_from\""), "%s", out);
    cr_assert(strstr(out, "\"record_id\":\"4\""), "%s", out);
    free(out);

    /* A record's history: joined on night 2 (record s:4: moved on night 3). */
    snprintf(args, sizeof args, "--state %s --record s:4", dir);
    out = run_cli(args, &status);
    cr_assert_eq(status, 0, "%s", out);
    snprintf(want, sizeof want, "person\t%s\n", id3);
    cr_assert(strstr(out, want), "%s", out);
    cr_assert(strstr(out, "\tjoined\t"), "%s", out);
    cr_assert(strstr(out, "\trecord_moved\t"), "%s", out);
    cr_assert(strstr(out, "\tmerged_into\t"), "the merge of an ID it held:\n%s", out);
    free(out);
    snprintf(args, sizeof args, "--state %s --record s:6 --json", dir);
    out = run_cli(args, &status);
    cr_assert_eq(status, 0, "%s", out);
    cr_assert(valid_json(out), "%s", out);
    cr_assert(strstr(out, "\"person\":null") && strstr(out, "record_removed"), "%s", out);
    free(out);

    /* The whole log: a header and one line per event, time in UTC. */
    snprintf(args, sizeof args, "--state %s --audit", dir);
    out = run_cli(args, &status);
    cr_assert_eq(status, 0, "%s", out);
    cr_assert(!strncmp(out, "generation\ttime\tevent", 21), "%s", out);
    cr_assert(strstr(out, "1\t2025-11-25T16:00:00Z\tissued\t"), "%s", out);
    size_t lines = 0;
    for (const char *p = out; *p; p++) lines += *p == '\n';
    cr_assert_geq(lines, 15, "%s", out);
    free(out);
    snprintf(args, sizeof args, "--state %s --audit --json", dir);
    out = run_cli(args, &status);
    for (char *line = strtok(out, "\n"); line; line = strtok(NULL, "\n")) cr_assert(valid_json(line), "%s", line);
    free(out);

    /* Errors. */
    snprintf(args, sizeof args, "--state %s --id PNOTANID", dir);
    out = run_cli(args, &status);
    cr_assert_eq(status, 1);
    cr_assert(strstr(out, "is not a person ID"), "%s", out);
    free(out);
    snprintf(args, sizeof args, "--state %s --record s:99", dir);
    out = run_cli(args, &status);
    cr_assert_eq(status, 1);
    free(out);
    snprintf(args, sizeof args, "--state %s", dir);
    out = run_cli(args, &status);
    cr_assert_eq(status, 2);
    free(out);
}
