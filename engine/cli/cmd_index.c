/* npimatch index --out REGISTRY.nmx [--threads N] [--strict] [--quiet] FILE...
 * Reads NPPES files (main, weekly, othername, pl, deactivation lists; plain,
 * .zst or "-") and writes a registry snapshot atomically, with the matcher's
 * registry-side data for the model (builtin:hcp unless --model; none with
 * --no-match-data) so that `match` does not rebuild it at every load.
 * --registry OLD.nmx instead of FILE...: re-save an existing snapshot (e.g.
 * format 1, or for another model) with that data. */
#include <stdlib.h>
#include <string.h>
#include "cli/cli.h"

static void index_usage(FILE *out) {
    fprintf(out,
            "usage: npimatch index --out REGISTRY.nmx [--threads N] [--strict] [--quiet]\n"
            "                      [--model MODEL.json | --no-match-data] (FILE... | --registry OLD.nmx)\n"
            "  FILE: NPPES main (monthly or weekly), othername, pl or deactivation-list files,\n"
            "        plain, .zst or - for stdin; later main rows replace earlier ones by NPI.\n"
            "  --model   store the matcher's normalized rows, term frequencies and blocking\n"
            "            indexes for this model (default builtin:hcp): `match` then skips building them\n"
            "  --no-match-data  store the registry only (smaller file, slower `match` start)\n"
            "  --registry  re-save an existing snapshot (with the match data) instead of reading NPPES\n"
            "  --strict  fail (exit 1, no snapshot) if any row is rejected or field nulled\n"
            "  --quiet   no per-row report\n");
}

int nm_cmd_index(int argc, char **argv) {
    const char *outp = NULL, *model = "builtin:hcp", *old = NULL;
    nm_index_opts o = {0};
    const char **files = calloc((size_t)argc + 1, sizeof *files);
    size_t nfiles = 0;
    if (!files) return NM_EXIT_FAIL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            index_usage(stdout);
            free(files);
            return NM_EXIT_OK;
        } else if (!strcmp(a, "--out") || !strcmp(a, "-o")) {
            if (++i >= argc) goto usage;
            outp = argv[i];
        } else if (!strcmp(a, "--threads")) {
            if (++i >= argc) goto usage;
            o.threads = (int)nm_cli_parse_long("index", "--threads", argv[i], 1, 1024);
        } else if (!strcmp(a, "--model") || !strcmp(a, "--registry")) {
            if (++i >= argc) goto usage;
            *(a[2] == 'm' ? &model : &old) = argv[i];
        } else if (!strcmp(a, "--no-match-data")) {
            model = NULL;
        } else if (!strcmp(a, "--strict")) {
            o.strict = 1;
        } else if (!strcmp(a, "--quiet")) {
            o.quiet = 1;
        } else if (a[0] == '-' && a[1]) {
            fprintf(stderr, "npimatch index: unknown option '%s'\n", a);
            goto usage;
        } else {
            files[nfiles++] = a;
        }
    }
    if (!outp || !nfiles == !old) goto usage;
    nm_err err = {0};
    nm_registry *r = NULL;
    nm_index_stats st;
    memset(&st, 0, sizeof st);
    int rc = old ? nm_registry_load(old, &r, &err) : nm_registry_build(files, nfiles, &o, &r, &st, &err);
    free(files);
    if (rc) {
        nm_cli_error("index", &err);
        return NM_EXIT_FAIL;
    }
    nm_model *m = NULL;
    nm_matcher *mt = NULL;
    nm_match_opts mo = {o.threads, 0, -1, -1, 0};
    if (model && !(rc = nm_model_load(model, &m, &err)) && !(rc = nm_matcher_create(r, m, &mo, &mt, &err)))
        rc = nm_registry_save_with_matcher(r, mt, outp, &err);
    else if (!model)
        rc = nm_registry_save_with_matcher(r, NULL, outp, &err);
    nm_matcher_free(mt);
    nm_model_free(m);
    nm_registry_info info;
    nm_registry_get_info(r, &info);
    nm_registry_free(r);
    if (rc) {
        nm_cli_error("index", &err);
        return NM_EXIT_FAIL;
    }
    if (!o.quiet)
        fprintf(stderr,
                "npimatch index: %llu providers (%llu rows read, %llu skipped, %llu fields nulled, "
                "%llu replaced by later rows) -> %s\n",
                (unsigned long long)info.providers, (unsigned long long)st.rows_read,
                (unsigned long long)st.rows_skipped, (unsigned long long)st.fields_nulled,
                (unsigned long long)st.providers_updated, outp);
    return NM_EXIT_OK;
usage:
    free(files);
    index_usage(stderr);
    return NM_EXIT_USAGE;
}
