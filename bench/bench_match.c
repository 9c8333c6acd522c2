/* End-to-end matching benchmark: a generated registry (npimatch gen nppes),
 * an HCP file derived from it with realistic errors and a truth file
 * (match/hcp_sample.c), then `match` at 1 and 2 threads.
 * Prints: registry table + index build time, records/s, scored pairs/s per
 * core, pairs per record, peak RSS, blocking recall (share of true pairs
 * the blocking finds), and precision/recall of status=matched vs truth.
 * Usage: bench_match [--providers N (200000)] [--records N (50000)]
 *                    [--registry R.nmx] [--threads-list 1,2] [--dir DIR]
 * Prints, never asserts. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include "common/io.h"
#include "gen/gen.h"
#include "match/hcp_sample.h"
#include "match/matcher.h"
#include "npimatch.h"

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

/* CPU seconds of the process (all threads): on a shared machine, work per
 * core is better measured by CPU time than by wall time. */
static double cpu_now(void) {
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static double peak_rss_mb(void) {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_maxrss / 1024.0;
}

static int write_file(const char *path, const nm_buf *b) {
    nm_writer *w;
    nm_err e;
    if (nm_writer_open(path, 0, &w, &e) || nm_writer_write(w, b->data, b->len, &e) || nm_writer_commit(w, &e)) {
        fprintf(stderr, "%s\n", e.msg);
        return 1;
    }
    return 0;
}

/* Field k (0-based) of a CSV line without quotes inside those fields. */
static size_t field(const char *line, int k, char *out, size_t cap) {
    const char *p = line;
    for (int i = 0; i < k && p; i++) {
        p = strpbrk(p, ",\n");
        if (p && *p == ',') p++;
        else p = NULL;
    }
    size_t n = 0;
    while (p && p[n] && p[n] != ',' && p[n] != '\n' && n + 1 < cap) out[n] = p[n], n++;
    out[n] = 0;
    return n;
}

int main(int argc, char **argv) {
    uint64_t providers = 200000, records = 50000;
    const char *regp = NULL, *dir = "/tmp/npimatch-bench-match", *tlist = "1,2";
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--providers")) providers = strtoull(argv[i + 1], NULL, 10);
        else if (!strcmp(argv[i], "--records")) records = strtoull(argv[i + 1], NULL, 10);
        else if (!strcmp(argv[i], "--registry")) regp = argv[i + 1];
        else if (!strcmp(argv[i], "--threads-list")) tlist = argv[i + 1];
        else if (!strcmp(argv[i], "--dir")) dir = argv[i + 1];
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    mkdir(dir, 0755);
    char nppes[512], reg[512], hcps[512], outp[512];
    snprintf(nppes, sizeof nppes, "%s/nppes.csv", dir);
    snprintf(reg, sizeof reg, "%s/registry.nmx", dir);
    snprintf(hcps, sizeof hcps, "%s/hcps.csv", dir);
    snprintf(outp, sizeof outp, "%s/matches.csv", dir);
    nm_err e = {0};
    nm_registry *r = NULL;
    double t0 = now();
    if (regp) {
        if (nm_registry_load(regp, &r, &e)) return fprintf(stderr, "%s\n", e.msg), 1;
    } else {
        nm_gen_nppes_opts go = {.rows = providers, .seed = 11, .layout = 330, .deactivated = 0.015, .out = nppes};
        if (nm_gen_nppes(&go, &e)) return fprintf(stderr, "%s\n", e.msg), 1;
        const char *paths[1] = {nppes};
        nm_index_opts io = {.quiet = 1};
        if (nm_registry_build(paths, 1, &io, &r, NULL, &e) || nm_registry_save(r, reg, &e))
            return fprintf(stderr, "%s\n", e.msg), 1;
    }
    printf("registry: %zu providers (%s in %.1f s)\n", nm_registry_count(r), regp ? "loaded" : "generated+built", now() - t0);
    nm_buf csv = {0}, truth = {0};
    nm_hcp_sample_opts so = {records, 5, 1.0, 0.03};
    char truthp[512];
    snprintf(truthp, sizeof truthp, "%s/truth.csv", dir);
    if (nm_hcp_sample(r, &so, &csv, &truth) || write_file(hcps, &csv) || write_file(truthp, &truth)) return 1;
    printf("input: %llu HCP records (%.1f MB), 3%% of providers absent from the registry\n",
           (unsigned long long)records, csv.len / 1e6);
    nm_model *m;
    if (nm_model_load("builtin:hcp", &m, &e)) return fprintf(stderr, "%s\n", e.msg), 1;

    for (const char *t = tlist; *t;) {
        int threads = atoi(t);
        nm_match_opts mo = {threads, 0, -1, -1, 0};
        nm_matcher *mt;
        double c0 = now();
        if (nm_matcher_create(r, m, &mo, &mt, &e)) return fprintf(stderr, "%s\n", e.msg), 1;
        double build = now() - c0;
        nm_match_stats st;
        FILE *devnull = fopen("/dev/null", "w");
        double m0 = now(), cpu0 = cpu_now();
        if (nm_match_file(mt, hcps, outp, NULL, &st, devnull, &e)) return fprintf(stderr, "%s\n", e.msg), 1;
        double secs = now() - m0, cpu = cpu_now() - cpu0;
        fclose(devnull);
        printf("\n[threads %d] table+tf %.2f s, indexes %.2f s (create %.2f s), read %.2f s, match %.2f s\n", threads,
               mt->seconds_table, mt->seconds_index, build, st.seconds_read, st.seconds_match);
        printf("  %.0f records/s end-to-end (read+match), %.0f records/s matching\n", records / secs,
               records / st.seconds_match);
        printf("  %llu pairs, %.1f pairs/record, %.2f M scored pairs/s per core by wall time (match phase), "
               "%.2f M per CPU-second (read+match: %.2f CPU s)\n",
               (unsigned long long)st.pairs, (double)st.pairs / records, st.pairs / st.seconds_match / threads / 1e6,
               st.pairs / cpu / 1e6, cpu);
        printf("  matched %llu (%llu by rule), ambiguous %llu, unmatched %llu; peak RSS %.0f MB\n",
               (unsigned long long)st.matched, (unsigned long long)st.matched_by_rule,
               (unsigned long long)st.ambiguous, (unsigned long long)st.unmatched, peak_rss_mb());
        /* Quality against truth (first thread count only). */
        if (t == tlist) {
            char *out;
            size_t olen;
            if (nm_read_all(outp, &out, &olen, &e)) return 1;
            const char *ol = strchr(out, '\n') + 1, *tl = strchr(truth.data, '\n') + 1;
            uint64_t tp = 0, fp = 0, fn = 0, amb_true = 0, present = 0;
            char tn[32], on[32], stt[32];
            while (*ol && *tl) {
                field(tl, 1, tn, sizeof tn);
                field(ol, 1, on, sizeof on);
                field(ol, 4, stt, sizeof stt);
                present += tn[0] != 0;
                if (!strcmp(stt, "matched")) {
                    if (tn[0] && !strcmp(tn, on)) tp++;
                    else fp++;
                } else if (tn[0]) {
                    fn++;
                    amb_true += !strcmp(stt, "ambiguous") && !strcmp(tn, on);
                }
                ol = strchr(ol, '\n') + 1;
                tl = strchr(tl, '\n') + 1;
            }
            printf("  quality: precision %.4f, recall %.4f (%llu true providers present; %llu ambiguous with the right best)\n",
                   tp + fp ? (double)tp / (tp + fp) : 0, present ? (double)tp / present : 0,
                   (unsigned long long)present, (unsigned long long)amb_true);
            free(out);
            /* Blocking recall: is the true row among the candidates? */
            nm_input in;
            nm_input_opts io = {NULL, 0, threads, NULL, 0};
            if (nm_input_read(&in, hcps, m, &io, &e)) return 1;
            nm_cands c;
            nm_cands_init(&c, mt->nref);
            uint64_t found = 0, total = 0;
            tl = strchr(truth.data, '\n') + 1;
            for (size_t q = 0; q < in.t.n && *tl; q++, tl = strchr(tl, '\n') + 1) {
                field(tl, 1, tn, sizeof tn);
                if (!tn[0] || in.reason.v[q] != NM_R_COUNT) continue;
                int64_t row = nm_registry_find(r, strtoull(tn, NULL, 10));
                nm_cands_find(&c, &mt->ix, &in.t, q, mt->block_cap, NULL, NULL);
                total++;
                for (size_t i = 0; i < c.rows.n; i++)
                    if ((int64_t)c.rows.v[i] == row) { found++; break; }
            }
            printf("  blocking recall %.4f (%llu of %llu true pairs among the candidates)\n",
                   total ? (double)found / total : 0, (unsigned long long)found, (unsigned long long)total);
            nm_cands_free(&c);
            nm_input_free(&in);
        }
        nm_matcher_free(mt);
        while (*t && *t != ',') t++;
        if (*t == ',') t++;
    }
    nm_model_free(m);
    nm_registry_free(r);
    nm_buf_free(&csv);
    nm_buf_free(&truth);
    return 0;
}
