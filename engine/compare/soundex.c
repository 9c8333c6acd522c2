/* American Soundex, as the U.S. National Archives (NARA) specify it for the
 * 1880-1920 census indexes ("The Soundex Indexing System", NARA 2007):
 *  - keep the first letter;
 *  - code the rest: BFPV 1, CGJKQSXZ 2, DT 3, L 4, MN 5, R 6;
 *  - adjacent letters with the same code are coded once, and so are letters
 *    with the same code separated only by H or W (Ashcraft -> A261, not
 *    A226); a vowel (A E I O U Y) between them separates them (Tymczak ->
 *    T522); the first letter takes part in this (Pfister -> P236);
 *  - pad with zeros or cut to one letter and three digits.
 * Bytes that are not ASCII letters are skipped; lower case is folded. */
#include "npimatch/compare.h"

/* Per byte: the digit of a coded consonant ('1'..'6'), SX_VOWEL for A E I
 * O U Y (they separate equal codes), SX_SKIP for H, W and every byte that
 * is not an ASCII letter (they are transparent). */
#define SX_VOWEL 0
#define SX_SKIP 1
#define SX_LETTER_ROWS(X)                                                          \
    X('A', SX_VOWEL) X('B', '1') X('C', '2') X('D', '3') X('E', SX_VOWEL) X('F', '1') \
    X('G', '2') X('H', SX_SKIP) X('I', SX_VOWEL) X('J', '2') X('K', '2') X('L', '4')  \
    X('M', '5') X('N', '5') X('O', SX_VOWEL) X('P', '1') X('Q', '2') X('R', '6')      \
    X('S', '2') X('T', '3') X('U', SX_VOWEL) X('V', '1') X('W', SX_SKIP) X('X', '2')  \
    X('Y', SX_VOWEL) X('Z', '2')
#define SX_UPPER(c, v) [c] = v + 2,
#define SX_LOWER(c, v) [c + 32] = v + 2,
/* Stored +2 so that 0 marks "not a letter"; sx_class undoes the offset. */
static const unsigned char sx_tab[256] = {SX_LETTER_ROWS(SX_UPPER) SX_LETTER_ROWS(SX_LOWER)};

static inline int sx_class(unsigned char c) { return sx_tab[c] ? sx_tab[c] - 2 : SX_SKIP; }

size_t nm_soundex(const char *s, size_t n, char out[5]) {
    size_t i = 0;
    while (i < n && !sx_tab[(unsigned char)s[i]]) i++;
    if (i == n) {
        out[0] = 0;
        return 0;
    }
    out[0] = (char)((unsigned char)s[i] & ~0x20);   /* upper-case the first letter */
    /* `last` is the code of the last coded consonant, SX_VOWEL after a vowel.
     * Branch-free body: write the digit always, advance only when it counts. */
    int last = sx_class((unsigned char)s[i]);
    char dig[4];
    size_t k = 0;
    for (i++; i < n && k < 3; i++) {
        int c = sx_class((unsigned char)s[i]);
        dig[k] = (char)c;
        k += (c > SX_SKIP) & (c != last);
        last = c == SX_SKIP ? last : c;
    }
    for (size_t j = 0; j < 3; j++) out[1 + j] = j < k ? dig[j] : '0';
    out[4] = 0;
    return 4;
}
