/* npimatch resolve --input RECORDS.csv --state DIR --out PERSONS.csv
 *                  [--model MODEL.json] [--registry REGISTRY.nmx] [--delete KEYS.csv] [--full]
 *                  [--all] [--threads N]
 *
 * One night of person resolution against a state directory (resolve/
 * resolve.h for what a night does, state/state.h for the directory). */
#include <stdlib.h>
#include <string.h>
#include "cli/cli.h"
#include "resolve/resolve.h"

#define CMD "resolve"

static void usage(FILE *out) {
    fprintf(out,
            "usage: npimatch resolve --input RECORDS.csv --state DIR --out PERSONS.csv\n"
            "                        [--model MODEL.json] [--registry REGISTRY.nmx] [--delete KEYS.csv]\n"
            "                        [--full] [--all] [--threads N]\n"
            "  --input    tonight's records: source, record_id and the model's fields (upserts)\n"
            "  --state    state directory (created on the first night; one run at a time)\n"
            "  --out      source,record_id,person_id,confidence,change per input row\n"
            "             (change: new, unchanged, joined, merged, split, moved; deleted\n"
            "             records are not listed, see `npimatch persons --audit`)\n"
            "  --model    model JSON (default: the state's, else builtin:patient, with --registry\n"
            "             builtin:hcp_person); a model other than the state's is refused\n"
            "  --registry the input is HCP records (the fields of `npimatch match`): each new or\n"
            "             changed one is matched to an NPI of this registry first; the same\n"
            "             matched NPI makes one person, different ones never do; PERSONS.csv\n"
            "             gets an npi column. A state is built with or without it for life\n"
            "  --delete   CSV of source,record_id keys to remove tonight\n"
            "  --full     the input is everything: stored keys not in it are removed\n"
            "  --all      write every record of the state, not only tonight's\n"
            "  --threads  worker threads (default: all cores)\n"
            "  --block-cap N  blocking keys shared by more than N records are skipped\n"
            "             (their pairs are found by the other rules; default 200)\n"
            "  --quiet    no summary on stderr\n");
}

int nm_cmd_resolve(int argc, char **argv) {
    nm_resolve_opts o = {0};
    int quiet = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            return NM_EXIT_OK;
        } else if (!strcmp(a, "--full")) {
            o.full = 1;
        } else if (!strcmp(a, "--all")) {
            o.all = 1;
        } else if (!strcmp(a, "--quiet")) {
            quiet = 1;
        } else if (i + 1 < argc && !strcmp(a, "--input")) {
            o.input = argv[++i];
        } else if (i + 1 < argc && !strcmp(a, "--state")) {
            o.state_dir = argv[++i];
        } else if (i + 1 < argc && !strcmp(a, "--out")) {
            o.out = argv[++i];
        } else if (i + 1 < argc && !strcmp(a, "--model")) {
            o.model = argv[++i];
        } else if (i + 1 < argc && !strcmp(a, "--delete")) {
            o.delete_path = argv[++i];
        } else if (i + 1 < argc && !strcmp(a, "--threads")) {
            o.threads = (int)nm_cli_parse_long(CMD, a, argv[++i], 1, 1024);
        } else if (i + 1 < argc && !strcmp(a, "--block-cap")) {
            o.block_cap = (uint32_t)nm_cli_parse_long(CMD, a, argv[++i], 1, 1000000);
        } else if (i + 1 < argc && !strcmp(a, "--registry")) {
            o.registry = argv[++i];
        } else {
            fprintf(stderr, "npimatch resolve: unexpected argument '%s'\n", a);
            usage(stderr);
            return NM_EXIT_USAGE;
        }
    }
    if (!o.input || !o.state_dir || !o.out) {
        usage(stderr);
        return NM_EXIT_USAGE;
    }
    nm_err err = {0};
    nm_resolve_stats st;
    if (nm_resolve_run(&o, &st, &err)) {
        nm_cli_error(CMD, &err);
        return NM_EXIT_FAIL;
    }
    if (!quiet) nm_resolve_stats_print(&st, stderr);
    return NM_EXIT_OK;
}
