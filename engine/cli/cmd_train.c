/* npimatch train --registry R.nmx --input HCPS.csv --out MODEL.json [options]
 * Estimates a model's u from random pairs (seeded) and m by EM over the
 * pairs of each training blocking rule (or from labelled pairs), starting
 * from a model file (default the shipped HCP model), and writes it as JSON. */
#include <stdlib.h>
#include <string.h>
#include "cli/cli.h"
#include "common/error_internal.h"
#include "match/train_pairs.h"

static void train_usage(FILE *out) {
    fprintf(out,
            "usage: npimatch train --registry REGISTRY.nmx --input HCPS.csv --out MODEL.json\n"
            "                      [--model BASE.json] [--seed S] [--random-pairs N] [--labels LABELS.csv]\n"
            "                      [--threads N] [--map field=column ...]\n"
            "  u: level frequencies of N random (record, provider) pairs (default 200000, seeded);\n"
            "  m: EM, one run per training blocking rule of the model with that rule's comparisons\n"
            "     held fixed, final m = median over runs (Splink's practice);\n"
            "  --labels: CSV record_id,npi of known matches: m from them, u from random pairs.\n"
            "Without --registry (generic CSV inputs): npimatch train --input A.csv [--right B.csv] --model M.json ...\n");
}

int nm_cmd_train(int argc, char **argv) {
    /* Without a registry: dedupe or link training on CSV inputs (cmd_link.c). */
    int has_registry = 0;
    for (int i = 1; i < argc; i++) has_registry |= !strcmp(argv[i], "--registry");
    if (!has_registry && argc > 1 && strcmp(argv[1], "--help") && strcmp(argv[1], "-h")) return nm_cli_train_files(argc, argv);
    const char *reg = NULL, *input = NULL, *outp = NULL, *model = "builtin:hcp";
    nm_train_opts to = {1, 0, 0, NULL};
    nm_match_opts mo = {0, 0, -1, -1, 1};
    const char **maps = calloc((size_t)argc + 1, sizeof *maps);
    size_t nmap = 0;
    if (!maps) return NM_EXIT_FAIL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            train_usage(stdout);
            free(maps);
            return NM_EXIT_OK;
        }
        if (!v || a[0] != '-') {
            fprintf(stderr, "npimatch train: %s '%s'\n", v ? "unexpected argument" : "missing value after", a);
            goto usage;
        }
        i++;
        if (!strcmp(a, "--registry")) reg = v;
        else if (!strcmp(a, "--input")) input = v;
        else if (!strcmp(a, "--out") || !strcmp(a, "-o")) outp = v;
        else if (!strcmp(a, "--model")) model = v;
        else if (!strcmp(a, "--labels")) to.labels = v;
        else if (!strcmp(a, "--seed")) to.seed = (uint64_t)nm_cli_parse_long("train", a, v, 0, 0x7FFFFFFFFFFFFFFFL);
        else if (!strcmp(a, "--random-pairs")) to.random_pairs = (uint64_t)nm_cli_parse_long("train", a, v, 1, 1000000000);
        else if (!strcmp(a, "--threads")) mo.threads = (int)nm_cli_parse_long("train", a, v, 1, 1024);
        else if (!strcmp(a, "--map")) maps[nmap++] = v;
        else {
            fprintf(stderr, "npimatch train: unknown option '%s'\n", a);
            goto usage;
        }
    }
    if (!reg || !input || !outp) {
        fprintf(stderr, "npimatch train: --registry, --input and --out are required\n");
        goto usage;
    }
    nm_err err = {0};
    nm_model *m = NULL, *trained = NULL;
    nm_registry *r = NULL;
    nm_matcher *mt = NULL;
    nm_input in;
    int have_in = 0;
    nm_train_report rep;
    int rc = nm_model_load(model, &m, &err);
    if (!rc) rc = nm_registry_load_for_match(reg, m, &r, &err);
    if (!rc) rc = nm_matcher_create(r, m, &mo, &mt, &err);
    nm_input_opts io = {maps, nmap, mt ? mt->threads : 0, NULL, 0};
    if (!rc && !(rc = nm_input_read(&in, input, m, &io, &err))) have_in = 1;
    if (have_in) nm_diag_print(&in.diag, (const char *const[]){input}, stderr);
    if (!rc) rc = nm_model_clone(m, &trained) ? nm_err_set(&err, NM_E_NOMEM, "out of memory") : 0;
    if (!rc) rc = nm_train_against_registry(mt, &in, trained, &to, &rep, &err);
    if (!rc) rc = nm_model_save(trained, outp, &err);
    if (!rc) {
        fprintf(stderr, "npimatch train: u from %llu random pairs", (unsigned long long)rep.random_pairs);
        if (to.labels) fprintf(stderr, ", m from %llu labelled pairs\n", (unsigned long long)rep.labelled);
        else {
            fprintf(stderr, "; m by EM:\n");
            for (size_t i = 0; i < rep.nruns; i++) {
                const nm_blocking_rule *br = nm_model_training_rule(trained, i);
                fprintf(stderr, "  %-20s %llu pairs, %d iterations%s, lambda %.3g\n", br ? br->name : "blocked pairs",
                        (unsigned long long)rep.rule_pairs[i], rep.em[i].iterations,
                        rep.em[i].converged ? "" : " (not converged)", rep.em[i].lambda);
            }
        }
        fprintf(stderr, "  -> %s\n", outp);
    }
    if (have_in) nm_input_free(&in);
    nm_matcher_free(mt);
    nm_registry_free(r);
    nm_model_free(trained);
    nm_model_free(m);
    free(maps);
    if (rc) {
        nm_cli_error("train", &err);
        return NM_EXIT_FAIL;
    }
    return NM_EXIT_OK;
usage:
    free(maps);
    train_usage(stderr);
    return NM_EXIT_USAGE;
}
