/* bench_gen: speed of the synthetic NPPES generator.
 *
 *   bench_gen [ROWS] [OUT]      (defaults: 1000000 rows, no file)
 *
 * Prints formatting speed (rows made in memory, per thread count) and, when
 * OUT is given, the end-to-end speed of nm_gen_nppes writing OUT through
 * nm_writer (includes the final fsync). Measures only; asserts nothing. */
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include "common/arena.h"
#include "gen/gen.h"

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

int main(int argc, char **argv) {
    uint64_t rows = argc > 1 ? strtoull(argv[1], NULL, 10) : 1000000;
    const char *out = argc > 2 ? argv[2] : NULL;
    const nm_gen_tables *t;
    nm_err err = {0};
    double t0 = now();
    if (nm_gen_tables_load(&t, &err)) { fprintf(stderr, "%s\n", err.msg); return 1; }
    printf("tables: %.1f ms (%u surnames, %u cities)\n", (now() - t0) * 1e3, t->surnames.n, t->ncity);
    nm_gen_nppes_opts o = {.rows = rows, .seed = 1, .layout = 330, .deactivated = 0.015};
    int maxt = omp_get_max_threads();
    for (int th = 1; th <= maxt; th *= 2) {
        enum { CH = 4096 };
        uint64_t nch = (rows + CH - 1) / CH;
        size_t bytes = 0;
        t0 = now();
#pragma omp parallel num_threads(th) reduction(+ : bytes)
        {
            nm_buf b = {0};
#pragma omp for schedule(dynamic, 1)
            for (uint64_t c = 0; c < nch; c++) {
                b.len = 0;
                uint64_t first = c * CH, n = rows - first < CH ? rows - first : CH;
                long r = nm_gen_nppes_rows(t, &o, first, n, &b);
                if (r > 0) bytes += (size_t)r;
            }
            nm_buf_free(&b);
        }
        double dt = now() - t0;
        printf("format  threads=%d rows=%llu: %.2f s, %.0f rows/s, %.0f MB/s (%.0f bytes/row)\n", th,
               (unsigned long long)rows, dt, rows / dt, bytes / dt / 1e6, (double)bytes / rows);
    }
    if (out) {
        o.out = out;
        o.threads = maxt;
        t0 = now();
        if (nm_gen_nppes(&o, &err)) { fprintf(stderr, "%s\n", err.msg); return 1; }
        double dt = now() - t0;
        printf("file    threads=%d rows=%llu -> %s: %.2f s, %.0f rows/s\n", maxt, (unsigned long long)rows, out, dt,
               rows / dt);
    }
    return 0;
}
