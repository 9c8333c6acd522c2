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

/* Per letter A..Z: 'V' = vowel (separates equal codes), 'H' = H or W
 * (transparent: does not separate), '1'..'6' = consonant code. */
#define SX_VOWEL 'V'
#define SX_HW 'H'
static const char sx_row[26] = {
    /* A    B    C    D    E    F    G    H    I    J    K    L    M */
    'V', '1', '2', '3', 'V', '1', '2', 'H', 'V', '2', '2', '4', '5',
    /* N    O    P    Q    R    S    T    U    V    W    X    Y    Z */
    '5', 'V', '1', '2', '6', '2', '3', 'V', '1', 'H', '2', 'V', '2',
};

/* Class of byte c (0 when it is not an ASCII letter); *letter gets it upper-cased. */
static inline char sx_class(unsigned char c, char *letter) {
    unsigned u = (unsigned)(c | 0x20) - 'a';
    if (u >= 26) return 0;
    *letter = (char)('A' + u);
    return sx_row[u];
}

size_t nm_soundex(const char *s, size_t n, char out[5]) {
    size_t i = 0;
    char first = 0, cls = 0;
    for (; i < n; i++) {
        cls = sx_class((unsigned char)s[i], &first);
        if (cls) break;
    }
    if (!cls) {
        out[0] = 0;
        return 0;
    }
    out[0] = first;
    size_t k = 1;
    /* `last` is the code of the last coded consonant, or 0 after a vowel. */
    char last = (cls >= '1' && cls <= '6') ? cls : 0;
    for (i++; i < n && k < 4; i++) {
        char l;
        char c = sx_class((unsigned char)s[i], &l);
        if (!c || c == SX_HW) continue;
        if (c == SX_VOWEL) {
            last = 0;
            continue;
        }
        if (c != last) out[k++] = c;
        last = c;
    }
    while (k < 4) out[k++] = '0';
    out[4] = 0;
    return 4;
}
