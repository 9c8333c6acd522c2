/* Case and accent folding to upper-case ASCII, punctuation rules and space
 * collapsing: the first step of every name, address and credential
 * normalizer.
 *
 * Folding covers the Unicode blocks that occur in US provider and patient
 * data: Latin-1 Supplement (U+00C0-U+00FF) and Latin Extended-A
 * (U+0100-U+017F), plus the Vietnamese letters of Latin Extended Additional
 * and Romanian comma-below S/T. Letters lose their diacritics (E-acute -> E,
 * N-tilde -> N, L-stroke -> L); ligatures and sharp s spell out (AE, OE, IJ,
 * SS, TH).
 * Combining marks (U+0300-U+036F, decomposed input) are dropped so NFD and NFC
 * spellings fold alike. Typographic apostrophes and dashes count as their
 * ASCII forms. Bytes that are not valid UTF-8 are read as Windows-1252, the
 * usual encoding of mis-declared "Latin-1" files, so a stray 0xE9 still folds
 * to E. Anything else becomes a separator. */
#include <string.h>
#include "npimatch/normalize.h"
#include "normalize/text.h"

/* ASCII folding of U+00C0..U+017F; "" marks a separator (multiplication and
 * division signs). GNU range designators keep the table readable. */
static const char fold_tab[0x180 - 0xC0][3] = {
    [0x00 ... 0x05] = "A", [0x06] = "AE", [0x07] = "C", [0x08 ... 0x0B] = "E",
    [0x0C ... 0x0F] = "I", [0x10] = "D", [0x11] = "N", [0x12 ... 0x16] = "O",
    [0x17] = "", [0x18] = "O", [0x19 ... 0x1C] = "U", [0x1D] = "Y", [0x1E] = "TH",
    [0x1F] = "SS",
    [0x20 ... 0x25] = "A", [0x26] = "AE", [0x27] = "C", [0x28 ... 0x2B] = "E",
    [0x2C ... 0x2F] = "I", [0x30] = "D", [0x31] = "N", [0x32 ... 0x36] = "O",
    [0x37] = "", [0x38] = "O", [0x39 ... 0x3C] = "U", [0x3D] = "Y", [0x3E] = "TH",
    [0x3F] = "Y",
    /* Latin Extended-A, U+0100 = index 0x40 */
    [0x40 ... 0x45] = "A", [0x46 ... 0x4D] = "C", [0x4E ... 0x51] = "D",
    [0x52 ... 0x5B] = "E", [0x5C ... 0x63] = "G", [0x64 ... 0x67] = "H",
    [0x68 ... 0x71] = "I", [0x72 ... 0x73] = "IJ", [0x74 ... 0x75] = "J",
    [0x76 ... 0x78] = "K", [0x79 ... 0x82] = "L", [0x83 ... 0x8B] = "N",
    [0x8C ... 0x91] = "O", [0x92 ... 0x93] = "OE", [0x94 ... 0x99] = "R",
    [0x9A ... 0xA1] = "S", [0xA2 ... 0xA7] = "T", [0xA8 ... 0xB3] = "U",
    [0xB4 ... 0xB5] = "W", [0xB6 ... 0xB8] = "Y", [0xB9 ... 0xBE] = "Z",
    [0xBF] = "S",
};

/* Windows-1252 0x80..0x9F, for bytes that are not valid UTF-8. */
static const char cp1252_tab[32][3] = {
    [0x0A] = "S", [0x0C] = "OE", [0x0E] = "Z", [0x11] = "'", [0x12] = "'",
    [0x13] = "\"", [0x14] = "\"", [0x16] = "-", [0x17] = "-", [0x1A] = "S",
    [0x1C] = "OE", [0x1E] = "Z", [0x1F] = "Y",
};

/* Fold one code point to ASCII into f (<= 4 bytes + NUL). Returns length;
 * 0 = drop silently (combining marks, soft hyphen); " " = separator. */
static size_t fold_cp(uint32_t cp, char f[5]) {
    const char *s = " ";
    if (cp >= 0xC0 && cp < 0x180) {
        s = fold_tab[cp - 0xC0];
        if (!*s) s = " ";
    } else if (cp >= 0x80 && cp < 0xA0) {
        s = cp1252_tab[cp - 0x80];
        if (!*s) s = " ";
    } else if (cp >= 0x1EA0 && cp <= 0x1EF9) {
        /* Latin Extended Additional, Vietnamese letters (NGUYỄN -> NGUYEN) */
        s = cp < 0x1EB8 ? "A" : cp < 0x1EC8 ? "E" : cp < 0x1ECC ? "I" : cp < 0x1EE4 ? "O" : cp < 0x1EF2 ? "U" : "Y";
    } else if (cp == 0x1A0 || cp == 0x1A1) {
        s = "O"; /* Vietnamese O-horn */
    } else if (cp == 0x1AF || cp == 0x1B0) {
        s = "U"; /* Vietnamese U-horn */
    } else if (cp >= 0x218 && cp <= 0x21B) {
        s = cp < 0x21A ? "S" : "T"; /* Romanian S and T with comma below */
    } else if ((cp >= 0x300 && cp < 0x370) || cp == 0xAD || cp == 0x200B) {
        return 0;
    } else {
        switch (cp) {
        case 0xAA: s = "A"; break;
        case 0xBA: s = "O"; break;
        case 0xB4: case 0x2018: case 0x2019: case 0x201B: case 0x2032: case 0x02BC: case 0x02B9:
            s = "'"; break;
        case 0x2010: case 0x2011: case 0x2012: case 0x2013: case 0x2014: case 0x2015: case 0x2212:
            s = "-"; break;
        case 0xBD: s = " 1/2"; break;
        case 0xBC: s = " 1/4"; break;
        case 0xBE: s = " 3/4"; break;
        case 0xFF03: s = "#"; break;
        default: break;
        }
    }
    size_t l = strlen(s);
    memcpy(f, s, l + 1);
    return l;
}

/* Decode one UTF-8 sequence at s[*i]; invalid bytes are taken as one
 * Windows-1252/Latin-1 byte. */
static uint32_t decode(const unsigned char *s, size_t n, size_t *i) {
    size_t p = *i;
    unsigned c = s[p];
    if (c >= 0xC2 && c <= 0xDF && p + 1 < n && (s[p + 1] & 0xC0) == 0x80) {
        *i = p + 2;
        return ((c & 0x1Fu) << 6) | (s[p + 1] & 0x3Fu);
    }
    if (c >= 0xE0 && c <= 0xEF && p + 2 < n && (s[p + 1] & 0xC0) == 0x80 && (s[p + 2] & 0xC0) == 0x80) {
        uint32_t cp = ((c & 0x0Fu) << 12) | ((s[p + 1] & 0x3Fu) << 6) | (s[p + 2] & 0x3Fu);
        if (cp >= 0x800) {
            *i = p + 3;
            return cp;
        }
    }
    if (c >= 0xF0 && c <= 0xF4 && p + 3 < n && (s[p + 1] & 0xC0) == 0x80 && (s[p + 2] & 0xC0) == 0x80 &&
        (s[p + 3] & 0xC0) == 0x80) {
        *i = p + 4;
        return 0x10000; /* outside the folded blocks: a separator */
    }
    *i = p + 1;
    return c;
}

/* Byte classes of folded ASCII. */
enum { C_SEP = 0, C_WORD, C_DROP, C_HYPHEN, C_COMMA, C_HASH, C_SLASH };

static const uint8_t ascii_class[128] = {
    ['0' ... '9'] = C_WORD, ['A' ... 'Z'] = C_WORD, ['a' ... 'z'] = C_WORD,
    ['\''] = C_DROP, ['.'] = C_DROP, ['`'] = C_DROP,
    ['-'] = C_HYPHEN, [','] = C_COMMA, ['#'] = C_HASH, ['/'] = C_SLASH,
};

typedef struct {
    char *out;
    size_t o, cap, word_start;
    unsigned flags;
    int pend;       /* pending separator: 0 none, ' ', '-', ',' */
    int full;
} fold_state;

static inline void put_char(fold_state *st, char c, int standalone) {
    if (st->full) return;
    char sep = 0;
    if (st->o > 0 && st->pend) sep = (char)st->pend;
    if (standalone && st->o > 0 && !sep) sep = ' ';
    if (st->o + (sep ? 1 : 0) + 1 > st->cap - 1) {
        st->full = sep ? 2 : 1; /* 2: the last word was complete */
        return;
    }
    if (sep) {
        st->out[st->o++] = sep;
        st->word_start = st->o;
    }
    st->out[st->o++] = c;
    st->pend = standalone ? ' ' : 0;
}

static inline void set_sep(fold_state *st, int s) {
    /* Priority: comma > hyphen > space, so "SMITH - JONES" keeps its hyphen. */
    if (s == ',' || (s == '-' && st->pend != ',') || !st->pend) st->pend = s;
}

static inline void feed(fold_state *st, unsigned char c) {
    if (c >= 'a' && c <= 'z') c = (unsigned char)(c - 32);
    switch (c < 128 ? ascii_class[c] : C_SEP) {
    case C_WORD: put_char(st, (char)c, 0); break;
    case C_DROP: break;
    case C_HYPHEN: set_sep(st, (st->flags & NM_FOLD_HYPHEN) ? '-' : ' '); break;
    case C_COMMA: set_sep(st, (st->flags & NM_FOLD_COMMA) ? ',' : ' '); break;
    case C_HASH:
        if (st->flags & NM_FOLD_ADDR) put_char(st, '#', 1);
        else set_sep(st, ' ');
        break;
    case C_SLASH:
        /* 1/2 stays one word only between digits: "C/O" splits. */
        if ((st->flags & NM_FOLD_ADDR) && !st->pend && st->o > 0 && st->out[st->o - 1] >= '0' &&
            st->out[st->o - 1] <= '9')
            put_char(st, '/', 0);
        else
            set_sep(st, ' ');
        break;
    default: set_sep(st, ' '); break;
    }
}

size_t nm_fold_text(const char *in, size_t n, unsigned flags, char *out, size_t cap) {
    if (!out || cap == 0) return 0;
    fold_state st = {out, 0, cap, 0, flags, 0, 0};
    const unsigned char *s = (const unsigned char *)in;
    size_t i = 0;
    if (!in) n = 0;
    while (i < n && !st.full) {
        unsigned char c = s[i];
        if (c < 0x80) {
            /* fast path: a letter or digit continuing a word */
            if (ascii_class[c] == C_WORD && !st.pend && st.o + 2 <= cap) {
                out[st.o++] = (char)((c >= 'a' && c <= 'z') ? c - 32 : c);
            } else {
                feed(&st, c);
            }
            i++;
            continue;
        }
        uint32_t cp = decode(s, n, &i);
        char f[5];
        size_t fl = fold_cp(cp, f);
        for (size_t k = 0; k < fl; k++) feed(&st, (unsigned char)f[k]);
    }
    /* A word cut by truncation is removed entirely: half a surname would
     * compare as a different name. */
    if (st.full == 1 && st.o > 0) {
        st.o = st.word_start;
        while (st.o > 0 && (out[st.o - 1] == ' ' || out[st.o - 1] == '-' || out[st.o - 1] == ','))
            st.o--;
    }
    /* A '/' left dangling at a word end ("12/") is not a fraction. */
    while (st.o > 0 && out[st.o - 1] == '/') st.o--;
    out[st.o] = 0;
    return st.o;
}

size_t nm_normalize_text(const char *in, size_t n, int keep_hyphen, char *out, size_t cap) {
    return nm_fold_text(in, n, keep_hyphen ? NM_FOLD_HYPHEN : 0, out, cap);
}

size_t nm_split_words(const char *s, size_t n, nm_tok *toks, size_t max, uint8_t *comma_before) {
    size_t k = 0, i = 0;
    int comma = 0;
    while (i < n && k < max) {
        if (s[i] == ' ' || s[i] == ',') {
            if (s[i] == ',') comma = 1;
            i++;
            continue;
        }
        size_t b = i;
        while (i < n && s[i] != ' ' && s[i] != ',') i++;
        toks[k].s = s + b;
        toks[k].len = (uint32_t)(i - b);
        if (comma_before) comma_before[k] = (uint8_t)comma;
        comma = 0;
        k++;
    }
    return k;
}

size_t nm_copy_drop(const char *s, size_t n, const char *drop, char *out, size_t cap) {
    size_t o = 0;
    if (cap == 0) return 0;
    for (size_t i = 0; i < n && o + 1 < cap; i++)
        if (!strchr(drop, s[i])) out[o++] = s[i];
    out[o] = 0;
    return o;
}

int nm_append_word(char *out, size_t *o, size_t cap, const char *w, size_t n) {
    size_t need = n + (*o ? 1 : 0);
    if (n == 0 || *o + need + 1 > cap) return 0;
    if (*o) out[(*o)++] = ' ';
    memcpy(out + *o, w, n);
    *o += n;
    out[*o] = 0;
    return 1;
}
