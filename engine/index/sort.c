/* LSD radix sorts (sort.h). Four passes of 16 bits; a pass whose digit is
 * the same for every element is skipped (common for small inputs). */
#include "index/sort.h"
#include <stdlib.h>
#include <string.h>
#include "npimatch/error.h"

#define RADIX_SORT(NAME, T, KEY)                                                  \
    int NAME(T *a, size_t n) {                                                    \
        if (n < 2) return 0;                                                      \
        T *tmp = malloc(n * sizeof *tmp);                                         \
        size_t *cnt = malloc(65536 * sizeof *cnt);                                \
        if (!tmp || !cnt) {                                                       \
            free(tmp);                                                            \
            free(cnt);                                                            \
            return NM_E_NOMEM;                                                    \
        }                                                                         \
        T *src = a, *dst = tmp;                                                   \
        for (int sh = 0; sh < 64; sh += 16) {                                     \
            memset(cnt, 0, 65536 * sizeof *cnt);                                  \
            for (size_t i = 0; i < n; i++) cnt[(KEY(src[i]) >> sh) & 0xFFFF]++;   \
            if (cnt[(KEY(src[0]) >> sh) & 0xFFFF] == n) continue;                 \
            size_t sum = 0;                                                       \
            for (size_t d = 0; d < 65536; d++) {                                  \
                size_t c = cnt[d];                                                \
                cnt[d] = sum;                                                     \
                sum += c;                                                         \
            }                                                                     \
            for (size_t i = 0; i < n; i++) dst[cnt[(KEY(src[i]) >> sh) & 0xFFFF]++] = src[i]; \
            T *x = src;                                                           \
            src = dst;                                                            \
            dst = x;                                                              \
        }                                                                         \
        if (src != a) memcpy(a, src, n * sizeof *a);                              \
        free(tmp);                                                                \
        free(cnt);                                                                \
        return 0;                                                                 \
    }

#define KEY_SELF(x) (x)
#define KEY_FIELD(x) ((x).key)
RADIX_SORT(nm_sort_u64, uint64_t, KEY_SELF)
RADIX_SORT(nm_sort_keyrow, nm_keyrow, KEY_FIELD)
