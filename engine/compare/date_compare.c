/* Date comparators on packed YYYYMMDD integers (0 = missing).
 *
 * Calendar: proleptic Gregorian (leap year when divisible by 4, except
 * centuries not divisible by 400), years 1..9999. A date that is not valid
 * is treated like a missing one by every predicate. Day numbers use the
 * days-from-civil construction published by Howard Hinnant ("chrono-
 * compatible low-level date algorithms"): shift the year to start in March
 * so the leap day is last, then count 400-year eras of 146097 days. */
#include "npimatch/compare.h"

static inline uint32_t d_year(uint32_t v) { return v / 10000; }
static inline uint32_t d_month(uint32_t v) { return v / 100 % 100; }
static inline uint32_t d_day(uint32_t v) { return v % 100; }

static inline int is_leap(uint32_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

static uint32_t days_in_month(uint32_t y, uint32_t m) {
    static const unsigned char dim[13] = {0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && is_leap(y) ? 29 : dim[m];
}

int nm_date_valid(uint32_t ymd) {
    uint32_t y = d_year(ymd), m = d_month(ymd), d = d_day(ymd);
    return y >= 1 && y <= 9999 && m >= 1 && m <= 12 && d >= 1 && d <= days_in_month(y, m);
}

int nm_date_same_year_month(uint32_t a, uint32_t b) {
    return nm_date_valid(a) && nm_date_valid(b) && a / 100 == b / 100;
}

int nm_date_same_year(uint32_t a, uint32_t b) {
    return nm_date_valid(a) && nm_date_valid(b) && d_year(a) == d_year(b);
}

int nm_date_transposed(uint32_t a, uint32_t b) {
    return nm_date_valid(a) && nm_date_valid(b) && a != b && d_year(a) == d_year(b) &&
           d_month(a) == d_day(b) && d_day(a) == d_month(b);
}

int nm_date_one_digit_off(uint32_t a, uint32_t b) {
    if (!nm_date_valid(a) || !nm_date_valid(b)) return 0;
    int diff = 0;
    for (int k = 0; k < 8; k++, a /= 10, b /= 10) diff += a % 10 != b % 10;
    return diff == 1;
}

int32_t nm_date_to_days(uint32_t ymd) {
    if (!nm_date_valid(ymd)) return INT32_MIN;
    int32_t y = (int32_t)d_year(ymd), m = (int32_t)d_month(ymd), d = (int32_t)d_day(ymd);
    y -= m <= 2;                                   /* years start on March 1 */
    int32_t era = y / 400;                         /* y >= 0 here, so no floor fix needed */
    int32_t yoe = y - era * 400;                   /* [0, 399] */
    int32_t mp = (m + 9) % 12;                     /* March = 0 ... February = 11 */
    int32_t doy = (153 * mp + 2) / 5 + d - 1;      /* [0, 365] */
    int32_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;   /* [0, 146096] */
    return era * 146097 + doe - 719468;            /* 719468 = days from 0000-03-01 to 1970-01-01 */
}

int32_t nm_date_days_apart(uint32_t a, uint32_t b) {
    int32_t x = nm_date_to_days(a), y = nm_date_to_days(b);
    if (x == INT32_MIN || y == INT32_MIN) return -1;
    return x > y ? x - y : y - x;
}
