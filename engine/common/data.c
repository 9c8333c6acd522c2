/* Lookup of embedded data tables by file name (see data.h). */
#include <string.h>
#include "common/data.h"

const char *nm_data_get(const char *name, size_t *len) {
    for (const struct nm_data_file *f = nm_data_files; f->name; f++)
        if (!strcmp(f->name, name)) {
            if (len) *len = f->len;
            return (const char *)f->bytes;
        }
    if (len) *len = 0;
    return NULL;
}
