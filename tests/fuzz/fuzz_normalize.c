/* Fuzz harness: every normalizer on arbitrary bytes. Checks the output
 * contracts that must hold for any input: NUL-terminated fields within
 * their buffers, upper-case ASCII names, 10-digit phones, 5-digit ZIPs and
 * valid calendar dates. The input is split on '|' into the fields. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "npimatch.h"

#define CHECK(c) do { if (!(c)) abort(); } while (0)

static void check_text(const char *s, size_t cap) {
    size_t l = strnlen(s, cap);
    CHECK(l < cap);
    for (size_t i = 0; i < l; i++) {
        unsigned char c = (unsigned char)s[i];
        CHECK(c >= 0x20 && c < 0x7f && !(c >= 'a' && c <= 'z'));
    }
    CHECK(l == 0 || (s[0] != ' ' && s[l - 1] != ' '));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const char *f[5] = {"", "", "", "", ""};
    size_t fl[5] = {0};
    const char *p = (const char *)data;
    size_t k = 0, start = 0;
    for (size_t i = 0; i <= size && k < 5; i++)
        if (i == size || data[i] == '|') {
            f[k] = p + start;
            fl[k++] = i - start;
            start = i + 1;
        }

    char out[64];
    size_t n = nm_normalize_text(p, size, size & 1, out, sizeof out);
    CHECK(n == strlen(out));
    check_text(out, sizeof out);

    nm_person_name nm;
    nm_normalize_person_name(f[0], fl[0], f[1], fl[1], f[2], fl[2], f[3], fl[3], f[4], fl[4], &nm);
    check_text(nm.prefix, sizeof nm.prefix);
    check_text(nm.first, sizeof nm.first);
    check_text(nm.middle, sizeof nm.middle);
    check_text(nm.last, sizeof nm.last);
    check_text(nm.suffix, sizeof nm.suffix);
    check_text(nm.credentials, sizeof nm.credentials);
    if (nm_parse_full_name(p, size, &nm) == 0) CHECK(nm.first[0] || nm.last[0]);
    check_text(nm.last, sizeof nm.last);

    char parts[6][NM_NAME_CAP];
    size_t nv = nm_surname_variants(p, size, parts, 6);
    CHECK(nv <= 6);
    for (size_t i = 0; i < nv; i++) check_text(parts[i], NM_NAME_CAP);

    nm_address a;
    nm_normalize_address(f[0], fl[0], f[1], fl[1], &a);
    check_text(a.number, sizeof a.number);
    check_text(a.street, sizeof a.street);
    check_text(a.unit, sizeof a.unit);
    check_text(a.po_box, sizeof a.po_box);
    check_text(a.line, sizeof a.line);
    (void)nm_address_unit_id(a.unit);

    char ph[11], z5[6], p4[5], em[64];
    if (nm_normalize_phone(p, size, ph) == 10) CHECK(strlen(ph) == 10 && ph[0] >= '2' && ph[3] >= '2');
    if (nm_normalize_zip(p, size, z5, p4) == 5) CHECK(strlen(z5) == 5 && (!p4[0] || strlen(p4) == 4));
    if (nm_normalize_email(p, size, em, sizeof em)) CHECK(strchr(em, '@'));
    uint32_t d;
    if (nm_parse_date(p, size, &d) == 0) CHECK(d / 10000 >= 1800 && d % 100 >= 1 && d / 100 % 100 <= 12);

    uint32_t g[8];
    nm_nickname_groups(NULL, p, size, g, 8);
    nm_nickname_match(NULL, f[0], fl[0], f[1], fl[1]);
    return 0;
}
