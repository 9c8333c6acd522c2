/* gen nppes: a synthetic NPPES main file (npidata_pfile_*.csv).
 *
 * Layout: the 330-column header of the current file (or the 329-column 2015
 * header), every value double-quoted, empty as "", dates MM/DD/YYYY, one LF
 * per row (NPPES Data Dissemination Readme 1.1; column positions in the
 * header files data/nppes_header_330.csv and data/nppes_header_329.csv, which
 * agree on columns 0-328). Values follow what real rows hold: ZIP+4 without
 * hyphen, 10-digit phones, free-text credentials, up to 15 taxonomy/licence
 * groups with exactly one primary switch Y, other identifiers mostly on NPIs
 * enumerated in the first years, deactivated NPIs as stub rows holding only
 * the NPI and the deactivation date.
 *
 * Speed and determinism: rows are made in fixed-size chunks in parallel; row
 * i draws only from an RNG seeded with (seed, i), and chunks are written in
 * order, so the bytes depend on the seed and never on the thread count.
 * Fields are appended with memcpy into a per-thread buffer (no printf). */
#include <assert.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>
#include "common/arena.h"
#include "common/data.h"
#include "common/error_internal.h"
#include "common/io.h"
#include "gen/gen.h"

#define CHUNK_ROWS 4096
#define ROW_MAX 12288   /* bound on one row's bytes (see the field limits below) */

/* Column positions (0-based) of the NPPES main file. */
enum {
    C_NPI = 0, C_ENTITY = 1, C_EIN = 3, C_LBN = 4, C_LAST = 5, C_FIRST, C_MIDDLE, C_PREFIX, C_SUFFIX, C_CRED,
    C_OTHER_ORG = 11, C_OTHER_ORG_TYPE, C_OTHER_LAST, C_OTHER_FIRST, C_OTHER_MIDDLE, C_OTHER_PREFIX,
    C_OTHER_SUFFIX, C_OTHER_CRED, C_OTHER_LAST_TYPE,
    C_MAIL = 20, C_PRACTICE = 28,   /* line1, line2, city, state, postal, country, phone, fax */
    C_ENUM = 36, C_LAST_UPDATE, C_DEACT_REASON, C_DEACT_DATE, C_REACT_DATE, C_SEX,
    C_AO_LAST = 42, C_AO_FIRST, C_AO_MIDDLE, C_AO_TITLE, C_AO_PHONE,
    C_TAX = 47,        /* 15 x (code, licence, licence state, primary switch) */
    C_OTHER_ID = 107,  /* 50 x (identifier, type code, state, issuer) */
    C_SOLE_PROP = 307, C_SUBPART, C_PARENT_LBN, C_PARENT_TIN, C_AO_PREFIX, C_AO_SUFFIX, C_AO_CRED,
    C_TAX_GROUP = 314, /* 15 */
    C_CERT_DATE = 329
};

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* 330 empty fields, to pad runs of empty columns with one memcpy. */
#define E1 "\"\","
#define E10 E1 E1 E1 E1 E1 E1 E1 E1 E1 E1
#define E100 E10 E10 E10 E10 E10 E10 E10 E10 E10 E10
static const char EMPTIES[] = E100 E100 E100 E10 E10 E10;

typedef struct row {
    char *p;
    int col, ncols;
} row;

/* Append column `col` (columns must come in increasing order); skipped
 * columns are written empty. */
static inline void put(row *w, int col, const char *s, size_t n) {
    assert(col >= w->col);   /* fields must be put in column order */
    if (col >= w->ncols) return;
    size_t gap = (size_t)(col - w->col) * 3;
    memcpy(w->p, EMPTIES, gap);
    w->p += gap;
    *w->p++ = '"';
    memcpy(w->p, s, n);
    w->p += n;
    *w->p++ = '"';
    *w->p++ = ',';
    w->col = col + 1;
}
static inline void puts_(row *w, int col, const char *s) { put(w, col, s, strlen(s)); }
static inline void put_gs(row *w, int col, nm_gen_str s) { put(w, col, s.s, s.len); }

static void row_end(row *w) {
    size_t gap = (size_t)(w->ncols - w->col) * 3;
    memcpy(w->p, EMPTIES, gap);
    w->p += gap;
    w->p[-1] = '\n';
}

static size_t append_c(char *dst, size_t at, size_t cap, const char *s) { return nm_gen_cat(dst, at, cap, s, strlen(s)); }

/* ---- per-run constants ---------------------------------------------------- */
typedef struct ctx {
    const nm_gen_tables *t;
    const nm_gen_nppes_opts *o;
    int32_t d_first, d_wave_end, d_cert_start, d_asof;   /* day numbers */
    uint32_t deact_pm;                                  /* deactivated share, per million */
    int cls_phys, cls_rn, cls_pharm, cls_group, cls_hosp, cls_pubhealth, cls_amb, cls_hha;
    uint8_t is_doctor[NM_GEN_MAX_CLASSES];              /* classes whose members use DR. */
} ctx;

static int find_class(const nm_gen_tables *t, const char *name) {
    for (uint32_t i = 0; i < t->nclasses; i++)
        if (!strcmp(t->classes[i].name, name)) return (int)i;
    return -1;
}

static void ctx_init(ctx *c, const nm_gen_tables *t, const nm_gen_nppes_opts *o) {
    memset(c, 0, sizeof *c);
    c->t = t;
    c->o = o;
    c->d_first = nm_gen_days(2005, 5, 23);   /* first enumeration date (NPPES file-name start) */
    c->d_wave_end = nm_gen_days(2008, 5, 23);/* NPI became mandatory 2007-05-23; the initial wave */
    c->d_cert_start = nm_gen_days(2019, 6, 1);
    c->d_asof = o->asof_days ? o->asof_days : nm_gen_days(NM_GEN_ASOF_Y, NM_GEN_ASOF_M, NM_GEN_ASOF_D);
    double f = o->deactivated < 0 ? 0 : o->deactivated > 1 ? 1 : o->deactivated;
    c->deact_pm = (uint32_t)(f * 1000000.0 + 0.5);
    c->cls_phys = find_class(t, "PHYS");
    c->cls_rn = find_class(t, "RN");
    c->cls_pharm = find_class(t, "PHARM");
    c->cls_group = find_class(t, "GROUP");
    c->cls_hosp = find_class(t, "HOSP");
    c->cls_pubhealth = find_class(t, "PUBHEALTH");
    c->cls_amb = find_class(t, "AMB");
    c->cls_hha = find_class(t, "HHA");
    static const char *const DOCTORS[] = {"PHYS", "DENT", "OPT", "POD", "CHIRO", "PSY"};
    for (size_t i = 0; i < NELEM(DOCTORS); i++) {
        int k = find_class(t, DOCTORS[i]);
        if (k >= 0) c->is_doctor[k] = 1;
    }
}

/* ---- field makers ----------------------------------------------------------- */

/* Enumeration date: a fifth in the initial wave (2005-2008, with the
 * 05/23/2005 opening day over-represented), then a growing yearly intake. */
static int32_t enumeration_day(const ctx *c, nm_rng *r) {
    if (nm_rng_chance(r, 0.22)) {
        if (nm_rng_chance(r, 0.12)) return c->d_first;
        return nm_rng_range(r, c->d_first, c->d_wave_end - 1);
    }
    /* Half uniform, half with linearly growing density (sqrt of a uniform). */
    double v = nm_rng_unit(r);
    v = nm_rng_chance(r, 0.5) ? v : __builtin_sqrt(v);
    int32_t span = c->d_asof - c->d_wave_end;
    int32_t d = c->d_wave_end + (int32_t)(span * v);
    return d > c->d_asof ? c->d_asof : d;
}

/* Licence numbers: each state board has its own style; a state's style is
 * fixed (from its code) so numbers of one state look alike. */
static size_t licence(nm_rng *r, const char *state, int cls_is_rn, char *out) {
    static const char *const LETTERS[] = {"A", "C", "D", "E", "G", "H", "J", "K", "L", "M", "ME", "MD", "N", "RN", "DO", "PA"};
    uint32_t style = (uint32_t)(state[0] * 7 + state[1]) % 6;
    size_t n = 0;
    switch (style) {
    case 0: { int len = 4 + (int)nm_rng_below(r, 3); nm_gen_digits(out, nm_rng_below(r, 900000) + 100000, len); n = (size_t)len; break; }
    case 1: {
        const char *l = cls_is_rn ? "RN" : LETTERS[nm_rng_below(r, NELEM(LETTERS))];
        n = strlen(l);
        memcpy(out, l, n);
        int len = 4 + (int)nm_rng_below(r, 3);
        nm_gen_digits(out + n, nm_rng_below(r, 1000000), len);
        n += (size_t)len;
        break;
    }
    case 2: nm_gen_digits(out, nm_rng_below(r, 100000), 6); n = 6; break;   /* leading zeros kept: "032024" */
    case 3: { int len = 7 + (int)nm_rng_below(r, 4); nm_gen_digits(out, 1000000 + nm_rng_below(r, 9000000), 7); if (len > 7) nm_gen_digits(out + 7, nm_rng_below(r, 1000), len - 7); n = (size_t)len; break; }
    case 4: memcpy(out, state, 2); nm_gen_digits(out + 2, nm_rng_below(r, 10000000), 7); n = 9; break;
    default: nm_gen_digits(out, nm_rng_below(r, 1000000), 6); out[6] = '-'; out[7] = (char)('1' + nm_rng_below(r, 3)); n = 8; break;
    }
    out[n] = 0;
    return n;
}

static const nm_gen_city *random_state_city(const ctx *c, nm_rng *r) { return nm_gen_pick_city(c->t, r); }

/* Organization legal business names from name parts and type words
 * ("CUMBERLAND COUNTY HOSPITAL SYSTEM, INC", "J KIM RADIOLOGY ASSOCIATES PA"). */
static size_t org_name(const ctx *c, nm_rng *r, int cls, const nm_gen_city *city, char *out, size_t cap) {
    const nm_gen_tables *t = c->t;
    const nm_gen_class *k = &t->classes[cls];
    if (k->org_chains.n && nm_rng_chance(r, 0.3)) {
        nm_gen_str s = nm_gen_wpick_str(&k->org_chains, r);
        return nm_gen_cat(out, 0, cap, s.s, s.len);
    }
    /* Classes without their own words borrow the medical-group words. */
    const nm_gen_wtable *types = k->org_types.n ? &k->org_types : &t->classes[c->cls_group].org_types;
    nm_gen_str type = nm_gen_wpick_str(types, r);
    char sur[48], sur2[48];
    size_t n = 0;
    int county = cls == c->cls_hosp || cls == c->cls_pubhealth || cls == c->cls_amb || cls == c->cls_hha;
    uint32_t u = nm_rng_below(r, 100);
    if (county && u < 30) {
        nm_gen_pick_surname(t, r, sur, sizeof sur);
        if (cls == c->cls_pubhealth && u < 8) {
            n = append_c(out, 0, cap, "COUNTY OF ");
            return append_c(out, n, cap, sur);
        }
        n = append_c(out, 0, cap, sur);
        n = append_c(out, n, cap, " COUNTY ");
    } else if (u < 45) {
        n = nm_gen_cat(out, 0, cap, city->name.s, city->name.len);
        n = append_c(out, n, cap, " ");
    } else if (u < 63) {
        nm_gen_str a = nm_gen_wpick_str(&t->org_adj, r);
        if (u < 48) n = append_c(out, 0, cap, "THE ");
        n = nm_gen_cat(out, n, cap, a.s, a.len);
        n = append_c(out, n, cap, " ");
    } else if (u < 80) {
        nm_gen_pick_surname(t, r, sur, sizeof sur);
        n = append_c(out, 0, cap, sur);
        n = append_c(out, n, cap, " ");
    } else if (u < 88) {
        nm_gen_pick_surname(t, r, sur, sizeof sur);
        nm_gen_pick_surname(t, r, sur2, sizeof sur2);
        n = append_c(out, 0, cap, sur);
        n = append_c(out, n, cap, nm_rng_chance(r, 0.8) ? " & " : "/");
        n = append_c(out, n, cap, sur2);
        n = append_c(out, n, cap, " ");
    } else if (u < 94) {
        nm_gen_pick_given(t, r, 0, sur2, sizeof sur2);
        nm_gen_pick_surname(t, r, sur, sizeof sur);
        n = nm_gen_cat(out, 0, cap, sur2, 1);
        n = append_c(out, n, cap, " ");
        n = append_c(out, n, cap, sur);
        n = append_c(out, n, cap, " ");
    } else {
        nm_gen_str a = nm_gen_wpick_str(&t->org_adj, r);
        n = nm_gen_cat(out, 0, cap, city->name.s, city->name.len);
        n = append_c(out, n, cap, " ");
        n = nm_gen_cat(out, n, cap, a.s, a.len);
        n = append_c(out, n, cap, " ");
    }
    n = nm_gen_cat(out, n, cap, type.s, type.len);
    double legal_p = cls == c->cls_pubhealth ? 0.0 : cls == c->cls_hosp ? 0.4 : 0.65;
    if (nm_rng_chance(r, legal_p)) {
        static const nm_gen_lit SEP[] = {{", ", 45}, {" ", 50}, {",", 5}};
        nm_gen_str l = nm_gen_wpick_str(&t->org_legal, r);
        n = append_c(out, n, cap, nm_gen_pick_lit(r, SEP, NELEM(SEP)));
        n = nm_gen_cat(out, n, cap, l.s, l.len);
    }
    return n;
}

static void put_address(row *w, int base, const nm_gen_address *a, const char *phone, const char *fax) {
    puts_(w, base, a->line1);
    if (a->line2[0]) puts_(w, base + 1, a->line2);
    put_gs(w, base + 2, a->city->name);
    put(w, base + 3, a->city->state, 2);
    puts_(w, base + 4, a->zip);
    put(w, base + 5, "US", 2);
    if (phone && phone[0]) put(w, base + 6, phone, 10);
    if (fax && fax[0]) put(w, base + 7, fax, 10);
}

/* Other provider identifiers (Readme: type codes 01 other, 02 Medicare UPIN,
 * 04 Medicare ID unspecified, 05 Medicaid, 06 Medicare OSCAR, 07 Medicare
 * NSC, 08 Medicare PIN). Most date from before the NPI replaced them, so
 * NPIs enumerated in the first years carry many, later ones few. */
static void put_other_ids(const ctx *c, nm_rng *r, row *w, int32_t enum_day, const nm_gen_city *pc) {
    static const uint16_t EARLY[] = {42, 52, 90, 110, 55, 45, 27, 17, 8, 5, 12, 4, 2, 4, 3, 1, 2, 1, 3, 1, 1, 1, 1};
    uint32_t count = 0;
    if (enum_day < c->d_wave_end) {
        uint32_t total = 0, x;
        for (size_t i = 0; i < NELEM(EARLY); i++) total += EARLY[i];
        x = nm_rng_below(r, total);
        while (count + 1 < NELEM(EARLY) && x >= EARLY[count]) x -= EARLY[count++];
    } else if (nm_rng_chance(r, 0.15)) {
        count = 1 + nm_rng_below(r, 3);
    }
    static const nm_gen_lit TYPES[] = {{"01", 35}, {"02", 8}, {"04", 15}, {"05", 25}, {"06", 3}, {"07", 2}, {"08", 12}};
    for (uint32_t i = 0; i < count && i < 50; i++) {
        int col = C_OTHER_ID + 4 * (int)i;
        const char *type = nm_gen_pick_lit(r, TYPES, NELEM(TYPES));
        char id[24];
        size_t n;
        if (!strcmp(type, "02")) {   /* UPIN: a letter and five digits */
            id[0] = (char)('A' + nm_rng_below(r, 26));
            nm_gen_digits(id + 1, nm_rng_below(r, 100000), 5);
            n = 6;
        } else {
            n = 4 + nm_rng_below(r, 7);
            nm_gen_digits(id, nm_rng_below(r, 1000000000) + 1, (int)(n < 9 ? n : 9));
            if (n > 9) id[9] = (char)('0' + nm_rng_below(r, 10));
            if (nm_rng_chance(r, 0.15)) id[n - 1] = (char)('A' + nm_rng_below(r, 26));   /* "93420WI", "00706626A" */
        }
        put(w, col, id, n);
        put(w, col + 1, type, 2);
        uint32_t u = nm_rng_below(r, 100);
        if (u < 85) put(w, col + 2, pc->state, 2);
        else if (u < 95) put(w, col + 2, random_state_city(c, r)->state, 2);
        if (!strcmp(type, "01") ? nm_rng_chance(r, 0.6) : nm_rng_chance(r, 0.05))
            put_gs(w, col + 3, nm_gen_wpick_str(&c->t->id_issuer, r));
    }
}

/* Taxonomy/licence groups: 1 to 15, exactly one switch Y. Extra groups repeat
 * the code with a licence in another state, or add a related code. */
static uint32_t put_taxonomies(const ctx *c, nm_rng *r, row *w, uint32_t primary_tax, const nm_gen_city *pc,
                               int entity) {
    const nm_gen_tables *t = c->t;
    uint32_t u = nm_rng_below(r, 1000), k;
    if (u < 770) k = 1;
    else if (u < 950) k = 2;
    else if (u < 985) k = 3;
    else if (u < 995) k = 4;
    else k = 5 + (nm_rng_chance(r, 0.8) ? nm_rng_below(r, 4) : nm_rng_below(r, 11));
    uint32_t prim = (k == 1 || nm_rng_chance(r, 0.7)) ? 0 : nm_rng_below(r, k);
    const nm_gen_taxonomy *pt = &t->tax[primary_tax];
    for (uint32_t j = 0; j < k; j++) {
        int col = C_TAX + 4 * (int)j;
        const nm_gen_taxonomy *x = pt;
        const char *state = pc->state;
        if (j != prim) {
            uint32_t v = nm_rng_below(r, 100);
            if (v < 35) {
                state = random_state_city(c, r)->state;
            } else {
                const nm_gen_wtable *tw = v < 93 ? &t->classes[pt->cls].taxonomies : &t->tax_by_entity[entity];
                x = &t->tax[tw->ref[nm_gen_wpick(tw, r)]];
                if (nm_rng_chance(r, 0.2)) state = random_state_city(c, r)->state;
            }
        } else if (nm_rng_chance(r, 0.04)) {
            state = random_state_city(c, r)->state;
        }
        put(w, col, x->code, 10);
        double lic_p = entity == 1 ? 0.91 : 0.5;
        if (nm_rng_chance(r, lic_p)) {
            char lic[24];
            size_t n = licence(r, state, (int)x->cls == c->cls_rn, lic);
            put(w, col + 1, lic, n);
            put(w, col + 2, state, 2);
        } else if (nm_rng_chance(r, 0.3)) {
            put(w, col + 2, state, 2);
        }
        put(w, col + 3, j == prim ? "Y" : "N", 1);
    }
    return k;
}

/* ---- one row ---------------------------------------------------------------- */
static void make_row(const ctx *c, uint64_t idx, row *w) {
    const nm_gen_tables *t = c->t;
    nm_rng rr, *r = &rr;
    nm_rng_seed(r, c->o->seed, idx);
    char npi[11], date[11];
    nm_gen_npi(c->o->seed, idx, npi);
    put(w, C_NPI, npi, 10);

    int32_t enum_day = enumeration_day(c, r);
    if (nm_rng_below(r, 1000000) < c->deact_pm) {
        /* Deactivated: NPPES keeps only the NPI and the deactivation date. */
        nm_gen_date_str(nm_rng_range(r, enum_day, c->d_asof), date);
        put(w, C_DEACT_DATE, date, 10);
        row_end(w);
        return;
    }
    int entity = nm_rng_chance(r, 0.8) ? 1 : 2;
    const nm_gen_wtable *tw = &t->tax_by_entity[entity];
    uint32_t tax = tw->ref[nm_gen_wpick(tw, r)];
    int cls = t->tax[tax].cls;

    /* Practice location and mailing address. */
    const nm_gen_city *pc = nm_gen_pick_city(t, r);
    nm_gen_address pa, ma;
    nm_gen_address_make(t, r, pc, &pa);
    char pphone[11] = "", pfax[11] = "", mphone[11] = "", mfax[11] = "";
    if (nm_rng_chance(r, 0.995)) nm_gen_phone(r, pc, pphone);
    if (pphone[0] && nm_rng_chance(r, entity == 1 ? 0.86 : 0.8)) nm_gen_fax_near(r, pphone, pfax);
    uint32_t mu = nm_rng_below(r, 100);
    if (mu < 62) {
        ma = pa;
        memcpy(mphone, pphone, 11);
        memcpy(mfax, pfax, 11);
    } else {
        if (mu < 80) nm_gen_po_box_make(r, pc, &ma);
        else nm_gen_address_make(t, r, mu < 92 ? pc : nm_gen_pick_city_in_state(t, r, pc), &ma);
        if (nm_rng_chance(r, 0.6)) memcpy(mphone, pphone, 11);
        else if (nm_rng_chance(r, 0.9)) nm_gen_phone(r, ma.city, mphone);
        if (mphone[0] && nm_rng_chance(r, 0.75)) nm_gen_fax_near(r, mphone, mfax);
    }

    put(w, C_ENTITY, entity == 1 ? "1" : "2", 1);
    nm_gen_person p = {0}, ao = {0};
    const char *cred = NULL;
    size_t cred_len = 0;
    if (entity == 1) {
        char sex = nm_rng_below(r, 100) < t->tax[tax].female_pct ? 'F' : 'M';
        nm_gen_person_make(t, r, sex, &p);
        if (c->is_doctor[cls] && nm_rng_chance(r, 0.55)) {
            nm_gen_str s = nm_gen_wpick_str(&t->prefix_dr, r);
            memcpy(p.prefix, s.s, s.len);
            p.prefix[s.len] = 0;
        }
        if (t->classes[cls].credentials.n && nm_rng_chance(r, 0.8)) {
            nm_gen_str s = nm_gen_wpick_str(&t->classes[cls].credentials, r);
            cred = s.s;
            cred_len = s.len;
        }
        puts_(w, C_LAST, p.last);
        puts_(w, C_FIRST, p.first);
        if (p.middle[0]) puts_(w, C_MIDDLE, p.middle);
        if (p.prefix[0]) puts_(w, C_PREFIX, p.prefix);
        if (p.suffix[0]) puts_(w, C_SUFFIX, p.suffix);
        if (cred) put(w, C_CRED, cred, cred_len);
        /* Other name (former/maiden name, professional name): type codes 1, 2, 5. */
        if (nm_rng_chance(r, 0.04)) {
            char other[48];
            const char *type;
            if (p.sex == 'F' && nm_rng_chance(r, 0.8)) {
                nm_gen_pick_surname(t, r, other, sizeof other);
                type = "1";
            } else {
                memcpy(other, p.last, sizeof other);
                type = nm_rng_chance(r, 0.5) ? "2" : "5";
            }
            puts_(w, C_OTHER_LAST, other);
            puts_(w, C_OTHER_FIRST, p.first);
            if (p.middle[0] && nm_rng_chance(r, 0.7)) puts_(w, C_OTHER_MIDDLE, p.middle);
            if (p.prefix[0] && nm_rng_chance(r, 0.5)) puts_(w, C_OTHER_PREFIX, p.prefix);
            if (cred && nm_rng_chance(r, 0.8)) put(w, C_OTHER_CRED, cred, cred_len);
            puts_(w, C_OTHER_LAST_TYPE, type);
        }
    } else {
        char lbn[112];
        put(w, C_EIN, "<UNAVAIL>", 9);   /* EINs are suppressed in the public file */
        size_t n = org_name(c, r, cls, pc, lbn, 101);
        put(w, C_LBN, lbn, n);
        if (nm_rng_chance(r, 0.12)) {
            char other[112];
            static const nm_gen_lit OTYPE[] = {{"3", 80}, {"4", 10}, {"5", 10}};   /* DBA, former LBN, other */
            n = org_name(c, r, cls, pc, other, 101);
            put(w, C_OTHER_ORG, other, n);
            puts_(w, C_OTHER_ORG_TYPE, nm_gen_pick_lit(r, OTYPE, NELEM(OTYPE)));
        }
    }
    put_address(w, C_MAIL, &ma, mphone, mfax);
    put_address(w, C_PRACTICE, &pa, pphone, pfax);

    /* Dates: last update on or after enumeration, skewed to recent years. */
    int32_t lu = nm_rng_chance(r, 0.12) ? enum_day : enum_day + (int32_t)((c->d_asof - enum_day) * __builtin_sqrt(nm_rng_unit(r)));
    int32_t deact = 0, react = 0;
    if (lu - enum_day > 10 && nm_rng_chance(r, 0.005)) {   /* reactivated after a deactivation */
        deact = nm_rng_range(r, enum_day + 1, lu - 5);
        react = deact + 1 + (int32_t)nm_rng_below(r, 60);
        if (react > lu) react = lu;
    }
    nm_gen_date_str(enum_day, date);
    put(w, C_ENUM, date, 10);
    nm_gen_date_str(lu, date);
    put(w, C_LAST_UPDATE, date, 10);
    if (deact) {
        nm_gen_date_str(deact, date);
        put(w, C_DEACT_DATE, date, 10);
        nm_gen_date_str(react, date);
        put(w, C_REACT_DATE, date, 10);
    }
    if (entity == 1) {
        put(w, C_SEX, &p.sex, 1);
    } else {
        nm_gen_person_make(t, r, nm_rng_chance(r, 0.45) ? 'F' : 'M', &ao);
        puts_(w, C_AO_LAST, ao.last);
        puts_(w, C_AO_FIRST, ao.first);
        if (ao.middle[0]) puts_(w, C_AO_MIDDLE, ao.middle);
        put_gs(w, C_AO_TITLE, nm_gen_wpick_str(&t->ao_title, r));
        char aphone[11];
        if (pphone[0] && nm_rng_chance(r, 0.6)) memcpy(aphone, pphone, 11);
        else nm_gen_phone(r, pc, aphone);
        put(w, C_AO_PHONE, aphone, 10);
    }

    const char *group_label = NULL;
    if (entity == 2 && cls == c->cls_group && nm_rng_chance(r, 0.65)) {
        static const nm_gen_lit GROUP[] = {{"193400000X SINGLE SPECIALTY  GROUP", 45},   /* double space as in the file */
                                     {"193200000X MULTI-SPECIALTY GROUP", 40},
                                     {"193400000X MULTIPLE SINGLE SPECIALTY GROUP", 15}};
        group_label = nm_gen_pick_lit(r, GROUP, NELEM(GROUP));
    }
    uint32_t ntax = put_taxonomies(c, r, w, tax, pc, entity);
    put_other_ids(c, r, w, enum_day, pc);

    if (entity == 1) {
        static const nm_gen_lit SOLE[] = {{"N", 77}, {"Y", 14}, {"X", 9}};
        puts_(w, C_SOLE_PROP, nm_gen_pick_lit(r, SOLE, NELEM(SOLE)));
    } else {
        if (nm_rng_chance(r, 0.08)) {
            char parent[112];
            int pcls = c->cls_hosp >= 0 && nm_rng_chance(r, 0.6) ? c->cls_hosp : cls;
            size_t n = org_name(c, r, pcls, pc, parent, 101);
            put(w, C_SUBPART, "Y", 1);
            put(w, C_PARENT_LBN, parent, n);
            put(w, C_PARENT_TIN, "<UNAVAIL>", 9);
        } else {
            put(w, C_SUBPART, "N", 1);
        }
        static const nm_gen_lit AOPFX_M[] = {{"MR.", 28}, {"DR.", 10}};
        static const nm_gen_lit AOPFX_F[] = {{"MRS.", 10}, {"MS.", 11}, {"DR.", 5}, {"MISS", 1}};
        if (nm_rng_chance(r, 0.35))
            puts_(w, C_AO_PREFIX, ao.sex == 'M' ? nm_gen_pick_lit(r, AOPFX_M, NELEM(AOPFX_M))
                                                : nm_gen_pick_lit(r, AOPFX_F, NELEM(AOPFX_F)));
        if (ao.suffix[0]) puts_(w, C_AO_SUFFIX, ao.suffix);
        if (nm_rng_chance(r, 0.09)) {
            int ccls = nm_rng_chance(r, 0.6) ? c->cls_phys : nm_rng_chance(r, 0.5) ? c->cls_rn : c->cls_pharm;
            if (ccls >= 0 && t->classes[ccls].credentials.n)
                put_gs(w, C_AO_CRED, nm_gen_wpick_str(&t->classes[ccls].credentials, r));
        }
    }
    if (group_label)
        for (uint32_t j = 0; j < ntax; j++) puts_(w, C_TAX_GROUP + (int)j, group_label);
    if (w->ncols > C_CERT_DATE && lu >= c->d_cert_start && nm_rng_chance(r, 0.3)) {
        int32_t lo = enum_day > c->d_cert_start ? enum_day : c->d_cert_start;
        nm_gen_date_str(nm_rng_range(r, lo, lu), date);
        put(w, C_CERT_DATE, date, 10);
    }
    row_end(w);
}

long nm_gen_nppes_rows(const nm_gen_tables *t, const nm_gen_nppes_opts *o, uint64_t first, uint64_t count,
                       nm_buf *dst) {
    ctx c;
    ctx_init(&c, t, o);
    size_t start = dst->len;
    int ncols = o->layout == 329 ? 329 : 330;
    for (uint64_t i = 0; i < count; i++) {
        if (nm_buf_reserve(dst, ROW_MAX)) return NM_E_NOMEM;
        row w = {dst->data + dst->len, 0, ncols};
        make_row(&c, first + i, &w);
        dst->len = (size_t)(w.p - dst->data);
    }
    return (long)(dst->len - start);
}

int nm_gen_nppes(const nm_gen_nppes_opts *o, nm_err *err) {
    if (o->rows > NM_GEN_NPI_SPACE) return nm_err_set(err, NM_E_ARG, "gen nppes: at most %u rows", NM_GEN_NPI_SPACE);
    if (o->layout != 329 && o->layout != 330) return nm_err_set(err, NM_E_ARG, "gen nppes: layout must be 330 or 329");
    if (!(o->deactivated >= 0 && o->deactivated <= 1))
        return nm_err_set(err, NM_E_ARG, "gen nppes: deactivated fraction must be in [0, 1]");
    const nm_gen_tables *t;
    NM_TRY(nm_gen_tables_load(&t, err));
    int group = find_class(t, "GROUP");
    if (group < 0 || !t->classes[group].org_types.n)
        return nm_err_set(err, NM_E_FORMAT, "gen nppes: org_words.csv has no type:GROUP words");
    size_t hlen;
    const char *header = nm_data_get(o->layout == 329 ? "nppes_header_329.csv" : "nppes_header_330.csv", &hlen);
    if (!header) return nm_err_set(err, NM_E_NOTFOUND, "gen nppes: header table not embedded");

    nm_writer *wr;
    NM_TRY(nm_writer_open(o->out, 0, &wr, err));
    int rc = nm_writer_write(wr, header, hlen, err);
    uint64_t nchunks = (o->rows + CHUNK_ROWS - 1) / CHUNK_ROWS;
    int nthreads = o->threads > 0 ? o->threads : omp_get_max_threads();
    nm_buf *bufs = calloc((size_t)nthreads, sizeof *bufs);
    if (!bufs) rc = nm_err_set(err, NM_E_NOMEM, "gen nppes: out of memory");
    int failed = rc != NM_OK;
    nm_err werr = {0};
    /* Chunks are made in parallel and written in chunk order (ordered
     * clause), so a thread formats the next chunk while another writes. */
#pragma omp parallel for ordered schedule(dynamic, 1) num_threads(nthreads)
    for (uint64_t ch = 0; ch < nchunks; ch++) {
        nm_buf *b = &bufs[omp_get_thread_num()];
        int ok;
#pragma omp atomic read
        ok = failed;
        ok = !ok;
        uint64_t first = ch * CHUNK_ROWS, count = NM_MIN((uint64_t)CHUNK_ROWS, o->rows - first);
        b->len = 0;
        if (ok && nm_gen_nppes_rows(t, o, first, count, b) < 0) {
#pragma omp atomic write
            failed = 1;
            ok = 0;
        }
#pragma omp ordered
        {
            int f;
#pragma omp atomic read
            f = failed;
            if (ok && !f && nm_writer_write(wr, b->data, b->len, &werr) < 0) {
#pragma omp atomic write
                failed = 2;
            }
        }
    }
    if (bufs)
        for (int i = 0; i < nthreads; i++) nm_buf_free(&bufs[i]);
    free(bufs);
    if (rc == NM_OK && failed == 1) rc = nm_err_set(err, NM_E_NOMEM, "gen nppes: out of memory");
    if (rc == NM_OK && failed == 2) {
        if (err) *err = werr;
        rc = werr.code ? werr.code : NM_E_IO;
    }
    if (rc) {
        nm_writer_abort(wr);
        return rc;
    }
    return nm_writer_commit(wr, err);
}
