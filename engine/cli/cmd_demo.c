/* npimatch demo: the embedded end-to-end example. Needs no download: it
 * generates a small NPPES-format registry file with the built-in name and
 * address tables, runs the main jobs on it exactly as a user would from the
 * shell (the same subcommand code, called in-process), and says what each
 * step did and how long it took. It grows with the engine: each stage adds
 * its step here. */
#define _XOPEN_SOURCE 700 /* nftw */
#include <errno.h>
#include <ftw.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include "cli/cli.h"
#include "common/io.h"
#include "match/hcp_sample.h"

int nm_cmd_gen(int argc, char **argv) __attribute__((weak));
int nm_cmd_index(int argc, char **argv) __attribute__((weak));
int nm_cmd_info(int argc, char **argv) __attribute__((weak));
int nm_cmd_lookup(int argc, char **argv) __attribute__((weak));
int nm_cmd_match(int argc, char **argv) __attribute__((weak));
int nm_cmd_resolve(int argc, char **argv) __attribute__((weak));
int nm_cmd_persons(int argc, char **argv) __attribute__((weak));
int nm_cmd_eval(int argc, char **argv) __attribute__((weak));

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* Run one subcommand with a printf-built argument list, echoing it like a shell. */
static int step(const char *title, int (*fn)(int, char **), char **args, int nargs) {
    printf("\n== %s\n$ npimatch", title);
    for (int i = 0; i < nargs; i++) printf(" %s", args[i]);
    printf("\n");
    fflush(stdout);
    if (!fn) {
        printf("(not in this build)\n");
        return 0;
    }
    double t0 = now_s();
    optind = 0;   /* each subcommand parses with getopt_long; reset its state */
    int rc = fn(nargs, args);
    fflush(stdout);
    printf("-- %s: exit %d in %.2f s\n", args[0], rc, now_s() - t0);
    return rc;
}

/* Write a buffer to a file atomically. */
static int save(const char *path, const nm_buf *b) {
    nm_writer *w;
    nm_err err;
    if (nm_writer_open(path, 0, &w, &err) || nm_writer_write(w, b->data, b->len, &err) || nm_writer_commit(w, &err)) {
        nm_cli_error("demo", &err);
        return 1;
    }
    return 0;
}

/* The first n lines of a file's text. */
static void print_head(const char *path, const char *text, int n) {
    printf("\nfirst rows of %s:\n", path);
    const char *p = text;
    for (int i = 0; i < n && *p; i++) {
        const char *e = strchr(p, '\n');
        if (!e) break;
        printf("  %.*s\n", (int)(e - p), p);
        p = e + 1;
    }
}

/* HCP records made from the registry with typical errors (typos, nicknames,
 * initials, wrong or mistyped NPIs, missing fields, some providers absent),
 * matched back; show a few rows and the quality against the truth file. */
static int match_step(const char *dir, const char *reg) {
    char hcps[4096], truthp[4096], out[4096];
    snprintf(hcps, sizeof hcps, "%s/hcps.csv", dir);
    snprintf(truthp, sizeof truthp, "%s/hcps_truth.csv", dir);
    snprintf(out, sizeof out, "%s/matches.csv", dir);
    nm_registry *r;
    nm_err err;
    if (nm_registry_load(reg, &r, &err)) {
        nm_cli_error("demo", &err);
        return 1;
    }
    nm_buf csv = {0}, truth = {0};
    nm_hcp_sample_opts so = {2000, 7, 1.0, 0.03};
    int rc = nm_hcp_sample(r, &so, &csv, &truth) || save(hcps, &csv) || save(truthp, &truth);
    nm_registry_free(r);
    printf("\n== Make 2000 HCP records from the registry with realistic errors (%s, truth in %s)\n", hcps, truthp);
    char *match_args[] = {"match", "--registry", (char *)reg, "--input", hcps, "--out", out, "--stats"};
    if (!rc) rc = step("Match them to NPIs", nm_cmd_match, match_args, 8);
    char *text = NULL;
    size_t len;
    if (!rc && nm_cmd_match && !nm_read_all(out, &text, &len, &err)) {
        print_head(out, text, 6);
        /* Quality against the truth (both files are in input order). */
        unsigned long tp = 0, fp = 0, present = 0;
        const char *o = strchr(text, '\n') + 1, *t = strchr(truth.data, '\n') + 1;
        while (*o && *t) {
            const char *tn = strchr(t, ',') + 1, *on = strchr(o, ',') + 1, *st = on;
            for (int k = 0; k < 3; k++) st = strchr(st, ',') + 1;
            int has = *tn != '\n';
            present += has;
            if (!strncmp(st, "matched,", 8)) {
                if (has && !strncmp(tn, on, 10)) tp++;
                else fp++;
            }
            o = strchr(o, '\n') + 1;
            t = strchr(t, '\n') + 1;
        }
        printf("quality against the truth: precision %.4f, recall %.4f (%lu of the 2000 providers are in the registry)\n",
               tp + fp ? (double)tp / (double)(tp + fp) : 0, present ? (double)tp / (double)present : 0, present);
    }
    free(text);
    nm_buf_free(&csv);
    nm_buf_free(&truth);
    return rc;
}

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw) {
    (void)sb, (void)flag, (void)ftw;
    return remove(path);
}

/* Patients over two nights: resolve both into a fresh state, show rows, the
 * changes of night 2, one person's history, and quality against the truth. */
static int resolve_step(const char *dir) {
    char gdir[4000], state[4096], in1[4096], in2[4096], del2[4096], out1[4096], out2[4096], all[4096], empty[4096],
        truth[4096];
    if (strlen(dir) > 3900) return 1;
    snprintf(gdir, sizeof gdir, "%s/patients", dir);
    snprintf(state, sizeof state, "%s/persons-state", dir);
    snprintf(in1, sizeof in1, "%s/night_01.csv", gdir);
    snprintf(in2, sizeof in2, "%s/night_02.csv", gdir);
    snprintf(del2, sizeof del2, "%s/night_02_deletes.csv", gdir);
    snprintf(truth, sizeof truth, "%s/truth.csv", gdir);
    snprintf(out1, sizeof out1, "%s/persons_01.csv", dir);
    snprintf(out2, sizeof out2, "%s/persons_02.csv", dir);
    snprintf(all, sizeof all, "%s/persons_all.csv", dir);
    snprintf(empty, sizeof empty, "%s/no_records.csv", dir);
    nftw(state, rm_entry, 16, FTW_DEPTH | FTW_PHYS);   /* a fresh state: the demo starts at night 1 */
    char *gen_args[] = {"gen", "patients", "--rows", "6000", "--seed", "7", "--sources", "3", "--nights", "2", "--out", gdir};
    if (step("Generate patient feeds: 3 sources, 2 nights, with the person truth", nm_cmd_gen, gen_args, 12)) return 1;
    char *r1[] = {"resolve", "--input", in1, "--state", state, "--out", out1};
    if (step("Resolve night 1 into stable person IDs (a new state)", nm_cmd_resolve, r1, 7)) return 1;
    char *r2[] = {"resolve", "--input", in2, "--delete", del2, "--state", state, "--out", out2};
    if (step("Resolve night 2: arrivals, updates and deletions against night 1", nm_cmd_resolve, r2, 9)) return 1;
    if (!nm_cmd_resolve) return 0;
    char *text = NULL;
    size_t len;
    nm_err err;
    if (nm_read_all(out2, &text, &len, &err)) {
        nm_cli_error("demo", &err);
        return 1;
    }
    print_head(out2, text, 6);
    const char *p;
    /* One record of night 2 that changed person (or joined one), for its history. */
    char rec[256] = "";
    for (p = strchr(text, '\n') + 1; *p && !rec[0];) {
        const char *e = strchr(p, '\n'), *c = e;
        while (c > p && c[-1] != ',') c--;
        if ((!strncmp(c, "merged", 6) || !strncmp(c, "joined", 6)) && e - p < 200) {
            const char *k = strchr(strchr(p, ',') + 1, ',');
            snprintf(rec, sizeof rec, "%.*s", (int)(k - p), p);
            *strchr(rec, ',') = ':';
        }
        p = e + 1;
    }
    free(text);
    if (rec[0]) {
        char *h[] = {"persons", "--state", state, "--record", rec};
        if (step("History of one record that joined or merged tonight", nm_cmd_persons, h, 5)) return 1;
    }
    nm_buf b = {0};
    nm_buf_append(&b, "source,record_id,first_name,last_name\n", 38);
    int rc = save(empty, &b);
    nm_buf_free(&b);
    char *ra[] = {"resolve", "--input", empty, "--state", state, "--out", all, "--all", "--quiet"};
    if (rc || step("Every record of the state with its person (an empty night, --all)", nm_cmd_resolve, ra, 9)) return 1;
    char *ev[] = {"eval", "--truth", truth, "--persons", all, "--worst", "0"};
    return step("Quality of the persons against the truth", nm_cmd_eval, ev, 7);
}

int nm_cmd_demo(int argc, char **argv) {
    const char *dir = "npimatch-demo";
    long rows = 50000;
    static const struct option opts[] = {
        {"dir", required_argument, 0, 'd'}, {"rows", required_argument, 0, 'n'}, {"help", no_argument, 0, 'h'}, {0}};
    int c;
    while ((c = getopt_long(argc, argv, "d:n:h", opts, NULL)) != -1) {
        switch (c) {
        case 'd': dir = optarg; break;
        case 'n': rows = nm_cli_parse_long("demo", "--rows", optarg, 10, 100000000); break;
        case 'h':
            printf("usage: npimatch demo [--dir DIR] [--rows N]\n"
                   "Generates a small NPPES file in DIR (default ./npimatch-demo), builds a registry\n"
                   "snapshot from it and runs every stage of the engine on it.\n");
            return NM_EXIT_OK;
        default: return NM_EXIT_USAGE;
        }
    }
    if (mkdir(dir, 0755) && errno != EEXIST) {
        fprintf(stderr, "npimatch demo: cannot create %s: %s\n", dir, strerror(errno));
        return NM_EXIT_FAIL;
    }
    char nppes[4096], reg[4096], rows_s[32];
    snprintf(nppes, sizeof nppes, "%s/npidata_pfile_demo.csv", dir);
    snprintf(reg, sizeof reg, "%s/registry.nmx", dir);
    snprintf(rows_s, sizeof rows_s, "%ld", rows);
    printf("npimatch %s demo: SIMD level %s, working in %s/\n", NM_VERSION_STRING, nm_simd_name(nm_simd_active()), dir);

    char *gen_args[] = {"gen", "nppes", "--rows", rows_s, "--seed", "42", "--out", nppes};
    if (step("Generate an NPPES-format main file (330 columns) from the built-in tables", nm_cmd_gen, gen_args, 8))
        return NM_EXIT_FAIL;
    char *index_args[] = {"index", "--out", reg, nppes};
    if (step("Ingest it into a registry snapshot", nm_cmd_index, index_args, 4)) return NM_EXIT_FAIL;
    char *info_args[] = {"info", reg};
    if (step("Registry counts", nm_cmd_info, info_args, 2)) return NM_EXIT_FAIL;

    /* Show one stored record: the first active provider of the generated file. */
    nm_registry *r = NULL;
    nm_err err;
    if (nm_cmd_lookup && nm_registry_load(reg, &r, &err) == 0) {
        char npi[16] = "";
        for (size_t i = 0; i < nm_registry_count(r) && !npi[0]; i++) {
            char *json;
            size_t len;
            if (nm_registry_row_json(r, i, &json, &len)) continue;
            const char *p = strstr(json, "\"npi\":");
            if (p && !strstr(json, "\"deactivated\":true")) {
                p += 6;
                while (*p == ' ' || *p == '"') p++;
                size_t k = 0;
                while (k < 10 && p[k] >= '0' && p[k] <= '9') { npi[k] = p[k]; k++; }
                npi[k] = 0;
            }
            free(json);
        }
        nm_registry_free(r);
        char *lookup_args[] = {"lookup", reg, npi};
        if (npi[0] && step("Look up one provider (every kept field)", nm_cmd_lookup, lookup_args, 3))
            return NM_EXIT_FAIL;
    }
    if (match_step(dir, reg)) return NM_EXIT_FAIL;
    if (resolve_step(dir)) return NM_EXIT_FAIL;
    printf("\ndemo finished: files are in %s/\n", dir);
    return NM_EXIT_OK;
}
