/* Phonetic encoders and edit distances: throughput on generated names.
 *
 * Three name sets: names built from syllables (2-4 per name, 3-14 bytes,
 * upper case; the syllables are rule-heavy on purpose: CH, SCH, GH, TH,
 * WITZ, CIA, ZZ, a stress test), the 1,221 surnames of the Double Metaphone
 * test list (chosen to exercise its rules), and surnames drawn by frequency
 * from data/surnames.csv (what registries and customer files hold). Each
 * encoder runs over the whole list several times and the best pass is
 * reported as names per second on one core. Edit distances run on pairs (name, mutated name). Usage:
 *   bench_phonetic [names=100000] [passes=5]
 * Prints figures; asserts nothing. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "common/data.h"
#include "npimatch.h"

static uint64_t rs = 0x2545F4914F6CDD1Dull;
static uint32_t rnd(void) {
    rs ^= rs << 13;
    rs ^= rs >> 7;
    rs ^= rs << 17;
    return (uint32_t)rs;
}

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);   /* CPU time: the machine is shared */
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static const char *syl[] = {"AN", "BER", "CH", "SCH", "MAC", "SON", "GH", "PH", "WITZ", "KO", "TH", "RO",
                            "EL", "LI", "MAR", "TIN", "EZ", "GAR", "CIA", "DO", "WAL", "KER", "STE", "VEN",
                            "JO", "HN", "SEN", "BAU", "MAN", "NEY", "QUI", "ZZ", "OW", "ICK", "LL", "A"};

typedef struct { char *bytes; uint32_t *off; size_t n; } names_t;

static names_t gen_names(size_t n) {
    names_t s = {malloc(n * 16), malloc((n + 1) * sizeof(uint32_t)), n};
    size_t p = 0;
    for (size_t i = 0; i < n; i++) {
        s.off[i] = (uint32_t)p;
        int k = 2 + (int)(rnd() % 3);
        size_t st = p;
        for (int j = 0; j < k; j++) {
            const char *y = syl[rnd() % (sizeof syl / sizeof syl[0])];
            size_t l = strlen(y);
            if (p - st + l > 14) break;
            memcpy(s.bytes + p, y, l);
            p += l;
        }
        if (p - st < 3) s.bytes[p++] = 'E';
    }
    s.off[n] = (uint32_t)p;
    return s;
}

/* ~100k names drawn at random from the 1,221 real surnames of the Double
 * Metaphone test list (tests/data/dmetaphone_surnames.csv), upper-cased. */
static names_t load_surnames(size_t n) {
    char path[1024];
    const char *slash = strrchr(__FILE__, '/');
    snprintf(path, sizeof path, "%.*s/../tests/data/dmetaphone_surnames.csv", slash ? (int)(slash - __FILE__) : 1,
             slash ? __FILE__ : ".");
    names_t s = {NULL, NULL, 0};
    FILE *f = fopen(path, "r");
    if (!f) return s;
    static char list[2000][64];
    size_t m = 0;
    char line[256];
    while (fgets(line, sizeof line, f) && m < 2000) {
        line[strcspn(line, ",\r\n")] = 0;
        if (m == 0 && strcmp(line, "word") == 0) continue;
        snprintf(list[m], sizeof list[m], "%.63s", line);
        for (char *c = list[m]; *c; c++)
            if (*c >= 'a' && *c <= 'z') *c = (char)(*c - 32);
        m++;
    }
    fclose(f);
    s.bytes = malloc(n * 32);
    s.off = malloc((n + 1) * sizeof(uint32_t));
    s.n = n;
    size_t p = 0;
    for (size_t i = 0; i < n; i++) {
        const char *w = list[rnd() % m];
        s.off[i] = (uint32_t)p;
        memcpy(s.bytes + p, w, strlen(w));
        p += strlen(w);
    }
    s.off[n] = (uint32_t)p;
    return s;
}

/* n surnames drawn by weight from the table the data generators use
 * (data/surnames.csv: common US surnames with their frequencies), so each
 * name comes up as often as it does in a registry or a customer file. */
static names_t load_weighted_surnames(size_t n) {
    names_t s = {NULL, NULL, 0};
    size_t len;
    const char *t = nm_data_get("surnames.csv", &len);
    if (!t) return s;
    static char list[4000][32];
    static double cum[4000];
    size_t m = 0;
    double total = 0;
    const char *p = strchr(t, '\n');   /* past the header */
    while (p && *++p && m < 4000) {
        const char *comma = strchr(p, ',');
        if (!comma) break;
        snprintf(list[m], sizeof list[m], "%.*s", (int)(comma - p), p);
        total += atof(comma + 1);
        cum[m++] = total;
        p = strchr(comma, '\n');
    }
    s.bytes = malloc(n * 32);
    s.off = malloc((n + 1) * sizeof(uint32_t));
    s.n = n;
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        double x = (double)rnd() / 4294967296.0 * total;
        size_t lo = 0, hi = m - 1;
        while (lo < hi) {
            size_t mid = (lo + hi) / 2;
            if (cum[mid] > x) hi = mid;
            else lo = mid + 1;
        }
        s.off[i] = (uint32_t)o;
        memcpy(s.bytes + o, list[lo], strlen(list[lo]));
        o += strlen(list[lo]);
    }
    s.off[n] = (uint32_t)o;
    return s;
}

static volatile size_t sink;

#define BENCH(label, body)                                                                 \
    do {                                                                                   \
        double best = 1e30;                                                                \
        for (int pass = 0; pass < passes; pass++) {                                        \
            size_t acc = 0;                                                                \
            double t0 = now();                                                             \
            for (size_t i = 0; i < nm.n; i++) {                                            \
                const char *s = nm.bytes + nm.off[i];                                      \
                size_t n = nm.off[i + 1] - nm.off[i];                                      \
                body;                                                                      \
            }                                                                              \
            double t = now() - t0;                                                         \
            sink += acc;                                                                   \
            if (t < best) best = t;                                                        \
        }                                                                                  \
            printf("%-26s %8.1f M/s  %6.1f ns each\n", label, nm.n / best / 1e6, best / nm.n * 1e9); \
    } while (0)

int main(int argc, char **argv) {
    size_t count = argc > 1 ? (size_t)atol(argv[1]) : 100000;
    int passes = argc > 2 ? atoi(argv[2]) : 5;
    names_t nm = gen_names(count);
    printf("names: %zu, mean length %.1f bytes, best of %d passes, 1 thread, per-thread CPU time\n", nm.n,
           (double)nm.off[nm.n] / (double)nm.n, passes);
    char out[5], alt[5], ny[64];
#define ENCODERS()                                                                       \
    BENCH("soundex", acc += nm_soundex(s, n, out) + (size_t)out[1]);                     \
    BENCH("nysiis (max 6)", acc += nm_nysiis(s, n, 6, ny, sizeof ny) + (size_t)ny[0]);   \
    BENCH("nysiis (unlimited)", acc += nm_nysiis(s, n, 0, ny, sizeof ny) + (size_t)ny[0]); \
    BENCH("double metaphone", acc += nm_double_metaphone(s, n, out, alt) + (size_t)alt[0]);
    ENCODERS();
    names_t gen = nm;
    nm = load_surnames(count);
    if (nm.n) {
        printf("real surnames (Double Metaphone test list, random order): %zu, mean length %.1f bytes\n", nm.n,
               (double)nm.off[nm.n] / (double)nm.n);
        ENCODERS();
        free(nm.bytes);
        free(nm.off);
    }
    nm = load_weighted_surnames(count);
    if (nm.n) {
        printf("surnames drawn by frequency (data/surnames.csv, as in generated registries): %zu, mean length %.1f bytes\n",
               nm.n, (double)nm.off[nm.n] / (double)nm.n);
        ENCODERS();
        free(nm.bytes);
        free(nm.off);
    }
    nm = gen;
    printf("edit distances on generated name pairs:\n");

    /* Pairs: each name against a copy with one or two random edits, and
     * against the next name in the list (mostly unrelated). */
    char *mut = malloc(nm.off[nm.n] + 2 * nm.n);
    uint32_t *moff = malloc((nm.n + 1) * sizeof *moff);
    size_t p = 0;
    for (size_t i = 0; i < nm.n; i++) {
        moff[i] = (uint32_t)p;
        const char *s = nm.bytes + nm.off[i];
        size_t n = nm.off[i + 1] - nm.off[i];
        memcpy(mut + p, s, n);
        size_t at = rnd() % n;
        switch (rnd() % 3) {
        case 0: mut[p + at] = (char)('A' + rnd() % 26); break;
        case 1: if (at + 1 < n) { char c = mut[p + at]; mut[p + at] = mut[p + at + 1]; mut[p + at + 1] = c; } break;
        default: memmove(mut + p + at + 1, mut + p + at, n - at); mut[p + at] = 'E'; n++; break;
        }
        p += n;
    }
    moff[nm.n] = (uint32_t)p;
#define PAIR_M(i) mut + moff[i], moff[(i) + 1] - moff[i]
#define PAIR_N(i) nm.bytes + nm.off[((i) + 1) % nm.n], nm.off[((i) + 1) % nm.n + 1] - nm.off[((i) + 1) % nm.n]
    BENCH("levenshtein similar", acc += (size_t)nm_levenshtein(s, n, PAIR_M(i), -1));
    BENCH("levenshtein unrelated", acc += (size_t)nm_levenshtein(s, n, PAIR_N(i), -1));
    BENCH("levenshtein unrel. max 2", acc += (size_t)nm_levenshtein(s, n, PAIR_N(i), 2));
    BENCH("osa similar", acc += (size_t)nm_osa_distance(s, n, PAIR_M(i), -1));
    BENCH("osa unrelated", acc += (size_t)nm_osa_distance(s, n, PAIR_N(i), -1));
    BENCH("osa unrelated max 2", acc += (size_t)nm_osa_distance(s, n, PAIR_N(i), 2));
    free(mut);
    free(moff);
    free(nm.bytes);
    free(nm.off);
    return 0;
}
