/* NYSIIS, the New York State Identification and Intelligence System code
 * (R. L. Taft, "Name Search Techniques", 1970), original version:
 *  1. rewrite the start: MAC -> MCC, KN -> NN, K -> C, PH/PF -> FF, SCH -> SSS;
 *  2. rewrite the end: EE/IE -> Y, DT/RT/RD/NT/ND -> D;
 *  3. the key starts with the first letter;
 *  4. every further letter is translated in context - EV -> AF, other vowels
 *     -> A, Q -> G, Z -> S, M -> N, KN -> N, K -> C, SCH -> SSS, PH -> FF,
 *     H -> the previous letter unless it sits between vowels, W after a vowel
 *     -> the previous letter - and written back into the name, so a rewrite
 *     of several letters (SSS, FF, AF) is seen by the following positions;
 *  5. a translated letter equal to the translated previous letter is not
 *     added again;
 *  6. drop a final S, turn a final AY into Y, drop a final A;
 *  7. the original cuts the key to 6 characters (max_len 6).
 * This is also what Apache Commons Codec (strict and full modes) and
 * jellyfish (untruncated) compute. Deliberate difference: step 6 never
 * removes the first character, so a name with letters always has a code
 * (Commons turns "AS" into ""; we return "A").
 *
 * Names of up to NY_BUF letters are copied (letters only, upper-cased) to a
 * stack buffer and rewritten in place; longer inputs are streamed through
 * the same three-letter window straight from the input, so any length is
 * encoded without allocation. Bytes that are not ASCII letters are skipped,
 * lower case is folded, nothing is read past n. */
#include "compare/phonetic.h"
#include <stdint.h>
#include "npimatch/compare.h"

#define NY_BUF 64

#define NY_ROWS(X)                                                                                    \
    X('A') X('B') X('C') X('D') X('E') X('F') X('G') X('H') X('I') X('J') X('K') X('L') X('M') X('N') \
    X('O') X('P') X('Q') X('R') X('S') X('T') X('U') X('V') X('W') X('X') X('Y') X('Z')
#define NY_UP(c) [c] = c, [c + 32] = c,
static const char ny_up[256] = {NY_ROWS(NY_UP)};   /* letter -> upper case, else 0 */

/* Step 4's context-free translations (vowels -> A, Q -> G, Z -> S, M -> N,
 * K -> C), identity for the other letters; index 0 (past the end) gives 0. */
#define NY_SIMPLE(c) [c] = (c == 'E' || c == 'I' || c == 'O' || c == 'U') ? 'A' \
                         : c == 'Q' ? 'G' : c == 'Z' ? 'S' : c == 'M' ? 'N' : c == 'K' ? 'C' : c,
static const unsigned char ny_simple[128] = {NY_ROWS(NY_SIMPLE)};
static const unsigned char ny_isvowel[128] = {['A'] = 1, ['E'] = 1, ['I'] = 1, ['O'] = 1, ['U'] = 1};

/* Step 4 at one position. The window packs the current letter and the
 * next two in one word (cur | next << 8 | after << 16). What a letter
 * becomes depends on it, the next letter and whether the previous
 * translation is a vowel, so one lookup in ny_tab (indexed by the two
 * letters' low 5 bits: 'A'..'Z' -> 1..26, end -> 0) gives the translation
 * (KN -> N, PH -> F, else the context-free one), its vowel-ness, and for
 * either vowel-ness of the previous translation whether the letter copies
 * it instead (H unless between vowels; W after a vowel). The rewrites of the
 * following letters (SCH -> SSS, PH -> FF, EV -> AF) are rare, so a
 * predicted branch keeps them off the loop's dependency chain. */
#define NY_W2(a, b) ((uint32_t)(a) | (uint32_t)(b) << 8)
#define NY_W3(a, b, c) (NY_W2(a, b) | (uint32_t)(c) << 16)
#define NY_T_VOWEL 0x100u   /* the translation is a vowel */
#define NY_T_COPY0 0x200u   /* copies the previous translation if that is not a vowel */
#define NY_T_COPY1 0x400u   /* ... if it is a vowel */
#define NY_T_REWRITE 0x800u /* PH, EV, or SC (SCH if H follows) */
static uint16_t ny_tab[1024];

__attribute__((constructor)) static void ny_tab_init(void) {
    for (unsigned ci = 0; ci < 32; ci++)
        for (unsigned ni = 0; ni < 32; ni++) {
            unsigned cur = ci >= 1 && ci <= 26 ? 'A' + ci - 1 : 0, next = ni >= 1 && ni <= 26 ? 'A' + ni - 1 : 0;
            unsigned t = ny_simple[cur], e;
            int kn = cur == 'K' && next == 'N', ph = cur == 'P' && next == 'H';
            if (kn) t = 'N';
            if (ph) t = 'F';
            e = t | (ny_isvowel[t] ? NY_T_VOWEL : 0);
            if (cur == 'H') e |= NY_T_COPY0 | (ny_isvowel[next] ? 0 : NY_T_COPY1);
            if (cur == 'W') e |= NY_T_COPY1;
            if (ph || (cur == 'E' && next == 'V') || (cur == 'S' && next == 'C')) e |= NY_T_REWRITE;
            ny_tab[ci << 5 | ni] = (uint16_t)e;
        }
}

typedef struct ny_res {
    uint32_t win;
    int t, t_vowel;
} ny_res;

static inline ny_res ny_step(int prev, int prev_vowel, uint32_t win) {
    unsigned e = ny_tab[(win & 31) << 5 | (win >> 8 & 31)];
    int copy = (int)(e >> (9 + prev_vowel)) & 1;
    ny_res r;
    r.t = copy ? prev : (int)(e & 0xFF);
    r.t_vowel = copy ? prev_vowel : (int)(e >> 8 & 1);
    r.win = win;
    if (__builtin_expect((e & NY_T_REWRITE) != 0, 0)) {
        if ((win & 0xFFFFFF) == NY_W3('S', 'C', 'H')) r.win = (win & 0xFF) | NY_W3(0, 'S', 'S');
        else if ((win & 0xFF00) != NY_W2(0, 'C')) r.win = (win & 0xFF00FF) | NY_W2(0, 'F'); /* PH, EV */
    }
    return r;
}

/* Step 5: the key's character is always written at min(K, store), where
 * out[store] is scratch until the final NUL, and counted (and shifted into
 * hist, which keeps the key's last characters for step 6 in a register;
 * an equal one ORs into itself) when it differs from the previous
 * translated letter. Then the window takes in `in`. */
#define NY_EMIT(r, in)                                                   \
    do {                                                                 \
        out[K < store ? K : store] = (char)(r).t;                        \
        hist = hist << (8 * ((r).t != prev)) | (uint32_t)(r).t;          \
        K += (size_t)((r).t != prev);                                    \
        prev = (r).t;                                                    \
        pvow = (r).t_vowel;                                              \
        win = (r).win >> 8 | (uint32_t)(unsigned char)(in) << 16;        \
    } while (0)

/* Steps 1-2 on the first three letters h (in place) and the last two;
 * returns the letter that replaces the last two (0: none). */
static char ny_edges(char h[3], size_t L, char y0, char y1) {
    if (L >= 3 && h[0] == 'M' && h[1] == 'A' && h[2] == 'C') h[1] = 'C';
    else if (L >= 2 && h[0] == 'K' && h[1] == 'N') h[0] = 'N';
    else if (h[0] == 'K') h[0] = 'C';
    else if (L >= 2 && h[0] == 'P' && (h[1] == 'H' || h[1] == 'F')) h[1] = 'F', h[0] = 'F';
    else if (L >= 3 && h[0] == 'S' && h[1] == 'C' && h[2] == 'H') h[1] = 'S', h[2] = 'S';
    if (L < 2) return 0;
    char a = L - 2 < 3 ? h[L - 2] : y0;   /* the last two letters as step 1 left them */
    char b = L - 1 < 3 ? h[L - 1] : y1;
    if ((a == 'E' || a == 'I') && b == 'E') return 'Y';
    if (b == 'T' && (a == 'D' || a == 'R' || a == 'N')) return 'D';
    if (b == 'D' && (a == 'R' || a == 'N')) return 'D';
    return 0;
}

/* The next letter of s from byte *pos (0 at the end). */
static inline char ny_stream(const char *s, size_t n, size_t *pos) {
    while (*pos < n) {
        char c = ny_up[(unsigned char)s[(*pos)++]];
        if (c) return c;
    }
    return 0;
}

size_t nm_nysiis_impl(const char *s, size_t n, int max_len, char *out, size_t cap, int force_stream) {
    if (cap == 0) return 0;
    char buf[NY_BUF + 4];
    size_t L = 0;
    for (size_t i = 0; i < n; i++) {   /* count the letters, copy the first NY_BUF */
        char c = ny_up[(unsigned char)s[i]];
        buf[L < NY_BUF ? L : NY_BUF] = c;   /* slot NY_BUF is scratch */
        L += c != 0;
    }
    if (L == 0) {
        out[0] = 0;
        return 0;
    }
    int buffered = L <= NY_BUF && !force_stream;
    char y[2] = {0, 0};   /* the last two letters */
    if (L <= NY_BUF) {
        y[0] = L >= 2 ? buf[L - 2] : 0;
        y[1] = buf[L - 1];
    } else {
        for (size_t e = n, got = 0; got < 2;) {
            char c = ny_up[(unsigned char)s[--e]];
            if (c) y[1 - got++] = c;
        }
    }
    char h[3];
    for (size_t k = 0; k < 3; k++) h[k] = k < L ? buf[k] : 0;
    char tail = ny_edges(h, L, y[0], y[1]);
    size_t len = tail ? L - 1 : L;   /* letters after step 2 */

    size_t store = cap - 1;
    if (max_len > 0 && (size_t)max_len < store) store = (size_t)max_len;
    out[0] = h[0];   /* the key starts with the first letter (step 3) */
    size_t K = 1;
    int prev = h[0], pvow = ny_isvowel[(unsigned char)h[0]];
    uint32_t hist = (uint32_t)(unsigned char)prev;   /* the key's last characters, latest in the low byte */
    uint32_t win;   /* letters i, i+1, i+2 */
    if (buffered) {
        for (size_t k = 0; k < 3 && k < L; k++) buf[k] = h[k];
        if (tail) buf[L - 2] = tail;
        buf[len] = buf[len + 1] = buf[len + 2] = buf[len + 3] = 0;
        win = NY_W3(buf[1], buf[2], buf[3]);
        for (size_t i = 1; i < len; i++) {
            ny_res r = ny_step(prev, pvow, win);
            NY_EMIT(r, buf[i + 3]);
        }
    } else {
        /* Letter j after steps 1-2: 0 past the end, the step-2 letter at
         * L - 2, h[j] for the first three, else the input's next letter. */
#define NY_LETTER(j, c) ((j) >= len ? 0 : (tail && (j) == L - 2) ? tail : (j) < 3 ? h[(j)] : (c))
        size_t pos = 0;
        char w[4];
        for (size_t j = 0; j < 4; j++) {
            char c = ny_stream(s, n, &pos);
            w[j] = (char)NY_LETTER(j, c);
        }
        win = NY_W3((unsigned char)w[1], (unsigned char)w[2], (unsigned char)w[3]);
        for (size_t i = 1; i < len; i++) {
            ny_res r = ny_step(prev, pvow, win);
            char c = ny_stream(s, n, &pos);
            NY_EMIT(r, NY_LETTER(i + 3, c));
        }
#undef NY_LETTER
    }

    /* Step 6 on the key's last characters (bytes of hist beyond the key's
     * length are 0); never remove the first one. In arithmetic rather than
     * branches: the endings are unpredictable from one name to the next. */
    size_t drop_s = (K > 1) & ((hist & 0xFF) == 'S');
    uint32_t last2 = (hist >> (8 * drop_s)) & 0xFFFF;   /* k1 | k2 << 8 after dropping S */
    size_t F = K - drop_s;
    size_t final_y = (F > 2) & (last2 == NY_W2('Y', 'A'));
    size_t drop_a = !final_y & (F > 1) & ((last2 & 0xFF) == 'A');
    F -= final_y + drop_a;
    size_t outlen = F < store ? F : store;
    if (final_y && F - 1 < outlen) out[F - 1] = 'Y';
    out[outlen] = 0;
    return outlen;
}

size_t nm_nysiis(const char *s, size_t n, int max_len, char *out, size_t cap) {
    return nm_nysiis_impl(s, n, max_len, out, cap, 0);
}
