/* gen hcp: a customer's HCP file (CRM export, claims, event sign-ins) with
 * the NPI truth of every record.
 *
 * Providers are drawn from a registry (active individuals and organizations,
 * without replacement while they last) plus a share of providers ABSENT from
 * it (made like registry providers with the NPPES generator's tables; truth:
 * no NPI). Each provider gets 1-5 records (82%, 12%, 4%, 1.5%, 0.5%: the
 * duplicates of a customer file), the records are shuffled, and each record
 * is typed from the provider's registry values through the error model
 * (gen/errors.h; rates in gen/labelled.h and docs/error-model.md).
 *
 * Parallelism: the plan (provider of each record, order) is drawn on one
 * thread from one stream; records are then made in chunks in parallel, each
 * from its own nm_rng (seed, record index) and provider stream (seed,
 * provider index), and written in chunk order. */
#include <omp.h>
#include <stdlib.h>
#include <string.h>
#include "common/arena.h"
#include "common/error_internal.h"
#include "common/io.h"
#include "gen/errors.h"
#include "gen/gen.h"
#include "gen/labelled.h"
#include "registry/registry_internal.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))
#define CHUNK 2048
/* Stream keys, so plan, provider and record draws never share a sequence. */
#define K_PLAN 0x504c414eull
#define K_PROV 0x50524f56ull
#define K_REC 0x52454344ull
#define K_NPI 0x41425354ull


/* ---- provider values ------------------------------------------------------------ */
typedef struct addr {
    char line1[128], line2[64], city[48], state[4], zip[12], phone[12];
} addr;

typedef struct src {
    int entity;                  /* 1 individual, 2 organization */
    char sex;
    char first[48], middle[48], last[64], suffix[16], cred[32], other_last[48];
    char org[112], other_org[112];
    addr prac, mail, sec;
    int has_mail, has_sec;
    char tax[12], lic[24], lic_state[4];
    char npi[11];                /* truth; "" for absent providers */
} src;

typedef struct prov {
    int64_t row;                 /* registry row, -1 when absent */
    uint32_t nrec;
    uint8_t entity;
} prov;

typedef struct plan_rec {
    uint32_t prov, dup;
} plan_rec;

typedef struct ctx {
    const nm_gen_hcp_opts *o;
    const nm_gen_tables *t;
    const nm_registry *reg;
    prov *provs;
    plan_rec *recs;
    uint32_t *inds, *orgs;       /* active registry rows by entity */
    size_t ninds, norgs;
    int idwidth;
} ctx;

static void copy_str(char *dst, size_t cap, nm_str s) {
    size_t n = NM_MIN((size_t)s.len, cap - 1);
    if (n) memcpy(dst, s.p, n);
    dst[n] = 0;
}
static void copy_gs(char *dst, size_t cap, nm_gen_str s) { copy_str(dst, cap, (nm_str){s.s, s.len}); }

/* An address from registry fields laid out line1, line2, city, state,
 * postal code, country, phone: the practice and mailing columns of the main
 * file and the secondary-location records share that order. */
static void addr_from(addr *a, const nm_str *f) {
    copy_str(a->line1, sizeof a->line1, f[0]);
    copy_str(a->line2, sizeof a->line2, f[1]);
    copy_str(a->city, sizeof a->city, f[2]);
    copy_str(a->state, sizeof a->state, f[3]);
    copy_str(a->zip, sizeof a->zip, f[4]);
    copy_str(a->phone, sizeof a->phone, f[6]);
}

/* Registry values: practice and mailing address, primary taxonomy and its
 * licence, the former last name (type 1 other name), first secondary
 * practice location. */
static void src_from_registry(const ctx *c, int64_t row, src *s) {
    const nm_registry *r = c->reg;
    nm_reg_main m;
    nm_reg_main_decode(r, (size_t)row, &m);
    s->entity = r->entity[row];
    s->sex = (char)r->sex[row];
    copy_str(s->first, sizeof s->first, m.f[NM_MF_FIRST]);
    copy_str(s->middle, sizeof s->middle, m.f[NM_MF_MIDDLE]);
    copy_str(s->last, sizeof s->last, m.f[NM_MF_LAST]);
    copy_str(s->suffix, sizeof s->suffix, m.f[NM_MF_SUFFIX]);
    copy_str(s->cred, sizeof s->cred, m.f[NM_MF_CREDENTIAL]);
    copy_str(s->org, sizeof s->org, m.f[NM_MF_ORG_NAME]);
    copy_str(s->other_org, sizeof s->other_org, m.f[NM_MF_OTH_ORG]);
    if (m.f[NM_MF_OTH_TYPE].len == 1 && m.f[NM_MF_OTH_TYPE].p[0] == '1')
        copy_str(s->other_last, sizeof s->other_last, m.f[NM_MF_OTH_LAST]);
    addr_from(&s->prac, &m.f[NM_MF_PRAC_LINE1]);
    addr_from(&s->mail, &m.f[NM_MF_MAIL_LINE1]);
    s->has_mail = strcmp(s->mail.line1, s->prac.line1) != 0 && s->mail.line1[0];
    int pt = 0;
    for (int k = 0; k < m.ntax; k++)
        if (m.tax[k][NM_TF_PRIMARY].len == 1 && m.tax[k][NM_TF_PRIMARY].p[0] == 'Y') pt = k;
    if (m.ntax) {
        copy_str(s->tax, sizeof s->tax, m.tax[pt][NM_TF_CODE]);
        copy_str(s->lic, sizeof s->lic, m.tax[pt][NM_TF_LICENSE]);
        copy_str(s->lic_state, sizeof s->lic_state, m.tax[pt][NM_TF_LICENSE_STATE]);
    }
    uint32_t b, e;
    nm_reg_list_range(&r->pl, (size_t)row, &b, &e);
    if (b < e) {
        nm_str f[NM_PF_COUNT];
        nm_reg_pl_decode(r, b, f);
        addr_from(&s->sec, &f[NM_PF_LINE1]);
        s->has_sec = s->sec.line1[0] != 0;
    }
    snprintf(s->npi, sizeof s->npi, "%010u", r->npi[row]);
}

static void addr_make(const nm_gen_tables *t, nm_rng *r, const nm_gen_city *city, addr *a) {
    nm_gen_address ga;
    nm_gen_address_make(t, r, city, &ga);
    nm_gen_copy(a->line1, sizeof a->line1, ga.line1);
    nm_gen_copy(a->line2, sizeof a->line2, ga.line2);
    copy_gs(a->city, sizeof a->city, city->name);
    nm_gen_copy(a->state, sizeof a->state, city->state);
    nm_gen_copy(a->zip, sizeof a->zip, ga.zip);
    nm_gen_phone(r, city, a->phone);
}

/* A provider who is not in the registry, made from the same tables as gen
 * nppes rows (names, cities, taxonomies, typed credentials). */
static void src_absent(const ctx *c, nm_rng *r, int entity, src *s) {
    const nm_gen_tables *t = c->t;
    const nm_gen_wtable *tw = &t->tax_by_entity[entity];
    const nm_gen_taxonomy *tax = &t->tax[tw->ref[nm_gen_wpick(tw, r)]];
    const nm_gen_class *k = &t->classes[tax->cls];
    const nm_gen_city *city = nm_gen_pick_city(t, r);
    s->entity = entity;
    nm_gen_copy(s->tax, sizeof s->tax, tax->code);
    addr_make(t, r, city, &s->prac);
    if (entity == 1) {
        nm_gen_person p;
        nm_gen_person_make(t, r, nm_rng_below(r, 100) < tax->female_pct ? 'F' : 'M', &p);
        s->sex = p.sex;
        nm_gen_copy(s->first, sizeof s->first, p.first);
        nm_gen_copy(s->middle, sizeof s->middle, p.middle);
        nm_gen_copy(s->last, sizeof s->last, p.last);
        nm_gen_copy(s->suffix, sizeof s->suffix, p.suffix);
        if (k->credentials.n && nm_rng_chance(r, 0.8)) copy_gs(s->cred, sizeof s->cred, nm_gen_wpick_str(&k->credentials, r));
    } else {
        char sur[48];
        nm_gen_pick_surname(t, r, sur, sizeof sur);
        size_t n = nm_gen_cat(s->org, 0, sizeof s->org, sur, strlen(sur));
        if (k->org_types.n) {
            nm_gen_str w = nm_gen_wpick_str(&k->org_types, r);
            n = nm_gen_cat(s->org, n, sizeof s->org, " ", 1);
            n = nm_gen_cat(s->org, n, sizeof s->org, w.s, w.len);
        }
        if (nm_rng_chance(r, 0.6)) {
            nm_gen_str l = nm_gen_wpick_str(&t->org_legal, r);
            n = nm_gen_cat(s->org, n, sizeof s->org, " ", 1);
            nm_gen_cat(s->org, n, sizeof s->org, l.s, l.len);
        }
    }
    if (nm_rng_chance(r, 0.3)) {
        addr_make(t, r, nm_gen_pick_city_in_state(t, r, city), &s->mail);
        s->has_mail = 1;
    }
    if (nm_rng_chance(r, 0.6)) {
        char lic[16];
        nm_gen_digits(lic, nm_rng_below(r, 1000000), 6);
        lic[6] = 0;
        nm_gen_copy(s->lic, sizeof s->lic, lic);
        nm_gen_copy(s->lic_state, sizeof s->lic_state, city->state);
    }
}

/* A city of the given state weighted by population (any city when the state
 * is not in the table: territories, foreign addresses). */
static const nm_gen_city *city_in_state(const nm_gen_tables *t, nm_rng *r, const char *state) {
    for (uint32_t i = 0; i < t->nstates; i++)
        if (!strcmp(t->states[i].code, state) && t->states[i].by_weight.n)
            return &t->city[t->states[i].by_weight.ref[nm_gen_wpick(&t->states[i].by_weight, r)]];
    return nm_gen_pick_city(t, r);
}

/* Draw and count an error of the table (rate from labelled.h); needs `k` and `r` in scope. */
#define ROLL(kind) nm_gen_roll(k, r, NM_HCP_##kind, nm_gen_hcp_error_rate(NM_HCP_##kind))

/* ---- one record --------------------------------------------------------------------- */
typedef struct rec {
    char first[64], middle[48], last[96], suffix[16], cred[32], org[112], npi[11];
    addr a;
    char zip[12], phone[24], tax[12], lic[24], lic_state[4];
} rec;


static size_t append_word(char *dst, size_t cap, const char *sep, const char *w) {
    size_t n = strlen(dst);
    n = nm_gen_cat(dst, n, cap, sep, strlen(sep));
    return nm_gen_cat(dst, n, cap, w, strlen(w));
}

/* Legal endings of organization names that customers leave out. */
static int drop_legal(char *s) {
    static const char *const LEGAL[] = {" INC", " INC.", " LLC", " L.L.C.", " PC", " P.C.", " PA", " P.A.", " PLLC",
                                        " LLP", " LTD", " CORP", " CORPORATION", " INCORPORATED", " CO", " PLC"};
    size_t n = strlen(s);
    for (size_t i = 0; i < NELEM(LEGAL); i++) {
        size_t l = strlen(LEGAL[i]);
        if (n > l && !memcmp(s + n - l, LEGAL[i], l)) {
            n -= l;
            while (n && (s[n - 1] == ',' || s[n - 1] == ' ')) n--;
            s[n] = 0;
            return 1;
        }
    }
    return 0;
}

/* A valid NPI nobody in the registry holds (for absent providers who still
 * fill the column: a typo'd or made-up number that passes the check digit). */
static void npi_not_in_registry(const ctx *c, uint64_t prov_idx, char out[11]) {
    for (uint64_t k = 0;; k++) {
        nm_gen_npi(c->o->seed ^ K_NPI, (prov_idx * 7 + k) % NM_GEN_NPI_SPACE, out);
        if (nm_registry_find(c->reg, strtoull(out, NULL, 10)) < 0) return;
    }
}

static void make_record(const ctx *c, uint64_t idx, rec *x, nm_gen_counts *k) {
    const plan_rec *pr = &c->recs[idx];
    const prov *p = &c->provs[pr->prov];
    nm_rng rp, rr, *r = &rr;
    nm_rng_seed(&rp, c->o->seed ^ K_PROV, pr->prov);
    nm_rng_seed(r, c->o->seed ^ K_REC, idx);
    src s;
    memset(&s, 0, sizeof s);
    if (p->row >= 0) src_from_registry(c, p->row, &s);
    else src_absent(c, &rp, p->entity, &s);
    /* Provider-level alternatives, the same in all of a provider's records. */
    const nm_gen_city *home = city_in_state(c->t, &rp, s.prac.state);
    addr old;
    addr_make(c->t, &rp, home, &old);
    char old_phone[11], married[48];
    nm_gen_phone(&rp, home, old_phone);
    nm_gen_pick_surname(c->t, &rp, married, sizeof married);
    if (s.other_last[0]) nm_gen_copy(married, sizeof married, s.other_last);
    memset(x, 0, sizeof *x);
    int ind = s.entity == 1;

    /* NPI column. */
    if (ROLL(NPI_PRESENT)) {
        if (p->row >= 0) nm_gen_copy(x->npi, sizeof x->npi, s.npi);
        else npi_not_in_registry(c, pr->prov, x->npi);
        if (ROLL(NPI_WRONG_DIGIT)) {
            nm_generr_wrong_digit(r, x->npi, 10);
        } else if (ind && c->norgs && ROLL(NPI_ORG_FOR_IND)) {
            snprintf(x->npi, sizeof x->npi, "%010u", c->reg->npi[c->orgs[nm_rng_below(r, (uint32_t)c->norgs)]]);
        } else if (ROLL(NPI_OTHER)) {
            const uint32_t *pool = ind ? c->inds : c->orgs;
            size_t n = ind ? c->ninds : c->norgs;
            snprintf(x->npi, sizeof x->npi, "%010u", c->reg->npi[pool[nm_rng_below(r, (uint32_t)n)]]);
        }
    }

    if (ind) {
        nm_gen_copy(x->first, sizeof x->first, s.first);
        nm_gen_copy(x->middle, sizeof x->middle, s.middle);
        nm_gen_copy(x->last, sizeof x->last, s.last);
        if (s.sex == 'F' && ROLL(MARRIED)) nm_gen_copy(x->last, sizeof x->last, married);
        if ((strchr(x->last, '-') || strchr(x->last, ' ')) && ROLL(HYPHEN))
            nm_generr_hyphenation(r, x->last, sizeof x->last);
        if (nm_generr_has_nickname(x->first) && ROLL(NICKNAME))
            nm_generr_nickname(r, x->first, sizeof x->first);
        if (ROLL(TYPO_FIRST)) nm_generr_typo(r, x->first, sizeof x->first);
        if (ROLL(TYPO_LAST)) nm_generr_typo(r, x->last, sizeof x->last);
        if (x->middle[0] && ROLL(MIDDLE_MISSING)) x->middle[0] = 0;
        else if (strlen(x->middle) > 1 && ROLL(MIDDLE_INITIAL)) x->middle[1] = 0;
        if (s.suffix[0]) {
            if (ROLL(SUFFIX_IN_NAME)) append_word(x->last, sizeof x->last, " ", s.suffix);
            else if (!ROLL(SUFFIX_MISSING)) nm_gen_copy(x->suffix, sizeof x->suffix, s.suffix);
        }
        if (s.cred[0]) {
            if (ROLL(CRED_IN_NAME)) append_word(x->last, sizeof x->last, nm_rng_chance(r, 0.6) ? ", " : " ", s.cred);
            else if (!ROLL(CRED_MISSING)) nm_gen_copy(x->cred, sizeof x->cred, s.cred);
        }
        if (ROLL(SWAP)) {
            char t[64];
            nm_gen_copy(t, sizeof t, x->first);
            nm_gen_copy(x->first, sizeof x->first, x->last);
            nm_gen_copy(x->last, sizeof x->last, t);
        }
        if (ROLL(FIRST_MISSING)) x->first[0] = 0;
    } else {
        nm_gen_copy(x->org, sizeof x->org, s.org);
        if (s.other_org[0] && ROLL(ORG_DBA)) nm_gen_copy(x->org, sizeof x->org, s.other_org);
        char probe[112];
        nm_gen_copy(probe, sizeof probe, x->org);
        if (drop_legal(probe) && ROLL(ORG_LEGAL_DROPPED)) nm_gen_copy(x->org, sizeof x->org, probe);
        if (ROLL(TYPO_ORG)) nm_generr_typo(r, x->org, sizeof x->org);
    }

    /* Address: secondary location, mailing, an old one, or the practice. */
    const char *phone = s.prac.phone;
    if (s.has_sec && ROLL(ADDR_SECONDARY)) x->a = s.sec;
    else if (s.has_mail && ROLL(ADDR_MAILING)) x->a = s.mail;
    else if (ROLL(ADDR_OLD)) x->a = old;
    else x->a = s.prac;
    if (x->a.phone[0]) phone = x->a.phone;
    /* Event sign-in sheets carry a name, a city and a state, little else. */
    int event = ROLL(EVENT_STYLE);
    if (event || ROLL(ADDR_MISSING)) x->a.line1[0] = x->a.line2[0] = 0;
    if (x->a.line2[0] && ROLL(ADDR_JOIN)) nm_generr_join_lines(x->a.line1, sizeof x->a.line1, x->a.line2);
    char probe[128];
    nm_gen_copy(probe, sizeof probe, x->a.line1);
    if (nm_generr_address_words(r, probe, sizeof probe) && ROLL(ADDR_WORDS))
        nm_gen_copy(x->a.line1, sizeof x->a.line1, probe);
    if (ROLL(CITY_MISSING)) x->a.city[0] = 0;
    size_t zl = strlen(x->a.zip);
    if (zl == 9 && x->a.zip[0] != '0' && ROLL(ZIP5)) {
        memcpy(x->zip, x->a.zip, 5);
    } else if (zl >= 5) {
        char z[11];
        /* ZIP+4 kept: hyphenated or nine digits; or a ZIP5 with its zero lost. */
        if (zl == 9 && x->a.zip[0] != '0') snprintf(x->zip, sizeof x->zip, nm_rng_chance(r, 0.6) ? "%.5s-%.4s" : "%.5s%.4s", x->a.zip, x->a.zip + 5);
        else { nm_generr_zip_form(r, x->a.zip, z); nm_gen_copy(x->zip, sizeof x->zip, z); }
    } else {
        nm_gen_copy(x->zip, sizeof x->zip, x->a.zip);
    }
    if (ROLL(PHONE_OLD)) phone = old_phone;
    else if (ROLL(PHONE_MISSING)) phone = "";
    if (strlen(phone) == 10) nm_generr_phone_form(r, phone, x->phone);

    if (s.tax[0] && ROLL(TAXONOMY_PRESENT)) nm_gen_copy(x->tax, sizeof x->tax, s.tax);
    if (s.lic[0] && ROLL(LICENSE_PRESENT)) {
        nm_gen_copy(x->lic, sizeof x->lic, s.lic);
        nm_gen_copy(x->lic_state, sizeof x->lic_state, s.lic_state);
    }
    if (event) x->zip[0] = x->phone[0] = x->tax[0] = x->lic[0] = x->lic_state[0] = 0;
    int mode = ROLL(CASE_TITLE) ? NM_CASE_TITLE : ROLL(CASE_LOWER) ? NM_CASE_LOWER : NM_CASE_UPPER;
    char *fields[] = {x->first, x->middle, x->last, x->suffix, x->org, x->a.line1, x->a.line2, x->a.city};
    for (size_t i = 0; i < NELEM(fields); i++) nm_generr_apply_case(fields[i], mode);
    k->records++;
    k->absent_records += p->row < 0;
    k->org_records += !ind;
    k->dup_records += pr->dup > 0;
}

/* ---- CSV output --------------------------------------------------------------------- */

static const char HCP_HEADER[] = "record_id,first_name,middle_name,last_name,suffix,credential,organization_name,npi,"
                                 "address_line1,address_line2,city,state,postal_code,phone,taxonomy_code,"
                                 "license_number,license_state\n";

static int format_chunk(const ctx *c, uint64_t first, uint64_t count, nm_buf *out, nm_buf *truth,
                        nm_gen_counts *k) {
    rec x;
    for (uint64_t i = first; i < first + count; i++) {
        make_record(c, i, &x, k);
        char id[24];
        snprintf(id, sizeof id, "HCP%0*llu", c->idwidth, (unsigned long long)(i + 1));
        const char *v[] = {id, x.first, x.middle, x.last, x.suffix, x.cred, x.org, x.npi, x.a.line1, x.a.line2,
                           x.a.city, x.a.state, x.zip, x.phone, x.tax, x.lic, x.lic_state};
        for (size_t j = 0; j < NELEM(v); j++) NM_TRY(nm_gen_csv_field(out, v[j], j + 1 == NELEM(v)));
        const prov *p = &c->provs[c->recs[i].prov];
        NM_TRY(nm_buf_printf(truth, "%s,", id));
        if (p->row >= 0) NM_TRY(nm_buf_printf(truth, "%010u", c->reg->npi[p->row]));
        NM_TRY(nm_buf_putc(truth, '\n'));
    }
    return 0;
}

/* ---- plan --------------------------------------------------------------------------- */
/* The k-th draw without replacement from pool (a lazily shuffled copy):
 * Fisher-Yates one step at a time; after the pool is used up it starts over
 * (same providers again, more duplicates). */
static uint32_t draw(nm_rng *r, uint32_t *pool, size_t n, size_t *used) {
    if (*used == n) *used = 0;
    size_t i = *used, j = i + nm_rng_below(r, (uint32_t)(n - i));
    uint32_t t = pool[i];
    pool[i] = pool[j];
    pool[j] = t;
    (*used)++;
    return pool[i];
}

static int make_plan(ctx *c, size_t *nprov, nm_err *err) {
    const nm_gen_hcp_opts *o = c->o;
    const nm_registry *reg = c->reg;
    c->inds = malloc((reg->n + 1) * sizeof *c->inds);
    c->orgs = malloc((reg->n + 1) * sizeof *c->orgs);
    c->recs = malloc((o->rows + 1) * sizeof *c->recs);
    c->provs = malloc((o->rows + 1) * sizeof *c->provs);
    if (!c->inds || !c->orgs || !c->recs || !c->provs) return nm_err_set(err, NM_E_NOMEM, "gen hcp: out of memory");
    for (size_t i = 0; i < reg->n; i++) {
        if (reg->flags[i] & NM_RF_DEACTIVATED) continue;
        if (reg->entity[i] == 1) c->inds[c->ninds++] = (uint32_t)i;
        else if (reg->entity[i] == 2) c->orgs[c->norgs++] = (uint32_t)i;
    }
    if (!c->ninds || !c->norgs)
        return nm_err_set(err, NM_E_ARG, "gen hcp: the registry needs active individuals and organizations");
    nm_rng r;
    nm_rng_seed(&r, o->seed ^ K_PLAN, 0);
    size_t ui = 0, uo = 0, np = 0;
    static const uint16_t DUP[] = {820, 120, 40, 15, 5};   /* records per provider, per mille */
    for (uint64_t at = 0; at < o->rows; np++) {
        prov *p = &c->provs[np];
        int absent = nm_rng_chance(&r, o->absent);
        p->entity = nm_rng_chance(&r, o->orgs) ? 2 : 1;
        uint32_t u = nm_rng_below(&r, 1000), n = 1;
        for (size_t d = 0; d < NELEM(DUP) && u >= DUP[d]; d++) u -= DUP[d], n++;
        n = (uint32_t)NM_MIN((uint64_t)n, o->rows - at);
        p->nrec = n;
        if (absent) p->row = -1;
        else if (p->entity == 1) p->row = draw(&r, c->inds, c->ninds, &ui);
        else p->row = draw(&r, c->orgs, c->norgs, &uo);
        for (uint32_t d = 0; d < n; d++) c->recs[at++] = (plan_rec){(uint32_t)np, d};
    }
    /* Shuffle so a provider's records are scattered as in a real file. */
    for (uint64_t i = o->rows; i > 1; i--) {
        uint64_t j = nm_rng_below(&r, (uint32_t)NM_MIN(i, (uint64_t)UINT32_MAX));
        plan_rec t = c->recs[i - 1];
        c->recs[i - 1] = c->recs[j];
        c->recs[j] = t;
    }
    *nprov = np;
    return 0;
}

int nm_gen_hcp(const nm_gen_hcp_opts *o, nm_err *err) {
    if (!o->reg) return nm_err_set(err, NM_E_ARG, "gen hcp: no registry");
    if (o->rows >= UINT32_MAX) return nm_err_set(err, NM_E_ARG, "gen hcp: at most %u rows", UINT32_MAX - 1);
    if (!(o->absent >= 0 && o->absent <= 1) || !(o->orgs >= 0 && o->orgs <= 1))
        return nm_err_set(err, NM_E_ARG, "gen hcp: fractions must be in [0, 1]");
    ctx c;
    memset(&c, 0, sizeof c);
    c.o = o;
    c.reg = o->reg;
    NM_TRY(nm_gen_tables_load(&c.t, err));
    size_t nprov = 0;
    int rc = make_plan(&c, &nprov, err);
    c.idwidth = 1;
    for (uint64_t v = o->rows; v >= 10; v /= 10) c.idwidth++;
    if (c.idwidth < 7) c.idwidth = 7;
    nm_writer *wo = NULL, *wt = NULL;
    if (!rc) rc = nm_writer_open(o->out, 0, &wo, err);
    if (!rc) rc = nm_writer_open(o->truth, 0, &wt, err);
    if (!rc) rc = nm_writer_write(wo, HCP_HEADER, sizeof HCP_HEADER - 1, err);
    if (!rc) rc = nm_writer_write(wt, "record_id,npi\n", 14, err);
    int nthreads = o->threads > 0 ? o->threads : omp_get_max_threads();
    uint64_t nchunks = (o->rows + CHUNK - 1) / CHUNK;
    nm_buf *bufs = calloc((size_t)nthreads * 2, sizeof *bufs);
    nm_gen_counts *cnt = calloc((size_t)nthreads, sizeof *cnt);
    if (!rc && (!bufs || !cnt)) rc = nm_err_set(err, NM_E_NOMEM, "gen hcp: out of memory");
    int failed = rc != 0;
    nm_err werr = {0};
    if (!rc) {
#pragma omp parallel for ordered schedule(dynamic, 1) num_threads(nthreads)
        for (uint64_t ch = 0; ch < nchunks; ch++) {
            int tid = omp_get_thread_num(), f;
            nm_buf *bo = &bufs[2 * tid], *bt = &bufs[2 * tid + 1];
            bo->len = bt->len = 0;
            uint64_t first = ch * CHUNK;
            int bad = format_chunk(&c, first, NM_MIN((uint64_t)CHUNK, o->rows - first), bo, bt, &cnt[tid]) < 0;
#pragma omp ordered
            {
#pragma omp atomic read
                f = failed;
                if (bad) f = 1;
                else if (!f && (nm_writer_write(wo, bo->data, bo->len, &werr) < 0 ||
                                nm_writer_write(wt, bt->data, bt->len, &werr) < 0))
                    f = 2;
                if (f) {
#pragma omp atomic write
                    failed = f;
                }
            }
        }
        if (failed == 1) rc = nm_err_set(err, NM_E_NOMEM, "gen hcp: out of memory");
        else if (failed == 2) {
            if (err) *err = werr;
            rc = werr.code ? werr.code : NM_E_IO;
        }
    }
    if (o->counts && cnt) {
        memset(o->counts, 0, sizeof *o->counts);
        for (int i = 0; i < nthreads; i++) {
            for (int kk = 0; kk < NM_HCP_NKINDS; kk++) {
                o->counts->eligible[kk] += cnt[i].eligible[kk];
                o->counts->applied[kk] += cnt[i].applied[kk];
            }
            o->counts->records += cnt[i].records;
            o->counts->absent_records += cnt[i].absent_records;
            o->counts->org_records += cnt[i].org_records;
            o->counts->dup_records += cnt[i].dup_records;
        }
        o->counts->providers = nprov;
    }
    if (bufs)
        for (int i = 0; i < 2 * nthreads; i++) nm_buf_free(&bufs[i]);
    free(bufs);
    free(cnt);
    free(c.inds);
    free(c.orgs);
    free(c.recs);
    free(c.provs);
    if (rc) {
        if (wo) nm_writer_abort(wo);
        if (wt) nm_writer_abort(wt);
        return rc;
    }
    rc = nm_writer_commit(wo, err);
    if (rc) {
        nm_writer_abort(wt);
        return rc;
    }
    return nm_writer_commit(wt, err);
}
