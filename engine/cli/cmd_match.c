/* npimatch match --registry R.nmx --input HCPS.csv --out MATCHES.csv [options]
 * Matches every input record to an NPI (npimatch/match.h). */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "cli/cli.h"

static void match_usage(FILE *out) {
    fprintf(out,
            "usage: npimatch match --registry REGISTRY.nmx --input HCPS.csv --out MATCHES.csv\n"
            "                      [--model MODEL.json] [--threads N] [--map field=column ...]\n"
            "                      [--match-probability P] [--ambiguity-gap BITS] [--block-cap N] [--stats]\n"
            "  --input     CSV (plain or .zst) with record_id and a name: first_name/last_name,\n"
            "              organization_name, or a full name in `name`; other default columns:\n"
            "              middle_name suffix credential npi address_line1 address_line2 city state\n"
            "              postal_code phone taxonomy_code license_number license_state\n"
            "  --out       one row per input row, in input order (.zst compresses, - for stdout):\n"
            "              record_id,npi,confidence,match_weight,status,runner_up_npi,\n"
            "              runner_up_confidence,match_key,explanation\n"
            "  --model     model JSON (default: builtin:hcp, the shipped HCP-to-NPPES model)\n"
            "  --map       read a model field (or record_id, name) from another column; repeatable\n"
            "  --match-probability, --ambiguity-gap   override the model's thresholds\n"
            "  --block-cap skip blocks with more registry rows than this (default 2000); counted\n"
            "  --stats     also print per-rule pair counts, skipped and largest blocks\n");
}

static double parse_double(const char *opt, const char *v, double lo, double hi) {
    char *end = NULL;
    double x = v ? strtod(v, &end) : NAN;
    if (!v || !*v || *end || !(x >= lo && x <= hi)) {
        fprintf(stderr, "npimatch match: %s needs a number from %g to %g\n", opt, lo, hi);
        exit(NM_EXIT_USAGE);
    }
    return x;
}

int nm_cmd_match(int argc, char **argv) {
    const char *reg = NULL, *input = NULL, *outp = NULL, *model = "builtin:hcp";
    nm_match_opts mo = {0, 0, -1, -1, 0};
    int stats = 0;
    const char **maps = calloc((size_t)argc + 1, sizeof *maps);
    size_t nmap = 0;
    if (!maps) return NM_EXIT_FAIL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            match_usage(stdout);
            free(maps);
            return NM_EXIT_OK;
        }
        if (!strcmp(a, "--stats")) {
            stats = 1;
            continue;
        }
        if (!v || (a[0] != '-')) {
            fprintf(stderr, "npimatch match: %s '%s'\n", v ? "unexpected argument" : "missing value after", a);
            goto usage;
        }
        i++;
        if (!strcmp(a, "--registry")) reg = v;
        else if (!strcmp(a, "--input")) input = v;
        else if (!strcmp(a, "--out") || !strcmp(a, "-o")) outp = v;
        else if (!strcmp(a, "--model")) model = v;
        else if (!strcmp(a, "--threads")) mo.threads = (int)nm_cli_parse_long("match", a, v, 1, 1024);
        else if (!strcmp(a, "--block-cap")) mo.block_cap = (uint32_t)nm_cli_parse_long("match", a, v, 1, 100000000);
        else if (!strcmp(a, "--match-probability")) mo.match_probability = parse_double(a, v, 0, 1);
        else if (!strcmp(a, "--ambiguity-gap")) mo.ambiguity_gap_bits = parse_double(a, v, 0, 1000);
        else if (!strcmp(a, "--map")) maps[nmap++] = v;
        else {
            fprintf(stderr, "npimatch match: unknown option '%s'\n", a);
            goto usage;
        }
    }
    if (!reg || !input || !outp) {
        fprintf(stderr, "npimatch match: --registry, --input and --out are required\n");
        goto usage;
    }
    nm_err err = {0};
    nm_model *m = NULL;
    nm_registry *r = NULL;
    nm_matcher *mt = NULL;
    nm_match_stats st;
    int rc = nm_model_load(model, &m, &err);
    if (!rc) rc = nm_registry_load_for_match(reg, m, &r, &err);
    if (!rc) rc = nm_matcher_create(r, m, &mo, &mt, &err);
    nm_match_file_opts fo = {maps, nmap};
    if (!rc) rc = nm_match_file(mt, input, outp, &fo, &st, stderr, &err);
    if (!rc) nm_match_stats_print(mt, &st, stats, stderr);
    nm_matcher_free(mt);
    nm_registry_free(r);
    nm_model_free(m);
    free(maps);
    if (rc) {
        nm_cli_error("match", &err);
        return NM_EXIT_FAIL;
    }
    return NM_EXIT_OK;
usage:
    free(maps);
    match_usage(stderr);
    return NM_EXIT_USAGE;
}
