/* Person names for the generators.
 *
 * The surname mix copies the shape of the US distribution (Census 2010
 * surname file): a handful of names above 0.5% each, a long middle, and a
 * tail in which most names occur once in a file of thousands. The table
 * covers the head and middle; syllable-built names stand in for the tail. */
#include <string.h>
#include "gen/gen.h"

/* Shares of surname shapes (per mille). The NPPES legal-name field keeps
 * hyphens and spaces as typed, so compounds appear as both. */
#define SURNAME_SYNTH_PM 170    /* rare syllable-built surname */
#define SURNAME_HYPHEN_PM 30    /* SMITH-JONES */
#define SURNAME_DOUBLE_PM 12    /* GARCIA LOPEZ (Hispanic double surname) */


static size_t put_str(char *out, size_t at, size_t cap, nm_gen_str s) { return nm_gen_cat(out, at, cap, s.s, s.len); }

static const char *const ONSET[] = {"B", "BR", "C", "CH", "D", "F", "G", "GR", "H", "J", "K", "KR", "L", "M",
                                    "M", "N", "P", "PR", "R", "R", "S", "SH", "ST", "T", "TR", "V", "W", "Z", "B",
                                    "D", "L", "K", "M", "S", "T", "V", ""};
static const char *const VOWEL[] = {"A", "A", "E", "E", "I", "O", "O", "U", "AI", "EA", "OU", "IA", "A", "E"};
static const char *const MID[] = {"N", "R", "L", "S", "T", "M", "ND", "RT", "LL", "NN", "SS", "V", "D", "K",
                                  "B", "G", "Z", "RR", "TT", "ST", "NT", "RD", "LD", "SK", "CK", "RN", "LV"};
static const char *const ENDING[] = {"SON", "MAN", "SKI", "V", "LLI", "NO", "Z", "N", "R", "TT", "NG", "TON",
                                     "WOOD", "BERG", "STEIN", "IAN", "YAN", "GLU", "KIS", "WSKI", "NKO", "SCU",
                                     "CH", "K", "RD", "LL", "S", "SS", "RO", "NA", "TTI", "NDEZ", "LEY", "FORD",
                                     "HART", "RT", "", "", "", "", "", ""};
#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* A surname unlikely to repeat: consonant-vowel syllables with a medial
 * cluster and a family-name ending from several origins (-SON, -SKI, -EZ,
 * -IAN, -ESCU ...). Millions of combinations, so in a few million rows most
 * are singletons, like the registry's tail. */
static size_t synth_surname(nm_rng *r, char *out, size_t cap) {
    const char *parts[7];
    int np = 0;
    parts[np++] = ONSET[nm_rng_below(r, NELEM(ONSET))];
    parts[np++] = VOWEL[nm_rng_below(r, NELEM(VOWEL))];
    parts[np++] = MID[nm_rng_below(r, NELEM(MID))];
    parts[np++] = VOWEL[nm_rng_below(r, 8)];   /* single vowels only before the ending */
    if (nm_rng_chance(r, 0.2)) {
        parts[np++] = MID[nm_rng_below(r, 6)];
        parts[np++] = VOWEL[nm_rng_below(r, 8)];
    }
    parts[np++] = ENDING[nm_rng_below(r, NELEM(ENDING))];
    size_t n = 0;
    for (int i = 0; i < np; i++) n = nm_gen_cat(out, n, cap, parts[i], strlen(parts[i]));
    out[n] = 0;
    return n;
}

size_t nm_gen_pick_surname(const nm_gen_tables *t, nm_rng *r, char *out, size_t cap) {
    uint32_t u = nm_rng_below(r, 1000);
    size_t n;
    if (u < SURNAME_SYNTH_PM) return synth_surname(r, out, cap);
    n = put_str(out, 0, cap, nm_gen_wpick_str(&t->surnames, r));
    if (u < SURNAME_SYNTH_PM + SURNAME_HYPHEN_PM + SURNAME_DOUBLE_PM) {
        nm_gen_str second = nm_gen_wpick_str(&t->surnames, r);
        if (n + 1 + second.len <= 35) {   /* NPPES last name: 35 characters */
            n = nm_gen_cat(out, n, cap, u < SURNAME_SYNTH_PM + SURNAME_HYPHEN_PM ? "-" : " ", 1);
            n = put_str(out, n, cap, second);
        }
    }
    out[n] = 0;
    return n;
}

size_t nm_gen_pick_given(const nm_gen_tables *t, nm_rng *r, char sex, char *out, size_t cap) {
    if (sex != 'M' && sex != 'F') sex = nm_rng_chance(r, 0.5) ? 'F' : 'M';
    size_t n = put_str(out, 0, cap, nm_gen_wpick_str(sex == 'F' ? &t->given_f : &t->given_m, r));
    out[n] = 0;
    return n;
}

void nm_gen_person_make(const nm_gen_tables *t, nm_rng *r, char sex, nm_gen_person *p) {
    memset(p, 0, sizeof *p);
    p->sex = (sex == 'M' || sex == 'F') ? sex : (nm_rng_chance(r, 0.5) ? 'F' : 'M');
    nm_gen_pick_surname(t, r, p->last, sizeof p->last);
    size_t n = nm_gen_pick_given(t, r, p->sex, p->first, sizeof p->first);
    /* Double given names as they are registered: MARY ANN, ANNA-MARIE,
     * JUAN CARLOS. */
    static const char *const F2[] = {"ANN", "MARIE", "LYNN", "JO", "BETH", "ANNE", "LOUISE", "ELIZABETH",
                                     "GRACE", "KAY", "SUE", "ROSE", "MAE", "JEAN", "MARIA"};
    static const char *const M2[] = {"JUAN CARLOS", "JOSE LUIS", "LUIS ANGEL", "MIGUEL ANGEL", "JOHN PAUL",
                                     "JEAN PIERRE", "JEAN PAUL", "MARK ANTHONY", "JOSE ANTONIO", "JUAN PABLO"};
    if (p->sex == 'F' && nm_rng_chance(r, 0.025)) {
        const char *second = F2[nm_rng_below(r, NELEM(F2))];
        size_t m = strlen(second);
        if (n + 1 + m <= 35) {
            p->first[n++] = nm_rng_chance(r, 0.75) ? ' ' : '-';
            memcpy(p->first + n, second, m + 1);
        }
    } else if (p->sex == 'M' && nm_rng_chance(r, 0.008)) {
        const char *both = M2[nm_rng_below(r, NELEM(M2))];
        memcpy(p->first, both, strlen(both) + 1);
    }
    /* Middle: initial (most common in NPPES), full name, or none. */
    uint32_t u = nm_rng_below(r, 100);
    if (u < 48) {
        char tmp[48];
        nm_gen_pick_given(t, r, p->sex, tmp, sizeof tmp);
        p->middle[0] = tmp[0];
    } else if (u < 76) {
        if (nm_rng_chance(r, 0.12)) {   /* family names as middles; NPPES middle: 20 */
            nm_gen_str s = nm_gen_wpick_str(&t->surnames, r);
            size_t m = s.len < 20 ? s.len : 20;
            memcpy(p->middle, s.s, m);
            p->middle[m] = 0;
        }
        else nm_gen_pick_given(t, r, p->sex, p->middle, 21);
    }
    if (p->sex == 'M' && nm_rng_chance(r, 0.05)) {
        nm_gen_str s = nm_gen_wpick_str(&t->name_suffix, r);
        memcpy(p->suffix, s.s, s.len < 7 ? s.len : 7);
    }
    if (nm_rng_chance(r, 0.12)) {
        nm_gen_str s = nm_gen_wpick_str(p->sex == 'F' ? &t->prefix_f : &t->prefix_m, r);
        memcpy(p->prefix, s.s, s.len < 7 ? s.len : 7);
    }
}
