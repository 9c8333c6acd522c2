/* Person names: prefixes, suffixes and credentials typed into name fields,
 * the full-name parser, and multi-part surnames.
 *
 * Conventions of the output (nm_person_name):
 *  - every field is upper-case ASCII from nm_fold_text; apostrophes and
 *    periods are dropped (O'NEIL -> ONEIL, M.D. -> MD), hyphens kept
 *    (SMITH-JONES, MARY-KATE);
 *  - prefix is one of DR MR MRS MS MISS MX PROF REV (DOCTOR -> DR, ...);
 *  - suffix is one of JR SR II III IV V VI (JUNIOR -> JR, 3RD -> III);
 *    other text in the suffix field is kept folded;
 *  - credentials are canonical tokens (nm_canonical_credential: letters and
 *    digits only, "PA-C" -> PAC, "PH.D." -> PHD), space separated, in order
 *    of appearance, without repeats. Unknown tokens of the credential field
 *    are kept (folded); in name fields only known credentials are moved out.
 *    Order: the credential column, then the first, middle and last fields;
 *  - last: the split Irish/Scottish prefixes are joined (O BRIEN -> OBRIEN,
 *    MC DONALD -> MCDONALD, MAC DONALD -> MACDONALD) because O'BRIEN
 *    already folds to OBRIEN; particles of Romance, Dutch and German names
 *    (DE LA, VAN DER, VON ...) keep their spaces: nm_surname_variants()
 *    gives the joined and stripped forms for comparisons and blocking.
 *
 * Ambiguity is resolved toward keeping name text: a trailing token is moved
 * out of a name field only when another name token remains, and tokens
 * that are both a credential and a common surname (DO, MA, PA, ...) are
 * taken as the surname in a two-word "First Last" full name unless a comma
 * sets them apart ("ANH DO" is a name, "SMITH, DO" a credential). */
#include <stdlib.h>
#include <string.h>
#include "npimatch/normalize.h"
#include "normalize/text.h"

/* Canonical credentials commonly typed in NPPES "Provider Credential Text"
 * and in name fields: degrees, licences, certifications and fellowships.
 * Sorted (strcmp order) for bsearch. */
static const char *const k_creds[] = {
    "ABPP", "ACHP", "ACNP", "ACNPBC", "AGACNP", "AGACNPBC", "AGNP", "AGNPBC", "AGNPC", "AGPCNP",
    "AGPCNPBC", "ANP", "ANPBC", "ANPC", "APN", "APRN", "APRNBC", "ARNP", "ATC", "ATCL", "AUD",
    "BA", "BCACP", "BCBA", "BCCCP", "BCD", "BCGP", "BCOP", "BCPP", "BCPS", "BOCO", "BOCP", "BS",
    "BSN", "CADC", "CAP", "CASAC", "CCC", "CCCA", "CCCAUD", "CCCSLP", "CCP", "CCRN", "CDCES",
    "CDE", "CDP", "CEN", "CFA", "CGC", "CHPN", "CM", "CNA", "CNE", "CNL", "CNM", "CNOR", "CNP",
    "CNS", "CO", "COTA", "CP", "CPHT", "CPN", "CPNP", "CPNPAC", "CPNPPC", "CPO", "CRC", "CRNA",
    "CRNFA", "CRNP", "CRRN", "CRT", "CSCS", "CSFA", "CST", "CSW", "CWOCN", "DABR", "DACM", "DAOM",
    "DC", "DCH", "DDS", "DHSC", "DIPLAC", "DMD", "DMIN", "DMSC", "DNP", "DNSC", "DO", "DPH", "DPM",
    "DPT", "DRPH", "DSC", "DSW", "DVM", "EDD", "EMT", "EMTP", "FAAAAI", "FAAD", "FAAFP", "FAAN",
    "FAANEM", "FAANP", "FAANS", "FAAO", "FAAOS", "FAAP", "FAAPMR", "FACC", "FACE", "FACEP", "FACG",
    "FACOG", "FACOS", "FACP", "FACR", "FACS", "FAHA", "FAOTA", "FAPTA", "FASA", "FASCRS", "FASN",
    "FCCP", "FHRS", "FNAP", "FNP", "FNPBC", "FNPC", "FRCPC", "FRCS", "FSCAI", "HSPP", "IBCLC",
    "LAC", "LADC", "LCADC", "LCAS", "LCDC", "LCMHC", "LCP", "LCPC", "LCPCS", "LCSW", "LCSWC",
    "LCSWR", "LD", "LDN", "LEP", "LGC", "LGSW", "LICSW", "LISW", "LISWS", "LMFT", "LMFTA", "LMHC",
    "LMHCA", "LMSW", "LMSWACP", "LMT", "LPA", "LPC", "LPCA", "LPCC", "LPCMH", "LPCS", "LPN",
    "LSATP", "LSSP", "LSW", "LVN", "MA", "MACCC", "MBA", "MBBS", "MBCHB", "MD", "MED", "MEDS",
    "MFT", "MHA", "MHS", "MMSC", "MPAS", "MPH", "MPT", "MS", "MSC", "MSCP", "MSED", "MSN", "MSOM",
    "MSPAS", "MSW", "NCC", "NCSP", "ND", "NMD", "NP", "NPC", "NPPC", "OCN", "OD", "ODMA", "OMD",
    "OPT", "OT", "OTD", "OTR", "OTRL", "PA", "PAC", "PAS", "PHARMD", "PHD", "PHN", "PMHNP",
    "PMHNPBC", "PNP", "PNPBC", "PSYD", "PT", "RD", "RDH", "RDN", "RN", "RNBC", "RNC", "RNFA",
    "RPA", "RPAC", "RPH", "RPHS", "RRT", "RT", "SA", "SCD", "SLP", "WHNP", "WHNPBC",
};

/* Credentials that are also common surnames or given names. */
static const char *const k_namelike_creds[] = {"BA", "BS", "CAP", "CM", "CO", "CP", "DC", "DO", "LD", "MA",
                                                "MED", "MS", "ND", "OD", "OPT", "OT", "PA", "PT", "RD", "RT", "SA"};

static int cmp_str(const void *a, const void *b) { return strcmp(*(const char *const *)a, *(const char *const *)b); }

static int in_sorted(const char *const *tab, size_t n, const char *s) {
    return bsearch(&s, tab, n, sizeof *tab, cmp_str) != NULL;
}

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

size_t nm_canonical_credential(const char *tok, size_t n, char out[16]) {
    char f[64];
    if (out) out[0] = 0;
    if (!tok || !out) return 0;
    size_t l = nm_fold_text(tok, n, 0, f, sizeof f);
    size_t o = 0;
    for (size_t i = 0; i < l; i++) {
        if (f[i] == ' ') continue;
        if (o == 15) {
            out[0] = 0;
            return 0;
        }
        out[o++] = f[i];
    }
    out[o] = 0;
    if (o == 0 || !in_sorted(k_creds, NELEM(k_creds), out)) {
        out[0] = 0;
        return 0;
    }
    return o;
}

/* ---- word classes ---- */

typedef struct { const char *from, *to; } alias;

static const alias k_prefixes[] = {
    {"DR", "DR"}, {"DOCTOR", "DR"}, {"MR", "MR"}, {"MISTER", "MR"}, {"MRS", "MRS"}, {"MS", "MS"},
    {"MISS", "MISS"}, {"MX", "MX"}, {"PROF", "PROF"}, {"PROFESSOR", "PROF"}, {"REV", "REV"},
    {"REVEREND", "REV"},
};
/* `strict` suffixes are safe anywhere after a name; V (and VI) only after a
 * surname, since after a given name a lone V is a middle initial. */
static const alias k_suffixes[] = {
    {"JR", "JR"}, {"JNR", "JR"}, {"JUNIOR", "JR"}, {"SR", "SR"}, {"SNR", "SR"}, {"SENIOR", "SR"},
    {"II", "II"}, {"2ND", "II"}, {"III", "III"}, {"3RD", "III"}, {"IV", "IV"}, {"4TH", "IV"},
    {"5TH", "V"}, {"V", "V"}, {"VI", "VI"}, {"6TH", "VI"},
};

static const char *lookup_alias(const alias *tab, size_t n, nm_tok t) {
    for (size_t i = 0; i < n; i++)
        if (nm_tok_eq(t, tab[i].from)) return tab[i].to;
    return NULL;
}

static const char *as_prefix(nm_tok t) { return lookup_alias(k_prefixes, NELEM(k_prefixes), t); }

static const char *as_suffix(nm_tok t, int allow_roman_v) {
    const char *s = lookup_alias(k_suffixes, NELEM(k_suffixes), t);
    if (s && !allow_roman_v && (nm_tok_eq(t, "V") || nm_tok_eq(t, "VI"))) return NULL;
    return s;
}

static size_t as_cred(nm_tok t, char out[16]) { return nm_canonical_credential(t.s, t.len, out); }

static int namelike_cred(const char *c) { return in_sorted(k_namelike_creds, NELEM(k_namelike_creds), c); }

/* Particles that stay with the surname in "First ... Last" order. */
static const char *const k_particles[] = {"AL", "BEN", "BIN", "DA", "DAL", "DAS", "DE", "DEL", "DELA", "DELLA",
                                          "DELLE", "DEN", "DER", "DES", "DI", "DO", "DOS", "DU", "EL", "LA",
                                          "LAS", "LE", "LES", "LO", "LOS", "MAC", "MC", "SAINT", "ST", "STE",
                                          "TEN", "TER", "VAN", "VANDEN", "VANDER", "VON", "Y"};
/* Particles that are dropped to get the core surname (DE LA CRUZ ~ CRUZ);
 * the others (MC, MAC, O, ST, SAINT) are part of the name and only join. */
static const char *const k_strip_particles[] = {"AL", "BEN", "BIN", "DA", "DAL", "DAS", "DE", "DEL", "DELA",
                                                "DELLA", "DELLE", "DEN", "DER", "DES", "DI", "DO", "DOS", "DU",
                                                "EL", "LA", "LAS", "LE", "LES", "LO", "LOS", "TEN", "TER", "VAN",
                                                "VANDEN", "VANDER", "VON", "Y"};

/* Surnames commonly written O'X (Irish), sorted: in "JOHN O BRIEN" the lone
 * O is the apostrophe-split prefix, not a middle initial, when the next
 * word is one of these. */
static const char *const k_o_roots[] = {
    "BANNON", "BOYLE", "BRIAN", "BRIEN", "BRYAN", "BYRNE", "CALLAGHAN", "CONNELL", "CONNER", "CONNOR",
    "DAY", "DELL", "DONNELL", "DONOGHUE", "DONOVAN", "DOWD", "DWYER", "FALLON", "FARRELL", "FLAHERTY",
    "FLYNN", "GARA", "GORMAN", "GRADY", "HAGAN", "HALLORAN", "HARA", "HARE", "HEARN", "HERN", "KANE",
    "KEEFE", "KELLY", "LEARY", "LOUGHLIN", "MAHONEY", "MAHONY", "MALLEY", "MARA", "MEARA", "NEAL",
    "NEIL", "NEILL", "QUINN", "REGAN", "REILLY", "RILEY", "ROURKE", "SHAUGHNESSY", "SHEA", "SULLIVAN",
    "TOOLE",
};

static int tok_in(nm_tok t, const char *const *tab, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (nm_tok_eq(t, tab[i])) return 1;
    return 0;
}
static int is_particle(nm_tok t) { return tok_in(t, k_particles, NELEM(k_particles)); }
static int is_strip_particle(nm_tok t) { return tok_in(t, k_strip_particles, NELEM(k_strip_particles)); }

/* ---- output helpers ---- */

static void set_field(char *dst, size_t cap, const char *src) {
    size_t l = strlen(src);
    if (l >= cap) l = cap - 1;
    memcpy(dst, src, l);
    dst[l] = 0;
}

static void add_cred(nm_person_name *out, const char *c, size_t n) {
    char *cr = out->credentials;
    size_t o = strlen(cr);
    /* skip repeats: "MD, M.D." */
    for (const char *p = cr; *p;) {
        const char *e = strchr(p, ' ');
        size_t l = e ? (size_t)(e - p) : strlen(p);
        if (l == n && !memcmp(p, c, n)) return;
        p += l + (e ? 1 : 0);
    }
    nm_append_word(cr, &o, sizeof out->credentials, c, n);
}

/* Join words [b, e) with spaces into dst; the Irish/Scottish prefixes O, MC
 * and MAC are glued to the next word when `glue` is set. */
static void join_words(const nm_tok *w, size_t b, size_t e, int glue, char *dst, size_t cap) {
    size_t o = 0;
    dst[0] = 0;
    for (size_t i = b; i < e; i++) {
        int g = glue && i > b && (nm_tok_eq(w[i - 1], "O") || nm_tok_eq(w[i - 1], "MC") || nm_tok_eq(w[i - 1], "MAC"));
        if (g && o + w[i].len + 1 <= cap) {
            memcpy(dst + o, w[i].s, w[i].len);
            o += w[i].len;
            dst[o] = 0;
        } else {
            nm_append_word(dst, &o, cap, w[i].s, w[i].len);
        }
    }
}

/* Strip trailing suffixes and credentials from words [0, *n) while more
 * than `keep` name words remain; credentials are added in typed order.
 * `namelike` also strips credentials that are common name words (MA, DO):
 * right after a surname they are credentials, after a given name they are
 * more likely part of the name. */
static void strip_trailing(nm_tok *w, size_t *n, size_t keep, int allow_v, int namelike, nm_person_name *out) {
    char creds[8][16];
    size_t cl[8], nc = 0;
    while (*n > keep) {
        nm_tok t = w[*n - 1];
        const char *s = as_suffix(t, allow_v);
        if (s) {
            if (!out->suffix[0]) set_field(out->suffix, sizeof out->suffix, s);
            (*n)--;
            continue;
        }
        if (nc == 8 || !(cl[nc] = as_cred(t, creds[nc]))) break;
        if (!namelike && namelike_cred(creds[nc])) break;
        nc++;
        (*n)--;
    }
    while (nc) {
        nc--;
        add_cred(out, creds[nc], cl[nc]);
    }
}

/* 1 when words [b, e) are all suffixes or credentials, or spell one
 * credential together ("M D", "PHARM D"). */
static int all_creds(const nm_tok *w, size_t b, size_t e) {
    char c[16], cat[48];
    size_t o = 0;
    int each = 1;
    for (size_t i = b; i < e; i++) {
        if (!as_suffix(w[i], 1) && !as_cred(w[i], c)) each = 0;
        if (o + w[i].len < sizeof cat) {
            memcpy(cat + o, w[i].s, w[i].len);
            o += w[i].len;
        }
    }
    return each || nm_canonical_credential(cat, o, c) > 0;
}

/* Credentials from free text ("M.D., PH.D.", "RN, MSN, FNP-C", "M. D."):
 * comma-separated segments; inside one, the longest run of up to three
 * words that spells a credential wins, so "M D" and "PHARM D" are one. */
static void parse_credentials(const char *s, size_t n, int keep_unknown, nm_person_name *out) {
    char f[256];
    nm_tok w[48];
    size_t l = nm_fold_text(s, n, NM_FOLD_HYPHEN | NM_FOLD_COMMA, f, sizeof f);
    size_t nw = nm_split_words(f, l, w, 48, NULL);
    char c[16], cat[48];
    for (size_t i = 0; i < nw;) {
        size_t best = 0, bl = 0;
        size_t cl = 0;
        for (size_t k = 1; k <= 3 && i + k <= nw; k++) {
            /* words must be contiguous (no comma between) */
            if (k > 1 && w[i + k - 1].s[-1] == ',') break;
            size_t o = 0;
            int ok = 1;
            for (size_t j = i; j < i + k; j++) {
                if (o + w[j].len >= sizeof cat) { ok = 0; break; }
                memcpy(cat + o, w[j].s, w[j].len);
                o += w[j].len;
            }
            if (!ok) break;
            char tmp[16];
            if ((cl = nm_canonical_credential(cat, o, tmp))) {
                best = k;
                bl = cl;
                memcpy(c, tmp, 16);
            }
        }
        if (best) {
            add_cred(out, c, bl);
            i += best;
        } else {
            nm_tok t = w[i];
            const char *sf = as_suffix(t, 1);
            if (sf && !out->suffix[0]) set_field(out->suffix, sizeof out->suffix, sf);
            else if (keep_unknown && !sf && !as_prefix(t)) {
                /* hyphens carry no meaning in credential text */
                char u[NM_NAME_CAP];
                size_t ul = nm_copy_drop(t.s, t.len, "-", u, sizeof u);
                add_cred(out, u, ul);
            }
            i++;
        }
    }
}

static size_t fold_words(const char *s, size_t n, unsigned flags, char *buf, size_t cap, nm_tok *w, size_t maxw,
                         uint8_t *comma) {
    if (!s || n == 0) return 0;
    size_t l = nm_fold_text(s, n, flags, buf, cap);
    return nm_split_words(buf, l, w, maxw, comma);
}

#define MAXW 24

int nm_normalize_person_name(const char *first, size_t lf, const char *middle, size_t lm, const char *last,
                             size_t ll, const char *suffix, size_t ls, const char *credential, size_t lc,
                             nm_person_name *out) {
    if (!out) return NM_E_ARG;
    memset(out, 0, sizeof *out);
    char bf[256], bm[256], bl[256], bs[64];
    nm_tok wf[MAXW], wm[MAXW], wl[MAXW], ws[8];

    if (credential && lc) parse_credentials(credential, lc, 1, out);

    /* suffix column: a suffix, or a credential typed in the wrong box */
    size_t ns = fold_words(suffix, ls, 0, bs, sizeof bs, ws, 8, NULL);
    for (size_t i = 0; i < ns; i++) {
        const char *sf = as_suffix(ws[i], 1);
        char c[16];
        size_t cl;
        if (sf) {
            if (!out->suffix[0]) set_field(out->suffix, sizeof out->suffix, sf);
        } else if ((cl = as_cred(ws[i], c))) {
            add_cred(out, c, cl);
        } else if (!out->suffix[0] && ws[i].len < sizeof out->suffix) {
            memcpy(out->suffix, ws[i].s, ws[i].len);
            out->suffix[ws[i].len] = 0;
        }
    }

    /* first: "DR JOHN", "JOHN JR", "JOHN A" (initial typed with the name) */
    size_t nf = fold_words(first, lf, NM_FOLD_HYPHEN, bf, sizeof bf, wf, MAXW, NULL);
    size_t b = 0;
    while (b + 1 < nf) {
        const char *p = as_prefix(wf[b]);
        if (!p) break;
        if (!out->prefix[0]) set_field(out->prefix, sizeof out->prefix, p);
        b++;
    }
    size_t nfe = nf - b;
    strip_trailing(wf + b, &nfe, 1, 0, 0, out);
    nf = b + nfe;

    size_t nm = fold_words(middle, lm, NM_FOLD_HYPHEN, bm, sizeof bm, wm, MAXW, NULL);
    /* a middle field holding only "JR" is a misplaced suffix */
    if (nm == 1 && as_suffix(wm[0], 0)) strip_trailing(wm, &nm, 0, 0, 0, out);
    else strip_trailing(wm, &nm, 1, 0, 0, out);

    if (nm == 0 && nf - b >= 2 && wf[nf - 1].len == 1) {
        join_words(wf, nf - 1, nf, 0, out->middle, sizeof out->middle);
        nf--;
    } else {
        join_words(wm, 0, nm, 0, out->middle, sizeof out->middle);
    }
    join_words(wf, b, nf, 0, out->first, sizeof out->first);

    /* last: "SMITH MD", "SMITH JR", "O BRIEN" */
    size_t nl = fold_words(last, ll, NM_FOLD_HYPHEN, bl, sizeof bl, wl, MAXW, NULL);
    strip_trailing(wl, &nl, 1, 1, 1, out);
    join_words(wl, 0, nl, 1, out->last, sizeof out->last);
    return NM_OK;
}

int nm_parse_full_name(const char *s, size_t n, nm_person_name *out) {
    if (!out) return NM_E_ARG;
    memset(out, 0, sizeof *out);
    if (!s || n == 0) return NM_E_ARG;
    char buf[512];
    nm_tok w[MAXW * 2];
    uint8_t comma[MAXW * 2];
    size_t nw = fold_words(s, n, NM_FOLD_HYPHEN | NM_FOLD_COMMA, buf, sizeof buf, w, MAXW * 2, comma);

    size_t b = 0;
    while (b + 1 < nw && as_prefix(w[b])) {
        if (!out->prefix[0]) set_field(out->prefix, sizeof out->prefix, as_prefix(w[b]));
        b++;
    }
    if (b > 0) comma[b] = 0;

    /* Segment boundaries (by commas) after the prefix. */
    size_t seg_end0 = b;
    while (seg_end0 < nw && (seg_end0 == b || !comma[seg_end0])) seg_end0++;
    size_t seg_end1 = seg_end0;
    while (seg_end1 < nw && (seg_end1 == seg_end0 || !comma[seg_end1])) seg_end1++;

    /* "Last, First ..." when the second segment starts with a name word. */
    int comma_form = 0;
    if (seg_end0 < nw) comma_form = !all_creds(w, seg_end0, seg_end1);

    if (comma_form) {
        size_t nl = seg_end0 - b;
        strip_trailing(w + b, &nl, 1, 1, 1, out);
        join_words(w, b, b + nl, 1, out->last, sizeof out->last);
        /* trailing segments: suffixes and credentials only */
        for (size_t i = seg_end1; i < nw;) {
            size_t e = i + 1;
            while (e < nw && !comma[e]) e++;
            const char *src = w[i].s;
            size_t len = (size_t)(w[e - 1].s + w[e - 1].len - src);
            parse_credentials(src, len, 0, out);
            i = e;
        }
        /* "SMITH, DR. JOHN A" */
        size_t fb = seg_end0;
        while (fb + 1 < seg_end1 && as_prefix(w[fb])) {
            if (!out->prefix[0]) set_field(out->prefix, sizeof out->prefix, as_prefix(w[fb]));
            fb++;
        }
        size_t ng = seg_end1 - fb;
        strip_trailing(w + fb, &ng, 1, 0, 1, out);
        join_words(w, fb, fb + 1, 0, out->first, sizeof out->first);
        join_words(w, fb + 1, fb + ng, 0, out->middle, sizeof out->middle);
    } else {
        /* "Prefix First Middle Last Suffix, Cred": strip from the right
         * while two name words remain. */
        /* Trailing comma segments that hold only credentials or suffixes
         * ("..., M. D., PH.D.") are parsed as credential text after the
         * name part, so credentials keep their typed order. */
        size_t e = nw;
        for (size_t sb = nw; sb > b + 1; sb--) {
            if (!comma[sb - 1]) continue;
            if (!all_creds(w, sb - 1, e)) break;
            e = sb - 1;
        }
        size_t m = e - b;
        nm_tok *v = w + b;
        strip_trailing(v, &m, 2, 1, 1, out);
        if (m == 2) {
            /* "SMITH MD": one name word and a credential, unless the
             * credential is also a surname ("ANH DO") and no comma sets
             * it apart. */
            char c[16];
            size_t cl = as_cred(v[1], c);
            if (cl && (!namelike_cred(c) || comma[b + 1])) {
                add_cred(out, c, cl);
                m = 1;
            } else if (as_suffix(v[1], 0)) {
                set_field(out->suffix, sizeof out->suffix, as_suffix(v[1], 0));
                m = 1;
            }
        }
        if (e < nw) {
            size_t len = (size_t)(w[nw - 1].s + w[nw - 1].len - w[e].s);
            parse_credentials(w[e].s, len, 0, out);
        }
        if (m == 0) return NM_E_ARG;
        if (m == 1) {
            join_words(v, 0, 1, 1, out->last, sizeof out->last);
        } else {
            size_t k = m - 1;
            /* particles before the last word belong to the surname; the
             * first word always stays the given name. A lone O joins only
             * a known O' surname ("JOHN O BRIEN"): elsewhere it is a
             * middle initial ("MARY O SMITH"). */
            while (k > 1 && is_particle(v[k - 1])) k--;
            if (k == m - 1 && k > 1 && nm_tok_eq(v[k - 1], "O") && tok_in(v[k], k_o_roots, NELEM(k_o_roots))) k--;
            join_words(v, 0, 1, 0, out->first, sizeof out->first);
            join_words(v, 1, k, 0, out->middle, sizeof out->middle);
            join_words(v, k, m, 1, out->last, sizeof out->last);
        }
    }
    if (!out->last[0] && !out->first[0]) return NM_E_ARG;
    return NM_OK;
}

/* ---- surname variants ---- */

static int add_variant(char parts[][NM_NAME_CAP], size_t *k, size_t max, const char *s, size_t n) {
    if (n < 2 || n >= NM_NAME_CAP || *k >= max) return 0;
    for (size_t i = 0; i < *k; i++)
        if (strlen(parts[i]) == n && !memcmp(parts[i], s, n)) return 0;
    memcpy(parts[*k], s, n);
    parts[*k][n] = 0;
    (*k)++;
    return 1;
}

static size_t concat(const nm_tok *w, size_t b, size_t e, char *dst, size_t cap) {
    size_t o = 0;
    for (size_t i = b; i < e; i++) {
        if (o + w[i].len >= cap) break;
        memcpy(dst + o, w[i].s, w[i].len);
        o += w[i].len;
    }
    dst[o] = 0;
    return o;
}

size_t nm_surname_variants(const char *last, size_t n, char parts[][NM_NAME_CAP], size_t max) {
    char buf[256], tmp[NM_NAME_CAP * 2];
    nm_tok w[MAXW];
    if (!last || !parts || max == 0) return 0;
    size_t l = nm_fold_text(last, n, 0, buf, sizeof buf); /* hyphens -> spaces */
    size_t nw = nm_split_words(buf, l, w, MAXW, NULL);
    size_t k = 0;
    if (nw == 0) return 0;
    size_t tl = concat(w, 0, nw, tmp, sizeof tmp);
    if (tl >= NM_NAME_CAP) tl = NM_NAME_CAP - 1;
    if (tl == 0) return 0;
    memcpy(parts[0], tmp, tl);
    parts[0][tl] = 0;
    k = 1;

    /* Units: leading particles plus one name word. "DE LA CRUZ" is one
     * unit, "SMITH-JONES" and "GARCIA LOPEZ" are two. */
    size_t ub[MAXW], ue[MAXW], nu = 0;
    for (size_t i = 0; i < nw;) {
        size_t s = i;
        while (i < nw - 1 && (is_particle(w[i]) || nm_tok_eq(w[i], "O"))) i++;
        ub[nu] = s;
        ue[nu++] = ++i;
    }
    if (nu > 1)
        for (size_t u = 0; u < nu; u++) add_variant(parts, &k, max, tmp, concat(w, ub[u], ue[u], tmp, sizeof tmp));
    for (size_t u = 0; u < nu; u++) {
        size_t s = ub[u];
        while (s < ue[u] - 1 && is_strip_particle(w[s])) s++;
        if (s > ub[u]) add_variant(parts, &k, max, tmp, concat(w, s, ue[u], tmp, sizeof tmp));
        /* SAINT JOHN ~ ST JOHN */
        if (nm_tok_eq(w[s], "ST") || nm_tok_eq(w[s], "SAINT") || nm_tok_eq(w[s], "STE")) {
            size_t o = 0;
            const char *alt = nm_tok_eq(w[s], "SAINT") ? "ST" : "SAINT";
            o = strlen(alt);
            memcpy(tmp, alt, o);
            o += concat(w, s + 1, ue[u], tmp + o, sizeof tmp - o);
            if (s + 1 < ue[u]) add_variant(parts, &k, max, tmp, o);
        }
    }
    return k;
}
