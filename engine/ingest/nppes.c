/* NPPES ingest (CMS "NPPES Data Dissemination Readme"):
 *  - the kind of each file is told by its header; columns are found by
 *    name, so the 2015 layout (329 columns, "Provider Gender Code", no
 *    "Certification Date") and the current one (330) both load;
 *  - main files are scanned in parallel (nm_csv_scan): each chunk validates
 *    and encodes its rows into its own builder part with a chunk-local
 *    dictionary, and parts are appended in chunk order in block_end, so the
 *    registry is byte-identical for any thread count;
 *  - companion files (othername, pl) and deactivation lists are small and
 *    read sequentially straight into the builder;
 *  - every problem is reported as file:line:col: reason, never with the
 *    field's contents. */
#include <ctype.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>
#include "common/error_internal.h"
#include "common/progress.h"
#include "ingest/csv.h"
#include "ingest/nppes.h"
#include "registry/registry_internal.h"

/* ---- header names ------------------------------------------------------------ */

/* Header names compare case-insensitively with runs of spaces collapsed: the
 * real pl header spells "Address-  Address Line 2" with two spaces where the
 * Readme has one (see nppes-format notes), and neither spelling should fail. */
static int name_eq(const char *a, const char *b) {
    for (;;) {
        if (*a == ' ' && *b == ' ') {
            while (*a == ' ') a++;
            while (*b == ' ') b++;
            continue;
        }
        if (tolower((unsigned char)*a) != tolower((unsigned char)*b)) return 0;
        if (!*a) return 1;
        a++, b++;
    }
}

static int find_name(const char *const *names, uint32_t n, const char *want) {
    for (uint32_t i = 0; i < n; i++)
        if (name_eq(names[i], want)) return (int)i;
    return -1;
}

static int contains_ci(const char *s, const char *sub) {
    size_t m = strlen(sub);
    for (; *s; s++)
        if (!strncasecmp(s, sub, m)) return 1;
    return 0;
}

static int find_deact_date(const char *const *names, uint32_t n) {
    for (uint32_t i = 0; i < n; i++)
        if (contains_ci(names[i], "deactivation date")) return (int)i;
    return -1;
}

#define PL_PREFIX "Provider Secondary Practice Location Address"

nm_nppes_kind nm_nppes_detect(const char *const *names, uint32_t n) {
    if (find_name(names, n, "NPI") < 0) return NM_NPPES_UNKNOWN;
    if (find_name(names, n, "Entity Type Code") >= 0) return NM_NPPES_MAIN;
    if (find_name(names, n, PL_PREFIX "- Address Line 1") >= 0) return NM_NPPES_PL;
    if (find_name(names, n, "Provider Other Organization Name") >= 0) return NM_NPPES_OTHERNAME;
    if (find_deact_date(names, n) >= 0) return NM_NPPES_DEACT;
    if (find_name(names, n, "Endpoint Type") >= 0) return NM_NPPES_ENDPOINT;
    return NM_NPPES_UNKNOWN;
}

const char *nm_nppes_kind_name(nm_nppes_kind k) {
    static const char *const names[] = {"unknown", "main", "othername", "pl", "deactivation list", "endpoint"};
    return k <= NM_NPPES_ENDPOINT ? names[k] : "unknown";
}

/* ---- column maps ----------------------------------------------------------------- */

enum { C_NONE, C_NPI, C_ENTITY, C_REPL, C_SEX, C_SOLE, C_DATE, C_MAIN, C_TAX, C_ITEM };

typedef struct colspec {
    const char *name, *alt;
    uint8_t kind, idx, required;
} colspec;

static const colspec main_cols[] = {
    {"NPI", NULL, C_NPI, 0, 1},
    {"Entity Type Code", NULL, C_ENTITY, 0, 1},
    {"Replacement NPI", NULL, C_REPL, 0, 1},
    {"Provider Organization Name (Legal Business Name)", NULL, C_MAIN, NM_MF_ORG_NAME, 1},
    {"Provider Last Name (Legal Name)", NULL, C_MAIN, NM_MF_LAST, 1},
    {"Provider First Name", NULL, C_MAIN, NM_MF_FIRST, 1},
    {"Provider Middle Name", NULL, C_MAIN, NM_MF_MIDDLE, 1},
    {"Provider Name Prefix Text", NULL, C_MAIN, NM_MF_PREFIX, 1},
    {"Provider Name Suffix Text", NULL, C_MAIN, NM_MF_SUFFIX, 1},
    {"Provider Credential Text", NULL, C_MAIN, NM_MF_CREDENTIAL, 1},
    {"Provider Other Organization Name", NULL, C_MAIN, NM_MF_OTH_ORG, 1},
    {"Provider Other Organization Name Type Code", NULL, C_MAIN, NM_MF_OTH_ORG_TYPE, 1},
    {"Provider Other Last Name", NULL, C_MAIN, NM_MF_OTH_LAST, 1},
    {"Provider Other First Name", NULL, C_MAIN, NM_MF_OTH_FIRST, 1},
    {"Provider Other Middle Name", NULL, C_MAIN, NM_MF_OTH_MIDDLE, 1},
    {"Provider Other Name Prefix Text", NULL, C_MAIN, NM_MF_OTH_PREFIX, 1},
    {"Provider Other Name Suffix Text", NULL, C_MAIN, NM_MF_OTH_SUFFIX, 1},
    {"Provider Other Credential Text", NULL, C_MAIN, NM_MF_OTH_CREDENTIAL, 1},
    {"Provider Other Last Name Type Code", NULL, C_MAIN, NM_MF_OTH_TYPE, 1},
    {"Provider First Line Business Mailing Address", NULL, C_MAIN, NM_MF_MAIL_LINE1, 1},
    {"Provider Second Line Business Mailing Address", NULL, C_MAIN, NM_MF_MAIL_LINE2, 1},
    {"Provider Business Mailing Address City Name", NULL, C_MAIN, NM_MF_MAIL_CITY, 1},
    {"Provider Business Mailing Address State Name", NULL, C_MAIN, NM_MF_MAIL_STATE, 1},
    {"Provider Business Mailing Address Postal Code", NULL, C_MAIN, NM_MF_MAIL_POSTAL, 1},
    {"Provider Business Mailing Address Country Code (If outside U.S.)", NULL, C_MAIN, NM_MF_MAIL_COUNTRY, 1},
    {"Provider Business Mailing Address Telephone Number", NULL, C_MAIN, NM_MF_MAIL_PHONE, 1},
    {"Provider Business Mailing Address Fax Number", NULL, C_MAIN, NM_MF_MAIL_FAX, 1},
    {"Provider First Line Business Practice Location Address", NULL, C_MAIN, NM_MF_PRAC_LINE1, 1},
    {"Provider Second Line Business Practice Location Address", NULL, C_MAIN, NM_MF_PRAC_LINE2, 1},
    {"Provider Business Practice Location Address City Name", NULL, C_MAIN, NM_MF_PRAC_CITY, 1},
    {"Provider Business Practice Location Address State Name", NULL, C_MAIN, NM_MF_PRAC_STATE, 1},
    {"Provider Business Practice Location Address Postal Code", NULL, C_MAIN, NM_MF_PRAC_POSTAL, 1},
    {"Provider Business Practice Location Address Country Code (If outside U.S.)", NULL, C_MAIN,
     NM_MF_PRAC_COUNTRY, 1},
    {"Provider Business Practice Location Address Telephone Number", NULL, C_MAIN, NM_MF_PRAC_PHONE, 1},
    {"Provider Business Practice Location Address Fax Number", NULL, C_MAIN, NM_MF_PRAC_FAX, 1},
    {"Provider Enumeration Date", NULL, C_DATE, NM_D_ENUM, 1},
    {"Last Update Date", NULL, C_DATE, NM_D_UPDATE, 1},
    {"NPI Deactivation Date", NULL, C_DATE, NM_D_DEACT, 1},
    {"NPI Reactivation Date", NULL, C_DATE, NM_D_REACT, 1},
    /* renamed between the 2015 and the 2025 layouts */
    {"Provider Sex Code", "Provider Gender Code", C_SEX, 0, 1},
    {"Is Sole Proprietor", NULL, C_SOLE, 0, 1},
    {"Parent Organization LBN", NULL, C_MAIN, NM_MF_PARENT_ORG, 1},
    /* absent from the 2015 layout */
    {"Certification Date", NULL, C_DATE, NM_D_CERT, 0},
};

static const char *const tax_col_fmt[NM_TF_COUNT] = {
    "Healthcare Provider Taxonomy Code_%d", "Provider License Number_%d",
    "Provider License Number State Code_%d", "Healthcare Provider Primary Taxonomy Switch_%d"};

static const colspec pl_cols[] = {
    {"NPI", NULL, C_NPI, 0, 1},
    {PL_PREFIX "- Address Line 1", NULL, C_ITEM, NM_PF_LINE1, 1},
    {PL_PREFIX "- Address Line 2", NULL, C_ITEM, NM_PF_LINE2, 1},
    {PL_PREFIX " - City Name", NULL, C_ITEM, NM_PF_CITY, 1},
    {PL_PREFIX " - State Name", NULL, C_ITEM, NM_PF_STATE, 1},
    {PL_PREFIX " - Postal Code", NULL, C_ITEM, NM_PF_POSTAL, 1},
    {PL_PREFIX " - Country Code (If outside U.S.)", NULL, C_ITEM, NM_PF_COUNTRY, 1},
    {PL_PREFIX " - Telephone Number", NULL, C_ITEM, NM_PF_PHONE, 1},
    {PL_PREFIX " - Telephone Extension", NULL, C_ITEM, NM_PF_EXT, 1},
    {"Provider Practice Location Address - Fax Number", NULL, C_ITEM, NM_PF_FAX, 1},
};

static const colspec on_cols[] = {
    {"NPI", NULL, C_NPI, 0, 1},
    {"Provider Other Organization Name", NULL, C_ITEM, NM_OF_NAME, 1},
    {"Provider Other Organization Name Type Code", NULL, C_ITEM, NM_OF_TYPE, 1},
};

typedef struct colmap {
    uint32_t ncols;
    uint8_t *kind, *idx;   /* per file column */
    uint16_t *used;        /* the mapped columns, in file order (a third of a main file's) */
    uint32_t nused;
    int npi_col, entity_col, deact_col;
    /* main files: the column of each field (all required but the
     * certification date, -1 when absent) */
    int16_t mcol[NM_MF_COUNT], tcol[NM_TAX_SLOTS][NM_TF_COUNT], dcol[NM_D_COUNT];
    int16_t repl_col, sex_col, sole_col;
} colmap;

static void colmap_free(colmap *m) {
    free(m->kind);
    free(m->idx);
    free(m->used);
    memset(m, 0, sizeof *m);
}

static int colmap_set(colmap *m, int col, uint8_t kind, uint8_t idx) {
    if (col < 0) return 0;
    m->kind[col] = kind;
    m->idx[col] = idx;
    if (kind == C_NPI) m->npi_col = col;
    if (kind == C_ENTITY) m->entity_col = col;
    if (kind == C_DATE && idx == NM_D_DEACT) m->deact_col = col;
    if (kind == C_MAIN) m->mcol[idx] = (int16_t)col;
    if (kind == C_TAX) m->tcol[idx / NM_TF_COUNT][idx % NM_TF_COUNT] = (int16_t)col;
    if (kind == C_DATE) m->dcol[idx] = (int16_t)col;
    if (kind == C_REPL) m->repl_col = (int16_t)col;
    if (kind == C_SEX) m->sex_col = (int16_t)col;
    if (kind == C_SOLE) m->sole_col = (int16_t)col;
    return 1;
}

static int colmap_build(colmap *m, const char *path, const char *const *names, uint32_t n, const colspec *spec,
                        size_t nspec, int with_tax, nm_err *err) {
    memset(m, 0, sizeof *m);
    m->ncols = n;
    m->kind = calloc(n + 1, 1);
    m->idx = calloc(n + 1, 1);
    m->used = calloc(n + 1, sizeof *m->used);
    m->npi_col = m->entity_col = m->deact_col = -1;
    memset(m->mcol, 0xff, sizeof m->mcol);
    memset(m->tcol, 0xff, sizeof m->tcol);
    memset(m->dcol, 0xff, sizeof m->dcol);
    m->repl_col = m->sex_col = m->sole_col = -1;
    if (!m->kind || !m->idx || !m->used || n > UINT16_MAX)
        return nm_err_set(err, NM_E_NOMEM, "%s: out of memory", path);
    for (size_t i = 0; i < nspec; i++) {
        int col = find_name(names, n, spec[i].name);
        if (col < 0 && spec[i].alt) col = find_name(names, n, spec[i].alt);
        if (!colmap_set(m, col, spec[i].kind, spec[i].idx) && spec[i].required)
            return nm_err_set(err, NM_E_FORMAT, "%s:1: missing required column \"%s\"", path, spec[i].name);
    }
    for (int slot = 1; with_tax && slot <= NM_TAX_SLOTS; slot++)
        for (int t = 0; t < NM_TF_COUNT; t++) {
            char name[96];
            snprintf(name, sizeof name, tax_col_fmt[t], slot);
            if (!colmap_set(m, find_name(names, n, name), C_TAX, (uint8_t)((slot - 1) * NM_TF_COUNT + t)))
                return nm_err_set(err, NM_E_FORMAT, "%s:1: missing required column \"%s\"", path, name);
        }
    for (uint32_t c = 0; c < n; c++)
        if (m->kind[c] != C_NONE) m->used[m->nused++] = (uint16_t)c;
    return 0;
}

/* ---- field values --------------------------------------------------------------------- */

#define ICACHE_BITS 14
typedef struct icache_ent {
    uint64_t a, b;   /* the value's bytes, zero-padded to 16 */
    uint32_t len, id;
} icache_ent;

/* Per-chunk working state: a builder part, diagnostics and scratch space. */
typedef struct worker {
    nm_regb_part part;
    nm_diag diag;
    nm_buf scratch;
    icache_ent *icache;        /* 1 << ICACHE_BITS entries, main files only */
    size_t hint_rows, hint_blob, hint_patch;   /* sizes of the last part */
    uint64_t rows;
    uint16_t file;
    int inited;
} worker;

static void worker_free(worker *w) {
    nm_regb_part_free(&w->part);
    nm_buf_free(&w->scratch);
    free(w->icache);
}

/* Invalid UTF-8 is transcoded, not nulled: count it under its reason
 * without counting a nulled field. */
static void note_utf8(worker *w, uint64_t line, uint32_t col) {
    nm_diag_add(&w->diag, NM_R_INVALID_UTF8, w->file, line, col, 0);
    w->diag.fields_nulled--;
}

/* Room in scratch for every field of a row that needs rewriting, reserved up
 * front so pointers into it stay valid for the whole row. */
static int reserve_scratch(worker *w, const nm_csv_row *row, const colmap *map) {
    size_t need = 1;
    for (uint32_t u = 0; u < map->nused; u++) {
        const nm_csv_field *f = &row->f[map->used[u]];
        if (f->flags & (NM_CSV_HIGHBIT | NM_CSV_ESCAPED)) need += 4 * (size_t)f->len + 2;
    }
    w->scratch.len = 0;
    return nm_buf_reserve(&w->scratch, need);
}

/* Characters of UTF-8 text (bytes that do not continue a sequence). */
static uint32_t utf8_chars(const char *p, uint32_t n) {
    uint32_t c = 0;
    for (uint32_t i = 0; i < n; i++) c += ((unsigned char)p[i] & 0xC0) != 0x80;
    return c;
}

/* A field's value as UTF-8: unescaped, transcoded from Latin-1/CP1252 when
 * it is not valid UTF-8, and checked against the documented maximum length
 * in characters (Readme exhibit 2-1; over-long values are nulled). */
static nm_rec_val field_value(worker *w, const nm_csv_field *f, uint32_t maxlen, uint64_t line) {
    nm_rec_val v = {f->p, f->len, 0};
    if (!f->len) return v;
    if (f->flags & NM_CSV_ESCAPED) {
        char *dst = w->scratch.data + w->scratch.len;
        v.len = (uint32_t)nm_csv_unescape(f, dst, (size_t)f->len + 1);
        v.p = dst;
        w->scratch.len += v.len + 1;
    }
    int valid = 1;
    if (f->flags & NM_CSV_HIGHBIT) {
        char *dst = w->scratch.data + w->scratch.len;
        size_t n = nm_csv_to_utf8(v.p, v.len, dst, 3 * (size_t)v.len + 1, &valid);
        v.p = dst;
        v.len = (uint32_t)n;
        w->scratch.len += n + 1;
    }
    if (maxlen && v.len > maxlen && (!(f->flags & NM_CSV_HIGHBIT) || utf8_chars(v.p, v.len) > maxlen)) {
        nm_diag_add(&w->diag, NM_R_FIELD_TOO_LONG, w->file, line, f->col, 0);
        return (nm_rec_val){NULL, 0, 0};
    }
    if (!valid) note_utf8(w, line, f->col);
    return v;
}

static int intern_fields(nm_dict *d, const nm_rec_schema *s, nm_rec_val *v) {
    for (int i = 0; i < s->nfields; i++) {
        if (s->kind[i] != NM_FK_DICT) continue;
        int64_t id = nm_dict_intern(d, v[i].p, v[i].len);
        if (id < 0) return (int)id;
        v[i].id = (uint32_t)id;
    }
    return 0;
}

/* Common row checks: reader errors, field count, NPI. Returns the NPI or 0
 * when the row is skipped (already reported). */
static uint32_t check_row(worker *w, const nm_csv_row *row, uint32_t ncols, int npi_col, int exact_count) {
    if (row->error != NM_R_COUNT) {
        nm_diag_add(&w->diag, (nm_reason)row->error, w->file, row->line, row->error_col, 1);
        return 0;
    }
    if (exact_count ? row->nfields != ncols : row->nfields <= (uint32_t)npi_col) {
        /* too many: point at the first extra field; too few: at the last one */
        uint32_t col = row->nfields > ncols ? row->f[ncols].col : row->nfields ? row->f[row->nfields - 1].col : 1;
        nm_diag_add(&w->diag, NM_R_FIELD_COUNT, w->file, row->line, col, 1);
        return 0;
    }
    const nm_csv_field *f = &row->f[npi_col];
    uint32_t npi = (f->flags & NM_CSV_ESCAPED) ? 0 : nm_npi_parse(f->p, f->len);
    if (!npi) nm_diag_add(&w->diag, NM_R_INVALID_NPI, w->file, row->line, f->col, 1);
    return npi;
}

/* One-character code fields (sex, sole proprietor, switches): ASCII only. */
static uint8_t code_char(worker *w, const nm_csv_field *f, uint64_t line) {
    if (!f->len) return 0;
    if (f->len > 1) {
        nm_diag_add(&w->diag, NM_R_FIELD_TOO_LONG, w->file, line, f->col, 0);
        return 0;
    }
    if ((unsigned char)f->p[0] < 0x21 || (unsigned char)f->p[0] > 0x7e) {
        nm_diag_add(&w->diag, NM_R_BAD_VALUE, w->file, line, f->col, 0);
        return 0;
    }
    return (uint8_t)f->p[0];
}

/* ---- main file rows ---------------------------------------------------------------------- */

typedef struct main_ctx {
    const colmap *map;
    worker *workers;
    int nworkers, nthreads;
    uint64_t *first_line;   /* per chunk, from the scanner */
    nm_regb *b;
    nm_diag *diag;
    uint64_t rows;
} main_ctx;

/* The careful path for a row with anything unusual (escaped quotes, bytes
 * >= 0x80, over-long values, bad dates or codes): every mapped column in
 * file order, so problems are reported left to right. Fills out's scalar
 * fields and the string values (pointers into the row or scratch). */
static int main_row_careful(worker *w, const colmap *map, const nm_csv_row *row, nm_regb_row *out,
                            nm_rec_val *mv, nm_rec_val (*tv)[NM_TF_COUNT]) {
    const nm_csv_field *f = row->f;
    uint64_t line = row->line;
    NM_TRY(reserve_scratch(w, row, map));
    memset(mv, 0, NM_MF_COUNT * sizeof *mv);
    memset(tv, 0, NM_TAX_SLOTS * sizeof *tv);
    for (uint32_t u = 0; u < map->nused; u++) {
        uint32_t c = map->used[u];
        const nm_csv_field *fc = &f[c];
        uint8_t idx = map->idx[c];
        switch (map->kind[c]) {
        case C_MAIN: mv[idx] = field_value(w, fc, nm_schema_main.maxlen[idx], line); break;
        case C_TAX: {
            int slot = idx / NM_TF_COUNT, t = idx % NM_TF_COUNT;
            tv[slot][t] = field_value(w, fc, nm_schema_tax.maxlen[t], line);
            break;
        }
        case C_DATE: {
            int64_t d = nm_parse_date_mdy(fc->p, fc->len);
            if (d < 0) nm_diag_add(&w->diag, NM_R_INVALID_DATE, w->file, line, fc->col, 0);
            out->date[idx] = d > 0 ? (uint32_t)d : 0;
            break;
        }
        case C_REPL:
            if (fc->len && !(out->repl_npi = nm_npi_parse(fc->p, fc->len)))
                nm_diag_add(&w->diag, NM_R_BAD_VALUE, w->file, line, fc->col, 0);
            break;
        case C_SEX: out->sex = code_char(w, fc, line); break;
        case C_SOLE: out->sole = code_char(w, fc, line); break;
        default: break;
        }
    }
    return 0;
}

/* The common case, with no report to make: values point into the row as
 * they are. Returns 0 when some field needs main_row_careful instead (then
 * nothing has been reported or kept). *tslots gets the taxonomy groups with
 * any value. */
static int main_row_fast(const colmap *map, const nm_csv_field *f, nm_regb_row *out, nm_rec_val *mv,
                         nm_rec_val (*tv)[NM_TF_COUNT], uint32_t *tslots) {
    uint32_t bad = 0;
    for (int i = 0; i < NM_MF_COUNT; i++) {
        const nm_csv_field *fc = &f[map->mcol[i]];
        mv[i].p = fc->p;
        mv[i].len = fc->len;
        bad |= (fc->flags & (NM_CSV_HIGHBIT | NM_CSV_ESCAPED)) | (fc->len > nm_schema_main.maxlen[i]);
    }
    uint32_t ts = 0;
    for (int s = 0; s < NM_TAX_SLOTS; s++) {
        const int16_t *tc = map->tcol[s];
        if (!(f[tc[0]].len | f[tc[1]].len | f[tc[2]].len | f[tc[3]].len)) continue;
        ts |= 1u << s;
        for (int t = 0; t < NM_TF_COUNT; t++) {
            const nm_csv_field *fc = &f[tc[t]];
            tv[s][t].p = fc->p;
            tv[s][t].len = fc->len;
            bad |= (fc->flags & (NM_CSV_HIGHBIT | NM_CSV_ESCAPED)) | (fc->len > nm_schema_tax.maxlen[t]);
        }
    }
    *tslots = ts;
    for (int d = 0; d < NM_D_COUNT; d++) {
        if (map->dcol[d] < 0) continue;
        const nm_csv_field *fc = &f[map->dcol[d]];
        int64_t v = fc->len ? nm_parse_date_mdy(fc->p, fc->len) : 0;
        bad |= v < 0;
        out->date[d] = v > 0 ? (uint32_t)v : 0;
    }
    const nm_csv_field *rp = &f[map->repl_col];
    if (rp->len) bad |= !(out->repl_npi = nm_npi_parse(rp->p, rp->len));
    const nm_csv_field *cf[2] = {&f[map->sex_col], &f[map->sole_col]};
    uint8_t code[2] = {0, 0};
    for (int k = 0; k < 2; k++) {
        if (!cf[k]->len) continue;
        unsigned char ch = (unsigned char)cf[k]->p[0];
        bad |= cf[k]->len > 1 || ch < 0x21 || ch > 0x7e;
        code[k] = ch;
    }
    out->sex = code[0];
    out->sole = code[1];
    return !bad;
}

/* Dictionary id in the chunk's dictionary through a small direct-mapped
 * cache keyed by the value's bytes: most dictionary values (states,
 * countries, switches, taxonomy codes, credentials, most cities) are at most
 * 16 bytes, so a hit is two 8-byte loads and compares, no hashing of the
 * string and no walk through the dictionary. `lim` bounds the readable
 * bytes after s (0-padding is by masking). */
static inline int64_t intern_cached(worker *w, const char *s, uint32_t len, const char *lim) {
    if (len > 16 || (size_t)(lim - s) < 16) return nm_dict_intern(&w->part.dict, s, len);
    uint64_t a, b;
    memcpy(&a, s, 8);
    memcpy(&b, s + 8, 8);
    if (len < 8) a &= ~0ull >> (64 - 8 * len), b = 0;
    else if (len == 8) b = 0;
    else if (len < 16) b &= ~0ull >> (128 - 8 * len);
    uint64_t h = ((a ^ (b * 0x9e3779b97f4a7c15ull) ^ len) * 0xff51afd7ed558ccdull) >> (64 - ICACHE_BITS);
    icache_ent *e = &w->icache[h];
    if (e->id && e->a == a && e->b == b && e->len == len) return e->id;
    int64_t id = nm_dict_intern(&w->part.dict, s, len);
    if (id > 0) *e = (icache_ent){a, b, len, (uint32_t)id};
    return id;
}

static inline uint8_t *put_varint(uint8_t *o, uint64_t v) {
    while (v > 0x7f) {
        *o++ = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    *o++ = (uint8_t)v;
    return o;
}

/* Encode one record (format of nm_rec_encode) at o; dictionary values are
 * interned in field order, their blob positions pushed to *pt. */
static inline uint8_t *encode_rec(worker *w, uint8_t *o, uint8_t *b0, uint32_t **pt, const nm_rec_schema *s,
                                  const nm_rec_val *v, uint64_t mask, const char *lim, int *rc) {
    o = put_varint(o, mask);
    for (uint64_t m = mask; m; m &= m - 1) {
        int i = __builtin_ctzll(m);
        if (s->kind[i] == NM_FK_DICT) {
            int64_t id = lim ? intern_cached(w, v[i].p, v[i].len, lim) : nm_dict_intern(&w->part.dict, v[i].p, v[i].len);
            if (id < 0) {
                *rc = (int)id;
                return o;
            }
            *(*pt)++ = (uint32_t)(o - b0);
            o[0] = (uint8_t)id, o[1] = (uint8_t)(id >> 8), o[2] = (uint8_t)(id >> 16);
            o += 3;
        } else {
            o = put_varint(o, v[i].len);
            memcpy(o, v[i].p, v[i].len);
            o += v[i].len;
        }
    }
    return o;
}

static int main_row_process(worker *w, const colmap *map, const nm_csv_row *row) {
    uint32_t npi = check_row(w, row, map->ncols, map->npi_col, 1);
    if (!npi) return 0;
    const nm_csv_field *f = row->f;
    uint64_t line = row->line;
    nm_regb_row out;
    memset(&out, 0, sizeof out);
    out.npi = npi;
    /* Entity type 1 (individual) or 2 (organization); deactivated NPIs stay
     * in the file as stub rows with only NPI and deactivation date. */
    const nm_csv_field *et = &f[map->entity_col];
    const nm_csv_field *df = &f[map->deact_col];
    int64_t deact = df->len ? nm_parse_date_mdy(df->p, df->len) : 0;
    if (et->len == 1 && (et->p[0] == '1' || et->p[0] == '2')) {
        out.entity = (uint8_t)(et->p[0] - '0');
    } else if (!(et->len == 0 && deact > 0)) {
        nm_diag_add(&w->diag, NM_R_ENTITY_TYPE, w->file, line, et->col, 1);
        return 0;
    } else {
        out.flags |= NM_RF_STUB;
    }
    nm_rec_val mv[NM_MF_COUNT], tv[NM_TAX_SLOTS][NM_TF_COUNT];
    uint32_t tslots;
    /* every value is a substring of the row: the row's span bounds the
     * record (x3 for Latin-1 transcoding, plus lengths and ids) */
    const nm_csv_field *lastf = &f[map->ncols - 1];
    const char *lim = lastf->p + lastf->len;
    size_t bound = 3 * (size_t)(lim - f[0].p) + 1024;
    if (!main_row_fast(map, f, &out, mv, tv, &tslots)) {
        lim = NULL;   /* values may sit in scratch: no cache reads past them */
        NM_TRY(main_row_careful(w, map, row, &out, mv, tv));
        tslots = 0;
        for (int s = 0; s < NM_TAX_SLOTS; s++)
            for (int t = 0; t < NM_TF_COUNT; t++) tslots |= (uint32_t)(tv[s][t].len != 0) << s;
    }
    nm_regb_part *p = &w->part;
    if (NM_VEC_PUSH(&p->rows, out) || NM_VEC_PUSH(&p->off, (uint64_t)p->blob.len) ||
        NM_VEC_RESERVE(&p->patch, p->patch.n + NM_MF_COUNT + NM_TAX_SLOTS * NM_TF_COUNT) ||
        nm_buf_reserve(&p->blob, bound))
        return NM_E_NOMEM;
    uint8_t *const b0 = (uint8_t *)p->blob.data;
    uint32_t *pt = p->patch.v + p->patch.n;
    int rc = 0;
    uint64_t mask = 0;
    for (int i = 0; i < NM_MF_COUNT; i++) mask |= (uint64_t)(mv[i].len != 0) << i;
    uint8_t *o = encode_rec(w, b0 + p->blob.len, b0, &pt, &nm_schema_main, mv, mask, lim, &rc);
    uint8_t *ntax = o++;   /* at most 15 groups: a one-byte varint */
    *ntax = 0;
    for (uint32_t sm = tslots; sm && !rc; sm &= sm - 1) {
        int s = __builtin_ctz(sm);
        uint64_t tm = 0;
        for (int t = 0; t < NM_TF_COUNT; t++) tm |= (uint64_t)(tv[s][t].len != 0) << t;
        if (!tm) continue;   /* every value nulled */
        ++*ntax;
        *o++ = (uint8_t)(s + 1);
        o = encode_rec(w, o, b0, &pt, &nm_schema_tax, tv[s], tm, lim, &rc);
    }
    if (rc) return rc;
    p->blob.len = (size_t)(o - b0);
    p->blob.data[p->blob.len] = 0;
    p->patch.n = (size_t)(pt - p->patch.v);
    return 0;
}

static int main_chunk_begin(void *u, int chunk) {
    main_ctx *ctx = u;
    if (chunk < 0 || chunk >= ctx->nworkers) return NM_E_INTERNAL;
    worker *w = &ctx->workers[chunk];
    if (!w->inited) {
        nm_regb_part_init(&w->part);
        w->icache = malloc(sizeof *w->icache << ICACHE_BITS);
        if (!w->icache) return NM_E_NOMEM;
        w->inited = 1;
    }
    nm_regb_part_reset(&w->part);
    memset(w->icache, 0, sizeof *w->icache << ICACHE_BITS);   /* ids of the reset dictionary */
    /* The builder adopted the last part's arrays: start the next one at
     * about their size instead of doubling up from nothing. */
    nm_regb_part *p = &w->part;
    if (NM_VEC_RESERVE(&p->rows, w->hint_rows) || NM_VEC_RESERVE(&p->off, w->hint_rows) ||
        NM_VEC_RESERVE(&p->patch, w->hint_patch) || nm_buf_reserve(&p->blob, w->hint_blob))
        return NM_E_NOMEM;
    nm_diag_init(&w->diag);
    w->rows = 0;
    return 0;
}

static int main_row(void *u, int chunk, const nm_csv_row *row) {
    main_ctx *ctx = u;
    worker *w = &ctx->workers[chunk];
    w->rows++;
    return main_row_process(w, ctx->map, row);
}

static int main_block_end(void *u, int nchunks) {
    main_ctx *ctx = u;
    /* Most chunk-local dictionary values are already global: find them in
     * parallel (the global dictionary is only read here), so the ordered
     * merge below interns just the new ones. */
    int bad = 0;
#pragma omp parallel for num_threads(NM_MIN(nchunks, ctx->nthreads)) schedule(dynamic, 1) reduction(| : bad) \
    if (nchunks > 1 && ctx->nthreads > 1)
    for (int c = 0; c < nchunks; c++) bad |= nm_regb_part_lookup(ctx->b, &ctx->workers[c].part) != 0;
    if (bad) return NM_E_NOMEM;
    for (int c = 0; c < nchunks; c++) {
        worker *w = &ctx->workers[c];
        /* rows were numbered from 0 in their chunk (see ingest_main) */
        for (int r = 0; r < NM_R_COUNT; r++)
            for (uint32_t i = 0; i < w->diag.nkept[r]; i++) w->diag.kept[r][i].line += ctx->first_line[c];
        nm_diag_merge(ctx->diag, &w->diag);
        ctx->rows += w->rows;
        w->hint_rows = w->part.rows.n + w->part.rows.n / 8;
        w->hint_blob = w->part.blob.len + w->part.blob.len / 8;
        w->hint_patch = w->part.patch.n + w->part.patch.n / 8;
        NM_TRY(nm_regb_append_part(ctx->b, &w->part));
        nm_regb_part_reset(&w->part);
        nm_diag_init(&w->diag);
        w->rows = 0;
    }
    /* block_end runs on the calling thread: report rows so far (total unknown) */
    return nm_progress_tick(nm_progress_get(), ctx->rows, 0);
}

#define CHUNKS_PER_THREAD 4

static int ingest_main(nm_csv *csv, const colmap *map, uint16_t file, int threads, nm_regb *b, nm_diag *diag,
                       uint64_t *rows, nm_err *err) {
    /* Several chunks per thread and block, taken by the threads as they
     * come free: on a shared machine a thread that loses its core for a
     * while does not hold the others at the end of every block. */
    int nt = threads > 0 ? threads : omp_get_max_threads();
    nt = NM_MAX(nt, 1);
    int cpt = nt > 1 ? CHUNKS_PER_THREAD : 1;
    int nw = nt * cpt;
    main_ctx ctx = {map, NULL, nw, nt, NULL, b, diag, 0};
    ctx.workers = calloc((size_t)nw, sizeof *ctx.workers);
    ctx.first_line = calloc((size_t)nw, sizeof *ctx.first_line);
    if (!ctx.workers || !ctx.first_line) {
        free(ctx.workers), free(ctx.first_line);
        return nm_err_set(err, NM_E_NOMEM, "%s: out of memory", nm_csv_path(csv));
    }
    for (int i = 0; i < nw; i++) ctx.workers[i].file = file;
    /* Line numbers only matter for the report: rows are numbered within
     * their chunk and the kept locations shifted at the merge, which spares
     * the scanner a counting pass over every block. */
    nm_csv_consumer cons = {&ctx, main_chunk_begin, main_row, main_block_end, nw, cpt, ctx.first_line};
    int rc = nm_csv_scan(csv, &cons, err);
    if (rc && err && !err->msg[0])
        nm_err_set(err, rc, "%s: %s while reading rows", nm_csv_path(csv), nm_strerror(rc));
    for (int i = 0; i < nw; i++) worker_free(&ctx.workers[i]);
    free(ctx.workers);
    free(ctx.first_line);
    *rows += ctx.rows;
    return rc;
}

/* ---- companion files and deactivation lists (sequential) ------------------------------- */

static int ingest_items(nm_csv *csv, const colmap *map, nm_nppes_kind kind, worker *w, nm_regb *b, uint64_t *rows,
                        nm_err *err) {
    const nm_rec_schema *s = kind == NM_NPPES_PL ? &nm_schema_pl : &nm_schema_on;
    nm_buf *blob = kind == NM_NPPES_PL ? &b->pl_blob : &b->on_blob;
    nm_regb_itemvec *items = kind == NM_NPPES_PL ? &b->pl_items : &b->on_items;
    nm_csv_row row;
    int rc;
    while ((rc = nm_csv_next(csv, &row, err)) == 1) {
        (*rows)++;
        uint32_t npi = check_row(w, &row, map->ncols, map->npi_col, 1);
        if (!npi) continue;
        NM_TRY(reserve_scratch(w, &row, map));
        nm_rec_val v[NM_PF_COUNT];
        memset(v, 0, sizeof v);
        for (uint32_t u = 0; u < map->nused; u++) {
            uint32_t c = map->used[u];
            if (map->kind[c] == C_ITEM) v[map->idx[c]] = field_value(w, &row.f[c], s->maxlen[map->idx[c]], row.line);
        }
        NM_TRY(intern_fields(&b->dict, s, v));
        nm_regb_item it = {npi, w->file, row.line, blob->len};
        if (NM_VEC_PUSH(items, it)) return NM_E_NOMEM;
        NM_TRY(nm_rec_encode(blob, s, v, NULL));
    }
    return rc;
}

static int ingest_deact(nm_csv *csv, int npi_col, int date_col, worker *w, nm_regb *b, uint64_t *rows, nm_err *err) {
    nm_csv_row row;
    int rc;
    uint32_t need = (uint32_t)NM_MAX(npi_col, date_col) + 1;
    while ((rc = nm_csv_next(csv, &row, err)) == 1) {
        (*rows)++;
        /* spreadsheet exports may pad rows with empty cells: only the two
         * columns used must be there */
        if (row.error == NM_R_COUNT && row.nfields < need) {
            nm_diag_add(&w->diag, NM_R_FIELD_COUNT, w->file, row.line,
                        row.nfields ? row.f[row.nfields - 1].col : 1, 1);
            continue;
        }
        uint32_t npi = check_row(w, &row, need, npi_col, 0);
        if (!npi) continue;
        const nm_csv_field *df = &row.f[date_col];
        int64_t d = nm_parse_date_mdy(df->p, df->len);
        if (d < 0) nm_diag_add(&w->diag, NM_R_INVALID_DATE, w->file, row.line, df->col, 0);
        if (NM_VEC_PUSH(&b->deact_npi, npi) || NM_VEC_PUSH(&b->deact_date, d > 0 ? (uint32_t)d : 0u))
            return NM_E_NOMEM;
    }
    return rc;
}

/* A deactivation report saved from its spreadsheet has a title row above the
 * header (CMS "NPPES Deactivated NPI Report": row 1 title, row 2 header):
 * look for the header within the first lines. */
#define DEACT_HEADER_SEARCH 5

static int find_deact_header(nm_csv *csv, int *npi_col, int *date_col, nm_err *err) {
    for (int tries = 0; tries < DEACT_HEADER_SEARCH; tries++) {
        nm_csv_row row;
        int rc = nm_csv_next(csv, &row, err);
        if (rc <= 0) return rc;
        if (row.error != NM_R_COUNT) continue;
        const char *names[16];
        char store[16][64];
        uint32_t n = NM_MIN(row.nfields, 16u);
        for (uint32_t i = 0; i < n; i++) {
            size_t len = nm_csv_unescape(&row.f[i], store[i], sizeof store[i] - 1);
            store[i][NM_MIN(len, sizeof store[i] - 1)] = 0;
            char *s = store[i];
            while (*s == ' ') s++;
            size_t l = strlen(s);
            while (l && s[l - 1] == ' ') s[--l] = 0;
            names[i] = s;
        }
        if (nm_nppes_detect(names, n) == NM_NPPES_DEACT) {
            *npi_col = find_name(names, n, "NPI");
            *date_col = find_deact_date(names, n);
            return 1;
        }
    }
    return 0;
}

/* ---- the build ------------------------------------------------------------------------------ */

typedef struct unknown_ctx {
    nm_diag *diag;
} unknown_ctx;

static void on_unknown_npi(void *user, uint16_t file, uint64_t line) {
    unknown_ctx *u = user;
    nm_diag_add(u->diag, NM_R_UNKNOWN_NPI, file, line, 1, 1);
}

static int ingest_file(const char *path, uint16_t file, const nm_index_opts *o, nm_regb *b, nm_diag *diag,
                       uint64_t *rows, uint64_t *bytes, nm_err *err) {
    nm_csv_opts copts = {0};
    copts.threads = o->threads;
    nm_csv *csv = NULL;
    NM_TRY(nm_csv_open(path, &copts, &csv, err));
    uint32_t n = nm_csv_ncols(csv);
    const char **names = calloc(n + 1, sizeof *names);
    if (!names) {
        nm_csv_close(csv);
        return nm_err_set(err, NM_E_NOMEM, "%s: out of memory", path);
    }
    for (uint32_t i = 0; i < n; i++) names[i] = nm_csv_colname(csv, i);
    nm_nppes_kind kind = nm_nppes_detect(names, n);
    colmap map;
    memset(&map, 0, sizeof map);
    worker w;
    memset(&w, 0, sizeof w);
    w.file = file;
    nm_diag_init(&w.diag);
    int rc = 0;
    const char *shown = nm_csv_path(csv);
    switch (kind) {
    case NM_NPPES_MAIN:
        rc = colmap_build(&map, shown, names, n, main_cols, sizeof main_cols / sizeof main_cols[0], 1, err);
        if (!rc) rc = ingest_main(csv, &map, file, o->threads, b, diag, rows, err);
        break;
    case NM_NPPES_PL:
    case NM_NPPES_OTHERNAME:
        rc = kind == NM_NPPES_PL ? colmap_build(&map, shown, names, n, pl_cols, sizeof pl_cols / sizeof pl_cols[0], 0, err)
                                 : colmap_build(&map, shown, names, n, on_cols, sizeof on_cols / sizeof on_cols[0], 0, err);
        if (!rc) rc = ingest_items(csv, &map, kind, &w, b, rows, err);
        break;
    case NM_NPPES_DEACT:
        rc = ingest_deact(csv, find_name(names, n, "NPI"), find_deact_date(names, n), &w, b, rows, err);
        break;
    case NM_NPPES_ENDPOINT:
        /* endpoints (FHIR/Direct addresses) carry nothing the registry keeps
         * (see nppes-format notes: "notoriously unreliable") */
        rc = nm_err_set(err, NM_E_FORMAT, "%s:1: an endpoint_pfile: not used by the registry, leave it out", shown);
        break;
    default: {
        int npi_col = -1, date_col = -1;
        rc = find_deact_header(csv, &npi_col, &date_col, err);
        if (rc == 1) rc = ingest_deact(csv, npi_col, date_col, &w, b, rows, err);
        else if (rc == 0)
            rc = nm_err_set(err, NM_E_FORMAT,
                            "%s:1: not an NPPES file (header matches no main, othername, pl or deactivation file)",
                            shown);
    }
    }
    if (rc > 0) rc = 0;
    if (rc == NM_E_NOMEM && err && !err->msg[0]) nm_err_set(err, rc, "%s: out of memory", shown);
    nm_diag_merge(diag, &w.diag);
    nm_buf_free(&w.scratch);
    *bytes += nm_csv_bytes_read(csv);
    colmap_free(&map);
    free(names);
    nm_csv_close(csv);
    return rc;
}

int nm_registry_build(const char *const *paths, size_t npaths, const nm_index_opts *opts, nm_registry **out,
                      nm_index_stats *stats, nm_err *err) {
    nm_index_opts o = {0};
    if (opts) o = *opts;
    if (out) *out = NULL;
    if (stats) memset(stats, 0, sizeof *stats);
    if (!out || (!paths && npaths)) return nm_err_set(err, NM_E_ARG, "nm_registry_build: invalid argument");
    if (!npaths) return nm_err_set(err, NM_E_ARG, "no input files");
    if (npaths > UINT16_MAX) return nm_err_set(err, NM_E_ARG, "too many input files (max %u)", UINT16_MAX);
    nm_diag *diag = malloc(sizeof *diag);
    nm_regb *b = malloc(sizeof *b);
    if (!diag || !b) {
        free(diag), free(b);
        return nm_err_set(err, NM_E_NOMEM, "out of memory");
    }
    nm_diag_init(diag);
    nm_regb_init(b);
    b->threads = o.threads;
    uint64_t rows = 0, bytes = 0;
    int rc = 0;
    for (size_t i = 0; i < npaths && !rc; i++) rc = ingest_file(paths[i], (uint16_t)i, &o, b, diag, &rows, &bytes, err);
    nm_registry *r = NULL;
    if (!rc) {
        unknown_ctx u = {diag};
        rc = nm_regb_finish(b, &r, on_unknown_npi, &u);
        if (rc) nm_err_set(err, rc, "building the registry: %s", nm_strerror(rc));
    }
    if (stats) {
        stats->rows_read = rows;
        stats->rows_skipped = diag->rows_skipped;
        stats->fields_nulled = diag->fields_nulled;
        stats->bytes_read = bytes;
        stats->providers_updated = b->providers_updated;
    }
    if (!rc && !o.quiet) {
        const char **shown = malloc(npaths * sizeof *shown);
        if (shown) {
            for (size_t i = 0; i < npaths; i++) shown[i] = strcmp(paths[i], "-") ? paths[i] : "<stdin>";
            nm_diag_print(diag, shown, o.report ? o.report : stderr);
            free(shown);
        }
    }
    if (!rc && o.strict && nm_diag_total(diag)) {
        rc = nm_err_set(err, NM_E_BADROWS, "%llu problem(s) in the input (strict mode): registry not built",
                        (unsigned long long)nm_diag_total(diag));
        nm_registry_free(r);
        r = NULL;
    }
    nm_regb_free(b);
    free(b);
    free(diag);
    if (!rc) *out = r;
    return rc;
}
