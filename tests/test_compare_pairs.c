/* The compare stage: levels in model order, best level over the values of
 * multi-valued fields, null when a side is missing, token-set Jaccard decided
 * exactly, same vectors at every SIMD level. */
#include <criterion/criterion.h>
#include <string.h>
#include "compare/compare_pairs.h"
#include "compare/tokset.h"
#include "npimatch.h"

static const char MODEL[] =
    "{\"npimatch_model_version\": 1, \"name\": \"t\", \"probability_two_random_records_match\": 0.01,"
    " \"fields\": [{\"name\": \"first_name\", \"type\": \"given_name\"}, {\"name\": \"last_name\", \"type\": \"surname\"},"
    "  {\"name\": \"address\", \"type\": \"address\"}, {\"name\": \"org\", \"type\": \"text\"}],"
    " \"comparisons\": ["
    "  {\"name\": \"first_name\", \"fields\": [\"first_name\"], \"levels\": [{\"label\": \"null\", \"predicate\": \"null\"},"
    "   {\"label\": \"exact\", \"predicate\": \"exact\", \"m\": 0.8, \"u\": 0.01}, {\"label\": \"nickname\", \"predicate\": \"nickname\", \"m\": 0.05, \"u\": 0.01},"
    "   {\"label\": \"jw92\", \"predicate\": \"jw>=92\", \"m\": 0.05, \"u\": 0.01}, {\"label\": \"jw80\", \"predicate\": \"jw>=80\", \"m\": 0.05, \"u\": 0.02},"
    "   {\"label\": \"else\", \"predicate\": \"else\", \"m\": 0.05, \"u\": 0.95}]},"
    "  {\"name\": \"last_name\", \"fields\": [\"last_name\"], \"levels\": [{\"label\": \"null\", \"predicate\": \"null\"},"
    "   {\"label\": \"exact\", \"predicate\": \"exact\", \"m\": 0.8, \"u\": 0.01}, {\"label\": \"dm\", \"predicate\": \"dmetaphone\", \"m\": 0.1, \"u\": 0.01},"
    "   {\"label\": \"else\", \"predicate\": \"else\", \"m\": 0.1, \"u\": 0.98}]},"
    "  {\"name\": \"address\", \"fields\": [\"address\"], \"levels\": [{\"label\": \"null\", \"predicate\": \"null\"},"
    "   {\"label\": \"exact\", \"predicate\": \"exact\", \"m\": 0.8, \"u\": 0.01}, {\"label\": \"else\", \"predicate\": \"else\", \"m\": 0.2, \"u\": 0.99}]},"
    "  {\"name\": \"org\", \"fields\": [\"org\"], \"levels\": [{\"label\": \"null\", \"predicate\": \"null\"},"
    "   {\"label\": \"t67\", \"predicate\": \"token_jaccard>=67\", \"m\": 0.8, \"u\": 0.01}, {\"label\": \"else\", \"predicate\": \"else\", \"m\": 0.2, \"u\": 0.99}]}"
    " ], \"blocking_rules\": [{\"name\": \"last\", \"keys\": \"last_name\"}]}";

typedef struct rec {
    const char *first[2], *last, *addr[3], *org;
} rec;

static void add(nm_rtable *t, const rec *r) {
    for (int i = 0; i < 2 && r->first[i]; i++) nm_rtable_add(t, 0, r->first[i], strlen(r->first[i]), 0);
    if (r->last) nm_rtable_add(t, 1, r->last, strlen(r->last), 0);
    for (int i = 0; i < 3 && r->addr[i]; i++) nm_rtable_add(t, 2, r->addr[i], strlen(r->addr[i]), 0);
    if (r->org) nm_rtable_add(t, 3, r->org, strlen(r->org), 0);
    nm_rtable_end_record(t);
}

Test(compare_pairs, levels_best_over_values_and_simd_identical) {
    nm_model *m;
    nm_err e;
    cr_assert_eq(nm_model_parse(MODEL, sizeof MODEL - 1, "t.json", &m, &e), 0, "%s", e.msg);
    nm_rtable q, ref;
    nm_rtable_init(&q, m);
    nm_rtable_init(&ref, m);
    rec query = {{"Bob", NULL}, "Smyth", {"12 Main Street", NULL, NULL}, "Acme Heart Clinic"};
    add(&q, &query);
    rec rows[] = {
        {{"ROBERT", NULL}, "SMITH", {"9 Oak Ave", "12 MAIN ST", NULL}, "ACME HEART CLINIC LLC"},   /* 2nd address exact */
        {{"BOBBY", "BOB"}, "SMYTH", {NULL}, "HEART CLINIC"},                                   /* other first name exact */
        {{"BOBB", NULL}, "JONES", {"1 ELM ST", NULL, NULL}, "ACME"},
        {{NULL}, NULL, {NULL}, NULL},
    };
    for (size_t i = 0; i < 4; i++) add(&ref, &rows[i]);
    nm_rrows rr;
    cr_assert_eq(nm_rrows_build(&rr, &ref, 1), 0);
    nm_cmp_plan plan;
    nm_cmp_plan_make(m, &plan);
    uint32_t ids[4] = {0, 1, 2, 3};
    uint8_t want[4][4] = {
        {2, 2, 1, 1},   /* nickname, dmetaphone SMITH~SMYTH, address exact (2nd value), 3/4 tokens */
        {1, 1, 0, 2},   /* exact via 2nd first name; no address: null; 2/3 tokens = 66.7% < 67% */
        {4, 3, 2, 2},   /* BOB/BOBB jw 0.93? see below; else; else; 1/3 tokens */
        {0, 0, 0, 0}};
    /* BOB vs BOBB: Jaro = (3/3 + 3/4 + 1)/3 = 0.9167, JW = 0.9167 + 3*0.1*0.0833 = 0.9417 -> jw92 */
    want[2][0] = 3;
    for (int lvl = NM_SIMD_SCALAR; lvl <= (int)nm_simd_detect(); lvl++) {
        nm_simd_force((nm_simd_level)lvl);
        nm_cmp_scratch s = {0};
        uint8_t v[16];
        cr_assert_eq(nm_compare_pairs(m, &plan, &q, 0, &rr, ids, 4, &s, v), 0);
        for (int i = 0; i < 4; i++)
            for (int c = 0; c < 4; c++) cr_assert_eq(v[i * 4 + c], want[i][c], "simd %d row %d comparison %d: %d", lvl, i, c, v[i * 4 + c]);
        nm_cmp_scratch_free(&s);
    }
    nm_simd_force(nm_simd_detect());
    nm_rrows_free(&rr);
    nm_rtable_free(&q);
    nm_rtable_free(&ref);
    nm_model_free(m);
}

/* The one-pass "within one edit" shortcut agrees with the DP distances on
 * many random short strings over a small alphabet (where edits collide). */
Test(compare_pairs, one_edit_shortcut_matches_dp) {
    static const char MODEL2[] =
        "{\"npimatch_model_version\": 1, \"name\": \"t\", \"probability_two_random_records_match\": 0.01,"
        " \"fields\": [{\"name\": \"a\", \"type\": \"identifier\"}, {\"name\": \"b\", \"type\": \"identifier\"}],"
        " \"comparisons\": ["
        "  {\"name\": \"a\", \"fields\": [\"a\"], \"levels\": [{\"label\": \"null\", \"predicate\": \"null\"},"
        "   {\"label\": \"osa1\", \"predicate\": \"osa<=1\", \"m\": 0.8, \"u\": 0.01}, {\"label\": \"else\", \"predicate\": \"else\", \"m\": 0.2, \"u\": 0.99}]},"
        "  {\"name\": \"b\", \"fields\": [\"b\"], \"levels\": [{\"label\": \"null\", \"predicate\": \"null\"},"
        "   {\"label\": \"lev1\", \"predicate\": \"levenshtein<=1\", \"m\": 0.8, \"u\": 0.01}, {\"label\": \"else\", \"predicate\": \"else\", \"m\": 0.2, \"u\": 0.99}]}"
        " ], \"blocking_rules\": [{\"name\": \"a\", \"keys\": \"a\"}]}";
    nm_model *m;
    nm_err e;
    cr_assert_eq(nm_model_parse(MODEL2, sizeof MODEL2 - 1, "t.json", &m, &e), 0, "%s", e.msg);
    nm_cmp_plan plan;
    nm_cmp_plan_make(m, &plan);
    uint64_t x = 12345;
    for (int it = 0; it < 3000; it++) {
        char sa[8], sb[8];
        int la, lb;
        x = x * 6364136223846793005ull + 1442695040888963407ull;
        la = 1 + (int)(x >> 60) % 5;
        lb = la + (int)((x >> 50) % 3) - 1;
        if (lb < 1) lb = 1;
        for (int i = 0; i < 7; i++) {
            x = x * 6364136223846793005ull + 1442695040888963407ull;
            sa[i] = (char)('1' + (x >> 61) % 3);
            sb[i] = (char)('1' + (x >> 58) % 3);
        }
        if (it % 3 == 0) memcpy(sb, sa, 7);   /* near-equal pairs too */
        if (it % 3 == 0 && la > 1) sb[(x >> 40) % (unsigned)la] = '1';
        nm_rtable q, ref;
        nm_rtable_init(&q, m);
        nm_rtable_init(&ref, m);
        nm_rtable_add(&q, 0, sa, (size_t)la, 0);
        nm_rtable_add(&q, 1, sa, (size_t)la, 0);
        nm_rtable_end_record(&q);
        nm_rtable_add(&ref, 0, sb, (size_t)lb, 0);
        nm_rtable_add(&ref, 1, sb, (size_t)lb, 0);
        nm_rtable_end_record(&ref);
        nm_rrows rr;
        nm_rrows_build(&rr, &ref, 1);
        nm_cmp_scratch s = {0};
        uint8_t v[2];
        uint32_t row = 0;
        cr_assert_eq(nm_compare_pairs(m, &plan, &q, 0, &rr, &row, 1, &s, v), 0);
        int osa = nm_osa_distance(sa, (size_t)la, sb, (size_t)lb, -1) <= 1, lev = nm_levenshtein(sa, (size_t)la, sb, (size_t)lb, -1) <= 1;
        cr_assert_eq(v[0] == 1, osa, "osa %.*s %.*s", la, sa, lb, sb);
        cr_assert_eq(v[1] == 1, lev, "lev %.*s %.*s", la, sa, lb, sb);
        nm_cmp_scratch_free(&s);
        nm_rrows_free(&rr);
        nm_rtable_free(&q);
        nm_rtable_free(&ref);
    }
    nm_model_free(m);
}

/* Token-set Jaccard against a plain reference on random token strings:
 * tokens shorter, as long as and longer than the 8-byte heads (equal heads,
 * different tails), repeats, more than 32 distinct tokens (only the first 32
 * count) and a query typed past 255 bytes (the table keeps 255: the last
 * token is cut short, and a candidate with the cut token matches it). */
static int ref_tokens(const char *p, size_t len, char toks[32][256]) {
    int n = 0;
    for (size_t i = 0; i < len && n < 32;) {
        while (i < len && p[i] == ' ') i++;
        size_t b = i;
        while (i < len && p[i] != ' ') i++;
        if (i == b) break;
        char t[256];
        size_t l = i - b < 255 ? i - b : 255;
        memcpy(t, p + b, l);
        t[l] = 0;
        int dup = 0;
        for (int k = 0; k < n && !dup; k++) dup = !strcmp(toks[k], t);
        if (!dup) strcpy(toks[n++], t);
    }
    return n;
}

static int ref_jaccard(const char *a, size_t na_, const char *b, size_t nb_, int pct) {
    static char ta[32][256], tb[32][256];
    int na = ref_tokens(a, na_ < 255 ? na_ : 255, ta), nb = ref_tokens(b, nb_ < 255 ? nb_ : 255, tb), inter = 0;
    if (!na && !nb) return 0;
    for (int i = 0; i < na; i++)
        for (int j = 0; j < nb; j++)
            if (!strcmp(ta[i], tb[j])) {
                inter++;
                break;
            }
    return inter * 100 >= pct * (na + nb - inter);
}

Test(compare_pairs, token_jaccard_matches_reference) {
    static const char *const vocab[] = {"A", "ST", "MAIN", "ABCDEFG", "ABCDEFGH", "ABCDEFGHX", "ABCDEFGHY",
                                        "ABCDEFGHXYZ123", "ABCDEFGHXYZ124", "HOSPITAL", "HOSPITALS", "100", "1000",
                                        "T0", "T1", "T2", "T3", "T4", "T5", "T6", "T7", "T8", "T9", "U0", "U1", "U2",
                                        "U3", "U4", "U5", "U6", "U7", "U8", "U9", "V0", "V1", "V2", "V3", "V4"};
    const int nv = (int)(sizeof vocab / sizeof *vocab);
    nm_model *m;
    nm_err e;
    cr_assert_eq(nm_model_parse(MODEL, sizeof MODEL - 1, "t.json", &m, &e), 0, "%s", e.msg);
    uint64_t seed = 42;
#define RND() (seed = seed * 6364136223846793005ull + 1442695040888963407ull, (uint32_t)(seed >> 33))
    for (int round = 0; round < 40; round++) {
        nm_rtable q, ref;
        nm_rtable_init(&q, m);
        nm_rtable_init(&ref, m);
        char text[21][700];
        for (int r = 0; r < 21; r++) {
            size_t len = 0;
            if (r == 0 && round % 4 == 0)   /* 255 bytes end inside the 17th token */
                for (int k = 0; k < 17; k++) len += (size_t)snprintf(text[r] + len, sizeof text[r] - len, "ABCDEFGHXYZ123 ");
            int nt = (int)(RND() % (r == 0 && round % 4 == 1 ? 70 : 12)) + 1;
            /* candidates share tokens with the query often enough to reach 67% */
            for (int k = 0; k < nt && len + 20 < sizeof text[r]; k++) {
                const char *w = r && RND() % 2 && k < 8 ? vocab[(round + k) % nv] : vocab[RND() % nv];
                len += (size_t)snprintf(text[r] + len, sizeof text[r] - len, "%s%s", k ? " " : "", w);
            }
            if (r == 0) {
                for (int k = 0; k < 8 && len + 20 < sizeof text[r]; k++)
                    len += (size_t)snprintf(text[r] + len, sizeof text[r] - len, " %s", vocab[(round + k) % nv]);
            }
            if (r == 1 && round % 4 == 0)   /* equal to the query's first 255 bytes as token sets */
                snprintf(text[r], sizeof text[r], "ABCDEFGHXYZ12 ABCDEFGHXYZ123");
            rec x = {{NULL}, "X", {NULL}, text[r]};
            add(r ? &ref : &q, &x);
        }
        nm_rrows rr;
        cr_assert_eq(nm_rrows_build(&rr, &ref, 1), 0);
        nm_cmp_plan plan;
        nm_cmp_plan_make(m, &plan);
        uint32_t ids[20];
        for (uint32_t i = 0; i < 20; i++) ids[i] = i;
        nm_cmp_scratch s = {0};
        uint8_t v[20 * 4];
        cr_assert_eq(nm_compare_pairs(m, &plan, &q, 0, &rr, ids, 20, &s, v), 0);
        uint32_t ql, cl;
        const char *qs = nm_rt_value(&q, 3, nm_rt_first(&q, 3, 0), &ql);
        for (int i = 0; i < 20; i++) {
            const char *cs = nm_rt_value(&ref, 3, nm_rt_first(&ref, 3, (size_t)i), &cl);
            int want = ref_jaccard(qs, ql, cs, cl, 67) ? 1 : 2;
            cr_assert_eq(v[i * 4 + 3], want, "round %d candidate %d: level %d, want %d", round, i, v[i * 4 + 3], want);
        }
        nm_cmp_scratch_free(&s);
        nm_rrows_free(&rr);
        nm_rtable_free(&q);
        nm_rtable_free(&ref);
    }
#undef RND
    nm_model_free(m);
}

/* The row store's token filters (compare/tokset.h) only ever reject a pair
 * the split would reject: the stored count is the split's distinct token
 * count, the bound on shared tokens is never below the true number, and the
 * levels of a ladder of thresholds equal the plain reference's. Random
 * tokens from a large vocabulary, so filter bits collide, with equal 8-byte
 * heads, repeats, runs of spaces and more than 32 tokens. */
#define RND2() (*seed = *seed * 6364136223846793005ull + 1442695040888963407ull, (uint32_t)(*seed >> 33))
/* Up to maxtok random tokens (at least mintok) into out; returns the length. */
static size_t rand_tokens(char *out, size_t cap, uint64_t *seed, int mintok, int maxtok) {
    int ntok = mintok + (int)(RND2() % (uint32_t)(maxtok - mintok + 1));
    size_t len = 0;
    for (int k = 0; k < ntok && len + 40 < cap; k++) {
        /* token w of a 2000-token vocabulary, 1..14 bytes; the 4 tokens w / 4
         * longer than 8 bytes share their 8-byte head and differ in the tail */
        uint32_t w = RND2() % 2000, tl = 1 + (w / 4) % 14, hh = (w / 4) * 2654435761u;
        out[len++] = ' ';
        if (RND2() % 8 == 0) out[len++] = ' ';
        for (uint32_t i = 0; i < tl; i++) out[len++] = i < 8 ? (char)('A' + (hh >> (3 * i)) % 26) : (char)('0' + (w + i) % 10);
    }
#undef RND2
    out[len] = 0;
    return len;
}

Test(compare_pairs, token_filter_never_rejects_a_passing_pair) {
    uint64_t seed = 7;
    static char ta[32][256], tb[32][256];
    int tighter = 0;
    for (int it = 0; it < 20000; it++) {
        char a[700], b[700];
        size_t la = rand_tokens(a, sizeof a, &seed, 0, 44);
        size_t lb = rand_tokens(b, sizeof b, &seed, 0, 11);
        la = la < 255 ? la : 255;
        lb = lb < 255 ? lb : 255;
        uint8_t fa[NM_TOKF_BYTES], fb[NM_TOKF_BYTES];
        tok_filter_put(a, (uint32_t)la, fa);
        tok_filter_put(b, (uint32_t)lb, fb);
        int na = ref_tokens(a, la, ta), nb = ref_tokens(b, lb, tb), inter = 0;
        cr_assert_eq(fa[8], na);
        cr_assert_eq(fb[8], nb);
        for (int i = 0; i < na; i++)
            for (int j = 0; j < nb; j++)
                if (!strcmp(ta[i], tb[j])) {
                    inter++;
                    break;
                }
        uint64_t ma, mb;
        memcpy(&ma, fa, 8);
        memcpy(&mb, fb, 8);
        int ub = tok_shared_max(ma, na, mb, nb);
        cr_assert_geq(ub, inter, "pair %d: bound %d below %d shared tokens", it, ub, inter);
        tighter += ub < (na < nb ? na : nb);
    }
    cr_assert_gt(tighter, 5000, "the filters bound only %d pairs below min(|A|, |B|)", tighter);
}

Test(compare_pairs, token_filter_levels_match_reference) {
    static const int pct[] = {90, 75, 60, 40, 20, 1};
    char model[4096];
    size_t ml = (size_t)snprintf(model, sizeof model,
                                 "{\"npimatch_model_version\": 1, \"name\": \"t\", \"probability_two_random_records_match\": 0.01,"
                                 " \"fields\": [{\"name\": \"org\", \"type\": \"text\"}], \"comparisons\": [{\"name\": \"org\","
                                 " \"fields\": [\"org\"], \"levels\": [{\"label\": \"null\", \"predicate\": \"null\"}");
    for (int i = 0; i < 6; i++)
        ml += (size_t)snprintf(model + ml, sizeof model - ml,
                               ", {\"label\": \"t%d\", \"predicate\": \"token_jaccard>=%d\", \"m\": 0.1, \"u\": 0.01}", pct[i], pct[i]);
    ml += (size_t)snprintf(model + ml, sizeof model - ml,
                           ", {\"label\": \"else\", \"predicate\": \"else\", \"m\": 0.4, \"u\": 0.94}]}],"
                           " \"blocking_rules\": [{\"name\": \"org\", \"keys\": \"org\"}]}");
    nm_model *m;
    nm_err e;
    cr_assert_eq(nm_model_parse(model, ml, "t.json", &m, &e), 0, "%s", e.msg);
    uint64_t seed = 11;
    for (int round = 0; round < 60; round++) {
        nm_rtable q, ref;
        nm_rtable_init(&q, m);
        nm_rtable_init(&ref, m);
        char text[41][700];
        for (int r = 0; r < 41; r++) {
            rand_tokens(text[r], sizeof text[r], &seed, 1, r ? 8 : 40);
            if (r && r % 3 == 0) {   /* a candidate made of the query's tokens and a few others */
                size_t l = strlen(text[0]) < 60 ? strlen(text[0]) : 60;
                memcpy(text[r], text[0], l);
            }
            nm_rtable_add(r ? &ref : &q, 0, text[r], strlen(text[r]), 0);
            nm_rtable_end_record(r ? &ref : &q);
        }
        nm_rrows rr;
        cr_assert_eq(nm_rrows_build(&rr, &ref, 1), 0);
        cr_assert_eq(rr.tokf[0], 1);
        nm_cmp_plan plan;
        nm_cmp_plan_make(m, &plan);
        uint32_t ids[40];
        for (uint32_t i = 0; i < 40; i++) ids[i] = i;
        nm_cmp_scratch s = {0};
        uint8_t v[40];
        cr_assert_eq(nm_compare_pairs(m, &plan, &q, 0, &rr, ids, 40, &s, v), 0);
        uint32_t ql, cl;
        const char *qs = nm_rt_value(&q, 0, nm_rt_first(&q, 0, 0), &ql);
        for (int i = 0; i < 40; i++) {
            if (!nm_rt_count(&ref, 0, (size_t)i)) continue;
            const char *cs = nm_rt_value(&ref, 0, nm_rt_first(&ref, 0, (size_t)i), &cl);
            int want = 7;
            for (int k = 5; k >= 0; k--)
                if (ref_jaccard(qs, ql, cs, cl, pct[k])) want = k + 1;
            cr_assert_eq(v[i], want, "round %d candidate %d: level %d, want %d", round, i, v[i], want);
        }
        nm_cmp_scratch_free(&s);
        nm_rrows_free(&rr);
        nm_rtable_free(&q);
        nm_rtable_free(&ref);
    }
    nm_model_free(m);
}

/* A row store of four records covering the layout's cases: several values
 * per field, a record with no values, empty fields between filled ones. */
static void four_rows(nm_model **m, nm_rtable *ref, nm_rrows *rr) {
    nm_err e;
    cr_assert_eq(nm_model_parse(MODEL, sizeof MODEL - 1, "t.json", m, &e), 0, "%s", e.msg);
    nm_rtable_init(ref, *m);
    rec rows[] = {
        {{"ROBERT", NULL}, "SMITH", {"9 Oak Ave", "12 MAIN ST", NULL}, "ACME HEART CLINIC LLC"},
        {{NULL}, NULL, {NULL}, NULL},
        {{"BOBBY", "BOB"}, "SMYTH", {NULL}, "HEART CLINIC"},
        {{"ANN", NULL}, NULL, {"1 ELM ST", "2 ELM ST", "3 ELM ST"}, NULL},
    };
    for (size_t i = 0; i < 4; i++) add(ref, &rows[i]);
    cr_assert_eq(nm_rrows_build(rr, ref, 1), 0);
}

/* The field-major decode the compare stage gathers with gives, field by
 * field, the same values as the record-major decode, appended in candidate
 * order with each candidate's first value recorded at fstart[f * stride]. */
Test(compare_pairs, field_major_decode_matches_record_decode) {
    nm_model *m;
    nm_rtable ref;
    nm_rrows rr;
    four_rows(&m, &ref, &rr);
    size_t nf = rr.nfields, order[6] = {3, 0, 2, 1, 0, 3}, n = 6, n1 = n + 1;
    nm_vview_vec cols[NM_MAX_FIELDS];
    memset(cols, 0, sizeof cols);
    uint32_t fstart[8 * 7];
    /* Every field wanted, then every other one: a field passed over gets no
     * values, and the fields after it still decode right. */
    for (int pass = 0; pass < 2; pass++) {
        uint8_t want[NM_MAX_FIELDS];
        for (size_t f = 0; f < NM_MAX_FIELDS; f++) want[f] = pass == 0 || f % 2 == 1;
        for (size_t f = 0; f < NM_MAX_FIELDS; f++) cols[f].n = 0;
        for (size_t i = 0; i < n; i++)
            cr_assert_eq(nm_rrows_decode_cols(&rr, order[i], want, cols, fstart + i, n1), 0);
        for (size_t f = 0; f < nf; f++) {
            size_t at = 0;
            for (size_t i = 0; i < n; i++) {
                nm_vview v[16];
                uint32_t fs[8];
                nm_rrows_decode(&rr, order[i], v, fs);
                cr_assert_eq(fstart[f * n1 + i], at, "field %zu candidate %zu", f, i);
                for (uint32_t k = fs[f]; want[f] && k < fs[f + 1]; k++, at++) {
                    cr_assert_eq(cols[f].v[at].p, v[k].p);
                    cr_assert_eq(cols[f].v[at].len, v[k].len);
                    cr_assert_eq(cols[f].v[at].codes, v[k].codes);
                }
            }
            cr_assert_eq(cols[f].n, at, "field %zu", f);
        }
    }
    for (size_t f = 0; f < NM_MAX_FIELDS; f++) free(cols[f].v);
    nm_rrows_free(&rr);
    nm_rtable_free(&ref);
    nm_model_free(m);
}

/* The exact level decides equality of every length (short values are
 * compared by word loads, long ones by memcmp): a value against itself and
 * against each one-byte change of it, at every length from 1 to 40. */
Test(compare_pairs, exact_level_every_length_and_position) {
    nm_model *m;
    nm_err e;
    cr_assert_eq(nm_model_parse(MODEL, sizeof MODEL - 1, "t.json", &m, &e), 0, "%s", e.msg);
    nm_cmp_plan plan;
    nm_cmp_plan_make(m, &plan);
    for (size_t len = 1; len <= 40; len++) {
        char s[48];
        for (size_t k = 0; k < len; k++) s[k] = (char)('A' + (k * 7 + len) % 26);
        s[len] = 0;
        nm_rtable q, ref;
        nm_rtable_init(&q, m);
        nm_rtable_init(&ref, m);
        nm_rtable_add(&q, 2, s, len, 0);
        nm_rtable_end_record(&q);
        nm_rtable_add(&ref, 2, s, len, 0);
        nm_rtable_end_record(&ref);
        for (size_t j = 0; j < len; j++) {
            char t[48];
            memcpy(t, s, len + 1);
            t[j] = t[j] == 'Z' ? 'Y' : 'Z';
            nm_rtable_add(&ref, 2, t, len, 0);
            nm_rtable_end_record(&ref);
        }
        nm_rrows rr;
        cr_assert_eq(nm_rrows_build(&rr, &ref, 1), 0);
        uint32_t ids[48];
        for (uint32_t i = 0; i <= len; i++) ids[i] = i;
        uint8_t v[49 * 4];
        nm_cmp_scratch sc = {0};
        cr_assert_eq(nm_compare_pairs(m, &plan, &q, 0, &rr, ids, len + 1, &sc, v), 0);
        cr_assert_eq(v[0 * 4 + 2], 1, "length %zu: equal values not exact", len);
        for (size_t j = 0; j < len; j++) cr_assert_eq(v[(j + 1) * 4 + 2], 2, "length %zu, byte %zu changed: exact", len, j);
        nm_cmp_scratch_free(&sc);
        nm_rrows_free(&rr);
        nm_rtable_free(&q);
        nm_rtable_free(&ref);
    }
    nm_model_free(m);
}

/* A row store read from a file is checked before any decode trusts it
 * (nm_rrows_check): every damaged count or length byte either makes the
 * check fail or leaves every record decoding inside its own bytes. The
 * records of the layout: nv, one count per field, one length per value,
 * then the values. */
Test(compare_pairs, row_store_check_refuses_damaged_counts_and_lengths) {
    nm_model *m;
    nm_rtable ref;
    nm_rrows rr;
    four_rows(&m, &ref, &rr);
    cr_assert_eq(nm_rrows_check(&rr), 1);
    int refused = 0, tried = 0;
    for (size_t r = 0; r < rr.n; r++) {
        const uint8_t *rec0 = (const uint8_t *)rr.blob.data + rr.off[r];
        size_t nv = (size_t)rec0[0] | (size_t)rec0[1] << 8, head = 2 + rr.nfields + nv;
        for (size_t at = 0; at < head; at++)
            for (int delta = -2; delta <= 2; delta++) {
                if (!delta) continue;
                uint8_t *b = (uint8_t *)rr.blob.data + rr.off[r] + at, keep = *b;
                *b = (uint8_t)(keep + delta);
                tried++;
                if (!nm_rrows_check(&rr)) {
                    refused++;
                } else {   /* accepted: then every value must lie inside its record */
                    for (size_t x = 0; x < rr.n; x++) {
                        nm_vview v[64];
                        uint32_t fs[8];
                        cr_assert_leq(nm_rrows_nvalues(&rr, x), 64);
                        size_t k = nm_rrows_decode(&rr, x, v, fs);
                        for (size_t i = 0; i < k; i++) {
                            cr_assert_geq(v[i].p, rr.blob.data + rr.off[x]);
                            cr_assert_leq(v[i].p + v[i].len, rr.blob.data + rr.off[x + 1]);
                        }
                    }
                }
                *b = keep;
            }
    }
    cr_assert_eq(nm_rrows_check(&rr), 1);
    /* A changed count or length moves bytes between values or fields and
     * almost always breaks the total; only swaps that keep it can pass. */
    cr_assert_gt(refused, tried * 9 / 10, "refused %d of %d", refused, tried);
    nm_rrows_free(&rr);
    nm_rtable_free(&ref);
    nm_model_free(m);
}
