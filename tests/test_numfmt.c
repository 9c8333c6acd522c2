/* output/numfmt: the same text as printf's %.Nf / %+.Nf / %0Nu on random
 * doubles of every magnitude, exact decimal ties (round half to even on the
 * exact value), values just beside ties, signed zeros, negatives that round
 * to zero, huge values, NaN and infinities. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include "output/numfmt.h"

static void check(double x) {
    for (int prec = 1; prec <= 4; prec++)
        for (int plus = 0; plus < 2; plus++) {
            char want[512], got[NM_FMT_CAP];
            snprintf(want, sizeof want, plus ? "%+.*f" : "%.*f", prec, x);
            want[NM_FMT_CAP - 1] = 0;
            size_t n = nm_fmt_fixed(got, x, prec, plus);
            cr_assert_str_eq(got, want, "%a prec %d plus %d", x, prec, plus);
            cr_assert_eq(n, strlen(want));
        }
}

Test(numfmt, fixed_equals_printf) {
    uint64_t s = 1;
#define RND() (s = s * 6364136223846793005ull + 1442695040888963407ull, s >> 11)
    for (int i = 0; i < 200000; i++) {
        uint64_t r = RND();
        double x;
        switch (i % 5) {
        case 0: x = (double)(r % 2000001) / 1000.0 - 1000.0; break;                  /* near decimals */
        case 1: x = (double)((int64_t)(r % 200001) - 100000) / 16384.0; break;      /* exact binary fractions: ties */
        case 2: x = ldexp((double)(r & ((1ull << 53) - 1)), (int)(RND() % 120) - 100); break;   /* any magnitude */
        case 3: x = nextafter((double)(r % 20001) / 200.0 + 0.00005, (r & 1) ? 1e9 : -1e9); break;
        default: x = -(double)(r % 1000) * 1e-5; break;                               /* negatives near zero */
        }
        check(x);
        check(-x);
    }
#undef RND
    const double special[] = {0.0, -0.0, 0.5, 1.5, 2.5, 0.125, 0.375, 0.00005, 0.00015, 0.99995, 9.99995,
                              -0.04, -0.00001, 1e17, 4.6e18, 1e19, 1e300, -1e300, 0x1p62, 0x1p58, NAN, -NAN,
                              INFINITY, -INFINITY, 5e-324, 1.0 - 0x1p-53};
    for (size_t i = 0; i < sizeof special / sizeof *special; i++) check(special[i]);
}

Test(numfmt, u32_equals_printf) {
    const uint32_t v[] = {0, 1, 9, 10, 999999999, 1000000000, 1234567890, 4294967295u};
    for (size_t i = 0; i < sizeof v / sizeof *v; i++)
        for (int w = 0; w <= 12; w++) {
            char want[64], got[64];
            snprintf(want, sizeof want, "%0*u", w, v[i]);
            cr_assert_eq(nm_fmt_u32(got, v[i], w), strlen(want));
            cr_assert_str_eq(got, want);
        }
}
