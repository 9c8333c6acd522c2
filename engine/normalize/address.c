/* Address lines to USPS Publication 28 standard form, so one address typed
 * two ways compares equal.
 *
 *  - Street suffixes (Pub 28 Appendix C1): the common suffix names and their
 *    listed variants and misspellings become the standard abbreviation
 *    (STREET/STR/STRT -> ST, AVENUE/AV/AVEN -> AVE ...). As in Pub 28, only
 *    the suffix is abbreviated: the last suffix word of the street, or a
 *    suffix word followed by a route number ("STATE HIGHWAY 6" -> "STATE
 *    HWY 6"); "PARK AVENUE" -> "PARK AVE", and a street whose only word is a
 *    suffix word ("123 CIRCLE") keeps it as its name.
 *  - Directionals (Pub 28 section 233): NORTH -> N ... SOUTHWEST -> SW, and
 *    "NORTH EAST" -> NE, only as pre- or post-directionals. A directional
 *    that is the street name ("NORTH ST", "123 EAST") is kept spelled out.
 *  - Secondary unit designators (Appendix C2): SUITE -> STE, APARTMENT ->
 *    APT, BUILDING -> BLDG, FLOOR -> FL, ROOM -> RM, DEPARTMENT -> DEPT ...;
 *    "2ND FLOOR" -> "FL 2"; the identifier follows ("STE 300"). "#" is kept
 *    as the designator "#" (Pub 28 uses it when the designator is unknown),
 *    so "#4B" gives unit "# 4B" and "APT 4B" gives "APT 4B": they share the
 *    identifier 4B, which nm_address_unit_id() returns for comparisons.
 *    Hyphens inside identifiers are dropped ("4-B" -> "4B").
 *  - PO boxes: PO BOX, P O BOX, P.O. BOX, POB, POBOX, POST OFFICE BOX,
 *    BOX, and the Pub 28 section 28 alternatives DRAWER, LOCKBOX, CALLER ->
 *    "PO BOX n" (po_box = n).
 *  - Ordinals FIRST..TWENTIETH, THIRTIETH..NINETIETH and compounds
 *    ("TWENTY FIRST") -> 1ST ...; a spelled house number at the start of
 *    line 1 ("ONE MARKET PLAZA") -> 1. Other number words are kept: they
 *    are usually names ("FIVE POINTS RD").
 *  - Street number: the first word when it starts with a digit ("1824",
 *    "123A", "123-125"), plus a following fraction ("123 1/2").
 *  - Units may be on line 1 or line 2; when line 1 holds only a unit or a
 *    building name and line 2 the street, the roles swap. Line 2 text that
 *    is neither a unit, a PO box nor a street (building names, "ATTN ...")
 *    is dropped: it does not identify the location.
 * Output fields are space separated upper-case ASCII; fields that would
 * overflow are truncated at word boundaries. */
#include <string.h>
#include "npimatch/normalize.h"
#include "normalize/text.h"

typedef struct { const char *from, *to; } map;

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* Pub 28 Appendix C1 (common suffixes), sorted by `from` for bsearch. */
static const map k_suffix[] = {
    {"ALLEE", "ALY"}, {"ALLEY", "ALY"}, {"ALLY", "ALY"}, {"ALY", "ALY"}, {"ANEX", "ANX"}, {"ANNEX", "ANX"},
    {"ANNX", "ANX"}, {"ANX", "ANX"}, {"ARC", "ARC"}, {"ARCADE", "ARC"}, {"AV", "AVE"}, {"AVE", "AVE"},
    {"AVEN", "AVE"}, {"AVENU", "AVE"}, {"AVENUE", "AVE"}, {"AVN", "AVE"}, {"AVNUE", "AVE"}, {"BAYOO", "BYU"},
    {"BAYOU", "BYU"}, {"BCH", "BCH"}, {"BEACH", "BCH"}, {"BEND", "BND"}, {"BLF", "BLF"}, {"BLUF", "BLF"},
    {"BLUFF", "BLF"}, {"BLV", "BLVD"}, {"BLVD", "BLVD"}, {"BND", "BND"}, {"BOT", "BTM"}, {"BOTTM", "BTM"},
    {"BOTTOM", "BTM"}, {"BOUL", "BLVD"}, {"BOULEVARD", "BLVD"}, {"BOULV", "BLVD"}, {"BR", "BR"},
    {"BRANCH", "BR"}, {"BRDGE", "BRG"}, {"BRG", "BRG"}, {"BRIDGE", "BRG"}, {"BRK", "BRK"}, {"BRNCH", "BR"},
    {"BROOK", "BRK"}, {"BTM", "BTM"}, {"BYP", "BYP"}, {"BYPA", "BYP"}, {"BYPAS", "BYP"}, {"BYPASS", "BYP"},
    {"BYPS", "BYP"}, {"BYU", "BYU"}, {"CANYN", "CYN"}, {"CANYON", "CYN"}, {"CAUSEWAY", "CSWY"},
    {"CAUSWA", "CSWY"}, {"CEN", "CTR"}, {"CENT", "CTR"}, {"CENTER", "CTR"}, {"CENTR", "CTR"},
    {"CENTRE", "CTR"}, {"CIR", "CIR"}, {"CIRC", "CIR"}, {"CIRCL", "CIR"}, {"CIRCLE", "CIR"}, {"CLB", "CLB"},
    {"CLF", "CLF"}, {"CLIFF", "CLF"}, {"CLUB", "CLB"}, {"CMN", "CMN"}, {"CNTER", "CTR"}, {"CNTR", "CTR"},
    {"CNYN", "CYN"}, {"COMMON", "CMN"}, {"COR", "COR"}, {"CORNER", "COR"}, {"COURSE", "CRSE"},
    {"COURT", "CT"}, {"COURTS", "CTS"}, {"COVE", "CV"}, {"CRCL", "CIR"}, {"CRCLE", "CIR"}, {"CREEK", "CRK"},
    {"CRES", "CRES"}, {"CRESCENT", "CRES"}, {"CRK", "CRK"}, {"CROSSING", "XING"}, {"CRSE", "CRSE"},
    {"CRSENT", "CRES"}, {"CRSNT", "CRES"}, {"CRSSNG", "XING"}, {"CRT", "CT"}, {"CSWY", "CSWY"}, {"CT", "CT"},
    {"CTR", "CTR"}, {"CTS", "CTS"}, {"CURV", "CURV"}, {"CURVE", "CURV"}, {"CV", "CV"}, {"CYN", "CYN"},
    {"DALE", "DL"}, {"DL", "DL"}, {"DR", "DR"}, {"DRIV", "DR"}, {"DRIVE", "DR"}, {"DRIVES", "DRS"},
    {"DRS", "DRS"}, {"DRV", "DR"}, {"EST", "EST"}, {"ESTATE", "EST"}, {"ESTATES", "ESTS"}, {"ESTS", "ESTS"},
    {"EXP", "EXPY"}, {"EXPR", "EXPY"}, {"EXPRESS", "EXPY"}, {"EXPRESSWAY", "EXPY"}, {"EXPW", "EXPY"},
    {"EXPY", "EXPY"}, {"EXT", "EXT"}, {"EXTENSION", "EXT"}, {"EXTN", "EXT"}, {"EXTNSN", "EXT"},
    {"FALLS", "FLS"}, {"FERRY", "FRY"}, {"FIELD", "FLD"}, {"FIELDS", "FLDS"}, {"FLD", "FLD"},
    {"FLDS", "FLDS"}, {"FLS", "FLS"}, {"FOREST", "FRST"}, {"FORESTS", "FRST"}, {"FORT", "FT"},
    {"FREEWAY", "FWY"}, {"FREEWY", "FWY"}, {"FRRY", "FRY"}, {"FRST", "FRST"}, {"FRT", "FT"}, {"FRWAY", "FWY"},
    {"FRWY", "FWY"}, {"FRY", "FRY"}, {"FT", "FT"}, {"FWY", "FWY"}, {"GARDEN", "GDN"}, {"GARDENS", "GDNS"},
    {"GARDN", "GDN"}, {"GATEWAY", "GTWY"}, {"GATEWY", "GTWY"}, {"GATWAY", "GTWY"}, {"GDN", "GDN"},
    {"GDNS", "GDNS"}, {"GLEN", "GLN"}, {"GLN", "GLN"}, {"GRDEN", "GDN"}, {"GRDN", "GDN"}, {"GREEN", "GRN"},
    {"GRN", "GRN"}, {"GROV", "GRV"}, {"GROVE", "GRV"}, {"GRV", "GRV"}, {"GTWAY", "GTWY"}, {"GTWY", "GTWY"},
    {"HARB", "HBR"}, {"HARBOR", "HBR"}, {"HARBR", "HBR"}, {"HAVEN", "HVN"}, {"HBR", "HBR"},
    {"HEIGHTS", "HTS"}, {"HIGHWAY", "HWY"}, {"HIGHWY", "HWY"}, {"HILL", "HL"}, {"HILLS", "HLS"},
    {"HIWAY", "HWY"}, {"HIWY", "HWY"}, {"HL", "HL"}, {"HLLW", "HOLW"}, {"HLS", "HLS"}, {"HOLLOW", "HOLW"},
    {"HOLW", "HOLW"}, {"HOLWS", "HOLW"}, {"HRBOR", "HBR"}, {"HT", "HTS"}, {"HTS", "HTS"}, {"HVN", "HVN"},
    {"HWAY", "HWY"}, {"HWY", "HWY"}, {"IS", "IS"}, {"ISLAND", "IS"}, {"ISLND", "IS"}, {"JCT", "JCT"},
    {"JCTION", "JCT"}, {"JCTN", "JCT"}, {"JUNCTION", "JCT"}, {"JUNCTN", "JCT"}, {"JUNCTON", "JCT"},
    {"KNL", "KNL"}, {"KNOL", "KNL"}, {"KNOLL", "KNL"}, {"LAKE", "LK"}, {"LAKES", "LKS"}, {"LANDING", "LNDG"},
    {"LANE", "LN"}, {"LK", "LK"}, {"LKS", "LKS"}, {"LN", "LN"}, {"LNDG", "LNDG"}, {"LNDNG", "LNDG"},
    {"LOOP", "LOOP"}, {"LOOPS", "LOOP"}, {"MALL", "MALL"}, {"MANOR", "MNR"}, {"MDW", "MDW"}, {"MDWS", "MDWS"},
    {"MEADOW", "MDW"}, {"MEADOWS", "MDWS"}, {"MEDOWS", "MDWS"}, {"MILL", "ML"}, {"MILLS", "MLS"},
    {"ML", "ML"}, {"MLS", "MLS"}, {"MNR", "MNR"}, {"MNT", "MT"}, {"MNTAIN", "MTN"}, {"MNTN", "MTN"},
    {"MOTORWAY", "MTWY"}, {"MOUNT", "MT"}, {"MOUNTAIN", "MTN"}, {"MOUNTIN", "MTN"}, {"MT", "MT"},
    {"MTIN", "MTN"}, {"MTN", "MTN"}, {"MTWY", "MTWY"}, {"OPAS", "OPAS"}, {"ORCH", "ORCH"},
    {"ORCHARD", "ORCH"}, {"ORCHRD", "ORCH"}, {"OVAL", "OVAL"}, {"OVERPASS", "OPAS"}, {"OVL", "OVAL"},
    {"PARK", "PARK"}, {"PARKS", "PARK"}, {"PARKWAY", "PKWY"}, {"PARKWAYS", "PKWY"}, {"PARKWY", "PKWY"},
    {"PASS", "PASS"}, {"PATH", "PATH"}, {"PATHS", "PATH"}, {"PIKE", "PIKE"}, {"PIKES", "PIKE"},
    {"PINE", "PNE"}, {"PINES", "PNES"}, {"PKWAY", "PKWY"}, {"PKWY", "PKWY"}, {"PKWYS", "PKWY"},
    {"PKY", "PKWY"}, {"PL", "PL"}, {"PLACE", "PL"}, {"PLAIN", "PLN"}, {"PLAINS", "PLNS"}, {"PLAZA", "PLZ"},
    {"PLN", "PLN"}, {"PLNS", "PLNS"}, {"PLZ", "PLZ"}, {"PLZA", "PLZ"}, {"PNE", "PNE"}, {"PNES", "PNES"},
    {"POINT", "PT"}, {"POINTS", "PTS"}, {"PORT", "PRT"}, {"PR", "PR"}, {"PRAIRIE", "PR"}, {"PRK", "PARK"},
    {"PRR", "PR"}, {"PRT", "PRT"}, {"PT", "PT"}, {"PTS", "PTS"}, {"RANCH", "RNCH"}, {"RANCHES", "RNCH"},
    {"RD", "RD"}, {"RDG", "RDG"}, {"RDGE", "RDG"}, {"RDGS", "RDGS"}, {"RDS", "RDS"}, {"RIDGE", "RDG"},
    {"RIDGES", "RDGS"}, {"RIV", "RIV"}, {"RIVER", "RIV"}, {"RIVR", "RIV"}, {"RNCH", "RNCH"},
    {"RNCHS", "RNCH"}, {"ROAD", "RD"}, {"ROADS", "RDS"}, {"ROUTE", "RTE"}, {"ROW", "ROW"}, {"RTE", "RTE"},
    {"RUN", "RUN"}, {"RVR", "RIV"}, {"SHOAR", "SHR"}, {"SHORE", "SHR"}, {"SHORES", "SHRS"}, {"SHR", "SHR"},
    {"SHRS", "SHRS"}, {"SKWY", "SKWY"}, {"SKYWAY", "SKWY"}, {"SMT", "SMT"}, {"SPG", "SPG"}, {"SPGS", "SPGS"},
    {"SPNG", "SPG"}, {"SPRING", "SPG"}, {"SPRINGS", "SPGS"}, {"SPRNG", "SPG"}, {"SQ", "SQ"}, {"SQR", "SQ"},
    {"SQRE", "SQ"}, {"SQU", "SQ"}, {"SQUARE", "SQ"}, {"ST", "ST"}, {"STA", "STA"}, {"STATION", "STA"},
    {"STATN", "STA"}, {"STN", "STA"}, {"STR", "ST"}, {"STREET", "ST"}, {"STREETS", "STS"}, {"STRT", "ST"},
    {"STS", "STS"}, {"SUMIT", "SMT"}, {"SUMITT", "SMT"}, {"SUMMIT", "SMT"}, {"TER", "TER"}, {"TERR", "TER"},
    {"TERRACE", "TER"}, {"THROUGHWAY", "TRWY"}, {"TPKE", "TPKE"}, {"TRACE", "TRCE"}, {"TRACES", "TRCE"},
    {"TRAFFICWAY", "TRFY"}, {"TRAIL", "TRL"}, {"TRAILS", "TRL"}, {"TRCE", "TRCE"}, {"TRFY", "TRFY"},
    {"TRL", "TRL"}, {"TRLS", "TRL"}, {"TRNPK", "TPKE"}, {"TRWY", "TRWY"}, {"TUNL", "TUNL"}, {"TUNLS", "TUNL"},
    {"TUNNEL", "TUNL"}, {"TUNNELS", "TUNL"}, {"TUNNL", "TUNL"}, {"TURNPIKE", "TPKE"}, {"TURNPK", "TPKE"},
    {"UNDERPASS", "UPAS"}, {"UPAS", "UPAS"}, {"VALLEY", "VLY"}, {"VALLY", "VLY"}, {"VDCT", "VIA"},
    {"VIA", "VIA"}, {"VIADCT", "VIA"}, {"VIADUCT", "VIA"}, {"VIEW", "VW"}, {"VILL", "VLG"}, {"VILLAG", "VLG"},
    {"VILLAGE", "VLG"}, {"VILLG", "VLG"}, {"VILLIAGE", "VLG"}, {"VIS", "VIS"}, {"VIST", "VIS"},
    {"VISTA", "VIS"}, {"VLG", "VLG"}, {"VLLY", "VLY"}, {"VLY", "VLY"}, {"VST", "VIS"}, {"VSTA", "VIS"},
    {"VW", "VW"}, {"WALK", "WALK"}, {"WALKS", "WALK"}, {"WAY", "WAY"}, {"WAYS", "WAYS"}, {"WY", "WAY"},
    {"XING", "XING"},
};

static const map k_dir[] = {
    {"NORTH", "N"}, {"SOUTH", "S"}, {"EAST", "E"}, {"WEST", "W"}, {"NORTHEAST", "NE"}, {"NORTHWEST", "NW"},
    {"SOUTHEAST", "SE"}, {"SOUTHWEST", "SW"}, {"N", "N"}, {"S", "S"}, {"E", "E"}, {"W", "W"},
    {"NE", "NE"}, {"NW", "NW"}, {"SE", "SE"}, {"SW", "SW"},
};

/* Pub 28 Appendix C2. `needs_id`: 1 = an identifier must follow; 0 = a
 * designator that stands alone (REAR, LOBBY ...); 2 = a word that is also
 * common in street names, taken as a designator only when the identifier
 * has a digit (LOT 5, PIER 39). */
typedef struct { const char *from, *to; int needs_id; } unit_map;
static const unit_map k_unit[] = { /* sorted by `from` */
    {"#", "#", 1}, {"APARTMENT", "APT", 1}, {"APPT", "APT", 1}, {"APT", "APT", 1}, {"BASEMENT", "BSMT", 0},
    {"BLD", "BLDG", 1}, {"BLDG", "BLDG", 1}, {"BLDNG", "BLDG", 1}, {"BSMT", "BSMT", 0},
    {"BUILDING", "BLDG", 1}, {"DEPARTMENT", "DEPT", 1}, {"DEPT", "DEPT", 1}, {"FL", "FL", 1},
    {"FLOOR", "FL", 1}, {"FLR", "FL", 1}, {"FRNT", "FRNT", 0}, {"FRONT", "FRNT", 0}, {"HANGAR", "HNGR", 1},
    {"HNGR", "HNGR", 1}, {"KEY", "KEY", 2}, {"LBBY", "LBBY", 0}, {"LOBBY", "LBBY", 0}, {"LOT", "LOT", 2},
    {"LOWER", "LOWR", 0}, {"LOWR", "LOWR", 0}, {"OFC", "OFC", 1}, {"OFFICE", "OFC", 1},
    {"PENTHOUSE", "PH", 0}, {"PH", "PH", 0}, {"PIER", "PIER", 2}, {"PMB", "PMB", 1}, {"REAR", "REAR", 0},
    {"RM", "RM", 1}, {"ROOM", "RM", 1}, {"SIDE", "SIDE", 0}, {"SLIP", "SLIP", 2}, {"SPACE", "SPC", 1},
    {"SPC", "SPC", 1}, {"STE", "STE", 1}, {"STES", "STE", 1}, {"STOP", "STOP", 2}, {"SUIT", "STE", 1},
    {"SUITE", "STE", 1}, {"SUITES", "STE", 1}, {"TRAILER", "TRLR", 1}, {"TRLR", "TRLR", 1},
    {"UNIT", "UNIT", 1}, {"UPPER", "UPPR", 0}, {"UPPR", "UPPR", 0},
};

static const char *const k_ord_units[] = {"", "1ST", "2ND", "3RD", "4TH", "5TH", "6TH", "7TH", "8TH", "9TH",
                                          "10TH", "11TH", "12TH", "13TH", "14TH", "15TH", "16TH", "17TH",
                                          "18TH", "19TH", "20TH"};
static const char *const k_ord_words[] = {"", "FIRST", "SECOND", "THIRD", "FOURTH", "FIFTH", "SIXTH",
                                          "SEVENTH", "EIGHTH", "NINTH", "TENTH", "ELEVENTH", "TWELFTH",
                                          "THIRTEENTH", "FOURTEENTH", "FIFTEENTH", "SIXTEENTH",
                                          "SEVENTEENTH", "EIGHTEENTH", "NINETEENTH", "TWENTIETH"};
static const char *const k_tens_ord[] = {"", "", "TWENTIETH", "THIRTIETH", "FORTIETH", "FIFTIETH",
                                         "SIXTIETH", "SEVENTIETH", "EIGHTIETH", "NINETIETH"};
static const char *const k_tens[] = {"", "", "TWENTY", "THIRTY", "FORTY", "FIFTY", "SIXTY", "SEVENTY",
                                     "EIGHTY", "NINETY"};
static const char *const k_num_words[] = {"ZERO", "ONE", "TWO", "THREE", "FOUR", "FIVE", "SIX", "SEVEN",
                                          "EIGHT", "NINE", "TEN", "ELEVEN", "TWELVE", "THIRTEEN",
                                          "FOURTEEN", "FIFTEEN", "SIXTEEN", "SEVENTEEN", "EIGHTEEN",
                                          "NINETEEN", "TWENTY"};

static const char *map_find(const map *m, size_t n, nm_tok t) {
    for (size_t i = 0; i < n; i++)
        if (nm_tok_eq(t, m[i].from)) return m[i].to;
    return NULL;
}
/* Token vs NUL-terminated key, strcmp order. */
static int tok_cmp(nm_tok t, const char *k) {
    size_t kl = strlen(k), m = t.len < kl ? t.len : kl;
    int c = memcmp(t.s, k, m);
    return c ? c : (t.len > kl) - (t.len < kl);
}
/* Binary search of a table sorted by its first member, `const char *from`
 * (map and unit_map). */
static const void *find_sorted(const void *base, size_t n, size_t size, nm_tok t) {
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        const void *e = (const char *)base + mid * size;
        int c = tok_cmp(t, *(const char *const *)e);
        if (!c) return e;
        if (c < 0) hi = mid;
        else lo = mid + 1;
    }
    return NULL;
}
static const char *suffix_abbr(nm_tok t) {
    const map *m = t.len >= 2 && t.len <= 10 ? find_sorted(k_suffix, NELEM(k_suffix), sizeof *k_suffix, t) : NULL;
    return m ? m->to : NULL;
}
static const char *dir_abbr(nm_tok t) { return map_find(k_dir, NELEM(k_dir), t); }
static const unit_map *unit_find(nm_tok t) {
    return t.len && t.len <= 10 ? find_sorted(k_unit, NELEM(k_unit), sizeof *k_unit, t) : NULL;
}
static int word_index(nm_tok t, const char *const *tab, size_t n) {
    for (size_t i = 1; i < n; i++)
        if (nm_tok_eq(t, tab[i])) return (int)i;
    return -1;
}

static inline int is_digit(char c) { return c >= '0' && c <= '9'; }
static int has_digit(nm_tok t) {
    for (uint32_t i = 0; i < t.len; i++)
        if (is_digit(t.s[i])) return 1;
    return 0;
}
/* "1ST", "22ND", "103RD", "4TH" */
static int is_ordinal_num(nm_tok t) {
    if (t.len < 3 || !is_digit(t.s[0])) return 0;
    uint32_t i = 0;
    while (i < t.len && is_digit(t.s[i])) i++;
    if (t.len - i != 2) return 0;
    const char *s = t.s + i;
    return !memcmp(s, "ST", 2) || !memcmp(s, "ND", 2) || !memcmp(s, "RD", 2) || !memcmp(s, "TH", 2);
}
static nm_tok lit(const char *s) { return (nm_tok){s, (uint32_t)strlen(s)}; }

#define MAXT 48

typedef struct {
    nm_tok t[MAXT];
    size_t n;
    char scratch[256];  /* storage for rewritten words */
    size_t sl;
} words;

static nm_tok scratch_tok(words *w, const char *s, size_t n) {
    if (w->sl + n + 1 > sizeof w->scratch) return lit("");
    memcpy(w->scratch + w->sl, s, n);
    w->scratch[w->sl + n] = 0;
    nm_tok t = {w->scratch + w->sl, (uint32_t)n};
    w->sl += n + 1;
    return t;
}

static void split_line(const char *s, size_t n, char *buf, size_t cap, words *w) {
    w->n = 0;
    w->sl = 0;
    if (!s || !n) return;
    size_t l = nm_fold_text(s, n, NM_FOLD_HYPHEN | NM_FOLD_ADDR, buf, cap);
    /* Hyphens join words ("123-125", "4-B") but are separators around a
     * lone hyphen: nm_fold_text already dropped those at word edges. */
    w->n = nm_split_words(buf, l, w->t, MAXT, NULL);
}

/* Rewrite ordinal words and compounds in place: FIRST -> 1ST,
 * TWENTY FIRST / TWENTY-FIRST -> 21ST, THIRTIETH -> 30TH. */
static void ordinals(words *w) {
    size_t o = 0;
    for (size_t i = 0; i < w->n; i++) {
        nm_tok t = w->t[i];
        /* every ordinal and tens word has 5+ letters and starts E, F, N, S or T */
        if (t.len < 5 || !memchr("EFNST", t.s[0], 5)) {
            w->t[o++] = t;
            continue;
        }
        int k = word_index(t, k_ord_words, NELEM(k_ord_words));
        if (k > 0) {
            w->t[o++] = lit(k_ord_units[k]);
            continue;
        }
        int tz = word_index(t, k_tens_ord, NELEM(k_tens_ord));
        if (tz > 0) {
            char b[8];
            b[0] = (char)('0' + tz);
            memcpy(b + 1, "0TH", 3);
            w->t[o++] = scratch_tok(w, b, 4);
            continue;
        }
        /* TWENTY FIRST or TWENTY-FIRST */
        int tens = -1, unit = -1;
        const char *h = memchr(t.s, '-', t.len);
        if (h) {
            nm_tok a = {t.s, (uint32_t)(h - t.s)}, b = {h + 1, (uint32_t)(t.len - (h - t.s) - 1)};
            tens = word_index(a, k_tens, NELEM(k_tens));
            unit = word_index(b, k_ord_words, 10);
        } else if (i + 1 < w->n) {
            tens = word_index(t, k_tens, NELEM(k_tens));
            if (tens > 0) unit = word_index(w->t[i + 1], k_ord_words, 10);
            if (unit > 0) i++;
        }
        if (tens > 0 && unit > 0) {
            /* k_ord_units[unit] is "1ST".."9TH": prefix the tens digit */
            char r[8];
            size_t ul = strlen(k_ord_units[unit]);
            r[0] = (char)('0' + tens);
            memcpy(r + 1, k_ord_units[unit], ul);
            w->t[o++] = scratch_tok(w, r, ul + 1);
            continue;
        }
        w->t[o++] = t;
    }
    w->n = o;
}

/* PO box at the start of the words: returns 1 and the box id. */
static int po_box(const words *w, char *box, size_t cap) {
    size_t i = 0, n = w->n;
    const nm_tok *t = w->t;
    if (n == 0) return 0;
    if (nm_tok_eq(t[0], "PO") || nm_tok_eq(t[0], "P")) {
        i = 1;
        if (nm_tok_eq(t[0], "P") && i < n && nm_tok_eq(t[i], "O")) i++;
        if (i < n && (nm_tok_eq(t[i], "BOX") || nm_tok_eq(t[i], "BX") || nm_tok_eq(t[i], "B") ||
                      nm_tok_eq(t[i], "DRAWER") || nm_tok_eq(t[i], "DRAW")))
            i++;
        else if (!(nm_tok_eq(t[0], "PO") && i < n && has_digit(t[i])))
            return 0;
    } else if (nm_tok_eq(t[0], "POB") || nm_tok_eq(t[0], "POBOX") || nm_tok_eq(t[0], "BOX") ||
               nm_tok_eq(t[0], "DRAWER") || nm_tok_eq(t[0], "LOCKBOX") || nm_tok_eq(t[0], "CALLER") ||
               nm_tok_eq(t[0], "POBX")) {
        i = 1;
        if (nm_tok_eq(t[0], "CALLER") && i < n && nm_tok_eq(t[i], "BOX")) i++;
    } else if (n >= 3 && nm_tok_eq(t[0], "POST") && (nm_tok_eq(t[1], "OFFICE") || nm_tok_eq(t[1], "OFC")) &&
               nm_tok_eq(t[2], "BOX")) {
        i = 3;
    } else {
        return 0;
    }
    while (i < n && (nm_tok_eq(t[i], "#") || nm_tok_eq(t[i], "NO") || nm_tok_eq(t[i], "NUMBER"))) i++;
    if (i >= n || !has_digit(t[i])) return 0;
    nm_copy_drop(t[i].s, t[i].len, "-", box, cap);
    return 1;
}

/* Units from words [b, e): appends "DESIG ID" groups to unit; returns the
 * index of the first unit word (e when none). */
static size_t find_units(const words *w, size_t b, size_t e) {
    for (size_t i = b; i < e; i++) {
        nm_tok t = w->t[i];
        const unit_map *u = unit_find(t);
        if (u) {
            size_t j = i + 1;
            if (j < e && nm_tok_eq(w->t[j], "#") && u->to[0] != '#') j++;
            int has_id = j < e && !unit_find(w->t[j]);
            if (u->needs_id == 1 && has_id) return i;
            if (u->needs_id == 2 && has_id && has_digit(w->t[j])) return i;
            if (u->needs_id == 0 && (j == e || unit_find(w->t[j]))) return i;
        }
        /* "2ND FLOOR" */
        if (is_ordinal_num(t) && i + 1 < e) {
            const unit_map *f = unit_find(w->t[i + 1]);
            if (f && !strcmp(f->to, "FL")) return i;
        }
    }
    return e;
}

static void append_units(const words *w, size_t b, size_t e, char *unit, size_t cap) {
    size_t o = strlen(unit);
    char id[32];
    for (size_t i = b; i < e;) {
        nm_tok t = w->t[i];
        const unit_map *u = unit_find(t);
        if (is_ordinal_num(t) && i + 1 < e && unit_find(w->t[i + 1]) && !strcmp(unit_find(w->t[i + 1])->to, "FL")) {
            size_t dl = 0;
            while (dl < t.len && is_digit(t.s[dl])) dl++;
            nm_append_word(unit, &o, cap, "FL", 2);
            nm_append_word(unit, &o, cap, t.s, dl);
            i += 2;
            continue;
        }
        if (!u) {
            /* stray identifier after a unit ("STE 300 B") joins the last id */
            size_t l = nm_copy_drop(t.s, t.len, "-", id, sizeof id);
            nm_append_word(unit, &o, cap, id, l);
            i++;
            continue;
        }
        nm_append_word(unit, &o, cap, u->to, strlen(u->to));
        i++;
        if (i < e && nm_tok_eq(w->t[i], "#") && u->to[0] != '#') i++;
        if (u->needs_id && i < e && !unit_find(w->t[i])) {
            size_t l = nm_copy_drop(w->t[i].s, w->t[i].len, "-", id, sizeof id);
            nm_append_word(unit, &o, cap, id, l);
            i++;
        }
    }
}

static void join(const nm_tok *t, size_t b, size_t e, char *out, size_t cap) {
    size_t o = strlen(out);
    for (size_t i = b; i < e; i++) nm_append_word(out, &o, cap, t[i].s, t[i].len);
}

/* Street number at w[0] (digits first, not an ordinal), with a following
 * fraction. Returns the words used. */
static size_t street_number(words *w, char *num, size_t cap, int allow_word) {
    if (w->n == 0) return 0;
    nm_tok t = w->t[0];
    if (is_digit(t.s[0]) && !is_ordinal_num(t) && !strchr("/", t.s[t.len - 1])) {
        size_t o = 0;
        nm_append_word(num, &o, cap, t.s, t.len);
        if (w->n > 1 && w->t[1].len == 3 && w->t[1].s[1] == '/' && is_digit(w->t[1].s[0])) {
            nm_append_word(num, &o, cap, w->t[1].s, w->t[1].len);
            return 2;
        }
        return 1;
    }
    int k = allow_word && w->n > 1 ? word_index(t, k_num_words, NELEM(k_num_words)) : -1;
    if (k > 0 && !suffix_abbr(w->t[1])) {
        char b[4];
        size_t l = (size_t)(k >= 10 ? 2 : 1);
        if (k >= 10) {
            b[0] = (char)('0' + k / 10);
            b[1] = (char)('0' + k % 10);
        } else {
            b[0] = (char)('0' + k);
        }
        size_t o = 0;
        nm_append_word(num, &o, cap, b, l);
        return 1;
    }
    return 0;
}

/* "NORTH EAST MAIN ST" -> "NE MAIN ST": two spelled directionals at the
 * start of the street name form one. */
static void merge_directionals(words *w, size_t b) {
    nm_tok *t = w->t;
    if (w->n < b + 3) return;
    const char *d0 = dir_abbr(t[b]), *d1 = dir_abbr(t[b + 1]);
    if (!d0 || !d1 || t[b].len < 4 || t[b + 1].len < 4 || d0[1] || d1[1]) return;
    if (!((d0[0] == 'N' || d0[0] == 'S') && (d1[0] == 'E' || d1[0] == 'W'))) return;
    char c[2] = {d0[0], d1[0]};
    t[b] = scratch_tok(w, c, 2);
    memmove(t + b + 1, t + b + 2, (w->n - b - 2) * sizeof *t);
    w->n--;
}

/* Standardize street words [b, e) in place: directionals and the suffix. */
static void street_words(words *w, size_t b, size_t e) {
    nm_tok *t = w->t;
    if (e <= b + 1) return; /* a one-word street is its own name */
    /* post-directional: the last word, after a name word */
    size_t end = e;
    if (dir_abbr(t[e - 1]) && !dir_abbr(t[e - 2])) {
        t[e - 1] = lit(dir_abbr(t[e - 1]));
        end = e - 1;
    }
    /* pre-directional: the first word, unless only a suffix follows
     * ("NORTH ST" is a street named North) */
    if (end - b >= 2 && dir_abbr(t[b]) && !(end - b == 2 && suffix_abbr(t[b + 1]))) t[b] = lit(dir_abbr(t[b]));
    /* suffix: the last word, or a suffix word before a route number */
    if (end - b >= 2) {
        size_t last = end - 1;
        const char *a;
        if (has_digit(t[last]) && !is_ordinal_num(t[last])) {
            if ((a = suffix_abbr(t[last - 1]))) t[last - 1] = lit(a);
        } else if ((a = suffix_abbr(t[last]))) {
            t[last] = lit(a);
        }
    }
}

int nm_normalize_address(const char *line1, size_t n1, const char *line2, size_t n2, nm_address *out) {
    if (!out) return NM_E_ARG;
    memset(out, 0, sizeof *out);
    char b1[NM_ADDR_CAP * 2], b2[NM_ADDR_CAP * 2];
    words w1, w2;
    split_line(line1, n1, b1, sizeof b1, &w1);
    split_line(line2, n2, b2, sizeof b2, &w2);
    ordinals(&w1);
    ordinals(&w2);

    words *st = &w1, *other = &w2;
    int box1 = po_box(&w1, out->po_box, sizeof out->po_box);
    int box2 = !box1 && po_box(&w2, out->po_box, sizeof out->po_box);
    /* Which line is the street: line 1 unless it is a PO box, a bare unit
     * or a name while line 2 starts with a number. */
    int l1_num = w1.n && is_digit(w1.t[0].s[0]) && !is_ordinal_num(w1.t[0]);
    int l2_num = w2.n && is_digit(w2.t[0].s[0]) && !is_ordinal_num(w2.t[0]);
    if (box1 || (!l1_num && l2_num && !box2) || w1.n == 0) {
        st = &w2;
        other = &w1;
    }
    if ((st == &w1 && box1) || (st == &w2 && box2)) st = NULL;

    if (st) {
        size_t b = street_number(st, out->number, sizeof out->number, 1);
        merge_directionals(st, b);
        size_t ue = st->n;
        /* a unit needs a street word before it, except on a line that is
         * only a unit ("SUITE 300" as line 1, the street on line 2) */
        size_t us = (b == 0 && find_units(st, 0, ue) == 0) ? 0 : find_units(st, b + 1 <= ue ? b + 1 : b, ue);
        street_words(st, b, us);
        join(st->t, b, us, out->street, sizeof out->street);
        append_units(st, us, ue, out->unit, sizeof out->unit);
    }
    /* the other line: a unit, or a bare identifier ("300") */
    if (other->n && !((other == &w1 && box1) || (other == &w2 && box2))) {
        size_t us = find_units(other, 0, other->n);
        if (us < other->n) append_units(other, us, other->n, out->unit, sizeof out->unit);
        else if (other->n == 1 && has_digit(other->t[0]) && !is_ordinal_num(other->t[0]) && st) {
            size_t o = strlen(out->unit);
            char id[32];
            size_t l = nm_copy_drop(other->t[0].s, other->t[0].len, "-", id, sizeof id);
            nm_append_word(out->unit, &o, sizeof out->unit, "#", 1);
            nm_append_word(out->unit, &o, sizeof out->unit, id, l);
        }
    }

    size_t o = 0;
    nm_append_word(out->line, &o, sizeof out->line, out->number, strlen(out->number));
    nm_append_word(out->line, &o, sizeof out->line, out->street, strlen(out->street));
    nm_append_word(out->line, &o, sizeof out->line, out->unit, strlen(out->unit));
    if (out->po_box[0]) {
        nm_append_word(out->line, &o, sizeof out->line, "PO BOX", 6);
        nm_append_word(out->line, &o, sizeof out->line, out->po_box, strlen(out->po_box));
    }
    return o ? NM_OK : NM_E_ARG;
}

const char *nm_address_unit_id(const char *unit) {
    if (!unit) return "";
    const char *sp = strrchr(unit, ' ');
    return sp ? sp + 1 : unit;
}
