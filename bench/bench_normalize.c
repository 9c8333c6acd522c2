/* Throughput of the normalizers on synthetic messy records: person names
 * (separate columns and one-string full names), addresses (two lines),
 * phones, ZIPs, dates and nickname lookups. Single thread; prints
 * records/s per core (thread CPU time). Usage: bench_normalize [records] (default 200000). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "npimatch.h"

static uint64_t rng = 0x9E3779B97F4A7C15ULL;
static uint32_t rnd(uint32_t n) {
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)(rng % n);
}
#define PICK(a) a[rnd(sizeof a / sizeof a[0])]

static const char *firsts[] = {"John", "MARY", "Robert J.", "dr. Patricia", "José", "William Jr", "KATHERINE",
                               "Bob", "Mary-Kate", "Muñoz", "ELIZABETH A", "Chuck", "Peggy", "Guadalupe"};
static const char *lasts[] = {"Smith", "o'brien-SMITH", "SMITH MD", "De La Cruz", "Van der Berg", "NGUYEN",
                              "Mc Donald", "Johnson Jr.", "García López", "O BRIEN", "Williams, PhD", "LEE"};
static const char *creds[] = {"", "M.D.", "MD", "D.O.", "PA-C", "RN, MSN, FNP-C", "PH.D.", "M. D.", "DDS"};
static const char *fulls[] = {"Smith, John A. Jr., M.D.", "Dr. Mary-Kate O'Neil PhD", "SMITH, ROBERT J",
                              "Dr. Robert J. Smith Jr., M.D.", "Smith-Jones, Mary Ann PhD", "Juan de la Cruz",
                              "MARY ANN VAN DER BERG RN, MSN, FNP-C", "José Muñoz"};
static const char *streets[] = {"1824 KING STREET SUITE 300", "123 North First Avenue Apt. 4B",
                                "P.O. Box 2168", "4500 North East Twenty-First Street 2nd Floor",
                                "77 Massachusetts Av", "1 Medical Center Drive", "9 Main Street Southwest",
                                "123 N 1st Ave #4B", "10 State Highway 6", "One Market Plaza"};
static const char *line2s[] = {"", "", "Suite 200", "Bldg 2, Ste 100", "Attn Billing", "PO Box 55", "300"};
static const char *phones[] = {"(308) 865-2512 x12", "+1 308.865.2512", "3088652512", "308-865-2512 EXT. 45"};
static const char *zips[] = {"68847-2944", "688472944", "6884", "68847"};
static const char *dates[] = {"1985-07-04", "7/4/85", "02/29/2024", "19850704", "12/31/1999"};
static const char *nicks[][2] = {{"BOB", "ROBERT"}, {"PEGGY", "MARGARET"}, {"JOHN", "JANE"}, {"KATE", "KATHLEEN"}};

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts); /* CPU time: the machine is shared */
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

typedef struct { const char *a, *b, *c, *d, *e; } rec;

int main(int argc, char **argv) {
    size_t n = argc > 1 ? strtoul(argv[1], NULL, 10) : 200000;
    if (n == 0) n = 1;
    rec *r = malloc(n * sizeof *r);
    if (!r) return 1;
    volatile size_t sink = 0;
    nm_nicknames_default(); /* build the table outside the timings */

    for (size_t i = 0; i < n; i++) r[i] = (rec){PICK(firsts), "", PICK(lasts), "", PICK(creds)};
    double t0 = now();
    for (size_t i = 0; i < n; i++) {
        nm_person_name p;
        nm_normalize_person_name(r[i].a, strlen(r[i].a), r[i].b, 0, r[i].c, strlen(r[i].c), r[i].d, 0, r[i].e,
                                 strlen(r[i].e), &p);
        sink += (size_t)p.last[0];
    }
    double t1 = now();
    printf("person name (5 columns)   %9zu records %8.3f s %10.0f records/s\n", n, t1 - t0, n / (t1 - t0));

    for (size_t i = 0; i < n; i++) r[i].a = PICK(fulls);
    t0 = now();
    for (size_t i = 0; i < n; i++) {
        nm_person_name p;
        nm_parse_full_name(r[i].a, strlen(r[i].a), &p);
        sink += (size_t)p.last[0];
    }
    t1 = now();
    printf("full name parse           %9zu records %8.3f s %10.0f records/s\n", n, t1 - t0, n / (t1 - t0));

    for (size_t i = 0; i < n; i++) r[i].a = PICK(streets), r[i].b = PICK(line2s);
    t0 = now();
    for (size_t i = 0; i < n; i++) {
        nm_address a;
        nm_normalize_address(r[i].a, strlen(r[i].a), r[i].b, strlen(r[i].b), &a);
        sink += (size_t)a.line[0];
    }
    t1 = now();
    printf("address (2 lines)         %9zu records %8.3f s %10.0f records/s\n", n, t1 - t0, n / (t1 - t0));

    for (size_t i = 0; i < n; i++) r[i].a = PICK(phones), r[i].b = PICK(zips), r[i].c = PICK(dates);
    t0 = now();
    for (size_t i = 0; i < n; i++) {
        char ph[11], z5[6], p4[5];
        uint32_t d = 0;
        sink += nm_normalize_phone(r[i].a, strlen(r[i].a), ph);
        sink += nm_normalize_zip(r[i].b, strlen(r[i].b), z5, p4);
        nm_parse_date(r[i].c, strlen(r[i].c), &d);
        sink += d;
    }
    t1 = now();
    printf("phone + zip + date        %9zu records %8.3f s %10.0f records/s\n", n, t1 - t0, n / (t1 - t0));

    const nm_nicknames *nk = nm_nicknames_default();
    t0 = now();
    for (size_t i = 0; i < n; i++) {
        const char **p = nicks[i & 3];
        sink += (size_t)nm_nickname_match(nk, p[0], strlen(p[0]), p[1], strlen(p[1]));
    }
    t1 = now();
    printf("nickname match            %9zu pairs   %8.3f s %10.0f pairs/s\n", n, t1 - t0, n / (t1 - t0));
    printf("(nickname table: %zu canonical-variant pairs; sink %zu)\n", nm_nicknames_pair_count(nk), (size_t)sink);
    free(r);
    return 0;
}
