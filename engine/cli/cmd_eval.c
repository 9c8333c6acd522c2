/* npimatch eval: match quality against generated truth (engine/eval). */
#include <stdlib.h>
#include <string.h>
#include "cli/cli.h"
#include "common/io.h"
#include "eval/eval.h"

static int usage(FILE *out) {
    fprintf(out,
            "usage: npimatch eval --truth TRUTH.csv --matches MATCHES.csv [--json OUT.json] [--sweep SWEEP.csv]\n"
            "                     [--stats STATS.json] [--worst N]\n"
            "       npimatch eval --truth TRUTH.csv --persons PERSONS.csv [--json OUT.json] [--worst N]\n\n"
            "NPI matching: TRUTH has record_id,npi (gen hcp); MATCHES has record_id, npi, confidence, status\n"
            "(runner_up_npi and explanation used when present). Prints precision/recall/F1 at the model's\n"
            "thresholds (status 'matched'), the best-F1 confidence threshold, calibration bins, top-2 candidate\n"
            "recall, pairs per record and blocking recall from --stats, and the worst false positives/negatives.\n"
            "Resolution: TRUTH has source,record_id,person_id (gen patients); PERSONS has source, record_id,\n"
            "person_id (confidence, change optional). Prints pairwise and B-cubed precision/recall/F1,\n"
            "over-merged and split persons, calibration. See docs/eval.md for the formats.\n"
            "  --json FILE    write the report as JSON     --sweep FILE   threshold,precision,recall,f1 (NPI)\n"
            "  --stats FILE   {\"records\": N, \"pairs_compared\": N, \"seconds\": S, \"candidates\": \"cands.csv\"}\n"
            "  --worst N      cases listed for review (default 10)\n");
    return out == stdout ? NM_EXIT_OK : NM_EXIT_USAGE;
}

static int write_buf(const char *path, const nm_buf *b, nm_err *err) {
    nm_writer *w;
    int rc = nm_writer_open(path, 0, &w, err);
    if (rc) return rc;
    rc = nm_writer_write(w, b->data, b->len, err);
    if (rc) {
        nm_writer_abort(w);
        return rc;
    }
    return nm_writer_commit(w, err);
}

int nm_cmd_eval(int argc, char **argv) {
    const char *cmd = "eval", *json = NULL, *sweep = NULL;
    nm_eval_opts o = {.worst = 10};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) return usage(stdout);
        if (!v) {
            fprintf(stderr, "npimatch %s: %s needs a value\n", cmd, a);
            return usage(stderr);
        }
        i++;
        if (!strcmp(a, "--truth")) o.truth = v;
        else if (!strcmp(a, "--matches")) o.matches = v;
        else if (!strcmp(a, "--persons")) o.persons = v;
        else if (!strcmp(a, "--stats")) o.stats = v;
        else if (!strcmp(a, "--json")) json = v;
        else if (!strcmp(a, "--sweep")) sweep = v;
        else if (!strcmp(a, "--worst")) o.worst = (size_t)nm_cli_parse_long(cmd, a, v, 0, 100000);
        else {
            fprintf(stderr, "npimatch %s: unknown option '%s'\n", cmd, a);
            return usage(stderr);
        }
    }
    if (!o.truth || !o.matches == !o.persons || (o.persons && (sweep || o.stats))) {
        fprintf(stderr, "npimatch %s: --truth and one of --matches / --persons are required "
                        "(--sweep and --stats go with --matches)\n", cmd);
        return usage(stderr);
    }
    nm_err err = {0};
    nm_buf jb = {0}, sb = {0};
    int rc;
    if (o.matches) {
        nm_eval_npi e;
        rc = nm_eval_npi_run(&o, &e, &err);
        if (!rc) {
            nm_eval_npi_print(&e, stdout);
            if (json && !(rc = nm_eval_npi_json(&e, &jb))) rc = write_buf(json, &jb, &err);
            if (!rc && sweep && !(rc = nm_eval_sweep_csv(&e, &sb))) rc = write_buf(sweep, &sb, &err);
            nm_eval_npi_free(&e);
        }
    } else {
        nm_eval_persons e;
        rc = nm_eval_persons_run(&o, &e, &err);
        if (!rc) {
            nm_eval_persons_print(&e, stdout);
            if (json && !(rc = nm_eval_persons_json(&e, &jb))) rc = write_buf(json, &jb, &err);
            nm_eval_persons_free(&e);
        }
    }
    nm_buf_free(&jb);
    nm_buf_free(&sb);
    if (rc) {
        if (!err.code) err.code = rc;
        nm_cli_error(cmd, &err);
        return NM_EXIT_FAIL;
    }
    return NM_EXIT_OK;
}
