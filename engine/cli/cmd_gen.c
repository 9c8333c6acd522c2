/* npimatch gen: synthetic test data.
 *
 * One row per generator in GENERATORS below; `gen hcp` and `gen patients`
 * are added the same way (a parse-and-run function taking the arguments after
 * the generator name). */
#include <stdlib.h>
#include <string.h>
#include "cli/cli.h"
#include "gen/gen.h"

static int usage_nppes(FILE *out) {
    fprintf(out,
            "usage: npimatch gen nppes --rows N --seed S --out FILE [--threads N] [--layout 330|329]\n"
            "                          [--deactivated-fraction F]\n\n"
            "Write a synthetic NPPES main file (npidata_pfile layout: quoted header, every field quoted,\n"
            "MM/DD/YYYY dates, LF line ends). Same seed => same bytes, whatever --threads.\n"
            "FILE ending in .zst is zstd-compressed; '-' writes to stdout.\n"
            "  --layout 330   current header (default); 329: the 2015 header (Provider Gender Code)\n"
            "  --deactivated-fraction F   share of deactivated stub rows (default 0.015)\n");
    return out == stdout ? NM_EXIT_OK : NM_EXIT_USAGE;
}

static int run_nppes(int argc, char **argv) {
    const char *cmd = "gen nppes";
    nm_gen_nppes_opts o = {.rows = 0, .seed = 1, .threads = 0, .layout = 330, .deactivated = 0.015, .out = NULL};
    int have_rows = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) return usage_nppes(stdout);
        if (!v) {
            fprintf(stderr, "npimatch %s: %s needs a value\n", cmd, a);
            return usage_nppes(stderr);
        }
        i++;
        if (!strcmp(a, "--rows")) o.rows = (uint64_t)nm_cli_parse_long(cmd, a, v, 0, NM_GEN_NPI_SPACE), have_rows = 1;
        else if (!strcmp(a, "--seed")) o.seed = (uint64_t)nm_cli_parse_long(cmd, a, v, 0, 0x7FFFFFFFFFFFFFFFL);
        else if (!strcmp(a, "--threads")) o.threads = (int)nm_cli_parse_long(cmd, a, v, 1, 1024);
        else if (!strcmp(a, "--layout")) o.layout = (int)nm_cli_parse_long(cmd, a, v, 329, 330);
        else if (!strcmp(a, "--out")) o.out = v;
        else if (!strcmp(a, "--deactivated-fraction")) {
            char *end = NULL;
            o.deactivated = strtod(v, &end);
            if (!*v || *end || !(o.deactivated >= 0 && o.deactivated <= 1)) {
                fprintf(stderr, "npimatch %s: --deactivated-fraction needs a number from 0 to 1\n", cmd);
                return NM_EXIT_USAGE;
            }
        } else {
            fprintf(stderr, "npimatch %s: unknown option '%s'\n", cmd, a);
            return usage_nppes(stderr);
        }
    }
    if (!have_rows || !o.out) {
        fprintf(stderr, "npimatch %s: --rows and --out are required\n", cmd);
        return usage_nppes(stderr);
    }
    nm_err err = {0};
    if (nm_gen_nppes(&o, &err) < 0) {
        nm_cli_error(cmd, &err);
        return NM_EXIT_FAIL;
    }
    return NM_EXIT_OK;
}

static const struct {
    const char *name;
    const char *help;
    int (*run)(int argc, char **argv);
} GENERATORS[] = {
    {"nppes", "a synthetic NPPES main file (330 or 329 columns)", run_nppes},
};

static void usage(FILE *out) {
    fprintf(out, "usage: npimatch gen GENERATOR [OPTIONS]\n\ngenerators:\n");
    for (size_t i = 0; i < sizeof GENERATORS / sizeof GENERATORS[0]; i++)
        fprintf(out, "  %-9s %s\n", GENERATORS[i].name, GENERATORS[i].help);
    fprintf(out, "\nRun 'npimatch gen GENERATOR --help' for its options.\n");
}

int nm_cmd_gen(int argc, char **argv) {
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? NM_EXIT_USAGE : NM_EXIT_OK;
    }
    for (size_t i = 0; i < sizeof GENERATORS / sizeof GENERATORS[0]; i++)
        if (!strcmp(argv[1], GENERATORS[i].name)) return GENERATORS[i].run(argc - 1, argv + 1);
    fprintf(stderr, "npimatch gen: unknown generator '%s'\n\n", argv[1]);
    usage(stderr);
    return NM_EXIT_USAGE;
}
