/* Internal: plain dynamic-programming edit distances, the references the
 * bit-parallel kernels in edit.c are tested against (and the path for
 * strings longer than 64 bytes). Same contract as nm_levenshtein and
 * nm_osa_distance in npimatch/compare.h; strings whose shorter side exceeds
 * NM_EDIT_STACK_LEN bytes use a malloc'ed row (NM_E_NOMEM if that fails). */
#ifndef NM_COMPARE_EDIT_H
#define NM_COMPARE_EDIT_H

#include <stddef.h>

#define NM_EDIT_STACK_LEN 512

int nm_levenshtein_dp(const char *a, size_t la, const char *b, size_t lb, int max);
int nm_osa_dp(const char *a, size_t la, const char *b, size_t lb, int max);

#endif
