/* Token sets of the token-set Jaccard level (compare_pairs.c), shared with
 * the row store (table/rows.c), which keeps a token filter per registry
 * value so most pairs are decided without splitting the registry value.
 *
 * Token filter of a value: bit tok_bit(t) for each of its distinct tokens t
 * (the same at most TOK_MAX tokens split_tokens returns) and the number of
 * those tokens. Equal tokens have equal bits, so the number of tokens two
 * values share is bounded from above by their filters alone (tok_shared_max):
 * an exact way to prove that a pair cannot reach a Jaccard threshold. */
#ifndef NM_COMPARE_TOKSET_H
#define NM_COMPARE_TOKSET_H

#include <stdint.h>
#include <string.h>

#define NM_TOK_MIN(a, b) ((a) < (b) ? (a) : (b))
#define NM_TOKF_BYTES 9   /* filter (8 bytes, host order) + distinct token count */

/* Token-set Jaccard >= pct/100, decided in integers: distinct
 * space-separated tokens, |A n B| * 100 >= pct * |A u B|. The sets are
 * small (names, street lines), so pairwise comparison beats hashing. */
#define TOK_MAX 32
/* A token: its first 8 bytes as one word (zero-padded), so two tokens are
 * told apart by one integer compare and only tokens longer than 8 bytes
 * with equal heads compare their tails. */
typedef struct tok {
    uint64_t head;
    uint16_t at;
    uint8_t len;
} tok;

static inline int tok_eq(const char *p, const tok *x, const char *q, const tok *y) {
    return x->head == y->head && x->len == y->len && (x->len <= 8 || !memcmp(p + x->at + 8, q + y->at + 8, x->len - 8u));
}

/* Bit 7 of each byte of w that is a space, exact for the lowest one (the
 * borrow of the subtraction only marks bytes above a true match). */
static inline uint64_t space_bytes(uint64_t w) {
    uint64_t x = w ^ 0x2020202020202020ull;
    return (x - 0x0101010101010101ull) & ~x & 0x8080808080808080ull;
}

/* Distinct tokens of p[0..len), at most TOK_MAX, in order of first
 * appearance. The end of a token is found 8 bytes at a time. */
static inline int split_tokens(const char *p, uint32_t len, tok *t) {
    int n = 0;
    for (uint32_t i = 0; i < len && n < TOK_MAX;) {
        while (i < len && p[i] == ' ') i++;
        uint32_t b = i;
        for (;;) {
            if (i + 8 <= len) {
                uint64_t w;
                memcpy(&w, p + i, 8);
                uint64_t m = space_bytes(w);
                if (!m) {
                    i += 8;
                    continue;
                }
                i += (uint32_t)__builtin_ctzll(m) >> 3;
                break;
            }
            while (i < len && p[i] != ' ') i++;
            break;
        }
        if (i == b) break;
        uint64_t head = 0;
        uint32_t hl = NM_TOK_MIN(i - b, 8u);
        if (b + 8 <= len) {   /* one load, the bytes past the token masked off */
            memcpy(&head, p + b, 8);
            if (hl < 8) head &= ((uint64_t)1 << (8 * hl)) - 1;
        } else {
            for (uint32_t k = 0; k < hl; k++) head |= (uint64_t)(uint8_t)p[b + k] << (8 * k);
        }
        tok c = {head, (uint16_t)b, (uint8_t)NM_TOK_MIN(i - b, 255u)};
        int dup = 0;
        for (int k = 0; k < n && !dup; k++) dup = tok_eq(p, &t[k], p, &c);
        if (!dup) t[n++] = c;
    }
    return n;
}

/* A token's filter bit: a function of what tok_eq compares first (head
 * and length), so equal tokens always get the same bit. */
static inline uint64_t tok_bit(const tok *t) {
    return (uint64_t)1 << (((t->head ^ ((uint64_t)t->len << 56)) * 0x9E3779B97F4A7C15ull) >> 58);
}

/* The filter bits of tokens t[0..n). */
static inline uint64_t tok_mask(const tok *t, int n) {
    uint64_t m = 0;
    for (int i = 0; i < n; i++) m |= tok_bit(&t[i]);
    return m;
}

/* The token filter of p[0..len): stores NM_TOKF_BYTES at out. */
static inline void tok_filter_put(const char *p, uint32_t len, uint8_t *out) {
    tok t[TOK_MAX];
    int n = split_tokens(p, len, t);
    uint64_t m = tok_mask(t, n);
    memcpy(out, &m, 8);
    out[8] = (uint8_t)n;
}

/* Bits set in x. Inline arithmetic: the baseline x86-64 build has no
 * POPCNT instruction, and __builtin_popcountll becomes a libgcc call. */
static inline int tok_popcount(uint64_t x) {
    x -= (x >> 1) & 0x5555555555555555ull;
    x = (x & 0x3333333333333333ull) + ((x >> 2) & 0x3333333333333333ull);
    x = (x + (x >> 4)) & 0x0F0F0F0F0F0F0F0Full;
    return (int)((x * 0x0101010101010101ull) >> 56);
}

/* At least as many as the distinct tokens two values with filters (ma, na),
 * (mb, nb) share: every shared token sets one bit in ma & mb, and a bit of
 * ma & mb stands for at most 1 + (the tokens of a whose bits collide) tokens
 * of a; the same from b's side. */
static inline int tok_shared_max(uint64_t ma, int na, uint64_t mb, int nb) {
    int both = tok_popcount(ma & mb);
    int ua = both + na - tok_popcount(ma), ub = both + nb - tok_popcount(mb);
    return ua < ub ? ua : ub;
}

#endif
