/* Internal: phonetic encoder entry points for tests. */
#ifndef NM_COMPARE_PHONETIC_H
#define NM_COMPARE_PHONETIC_H

#include <stddef.h>

/* nm_nysiis with the path forced: force_stream = 1 reads the letters straight
 * from the input (the path names longer than the stack buffer take), so tests
 * can hold it equal to the buffered path on short names. */
size_t nm_nysiis_impl(const char *s, size_t n, int max_len, char *out, size_t cap, int force_stream);

#endif
