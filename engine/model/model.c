/* Model files: load and validate (schema in include/npimatch/model.h); writing is in model_save.c.
 *
 * Validation is strict and every message names the JSON path and the
 * line:column of the offending value, because model files are edited by
 * hand: "unknown key" catches typos that would otherwise silently fall back
 * to defaults. */
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "common/data.h"
#include "common/error_internal.h"
#include "common/io.h"
#include "common/json.h"
#include "model/model_internal.h"

/* ------------------------------------------------------------ vocabularies */

static const char *const field_type_names[NM_FIELD_TYPE_COUNT] = {
    "name", "given_name", "surname", "date", "address", "postal_code", "phone", "email", "identifier", "text"};

static const char *const normalizer_names[NM_NORM_COUNT] = {
    "none", "text", "name", "given_name", "surname", "address", "zip", "phone", "email", "date", "digits", "upper"};

/* The normalizer a field of each type gets when the model names none. */
static const uint8_t default_normalizer[NM_FIELD_TYPE_COUNT] = {
    NM_NORM_NAME, NM_NORM_GIVEN_NAME, NM_NORM_SURNAME, NM_NORM_DATE, NM_NORM_ADDRESS,
    NM_NORM_ZIP, NM_NORM_PHONE, NM_NORM_EMAIL, NM_NORM_UPPER, NM_NORM_TEXT};

enum { P_NONE, P_GE_PCT, P_LE_INT, P_PAREN_INT };
static const struct { const char *name; uint8_t param; } predicates[NM_PRED_COUNT] = {
    [NM_PRED_NULL] = {"null", P_NONE},
    [NM_PRED_EXACT] = {"exact", P_NONE},
    [NM_PRED_NICKNAME] = {"nickname", P_NONE},
    [NM_PRED_JW] = {"jw", P_GE_PCT},
    [NM_PRED_JARO] = {"jaro", P_GE_PCT},
    [NM_PRED_LEVENSHTEIN] = {"levenshtein", P_LE_INT},
    [NM_PRED_OSA] = {"osa", P_LE_INT},
    [NM_PRED_SOUNDEX] = {"soundex", P_NONE},
    [NM_PRED_NYSIIS] = {"nysiis", P_NONE},
    [NM_PRED_DMETAPHONE] = {"dmetaphone", P_NONE},
    [NM_PRED_DATE_TRANSPOSED] = {"date_transposed", P_NONE},
    [NM_PRED_DATE_ONE_DIGIT_OFF] = {"date_one_digit_off", P_NONE},
    [NM_PRED_DATE_SAME_YEAR_MONTH] = {"date_same_year_month", P_NONE},
    [NM_PRED_DATE_WITHIN_DAYS] = {"date_within_days", P_PAREN_INT},
    [NM_PRED_ZIP5] = {"zip5", P_NONE},
    [NM_PRED_ZIP3] = {"zip3", P_NONE},
    [NM_PRED_DISTANCE_KM] = {"distance_km", P_LE_INT},
    [NM_PRED_TOKEN_JACCARD] = {"token_jaccard", P_GE_PCT},
    [NM_PRED_INITIAL] = {"initial", P_NONE},
    [NM_PRED_SWAPPED] = {"swapped", P_NONE},
    [NM_PRED_ELSE] = {"else", P_NONE},
    [NM_PRED_SWAPPED_JW] = {"swapped_jw", P_GE_PCT},
};

static const char *const key_fn_names[NM_KEY_FN_COUNT] = {
    "value", "initial", "prefix", "soundex", "nysiis", "dmetaphone", "nickname", "zip5", "zip3", "tokens", "year", "digits",
    "set", "orgname", "ends", "absent"};

const char *nm_field_type_name(nm_field_type t) {
    return (unsigned)t < NM_FIELD_TYPE_COUNT ? field_type_names[t] : "?";
}
const char *nm_predicate_name(nm_predicate p) { return (unsigned)p < NM_PRED_COUNT ? predicates[p].name : "?"; }
const char *nm_key_fn_name(nm_key_fn f) { return (unsigned)f < NM_KEY_FN_COUNT ? key_fn_names[f] : "?"; }

static int lookup(const char *const *names, int n, const char *s) {
    for (int i = 0; i < n; i++)
        if (strcmp(names[i], s) == 0) return i;
    return -1;
}

/* ------------------------------------------------------- parse context */

typedef struct ctx {
    const char *file;
    nm_err *err;
    nm_model *m;
    char path[256];
    size_t plen;
} ctx;

/* Path helpers: push returns the previous length to restore with pop. */
static size_t push_key(ctx *c, const char *key) {
    size_t old = c->plen;
    int n = snprintf(c->path + c->plen, sizeof c->path - c->plen, "%s%s", c->plen ? "." : "", key);
    if (n > 0) c->plen = NM_MIN(sizeof c->path - 1, c->plen + (size_t)n);
    return old;
}
static size_t push_index(ctx *c, size_t i) {
    size_t old = c->plen;
    int n = snprintf(c->path + c->plen, sizeof c->path - c->plen, "[%zu]", i);
    if (n > 0) c->plen = NM_MIN(sizeof c->path - 1, c->plen + (size_t)n);
    return old;
}
static void pop(ctx *c, size_t old) {
    c->plen = old;
    c->path[old] = 0;
}

__attribute__((format(printf, 4, 5))) static int fail(ctx *c, int code, const nm_json *at, const char *fmt, ...) {
    char reason[300];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(reason, sizeof reason, fmt, ap);
    va_end(ap);
    return nm_err_set(c->err, code, "%s:%u:%u: %s: %s", c->file, at ? at->line : 0, at ? at->col : 0,
                      c->plen ? c->path : "(top level)", reason);
}

/* fail() at member `key` of `obj`, with the key appended to the path. */
__attribute__((format(printf, 4, 5))) static int fail_key(ctx *c, const nm_json *obj, const char *key, const char *fmt, ...) {
    char reason[300];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(reason, sizeof reason, fmt, ap);
    va_end(ap);
    size_t o = push_key(c, key);
    int rc = fail(c, NM_E_MODEL, nm_json_get(obj, key), "%s", reason);
    pop(c, o);
    return rc;
}

/* Refuse members not in `allowed` (NULL-terminated). */
static int check_keys(ctx *c, const nm_json *obj, const char *const *allowed) {
    for (const nm_json *k = obj->u.kids.first; k; k = k->next) {
        int ok = 0;
        for (const char *const *a = allowed; *a && !ok; a++) ok = strlen(*a) == k->key_len && !memcmp(*a, k->key, k->key_len);
        if (!ok) {
            size_t o = push_key(c, k->key);
            int rc = fail(c, NM_E_MODEL, k, "unknown key");
            pop(c, o);
            return rc;
        }
    }
    return 0;
}

/* Member `key` of the expected type; *out NULL when absent and optional. */
static int member(ctx *c, const nm_json *obj, const char *key, nm_json_type t, int required, nm_json **out) {
    nm_json *v = nm_json_get(obj, key);
    *out = v;
    if (!v) {
        if (!required) return 0;
        return fail(c, NM_E_MODEL, obj, "missing required key \"%s\"", key);
    }
    if (v->type != t)
        return fail_key(c, obj, key, "expected %s, found %s", nm_json_type_name(t), nm_json_type_name(v->type));
    return 0;
}

static int str_member(ctx *c, const nm_json *obj, const char *key, int required, const char **out) {
    nm_json *v;
    NM_TRY(member(c, obj, key, NM_JSON_STRING, required, &v));
    *out = NULL;
    if (!v) return 0;
    if (v->u.str.len == 0 || strlen(v->u.str.s) != v->u.str.len)
        return fail_key(c, obj, key, "must be a non-empty string");
    *out = nm_arena_strndup(&c->m->arena, v->u.str.s, v->u.str.len);
    return *out ? 0 : NM_E_NOMEM;
}

/* Number in [lo, hi] (open at lo when lo_open, at hi when hi_open). */
static int num_member(ctx *c, const nm_json *obj, const char *key, int required, double lo, int lo_open, double hi,
                      int hi_open, double *out) {
    nm_json *v;
    NM_TRY(member(c, obj, key, NM_JSON_NUMBER, required, &v));
    if (!v) return 0;
    double x = v->u.number;
    if (x < lo || x > hi || (lo_open && x == lo) || (hi_open && x == hi))
        return fail_key(c, obj, key, "must be in %c%g, %g%c", lo_open ? '(' : '[', lo, hi, hi_open ? ')' : ']');
    *out = x;
    return 0;
}

static int name_ok(const char *s) {
    /* Names appear in explanations ("name=label:+1.0;..."), so the separators
     * of that form are not allowed in them. */
    for (; *s; s++)
        if (*s == '=' || *s == ':' || *s == ';' || *s == ',' || *s == '"' || (unsigned char)*s < 0x20) return 0;
    return 1;
}

static int named(ctx *c, const nm_json *obj, const char *key, const char **out) {
    NM_TRY(str_member(c, obj, key, 1, out));
    if (!name_ok(*out)) return fail_key(c, obj, key, "must not contain '=', ':', ';', ',' or quotes");
    return 0;
}

static int find_field(const nm_model *m, const char *name, size_t len) {
    for (size_t i = 0; i < m->n_fields; i++)
        if (strlen(m->fields[i].name) == len && memcmp(m->fields[i].name, name, len) == 0) return (int)i;
    return -1;
}

/* ---------------------------------------------------------------- fields */

static int parse_field(ctx *c, const nm_json *o, nm_field *f) {
    static const char *const keys[] = {"name", "type", "column", "normalizers", NULL};
    const char *type;
    NM_TRY(check_keys(c, o, keys));
    NM_TRY(named(c, o, "name", &f->name));
    if (find_field(c->m, f->name, strlen(f->name)) >= 0)
        return fail_key(c, o, "name", "duplicate field name \"%s\"", f->name);
    NM_TRY(str_member(c, o, "type", 1, &type));
    int t = lookup(field_type_names, NM_FIELD_TYPE_COUNT, type);
    if (t < 0) return fail_key(c, o, "type", "unknown field type \"%s\"", type);
    f->type = (nm_field_type)t;
    NM_TRY(str_member(c, o, "column", 0, &f->column));
    if (!f->column) f->column = f->name;
    nm_json *norms;
    NM_TRY(member(c, o, "normalizers", NM_JSON_ARRAY, 0, &norms));
    if (!norms) {
        f->n_normalizers = 1;
        f->normalizers[0] = default_normalizer[t];
        return 0;
    }
    size_t s = push_key(c, "normalizers");
    if (nm_json_len(norms) > NM_MAX_NORMALIZERS)
        return fail(c, NM_E_MODEL, norms, "at most %d normalizers", NM_MAX_NORMALIZERS);
    size_t i = 0;
    for (nm_json *k = norms->u.kids.first; k; k = k->next, i++) {
        size_t s2 = push_index(c, i);
        int id = k->type == NM_JSON_STRING ? lookup(normalizer_names, NM_NORM_COUNT, k->u.str.s) : -1;
        if (id < 0) return fail(c, NM_E_MODEL, k, "unknown normalizer");
        f->normalizers[f->n_normalizers++] = (uint8_t)id;
        pop(c, s2);
    }
    pop(c, s);
    return 0;
}

/* ------------------------------------------------------------ predicates */

static int parse_uint(const char *s, int32_t max, int32_t *out) {
    if (!*s) return -1;
    int64_t v = 0;
    for (; *s; s++) {
        if (*s < '0' || *s > '9') return -1;
        v = v * 10 + (*s - '0');
        if (v > max) return -1;
    }
    *out = (int32_t)v;
    return 0;
}

/* "jw>=92", "levenshtein<=2", "date_within_days(30)", "exact" ... */
static int parse_predicate(const char *s, uint8_t *pred, int32_t *param) {
    for (int p = 0; p < NM_PRED_COUNT; p++) {
        size_t n = strlen(predicates[p].name);
        if (strncmp(s, predicates[p].name, n) != 0) continue;
        const char *r = s + n;
        *pred = (uint8_t)p;
        *param = 0;
        switch (predicates[p].param) {
        case P_NONE:
            if (*r == 0) return 0;
            break;
        case P_GE_PCT:
            if (r[0] == '>' && r[1] == '=' && !parse_uint(r + 2, 100, param) && *param >= 1) return 0;
            break;
        case P_LE_INT:
            if (r[0] == '<' && r[1] == '=' && !parse_uint(r + 2, 100000, param)) return 0;
            break;
        case P_PAREN_INT: {
            size_t rl = strlen(r);
            if (rl >= 3 && r[0] == '(' && r[rl - 1] == ')') {
                char tmp[16];
                if (rl - 2 >= sizeof tmp) break;
                memcpy(tmp, r + 1, rl - 2);
                tmp[rl - 2] = 0;
                if (!parse_uint(tmp, 100000, param)) return 0;
            }
            break;
        }
        }
        /* "jaro" is a prefix of nothing else, but keep looking in case a
         * longer name (date_*) shares a prefix with a shorter one. */
    }
    return -1;
}

static int is_name_type(nm_field_type t) {
    return t == NM_FIELD_NAME || t == NM_FIELD_GIVEN_NAME || t == NM_FIELD_SURNAME;
}

/* Which field types a predicate makes sense on; NULL when it does. */
static const char *predicate_type_error(uint8_t pred, uint8_t only, const nm_comparison *cmp, const nm_field *fields) {
    for (int i = 0; i < cmp->n_fields; i++) {
        if (only != NM_ALL_FIELDS && only != i) continue;
        nm_field_type t = fields[cmp->fields[i]].type;
        switch (pred) {
        case NM_PRED_DATE_TRANSPOSED: case NM_PRED_DATE_ONE_DIGIT_OFF:
        case NM_PRED_DATE_SAME_YEAR_MONTH: case NM_PRED_DATE_WITHIN_DAYS:
            if (t != NM_FIELD_DATE) return "date predicate on a field that is not of type date";
            break;
        case NM_PRED_ZIP5: case NM_PRED_ZIP3: case NM_PRED_DISTANCE_KM:
            if (t != NM_FIELD_POSTAL_CODE) return "ZIP predicate on a field that is not of type postal_code";
            break;
        case NM_PRED_NICKNAME: case NM_PRED_SOUNDEX: case NM_PRED_NYSIIS: case NM_PRED_DMETAPHONE:
        case NM_PRED_INITIAL:
            if (!is_name_type(t)) return "name predicate on a field that is not a name";
            break;
        default: break;
        }
    }
    if ((pred == NM_PRED_SWAPPED || pred == NM_PRED_SWAPPED_JW) && (cmp->n_fields != 2 || only != NM_ALL_FIELDS))
        return "swapped needs a comparison over two fields (and no \"field\")";
    return NULL;
}

/* ----------------------------------------------------------- comparisons */

static int parse_level(ctx *c, const nm_json *o, nm_comparison *cmp, size_t li, size_t nl) {
    static const char *const keys[] = {"label", "predicate", "field", "m", "u", "tf", "tf_weight", "weight", NULL};
    nm_level *lv = &cmp->levels[li];
    const char *pred, *fname;
    NM_TRY(check_keys(c, o, keys));
    lv->field = NM_ALL_FIELDS;
    NM_TRY(str_member(c, o, "field", 0, &fname));
    if (fname) {
        for (int k = 0; k < cmp->n_fields; k++)
            if (!strcmp(c->m->fields[cmp->fields[k]].name, fname)) lv->field = (uint8_t)k;
        if (lv->field == NM_ALL_FIELDS || cmp->n_fields < 2)
            return fail_key(c, o, "field", "must name one of the fields of a two-field comparison");
    }
    NM_TRY(named(c, o, "label", &lv->label));
    for (size_t j = 0; j < li; j++)
        if (strcmp(cmp->levels[j].label, lv->label) == 0)
            return fail_key(c, o, "label", "duplicate level label \"%s\"", lv->label);
    NM_TRY(str_member(c, o, "predicate", 1, &pred));
    nm_json *pj = nm_json_get(o, "predicate");
    size_t s = push_key(c, "predicate");
    if (parse_predicate(pred, &lv->predicate, &lv->param))
        return fail(c, NM_E_MODEL, pj, "unknown predicate \"%s\" (or bad parameter)", pred);
    const char *te = predicate_type_error(lv->predicate, lv->field, cmp, c->m->fields);
    if (te) return fail(c, NM_E_MODEL, pj, "%s", te);
    if (lv->predicate == NM_PRED_ELSE && li != nl - 1) return fail(c, NM_E_MODEL, pj, "\"else\" must be the last level");
    if (li == nl - 1 && lv->predicate != NM_PRED_ELSE) return fail(c, NM_E_MODEL, pj, "the last level must be \"else\"");
    if (lv->predicate == NM_PRED_NULL && li != 0) return fail(c, NM_E_MODEL, pj, "\"null\" must be the first level");
    pop(c, s);
    lv->tf_weight = 1;
    if (lv->predicate == NM_PRED_NULL) {
        /* Null is Bayes factor 1 by definition (Splink): m/u would be ignored. */
        static const char *const none[] = {"m", "u", "tf", "tf_weight"};
        for (int k = 0; k < 4; k++)
            if (nm_json_get(o, none[k]))
                return fail(c, NM_E_MODEL, nm_json_get(o, none[k]), "the null level has weight 0: \"%s\" is not allowed", none[k]);
        lv->m = lv->u = 1;
        cmp->null_level = (uint8_t)li;
        return 0;
    }
    NM_TRY(num_member(c, o, "m", 1, 0, 1, 1, 0, &lv->m));
    NM_TRY(num_member(c, o, "u", 1, 0, 1, 1, 0, &lv->u));
    nm_json *tf;
    NM_TRY(member(c, o, "tf", NM_JSON_BOOL, 0, &tf));
    lv->tf = tf && tf->u.boolean;
    if (lv->tf && lv->predicate == NM_PRED_ELSE)
        return fail(c, NM_E_MODEL, tf, "term-frequency adjustment on the \"else\" level");
    NM_TRY(num_member(c, o, "tf_weight", 0, 0, 0, 1, 0, &lv->tf_weight));
    nm_json *w;
    NM_TRY(member(c, o, "weight", NM_JSON_NUMBER, 0, &w));   /* derived; ignored */
    return 0;
}

static int parse_comparison(ctx *c, const nm_json *o, nm_comparison *cmp) {
    static const char *const keys[] = {"name", "fields", "levels", "tf_minimum_u", NULL};
    NM_TRY(check_keys(c, o, keys));
    NM_TRY(named(c, o, "name", &cmp->name));
    nm_json *fl, *lv;
    NM_TRY(member(c, o, "fields", NM_JSON_ARRAY, 1, &fl));
    size_t s = push_key(c, "fields");
    if (nm_json_len(fl) < 1 || nm_json_len(fl) > 2) return fail(c, NM_E_MODEL, fl, "one or two fields expected");
    size_t i = 0;
    for (nm_json *k = fl->u.kids.first; k; k = k->next, i++) {
        size_t s2 = push_index(c, i);
        int fi = k->type == NM_JSON_STRING ? find_field(c->m, k->u.str.s, k->u.str.len) : -1;
        if (fi < 0) return fail(c, NM_E_MODEL, k, "not a field of the model");
        cmp->fields[cmp->n_fields++] = (uint16_t)fi;
        pop(c, s2);
    }
    pop(c, s);
    cmp->tf_minimum_u = 1e-5;
    NM_TRY(num_member(c, o, "tf_minimum_u", 0, 0, 1, 1, 0, &cmp->tf_minimum_u));
    NM_TRY(member(c, o, "levels", NM_JSON_ARRAY, 1, &lv));
    s = push_key(c, "levels");
    size_t nl = nm_json_len(lv);
    if (nl < 2 || nl > NM_MAX_LEVELS) return fail(c, NM_E_MODEL, lv, "2 to %d levels expected", NM_MAX_LEVELS);
    cmp->n_levels = (uint8_t)nl;
    cmp->null_level = NM_NO_LEVEL;
    i = 0;
    for (nm_json *k = lv->u.kids.first; k; k = k->next, i++) {
        size_t s2 = push_index(c, i);
        if (k->type != NM_JSON_OBJECT) return fail(c, NM_E_MODEL, k, "expected object");
        NM_TRY(parse_level(c, k, cmp, i, nl));
        pop(c, s2);
    }
    pop(c, s);
    return 0;
}

/* -------------------------------------------------------- blocking rules */

static int parse_key_expr(ctx *c, const nm_json *at, const char *expr, nm_blocking_rule *r) {
    const char *p = expr;
    for (;;) {
        const char *e = strchr(p, '+');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        while (n && *p == ' ') p++, n--;
        while (n && p[n - 1] == ' ') n--;
        if (!n) return fail(c, NM_E_MODEL, at, "empty key term");
        if (r->n_terms >= NM_MAX_KEY_TERMS) return fail(c, NM_E_MODEL, at, "at most %d key terms", NM_MAX_KEY_TERMS);
        nm_key_term *t = &r->terms[r->n_terms++];
        const char *fname = p;
        size_t flen = n;
        t->fn = NM_KEY_VALUE;
        const char *open = memchr(p, '(', n);
        if (open) {
            if (p[n - 1] != ')') return fail(c, NM_E_MODEL, at, "key term \"%.*s\": missing ')'", (int)n, p);
            char fn[32];
            size_t fl = (size_t)(open - p);
            if (fl == 0 || fl >= sizeof fn) return fail(c, NM_E_MODEL, at, "key term \"%.*s\": bad function", (int)n, p);
            memcpy(fn, p, fl);
            fn[fl] = 0;
            int id = lookup(key_fn_names, NM_KEY_FN_COUNT, fn);
            if (id < 0 && fl == 7 && !strncmp(fn, "prefix", 6) && fn[6] >= '1' && fn[6] <= '9') {
                id = NM_KEY_PREFIX;
                t->param = (uint8_t)(fn[6] - '0');
            }
            if (id < 0 || (id == NM_KEY_PREFIX && !t->param))
                return fail(c, NM_E_MODEL, at, "unknown key function \"%s\"", fn);
            t->fn = (uint8_t)id;
            fname = open + 1;
            flen = (size_t)(p + n - 1 - fname);
        }
        int fi = find_field(c->m, fname, flen);
        if (fi < 0) return fail(c, NM_E_MODEL, at, "\"%.*s\" is not a field of the model", (int)flen, fname);
        t->field = (uint16_t)fi;
        nm_field_type ft = c->m->fields[fi].type;
        if (t->fn == NM_KEY_YEAR && ft != NM_FIELD_DATE)
            return fail(c, NM_E_MODEL, at, "year() needs a date field");
        if ((t->fn == NM_KEY_ZIP5 || t->fn == NM_KEY_ZIP3) && ft != NM_FIELD_POSTAL_CODE)
            return fail(c, NM_E_MODEL, at, "zip5()/zip3() need a postal_code field");
        if ((t->fn == NM_KEY_NICKNAME || t->fn == NM_KEY_SOUNDEX || t->fn == NM_KEY_NYSIIS ||
             t->fn == NM_KEY_DMETAPHONE) && !is_name_type(ft))
            return fail(c, NM_E_MODEL, at, "%s() needs a name field", key_fn_names[t->fn]);
        if (!e) break;
        p = e + 1;
    }
    /* absent() alone would send every record lacking the field to every indexed record. */
    int keyed = 0;
    for (int t = 0; t < r->n_terms; t++) keyed |= r->terms[t].fn != NM_KEY_ABSENT;
    if (!keyed) return fail(c, NM_E_MODEL, at, "absent() needs a key term beside it");
    /* EM holds fixed every comparison that reads a field the rule blocks on. */
    for (size_t ci = 0; ci < c->m->n_comparisons; ci++)
        for (int k = 0; k < c->m->comparisons[ci].n_fields; k++)
            for (int t = 0; t < r->n_terms; t++)
                if (r->terms[t].field == c->m->comparisons[ci].fields[k] && r->terms[t].fn != NM_KEY_ABSENT)
                    r->comparisons |= 1ull << ci;   /* absent(): the pair need not agree on that field */
    return 0;
}

/* The "name" of a rule, distinct from the names of the `nprev` rules before
 * it (structs of `stride` bytes whose first member is the name). */
_Static_assert(offsetof(nm_rule, name) == 0 && offsetof(nm_blocking_rule, name) == 0, "name first");
static int unique_name(ctx *c, const nm_json *o, const char **out, const void *prev, size_t stride, size_t nprev) {
    NM_TRY(named(c, o, "name", out));
    for (size_t i = 0; i < nprev; i++)
        if (!strcmp(*(const char *const *)((const char *)prev + i * stride), *out))
            return fail_key(c, o, "name", "duplicate rule name \"%s\"", *out);
    return 0;
}

static int parse_blocking(ctx *c, const nm_json *o, nm_blocking_rule *r, const nm_blocking_rule *prev, size_t nprev) {
    static const char *const keys[] = {"name", "keys", NULL};
    NM_TRY(check_keys(c, o, keys));
    NM_TRY(unique_name(c, o, &r->name, prev, sizeof *prev, nprev));
    NM_TRY(str_member(c, o, "keys", 1, &r->keys));
    size_t s = push_key(c, "keys");
    NM_TRY(parse_key_expr(c, nm_json_get(o, "keys"), r->keys, r));
    pop(c, s);
    return 0;
}

/* ------------------------------------------------------ level-set rules */

static int parse_condition(ctx *c, const nm_json *o, nm_condition *cond) {
    static const char *const keys[] = {"comparison", "levels", "at_least", NULL};
    const char *cname, *atl;
    NM_TRY(check_keys(c, o, keys));
    NM_TRY(str_member(c, o, "comparison", 1, &cname));
    int ci = nm_model_comparison_index(c->m, cname);
    if (ci < 0) return fail_key(c, o, "comparison", "unknown comparison \"%s\"", cname);
    cond->comparison = (uint16_t)ci;
    const nm_comparison *cmp = &c->m->comparisons[ci];
    nm_json *lv;
    NM_TRY(member(c, o, "levels", NM_JSON_ARRAY, 0, &lv));
    NM_TRY(str_member(c, o, "at_least", 0, &atl));
    if (!lv == !atl) return fail(c, NM_E_MODEL, o, "exactly one of \"levels\" and \"at_least\" expected");
    if (atl) {
        int li = nm_model_level_index(c->m, (size_t)ci, atl);
        if (li < 0 || li == cmp->null_level)
            return fail_key(c, o, "at_least", "no non-null level \"%s\" in comparison \"%s\"", atl, cname);
        for (int l = 0; l <= li; l++)
            if (l != cmp->null_level) cond->levels |= (uint16_t)(1u << l);
        return 0;
    }
    size_t s = push_key(c, "levels"), i = 0;
    if (!nm_json_len(lv)) return fail(c, NM_E_MODEL, lv, "empty level list");
    for (nm_json *k = lv->u.kids.first; k; k = k->next, i++) {
        int li = k->type == NM_JSON_STRING ? nm_model_level_index(c->m, (size_t)ci, k->u.str.s) : -1;
        if (li < 0) {
            push_index(c, i);
            return fail(c, NM_E_MODEL, k, "not a level of comparison \"%s\"", cname);
        }
        cond->levels |= (uint16_t)(1u << li);
    }
    pop(c, s);
    return 0;
}

static int parse_rule(ctx *c, const nm_json *o, nm_rule *r, const nm_rule *prev, size_t nprev) {
    static const char *const keys[] = {"name", "conditions", NULL};
    NM_TRY(check_keys(c, o, keys));
    NM_TRY(unique_name(c, o, &r->name, prev, sizeof *prev, nprev));
    nm_json *cl;
    NM_TRY(member(c, o, "conditions", NM_JSON_ARRAY, 1, &cl));
    size_t s = push_key(c, "conditions"), i = 0;
    if (nm_json_len(cl) < 1 || nm_json_len(cl) > NM_MAX_CONDITIONS)
        return fail(c, NM_E_MODEL, cl, "1 to %d conditions expected", NM_MAX_CONDITIONS);
    for (nm_json *k = cl->u.kids.first; k; k = k->next, i++) {
        size_t s2 = push_index(c, i);
        if (k->type != NM_JSON_OBJECT) return fail(c, NM_E_MODEL, k, "expected object");
        NM_TRY(parse_condition(c, k, &r->conditions[r->n_conditions++]));
        pop(c, s2);
    }
    pop(c, s);
    return 0;
}

/* ------------------------------------------------------------ top level */

/* Parse array member `key` of objects with `fn`, into arena array *out. */
#define PARSE_LIST(c, root, key, required, T, out, nout, max, ...)                                      \
    do {                                                                                                \
        nm_json *arr_;                                                                                  \
        NM_TRY(member((c), (root), (key), NM_JSON_ARRAY, (required), &arr_));                           \
        size_t n_ = nm_json_len(arr_), s_ = push_key((c), (key)), i_ = 0;                               \
        if (n_ > (max)) return fail((c), NM_E_MODEL, arr_, "at most %d entries", (int)(max));           \
        if ((required) && n_ == 0) return fail((c), NM_E_MODEL, arr_, "must not be empty");             \
        *(out) = n_ ? nm_arena_alloc(&(c)->m->arena, n_ * sizeof(T)) : NULL;                            \
        if (n_ && !*(out)) return NM_E_NOMEM;                                                           \
        if (n_) memset(*(out), 0, n_ * sizeof(T));                                                      \
        for (nm_json *k_ = arr_ ? arr_->u.kids.first : NULL; k_; k_ = k_->next, i_++) {                  \
            size_t s2_ = push_index((c), i_);                                                           \
            if (k_->type != NM_JSON_OBJECT) return fail((c), NM_E_MODEL, k_, "expected object");        \
            NM_TRY(__VA_ARGS__);                                                                        \
            *(nout) = i_ + 1;                                                                           \
            pop((c), s2_);                                                                              \
        }                                                                                               \
        pop((c), s_);                                                                                   \
    } while (0)

static int parse_thresholds(ctx *c, const nm_json *root) {
    nm_model *m = c->m;
    nm_thresholds *t = &m->thresholds;
    t->match_probability = 0.9;
    t->review_probability = 0.5;
    t->ambiguity_gap_bits = 2;
    t->link_probability = 0.95;
    nm_json *th, *cl;
    NM_TRY(member(c, root, "thresholds", NM_JSON_OBJECT, 0, &th));
    if (th) {
        static const char *const keys[] = {"match_probability", "review_probability", "ambiguity_gap_bits", NULL};
        size_t s = push_key(c, "thresholds");
        NM_TRY(check_keys(c, th, keys));
        NM_TRY(num_member(c, th, "match_probability", 0, 0, 1, 1, 1, &t->match_probability));
        NM_TRY(num_member(c, th, "review_probability", 0, 0, 1, 1, 1, &t->review_probability));
        NM_TRY(num_member(c, th, "ambiguity_gap_bits", 0, 0, 0, 1000, 0, &t->ambiguity_gap_bits));
        if (t->review_probability > t->match_probability)
            return fail(c, NM_E_MODEL, th, "review_probability is above match_probability");
        pop(c, s);
    }
    NM_TRY(member(c, root, "clustering", NM_JSON_OBJECT, 0, &cl));
    if (cl) {
        static const char *const keys[] = {"link_probability", "guards", NULL};
        size_t s = push_key(c, "clustering");
        NM_TRY(check_keys(c, cl, keys));
        NM_TRY(num_member(c, cl, "link_probability", 0, 0, 1, 1, 1, &t->link_probability));
        nm_rule *g = NULL;
        PARSE_LIST(c, cl, "guards", 0, nm_rule, &g, &t->n_guards, 256, parse_rule(c, k_, &g[i_], g, i_));
        t->guards = g;
        pop(c, s);
    }
    return 0;
}

static int parse_root(ctx *c, const nm_json *root) {
    static const char *const keys[] = {"npimatch_model_version", "name", "description", "link_type", "id_column",
                                       "probability_two_random_records_match", "fields", "comparisons",
                                       "blocking_rules", "training_blocking_rules", "deterministic_rules",
                                       "thresholds", "clustering", NULL};
    nm_model *m = c->m;
    if (root->type != NM_JSON_OBJECT) return fail(c, NM_E_MODEL, root, "a model is a JSON object");
    nm_json *ver;
    NM_TRY(member(c, root, "npimatch_model_version", NM_JSON_NUMBER, 1, &ver));
    if (ver->u.number != NM_MODEL_VERSION) {
        push_key(c, "npimatch_model_version");
        return fail(c, NM_E_VERSION, ver, "unsupported model version %g (this build reads version %d)",
                    ver->u.number, NM_MODEL_VERSION);
    }
    NM_TRY(check_keys(c, root, keys));
    NM_TRY(str_member(c, root, "name", 0, &m->name));
    if (!m->name) m->name = "model";
    NM_TRY(str_member(c, root, "description", 0, &m->description));
    const char *lt;
    NM_TRY(str_member(c, root, "link_type", 0, &lt));
    if (lt && strcmp(lt, "link_only") && strcmp(lt, "dedupe"))
        return fail_key(c, root, "link_type", "expected \"link_only\" or \"dedupe\"");
    m->dedupe = lt && !strcmp(lt, "dedupe");
    NM_TRY(str_member(c, root, "id_column", 0, &m->id_column));
    if (m->id_column && !m->id_column[0]) return fail_key(c, root, "id_column", "empty column name");
    NM_TRY(num_member(c, root, "probability_two_random_records_match", 1, 0, 1, 1, 1, &m->lambda));
    PARSE_LIST(c, root, "fields", 1, nm_field, &m->fields, &m->n_fields, NM_MAX_FIELDS,
               parse_field(c, k_, &m->fields[i_]));
    PARSE_LIST(c, root, "comparisons", 1, nm_comparison, &m->comparisons, &m->n_comparisons, NM_MAX_COMPARISONS,
               parse_comparison(c, k_, &m->comparisons[i_]));
    for (size_t i = 1; i < m->n_comparisons; i++)
        for (size_t j = 0; j < i; j++)
            if (!strcmp(m->comparisons[i].name, m->comparisons[j].name)) {
                c->plen = 0;
                push_key(c, "comparisons");
                push_index(c, i);
                return fail(c, NM_E_MODEL, nm_json_at(nm_json_get(root, "comparisons"), i),
                            "duplicate comparison name \"%s\"", m->comparisons[i].name);
            }
    PARSE_LIST(c, root, "blocking_rules", 1, nm_blocking_rule, &m->blocking, &m->n_blocking, 256,
               parse_blocking(c, k_, &m->blocking[i_], m->blocking, i_));
    PARSE_LIST(c, root, "training_blocking_rules", 0, nm_blocking_rule, &m->training, &m->n_training, 256,
               parse_blocking(c, k_, &m->training[i_], m->training, i_));
    PARSE_LIST(c, root, "deterministic_rules", 0, nm_rule, &m->rules, &m->n_rules, 256,
               parse_rule(c, k_, &m->rules[i_], m->rules, i_));
    return parse_thresholds(c, root);
}

int nm_model_parse(const char *json, size_t len, const char *name, nm_model **out, nm_err *err) {
    *out = NULL;
    nm_model *m = calloc(1, sizeof *m);
    if (!m) return nm_err_set(err, NM_E_NOMEM, "out of memory loading a model");
    nm_arena_init(&m->arena, 16384);
    nm_arena tmp;
    nm_arena_init(&tmp, 65536);
    ctx c = {name ? name : "<model>", err, m, {0}, 0};
    nm_json *root;
    int rc = nm_json_parse(json, len, c.file, &tmp, &root, err);
    if (rc == 0) rc = parse_root(&c, root);
    if (rc == NM_E_NOMEM) nm_err_set(err, rc, "%s: out of memory", c.file);
    nm_arena_free(&tmp);
    if (rc) {
        nm_model_free(m);
        return rc;
    }
    nm_model_refresh(m);
    *out = m;
    return 0;
}

int nm_model_load(const char *path, nm_model **out, nm_err *err) {
    *out = NULL;
    if (!path) return nm_err_set(err, NM_E_ARG, "no model path");
    if (!strncmp(path, "builtin:", 8)) {
        char file[64];
        snprintf(file, sizeof file, "model_%s.json", path + 8);
        size_t len;
        const char *bytes = strlen(path + 8) < 40 ? nm_data_get(file, &len) : NULL;
        if (!bytes) return nm_err_set(err, NM_E_NOTFOUND, "%s: no such built-in model (builtin:hcp, builtin:hcp_person, builtin:patient, builtin:febrl)", path);
        return nm_model_parse(bytes, len, file, out, err);
    }
    char *buf;
    size_t len;
    NM_TRY(nm_read_all(path, &buf, &len, err));
    int rc = nm_model_parse(buf, len, path, out, err);
    free(buf);
    return rc;
}

void nm_model_free(nm_model *m) {
    if (!m) return;
    nm_arena_free(&m->arena);
    free(m);
}

/* ---------------------------------------------------------------- access */

const char *nm_model_name(const nm_model *m) { return m->name; }
int nm_model_is_dedupe(const nm_model *m) { return m->dedupe; }
const char *nm_model_id_column(const nm_model *m) { return m->id_column; }
double nm_model_lambda(const nm_model *m) { return m->lambda; }
size_t nm_model_field_count(const nm_model *m) { return m->n_fields; }
const nm_field *nm_model_field(const nm_model *m, size_t i) { return i < m->n_fields ? &m->fields[i] : NULL; }
size_t nm_model_comparison_count(const nm_model *m) { return m->n_comparisons; }
const nm_comparison *nm_model_comparison(const nm_model *m, size_t i) {
    return i < m->n_comparisons ? &m->comparisons[i] : NULL;
}
size_t nm_model_blocking_rule_count(const nm_model *m) { return m->n_blocking; }
const nm_blocking_rule *nm_model_blocking_rule(const nm_model *m, size_t i) {
    return i < m->n_blocking ? &m->blocking[i] : NULL;
}
size_t nm_model_training_rule_count(const nm_model *m) { return m->n_training; }
const nm_blocking_rule *nm_model_training_rule(const nm_model *m, size_t i) {
    return i < m->n_training ? &m->training[i] : NULL;
}
size_t nm_model_rule_count(const nm_model *m) { return m->n_rules; }
const nm_rule *nm_model_rule(const nm_model *m, size_t i) { return i < m->n_rules ? &m->rules[i] : NULL; }
const nm_thresholds *nm_model_thresholds(const nm_model *m) { return &m->thresholds; }

int nm_model_field_index(const nm_model *m, const char *name) { return find_field(m, name, strlen(name)); }

int nm_model_comparison_index(const nm_model *m, const char *name) {
    for (size_t i = 0; i < m->n_comparisons; i++)
        if (m->comparisons[i].name && !strcmp(m->comparisons[i].name, name)) return (int)i;
    return -1;
}

int nm_model_level_index(const nm_model *m, size_t comparison, const char *label) {
    if (comparison >= m->n_comparisons) return -1;
    const nm_comparison *c = &m->comparisons[comparison];
    for (int l = 0; l < c->n_levels; l++)
        if (!strcmp(c->levels[l].label, label)) return l;
    return -1;
}

int nm_model_set_mu(nm_model *m, size_t comparison, size_t level, double mprob, double uprob) {
    if (comparison >= m->n_comparisons) return NM_E_ARG;
    nm_comparison *c = &m->comparisons[comparison];
    if (level >= c->n_levels || level == c->null_level) return NM_E_ARG;
    if (!(mprob > 0 && mprob <= 1 && uprob > 0 && uprob <= 1)) return NM_E_ARG;
    c->levels[level].m = mprob;
    c->levels[level].u = uprob;
    nm_model_refresh(m);
    return 0;
}

int nm_model_set_lambda(nm_model *m, double lambda) {
    if (!(lambda > 0 && lambda < 1)) return NM_E_ARG;
    m->lambda = lambda;
    nm_model_refresh(m);
    return 0;
}

/* The predicate as written in model files: "jw>=92", "date_within_days(30)". */
void nm_predicate_text(const nm_level *l, char *buf, size_t cap) {
    const char *n = predicates[l->predicate].name;
    switch (predicates[l->predicate].param) {
    case P_GE_PCT: snprintf(buf, cap, "%s>=%d", n, (int)l->param); break;
    case P_LE_INT: snprintf(buf, cap, "%s<=%d", n, (int)l->param); break;
    case P_PAREN_INT: snprintf(buf, cap, "%s(%d)", n, (int)l->param); break;
    default: snprintf(buf, cap, "%s", n);
    }
}

const char *nm_normalizer_name(unsigned n) { return n < NM_NORM_COUNT ? normalizer_names[n] : "?"; }
