/* Blocking key generation (keys.h). */
#include "index/keys.h"
#include <string.h>
#include "common/hash.h"

#define ATOMS_MAX 32

typedef struct atom {
    const char *p;
    uint32_t len;
} atom;

/* The atoms (strings to hash) one term gives for record r; scratch holds
 * the bytes of atoms that are not in the table (nickname ids, digits). */
/* The values of one field of one record, from either table layout. */
typedef struct fvals {
    const nm_vview *v;
    size_t n;
} fvals;

/* Legal-form designators that end organization names (state business
 * entity laws: Inc., LLC, P.C. ...): customers' files drop them as often as
 * not ("PREMIER DENTAL" for "PREMIER DENTAL, PLLC"), so orgname() keys leave
 * them out. Values are normalized text: periods are gone (P.C. -> PC). */
static int legal_word(const char *w, uint32_t n) {
    static const char *const LEGAL[] = {"INC", "LLC", "PC", "PA", "PLLC", "LLP", "LP", "LTD", "CORP",
                                        "CORPORATION", "INCORPORATED", "CO", "PLC", "PLLP", "SC", "APC"};
    for (size_t i = 0; i < sizeof LEGAL / sizeof LEGAL[0]; i++)
        if (strlen(LEGAL[i]) == n && !memcmp(LEGAL[i], w, n)) return 1;
    return 0;
}

/* orgname() and ends(): the words of s (orgname: without trailing
 * legal-form words) as two atoms in dst, tagged 2 and 3: the first three
 * letters of each word, and the last three. One typo (Damerau 1964: one substitution, transposition, deletion or
 * insertion) in a word of six letters or more changes only one of them; a
 * dropped "INC" changes neither. Returns the bytes used (at most 2 * (len + 2)). */
static uint32_t word_end_atoms(const char *s, uint32_t len, int drop_legal, atom *out, size_t *n, char *dst) {
    uint32_t wb[64], we[64], nw = 0;
    for (uint32_t i = 0; i < len && nw < 64;) {
        while (i < len && s[i] == ' ') i++;
        uint32_t b = i;
        while (i < len && s[i] != ' ') i++;
        if (i > b) wb[nw] = b, we[nw++] = i;
    }
    while (drop_legal && nw > 1 && legal_word(s + wb[nw - 1], we[nw - 1] - wb[nw - 1])) nw--;
    if (!nw) return 0;
    uint32_t used = 0;
    for (int tail = 0; tail < 2; tail++) {
        char *a = dst + used;
        uint32_t k = 0;
        a[k++] = (char)(2 + tail);
        for (uint32_t w = 0; w < nw; w++) {
            uint32_t wl = we[w] - wb[w], l = wl < 3 ? wl : 3;
            memcpy(a + k, s + (tail ? we[w] - l : wb[w]), l);
            k += l;
            a[k++] = ' ';
        }
        out[(*n)++] = (atom){a, k};
        used += k;
    }
    return used;
}

static size_t term_atoms(fvals fv, const nm_key_term *k, atom *out, char *scratch) {
    size_t n = 0, sp = 0;
    for (size_t v = 0; v < fv.n && n + 3 < ATOMS_MAX; v++) {
        const char *s = fv.v[v].p;
        uint32_t len = fv.v[v].len;
        if (!len) continue;
        const nm_vcodes *vc = fv.v[v].codes;
        switch (k->fn) {
        case NM_KEY_VALUE:
        case NM_KEY_SET: out[n++] = (atom){s, len}; break;
        case NM_KEY_ORGNAME:
        case NM_KEY_ENDS:
            if (sp + 2 * (size_t)len + 8 <= 1024) sp += word_end_atoms(s, len, k->fn == NM_KEY_ORGNAME, out, &n, scratch + sp);
            break;
        case NM_KEY_INITIAL: out[n++] = (atom){s, 1}; break;
        case NM_KEY_PREFIX: out[n++] = (atom){s, len < k->param ? len : k->param}; break;
        case NM_KEY_ZIP5: if (len >= 5) out[n++] = (atom){s, 5}; break;
        case NM_KEY_ZIP3: if (len >= 3) out[n++] = (atom){s, 3}; break;
        case NM_KEY_YEAR: if (len >= 4) out[n++] = (atom){s, 4}; break;
        case NM_KEY_SOUNDEX:
            if (vc && vc->soundex[0]) out[n++] = (atom){vc->soundex, 4};
            break;
        case NM_KEY_NYSIIS:
            if (vc && vc->nysiis[0]) out[n++] = (atom){vc->nysiis, (uint32_t)strnlen(vc->nysiis, 6)};
            break;
        case NM_KEY_DMETAPHONE:
            if (vc && vc->dm1[0]) out[n++] = (atom){vc->dm1, (uint32_t)strnlen(vc->dm1, 4)};
            if (vc && vc->dm2[0]) out[n++] = (atom){vc->dm2, (uint32_t)strnlen(vc->dm2, 4)};
            break;
        case NM_KEY_NICKNAME:
            /* Names in a nickname group block by the group id (BOB and ROBERT
             * share a key); other names by themselves. A tag byte keeps the
             * two kinds of atom apart. */
            if (vc && nm_vcodes_nick(vc, 0)) {
                for (int i = 0; i < NM_NICK_MAX && nm_vcodes_nick(vc, i) && n < ATOMS_MAX; i++) {
                    scratch[sp] = '\1';
                    memcpy(scratch + sp + 1, vc->nick[i], 4);
                    out[n++] = (atom){scratch + sp, 5};
                    sp += 5;
                }
            } else {
                out[n++] = (atom){s, len};
            }
            break;
        case NM_KEY_TOKENS:
            for (uint32_t i = 0; i < len && n < ATOMS_MAX;) {
                while (i < len && s[i] == ' ') i++;
                uint32_t b = i;
                while (i < len && s[i] != ' ') i++;
                if (i > b) out[n++] = (atom){s + b, i - b};
            }
            break;
        case NM_KEY_DIGITS: {
            uint32_t b = (uint32_t)sp;
            for (uint32_t i = 0; i < len && sp < 1024; i++)
                if (s[i] >= '0' && s[i] <= '9') scratch[sp++] = s[i];
            if (sp > b) out[n++] = (atom){scratch + b, (uint32_t)sp - b};
            break;
        }
        default: break;
        }
    }
    return n;
}

static int cmp_u64(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static size_t put_atom(char *buf, size_t len, const atom *a) {
    uint32_t l = a->len < 500 ? a->len : 500;
    memcpy(buf + len, a->p, l);
    len += l;
    buf[len++] = '\x1f';   /* unit separator: "AB"+"C" differs from "A"+"BC" */
    return len;
}

static int atom_cmp(const atom *a, const atom *b) {
    int c = memcmp(a->p, b->p, a->len < b->len ? a->len : b->len);
    return c ? c : (a->len > b->len) - (a->len < b->len);
}

static int has_value(fvals fv) {
    for (size_t v = 0; v < fv.n; v++)
        if (fv.v[v].len) return 1;
    return 0;
}

/* Keys from the term values: fv[k] are the values of term k's field; query:
 * the record looks the index up (absent() terms differ by side). */
static size_t keys_of(const fvals *fv, const nm_blocking_rule *rule, unsigned ri, int query, uint64_t *out) {
    atom atoms[NM_MAX_KEY_TERMS][ATOMS_MAX];
    size_t na[NM_MAX_KEY_TERMS];
    char scratch[NM_MAX_KEY_TERMS][1100];
    int nt = rule->n_terms;
    for (int k = 0; k < nt; k++) {
        if (rule->terms[k].fn == NM_KEY_ABSENT) {
            /* A fallback rule: looser keys are affordable for the few query
             * records that lack the field (a customer row with no location
             * at all), while records that have it keep to the tighter rules
             * and pay nothing. Indexed records always answer. */
            if (query && has_value(fv[k])) return 0;
            atoms[k][0] = (atom){"", 0};
            na[k] = 1;
            continue;
        }
        na[k] = term_atoms(fv[k], &rule->terms[k], atoms[k], scratch[k]);
        if (!na[k]) return 0;
    }
    /* Cartesian product in odometer order. */
    size_t idx[NM_MAX_KEY_TERMS] = {0}, n = 0;
    char buf[4096];
    for (;;) {
        size_t len = 0;
        const atom *set[NM_MAX_KEY_TERMS];
        int ns = 0;
        for (int k = 0; k < nt; k++) {
            const atom *a = &atoms[k][idx[k]];
            if (rule->terms[k].fn == NM_KEY_SET) {
                set[ns++] = a;
                continue;
            }
            len = put_atom(buf, len, a);
        }
        /* set() terms in sorted order: the key ignores which field holds which value. */
        for (int i = 1; i < ns; i++)
            for (int j = i; j > 0 && atom_cmp(set[j - 1], set[j]) > 0; j--) {
                const atom *t = set[j];
                set[j] = set[j - 1];
                set[j - 1] = t;
            }
        for (int i = 0; i < ns; i++) len = put_atom(buf, len, set[i]);
        out[n++] = nm_hash64(buf, len, 0x626c6f636bull + ri);
        if (n == NM_KEYS_MAX) break;
        int k = nt - 1;
        while (k >= 0 && ++idx[k] == na[k]) idx[k--] = 0;
        if (k < 0) break;
    }
    if (n > 1) {
        qsort(out, n, sizeof *out, cmp_u64);
        size_t d = 1;
        for (size_t i = 1; i < n; i++)
            if (out[i] != out[d - 1]) out[d++] = out[i];
        n = d;
    }
    return n;
}

size_t nm_block_keys(const nm_rtable *t, size_t r, const nm_blocking_rule *rule, unsigned ri, uint64_t *out) {
    nm_vview views[NM_MAX_KEY_TERMS][ATOMS_MAX];
    fvals fv[NM_MAX_KEY_TERMS];
    for (int k = 0; k < rule->n_terms; k++) {
        const nm_rcol *c = &t->col[rule->terms[k].field];
        size_t n = 0;
        for (uint32_t v = c->roff.v[r]; v < c->roff.v[r + 1] && n < ATOMS_MAX; v++, n++) {
            views[k][n].p = c->bytes.data + c->voff.v[v];
            views[k][n].len = c->voff.v[v + 1] - c->voff.v[v];
            views[k][n].codes = c->needs ? &c->codes.v[v] : NULL;
        }
        fv[k] = (fvals){views[k], n};
    }
    return keys_of(fv, rule, ri, 1, out);
}

size_t nm_block_keys_rows(const nm_rrows *rr, size_t r, const nm_blocking_rule *rule, unsigned ri, uint64_t *out,
                          nm_vview *scratch, size_t cap) {
    uint32_t fstart[NM_MAX_FIELDS + 1];
    if (nm_rrows_nvalues(rr, r) > cap) return 0;
    nm_rrows_decode(rr, r, scratch, fstart);
    fvals fv[NM_MAX_KEY_TERMS];
    for (int k = 0; k < rule->n_terms; k++) {
        size_t f = rule->terms[k].field;
        fv[k] = (fvals){scratch + fstart[f], fstart[f + 1] - fstart[f]};
    }
    return keys_of(fv, rule, ri, 0, out);
}
