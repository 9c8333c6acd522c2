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
 * The name is streamed through a three-letter window, so any length is
 * encoded without a copy: bytes that are not ASCII letters are skipped,
 * lower case is folded, nothing is read past n. */
#include "npimatch/compare.h"

static inline int ny_upper(unsigned char c) {
    unsigned u = (unsigned)(c | 0x20) - 'a';
    return u < 26 ? (int)('A' + u) : 0;
}

static inline int ny_vowel(int c) {
    return c == 'A' || c == 'E' || c == 'I' || c == 'O' || c == 'U';
}

/* The name after steps 1-2, read letter by letter. */
typedef struct ny_src {
    const char *s;
    size_t n, pos;        /* byte cursor */
    size_t idx, len;      /* next letter index, letters after step 2 */
    char head[3];         /* letters 0..2 after step 1 */
    size_t tail_at;       /* index replaced by step 2, or SIZE_MAX */
    char tail;
} ny_src;

static int ny_next(ny_src *r) {
    if (r->idx >= r->len) return 0;
    int c = 0;
    while (r->pos < r->n && !(c = ny_upper((unsigned char)r->s[r->pos++]))) {
    }
    size_t i = r->idx++;
    if (i == r->tail_at) return r->tail;
    if (i < 3) return r->head[i];
    return c;
}

size_t nm_nysiis(const char *s, size_t n, int max_len, char *out, size_t cap) {
    if (cap == 0) return 0;
    ny_src r = {.s = s, .n = n, .tail_at = (size_t)-1};
    /* Pass 1: count letters, keep the first three and the last two. */
    size_t L = 0;
    char last2[2] = {0, 0};
    for (size_t i = 0; i < n; i++) {
        int c = ny_upper((unsigned char)s[i]);
        if (!c) continue;
        if (L < 3) r.head[L] = (char)c;
        last2[0] = last2[1];
        last2[1] = (char)c;
        L++;
    }
    if (L == 0) {
        out[0] = 0;
        return 0;
    }
    char *h = r.head;
    if (L >= 3 && h[0] == 'M' && h[1] == 'A' && h[2] == 'C') h[1] = 'C';
    else if (L >= 2 && h[0] == 'K' && h[1] == 'N') h[0] = 'N';
    else if (h[0] == 'K') h[0] = 'C';
    else if (L >= 2 && h[0] == 'P' && (h[1] == 'H' || h[1] == 'F')) h[1] = 'F', h[0] = 'F';
    else if (L >= 3 && h[0] == 'S' && h[1] == 'C' && h[2] == 'H') h[1] = 'S', h[2] = 'S';
    r.len = L;
    if (L >= 2) {
        /* The last two letters as step 1 left them. */
        char a = L - 2 < 3 ? h[L - 2] : last2[0];
        char b = L - 1 < 3 ? h[L - 1] : last2[1];
        char rep = 0;
        if ((a == 'E' || a == 'I') && b == 'E') rep = 'Y';
        else if (b == 'T' && (a == 'D' || a == 'R' || a == 'N')) rep = 'D';
        else if (b == 'D' && (a == 'R' || a == 'N')) rep = 'D';
        if (rep) {
            r.len = L - 1;
            r.tail_at = L - 2;
            r.tail = rep;
        }
    }

    size_t store = cap - 1;
    if (max_len > 0 && (size_t)max_len < store) store = (size_t)max_len;
    size_t K = 0;                 /* full key length (before step 7) */
    char k1 = 0, k2 = 0, k3 = 0;  /* last three key characters */
#define NY_EMIT(ch)                         \
    do {                                    \
        char c_ = (char)(ch);               \
        if (K < store) out[K] = c_;         \
        K++;                                \
        k3 = k2, k2 = k1, k1 = c_;          \
    } while (0)

    int prev = ny_next(&r);
    NY_EMIT(prev);
    char w[3];
    w[0] = (char)ny_next(&r);
    w[1] = (char)ny_next(&r);
    w[2] = (char)ny_next(&r);
    for (size_t i = 1; i < r.len; i++) {
        int cur = w[0], next = w[1], after = w[2];
        if (ny_vowel(cur)) {
            if (cur == 'E' && next == 'V') w[1] = 'F';
            cur = 'A';
        } else if (cur == 'Q') {
            cur = 'G';
        } else if (cur == 'Z') {
            cur = 'S';
        } else if (cur == 'M') {
            cur = 'N';
        } else if (cur == 'K') {
            cur = next == 'N' ? 'N' : 'C';
        } else if (cur == 'S' && next == 'C' && after == 'H') {
            w[1] = w[2] = 'S';
        } else if (cur == 'P' && next == 'H') {
            cur = 'F';
            w[1] = 'F';
        } else if (cur == 'H' && (!ny_vowel(prev) || !ny_vowel(next))) {
            cur = prev;
        } else if (cur == 'W' && ny_vowel(prev)) {
            cur = prev;
        }
        if (cur != prev) NY_EMIT(cur);
        prev = cur;
        w[0] = w[1];
        w[1] = w[2];
        w[2] = (char)ny_next(&r);
    }
#undef NY_EMIT

    /* Step 6 on the key's last characters; never remove the first one. */
    size_t F = K;
    int final_y = 0;
    if (F > 1 && k1 == 'S') {
        F--;
        k1 = k2;
        k2 = k3;
    }
    if (F > 2 && k2 == 'A' && k1 == 'Y') {
        F--;
        final_y = 1;
    } else if (F > 1 && k1 == 'A') {
        F--;
    }
    size_t len = F < store ? F : store;
    if (final_y && F - 1 < len) out[F - 1] = 'Y';
    out[len] = 0;
    return len;
}
