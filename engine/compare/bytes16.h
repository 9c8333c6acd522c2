/* Internal: the bytes of a short string (1..16 bytes) as two 64-bit halves,
 * built in registers from overlapping loads that stay inside [s, s + len)
 * (the usual short-copy trick), for the phonetic encoders' vector copies.
 * Bytes past len are zero. A vector loaded from byte-wise stores instead
 * would stall on store forwarding; a loop over the bytes would cost a
 * mispredicted exit per name. */
#ifndef NM_COMPARE_BYTES16_H
#define NM_COMPARE_BYTES16_H

#include <stdint.h>
#include <string.h>

static inline void nm_bytes16(const char *s, size_t len, uint64_t *lo_out, uint64_t *hi_out) {
    uint64_t lo, hi = 0;
    if (len >= 8) {
        uint64_t b;
        memcpy(&lo, s, 8);
        memcpy(&b, s + len - 8, 8);
        unsigned sh = 8u * (unsigned)(16 - len); /* 0..64 */
        hi = sh < 64 ? b >> sh : 0;
    } else if (len >= 4) {
        uint32_t a, b;
        memcpy(&a, s, 4);
        memcpy(&b, s + len - 4, 4);
        lo = (uint64_t)a | (uint64_t)b << (8 * (len - 4));
    } else {
        lo = (uint64_t)(unsigned char)s[0] | (uint64_t)(unsigned char)s[len / 2] << (8 * (len / 2)) |
             (uint64_t)(unsigned char)s[len - 1] << (8 * (len - 1));
    }
    *lo_out = lo;
    *hi_out = hi;
}

#endif
