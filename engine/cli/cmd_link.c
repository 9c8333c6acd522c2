/* npimatch link / dedupe, and npimatch train on generic inputs (no registry):
 *   link   --left A.csv --right B.csv --model M.json --out PAIRS.csv
 *   dedupe --input A.csv --model M.json --out CLUSTERS.csv [--pairs PAIRS.csv]
 *   train  --input A.csv [--right B.csv] --model M.json --out TRAINED.json
 * Formats and ordering: engine/match/link.h. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "cli/cli.h"
#include "match/link.h"

enum { CMD_LINK, CMD_DEDUPE, CMD_TRAIN };
static const char *const CMD_NAME[] = {"link", "dedupe", "train"};

static void usage(int cmd, FILE *out) {
    if (cmd == CMD_LINK)
        fprintf(out, "usage: npimatch link --left A.csv --right B.csv --model MODEL.json --out PAIRS.csv\n"
                     "                     [--threads N] [--threshold P] [--block-cap N] [--map [left.|right.]field=column ...]\n"
                     "  --out  left_id,right_id,match_probability,match_weight,match_key,explanation: one row per\n"
                     "         pair with probability >= P (default: the model's match_probability) or satisfying\n"
                     "         a deterministic rule; left input order, then weight descending, then right id.\n");
    else if (cmd == CMD_DEDUPE)
        fprintf(out, "usage: npimatch dedupe --input A.csv --model MODEL.json --out CLUSTERS.csv [--pairs PAIRS.csv]\n"
                     "                       [--threads N] [--threshold P] [--block-cap N] [--map field=column ...]\n"
                     "  --out    record_id,cluster_id,confidence per input row, in input order; cluster_id is the\n"
                     "           smallest record id of the cluster; clusters link pairs with probability >= the\n"
                     "           model's clustering.link_probability, never joining a pair a guard vetoes\n"
                     "  --pairs  the scored pairs (link's format) with probability >= P (default match_probability)\n");
    else
        fprintf(out, "usage: npimatch train --input A.csv [--right B.csv] --model MODEL.json --out TRAINED.json\n"
                     "                      [--labels PAIRS.csv] [--seed S] [--random-pairs N] [--threads N]\n"
                     "                      [--map [left.|right.]field=column ...]\n"
                     "  one input: dedupe training; with --right: linkage of --input (left) and --right.\n"
                     "  u: N random pairs (default 200000, seeded); m: EM per training blocking rule;\n"
                     "  --labels: CSV left_id,right_id of known matching pairs (m from them).\n");
    fprintf(out, "  record ids: --map record_id=COLUMN, the model's id_column, or record_id, rec_id, id.\n");
}

static double parse_prob(const char *cmd, const char *opt, const char *v) {
    char *end = NULL;
    double x = v ? strtod(v, &end) : NAN;
    if (!v || !*v || *end || !(x >= 0 && x <= 1)) {
        fprintf(stderr, "npimatch %s: %s needs a number from 0 to 1\n", cmd, opt);
        exit(NM_EXIT_USAGE);
    }
    return x;
}

/* --map left.field=col / right.field=col / field=col (both sides). */
static void add_map(nm_link_opts *o, const char **maps[2], const char *v) {
    int side = -1;
    if (!strncmp(v, "left.", 5)) side = 0, v += 5;
    else if (!strncmp(v, "right.", 6)) side = 1, v += 6;
    for (int s = 0; s < 2; s++)
        if (side < 0 || side == s) maps[s][o->nmap[s]++] = v;
}

static int run(int cmd, int argc, char **argv) {
    const char *left = NULL, *right = NULL, *outp = NULL, *model = NULL, *pairs = NULL;
    nm_link_opts o = {0, -1, 0, {NULL, NULL}, {0, 0}, {NULL, NULL}, {0, 0}};
    nm_train_opts to = {1, 0, 0, NULL};
    const char **maps[2] = {calloc((size_t)argc + 1, sizeof(char *)), calloc((size_t)argc + 1, sizeof(char *))};
    const char *name = CMD_NAME[cmd];
    int rc = NM_EXIT_USAGE;
    if (!maps[0] || !maps[1]) goto done;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(cmd, stdout);
            rc = NM_EXIT_OK;
            goto done;
        }
        if (!v || a[0] != '-') {
            fprintf(stderr, "npimatch %s: %s '%s'\n", name, v ? "unexpected argument" : "missing value after", a);
            goto bad;
        }
        i++;
        if (!strcmp(a, "--left") && cmd == CMD_LINK) left = v;
        else if (!strcmp(a, "--input") && cmd != CMD_LINK) left = v;
        else if (!strcmp(a, "--right") && cmd != CMD_DEDUPE) right = v;
        else if (!strcmp(a, "--out") || !strcmp(a, "-o")) outp = v;
        else if (!strcmp(a, "--model")) model = v;
        else if (!strcmp(a, "--pairs") && cmd == CMD_DEDUPE) pairs = v;
        else if (!strcmp(a, "--threads")) o.threads = (int)nm_cli_parse_long(name, a, v, 1, 1024);
        else if (!strcmp(a, "--block-cap")) o.block_cap = (uint32_t)nm_cli_parse_long(name, a, v, 1, 100000000);
        else if (!strcmp(a, "--threshold") && cmd != CMD_TRAIN) o.threshold = parse_prob(name, a, v);
        else if (!strcmp(a, "--labels") && cmd == CMD_TRAIN) to.labels = v;
        else if (!strcmp(a, "--seed") && cmd == CMD_TRAIN) to.seed = (uint64_t)nm_cli_parse_long(name, a, v, 0, 0x7FFFFFFFFFFFFFFFL);
        else if (!strcmp(a, "--random-pairs") && cmd == CMD_TRAIN)
            to.random_pairs = (uint64_t)nm_cli_parse_long(name, a, v, 1, 1000000000);
        else if (!strcmp(a, "--map")) add_map(&o, maps, v);
        else {
            fprintf(stderr, "npimatch %s: unknown option '%s'\n", name, a);
            goto bad;
        }
    }
    if (!left || !outp || !model || (cmd == CMD_LINK && !right)) {
        fprintf(stderr, "npimatch %s: %s, --model and --out are required\n", name,
                cmd == CMD_LINK ? "--left, --right" : "--input");
        goto bad;
    }
    o.map[0] = maps[0], o.map[1] = maps[1];
    nm_err err = {0};
    nm_model *m = NULL;
    nm_link_stats st;
    int e = nm_model_load(model, &m, &err);
    if (!e && cmd == CMD_LINK) {
        e = nm_link_files(left, right, m, outp, &o, &st, stderr, &err);
        if (!e)
            fprintf(stderr, "link: %llu x %llu records (%llu, %llu rows rejected), %llu pairs scored, %llu written\n"
                            "time: read %.2f s, index + score %.2f s\n",
                    (unsigned long long)st.records[0], (unsigned long long)st.records[1],
                    (unsigned long long)st.rejected[0], (unsigned long long)st.rejected[1],
                    (unsigned long long)st.pairs_scored, (unsigned long long)st.pairs_written, st.seconds_read,
                    st.seconds_score);
    } else if (!e && cmd == CMD_DEDUPE) {
        e = nm_dedupe_file(left, m, outp, pairs, &o, &st, stderr, &err);
        if (!e)
            fprintf(stderr, "dedupe: %llu records (%llu rows rejected), %llu pairs scored, %llu clusters (%llu links refused by guards)\n"
                            "time: read %.2f s, index + score %.2f s, cluster + write %.2f s\n",
                    (unsigned long long)st.records[0], (unsigned long long)st.rejected[0],
                    (unsigned long long)st.pairs_scored, (unsigned long long)st.clusters,
                    (unsigned long long)st.links_refused, st.seconds_read, st.seconds_score, st.seconds_cluster);
    } else if (!e) {
        nm_train_report rep;
        e = nm_train_files(left, right, m, &o, &to, &rep, stderr, &err);
        if (!e) e = nm_model_save(m, outp, &err);
        if (!e) {
            fprintf(stderr, "npimatch train: u from %llu random pairs", (unsigned long long)rep.random_pairs);
            if (to.labels) fprintf(stderr, ", m from %llu labelled pairs\n", (unsigned long long)rep.labelled);
            else fprintf(stderr, "; m by EM:\n");
            for (size_t i = 0; !to.labels && i < rep.nruns; i++) {
                const nm_blocking_rule *br = nm_model_training_rule(m, i);
                fprintf(stderr, "  %-20s %llu pairs, %d iterations%s, lambda %.3g\n", br ? br->name : "blocked pairs",
                        (unsigned long long)rep.rule_pairs[i], rep.em[i].iterations,
                        rep.em[i].converged ? "" : " (not converged)", rep.em[i].lambda);
            }
            fprintf(stderr, "  -> %s\n", outp);
        }
    }
    nm_model_free(m);
    if (e) nm_cli_error(name, &err);
    rc = e ? NM_EXIT_FAIL : NM_EXIT_OK;
    goto done;
bad:
    usage(cmd, stderr);
done:
    free(maps[0]);
    free(maps[1]);
    return rc;
}

int nm_cmd_link(int argc, char **argv) { return run(CMD_LINK, argc, argv); }
int nm_cmd_dedupe(int argc, char **argv) { return run(CMD_DEDUPE, argc, argv); }
int nm_cli_train_files(int argc, char **argv) { return run(CMD_TRAIN, argc, argv); }
