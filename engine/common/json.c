/* Strict JSON parser and deterministic writer (see json.h). Grammar per
 * RFC 8259 sections 2-8; one recursive-descent pass over the bytes. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "common/error_internal.h"
#include "common/json.h"

typedef struct jp {
    const char *p, *end, *line_start;
    uint32_t line;
    const char *name;
    nm_arena *a;
    nm_err *err;
    int depth;
} jp;

static int jp_fail_at(jp *s, const char *at, const char *fmt, const char *arg) {
    /* Position of `at`: count from the current line start (at is never
     * before it: failures are reported at or after the current line). */
    uint32_t col = (uint32_t)(at - s->line_start) + 1;
    char reason[200];
    snprintf(reason, sizeof reason, fmt, arg ? arg : "");
    return nm_err_set(s->err, NM_E_FORMAT, "%s:%u:%u: %s", s->name, s->line, col, reason);
}
#define FAIL(s, fmt) jp_fail_at((s), (s)->p, (fmt), NULL)

static void skip_ws(jp *s) {
    while (s->p < s->end) {
        char c = *s->p;
        if (c == '\n') {
            s->line++;
            s->line_start = ++s->p;
        } else if (c == ' ' || c == '\t' || c == '\r') {
            s->p++;
        } else {
            break;
        }
    }
}

static nm_json *node(jp *s, nm_json_type t) {
    nm_json *v = nm_json_new(s->a, t);
    if (v) {
        v->line = s->line;
        v->col = (uint32_t)(s->p - s->line_start) + 1;
    }
    return v;
}

static int hex4(const char *p, uint32_t *out) {
    uint32_t v = 0;
    for (int i = 0; i < 4; i++) {
        char c = p[i];
        v <<= 4;
        if (c >= '0' && c <= '9') v |= (uint32_t)(c - '0');
        else if (c >= 'a' && c <= 'f') v |= (uint32_t)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F') v |= (uint32_t)(c - 'A' + 10);
        else return -1;
    }
    *out = v;
    return 0;
}

static size_t put_utf8(char *o, uint32_t cp) {
    if (cp < 0x80) { o[0] = (char)cp; return 1; }
    if (cp < 0x800) { o[0] = (char)(0xC0 | (cp >> 6)); o[1] = (char)(0x80 | (cp & 0x3F)); return 2; }
    if (cp < 0x10000) {
        o[0] = (char)(0xE0 | (cp >> 12)); o[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        o[2] = (char)(0x80 | (cp & 0x3F)); return 3;
    }
    o[0] = (char)(0xF0 | (cp >> 18)); o[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    o[2] = (char)(0x80 | ((cp >> 6) & 0x3F)); o[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* Length of a valid UTF-8 sequence starting at p (RFC 3629: no overlongs,
 * no surrogates, <= U+10FFFF), or 0 when invalid. */
static size_t utf8_len(const unsigned char *p, const unsigned char *end) {
    unsigned c = p[0];
    size_t n;
    uint32_t min, cp;
    if (c < 0x80) return 1;
    if ((c & 0xE0) == 0xC0) { n = 2; cp = c & 0x1F; min = 0x80; }
    else if ((c & 0xF0) == 0xE0) { n = 3; cp = c & 0x0F; min = 0x800; }
    else if ((c & 0xF8) == 0xF0) { n = 4; cp = c & 0x07; min = 0x10000; }
    else return 0;
    if ((size_t)(end - p) < n) return 0;
    for (size_t i = 1; i < n; i++) {
        if ((p[i] & 0xC0) != 0x80) return 0;
        cp = (cp << 6) | (p[i] & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
    return n;
}

/* s->p at the opening quote. Decoded output is never longer than the input. */
static int parse_string(jp *s, const char **out, size_t *out_len) {
    const char *q = ++s->p;
    /* first pass: find the closing quote to size the buffer */
    const char *e = q;
    while (e < s->end && *e != '"') e += (*e == '\\' && e + 1 < s->end) ? 2 : 1;
    if (e >= s->end) return jp_fail_at(s, q - 1, "unterminated string%s", NULL);
    char *buf = nm_arena_alloc(s->a, (size_t)(e - q) + 1);
    if (!buf) return nm_err_set(s->err, NM_E_NOMEM, "out of memory parsing %s", s->name);
    size_t n = 0;
    while (s->p < e) {
        unsigned char c = (unsigned char)*s->p;
        if (c < 0x20) return FAIL(s, "control character in string (must be escaped)");
        if (c == '\\') {
            char x = s->p[1];
            const char *esc = s->p;
            s->p += 2;
            switch (x) {
            case '"': buf[n++] = '"'; break;
            case '\\': buf[n++] = '\\'; break;
            case '/': buf[n++] = '/'; break;
            case 'b': buf[n++] = '\b'; break;
            case 'f': buf[n++] = '\f'; break;
            case 'n': buf[n++] = '\n'; break;
            case 'r': buf[n++] = '\r'; break;
            case 't': buf[n++] = '\t'; break;
            case 'u': {
                uint32_t cp, lo;
                if (e - s->p < 4 || hex4(s->p, &cp)) return jp_fail_at(s, esc, "invalid \\u escape%s", NULL);
                s->p += 4;
                if (cp >= 0xDC00 && cp <= 0xDFFF) return jp_fail_at(s, esc, "lone low surrogate%s", NULL);
                if (cp >= 0xD800 && cp <= 0xDBFF) {
                    if (e - s->p < 6 || s->p[0] != '\\' || s->p[1] != 'u' || hex4(s->p + 2, &lo) ||
                        lo < 0xDC00 || lo > 0xDFFF)
                        return jp_fail_at(s, esc, "high surrogate without low surrogate%s", NULL);
                    s->p += 6;
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                }
                n += put_utf8(buf + n, cp);
                break;
            }
            default: return jp_fail_at(s, esc, "invalid escape sequence%s", NULL);
            }
        } else if (c < 0x80) {
            buf[n++] = (char)c;
            s->p++;
        } else {
            size_t k = utf8_len((const unsigned char *)s->p, (const unsigned char *)e);
            if (!k) return FAIL(s, "invalid UTF-8 in string");
            memcpy(buf + n, s->p, k);
            n += k;
            s->p += k;
        }
    }
    buf[n] = 0;
    s->p = e + 1;
    *out = buf;
    *out_len = n;
    return 0;
}

static int parse_number(jp *s, nm_json *v) {
    const char *b = s->p, *p = s->p;
    if (p < s->end && *p == '-') p++;
    if (p >= s->end || *p < '0' || *p > '9') return jp_fail_at(s, p, "invalid number%s", NULL);
    if (*p == '0') {
        p++;
        if (p < s->end && *p >= '0' && *p <= '9') return jp_fail_at(s, b, "leading zero in number%s", NULL);
    } else {
        while (p < s->end && *p >= '0' && *p <= '9') p++;
    }
    if (p < s->end && *p == '.') {
        p++;
        if (p >= s->end || *p < '0' || *p > '9') return jp_fail_at(s, p, "digit expected after '.'%s", NULL);
        while (p < s->end && *p >= '0' && *p <= '9') p++;
    }
    if (p < s->end && (*p == 'e' || *p == 'E')) {
        p++;
        if (p < s->end && (*p == '+' || *p == '-')) p++;
        if (p >= s->end || *p < '0' || *p > '9') return jp_fail_at(s, p, "digit expected in exponent%s", NULL);
        while (p < s->end && *p >= '0' && *p <= '9') p++;
    }
    size_t len = (size_t)(p - b);
    char small[64], *tmp = small;
    if (len >= sizeof small) {
        tmp = nm_arena_alloc(s->a, len + 1);
        if (!tmp) return nm_err_set(s->err, NM_E_NOMEM, "out of memory parsing %s", s->name);
    }
    memcpy(tmp, b, len);
    tmp[len] = 0;
    double x = strtod(tmp, NULL);
    if (!isfinite(x)) return jp_fail_at(s, b, "number out of range%s", NULL);
    v->u.number = x;
    s->p = p;
    return 0;
}

static int parse_value(jp *s, nm_json **out);

static int expect_lit(jp *s, const char *lit) {
    size_t n = strlen(lit);
    if ((size_t)(s->end - s->p) < n || memcmp(s->p, lit, n) != 0) return FAIL(s, "invalid literal");
    s->p += n;
    return 0;
}

#define DUP_LINEAR_MAX 32

static int key_order(const void *a, const void *b) {
    const nm_json *x = *(const nm_json *const *)a, *y = *(const nm_json *const *)b;
    size_t n = NM_MIN(x->key_len, y->key_len);
    int c = memcmp(x->key, y->key, n);
    if (c) return c;
    if (x->key_len != y->key_len) return x->key_len < y->key_len ? -1 : 1;
    /* equal keys: by position, so the later occurrence is reported */
    if (x->key_line != y->key_line) return x->key_line < y->key_line ? -1 : 1;
    return (x->key_col > y->key_col) - (x->key_col < y->key_col);
}

/* Duplicate keys of a large object, found by sorting; reports the
 * earliest-positioned second occurrence. */
static int check_duplicates(jp *s, const nm_json *v) {
    size_t n = v->u.kids.n, i = 0;
    const nm_json **k = nm_arena_alloc(s->a, n * sizeof *k);
    if (!k) return nm_err_set(s->err, NM_E_NOMEM, "out of memory parsing %s", s->name);
    for (const nm_json *c = v->u.kids.first; c; c = c->next) k[i++] = c;
    qsort(k, n, sizeof *k, key_order);
    const nm_json *dup = NULL;
    for (i = 1; i < n; i++)
        if (k[i]->key_len == k[i - 1]->key_len && !memcmp(k[i]->key, k[i - 1]->key, k[i]->key_len) &&
            (!dup || k[i]->key_line < dup->key_line || (k[i]->key_line == dup->key_line && k[i]->key_col < dup->key_col)))
            dup = k[i];
    if (!dup) return 0;
    char key[64];
    snprintf(key, sizeof key, "%.*s", (int)NM_MIN(dup->key_len, 60), dup->key);
    return nm_err_set(s->err, NM_E_FORMAT, "%s:%u:%u: duplicate key \"%s\"", s->name, dup->key_line, dup->key_col, key);
}

static int parse_container(jp *s, nm_json *v, int is_obj) {
    char close = is_obj ? '}' : ']';
    if (++s->depth > NM_JSON_MAX_DEPTH) return FAIL(s, "nesting too deep");
    s->p++;
    skip_ws(s);
    if (s->p < s->end && *s->p == close) {
        s->p++;
        s->depth--;
        return 0;
    }
    for (;;) {
        const char *key = NULL;
        size_t key_len = 0;
        uint32_t key_line = 0, key_col = 0;
        if (is_obj) {
            skip_ws(s);
            if (s->p >= s->end) return FAIL(s, "unexpected end of input in object");
            if (*s->p != '"') return FAIL(s, "expected string key");
            const char *kpos = s->p;
            NM_TRY(parse_string(s, &key, &key_len));
            /* Small objects: check at once. Large ones are checked when they
             * close, by sorting (no quadratic cost on hostile input). */
            if (v->u.kids.n < DUP_LINEAR_MAX)
                for (nm_json *k = v->u.kids.first; k; k = k->next)
                    if (k->key_len == key_len && memcmp(k->key, key, key_len) == 0)
                        return jp_fail_at(s, kpos, "duplicate key \"%s\"", key);
            key_line = s->line;   /* a key holds no raw newline */
            key_col = (uint32_t)(kpos - s->line_start) + 1;
            skip_ws(s);
            if (s->p >= s->end || *s->p != ':') return FAIL(s, "expected ':'");
            s->p++;
        }
        skip_ws(s);
        nm_json *kid;
        NM_TRY(parse_value(s, &kid));
        kid->key = key;
        kid->key_len = key_len;
        kid->key_line = key_line;
        kid->key_col = key_col;
        if (v->u.kids.last) v->u.kids.last->next = kid;
        else v->u.kids.first = kid;
        v->u.kids.last = kid;
        v->u.kids.n++;
        skip_ws(s);
        if (s->p >= s->end) return FAIL(s, is_obj ? "unexpected end of input in object" : "unexpected end of input in array");
        if (*s->p == ',') {
            s->p++;
            skip_ws(s);
            if (s->p < s->end && *s->p == close) return FAIL(s, "trailing comma");
            continue;
        }
        if (*s->p == close) {
            s->p++;
            s->depth--;
            return is_obj && v->u.kids.n > DUP_LINEAR_MAX ? check_duplicates(s, v) : 0;
        }
        return FAIL(s, is_obj ? "expected ',' or '}'" : "expected ',' or ']'");
    }
}

static int parse_value(jp *s, nm_json **out) {
    skip_ws(s);
    if (s->p >= s->end) return FAIL(s, "unexpected end of input");
    nm_json *v;
    char c = *s->p;
    switch (c) {
    case '{': case '[': v = node(s, c == '{' ? NM_JSON_OBJECT : NM_JSON_ARRAY); break;
    case '"': v = node(s, NM_JSON_STRING); break;
    case 't': case 'f': v = node(s, NM_JSON_BOOL); break;
    case 'n': v = node(s, NM_JSON_NULL); break;
    default:
        if (c == '-' || (c >= '0' && c <= '9')) {
            v = node(s, NM_JSON_NUMBER);
            break;
        }
        return FAIL(s, "unexpected character");
    }
    if (!v) return nm_err_set(s->err, NM_E_NOMEM, "out of memory parsing %s", s->name);
    switch (v->type) {
    case NM_JSON_OBJECT: NM_TRY(parse_container(s, v, 1)); break;
    case NM_JSON_ARRAY: NM_TRY(parse_container(s, v, 0)); break;
    case NM_JSON_STRING: NM_TRY(parse_string(s, &v->u.str.s, &v->u.str.len)); break;
    case NM_JSON_BOOL:
        v->u.boolean = c == 't';
        NM_TRY(expect_lit(s, c == 't' ? "true" : "false"));
        break;
    case NM_JSON_NULL: NM_TRY(expect_lit(s, "null")); break;
    case NM_JSON_NUMBER: NM_TRY(parse_number(s, v)); break;
    }
    *out = v;
    return 0;
}

int nm_json_parse(const char *text, size_t len, const char *name, nm_arena *arena, nm_json **out,
                  nm_err *err) {
    *out = NULL;
    jp s = {text, text + len, text, 1, name ? name : "<json>", arena, err, 0};
    /* A UTF-8 byte-order mark is tolerated (RFC 8259 section 8.1 allows parsers to ignore it). */
    if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0) s.p += 3, s.line_start = s.p;
    nm_json *v;
    NM_TRY(parse_value(&s, &v));
    skip_ws(&s);
    if (s.p != s.end) return FAIL(&s, "unexpected content after the JSON value");
    *out = v;
    return 0;
}

nm_json *nm_json_get(const nm_json *obj, const char *key) {
    if (!obj || obj->type != NM_JSON_OBJECT) return NULL;
    size_t n = strlen(key);
    for (nm_json *k = obj->u.kids.first; k; k = k->next)
        if (k->key_len == n && memcmp(k->key, key, n) == 0) return k;
    return NULL;
}

nm_json *nm_json_at(const nm_json *arr, size_t i) {
    if (!arr || (arr->type != NM_JSON_ARRAY && arr->type != NM_JSON_OBJECT)) return NULL;
    nm_json *k = arr->u.kids.first;
    while (k && i--) k = k->next;
    return k;
}

const char *nm_json_type_name(nm_json_type t) {
    static const char *names[] = {"null", "boolean", "number", "string", "array", "object"};
    return (unsigned)t < 6 ? names[t] : "?";
}

/* ---------------------------------------------------------------- builders */

nm_json *nm_json_new(nm_arena *a, nm_json_type t) {
    nm_json *v = nm_arena_alloc(a, sizeof *v);
    if (v) {
        memset(v, 0, sizeof *v);
        v->type = t;
    }
    return v;
}

nm_json *nm_json_new_number(nm_arena *a, double x) {
    nm_json *v = nm_json_new(a, NM_JSON_NUMBER);
    if (v) v->u.number = x;
    return v;
}

nm_json *nm_json_new_string(nm_arena *a, const char *str) {
    nm_json *v = nm_json_new(a, NM_JSON_STRING);
    if (!v) return NULL;
    v->u.str.len = strlen(str);
    v->u.str.s = nm_arena_strndup(a, str, v->u.str.len);
    return v->u.str.s ? v : NULL;
}

nm_json *nm_json_new_bool(nm_arena *a, int b) {
    nm_json *v = nm_json_new(a, NM_JSON_BOOL);
    if (v) v->u.boolean = !!b;
    return v;
}

int nm_json_push(nm_arena *a, nm_json *arr, nm_json *v) {
    (void)a;
    if (!v) return NM_E_NOMEM;
    if (!arr || (arr->type != NM_JSON_ARRAY && arr->type != NM_JSON_OBJECT)) return NM_E_ARG;
    v->next = NULL;
    if (arr->u.kids.last) arr->u.kids.last->next = v;
    else arr->u.kids.first = v;
    arr->u.kids.last = v;
    arr->u.kids.n++;
    return 0;
}

int nm_json_put(nm_arena *a, nm_json *obj, const char *key, nm_json *v) {
    if (!v) return NM_E_NOMEM;
    if (!obj || obj->type != NM_JSON_OBJECT) return NM_E_ARG;
    v->key_len = strlen(key);
    v->key = nm_arena_strndup(a, key, v->key_len);
    if (!v->key) return NM_E_NOMEM;
    return nm_json_push(a, obj, v);
}

/* ------------------------------------------------------------------ writer */

size_t nm_json_format_number(double x, char buf[32]) {
    /* Shortest round-trip: the first precision whose text parses back to the
     * same double (17 significant digits always suffice for binary64). */
    if (x == 0) { /* also maps -0 to 0: JSON readers disagree on "-0" */
        memcpy(buf, "0", 2);
        return 1;
    }
    /* Whole numbers (counts in reports) as plain integers: "10000", not "1e+04". */
    /* Range first: converting an out-of-range double to an integer is undefined (C11 6.3.1.4). */
    if (x > -1e15 && x < 1e15 && x == (double)(long long)x) return (size_t)snprintf(buf, 32, "%lld", (long long)x);
    int n = 0;
    for (int prec = 1; prec <= 17; prec++) {
        n = snprintf(buf, 32, "%.*g", prec, x);
        if (strtod(buf, NULL) == x) break;
    }
    return (size_t)n;
}

static int write_string(nm_buf *o, const char *str, size_t n) {
    NM_TRY(nm_buf_putc(o, '"'));
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)str[i];
        if (c == '"' || c == '\\') {
            char e[2] = {'\\', (char)c};
            NM_TRY(nm_buf_append(o, e, 2));
        } else if (c < 0x20) {
            const char *e = c == '\n' ? "\\n" : c == '\t' ? "\\t" : c == '\r' ? "\\r" : NULL;
            if (e) NM_TRY(nm_buf_append(o, e, 2));
            else NM_TRY(nm_buf_printf(o, "\\u%04x", c));
        } else {
            NM_TRY(nm_buf_putc(o, (char)c));
        }
    }
    return nm_buf_putc(o, '"');
}

static int write_value(const nm_json *v, nm_buf *o, int indent, int inline_form);

/* Containers of scalars, or of containers of scalars, may go on one line. */
static int inlinable(const nm_json *v, int depth) {
    for (const nm_json *k = v->u.kids.first; k; k = k->next)
        if ((k->type == NM_JSON_ARRAY || k->type == NM_JSON_OBJECT) && (depth == 0 || !inlinable(k, depth - 1)))
            return 0;
    return 1;
}

static int write_members(const nm_json *v, nm_buf *o, int indent, int inline_form) {
    int obj = v->type == NM_JSON_OBJECT;
    NM_TRY(nm_buf_putc(o, obj ? '{' : '['));
    for (const nm_json *k = v->u.kids.first; k; k = k->next) {
        if (inline_form) {
            if (k != v->u.kids.first) NM_TRY(nm_buf_append(o, ", ", 2));
        } else {
            if (k != v->u.kids.first) NM_TRY(nm_buf_putc(o, ','));
            NM_TRY(nm_buf_printf(o, "\n%*s", indent + 2, ""));
        }
        if (obj) {
            NM_TRY(write_string(o, k->key, k->key_len));
            NM_TRY(nm_buf_append(o, ": ", 2));
        }
        NM_TRY(write_value(k, o, indent + 2, inline_form));
    }
    if (!inline_form && v->u.kids.n) NM_TRY(nm_buf_printf(o, "\n%*s", indent, ""));
    return nm_buf_putc(o, obj ? '}' : ']');
}

static int write_value(const nm_json *v, nm_buf *o, int indent, int inline_form) {
    char num[32];
    switch (v->type) {
    case NM_JSON_NULL: return nm_buf_append(o, "null", 4);
    case NM_JSON_BOOL: return v->u.boolean ? nm_buf_append(o, "true", 4) : nm_buf_append(o, "false", 5);
    case NM_JSON_NUMBER:
        if (!isfinite(v->u.number)) return NM_E_ARG;
        return nm_buf_append(o, num, nm_json_format_number(v->u.number, num));
    case NM_JSON_STRING: return write_string(o, v->u.str.s, v->u.str.len);
    case NM_JSON_ARRAY:
    case NM_JSON_OBJECT:
        if (inline_form) return write_members(v, o, indent, 1);
        if (v->u.kids.n && inlinable(v, 1)) {
            /* Try the one-line form; keep it when the line fits in 120 columns. */
            size_t mark = o->len, line_start = mark;
            while (line_start > 0 && o->data[line_start - 1] != '\n') line_start--;
            NM_TRY(write_members(v, o, indent, 1));
            if (o->len - line_start <= 120) return 0;
            o->len = mark;
            o->data[mark] = 0;
        }
        return write_members(v, o, indent, 0);
    }
    return NM_E_ARG;
}

int nm_json_write(const nm_json *v, nm_buf *out) {
    NM_TRY(write_value(v, out, 0, 0));
    return nm_buf_putc(out, '\n');
}
