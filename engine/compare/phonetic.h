/* Internal: phonetic encoder entry points for tests. */
#ifndef NM_COMPARE_PHONETIC_H
#define NM_COMPARE_PHONETIC_H

#include <stddef.h>

/* nm_nysiis with the path forced: force_stream = 1 reads the letters straight
 * from the input (the path names longer than the stack buffer take), so tests
 * can hold it equal to the buffered path on short names. */
size_t nm_nysiis_impl(const char *s, size_t n, int max_len, char *out, size_t cap, int force_stream);

/* nm_double_metaphone with rules_only = 1 running every position through
 * the published rules (no table-driven fast path), so tests can hold the
 * fast path equal to the rules on any input. */
size_t nm_double_metaphone_impl(const char *s, size_t n, char primary[5], char alternate[5], int rules_only);

#endif
