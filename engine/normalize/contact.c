/* Phone numbers, ZIP codes and e-mail addresses.
 *
 * Phones follow the North American Numbering Plan (NANP): ten digits
 * NPA-NXX-XXXX where neither the area code (NPA) nor the exchange (NXX)
 * starts with 0 or 1, and N11 codes (211..911) are service codes, not area
 * codes. A leading country code 1 ("+1", "1-") is dropped. An extension
 * ("x12", "ext 45", "EXT. 45", "#45") ends the number: only what precedes
 * it counts; so does a second number after ',', ';' or '/'.
 *
 * ZIP codes: 5 digits, optionally "-" or " " and 4 more (ZIP+4), or 9 digits
 * run together as NPPES ships them. Files that went through pandas or Excel
 * lose leading zeros (06884 -> 6884, 00501 -> 501) and may gain a float
 * suffix (".0"). Rule: a trailing ".0" is ignored; 3- and 4-digit values
 * are left-padded with zeros to 5; 7- and 8-digit values are ZIP+4 with the
 * leading zeros lost and are left-padded to 9. 6 digits, letters (Canadian
 * or other foreign postal codes) and the all-zero ZIP are rejected. A
 * malformed +4 part after a valid 5-digit ZIP is dropped, the ZIP kept. */
#include <string.h>
#include "npimatch/normalize.h"

static inline int is_digit(char c) { return c >= '0' && c <= '9'; }
static inline char lower(char c) { return (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c; }

size_t nm_normalize_phone(const char *in, size_t n, char out[11]) {
    char d[16];
    size_t nd = 0;
    if (out) out[0] = 0;
    if (!in || !out) return 0;
    for (size_t i = 0; i < n; i++) {
        char c = in[i];
        if (is_digit(c)) {
            if (nd == sizeof d) return 0;
            d[nd++] = c;
        } else if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '#' || c == ';' || c == ',') {
            /* An extension marker or a second field: the number ends here.
             * Letters before ten digits (vanity numbers "1-800-FLOWERS",
             * "N/A") leave too few digits and are rejected below. */
            break;
        }
        else if (c == '/' && nd >= 10) {
            break; /* "308-865-2512 / 308-865-2513": the first number */
        }
        /* spaces, '+', '(', ')', '-', '.', '/' are punctuation */
    }
    const char *p = d;
    if (nd == 11 && d[0] == '1') {
        p++;
        nd--;
    }
    if (nd != 10) return 0;
    if (p[0] < '2' || p[3] < '2') return 0;       /* NPA and NXX start with 2-9 */
    if (p[1] == '1' && p[2] == '1') return 0;      /* N11 service codes */
    memcpy(out, p, 10);
    out[10] = 0;
    return 10;
}

size_t nm_normalize_zip(const char *in, size_t n, char zip5[6], char plus4[5]) {
    char d[10];
    size_t nd = 0, n5 = 0; /* n5: digits before a '-' or ' ' separator, if any */
    int sep = 0;
    if (zip5) zip5[0] = 0;
    if (plus4) plus4[0] = 0;
    if (!in || !zip5 || !plus4) return 0;
    while (n > 0 && (in[n - 1] == ' ' || in[n - 1] == '\t' || in[n - 1] == '\r')) n--;
    if (n >= 2 && in[n - 2] == '.' && in[n - 1] == '0') n -= 2; /* pandas float */
    size_t i = 0;
    while (i < n && (in[i] == ' ' || in[i] == '\t')) i++;
    for (; i < n; i++) {
        char c = in[i];
        if (is_digit(c)) {
            if (nd == sizeof d) return 0;
            d[nd++] = c;
        } else if ((c == '-' || c == ' ') && !sep && nd > 0) {
            sep = 1;
            n5 = nd;
        } else {
            return 0;
        }
    }
    char z[10];
    size_t nz;
    if (sep) {
        /* "6884-2944": pad the first part only; a bad +4 is dropped. */
        if (n5 < 3 || n5 > 5) return 0;
        memset(z, '0', 5 - n5);
        memcpy(z + 5 - n5, d, n5);
        nz = 5;
        if (nd - n5 == 4) {
            memcpy(z + 5, d + n5, 4);
            nz = 9;
        }
    } else if (nd == 3 || nd == 4 || nd == 5) {
        memset(z, '0', 5 - nd);
        memcpy(z + 5 - nd, d, nd);
        nz = 5;
    } else if (nd == 7 || nd == 8 || nd == 9) {
        memset(z, '0', 9 - nd);
        memcpy(z + 9 - nd, d, nd);
        nz = 9;
    } else {
        return 0;
    }
    if (!memcmp(z, "00000", 5)) return 0;
    memcpy(zip5, z, 5);
    zip5[5] = 0;
    if (nz == 9) {
        memcpy(plus4, z + 5, 4);
        plus4[4] = 0;
    }
    return 5;
}

size_t nm_normalize_email(const char *in, size_t n, char *out, size_t cap) {
    if (out && cap) out[0] = 0;
    if (!in || !out || cap == 0) return 0;
    size_t b = 0, e = n;
    while (b < e && (in[b] == ' ' || in[b] == '\t' || in[b] == '<' || in[b] == '"')) b++;
    while (e > b && (in[e - 1] == ' ' || in[e - 1] == '\t' || in[e - 1] == '\r' || in[e - 1] == '\n' ||
                     in[e - 1] == '>' || in[e - 1] == '"'))
        e--;
    if (e - b >= 7 && !strncmp(in + b, "mailto:", 7)) b += 7;
    else if (e - b >= 7 && !strncmp(in + b, "MAILTO:", 7)) b += 7;
    size_t at = (size_t)-1, len = e - b;
    if (len + 1 > cap) return 0; /* a truncated address is a different address */
    for (size_t i = 0; i < len; i++) {
        char c = in[b + i];
        if (c == '@') {
            if (at != (size_t)-1) return 0;
            at = i;
        } else if ((unsigned char)c <= ' ' || c == ',' || c == ';') {
            return 0;
        }
        out[i] = lower(c);
    }
    if (at == (size_t)-1 || at == 0 || at + 1 == len) {
        out[0] = 0;
        return 0;
    }
    out[len] = 0;
    return len;
}
