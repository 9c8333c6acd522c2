/* Date comparators on packed YYYYMMDD: Gregorian validity, predicates,
 * day numbers (checked against known epoch days and a day-by-day walk). */
#include <criterion/criterion.h>
#include <stdint.h>
#include "npimatch.h"

Test(date, validity_gregorian_leap_rule) {
    cr_expect(nm_date_valid(19800312));
    cr_expect(nm_date_valid(20000229));    /* divisible by 400 */
    cr_expect(!nm_date_valid(19000229));   /* century, not by 400 */
    cr_expect(nm_date_valid(20240229));
    cr_expect(!nm_date_valid(20230229));
    cr_expect(!nm_date_valid(19801301));
    cr_expect(!nm_date_valid(19800001));
    cr_expect(!nm_date_valid(19800100));
    cr_expect(!nm_date_valid(19800431));
    cr_expect(nm_date_valid(19801231));
    cr_expect(!nm_date_valid(0));
    cr_expect(!nm_date_valid(101));        /* year 0 */
    cr_expect(nm_date_valid(10101));       /* 0001-01-01 */
    cr_expect(nm_date_valid(99991231));
    cr_expect(!nm_date_valid(100000101));
    cr_expect(!nm_date_valid(UINT32_MAX));
}

Test(date, predicates) {
    cr_expect(nm_date_same_year_month(19800312, 19800331));
    cr_expect(!nm_date_same_year_month(19800312, 19810312));
    cr_expect(!nm_date_same_year_month(0, 0));
    cr_expect(nm_date_same_year(19800312, 19801225));
    cr_expect(!nm_date_same_year(19800312, 0));
    cr_expect(!nm_date_same_year(19800312, 19800230));   /* invalid counts as missing */

    cr_expect(nm_date_transposed(19800304, 19800403));
    cr_expect(!nm_date_transposed(19800303, 19800303));  /* equal */
    cr_expect(!nm_date_transposed(19800304, 19810403));  /* other year */
    cr_expect(!nm_date_transposed(19800113, 19801301));  /* swap is not a date */
    cr_expect(!nm_date_transposed(19800304, 19800405));
    cr_expect(!nm_date_transposed(0, 19800403));

    cr_expect(nm_date_one_digit_off(19800312, 19800313));
    cr_expect(nm_date_one_digit_off(19800312, 19900312));
    cr_expect(nm_date_one_digit_off(10101, 20101));        /* leading zeros count as digits */
    cr_expect(!nm_date_one_digit_off(19800312, 19800312));
    cr_expect(!nm_date_one_digit_off(19800312, 19800321)); /* two digits */
    cr_expect(!nm_date_one_digit_off(19800312, 0));
}

Test(date, days_known_values) {
    cr_expect_eq(nm_date_to_days(19700101), 0);
    cr_expect_eq(nm_date_to_days(19691231), -1);
    cr_expect_eq(nm_date_to_days(20000301), 11017);
    cr_expect_eq(nm_date_to_days(20000229), 11016);
    cr_expect_eq(nm_date_to_days(10101), -719162);         /* 0001-01-01 */
    cr_expect_eq(nm_date_to_days(99991231), 2932896);
    cr_expect_eq(nm_date_to_days(20261124), 20781);   /* Python datetime: (2026-11-24 - 1970-01-01).days */
    cr_expect_eq(nm_date_to_days(20230229), INT32_MIN);
    cr_expect_eq(nm_date_to_days(0), INT32_MIN);
    cr_expect_eq(nm_date_days_apart(19800101, 19810101), 366);   /* 1980 is leap */
    cr_expect_eq(nm_date_days_apart(19810101, 19800101), 366);
    cr_expect_eq(nm_date_days_apart(19000101, 20000101), 36524);
    cr_expect_eq(nm_date_days_apart(0, 19800101), -1);
    cr_expect_eq(nm_date_days_apart(19800230, 19800101), -1);
}

/* Walk every day from 0001-01-01 to 9999-12-31: day numbers increase by one
 * and validity agrees with an independent month-length rule. */
Test(date, day_by_day_walk) {
    int32_t expect = nm_date_to_days(10101);
    uint32_t count = 0;
    for (uint32_t y = 1; y <= 9999; y++)
        for (uint32_t m = 1; m <= 12; m++) {
            uint32_t dim = m == 2 ? ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0 ? 29 : 28)
                                  : (m == 4 || m == 6 || m == 9 || m == 11 ? 30 : 31);
            for (uint32_t d = 1; d <= 31; d++) {
                uint32_t v = y * 10000 + m * 100 + d;
                if (d > dim) {
                    cr_assert(!nm_date_valid(v), "%u", v);
                    continue;
                }
                cr_assert_eq(nm_date_to_days(v), expect, "%u", v);
                expect++;
                count++;
            }
        }
    cr_expect_eq(count, 3652059u);   /* 9999 years of 365.2425 days */
}
