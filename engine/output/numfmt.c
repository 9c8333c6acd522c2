/* printf-identical fixed-point formatting (numfmt.h).
 *
 * printf's %.Nf prints the exact decimal value of the double rounded to N
 * decimals, ties to even (glibc, default rounding mode). x * 10^N is exact
 * in x87 extended precision (64-bit significand) for N <= 4: 10^N = 2^N *
 * 5^N and 5^4 = 625 < 2^10, so x's 53 bits times 5^N need at most 63 bits,
 * and the power of two only moves the exponent. The fraction of that exact
 * product decides the rounding exactly, ties included. */
#include "output/numfmt.h"
#include <math.h>
#include <stdio.h>
#include <string.h>

static const uint32_t P10[5] = {1, 10, 100, 1000, 10000};

size_t nm_fmt_u32(char *out, uint32_t v, int width) {
    char t[12];
    int n = 0;
    do t[n++] = (char)('0' + v % 10), v /= 10;
    while (v);
    size_t len = 0;
    for (int i = n; i < width; i++) out[len++] = '0';
    while (n) out[len++] = t[--n];
    out[len] = 0;
    return len;
}

size_t nm_fmt_fixed(char *out, double x, int prec, int plus) {
    _Static_assert(sizeof(long double) > sizeof(double), "needs x87 extended precision");
    long double p = fabsl((long double)x * (long double)P10[prec < 1 ? 1 : prec > 4 ? 4 : prec]);
    if (prec < 1 || prec > 4 || !(p < 0x1p62L)) {   /* also NaN */
        int n = snprintf(out, NM_FMT_CAP, plus ? "%+.*f" : "%.*f", prec, x);
        return n < 0 ? 0 : (size_t)n < NM_FMT_CAP ? (size_t)n : NM_FMT_CAP - 1;
    }
    long double fl = floorl(p), frac = p - fl;   /* both exact */
    uint64_t k = (uint64_t)fl;
    if (frac > 0.5L || (frac == 0.5L && (k & 1))) k++;
    size_t len = 0;
    if (signbit(x)) out[len++] = '-';   /* as printf: -0.0 and negatives rounding to 0 keep the sign */
    else if (plus) out[len++] = '+';
    uint64_t ip = k / P10[prec], fp = k % P10[prec];
    char t[24];
    int n = 0;
    do t[n++] = (char)('0' + ip % 10), ip /= 10;
    while (ip);
    while (n) out[len++] = t[--n];
    out[len++] = '.';
    for (int i = prec - 1; i >= 0; i--, fp /= 10) out[len + (size_t)i] = (char)('0' + fp % 10);
    len += (size_t)prec;
    out[len] = 0;
    return len;
}
