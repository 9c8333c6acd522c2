/* Phonetic codes: Soundex (American/NARA), NYSIIS (Taft 1970, 6 and
 * unlimited) and Double Metaphone (Philips 2000), against the published
 * test vectors of Apache Commons Codec (tests/data/, see README there) and
 * jellyfish, plus robustness on arbitrary bytes. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "compare/phonetic.h"
#include "npimatch.h"

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;
static uint64_t rnd(void) {
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

/* ---- test data files next to this source ---- */

typedef struct { char *f[4]; int n; } row_t;

/* Read tests/data/<name> (simple CSV: no quotes inside fields), skipping the
 * header; calls fn for each row. Returns the row count. */
static int each_row(const char *name, void (*fn)(const row_t *, void *), void *user) {
    char path[1024];
    const char *slash = strrchr(__FILE__, '/');
    int dir = slash ? (int)(slash - __FILE__) : 1;
    snprintf(path, sizeof path, "%.*s/data/%s", dir, slash ? __FILE__ : ".", name);
    FILE *fp = fopen(path, "r");
    cr_assert_not_null(fp, "cannot open %s", path);
    char line[512];
    int rows = 0;
    cr_assert_not_null(fgets(line, sizeof line, fp));   /* header */
    while (fgets(line, sizeof line, fp)) {
        line[strcspn(line, "\r\n")] = 0;
        row_t r = {{0}, 0};
        char *p = line;
        while (r.n < 4) {
            r.f[r.n++] = p;
            char *c = strchr(p, ',');
            if (!c) break;
            *c = 0;
            p = c + 1;
        }
        fn(&r, user);
        rows++;
    }
    fclose(fp);
    return rows;
}

/* Encode through an exactly-sized heap copy so ASan catches any read past n. */
static char *heap_copy(const char *s, size_t n) {
    char *p = malloc(n ? n : 1);
    memcpy(p, s, n);
    return p;
}

static size_t soundex_of(const char *s, char out[5]) {
    size_t n = strlen(s);
    char *p = heap_copy(s, n);
    size_t r = nm_soundex(p, n, out);
    free(p);
    return r;
}

static size_t nysiis_of(const char *s, int max_len, char *out, size_t cap) {
    size_t n = strlen(s);
    char *p = heap_copy(s, n);
    size_t r = nm_nysiis(p, n, max_len, out, cap);
    free(p);
    return r;
}

static size_t dm_of(const char *s, char pri[5], char alt[5]) {
    size_t n = strlen(s);
    char *p = heap_copy(s, n);
    size_t r = nm_double_metaphone(p, n, pri, alt);
    free(p);
    return r;
}

/* ---- Soundex ---- */

static void soundex_row(const row_t *r, void *user) {
    char out[5];
    size_t len = soundex_of(r->f[0], out);
    cr_expect_str_eq(out, r->f[1], "soundex(%s) = %s, expected %s", r->f[0], out, r->f[1]);
    cr_expect_eq(len, 4);
    (*(int *)user)++;
}

Test(soundex, commons_codec_american) {
    int n = 0;
    cr_assert_eq(each_row("soundex_commons.csv", soundex_row, &n), 150);
}

Test(soundex, jellyfish_vectors) {
    /* jellyfish 1.2.1 testdata/soundex.csv, ASCII rows (jellyfish NFKD-folds
     * accented letters and keeps a non-letter first byte; we skip non-ASCII). */
    static const char *v[][2] = {{"Washington", "W252"}, {"Lee", "L000"}, {"Gutierrez", "G362"},
                                 {"Pfister", "P236"},    {"Jackson", "J250"}, {"Tymczak", "T522"},
                                 {"A", "A000"},          {"Ashcroft", "A261"}};
    char out[5];
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        soundex_of(v[i][0], out);
        cr_expect_str_eq(out, v[i][1], "%s", v[i][0]);
    }
    cr_expect_eq(soundex_of("", out), 0);
    cr_expect_str_eq(out, "");
}

Test(soundex, nara_rules_and_edges) {
    char out[5];
    /* H/W do not separate equal codes, vowels do; the first letter counts. */
    soundex_of("ASHCRAFT", out);
    cr_expect_str_eq(out, "A261");
    soundex_of("TYMCZAK", out);
    cr_expect_str_eq(out, "T522");
    soundex_of("PFISTER", out);
    cr_expect_str_eq(out, "P236");
    soundex_of("BOOTH-DAVIS", out);
    cr_expect_str_eq(out, "B312");
    soundex_of("  o'brien ", out);
    cr_expect_str_eq(out, "O165");
    cr_expect_eq(soundex_of("123 -'", out), 0);
    cr_expect_str_eq(out, "");
    /* Stops at n: "LEEX" cut to 3 bytes is "LEE". */
    nm_soundex("LEEX", 3, out);
    cr_expect_str_eq(out, "L000");
}

/* ---- NYSIIS ---- */

static void nysiis_row(const row_t *r, void *user) {
    int strict = strcmp(r->f[2], "strict") == 0;
    char out[64];
    size_t len = nysiis_of(r->f[0], strict ? 6 : 0, out, strict ? 7 : sizeof out);
    cr_expect_str_eq(out, r->f[1], "nysiis(%s, %s) = %s, expected %s", r->f[0], r->f[2], out, r->f[1]);
    cr_expect_eq(len, strlen(r->f[1]));
    (*(int *)user)++;
}

Test(nysiis, commons_codec_strict_and_full) {
    int n = 0;
    cr_assert_eq(each_row("nysiis_commons.csv", nysiis_row, &n), 86);
}

Test(nysiis, jellyfish_untruncated) {
    /* jellyfish 1.2.1 testdata/nysiis.csv (codes not cut to 6). Left out
     * where jellyfish and Commons/Taft disagree: "Bosch" (jellyfish BAS keeps
     * two S from SCH -> SSS, Taft's duplicate rule collapses them: BAS ->
     * BA -> B, as Commons gives DEUTSCH -> DAT) and "ç" (jellyfish keeps
     * non-ASCII letters, we skip them). */
    static const char *v[][2] = {
        {"Worthy", "WARTY"},     {"Ogata", "OGAT"},         {"montgomery", "MANTGANARY"},
        {"Costales", "CASTAL"},  {"Tu", "T"},               {"martincevic", "MARTANCAFAC"},
        {"Catherine", "CATARAN"}, {"Katherine", "CATARAN"}, {"Katerina", "CATARAN"},
        {"Johnathan", "JANATAN"}, {"Jonathan", "JANATAN"},  {"John", "JAN"},
        {"Teresa", "TARAS"},     {"Theresa", "TARAS"},      {"Jessica", "JASAC"},
        {"Joshua", "JAS"},       {"Lapher", "LAFAR"},
        {"wiyh", "WY"},          {"MacArthur", "MCARTAR"},  {"Pheenard", "FANAD"},
        {"Schmittie", "SNATY"},  {"Knaqze", "NAGS"},        {"Knokno", "NAN"},
        {"Knoko", "NAC"},        {"Macaw", "MC"},           {"", ""},
        {"T", "T"},              {"S", "S"},                {"P", "P"},
        {"K", "C"},              {"M", "M"},                {"E", "E"},
        {"PFEISTER", "FASTAR"},  {"SARAH", "SAR"},
    };
    char out[64];
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        nysiis_of(v[i][0], 0, out, sizeof out);
        cr_expect_str_eq(out, v[i][1], "nysiis(%s) = %s", v[i][0], out);
    }
}

Test(nysiis, truncation_and_buffers) {
    char out[16];
    cr_expect_eq(nysiis_of("montgomery", 6, out, 7), 6);
    cr_expect_str_eq(out, "MANTGA");
    /* A cap smaller than asked for never overflows. */
    memset(out, 'Z', sizeof out);
    cr_expect_eq(nysiis_of("montgomery", 0, out, 4), 3);
    cr_expect_str_eq(out, "MAN");
    cr_expect_eq(out[4], 'Z');
    cr_expect_eq(nysiis_of("montgomery", 6, out, 0), 0);
    cr_expect_eq(out[0], 'M');   /* cap 0: nothing written */
    /* The final AY -> Y lands inside a truncated key only when it is there. */
    cr_expect_eq(nysiis_of("XAYS", 6, out, 7), 2);
    cr_expect_str_eq(out, "XY");
    /* Never empty for a name with letters (Commons gives "" for AS). */
    nysiis_of("AS", 6, out, 7);
    cr_expect_str_eq(out, "A");
    cr_expect_eq(nysiis_of("-- 12", 6, out, 7), 0);
    cr_expect_str_eq(out, "");
    nysiis_of("o'daniel", 0, out, sizeof out);
    cr_expect_str_eq(out, "ODANAL");
}

/* ---- Double Metaphone ---- */

typedef struct { int rows, bad; } dm_stats;

static void dm_row(const row_t *r, void *user) {
    dm_stats *st = user;
    char p[5], a[5];
    dm_of(r->f[0], p, a);
    st->rows++;
    if (strcmp(p, r->f[1]) || strcmp(a, r->f[2])) {
        st->bad++;
        cr_log_error("double_metaphone(%s) = %s/%s, expected %s/%s", r->f[0], p, a, r->f[1], r->f[2]);
    }
}

Test(double_metaphone, commons_codec_surnames) {
    dm_stats st = {0, 0};
    cr_assert_eq(each_row("dmetaphone_surnames.csv", dm_row, &st), 1221);
    cr_expect_eq(st.bad, 0, "%d of %d surnames differ", st.bad, st.rows);
}

static void dm_case(const row_t *r, void *user) {
    char p[5], a[5];
    dm_of(r->f[0], p, a);
    const char *got = strcmp(r->f[2], "primary") == 0 ? p : a;
    size_t max = (size_t)atoi(r->f[3]);
    /* Codes grow left to right, so the max-3 code is the 4-code's prefix. */
    char cut[5];
    snprintf(cut, sizeof cut, "%.*s", (int)max, got);
    cr_expect_str_eq(cut, r->f[1], "%s %s(%s) = %s", r->f[2], r->f[0], r->f[3], cut);
    (*(int *)user)++;
}

Test(double_metaphone, commons_codec_cases) {
    int n = 0;
    cr_assert_eq(each_row("dmetaphone_cases.csv", dm_case, &n), 38);
}

Test(double_metaphone, philips_examples_and_edges) {
    char p[5], a[5];
    /* Smith and Schmidt meet through the alternate (Philips 2000). */
    dm_of("SMITH", p, a);
    cr_expect_str_eq(p, "SM0");
    cr_expect_str_eq(a, "XMT");
    dm_of("SCHMIDT", p, a);
    cr_expect_str_eq(p, "XMT");
    cr_expect_str_eq(a, "SMT");
    /* Case-folded; leading/trailing punctuation ignored. */
    dm_of("  'catherine'", p, a);
    char p2[5], a2[5];
    dm_of("KATHRYN", p2, a2);
    cr_expect_str_eq(p, p2);
    cr_expect_eq(dm_of("", p, a), 0);
    cr_expect_str_eq(p, "");
    cr_expect_str_eq(a, "");
    cr_expect_eq(dm_of(" -. ", p, a), 0);
    cr_expect_str_eq(p, "");
    /* n bounds the input: "JOSE" cut to 3 is "JOS". */
    nm_double_metaphone("JOSEPH", 3, p, a);
    dm_of("JOS", p2, a2);
    cr_expect_str_eq(p, p2);
    cr_expect_str_eq(a, a2);
}

/* ---- robustness on arbitrary bytes ---- */


static int all_in(const char *s, const char *set) {
    for (; *s; s++)
        if (!strchr(set, *s)) return 0;
    return 1;
}

Test(phonetic, random_bytes_never_overflow) {
    static const char alpha[] = "AEIOUYBCDFGHJKLMNPQRSTVWXZ aeiouy'-.,SCHGHPHCZWITZ";
    for (int it = 0; it < 20000; it++) {
        size_t n = rnd() % (it % 100 == 0 ? 400 : 24);
        char *s = malloc(n ? n : 1);
        int mode = it % 3;
        for (size_t i = 0; i < n; i++)
            s[i] = mode == 0 ? (char)rnd() : alpha[rnd() % (sizeof alpha - 1)];
        char sx[6] = {0, 0, 0, 0, 0, 'Z'};
        size_t l = nm_soundex(s, n, sx);
        cr_assert(l == 0 || l == 4);
        cr_assert_eq(strlen(sx), l);
        cr_assert_eq(sx[5], 'Z');
        if (l) cr_assert(sx[0] >= 'A' && sx[0] <= 'Z' && all_in(sx + 1, "0123456"));

        char ny[8];
        memset(ny, 'Z', sizeof ny);
        l = nm_nysiis(s, n, 6, ny, 7);
        cr_assert(l <= 6 && strlen(ny) == l && ny[7] == 'Z');
        cr_assert(all_in(ny, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"));
        char *full = malloc(n + 1);
        size_t lf = nm_nysiis(s, n, 0, full, n + 1);
        cr_assert_eq(strlen(full), lf);
        cr_assert(lf <= n);
        /* The 6-code is the full code's prefix unless the final-letter rules
         * act inside the first 6 characters. */
        if (lf >= 9) cr_assert_eq(strncmp(full, ny, 6), 0);
        free(full);

        char p[6], a[6];
        p[5] = a[5] = 'Z';
        l = nm_double_metaphone(s, n, p, a);
        cr_assert(l <= 4 && strlen(p) == l && strlen(a) <= 4 && p[5] == 'Z' && a[5] == 'Z');
        cr_assert(all_in(p, "0AFHJKLMNPRSTX") && all_in(a, "0AFHJKLMNPRSTX"));
        free(s);
    }
}

/* The streamed path (names longer than the stack buffer) equals the
 * buffered one on every input both can take. */
Test(nysiis, streamed_path_equals_buffered) {
    static const char alpha[] = "AEIOUBCDFGHJKLMNPQRSTVWXYZ SCHPHKNEVWH";
    char s[80], a[96], b[96];
    for (int it = 0; it < 20000; it++) {
        size_t n = rnd() % 70;
        for (size_t i = 0; i < n; i++) s[i] = alpha[rnd() % (sizeof alpha - 1)];
        int max_len = it % 2 ? 6 : 0;
        size_t la = nm_nysiis_impl(s, n, max_len, a, sizeof a, 0);
        size_t lb = nm_nysiis_impl(s, n, max_len, b, sizeof b, 1);
        cr_assert_eq(la, lb, "%.*s", (int)n, s);
        cr_assert_str_eq(a, b, "%.*s", (int)n, s);
    }
}

Test(nysiis, long_names) {
    /* "BOSCH" -> B, A, S (SCH -> SSS collapses): 30 copies give "BAS" x 30,
     * then the final S and A go: 150 letters, streamed. */
    char s[256], want[128], out[256];
    for (int copies = 10; copies <= 40; copies += 30) {   /* 50 letters buffered, 200 streamed */
        size_t n = 0, k = 0;
        for (int c = 0; c < copies; c++) memcpy(s + n, "BOSCH", 5), n += 5;
        for (int c = 0; c < copies; c++) memcpy(want + k, "BAS", 3), k += 3;
        want[k - 2] = 0;   /* ...BAS -> ...BA -> ...B */
        cr_expect_eq(nm_nysiis(s, n, 0, out, sizeof out), k - 2);
        cr_expect_str_eq(out, want);
        nm_nysiis(s, n, 6, out, 7);
        cr_expect_str_eq(out, "BASBAS");
    }
}

/* The table-driven fast path of Double Metaphone equals the published rules
 * run at every position, on words built from the rules' own contexts (so
 * that each guard is exercised on both sides), with case and non-letters
 * mixed in, short (one-vector copy) and long. */
Test(double_metaphone, fast_path_equals_rules) {
    static const char *frag[] = {
        "ACH", "BACHER", "CAESAR", "CHIA", "CHAE", "HARAC", "HOR", "ORCHES", "ARCHIT", "CZ", "WICZ", "CIA", "CC",
        "CK", "CG", "CQ", "CI", "CE", "CY", "DG", "DT", "GH", "GN", "GLI", "GER", "GY", "AGGI", "JOSE", "SAN ",
        "ISL", "SUGAR", "SH", "HEIM", "SIO", "SIA", "SC", "SCHOO", "SCHER", "AI", "OI", "WR", "WH", "EWSKI",
        "WITZ", "TION", "TIA", "TCH", "TH", "TTH", "IAU", "EAU", "ZH", "ZO", "MB", "UMB", "ILLO", "ALLE", "IER",
        "VAN ", "VON ", "MC", "PH", "PB", "RR", "SS", "ZZ", "LL", "HA", "AH", "-", "'", "a", "sch", "A", "E",
        "I", "O", "U", "Y", "B", "C", "D", "F", "G", "H", "J", "K", "L", "M", "N", "P", "Q", "R", "S", "T",
        "V", "W", "X", "Z"};
    const size_t nf = sizeof frag / sizeof *frag;
    char s[128], p1[5], a1[5], p2[5], a2[5];
    for (int it = 0; it < 200000; it++) {
        size_t n = 0, k = 1 + rnd() % (it % 8 ? 5 : 12);
        for (size_t j = 0; j < k; j++) {
            const char *f = frag[rnd() % nf];
            size_t l = strlen(f);
            if (n + l > sizeof s) break;
            memcpy(s + n, f, l);
            n += l;
        }
        size_t l1 = nm_double_metaphone_impl(s, n, p1, a1, 0);
        size_t l2 = nm_double_metaphone_impl(s, n, p2, a2, 1);
        cr_assert_eq(l1, l2, "%.*s", (int)n, s);
        cr_assert_str_eq(p1, p2, "%.*s", (int)n, s);
        cr_assert_str_eq(a1, a2, "%.*s", (int)n, s);
    }
}

/* Encodes s[0..n) from an exactly-sized heap copy (ASan sees any read past
 * n) with the fast path and with the published rules at every position, and
 * requires the same codes byte for byte. */
static void dm_same_both_ways(const char *s, size_t n) {
    char *in = heap_copy(s, n);
    char p1[6], a1[6], p2[6], a2[6];
    memset(p1, 'Z', sizeof p1), memset(a1, 'Z', sizeof a1), memset(p2, 'Y', sizeof p2), memset(a2, 'Y', sizeof a2);
    size_t l1 = nm_double_metaphone_impl(in, n, p1, a1, 0);
    size_t l2 = nm_double_metaphone_impl(in, n, p2, a2, 1);
    free(in);
    cr_assert_eq(l1, l2, "%.*s", (int)n, s);
    cr_assert_str_eq(p1, p2, "%.*s", (int)n, s);
    cr_assert_str_eq(a1, a2, "%.*s", (int)n, s);
    cr_assert_eq(p1[5], 'Z', "%.*s", (int)n, s);   /* nothing written past the terminator */
    cr_assert_eq(a1[5], 'Z', "%.*s", (int)n, s);
}

/* The fast path equals the rules on the names bench_phonetic times (built
 * from the same rule-heavy syllables: CH, SCH, GH, TH, WITZ, CIA, ZZ, JO,
 * ...), in upper and lower case and up to 10 syllables (past the one-vector
 * copy of 16 bytes); on every string of 0 to 3 letters and random strings
 * of 4 to 6 letters (first- and last-letter rules meet); and on names
 * longer than the 256 bytes encoded. */
Test(double_metaphone, fast_path_equals_rules_on_bench_names) {
    static const char *syl[] = {"AN",  "BER", "CH",  "SCH", "MAC", "SON", "GH",  "PH",  "WITZ", "KO",  "TH",  "RO",
                                "EL",  "LI",  "MAR", "TIN", "EZ",  "GAR", "CIA", "DO",  "WAL",  "KER", "STE", "VEN",
                                "JO",  "HN",  "SEN", "BAU", "MAN", "NEY", "QUI", "ZZ",  "OW",   "ICK", "LL",  "A"};
    const size_t ns = sizeof syl / sizeof *syl;
    char s[400];
    for (int it = 0; it < 100000; it++) {
        size_t n = 0, k = 1 + rnd() % (it % 10 ? 4 : 10);
        for (size_t j = 0; j < k; j++) {
            const char *y = syl[rnd() % ns];
            memcpy(s + n, y, strlen(y));
            n += strlen(y);
        }
        if (it % 7 == 0)
            for (size_t j = 0; j < n; j++) s[j] = (char)(s[j] | 0x20);
        dm_same_both_ways(s, n);
    }
    dm_same_both_ways("", 0);
    for (int a = 0; a < 26; a++) {
        s[0] = (char)('A' + a);
        dm_same_both_ways(s, 1);
        for (int b = 0; b < 26; b++) {
            s[1] = (char)('A' + b);
            dm_same_both_ways(s, 2);
            for (int c = 0; c < 26; c++) {
                s[2] = (char)('A' + c);
                dm_same_both_ways(s, 3);
            }
        }
    }
    for (int it = 0; it < 60000; it++) {
        size_t n = 4 + (size_t)it % 3;
        for (size_t j = 0; j < n; j++) s[j] = (char)('A' + rnd() % 26);
        dm_same_both_ways(s, n);
    }
    for (int it = 0; it < 300; it++) {   /* 17..400 bytes: the byte-wise copy, and the DM_MAX cut */
        size_t n = 17 + rnd() % (sizeof s - 17);
        for (size_t j = 0; j < n; j++) s[j] = rnd() % 8 ? syl[rnd() % ns][0] : (char)('A' + rnd() % 26);
        dm_same_both_ways(s, n);
    }
}

/* Differential vectors: tests/data/phonetic_diff.csv holds 6,000 inputs
 * (syllable-built names with the rule contexts, random letters, mixed case
 * and punctuation, 60-150 letter names for the long paths) with the codes
 * the encoders gave before they were restructured for speed (main 07a6ce5).
 * Every code must stay byte for byte the same. Each input is encoded from
 * an exactly-sized heap copy (ASan sees any read past n). */
Test(phonetic, differential_vectors_unchanged) {
    char path[1024];
    const char *slash = strrchr(__FILE__, '/');
    snprintf(path, sizeof path, "%.*s/data/phonetic_diff.csv", slash ? (int)(slash - __FILE__) : 1,
             slash ? __FILE__ : ".");
    FILE *fp = fopen(path, "r");
    cr_assert_not_null(fp, "cannot open %s", path);
    char line[1024];
    cr_assert_not_null(fgets(line, sizeof line, fp));   /* header */
    int rows = 0;
    while (fgets(line, sizeof line, fp)) {
        line[strcspn(line, "\r\n")] = 0;
        char *f[6];
        char *p = line;
        for (int k = 0; k < 6; k++) {
            f[k] = p;
            char *c = strchr(p, ',');
            if (k < 5) {
                cr_assert_not_null(c, "row %d: too few fields", rows + 1);
                *c = 0;
                p = c + 1;
            }
        }
        size_t n = strlen(f[0]);
        char *in = heap_copy(f[0], n);
        char sx[5], ny6[7], ny0[256], pri[5], alt[5];
        nm_soundex(in, n, sx);
        cr_assert_str_eq(sx, f[1], "soundex row %d", rows + 1);
        nm_nysiis(in, n, 6, ny6, sizeof ny6);
        cr_assert_str_eq(ny6, f[2], "nysiis 6 row %d", rows + 1);
        nm_nysiis(in, n, 0, ny0, sizeof ny0);
        cr_assert_str_eq(ny0, f[3], "nysiis row %d", rows + 1);
        nm_nysiis_impl(in, n, 0, ny0, sizeof ny0, 1);
        cr_assert_str_eq(ny0, f[3], "nysiis streamed row %d", rows + 1);
        nm_double_metaphone(in, n, pri, alt);
        cr_assert_str_eq(pri, f[4], "dm primary row %d", rows + 1);
        cr_assert_str_eq(alt, f[5], "dm alternate row %d", rows + 1);
        nm_double_metaphone_impl(in, n, pri, alt, 1);
        cr_assert_str_eq(pri, f[4], "dm rules-only primary row %d", rows + 1);
        cr_assert_str_eq(alt, f[5], "dm rules-only alternate row %d", rows + 1);
        free(in);
        rows++;
    }
    fclose(fp);
    cr_assert_eq(rows, 6000);
}
