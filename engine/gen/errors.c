/* The shared error model of the labelled-data generators (see errors.h and
 * docs/error-model.md for the rates). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "common/data.h"
#include "common/hash.h"
#include "gen/errors.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static int is_alpha(char c) { return c >= 'A' && c <= 'Z'; }

/* ---- typos ----------------------------------------------------------------
 * QWERTY neighbours of each letter (same row and the rows above/below that
 * touch the key), the substitutions that dominate keyboard typos. */
static const char *const ADJ[26] = {
    "QWSZ", "VGHN", "XDFV", "SERFCX", "WSDR", "DRTGVC", "FTYHBV", "GYUJNB", "UJKO", "HUIKMN", "JIOLM",
    "KOP", "NJK", "BHJM", "IKLP", "OL", "WA", "EDFT", "AWEDXZ", "RFGY", "YHJI", "CFGB", "QASE", "ZSDC",
    "TGHU", "ASX"};

static char adjacent(nm_rng *r, char c) {
    const char *a = ADJ[c - 'A'];
    return a[nm_rng_below(r, (uint32_t)strlen(a))];
}

int nm_generr_typo(nm_rng *r, char *s, size_t cap) {
    size_t n = strlen(s), letters = 0;
    for (size_t i = 0; i < n; i++) letters += is_alpha(s[i]);
    if (letters < 3) return 0;
    /* Position of a letter, uniformly among letters. */
    uint32_t k = nm_rng_below(r, (uint32_t)letters);
    size_t i = 0;
    for (;; i++)
        if (is_alpha(s[i]) && k-- == 0) break;
    uint32_t u = nm_rng_below(r, 100);
    if (u < 40) {
        s[i] = adjacent(r, s[i]);
    } else if (u < 65) {
        /* Swap with a letter neighbour; the same letter twice would be no change. */
        size_t j = i + 1 < n && is_alpha(s[i + 1]) ? i + 1 : i > 0 && is_alpha(s[i - 1]) ? i - 1 : i;
        if (j == i || s[i] == s[j]) s[i] = adjacent(r, s[i]);
        else { char t = s[i]; s[i] = s[j]; s[j] = t; }
    } else if (u < 85) {
        memmove(s + i, s + i + 1, n - i);
    } else {
        if (n + 2 > cap) { s[i] = adjacent(r, s[i]); return 1; }
        memmove(s + i + 1, s + i, n - i + 1);
        s[i + 1] = nm_rng_chance(r, 0.5) ? s[i] : adjacent(r, s[i]);
    }
    return 1;
}

/* ---- nicknames ------------------------------------------------------------
 * data/nicknames.csv parsed once into groups (formal name first) and a hash
 * of every name to the first group it appears in; other groups of the same
 * name are reached through the `next` chain. */
typedef struct nick_name {
    uint32_t off, len;      /* in the table text */
    uint32_t group;
    uint32_t next;          /* next entry with the same name + 1, 0 = none */
} nick_name;

static struct {
    const char *text;
    nick_name *names;
    uint32_t nnames;
    uint32_t *gfirst;       /* per group: index of its first (formal) name; gfirst[ngroups] = nnames */
    uint32_t ngroups;
    uint32_t *slots, mask;  /* name index + 1 */
} g_nick;
static pthread_once_t g_nick_once = PTHREAD_ONCE_INIT;

static int64_t nick_find(const char *s, size_t n) {
    if (!g_nick.slots) return -1;
    for (uint32_t h = (uint32_t)nm_hash64(s, n, 7) & g_nick.mask;; h = (h + 1) & g_nick.mask) {
        uint32_t v = g_nick.slots[h];
        if (!v) return -1;
        const nick_name *e = &g_nick.names[v - 1];
        if (e->len == n && !memcmp(g_nick.text + e->off, s, n)) return v - 1;
    }
}

static void nick_build(void) {
    size_t len;
    const char *t = nm_data_get("nicknames.csv", &len);
    if (!t) return;
    size_t nn = 0, ng = 0;
    for (size_t i = 0; i < len; i++) nn += t[i] == ',' || t[i] == '\n';
    nick_name *names = calloc(nn + 1, sizeof *names);
    uint32_t *gfirst = calloc(nn + 2, sizeof *gfirst);
    uint32_t cap = 16;
    while (cap < 2 * (nn + 1)) cap *= 2;
    uint32_t *slots = calloc(cap, sizeof *slots);
    if (!names || !gfirst || !slots) { free(names); free(gfirst); free(slots); return; }
    g_nick.text = t;
    g_nick.names = names;
    g_nick.slots = slots;
    g_nick.mask = cap - 1;
    nn = 0;
    for (size_t i = 0; i < len;) {
        size_t e = i;
        while (e < len && t[e] != '\n') e++;
        if (e > i && t[i] != '#') {
            gfirst[ng] = (uint32_t)nn;
            for (size_t a = i; a < e;) {
                size_t b = a;
                while (b < e && t[b] != ',' && t[b] != '\r') b++;
                if (b > a) {
                    nick_name *x = &names[nn];
                    *x = (nick_name){(uint32_t)a, (uint32_t)(b - a), (uint32_t)ng, 0};
                    int64_t prev = nick_find(t + a, b - a);
                    if (prev >= 0) {   /* chain the later group after the earlier ones */
                        while (names[prev].next) prev = names[prev].next - 1;
                        names[prev].next = (uint32_t)nn + 1;
                    } else {
                        uint32_t h = (uint32_t)nm_hash64(t + a, b - a, 7) & g_nick.mask;
                        while (slots[h]) h = (h + 1) & g_nick.mask;
                        slots[h] = (uint32_t)nn + 1;
                    }
                    nn++;
                }
                a = b + 1;
                if (b < e && t[b] == '\r') break;
            }
            ng++;
        }
        i = e + 1;
    }
    gfirst[ng] = (uint32_t)nn;
    g_nick.nnames = (uint32_t)nn;
    g_nick.gfirst = gfirst;
    g_nick.ngroups = (uint32_t)ng;
}

int nm_generr_has_nickname(const char *s) {
    pthread_once(&g_nick_once, nick_build);
    return nick_find(s, strlen(s)) >= 0;
}

int nm_generr_nickname(nm_rng *r, char *s, size_t cap) {
    pthread_once(&g_nick_once, nick_build);
    int64_t at = nick_find(s, strlen(s));
    if (at < 0) return 0;
    /* Count the name's groups, pick one, then the replacement inside it. */
    uint32_t ng = 0;
    for (int64_t i = at; i >= 0; i = (int64_t)g_nick.names[i].next - 1) ng++;
    uint32_t k = nm_rng_below(r, ng);
    int64_t e = at;
    while (k--) e = (int64_t)g_nick.names[e].next - 1;
    uint32_t g = g_nick.names[e].group, first = g_nick.gfirst[g], end = g_nick.gfirst[g + 1];
    uint32_t pick;
    if ((uint32_t)e != first) {
        pick = first;                     /* variant -> formal */
    } else {
        if (end - first < 2) return 0;
        pick = first + 1 + nm_rng_below(r, end - first - 1);   /* formal -> a variant */
    }
    const nick_name *x = &g_nick.names[pick];
    if (x->len + 1 > cap) return 0;
    memcpy(s, g_nick.text + x->off, x->len);
    s[x->len] = 0;
    return 1;
}

/* ---- surnames --------------------------------------------------------------- */
int nm_generr_hyphenation(nm_rng *r, char *s, size_t cap) {
    (void)cap;
    char *sep = strchr(s, '-');
    if (!sep) sep = strchr(s, ' ');
    if (!sep || sep == s || !sep[1]) return 0;
    /* Particles (DE LA CRUZ, VAN DER BERG) are not compounds: leave them. */
    static const char *const PARTICLES[] = {"DE", "DEL", "DELA", "LA", "LE", "VAN", "VON", "DI", "DA", "DU",
                                            "ST", "ST.", "MC", "MAC", "O", "EL", "AL", "BEN", "DOS", "DAS"};
    size_t first = (size_t)(sep - s);
    for (size_t i = 0; i < NELEM(PARTICLES); i++)
        if (strlen(PARTICLES[i]) == first && !memcmp(s, PARTICLES[i], first)) return 0;
    uint32_t u = nm_rng_below(r, 100);
    size_t n = strlen(s);
    if (u < 35) {
        *sep = *sep == '-' ? ' ' : '-';
    } else if (u < 50) {
        memmove(sep, sep + 1, n - first);
    } else if (u < 80) {
        *sep = 0;                         /* the first part only */
    } else {
        memmove(s, sep + 1, n - first);   /* the second part only */
    }
    return 1;
}

/* ---- addresses ----------------------------------------------------------------
 * Pairs of (abbreviation, spelled out) from USPS Publication 28 appendices C1
 * (street suffixes), B (directionals) and C2 (secondary unit designators). */
static const char *const WORDS[][2] = {
    {"ST", "STREET"}, {"AVE", "AVENUE"}, {"BLVD", "BOULEVARD"}, {"RD", "ROAD"}, {"DR", "DRIVE"},
    {"LN", "LANE"}, {"CT", "COURT"}, {"PL", "PLACE"}, {"PKWY", "PARKWAY"}, {"HWY", "HIGHWAY"},
    {"CIR", "CIRCLE"}, {"TRL", "TRAIL"}, {"TER", "TERRACE"}, {"SQ", "SQUARE"},
    {"N", "NORTH"}, {"S", "SOUTH"}, {"E", "EAST"}, {"W", "WEST"}, {"NE", "NORTHEAST"}, {"NW", "NORTHWEST"},
    {"SE", "SOUTHEAST"}, {"SW", "SOUTHWEST"}, {"STE", "SUITE"}, {"APT", "APARTMENT"}, {"FL", "FLOOR"},
    {"BLDG", "BUILDING"}, {"RM", "ROOM"}, {"DEPT", "DEPARTMENT"}, {"CTR", "CENTER"}};

static int word_index(const char *w, size_t n, int *spelled) {
    for (size_t i = 0; i < NELEM(WORDS); i++)
        for (int k = 0; k < 2; k++)
            if (strlen(WORDS[i][k]) == n && !memcmp(WORDS[i][k], w, n)) {
                *spelled = k;
                return (int)i;
            }
    return -1;
}

int nm_generr_address_words(nm_rng *r, char *s, size_t cap) {
    char out[160];
    size_t o = 0, n = strlen(s);
    /* Which listed words are there; flip each with 1/2, at least one. The
     * house number (first token) is never a word to flip. */
    int idx[16], nidx = 0;
    for (size_t i = 0, t = 0; i < n && nidx < 16; t++) {
        size_t j = i;
        while (j < n && s[j] != ' ') j++;
        int sp;
        if (t > 0 && word_index(s + i, j - i, &sp) >= 0) idx[nidx++] = (int)t;
        i = j + 1;
    }
    if (!nidx) return 0;
    uint32_t mask = 0;
    for (int k = 0; k < nidx; k++) mask |= nm_rng_chance(r, 0.5) ? 1u << k : 0;
    if (!mask) mask = 1u << nm_rng_below(r, (uint32_t)nidx);
    int k = 0;
    for (size_t i = 0, t = 0; i < n; t++) {
        size_t j = i;
        while (j < n && s[j] != ' ') j++;
        const char *w = s + i;
        size_t wl = j - i;
        if (k < nidx && idx[k] == (int)t) {
            if (mask >> k & 1) {
                int sp = 0, wi = word_index(w, wl, &sp);
                int unit = !strcmp(WORDS[wi][0], "STE") || !strcmp(WORDS[wi][0], "APT");
                if (unit && nm_rng_chance(r, 0.4)) w = "#";   /* "# 200"; Pub 28 C2 allows # for units */
                else w = WORDS[wi][!sp];
                wl = strlen(w);
            }
            k++;
        }
        if (o + wl + 2 >= sizeof out) break;
        if (o) out[o++] = ' ';
        memcpy(out + o, w, wl);
        o += wl;
        i = j + 1;
    }
    if (o + 1 > cap) return 0;   /* would not fit the field: keep the value */
    memcpy(s, out, o);
    s[o] = 0;
    return 1;
}

int nm_generr_join_lines(char *line1, size_t cap1, char *line2) {
    size_t a = strlen(line1), b = strlen(line2);
    if (!b || a + b + 2 > cap1) return 0;
    line1[a] = ' ';
    memcpy(line1 + a + 1, line2, b + 1);
    line2[0] = 0;
    return 1;
}

/* ---- ZIP and phone forms ----------------------------------------------------- */
int nm_generr_zip_form(nm_rng *r, const char *zip, char out[11]) {
    size_t n = strlen(zip);
    uint32_t u = nm_rng_below(r, 100);
    int form = n < 9 ? NM_ZIP5 : u < 55 ? NM_ZIP5 : u < 80 ? NM_ZIP9_HYPHEN : NM_ZIP9;
    /* A ZIP read as a number by a spreadsheet loses its leading zero
     * (New England, NJ, PR): 02134 -> 2134. */
    if (zip[0] == '0' && nm_rng_chance(r, 0.25)) form = NM_ZIP_LOST_ZERO;
    switch (form) {
    case NM_ZIP5: memcpy(out, zip, 5); out[5] = 0; break;
    case NM_ZIP9_HYPHEN: memcpy(out, zip, 5); out[5] = '-'; memcpy(out + 6, zip + 5, 4); out[10] = 0; break;
    case NM_ZIP9: memcpy(out, zip, 9); out[9] = 0; break;
    default: memcpy(out, zip + 1, 4); out[4] = 0; break;
    }
    return form;
}

int nm_generr_phone_form(nm_rng *r, const char *d, char out[24]) {
    static const nm_gen_lit FORMS[] = {{"0", 30}, {"1", 30}, {"2", 6}, {"3", 22}, {"4", 4}, {"5", 8}};
    int form = nm_gen_pick_lit(r, FORMS, NELEM(FORMS))[0] - '0';
    char *o = out;
    switch (form) {
    case NM_PHONE_PAREN: o += sprintf(o, "(%.3s) %.3s-%.4s", d, d + 3, d + 6); break;
    case NM_PHONE_DASH: o += sprintf(o, "%.3s-%.3s-%.4s", d, d + 3, d + 6); break;
    case NM_PHONE_DOT: o += sprintf(o, "%.3s.%.3s.%.4s", d, d + 3, d + 6); break;
    case NM_PHONE_DIGITS: o += sprintf(o, "%.10s", d); break;
    case NM_PHONE_INTL: o += sprintf(o, "+1 %.3s %.3s %.4s", d, d + 3, d + 6); break;
    default: o += sprintf(o, "%.3s-%.3s-%.4s X%u", d, d + 3, d + 6, 1 + nm_rng_below(r, 999)); break;
    }
    return form;
}

void nm_generr_wrong_digit(nm_rng *r, char *digits, size_t n) {
    if (!n) return;
    size_t i = nm_rng_below(r, (uint32_t)n);
    char c = (char)('0' + nm_rng_below(r, 9));
    digits[i] = c >= digits[i] ? (char)(c + 1) : c;   /* any digit but the current one */
}

void nm_generr_apply_case(char *s, int mode) {
    if (mode == NM_CASE_UPPER) return;
    int start = 1;
    for (; *s; s++) {
        char c = *s;
        if (c >= 'A' && c <= 'Z' && (mode == NM_CASE_LOWER || !start)) *s = (char)(c + 32);
        /* Title case: a capital after a space, hyphen, apostrophe or period (O'Brien, Smith-Jones). */
        start = c == ' ' || c == '-' || c == '\'' || c == '.' || c == '(' || c == '/';
    }
}
