/* CSV scan throughput on NPPES-like input.
 *
 * Generates in memory a file shaped like the NPPES main file (330 columns,
 * every value quoted, most empty; about 40 filled values and ~1.2 KB per
 * row, CRLF line ends, one row in 200 with a Latin-1 byte), then times nm_csv_scan with a consumer that does nothing, for every
 * SIMD level the machine has and for 1 and 2 threads, plus the bare 64-byte
 * classifier; then the same bytes as a plain (mapped) file and as a .zst
 * file at the best level. Prints a table; never asserts timings.
 *
 * usage: bench_csv [size_MB (default 500)] [repeats (default 3)] [simd level
 *        scalar|avx2|avx512 (default all)] [threads (default 1 and 2)] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "common/arena.h"
#include "common/io.h"
#include "ingest/csv.h"
#include "npimatch/simd.h"

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static uint64_t rng = 88172645463325252ULL;
static uint64_t xorshift(void) {
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

/* Filled columns, by 0-based position in the V2 layout: NPI, entity type,
 * names, credential, addresses, phones, dates, gender, first taxonomy and
 * licence, plus a few scattered taxonomy switches and flags. */
static const int filled[] = {0,  1,  4,  5,  6,  7,  8,  10, 11, 20,  21,  22,  23,  24,  25,  26,  28,  29,  30,  31,
                             32, 33, 34, 35, 36, 37, 38, 39, 41, 47,  48,  49,  50,  51,  107, 307, 308, 309, 310, 314};

static char *make_nppes(size_t target, size_t *len, uint64_t *nrows) {
    char *buf = malloc(target + 8192);
    if (!buf) return NULL;
    size_t o = 0;
    for (int c = 0; c < 330; c++) o += (size_t)sprintf(buf + o, "%s\"Column %d\"", c ? "," : "", c + 1);
    buf[o++] = '\n';
    static const char alpha[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ 0123456789";
    uint64_t rows = 0;
    while (o + 4096 < target) {
        int fi = 0;
        for (int c = 0; c < 330; c++) {
            if (c) buf[o++] = ',';
            buf[o++] = '"';
            if (fi < (int)(sizeof filled / sizeof *filled) && filled[fi] == c) {
                fi++;
                int n = 1 + (int)(xorshift() % 11);   /* 1..11, mean 6 */
                for (int i = 0; i < n; i++) buf[o++] = alpha[xorshift() % (sizeof alpha - 1)];
                if (fi == 3 && rows % 200 == 7) buf[o - 1] = (char)0xC9;   /* Latin-1 E-acute in a name */
            }
            buf[o++] = '"';
        }
        buf[o++] = '\r';
        buf[o++] = '\n';
        rows++;
    }
    *len = o;
    *nrows = rows;
    return buf;
}

/* Per-chunk tallies on their own cache lines, so the two threads do not
 * share a line they write for every row. */
typedef struct counter {
    struct {
        uint64_t rows, fields;
        char pad[48];
    } ch[2];
} counter;

static int noop_begin(void *u, int ch) { return 0; }
static int count_row(void *u, int ch, const nm_csv_row *r) {
    counter *c = u;
    c->ch[ch].rows++;
    c->ch[ch].fields += r->nfields;
    return 0;
}
static int noop_end(void *u, int k) { return 0; }

int main(int argc, char **argv) {
    size_t mb = argc > 1 ? (size_t)atol(argv[1]) : 500;
    int reps = argc > 2 ? atoi(argv[2]) : 3;
    const char *only_level = argc > 3 ? argv[3] : NULL;
    int only_threads = argc > 4 ? atoi(argv[4]) : 0;
    if (mb < 1) mb = 1;
    size_t len;
    uint64_t nrows;
    double t0 = now();
    char *doc = make_nppes(mb << 20, &len, &nrows);
    if (!doc) {
        fprintf(stderr, "out of memory\n");
        return 1;
    }
    printf("bench_csv: %zu bytes, %llu rows (%.0f B/row), 330 quoted columns; generated in %.2f s\n", len,
           (unsigned long long)nrows, (double)len / (double)nrows, now() - t0);
    printf("best of %d runs; the machine is shared, so figures are noisy\n\n", reps);
    printf("%-8s %-22s %10s %12s\n", "simd", "what", "MB/s", "Mrows/s");

    nm_simd_level best = nm_simd_detect();
    for (int lvl = 0; lvl <= (int)best; lvl++) {
        nm_simd_force((nm_simd_level)lvl);
        const char *name = nm_simd_name((nm_simd_level)lvl);
        if (only_level && strcmp(only_level, name)) continue;

        /* The bare classifier over the whole buffer. */
        nm_csv_classify_ext_fn cl = nm_csv_classify_ext_for(lvl);
        double bt = 1e30;
        uint64_t sink = 0;
        for (int r = 0; r < reps; r++) {
            double s = now();
            nm_csv_masks m;
            for (size_t i = 0; i + 64 <= len; i += 64) {
                cl(doc + i, ',', &m);
                sink += m.quote ^ m.delim ^ m.lf;
            }
            double e = now() - s;
            if (e < bt) bt = e;
        }
        printf("%-8s %-22s %10.0f %12s   (checksum %llx)\n", name, "classify only", (double)len / bt / 1e6, "-",
               (unsigned long long)(sink & 0xFFFF));

        for (int threads = 1; threads <= 2; threads++) {
            if (only_threads && threads != only_threads) continue;
            double bs = 1e30;
            for (int r = 0; r < reps; r++) {
                nm_csv_opts o = {.threads = threads};
                nm_csv *c;
                nm_err err;
                if (nm_csv_open_memory(doc, len, "bench", &o, &c, &err)) {
                    fprintf(stderr, "%s\n", err.msg);
                    return 1;
                }
                counter cnt;
                memset(&cnt, 0, sizeof cnt);
                nm_csv_consumer cons = {&cnt, noop_begin, count_row, noop_end, 2, 0, NULL};
                double s = now();
                int rc = nm_csv_scan(c, &cons, &err);
                double e = now() - s;
                nm_csv_close(c);
                if (rc || cnt.ch[0].rows + cnt.ch[1].rows != nrows || cnt.ch[0].fields + cnt.ch[1].fields != nrows * 330) {
                    fprintf(stderr, "scan failed or miscounted (rc %d, %llu rows)\n", rc,
                            (unsigned long long)(cnt.ch[0].rows + cnt.ch[1].rows));
                    return 1;
                }
                if (e < bs) bs = e;
            }
            char what[32];
            snprintf(what, sizeof what, "scan, %d thread%s", threads, threads > 1 ? "s" : "");
            printf("%-8s %-22s %10.0f %12.2f\n", name, what, (double)len / bs / 1e6, (double)nrows / bs / 1e6);
        }
    }

    /* The same bytes from disk: a plain file (mapped, page cache warm after
     * the write) and a .zst file (streamed in blocks), at the best level. */
    nm_simd_force(best);
    const char *tmpdir = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    char path[2][1024];
    snprintf(path[0], sizeof path[0], "%s/bench_csv_%d.csv", tmpdir, (int)getpid());
    snprintf(path[1], sizeof path[1], "%s/bench_csv_%d.csv.zst", tmpdir, (int)getpid());
    for (int z = 0; z < 2; z++) {
        nm_writer *w;
        nm_err err;
        if (nm_writer_open(path[z], 1, &w, &err) || nm_writer_write(w, doc, len, &err) || nm_writer_commit(w, &err)) {
            fprintf(stderr, "cannot write %s: %s\n", path[z], err.msg);
            continue;
        }
        for (int threads = 1; threads <= 2; threads++) {
            if (only_threads && threads != only_threads) continue;
            double bs = 1e30;
            for (int r = 0; r < reps; r++) {
                nm_csv_opts o = {.threads = threads};
                nm_csv *c;
                double s = now();
                if (nm_csv_open(path[z], &o, &c, &err)) {
                    fprintf(stderr, "%s\n", err.msg);
                    return 1;
                }
                counter cnt;
                memset(&cnt, 0, sizeof cnt);
                nm_csv_consumer cons = {&cnt, noop_begin, count_row, noop_end, 2, 0, NULL};
                int rc = nm_csv_scan(c, &cons, &err);
                nm_csv_close(c);
                double e = now() - s;
                if (rc || cnt.ch[0].rows + cnt.ch[1].rows != nrows) {
                    fprintf(stderr, "file scan failed (rc %d)\n", rc);
                    return 1;
                }
                if (e < bs) bs = e;
            }
            char what[40];
            snprintf(what, sizeof what, "%s file, %d thread%s", z ? ".zst" : "plain", threads, threads > 1 ? "s" : "");
            printf("%-8s %-22s %10.0f %12.2f\n", nm_simd_name(best), what, (double)len / bs / 1e6,
                   (double)nrows / bs / 1e6);
        }
        unlink(path[z]);
    }
    free(doc);
    return 0;
}
