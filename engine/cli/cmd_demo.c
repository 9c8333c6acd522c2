/* npimatch demo: the embedded end-to-end example. Needs no download: it
 * generates a small NPPES-format registry file with the built-in name and
 * address tables, runs the main jobs on it exactly as a user would from the
 * shell (the same subcommand code, called in-process), and says what each
 * step did and how long it took. It grows with the engine: each stage adds
 * its step here. */
#include <errno.h>
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
        printf("\nfirst rows of %s:\n", out);
        const char *p = text;
        for (int i = 0; i < 6 && *p; i++) {
            const char *e = strchr(p, '\n');
            if (!e) break;
            printf("  %.*s\n", (int)(e - p), p);
            p = e + 1;
        }
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
    printf("\ndemo finished: files are in %s/\n", dir);
    return NM_EXIT_OK;
}
