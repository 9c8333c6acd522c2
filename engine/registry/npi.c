/* NPI check digit and NPPES date parsing. */
#include <stdint.h>
#include "registry/registry_internal.h"

/* CMS "Requirements for NPI Check Digit": Luhn mod 10 over the 9-digit base
 * as if prefixed by 80840 (80 = health, 840 = USA); the prefix contributes a
 * constant 24 to the sum. Double every other digit starting from the
 * rightmost base digit. NPIs start with 1 or 2. */
int nm_npi_valid(const char *s, size_t n) {
    if (!s || n != 10 || (s[0] != '1' && s[0] != '2')) return 0;
    int sum = 24;
    for (int i = 0; i < 10; i++)
        if (s[i] < '0' || s[i] > '9') return 0;
    for (int i = 8; i >= 0; i--) {
        int d = s[i] - '0';
        if ((8 - i) % 2 == 0) {
            d *= 2;
            if (d > 9) d -= 9;
        }
        sum += d;
    }
    return (10 - sum % 10) % 10 == s[9] - '0';
}

uint32_t nm_npi_parse(const char *s, size_t n) {
    if (!nm_npi_valid(s, n)) return 0;
    uint32_t v = 0;
    for (int i = 0; i < 10; i++) v = v * 10 + (uint32_t)(s[i] - '0');
    return v;
}

/* NPPES dates are MM/DD/YYYY (Readme section 1.1). Spreadsheet exports of
 * the deactivation report drop leading zeros (3/5/2024), so one-digit month
 * and day are accepted too. A date that names no calendar day (02/30, month
 * 13, year 0) is impossible; leap years follow the Gregorian rule. */
static int two_digits(const char **p, const char *end, char stop, int *out) {
    const char *s = *p;
    int v = 0, n = 0;
    while (s < end && *s >= '0' && *s <= '9' && n < 2) v = v * 10 + (*s++ - '0'), n++;
    if (!n || s >= end || *s != stop) return 0;
    *out = v;
    *p = s + 1;
    return 1;
}

int64_t nm_parse_date_mdy(const char *s, size_t n) {
    if (n == 0) return 0;
    const char *p = s, *end = s + n;
    int mo, dy, yr = 0;
    if (!two_digits(&p, end, '/', &mo) || !two_digits(&p, end, '/', &dy) || end - p != 4) return -1;
    for (; p < end; p++) {
        if (*p < '0' || *p > '9') return -1;
        yr = yr * 10 + (*p - '0');
    }
    if (yr < 1 || mo < 1 || mo > 12 || dy < 1) return -1;
    static const int mdays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int leap = (yr % 4 == 0 && yr % 100 != 0) || yr % 400 == 0;
    if (dy > mdays[mo - 1] + (mo == 2 && leap)) return -1;
    return (int64_t)yr * 10000 + mo * 100 + dy;
}
