/* Internal text helpers shared by the normalizers (engine/normalize/). */
#ifndef NM_NORMALIZE_TEXT_H
#define NM_NORMALIZE_TEXT_H

#include <stddef.h>
#include <stdint.h>

/* Flags of nm_fold_text. */
enum {
    NM_FOLD_HYPHEN = 1,   /* keep '-' between words (surnames, 123-125) */
    NM_FOLD_COMMA = 2,    /* keep ',' as a separator (full-name "Last, First") */
    NM_FOLD_ADDR = 4,     /* keep '/' inside words (1/2) and '#' as its own word */
};

/* The engine of nm_normalize_text: folds case and Latin accents to upper-case
 * ASCII, drops apostrophes and periods, turns other punctuation into one
 * space, keeps what `flags` asks for, collapses and trims separators.
 * Output NUL-terminated, truncated at a word boundary to fit cap-1 bytes. */
size_t nm_fold_text(const char *in, size_t n, unsigned flags, char *out, size_t cap);

/* A word of a folded string: [s, s+len). */
typedef struct nm_tok { const char *s; uint32_t len; } nm_tok;

/* Split a folded string on spaces (and on ',' when `comma_seps` is given:
 * comma_seps[i] is set to 1 when a comma preceded word i). Returns the
 * number of words, at most max. */
size_t nm_split_words(const char *s, size_t n, nm_tok *toks, size_t max, uint8_t *comma_before);

static inline int nm_tok_eq(nm_tok t, const char *lit) {
    size_t i = 0;
    for (; i < t.len; i++)
        if (lit[i] != t.s[i]) return 0;
    return lit[i] == 0;
}

/* Copy [s, s+n) into out (cap bytes) dropping the characters in `drop`;
 * NUL-terminated; returns the length written (truncated to cap-1). */
size_t nm_copy_drop(const char *s, size_t n, const char *drop, char *out, size_t cap);

/* Append word w (len n) to out (current length *o, capacity cap) with one
 * space before it when out is not empty; does nothing when it does not fit.
 * Returns 1 when appended. */
int nm_append_word(char *out, size_t *o, size_t cap, const char *w, size_t n);

#endif
