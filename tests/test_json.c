/* Tests of the strict JSON parser (exact line:column errors) and the
 * deterministic writer (shortest round-trip numbers, stable layout). */
#include <criterion/criterion.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "common/json.h"

static nm_json *parse_ok(nm_arena *a, const char *s) {
    nm_json *v = NULL;
    nm_err e;
    int rc = nm_json_parse(s, strlen(s), "t.json", a, &v, &e);
    cr_assert_eq(rc, 0, "parse failed: %s", e.msg);
    return v;
}

/* Parse `s`, expect failure with exactly message `msg`. */
static void parse_bad(const char *s, const char *msg) {
    nm_arena a;
    nm_arena_init(&a, 4096);
    nm_json *v = (nm_json *)1;
    nm_err e;
    int rc = nm_json_parse(s, strlen(s), "t.json", &a, &v, &e);
    cr_assert_eq(rc, NM_E_FORMAT, "input %s: rc %d", s, rc);
    cr_assert_null(v);
    cr_assert_str_eq(e.msg, msg, "input %s", s);
    nm_arena_free(&a);
}

Test(json, parses_values_and_keeps_order) {
    nm_arena a;
    nm_arena_init(&a, 4096);
    nm_json *v = parse_ok(&a, " {\"b\": [1, -2.5e3, true, false, null], \"a\": {\"x\": \"y\"}, \"e\": {}, \"z\": []}\n");
    cr_assert_eq(v->type, NM_JSON_OBJECT);
    cr_assert_eq(nm_json_len(v), 4);
    cr_assert_str_eq(nm_json_at(v, 0)->key, "b");
    cr_assert_str_eq(nm_json_at(v, 1)->key, "a");
    nm_json *b = nm_json_get(v, "b");
    cr_assert_eq(nm_json_len(b), 5);
    cr_assert_eq(nm_json_at(b, 0)->u.number, 1.0);
    cr_assert_eq(nm_json_at(b, 1)->u.number, -2500.0);
    cr_assert_eq(nm_json_at(b, 2)->u.boolean, 1);
    cr_assert_eq(nm_json_at(b, 3)->u.boolean, 0);
    cr_assert_eq(nm_json_at(b, 4)->type, NM_JSON_NULL);
    cr_assert_null(nm_json_at(b, 5));
    cr_assert_str_eq(nm_json_get(nm_json_get(v, "a"), "x")->u.str.s, "y");
    cr_assert_null(nm_json_get(v, "missing"));
    cr_assert_eq(nm_json_len(nm_json_get(v, "e")), 0);
    /* positions are 1-based */
    cr_assert_eq(v->line, 1);
    cr_assert_eq(v->col, 2);
    cr_assert_eq(b->col, 8);
    nm_arena_free(&a);
}

Test(json, decodes_escapes_to_utf8) {
    nm_arena a;
    nm_arena_init(&a, 4096);
    nm_json *v = parse_ok(&a, "\"a\\\"b\\\\c\\/d\\n\\u00e9\\ud83d\\ude00\\u0041\"");
    const char want[] = "a\"b\\c/d\n\xC3\xA9\xF0\x9F\x98\x80" "A";
    cr_assert_eq(v->u.str.len, sizeof want - 1);
    cr_assert_eq(memcmp(v->u.str.s, want, sizeof want - 1), 0);
    /* raw UTF-8 passes through; a BOM is skipped */
    v = parse_ok(&a, "\xEF\xBB\xBF[\"Mu\xC3\xB1oz\"]");
    cr_assert_str_eq(nm_json_at(v, 0)->u.str.s, "Mu\xC3\xB1oz");
    nm_arena_free(&a);
}

Test(json, errors_name_line_and_column) {
    parse_bad("{\"a\": 1,}", "t.json:1:9: trailing comma");
    parse_bad("[1, 2,\n  03]", "t.json:2:3: leading zero in number");
    parse_bad("{\"a\" 1}", "t.json:1:6: expected ':'");
    parse_bad("{\"a\": tru}", "t.json:1:7: invalid literal");
    parse_bad("\"abc", "t.json:1:1: unterminated string");
    parse_bad("{\"a\":1,\"a\":2}", "t.json:1:8: duplicate key \"a\"");
    parse_bad("[1] x", "t.json:1:5: unexpected content after the JSON value");
    parse_bad("\"\\ud800\"", "t.json:1:2: high surrogate without low surrogate");
    parse_bad("\"\\udc00\"", "t.json:1:2: lone low surrogate");
    parse_bad("\"a\tb\"", "t.json:1:3: control character in string (must be escaped)");
    parse_bad("{\"a\":\n\n   -}", "t.json:3:5: invalid number");
    parse_bad("", "t.json:1:1: unexpected end of input");
    parse_bad("[1 2]", "t.json:1:4: expected ',' or ']'");
    parse_bad("{\"a\":1 \"b\":2}", "t.json:1:8: expected ',' or '}'");
    parse_bad("{'a':1}", "t.json:1:2: expected string key");
    parse_bad("[1.]", "t.json:1:4: digit expected after '.'");
    parse_bad("[1e+]", "t.json:1:5: digit expected in exponent");
    parse_bad("[1e999]", "t.json:1:2: number out of range");
    parse_bad("\"\\x\"", "t.json:1:2: invalid escape sequence");
    parse_bad("\"\xC3(\"", "t.json:1:2: invalid UTF-8 in string");
    parse_bad("// c\n1", "t.json:1:1: unexpected character");
    parse_bad("[1,\r\n 2,\r\n ]", "t.json:3:2: trailing comma");
    char deep[80];
    memset(deep, '[', 70);
    deep[70] = 0;
    parse_bad(deep, "t.json:1:65: nesting too deep");
}

Test(json, duplicate_keys_in_large_objects) {
    /* 40 members (checked by sorting when the object closes); "k7" repeats
     * on line 3, and "k30" at the end of line 2 */
    char text[2048] = "{";
    for (int i = 0; i < 40; i++) sprintf(text + strlen(text), "%s\"k%d\": %d", i ? ", " : "", i, i);
    strcat(text, ",\n \"k1x\": 0, \"k30\": 1,\n   \"k7\": 2}");
    parse_bad(text, "t.json:2:12: duplicate key \"k30\"");
    char ok[2048] = "{";
    for (int i = 0; i < 40; i++) sprintf(ok + strlen(ok), "%s\"k%d\":\n%d", i ? ", " : "", i, i);
    strcat(ok, "}");
    nm_arena a;
    nm_arena_init(&a, 4096);
    nm_json *v = parse_ok(&a, ok);
    cr_assert_eq(nm_json_len(v), 40);
    cr_assert_eq(nm_json_get(v, "k39")->u.number, 39.0);
    nm_arena_free(&a);
}

Test(json, shortest_numbers_round_trip) {
    char buf[32];
    struct { double x; const char *s; } cases[] = {
        {0.1, "0.1"}, {1e-7, "1e-07"}, {1.1e-7, "1.1e-07"}, {1, "1"}, {-2.5, "-2.5"},
        {0.9999899, "0.9999899"}, {123456789, "123456789"}, {1.0 / 3, "0.3333333333333333"},
        {-0.0, "0"}, {5e-324, "5e-324"}, {0.30000000000000004, "0.30000000000000004"}};
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        nm_json_format_number(cases[i].x, buf);
        cr_assert_str_eq(buf, cases[i].s);
    }
    uint64_t s = 0x9E3779B97F4A7C15ull;
    for (int i = 0; i < 20000; i++) {
        s = s * 6364136223846793005ull + 1442695040888963407ull;
        uint64_t bits = s ^ (s >> 29);
        double x;
        memcpy(&x, &bits, sizeof x);
        if (!isfinite(x)) continue;
        nm_json_format_number(x, buf);
        cr_assert_eq(strtod(buf, NULL), x == 0 ? 0.0 : x, "%s", buf);
    }
}

Test(json, writer_layout_is_fixed_and_round_trips) {
    nm_arena a;
    nm_arena_init(&a, 4096);
    nm_json *root = nm_json_new(&a, NM_JSON_OBJECT);
    cr_assert_eq(nm_json_put(&a, root, "name", nm_json_new_string(&a, "q\"\n")), 0);
    nm_json *lv = nm_json_new(&a, NM_JSON_ARRAY);
    nm_json *l0 = nm_json_new(&a, NM_JSON_OBJECT);
    nm_json_put(&a, l0, "m", nm_json_new_number(&a, 0.9));
    nm_json_put(&a, l0, "tf", nm_json_new_bool(&a, 1));
    nm_json_push(&a, lv, l0);
    nm_json_push(&a, lv, nm_json_new(&a, NM_JSON_NULL));
    nm_json_put(&a, root, "levels", lv);
    nm_json_put(&a, root, "empty", nm_json_new(&a, NM_JSON_ARRAY));
    nm_buf b = {0};
    cr_assert_eq(nm_json_write(root, &b), 0);
    cr_assert_str_eq(b.data, "{\n"
                             "  \"name\": \"q\\\"\\n\",\n"
                             "  \"levels\": [{\"m\": 0.9, \"tf\": true}, null],\n"
                             "  \"empty\": []\n"
                             "}\n");
    /* parse and write again: same bytes */
    nm_json *back = parse_ok(&a, b.data);
    nm_buf b2 = {0};
    cr_assert_eq(nm_json_write(back, &b2), 0);
    cr_assert_str_eq(b2.data, b.data);
    /* non-finite numbers are refused */
    nm_buf b3 = {0};
    cr_assert_eq(nm_json_write(nm_json_new_number(&a, NAN), &b3), NM_E_ARG);
    nm_buf_free(&b);
    nm_buf_free(&b2);
    nm_buf_free(&b3);
    nm_arena_free(&a);
}

Test(json, long_lines_break_into_blocks) {
    nm_arena a;
    nm_arena_init(&a, 4096);
    char text[400] = "[";
    for (int i = 0; i < 40; i++) strcat(text, i ? ", 1234567" : "1234567");
    strcat(text, "]");
    nm_json *v = parse_ok(&a, text);
    nm_buf b = {0};
    cr_assert_eq(nm_json_write(v, &b), 0);
    cr_assert_eq(strncmp(b.data, "[\n  1234567,\n  1234567,", 23), 0);
    nm_buf_free(&b);
    nm_arena_free(&a);
}
