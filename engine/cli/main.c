/* npimatch: entry point and subcommand table.
 *
 * Subcommands live in their own files. They are declared weak here so the
 * table can list every planned command while a build without one (a partial
 * checkout, a stage under construction) still links and says so clearly. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cli/cli.h"

/* OpenMP threads that wait for work spin by default (libgomp: 300000
 * rounds before sleeping, even under OMP_WAIT_POLICY=passive alone). On a
 * machine shared with other work, spinning threads take the cores the
 * working ones need, and npimatch's parallel stages (ingest blocks, snapshot
 * frames) all end in such waits: 0.5 CPU-s of a 2-thread index of 2.4 GB.
 * The work items are megabytes, so a futex wake-up costs nothing in
 * comparison. libgomp reads its settings once, in its constructor, before
 * main (and the C library resets the environment after the executable's
 * preinit functions), so unless the user chose a policy the settings are
 * put in the environment and the program re-executes itself once. */
static void nm_omp_no_spin(char **argv) {
    if (getenv("OMP_WAIT_POLICY") || getenv("GOMP_SPINCOUNT")) return;
    if (setenv("OMP_WAIT_POLICY", "passive", 1) || setenv("GOMP_SPINCOUNT", "0", 1)) return;
    execv("/proc/self/exe", argv);   /* returns only on failure: carry on as we are */
}

typedef int (*nm_cmd_fn)(int argc, char **argv);

#define NM_COMMANDS(X)                                                              \
    X(demo, "run the embedded end-to-end example (no download needed)")             \
    X(index, "read NPPES files and write a registry snapshot")                      \
    X(info, "print counts of a registry snapshot")                                  \
    X(lookup, "print stored registry records as JSON")                              \
    X(gen, "generate test data (gen nppes | gen hcp | gen patients)")               \
    X(match, "match HCP records to NPIs")                                           \
    X(train, "estimate a matching model (u by sampling, m by EM)")                  \
    X(resolve, "resolve records into stable person IDs across nightly runs")        \
    X(persons, "show persons, record history and the ID audit log")                 \
    X(link, "link two datasets with a model")                                       \
    X(dedupe, "deduplicate one dataset with a model")                               \
    X(eval, "measure match quality against truth")                                  \
    X(simd, "print the SIMD level in use")

#define NM_X_DECL(name, help) int nm_cmd_##name(int argc, char **argv) __attribute__((weak));
NM_COMMANDS(NM_X_DECL)
#undef NM_X_DECL

int nm_cmd_simd(int argc, char **argv) {
    printf("detected: %s\nactive: %s\n", nm_simd_name(nm_simd_detect()), nm_simd_name(nm_simd_active()));
    return NM_EXIT_OK;
}

static const struct {
    const char *name;
    const char *help;
} commands[] = {
#define NM_X_ROW(name, help) {#name, help},
    NM_COMMANDS(NM_X_ROW)
#undef NM_X_ROW
};

static nm_cmd_fn command_fn(size_t i) {
    static const nm_cmd_fn fns[] = {
#define NM_X_FN(name, help) nm_cmd_##name,
        NM_COMMANDS(NM_X_FN)
#undef NM_X_FN
    };
    return fns[i];
}

static void usage(FILE *out) {
    fprintf(out, "npimatch %s: NPI matching and identity resolution\n\nusage: npimatch COMMAND [OPTIONS]\n\ncommands:\n",
            NM_VERSION_STRING);
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (command_fn(i)) fprintf(out, "  %-9s %s\n", commands[i].name, commands[i].help);
    fprintf(out, "\nRun 'npimatch COMMAND --help' for a command's options.\n");
}

void nm_cli_error(const char *cmd, const nm_err *err) {
    fprintf(stderr, "npimatch %s: %s\n", cmd, err->msg[0] ? err->msg : nm_strerror(err->code));
}

long nm_cli_parse_long(const char *cmd, const char *opt, const char *val, long min, long max) {
    char *end = NULL;
    long v = val ? strtol(val, &end, 10) : 0;
    if (!val || !*val || *end || v < min || v > max) {
        fprintf(stderr, "npimatch %s: %s needs a whole number from %ld to %ld\n", cmd, opt, min, max);
        exit(NM_EXIT_USAGE);
    }
    return v;
}

int main(int argc, char **argv) {
    nm_omp_no_spin(argv);
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        usage(stdout);
        return argc < 2 ? NM_EXIT_USAGE : NM_EXIT_OK;
    }
    if (!strcmp(argv[1], "--version")) {
        printf("npimatch %s (simd: %s)\n", NM_VERSION_STRING, nm_simd_name(nm_simd_active()));
        return NM_EXIT_OK;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
        if (strcmp(argv[1], commands[i].name)) continue;
        nm_cmd_fn fn = command_fn(i);
        if (!fn) {
            fprintf(stderr, "npimatch: '%s' is not part of this build yet\n", argv[1]);
            return NM_EXIT_USAGE;
        }
        return fn(argc - 1, argv + 1);
    }
    fprintf(stderr, "npimatch: unknown command '%s'\n\n", argv[1]);
    usage(stderr);
    return NM_EXIT_USAGE;
}
