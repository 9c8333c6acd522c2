/* bench_ingest: registry build speed (1 and 2 threads), snapshot save and
 * load times, bytes per provider and peak RSS.
 *
 *   bench_ingest FILE...          NPPES files (e.g. from `npimatch gen nppes`)
 *   bench_ingest --gen N [DIR]    write N synthetic providers first with the
 *                                 `npimatch gen nppes` generator (seed 7, 330
 *                                 columns) and use that file
 *   BENCH_RUNS=k                  runs per measurement (default 3)
 *
 * Each figure is the best of the runs, wall time and process CPU time (all
 * threads) side by side: on a shared machine the wall time shows the load,
 * the CPU time the work. Prints measurements only; asserts nothing. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "npimatch.h"
#include "gen/gen.h"

static double cpu_now(void) {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec * 1e-6 + (double)ru.ru_stime.tv_sec +
           (double)ru.ru_stime.tv_usec * 1e-6;
}

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int main(int argc, char **argv) {
    const char **files = NULL;
    size_t nfiles = 0;
    char genpath[4096] = "";
    if (argc >= 3 && !strcmp(argv[1], "--gen")) {
        unsigned n = (unsigned)strtoul(argv[2], NULL, 10);
        snprintf(genpath, sizeof genpath, "%s/bench_ingest_%d.csv", argc > 3 ? argv[3] : "/tmp", (int)getpid());
        double t = now();
        nm_gen_nppes_opts go = {0};
        go.rows = n;
        go.seed = 7;
        go.layout = 330;
        go.out = genpath;
        nm_err gerr;
        if (nm_gen_nppes(&go, &gerr)) {
            fprintf(stderr, "gen failed: %s\n", gerr.msg);
            return 1;
        }
        printf("generated %u providers into %s in %.1f s\n", n, genpath, now() - t);
        static const char *one[1];
        one[0] = genpath;
        files = one;
        nfiles = 1;
    } else if (argc >= 2) {
        files = (const char **)(argv + 1);
        nfiles = (size_t)argc - 1;
    } else {
        fprintf(stderr, "usage: bench_ingest FILE... | bench_ingest --gen N [DIR]\n");
        return 2;
    }
    const char *re = getenv("BENCH_RUNS");
    int runs = re && atoi(re) > 0 ? atoi(re) : 3;
    FILE *lf = fopen("/proc/loadavg", "r");
    char load[64] = "?";
    if (lf && fgets(load, sizeof load, lf)) load[strcspn(load, "\n")] = 0;
    if (lf) fclose(lf);
    /* the npimatch command turns OpenMP spinning off itself; here it is the caller's choice */
    const char *wp = getenv("OMP_WAIT_POLICY"), *sc = getenv("GOMP_SPINCOUNT");
    printf("load average at start: %s; best of %d runs (wall, CPU of all threads); OMP_WAIT_POLICY=%s "
           "GOMP_SPINCOUNT=%s\n",
           load, runs, wp ? wp : "(unset)", sc ? sc : "(unset)");
    nm_registry *r = NULL;
    for (int threads = 1; threads <= 2; threads++) {
        double bw = 1e9, bc = 1e9;
        nm_index_stats st;
        for (int k = 0; k < runs; k++) {
            nm_index_opts o = {0};
            o.threads = threads;
            o.quiet = 1;
            nm_err err;
            nm_registry *x = NULL;
            double t = now(), c = cpu_now();
            if (nm_registry_build(files, nfiles, &o, &x, &st, &err)) {
                fprintf(stderr, "build failed: %s\n", err.msg);
                return 1;
            }
            double dt = now() - t, dc = cpu_now() - c;
            bw = dt < bw ? dt : bw;
            bc = dc < bc ? dc : bc;
            if (r) nm_registry_free(r);
            r = x;
        }
        printf("build threads=%d: wall %.2f s (%.1f MB/s, %.0f rows/s), CPU %.2f s (%.1f MB/s per CPU-second); "
               "%llu rows, %.1f MB, %llu skipped\n",
               threads, bw, (double)st.bytes_read / 1e6 / bw, (double)st.rows_read / bw, bc,
               (double)st.bytes_read / 1e6 / bc, (unsigned long long)st.rows_read, (double)st.bytes_read / 1e6,
               (unsigned long long)st.rows_skipped);
    }
    nm_registry_info in;
    nm_registry_get_info(r, &in);
    printf("providers %llu, memory %llu bytes, %.1f bytes/provider\n", (unsigned long long)in.providers,
           (unsigned long long)in.memory_bytes, in.providers ? (double)in.memory_bytes / (double)in.providers : 0.0);
    char snap[4200];
    snprintf(snap, sizeof snap, "%s.nmx", genpath[0] ? genpath : "/tmp/bench_ingest");
    nm_err err;
    double sw = 1e9, scpu = 1e9, lw = 1e9, lcpu = 1e9;
    for (int k = 0; k < runs; k++) {
        double t = now(), c = cpu_now();
        if (nm_registry_save(r, snap, &err)) {
            fprintf(stderr, "save failed: %s\n", err.msg);
            return 1;
        }
        double dt = now() - t, dc = cpu_now() - c;
        sw = dt < sw ? dt : sw;
        scpu = dc < scpu ? dc : scpu;
    }
    struct stat sb;
    stat(snap, &sb);
    nm_registry_free(r);
    for (int k = 0; k < runs; k++) {
        double t = now(), c = cpu_now();
        if (nm_registry_load(snap, &r, &err)) {
            fprintf(stderr, "load failed: %s\n", err.msg);
            return 1;
        }
        double dt = now() - t, dc = cpu_now() - c;
        lw = dt < lw ? dt : lw;
        lcpu = dc < lcpu ? dc : lcpu;
        nm_registry_free(r);
    }
    printf("snapshot: %.1f MB, save wall %.2f s CPU %.2f s, load wall %.2f s CPU %.2f s\n", (double)sb.st_size / 1e6,
           sw, scpu, lw, lcpu);
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("peak RSS %.1f MB\n", (double)ru.ru_maxrss / 1024.0);
    unlink(snap);
    if (genpath[0]) unlink(genpath);
    return 0;
}
