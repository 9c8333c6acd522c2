/* gen patients: nightly patient feeds from K sources over T nights, with the
 * person truth of every record.
 *
 * Population: households drawn one after another; 3% are twins (same birth
 * date, address, phone and last name, different first names), 3% Jr/Sr
 * pairs at one address (same names, birth dates 20-40 years apart, the
 * father's SR often left out), 4% people with one of five very common names
 * (JOHN SMITH, MARIA GARCIA ...), the rest single people. Each person has
 * 1-5 records (50/30/13/5/2%), each in a source drawn uniformly, so
 * duplicates arise within and across sources. Life events on later nights:
 * moves (12% of persons: new address, usually a new phone), new phone
 * numbers (5%), marriages (10% of women: new last name).
 *
 * Nights: a record arrives on night 1 (50%) or a later night; 15% are sent
 * again on a later night (an update, reflecting life events and re-typed),
 * 3% are deleted on a later night. Record ids are numbered per source in
 * arrival order. Rows of a night are shuffled.
 *
 * The whole plan is drawn from one stream; a record's values on a night are
 * drawn from (seed, record, version) and its household from (seed,
 * household), so a night's rows are formatted in parallel chunks and the
 * output depends on the seed only, never on the thread count. Persons are
 * not stored: each row re-makes its household (a few bytes per person). */
#include <errno.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "common/arena.h"
#include "common/error_internal.h"
#include "common/io.h"
#include "gen/errors.h"
#include "gen/gen.h"
#include "gen/labelled.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))
#define K_PLAN 0x50415450ull
#define K_PERSON 0x50455253ull
#define K_REC 0x50524543ull


typedef struct paddr {
    char line1[128], line2[64], city[48], state[4], zip[12];
} paddr;

typedef struct person {
    char first[48], middle[48], last[48], suffix[8], married[48], email[80];
    char sex;
    int32_t dob;               /* days since 1970 */
    paddr home, moved;
    char phone[11], new_phone[11];
    uint8_t move_night, phone_night, marry_night;   /* 0 = never */
} person;

typedef struct prec {
    uint32_t person;
    uint16_t source;
    uint8_t arrive, update, del;   /* nights (0 = none) */
    uint32_t id;                   /* per-source number, by arrival */
    uint64_t order;                /* random key: arrival order within a night */
} prec;

/* A person as the plan keeps it: household stream, kind, member. */
typedef struct pref {
    uint32_t stream;          /* seeds the household's persons */
    uint8_t kind, common, member;
} pref;

typedef struct pctx {
    const nm_gen_patients_opts *o;
    const nm_gen_tables *t;
    pref *persons;
    size_t npersons;
    prec *recs;
    size_t nrecs;
    nm_gen_counts *k;
} pctx;


static void addr_make(const nm_gen_tables *t, nm_rng *r, const nm_gen_city *city, paddr *a) {
    nm_gen_address ga;
    /* Homes: mostly street addresses, apartments as line 2 for some. */
    nm_gen_address_make(t, r, city, &ga);
    nm_gen_copy(a->line1, sizeof a->line1, ga.line1);
    nm_gen_copy(a->line2, sizeof a->line2, ga.line2);
    if (a->line2[0] && !strncmp(a->line2, "STE", 3)) memcpy(a->line2, "APT", 3);
    nm_gen_copy(a->city, sizeof a->city, "");
    size_t n = NM_MIN((size_t)city->name.len, sizeof a->city - 1);
    memcpy(a->city, city->name.s, n);
    a->city[n] = 0;
    nm_gen_copy(a->state, sizeof a->state, city->state);
    nm_gen_copy(a->zip, sizeof a->zip, ga.zip);
}

static void email_make(nm_rng *r, const person *p, char *out, size_t cap) {
    static const nm_gen_lit DOMAINS[] = {{"GMAIL.COM", 45}, {"YAHOO.COM", 15}, {"HOTMAIL.COM", 8}, {"OUTLOOK.COM", 8},
                                         {"AOL.COM", 4}, {"ICLOUD.COM", 8}, {"COMCAST.NET", 4}, {"ATT.NET", 3}};
    char local[128], first[48], last[48];
    size_t i = 0, j = 0;
    for (const char *s = p->first; *s && i < 20; s++) if (*s >= 'A' && *s <= 'Z') first[i++] = *s;
    first[i] = 0;
    for (const char *s = p->last; *s && j < 20; s++) if (*s >= 'A' && *s <= 'Z') last[j++] = *s;
    last[j] = 0;
    uint32_t u = nm_rng_below(r, 4);
    if (u == 0) snprintf(local, sizeof local, "%s.%s", first, last);
    else if (u == 1) snprintf(local, sizeof local, "%c%s%u", first[0] ? first[0] : 'X', last, nm_rng_below(r, 100));
    else if (u == 2) snprintf(local, sizeof local, "%s%s", first, last);
    else snprintf(local, sizeof local, "%s_%s%u", first, last, 1950 + nm_rng_below(r, 60));
    snprintf(out, cap, "%.60s@%s", local, nm_gen_pick_lit(r, DOMAINS, NELEM(DOMAINS)));
}

/* Night of a later event (2..T), or 0 when there is only one night. */
static uint8_t later_night(nm_rng *r, int nights) { return nights < 2 ? 0 : (uint8_t)nm_rng_range(r, 2, nights); }

static void person_make(const pctx *c, nm_rng *r, char sex, person *p) {
    nm_gen_person gp;
    nm_gen_person_make(c->t, r, sex, &gp);
    memset(p, 0, sizeof *p);
    nm_gen_copy(p->first, sizeof p->first, gp.first);
    nm_gen_copy(p->middle, sizeof p->middle, gp.middle);
    nm_gen_copy(p->last, sizeof p->last, gp.last);
    nm_gen_copy(p->suffix, sizeof p->suffix, gp.suffix);
    p->sex = gp.sex;
    p->dob = nm_gen_days(1930, 1, 1) + (int32_t)nm_rng_below(r, 92 * 365);
    const nm_gen_city *city = nm_gen_pick_city(c->t, r);
    addr_make(c->t, r, city, &p->home);
    nm_gen_phone(r, city, p->phone);
    /* Life events, on later nights. */
    int nights = c->o->nights;
    if (nm_rng_chance(r, 0.12)) {
        const nm_gen_city *to = nm_rng_chance(r, 0.7) ? nm_gen_pick_city_in_state(c->t, r, city) : nm_gen_pick_city(c->t, r);
        addr_make(c->t, r, to, &p->moved);
        p->move_night = later_night(r, nights);
        if (nm_rng_chance(r, 0.7)) {
            nm_gen_phone(r, to, p->new_phone);
            p->phone_night = p->move_night;
        }
    } else if (nm_rng_chance(r, 0.05)) {
        nm_gen_phone(r, city, p->new_phone);
        p->phone_night = later_night(r, nights);
    }
    if (p->sex == 'F' && nm_rng_chance(r, 0.10)) {
        nm_gen_pick_surname(c->t, r, p->married, sizeof p->married);
        p->marry_night = later_night(r, nights);
    }
}

typedef struct keyidx {
    uint64_t key;
    uint32_t i;
} keyidx;
static int cmp_keyidx(const void *a, const void *b) {
    const keyidx *x = a, *y = b;
    if (x->key != y->key) return x->key < y->key ? -1 : 1;
    return (x->i > y->i) - (x->i < y->i);
}

/* ---- plan: households, persons, records -------------------------------------------- */
enum { HH_SINGLE, HH_TWINS, HH_JRSR, HH_COMMON };
static const char *const COMMON[][3] = {{"JOHN", "SMITH", "M"}, {"MARIA", "GARCIA", "F"}, {"MICHAEL", "JOHNSON", "M"},
                                       {"JAMES", "WILLIAMS", "M"}, {"MARY", "SMITH", "F"}};

/* The persons of a household, made from its own stream: persons are not
 * stored, each row re-makes its household (1 or 2 persons), so memory stays
 * a few bytes per person. */
static void household_make(const pctx *c, const pref *h, person out[2]) {
    nm_rng pr;
    nm_rng_seed(&pr, c->o->seed ^ K_PERSON, h->stream);
    person *a = &out[0], *b = &out[1];
    int n = 1;
    if (h->kind == HH_TWINS) {
        person_make(c, &pr, 0, a);
        person_make(c, &pr, nm_rng_chance(&pr, 0.5) ? a->sex : 0, b);
        nm_gen_copy(b->last, sizeof b->last, a->last);
        b->dob = a->dob;
        b->home = a->home;
        memcpy(b->phone, a->phone, sizeof b->phone);
        b->move_night = 0, b->phone_night = 0;
        b->suffix[0] = a->suffix[0] = 0;
        for (int tries = 0; tries < 20 && !strcmp(a->first, b->first); tries++)
            nm_gen_pick_given(c->t, &pr, b->sex, b->first, sizeof b->first);
        if (!strcmp(a->first, b->first)) nm_gen_copy(b->first, sizeof b->first, b->sex == 'F' ? "EMMA" : "NOAH");
        n = 2;
    } else if (h->kind == HH_JRSR) {
        person_make(c, &pr, 'M', a);
        *b = *a;
        a->dob = nm_gen_days(1935, 1, 1) + (int32_t)nm_rng_below(&pr, 50 * 365);
        b->dob = a->dob + (int32_t)nm_rng_range(&pr, 20 * 365, 40 * 365);
        nm_gen_copy(a->suffix, sizeof a->suffix, nm_rng_chance(&pr, 0.5) ? "SR" : "");
        nm_gen_copy(b->suffix, sizeof b->suffix, "JR");
        b->move_night = 0, b->phone_night = 0;
        if (nm_rng_chance(&pr, 0.5)) nm_gen_phone(&pr, nm_gen_pick_city(c->t, &pr), b->phone);   /* own mobile */
        n = 2;
    } else if (h->kind == HH_COMMON) {
        const char *const *cn = COMMON[h->common];
        person_make(c, &pr, cn[2][0], a);
        nm_gen_copy(a->first, sizeof a->first, cn[0]);
        nm_gen_copy(a->last, sizeof a->last, cn[1]);
    } else {
        person_make(c, &pr, 0, a);
    }
    for (int i = 0; i < n; i++) email_make(&pr, &out[i], out[i].email, sizeof out[i].email);
}

/* ---- plan: households, persons, records -------------------------------------------- */
static int plan(pctx *c, nm_err *err) {
    const nm_gen_patients_opts *o = c->o;
    size_t cap_p = o->rows + 16;
    c->persons = calloc(cap_p, sizeof *c->persons);
    c->recs = calloc(o->rows + 1, sizeof *c->recs);
    if (!c->persons || !c->recs) return nm_err_set(err, NM_E_NOMEM, "gen patients: out of memory");
    nm_rng r;
    nm_rng_seed(&r, o->seed ^ K_PLAN, 0);
    static const uint16_t NREC[] = {500, 300, 130, 50, 20};   /* records per person, per mille */
    size_t np = 0, nr = 0;
    while (nr < o->rows) {
        uint32_t u = nm_rng_below(&r, 100);
        size_t first = np;
        pref h = {(uint32_t)np, HH_SINGLE, 0, 0};
        if (u < 3) h.kind = HH_TWINS;
        else if (u < 6) h.kind = HH_JRSR;
        else if (u < 10) h.kind = HH_COMMON, h.common = (uint8_t)nm_rng_below(&r, NELEM(COMMON));
        int members = h.kind == HH_TWINS || h.kind == HH_JRSR ? 2 : 1;
        for (int m = 0; m < members && np < cap_p; m++, np++) {
            c->persons[np] = h;
            c->persons[np].member = (uint8_t)m;
        }
        for (size_t pi = first; pi < np; pi++) {
            uint32_t v = nm_rng_below(&r, 1000), n = 1;
            for (size_t d = 0; d < NELEM(NREC) && v >= NREC[d]; d++) v -= NREC[d], n++;
            for (uint32_t k = 0; k < n && nr < o->rows; k++) {
                prec *x = &c->recs[nr++];
                x->person = (uint32_t)pi;
                x->source = (uint16_t)nm_rng_below(&r, (uint32_t)o->sources);
                x->arrive = (uint8_t)(o->nights < 2 || nm_rng_chance(&r, 0.5) ? 1 : nm_rng_range(&r, 2, o->nights));
                if (x->arrive < o->nights && nm_rng_chance(&r, 0.15))
                    x->update = (uint8_t)nm_rng_range(&r, x->arrive + 1, o->nights);
                uint8_t after = x->update ? x->update : x->arrive;
                if (after < o->nights && nm_rng_chance(&r, 0.03)) x->del = (uint8_t)nm_rng_range(&r, after + 1, o->nights);
                x->order = nm_rng_next(&r);
                if (c->k) c->k->dup_records += k > 0;
            }
        }
    }
    c->npersons = np;
    c->nrecs = nr;
    /* Record ids per source in arrival order (night, then the random key). */
    uint32_t *next = calloc((size_t)o->sources, sizeof *next);
    keyidx *ki = malloc((nr + 1) * sizeof *ki);
    if (!next || !ki) {
        free(next), free(ki);
        return nm_err_set(err, NM_E_NOMEM, "gen patients: out of memory");
    }
    for (size_t i = 0; i < nr; i++) ki[i] = (keyidx){(uint64_t)c->recs[i].arrive << 56 | c->recs[i].order >> 8, (uint32_t)i};
    qsort(ki, nr, sizeof *ki, cmp_keyidx);
    for (size_t i = 0; i < nr; i++) c->recs[ki[i].i].id = ++next[c->recs[ki[i].i].source];
    free(next), free(ki);
    return 0;
}

/* Draw and count an error of the table (rate from labelled.h); needs `k` and `r` in scope. */
#define ROLL(kind) nm_gen_roll(k, r, NM_PAT_##kind, nm_gen_patients_error_rate(NM_PAT_##kind))

/* ---- one row ------------------------------------------------------------------------------ */

static int valid_ymd(int y, int m, int d) {
    static const int DAYS[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (y < 1900 || y > 2026 || m < 1 || m > 12 || d < 1) return 0;
    int dm = DAYS[m - 1] + (m == 2 && ((y % 4 == 0 && y % 100) || y % 400 == 0));
    return d <= dm;
}


static int write_row(const pctx *c, size_t ri, int night, int version, nm_buf *out, nm_gen_counts *k) {
    const prec *x = &c->recs[ri];
    person hh[2];
    household_make(c, &c->persons[x->person], hh);
    const person *p = &hh[c->persons[x->person].member];
    nm_rng rr, *r = &rr;
    nm_rng_seed(r, c->o->seed ^ K_REC, (uint64_t)ri * 4 + (uint64_t)version);
    char first[64], middle[48], last[96], suffix[8], dob[48], sex[2] = {0, 0}, zip[12], phone[24] = "", email[80] = "";
    paddr a = p->move_night && night >= p->move_night ? p->moved : p->home;
    nm_gen_copy(first, sizeof first, p->first);
    nm_gen_copy(middle, sizeof middle, p->middle);
    nm_gen_copy(last, sizeof last, p->last);
    suffix[0] = 0;
    if (p->marry_night && night >= p->marry_night && ROLL(MARRIED)) nm_gen_copy(last, sizeof last, p->married);
    if ((strchr(last, '-') || strchr(last, ' ')) && ROLL(HYPHEN)) nm_generr_hyphenation(r, last, sizeof last);
    if (nm_generr_has_nickname(first) && ROLL(NICKNAME)) nm_generr_nickname(r, first, sizeof first);
    if (ROLL(TYPO_FIRST)) nm_generr_typo(r, first, sizeof first);
    if (ROLL(TYPO_LAST)) nm_generr_typo(r, last, sizeof last);
    if (middle[0] && ROLL(MIDDLE_MISSING)) middle[0] = 0;
    else if (strlen(middle) > 1 && ROLL(MIDDLE_INITIAL)) middle[1] = 0;
    if (p->suffix[0]) {
        if (ROLL(SUFFIX_IN_NAME)) {
            size_t n = strlen(last);
            nm_gen_cat(last, nm_gen_cat(last, n, sizeof last, " ", 1), sizeof last, p->suffix, strlen(p->suffix));
        } else if (!ROLL(SUFFIX_MISSING)) {
            nm_gen_copy(suffix, sizeof suffix, p->suffix);
        }
    }
    if (ROLL(SWAP)) {
        char t[64];
        nm_gen_copy(t, sizeof t, first);
        nm_gen_copy(first, sizeof first, last);
        nm_gen_copy(last, sizeof last, t);
    }
    /* Birth date: digits as typed, then the written form. */
    char ds[11];
    nm_gen_date_str(p->dob, ds);   /* MM/DD/YYYY */
    int m = (ds[0] - '0') * 10 + ds[1] - '0', d = (ds[3] - '0') * 10 + ds[4] - '0', y = atoi(ds + 6);
    if (ROLL(DOB_TYPO)) {
        for (int tries = 0; tries < 16; tries++) {
            char dg[40];
            snprintf(dg, sizeof dg, "%04d%02d%02d", y, m, d);
            nm_generr_wrong_digit(r, dg, 8);
            int y2 = (dg[0] - '0') * 1000 + (dg[1] - '0') * 100 + (dg[2] - '0') * 10 + dg[3] - '0';
            int m2 = (dg[4] - '0') * 10 + dg[5] - '0', d2 = (dg[6] - '0') * 10 + dg[7] - '0';
            if (valid_ymd(y2, m2, d2)) { y = y2, m = m2, d = d2; break; }
        }
    }
    if (d <= 12 && d != m && ROLL(DOB_SWAP)) {
        int t = d;
        d = m, m = t;
    }
    if (ROLL(DOB_MDY)) snprintf(dob, sizeof dob, "%02d/%02d/%04d", m, d, y);
    else snprintf(dob, sizeof dob, "%04d-%02d-%02d", y, m, d);
    if (ROLL(DOB_MISSING)) dob[0] = 0;
    if (!ROLL(SEX_MISSING)) sex[0] = p->sex;
    if (ROLL(ADDR_MISSING)) a.line1[0] = a.line2[0] = 0;
    if (a.line2[0] && ROLL(ADDR_JOIN)) nm_generr_join_lines(a.line1, sizeof a.line1, a.line2);
    char probe[128];
    nm_gen_copy(probe, sizeof probe, a.line1);
    if (nm_generr_address_words(r, probe, sizeof probe) && ROLL(ADDR_WORDS)) nm_gen_copy(a.line1, sizeof a.line1, probe);
    size_t zl = strlen(a.zip);
    if (zl == 9 && a.zip[0] != '0' && ROLL(ZIP5)) snprintf(zip, sizeof zip, "%.5s", a.zip);
    else if (zl == 9 && a.zip[0] != '0') snprintf(zip, sizeof zip, nm_rng_chance(r, 0.6) ? "%.5s-%.4s" : "%.5s%.4s", a.zip, a.zip + 5);
    else { char z[11]; nm_generr_zip_form(r, a.zip, z); nm_gen_copy(zip, sizeof zip, z); }
    const char *ph = p->phone_night && night >= p->phone_night ? p->new_phone : p->phone;
    if (!ROLL(PHONE_MISSING)) nm_generr_phone_form(r, ph, phone);
    if (ROLL(EMAIL_PRESENT)) nm_gen_copy(email, sizeof email, p->email);
    int mode = ROLL(CASE_TITLE) ? NM_CASE_TITLE : ROLL(CASE_LOWER) ? NM_CASE_LOWER : NM_CASE_UPPER;
    char *fields[] = {first, middle, last, suffix, a.line1, a.line2, a.city, email};
    /* E-mail addresses are typed in lower case mostly, whatever the rest. */
    int email_mode = mode == NM_CASE_UPPER && nm_rng_chance(r, 0.2) ? NM_CASE_UPPER : NM_CASE_LOWER;
    for (size_t i = 0; i < NELEM(fields); i++) nm_generr_apply_case(fields[i], i == 7 ? email_mode : mode);
    char src[16], id[16];
    snprintf(src, sizeof src, "SRC%d", x->source + 1);
    snprintf(id, sizeof id, "R%07u", x->id);
    const char *v[] = {src, id, first, middle, last, suffix, dob, sex, a.line1, a.line2, a.city, a.state, zip, phone, email};
    for (size_t i = 0; i < NELEM(v); i++) NM_TRY(nm_gen_csv_field(out, v[i], i + 1 == NELEM(v)));
    k->records++;
    return 0;
}

/* ---- output ------------------------------------------------------------------------------- */


/* Rows of one night, formatted in parallel chunks and joined in order: each
 * row depends only on (record, night, version), so the bytes do not depend
 * on the thread count. */
#define CHUNK 4096
static int format_night(pctx *c, const keyidx *em, size_t m, int night, nm_buf *out) {
    size_t nch = (m + CHUNK - 1) / CHUNK;
    nm_buf *bufs = calloc(nch + 1, sizeof *bufs);
    nm_gen_counts *cnt = calloc(nch + 1, sizeof *cnt);
    int rc = bufs && cnt ? 0 : NM_E_NOMEM, nthreads = c->o->threads > 0 ? c->o->threads : omp_get_max_threads();
#pragma omp parallel for schedule(dynamic, 1) num_threads(nthreads) if (!rc)
    for (size_t ch = 0; ch < nch; ch++) {
        int bad = 0;
        for (size_t i = ch * CHUNK; i < NM_MIN(m, (ch + 1) * CHUNK) && !bad; i++)
            bad = write_row(c, em[i].i / 2, night, (int)(em[i].i & 1), &bufs[ch], &cnt[ch]) < 0;
        if (bad) {
#pragma omp atomic write
            rc = NM_E_NOMEM;
        }
    }
    for (size_t ch = 0; ch < nch && !rc; ch++) {
        rc = nm_buf_append(out, bufs[ch].data, bufs[ch].len);
        for (int k = 0; k < NM_PAT_NKINDS; k++) {
            c->k->eligible[k] += cnt[ch].eligible[k];
            c->k->applied[k] += cnt[ch].applied[k];
        }
        c->k->records += cnt[ch].records;
    }
    for (size_t ch = 0; bufs && ch < nch; ch++) nm_buf_free(&bufs[ch]);
    free(bufs), free(cnt);
    return rc;
}

static const char PAT_HEADER[] = "source,record_id,first_name,middle_name,last_name,suffix,birth_date,sex,"
                                 "address_line1,address_line2,city,state,postal_code,phone,email\n";

int nm_gen_patients(const nm_gen_patients_opts *o, nm_err *err) {
    if (o->sources < 1 || o->sources > 99 || o->nights < 1 || o->nights > 99)
        return nm_err_set(err, NM_E_ARG, "gen patients: sources and nights must be 1 to 99");
    if (o->rows >= UINT32_MAX) return nm_err_set(err, NM_E_ARG, "gen patients: too many rows");
    if (!o->dir) return nm_err_set(err, NM_E_ARG, "gen patients: no output directory");
    if (mkdir(o->dir, 0777) && errno != EEXIST) return nm_err_set(err, NM_E_IO, "%s: %s", o->dir, strerror(errno));
    pctx c;
    memset(&c, 0, sizeof c);
    c.o = o;
    nm_gen_counts local;
    memset(&local, 0, sizeof local);
    c.k = &local;
    NM_TRY(nm_gen_tables_load(&c.t, err));
    int rc = plan(&c, err);
    keyidx *em = rc ? NULL : malloc((c.nrecs + 1) * sizeof *em);
    if (!rc && !em) rc = nm_err_set(err, NM_E_NOMEM, "gen patients: out of memory");
    nm_buf b = {0}, del = {0};
    char path[4096];
    for (int night = 1; !rc && night <= o->nights; night++) {
        size_t m = 0;
        for (size_t i = 0; i < c.nrecs; i++) {
            const prec *x = &c.recs[i];
            /* Updates come in a night's file in random places too: mix the key. */
            if (x->arrive == night) em[m++] = (keyidx){x->order, (uint32_t)i * 2};
            else if (x->update == night) em[m++] = (keyidx){x->order * 0x9E3779B97F4A7C15ull + 1, (uint32_t)i * 2 + 1};
        }
        qsort(em, m, sizeof *em, cmp_keyidx);
        b.len = 0;
        rc = nm_buf_append(&b, PAT_HEADER, sizeof PAT_HEADER - 1);
        if (!rc) rc = format_night(&c, em, m, night, &b);
        snprintf(path, sizeof path, "%s/night_%02d.csv", o->dir, night);
        if (!rc) rc = nm_gen_write_buf(path, &b, err);
        /* Deletions of the night, in record order. */
        del.len = 0;
        size_t nd = 0;
        for (size_t i = 0; !rc && i < c.nrecs; i++) {
            if (c.recs[i].del != night) continue;
            if (!nd++) rc = nm_buf_append(&del, "source,record_id\n", 17);
            if (!rc) rc = nm_buf_printf(&del, "SRC%d,R%07u\n", c.recs[i].source + 1, c.recs[i].id);
        }
        snprintf(path, sizeof path, "%s/night_%02d_deletes.csv", o->dir, night);
        if (!rc && nd) rc = nm_gen_write_buf(path, &del, err);
    }
    if (!rc) {
        b.len = 0;
        /* Truth in (source, record id) order, so it does not group a person's records. */
        keyidx *ki = malloc((c.nrecs + 1) * sizeof *ki);
        rc = ki ? nm_buf_append(&b, "source,record_id,person_id\n", 27) : NM_E_NOMEM;
        for (size_t i = 0; !rc && i < c.nrecs; i++) ki[i] = (keyidx){(uint64_t)c.recs[i].source << 32 | c.recs[i].id, (uint32_t)i};
        if (!rc) qsort(ki, c.nrecs, sizeof *ki, cmp_keyidx);
        for (size_t j = 0; !rc && j < c.nrecs; j++) {
            const prec *x = &c.recs[ki[j].i];
            rc = nm_buf_printf(&b, "SRC%d,R%07u,P%07u\n", x->source + 1, x->id, x->person + 1);
        }
        free(ki);
        snprintf(path, sizeof path, "%s/truth.csv", o->dir);
        if (!rc) rc = nm_gen_write_buf(path, &b, err);
    }
    if (rc == NM_E_NOMEM && err && !err->code) nm_err_set(err, rc, "gen patients: out of memory");
    local.providers = c.npersons;
    if (o->counts) *o->counts = local;
    nm_buf_free(&b), nm_buf_free(&del);
    free(em), free(c.persons), free(c.recs);
    return rc;
}
