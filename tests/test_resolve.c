/* `npimatch resolve` (engine/resolve/resolve.h) run through the CLI on small
 * generated patient series (`npimatch gen patients`) and hand-made CSVs:
 * re-running a night changes nothing; row order and thread count do not
 * change persons or IDs; every ID change of a multi-night series is one of
 * ids.h's rules 1-4 and a person whose members did not change keeps its ID;
 * a run killed at every fault point of the commit and rerun ends where an
 * uninterrupted run ends; deletions; quality against the generator's truth. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "common/arena.h"
#include "ids/ids.h"
#include "resolve_fixture.h"

#define HEADER "source,record_id,first_name,middle_name,last_name,suffix,birth_date,sex,address_line1,address_line2,city,state,postal_code,phone,email\n"

static void gen(const char *dir, int rows, int seed, int nights) {
    cr_assert_eq(sh("%s gen patients --rows %d --seed %d --sources 3 --nights %d --out '%s/g' >/dev/null 2>&1",
                    NM_CLI_PATH, rows, seed, nights, dir),
                 0);
}

/* Resolve night k of dir/g into dir/STATE, output dir/OUT. */
static int resolve(const char *dir, const char *state, const char *input, const char *del, const char *out,
                   const char *extra) {
    char dl[4400] = "";
    if (del && access(del, F_OK) == 0) snprintf(dl, sizeof dl, "--delete '%s'", del);
    return sh("%s resolve --quiet --input '%s' %s --state '%s/%s' --out '%s/%s' %s", NM_CLI_PATH, input, dl, dir, state,
              dir, out, extra ? extra : "");
}

static int night(const char *dir, const char *state, int k, const char *out, const char *extra) {
    char in[4200], del[4200];
    snprintf(in, sizeof in, "%s/g/night_%02d.csv", dir, k);
    snprintf(del, sizeof del, "%s/g/night_%02d_deletes.csv", dir, k);
    return resolve(dir, state, in, del, out, extra);
}

/* Every record of the state (an empty night with --all: key order). */
static char *all_of(const char *dir, const char *state) {
    char empty[4200], out[4200];
    snprintf(empty, sizeof empty, "%s/empty.csv", dir);
    FILE *f = fopen(empty, "w");
    fputs(HEADER, f);
    fclose(f);
    cr_assert_eq(resolve(dir, state, empty, NULL, "all.csv", "--all"), 0);
    snprintf(out, sizeof out, "%s/all.csv", dir);
    return slurp(out);
}

/* ---- tests ------------------------------------------------------------------- */

Test(resolve, rerun_of_a_night_changes_nothing) {
    char dir[4096];
    tmp_dir(dir, sizeof dir, "rerun");
    gen(dir, 1500, 11, 2);
    cr_assert_eq(night(dir, "st", 1, "p1.csv", NULL), 0);
    cr_assert_eq(night(dir, "st", 2, "p2.csv", NULL), 0);
    char *before = all_of(dir, "st");
    cr_assert_eq(night(dir, "st", 2, "p2b.csv", "--threads 2"), 0);
    char *first = slurp_in(dir, "p2.csv"), *again = slurp_in(dir, "p2b.csv");
    ptab a = parse(first), b = parse(again);
    cr_assert_eq(a.n, b.n);
    cr_assert_gt(a.n, 100);
    size_t not_unchanged = 0;
    for (size_t i = 0; i < a.n; i++) {
        cr_assert_str_eq(a.r[i].key, b.r[i].key);
        cr_assert_str_eq(a.r[i].id, b.r[i].id, "%s", a.r[i].key);
        cr_assert_str_eq(b.r[i].change, "unchanged", "%s: %s", b.r[i].key, b.r[i].change);
        not_unchanged += strcmp(a.r[i].change, "unchanged") != 0;
    }
    cr_assert_gt(not_unchanged, 0, "the first run of night 2 changed something");
    char *after = all_of(dir, "st");
    cr_assert_str_eq(before, after);
    free(first), free(again), free(before), free(after), free(a.r), free(b.r);
}

Test(resolve, row_order_and_threads_do_not_change_ids) {
    char dir[4096], in[4300], sh_in[4300], del[4300];
    tmp_dir(dir, sizeof dir, "order");
    gen(dir, 2000, 5, 3);
    for (int k = 1; k <= 3; k++) {
        snprintf(in, sizeof in, "%s/g/night_%02d.csv", dir, k);
        snprintf(sh_in, sizeof sh_in, "%s/shuffled_%02d.csv", dir, k);
        snprintf(del, sizeof del, "%s/g/night_%02d_deletes.csv", dir, k);
        shuffle_file(in, sh_in, (unsigned)k);
        cr_assert_eq(resolve(dir, "a", in, del, "pa.csv", "--threads 1"), 0);
        cr_assert_eq(resolve(dir, "b", sh_in, del, "pb.csv", "--threads 2"), 0);
        assert_same_persons(dir, "pa.csv", "pb.csv", k);
    }
    char *x = all_of(dir, "a"), *y = all_of(dir, "b");
    cr_assert_str_eq(x, y);
    free(x), free(y);
}

/* Every ID change is one of the rules; a person whose members did not change
 * keeps its ID; labels agree with what the IDs did. */
Test(resolve, id_changes_follow_the_rules) {
    char dir[4096], out[4300];
    tmp_dir(dir, sizeof dir, "rules");
    gen(dir, 3000, 23, 4);
    size_t seen[NM_CHANGE_COUNT] = {0};
    ptab prev = {0};
    nm_buf m1 = {0}, m2 = {0};
    for (int k = 1; k <= 4; k++) {
        cr_assert_eq(night(dir, "st", k, "p.csv", NULL), 0);
        snprintf(out, sizeof out, "%s/p.csv", dir);
        char *t = slurp(out);
        ptab cur = parse(t);
        char *at = all_of(dir, "st");
        ptab all = parse(at);
        for (size_t i = 0; i < cur.n; i++) {
            const prow *r = &cur.r[i], *o = find(&prev, r->key);
            const prow *a = find(&all, r->key);
            cr_assert_not_null(a);
            cr_assert_str_eq(a->id, r->id);
            int c;
            for (c = 0; c < NM_CHANGE_COUNT && strcmp(nm_change_name(c), r->change); c++) {}
            cr_assert_lt(c, NM_CHANGE_COUNT, "unknown label %s", r->change);
            seen[c]++;
            if (!o) {
                /* new record: a new person (ID never seen) or joined an existing one */
                cr_assert(c == NM_CHANGE_NEW || c == NM_CHANGE_JOINED, "%s: %s", r->key, r->change);
                cr_assert_eq(has_id(&prev, r->id), c == NM_CHANGE_JOINED, "%s", r->key);
            } else if (!strcmp(o->id, r->id)) {
                cr_assert_eq(c, NM_CHANGE_UNCHANGED, "%s: %s", r->key, r->change);
            } else {
                cr_assert(c == NM_CHANGE_MERGED || c == NM_CHANGE_SPLIT || c == NM_CHANGE_MOVED, "%s", r->key);
                if (c == NM_CHANGE_MERGED) {
                    /* rule 3: the oldest ID survives */
                    cr_assert(has_id(&prev, r->id));
                    cr_assert_lt(id_index(r->id), id_index(o->id), "%s", r->key);
                }
                if (c == NM_CHANGE_SPLIT) cr_assert(!has_id(&prev, r->id), "%s: split into an old ID", r->key);
            }
        }
        /* A person of the previous night whose member set is unchanged keeps its ID. */
        for (size_t i = 0; i < prev.n; i++) {
            if (i && !strcmp(prev.r[i - 1].id, prev.r[i].id)) continue;
            const prow *a = find(&all, prev.r[i].key);
            if (!a) continue;
            members(&prev, prev.r[i].id, &m1);
            members(&all, a->id, &m2);
            if (!strcmp(m1.data, m2.data)) cr_assert_str_eq(a->id, prev.r[i].id, "%s", prev.r[i].key);
        }
        free(prev.r);
        prev = all;
        free(cur.r), free(t), free(at);
    }
    free(prev.r);
    nm_buf_free(&m1), nm_buf_free(&m2);
    cr_assert_gt(seen[NM_CHANGE_NEW], 0);
    cr_assert_gt(seen[NM_CHANGE_JOINED], 0);
    cr_assert_gt(seen[NM_CHANGE_MERGED] + seen[NM_CHANGE_SPLIT] + seen[NM_CHANGE_MOVED], 0,
                 "the series exercised no merge or split");
}

Test(resolve, killed_at_every_fault_point_then_rerun) {
    static const char *points[] = {"mid_section", "after_gen_write", "before_current_switch", "after_current_switch"};
    char dir[4096], out[4300];
    tmp_dir(dir, sizeof dir, "fault");
    gen(dir, 1200, 31, 2);
    cr_assert_eq(night(dir, "ref", 1, "r1.csv", NULL), 0);
    cr_assert_eq(night(dir, "ref", 2, "r2.csv", NULL), 0);
    snprintf(out, sizeof out, "%s/r2.csv", dir);
    char *ref2 = slurp(out), *ref_all = all_of(dir, "ref");
    for (size_t i = 0; i < sizeof points / sizeof *points; i++) {
        char st[64];
        snprintf(st, sizeof st, "s%zu", i);
        cr_assert_eq(night(dir, st, 1, "f1.csv", NULL), 0);
        setenv("NPIMATCH_FAULT", points[i], 1);
        int rc = night(dir, st, 2, "f2.csv", NULL);
        unsetenv("NPIMATCH_FAULT");
        cr_assert_eq(rc, 137, "%s: exit %d", points[i], rc);
        /* PERSONS.csv is written before the commit: the killed run's is complete. */
        snprintf(out, sizeof out, "%s/f2.csv", dir);
        char *killed = slurp(out);
        cr_assert_str_eq(killed, ref2, "%s", points[i]);
        cr_assert_eq(night(dir, st, 2, "f2.csv", NULL), 0);
        char *rerun = slurp(out);
        if (i < 3) {
            cr_assert_str_eq(rerun, ref2, "%s", points[i]);   /* not committed: the night is redone */
        } else {
            /* committed before the kill: the rerun finds nothing to change */
            ptab a = parse(ref2), b = parse(rerun);
            cr_assert_eq(a.n, b.n);
            for (size_t j = 0; j < a.n; j++) {
                cr_assert_str_eq(a.r[j].id, b.r[j].id);
                cr_assert_str_eq(b.r[j].change, "unchanged");
            }
            free(a.r), free(b.r);
        }
        char *all = all_of(dir, st);
        cr_assert_str_eq(all, ref_all, "%s", points[i]);
        free(killed), free(rerun), free(all);
    }
    free(ref2), free(ref_all);
}

Test(resolve, upserts_deletes_and_full) {
    char dir[4096], in[4300], del[4300], out[4300];
    tmp_dir(dir, sizeof dir, "upsert");
    snprintf(in, sizeof in, "%s/n1.csv", dir);
    write_file(in, HEADER
               "A,1,JOHN,Q,PUBLIC,,1970-01-02,M,12 MAIN ST,,SPRINGFIELD,IL,62701,217-555-0101,jq@example.com\n"
               "B,7,John,,Public,,1970-01-02,M,12 Main Street,,Springfield,IL,62701,2175550101,\n"
               "A,2,MARY,,SHELLEY,,1985-07-30,F,4 ELM RD,,DOVER,DE,19901,302-555-0199,\n"
               "A,3,PETER,,PAN,,2001-03-04,M,1 STAR WAY,,NEVERLAND,ME,04001,,\n");
    cr_assert_eq(resolve(dir, "st", in, NULL, "p1.csv", NULL), 0);
    snprintf(out, sizeof out, "%s/p1.csv", dir);
    char *t1 = slurp(out);
    ptab a = parse(t1);
    cr_assert_eq(a.n, 4);
    cr_assert_str_eq(find(&a, "A,1")->id, find(&a, "B,7")->id);   /* the same person twice */
    cr_assert_str_neq(find(&a, "A,1")->id, find(&a, "A,2")->id);
    /* Night 2: MARY changes address (same person), A,3 deleted, a new record. */
    snprintf(in, sizeof in, "%s/n2.csv", dir);
    write_file(in, HEADER "A,2,MARY,,SHELLEY,,1985-07-30,F,9 OAK AVE,,DOVER,DE,19901,302-555-0199,\n"
                          "C,1,MARY,,SHELLEY,,1985-07-30,F,9 OAK AVE,,DOVER,DE,19901,,\n");
    snprintf(del, sizeof del, "%s/d2.csv", dir);
    write_file(del, "source,record_id\nA,3\nZ,404\n");
    cr_assert_eq(resolve(dir, "st", in, del, "p2.csv", NULL), 0);
    snprintf(out, sizeof out, "%s/p2.csv", dir);
    char *t2 = slurp(out);
    ptab b = parse(t2);
    cr_assert_eq(b.n, 2);
    cr_assert_str_eq(find(&b, "A,2")->id, find(&a, "A,2")->id);
    cr_assert_str_eq(find(&b, "A,2")->change, "unchanged");
    cr_assert_str_eq(find(&b, "C,1")->id, find(&a, "A,2")->id);
    cr_assert_str_eq(find(&b, "C,1")->change, "joined");
    char *at = all_of(dir, "st");
    ptab all = parse(at);
    cr_assert_eq(all.n, 4);
    cr_assert_null(find(&all, "A,3"));
    /* --full with only B,7: everything else goes. */
    snprintf(in, sizeof in, "%s/n3.csv", dir);
    write_file(in, HEADER "B,7,John,,Public,,1970-01-02,M,12 Main Street,,Springfield,IL,62701,2175550101,\n");
    cr_assert_eq(resolve(dir, "st", in, NULL, "p3.csv", "--full"), 0);
    char *at3 = all_of(dir, "st");
    ptab all3 = parse(at3);
    cr_assert_eq(all3.n, 1);
    cr_assert_str_eq(all3.r[0].id, find(&a, "B,7")->id);   /* it lost A,1 and keeps its ID (rule 4) */
    /* Another model than the state's is refused. */
    cr_assert_eq(sh("%s resolve --quiet --input '%s' --state '%s/st' --out '%s/x.csv' --model builtin:febrl 2>/dev/null",
                    NM_CLI_PATH, in, dir, dir),
                 1);
    free(t1), free(t2), free(at), free(at3), free(a.r), free(b.r), free(all.r), free(all3.r);
}

static double json_num(const char *js, const char *obj, const char *key) {
    const char *o = strstr(js, obj);
    cr_assert_not_null(o, "%s", obj);
    const char *k = strstr(o, key);
    cr_assert_not_null(k, "%s", key);
    return atof(strchr(k, ':') + 1);
}

Test(resolve, quality_against_truth) {
    char dir[4096], out[4300];
    tmp_dir(dir, sizeof dir, "quality");
    gen(dir, 4000, 7, 3);
    for (int k = 1; k <= 3; k++) cr_assert_eq(night(dir, "st", k, "p.csv", NULL), 0);
    char *all = all_of(dir, "st");
    free(all);
    cr_assert_eq(sh("%s eval --truth '%s/g/truth.csv' --persons '%s/all.csv' --json '%s/q.json' >/dev/null", NM_CLI_PATH,
                    dir, dir, dir),
                 0);
    snprintf(out, sizeof out, "%s/q.json", dir);
    char *js = slurp(out);
    double f1 = json_num(js, "\"pairwise\"", "\"f1\""), bp = json_num(js, "\"bcubed\"", "\"precision\"");
    cr_log_info("pairwise F1 %.4f, B-cubed precision %.4f", f1, bp);
    cr_assert_geq(f1, 0.97, "pairwise F1 %.4f", f1);
    cr_assert_geq(bp, 0.99, "B-cubed precision %.4f", bp);
    free(js);
}
