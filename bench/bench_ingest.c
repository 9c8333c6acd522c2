/* bench_ingest: registry build speed (1 and 2 threads), snapshot save and
 * load times, bytes per provider and peak RSS.
 *
 *   bench_ingest FILE...          NPPES files (e.g. from `npimatch gen nppes`)
 *   bench_ingest --gen N [DIR]    write N synthetic providers first (330-column
 *                                 layout, invented values with realistic field
 *                                 widths and cardinalities) and use that file
 *
 * Prints measurements only; asserts nothing about time. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "npimatch.h"
#include "common/arena.h"
#include "ingest/nppes.h"

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static uint64_t rng = 0x243f6a8885a308d3ull;
static uint32_t rnd(uint32_t n) {
    rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
    return (uint32_t)(rng % n);
}

static void npi_of(char out[11], unsigned i) {
    snprintf(out, 11, "1%08u0", i % 100000000u);
    for (char c = '0'; c <= '9'; c++) {
        out[9] = c;
        if (nm_npi_valid(out, 10)) return;
    }
}

static const char *syl[] = {"AN", "BER", "CHO", "DA", "EL", "FOR", "GAR", "HAN", "IS", "JO", "KIM", "LEE",
                            "MAR", "NO", "OR", "PAT", "QUI", "RO", "SAN", "TER", "UL", "VAN", "WIL", "YO"};
static const char *creds[] = {"MD", "M.D.", "DO", "NP", "PA-C", "RN", "DDS", "PHD", "LCSW", "DPM", "OD", ""};
static const char *states[] = {"AL", "AK", "AZ", "AR", "CA", "CO", "CT", "DE", "FL", "GA", "HI", "ID", "IL",
                               "IN", "IA", "KS", "KY", "LA", "ME", "MD", "MA", "MI", "MN", "MS", "MO", "MT",
                               "NE", "NV", "NH", "NJ", "NM", "NY", "NC", "ND", "OH", "OK", "OR", "PA", "RI",
                               "SC", "SD", "TN", "TX", "UT", "VT", "VA", "WA", "WV", "WI", "WY"};
static const char *streets[] = {"MAIN ST", "OAK AVE", "PARK BLVD", "MEDICAL CENTER DR", "HOSPITAL RD", "ELM ST"};
static const char *taxes[] = {"207Q00000X", "208D00000X", "363L00000X", "207R00000X", "1223G0001X",
                              "261QM1300X", "207X00000X", "101YM0800X", "133V00000X", "390200000X"};

static void word(char *out, size_t cap, int parts) {
    out[0] = 0;
    for (int i = 0; i < parts; i++) strncat(out, syl[rnd(24)], cap - strlen(out) - 1);
}

/* Write one quoted row of 330 fields. */
static void gen_file(const char *path, unsigned n) {
    FILE *f = fopen(path, "w");
    if (!f) {
        perror(path);
        exit(1);
    }
    nm_buf hb = {0};
    if (nm_nppes_main_header(&hb, 330)) exit(1);
    fwrite(hb.data, 1, hb.len, f);
    nm_buf_free(&hb);
    for (unsigned i = 0; i < n; i++) {
        char npi[11], last[48], first[48], mid[8], org[96], city[48], l1[64], l2[32], zip[16], ph[16], fx[16];
        npi_of(npi, i);
        int ind = rnd(100) < 80, deact = rnd(100) < 3;
        if (deact) {   /* stub row */
            fprintf(f, "\"%s\"", npi);
            for (int c = 1; c < 330; c++) fprintf(f, c == 39 ? ",\"%02u/%02u/20%02u\"" : ",\"\"", 1 + rnd(12), 1 + rnd(28), 10 + rnd(14));
            fputc('\n', f);
            continue;
        }
        word(last, sizeof last, 2 + (int)rnd(2));
        word(first, sizeof first, 1 + (int)rnd(2));
        snprintf(mid, sizeof mid, "%c", 'A' + rnd(26));
        word(org, sizeof org, 3);
        strncat(org, rnd(2) ? " MEDICAL GROUP LLC" : " HEALTH SERVICES, INC", sizeof org - strlen(org) - 1);
        word(city, sizeof city, 2 + (int)rnd(2));
        snprintf(l1, sizeof l1, "%u %s", 1 + rnd(9999), streets[rnd(6)]);
        snprintf(l2, sizeof l2, rnd(3) ? "" : "SUITE %u", 100 + rnd(900));
        snprintf(zip, sizeof zip, rnd(2) ? "%05u%04u" : "%05u", 10000 + rnd(89999), rnd(9999));
        snprintf(ph, sizeof ph, "%03u%03u%04u", 200 + rnd(799), 200 + rnd(799), rnd(9999));
        snprintf(fx, sizeof fx, rnd(2) ? "%03u%03u%04u" : "", 200 + rnd(799), 200 + rnd(799), rnd(9999));
        const char *st = states[rnd(50)];
        fprintf(f, "\"%s\",\"%d\",\"\",\"%s\",\"%s\",\"%s\",\"%s\",\"%s\",\"%s\",\"\",\"%s\",", npi, ind ? 1 : 2,
                ind ? "" : "<UNAVAIL>", ind ? "" : org, ind ? last : "", ind ? first : "", ind ? mid : "",
                ind && rnd(4) == 0 ? "DR." : "", ind ? creds[rnd(12)] : "");
        fprintf(f, "\"\",\"\",\"\",\"\",\"\",\"\",\"\",\"\",\"\",");   /* other names */
        for (int a = 0; a < 2; a++)
            fprintf(f, "\"%s\",\"%s\",\"%s\",\"%s\",\"%s\",\"US\",\"%s\",\"%s\",", a && rnd(3) ? l1 : l1, l2, city, st,
                    zip, ph, fx);
        fprintf(f, "\"%02u/%02u/20%02u\",\"%02u/%02u/20%02u\",\"\",\"\",\"\",\"%s\",", 1 + rnd(12), 1 + rnd(28),
                5 + rnd(10), 1 + rnd(12), 1 + rnd(28), 15 + rnd(10), ind ? (rnd(2) ? "M" : "F") : "");
        if (ind) fprintf(f, "\"\",\"\",\"\",\"\",\"\"");
        else fprintf(f, "\"%s\",\"%s\",\"\",\"MANAGER\",\"%s\"", last, first, ph);
        int ntax = 1 + (int)(rnd(10) < 3) + (int)(rnd(10) < 1);
        for (int t = 0; t < 15; t++) {
            if (t < ntax)
                fprintf(f, ",\"%s\",\"%s%u\",\"%s\",\"%s\"", taxes[rnd(10)], ind ? "L" : "", ind ? 10000 + rnd(899999) : 0,
                        st, t == 0 ? "Y" : "N");
            else fprintf(f, ",\"\",\"\",\"\",\"\"");
        }
        for (int k = 0; k < 200; k++) fprintf(f, ",\"\"");
        fprintf(f, ",\"%s\",\"%s\",\"\",\"\",\"\",\"\",\"\"", ind ? (rnd(2) ? "Y" : "N") : "", ind ? "" : "N");
        for (int k = 0; k < 15; k++) fprintf(f, ",\"\"");
        fprintf(f, ",\"%s\"\n", rnd(2) ? "01/01/2020" : "");
    }
    fclose(f);
}

int main(int argc, char **argv) {
    const char **files = NULL;
    size_t nfiles = 0;
    char genpath[4096] = "";
    if (argc >= 3 && !strcmp(argv[1], "--gen")) {
        unsigned n = (unsigned)strtoul(argv[2], NULL, 10);
        snprintf(genpath, sizeof genpath, "%s/bench_ingest_%d.csv", argc > 3 ? argv[3] : "/tmp", (int)getpid());
        double t = now();
        gen_file(genpath, n);
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
    nm_registry *r = NULL;
    for (int threads = 1; threads <= 2; threads++) {
        nm_index_opts o = {0};
        o.threads = threads;
        o.quiet = 1;
        nm_index_stats st;
        nm_err err;
        nm_registry *x = NULL;
        double t = now();
        if (nm_registry_build(files, nfiles, &o, &x, &st, &err)) {
            fprintf(stderr, "build failed: %s\n", err.msg);
            return 1;
        }
        double dt = now() - t;
        printf("build threads=%d: %.2f s, %.1f MB/s, %.0f rows/s (%llu rows, %.1f MB, %llu skipped)\n", threads, dt,
               (double)st.bytes_read / 1e6 / dt, (double)st.rows_read / dt, (unsigned long long)st.rows_read,
               (double)st.bytes_read / 1e6, (unsigned long long)st.rows_skipped);
        if (r) nm_registry_free(r);
        r = x;
    }
    nm_registry_info in;
    nm_registry_get_info(r, &in);
    printf("providers %llu, memory %llu bytes, %.1f bytes/provider\n", (unsigned long long)in.providers,
           (unsigned long long)in.memory_bytes, in.providers ? (double)in.memory_bytes / (double)in.providers : 0.0);
    char snap[4200];
    snprintf(snap, sizeof snap, "%s.nmx", genpath[0] ? genpath : "/tmp/bench_ingest");
    nm_err err;
    double t = now();
    if (nm_registry_save(r, snap, &err)) {
        fprintf(stderr, "save failed: %s\n", err.msg);
        return 1;
    }
    double ts = now() - t;
    struct stat sb;
    stat(snap, &sb);
    nm_registry_free(r);
    /* best of three loads: the machine is shared, the minimum is the least noisy */
    double tl = 1e9;
    for (int k = 0; k < 3; k++) {
        t = now();
        if (nm_registry_load(snap, &r, &err)) {
            fprintf(stderr, "load failed: %s\n", err.msg);
            return 1;
        }
        double d = now() - t;
        tl = d < tl ? d : tl;
        nm_registry_free(r);
    }
    printf("snapshot: %.1f MB, save %.2f s, load %.2f s (best of 3)\n", (double)sb.st_size / 1e6, ts, tl);
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("peak RSS %.1f MB\n", (double)ru.ru_maxrss / 1024.0);
    unlink(snap);
    if (genpath[0]) unlink(genpath);
    return 0;
}
