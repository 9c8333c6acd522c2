/* Dates as typed in provider and patient files, to packed YYYYMMDD.
 *
 * Accepted: YYYY-MM-DD, YYYYMMDD, MM/DD/YYYY, M/D/YYYY, M/D/YY, with '/',
 * '-' or '.' as the separator (the same one twice). A trailing time of day
 * after a space or 'T' ("1985-07-04 00:00:00", "1985-07-04T00:00:00Z", as
 * pandas and spreadsheets write them) is ignored. Years outside 1800..2199
 * are rejected (sentinels such as 0001-01-01 and 9999-12-31 are not dates
 * of birth or enumeration). Gregorian calendar: February 29 only in leap
 * years (divisible by 4, except centuries not divisible by 400).
 *
 * Two-digit years pivot on the current UTC year, as the public header
 * documents: YY <= this year's last two digits means 20YY, otherwise 19YY.
 * The inputs with two-digit years are mostly birth dates, which are in the
 * past, so "7/4/85" is 1985 and "1/2/03" is 2003. */
#include <time.h>
#include "npimatch/normalize.h"

static int days_in_month(unsigned y, unsigned m) {
    static const unsigned char d[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0)) return 29;
    return d[m - 1];
}

static unsigned current_year(void) {
    time_t now = time(NULL);
    struct tm tm;
    if (!gmtime_r(&now, &tm)) return 2000;
    return (unsigned)tm.tm_year + 1900u;
}

/* Read 1..maxd digits at s[*i]; returns the digit count (0 = none). */
static int read_num(const char *s, size_t n, size_t *i, int maxd, unsigned *v) {
    int k = 0;
    *v = 0;
    while (*i < n && s[*i] >= '0' && s[*i] <= '9') {
        if (++k > maxd) return -1;
        *v = *v * 10 + (unsigned)(s[*i] - '0');
        (*i)++;
    }
    return k;
}

static int is_sep(char c) { return c == '/' || c == '-' || c == '.'; }

int nm_parse_date(const char *in, size_t n, uint32_t *ymd) {
    if (!in || !ymd) return NM_E_ARG;
    *ymd = 0;
    size_t i = 0;
    while (i < n && (in[i] == ' ' || in[i] == '\t' || in[i] == '"')) i++;
    while (n > i && (in[n - 1] == ' ' || in[n - 1] == '\t' || in[n - 1] == '\r' || in[n - 1] == '"')) n--;
    unsigned a, b, c, y, m, d;
    int ka = read_num(in, n, &i, 8, &a);
    if (ka <= 0) return NM_E_ARG;
    if (ka == 8) {
        y = a / 10000;
        m = a / 100 % 100;
        d = a % 100;
    } else {
        if (i >= n || !is_sep(in[i])) return NM_E_ARG;
        char sep = in[i++];
        int kb = read_num(in, n, &i, 2, &b);
        if (kb <= 0 || i >= n || in[i] != sep) return NM_E_ARG;
        i++;
        int kc = read_num(in, n, &i, 4, &c);
        if (kc <= 0) return NM_E_ARG;
        if (ka == 4) {                 /* YYYY-MM-DD */
            if (kc > 2) return NM_E_ARG;
            y = a, m = b, d = c;
        } else if (ka <= 2) {          /* M/D/Y */
            m = a, d = b;
            if (kc == 4) {
                y = c;
            } else if (kc == 2) {
                unsigned cy = current_year();
                y = (c <= cy % 100) ? cy - cy % 100 + c : cy - cy % 100 - 100 + c;
            } else {
                return NM_E_ARG;
            }
        } else {
            return NM_E_ARG;
        }
    }
    /* Only a time of day may follow. */
    if (i < n) {
        if (!(in[i] == ' ' || in[i] == 'T') || i + 1 >= n || in[i + 1] < '0' || in[i + 1] > '9') return NM_E_ARG;
    }
    if (y < 1800 || y > 2199 || m < 1 || m > 12 || d < 1 || (int)d > days_in_month(y, m)) return NM_E_ARG;
    *ymd = y * 10000u + m * 100u + d;
    return NM_OK;
}
