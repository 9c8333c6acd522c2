/* Data tables embedded from data/ at build time (tools/embed.c). */
#ifndef NM_DATA_H
#define NM_DATA_H

#include <stddef.h>

struct nm_data_file { const char *name; const unsigned char *bytes; size_t len; };
extern const struct nm_data_file nm_data_files[];

/* The embedded file called `name` (e.g. "nicknames.csv"): its bytes (NUL
 * terminated, static, never freed) and length; NULL if not embedded. */
const char *nm_data_get(const char *name, size_t *len);

#endif
