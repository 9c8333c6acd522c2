/* npimatch lookup REGISTRY.nmx NPI...: each provider's kept fields as one
 * JSON object per line. Unknown NPIs are reported on stderr (the NPI itself
 * is an identifier, not patient data) and make the exit status 1 after the
 * others are printed. */
#include <stdlib.h>
#include <string.h>
#include "cli/cli.h"

int nm_cmd_lookup(int argc, char **argv) {
    if (argc < 3 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        fprintf(argc < 3 ? stderr : stdout, "usage: npimatch lookup REGISTRY.nmx NPI...\n");
        return argc < 3 ? NM_EXIT_USAGE : NM_EXIT_OK;
    }
    nm_err err = {0};
    nm_registry *r = NULL;
    if (nm_registry_load(argv[1], &r, &err)) {
        nm_cli_error("lookup", &err);
        return NM_EXIT_FAIL;
    }
    int status = NM_EXIT_OK;
    for (int i = 2; i < argc; i++) {
        const char *s = argv[i];
        char *end = NULL;
        unsigned long long npi = strtoull(s, &end, 10);
        int64_t row = (*s && !*end && strlen(s) <= 10) ? nm_registry_find(r, npi) : -1;
        if (row < 0) {
            fprintf(stderr, "npimatch lookup: NPI %s not found in the registry\n", s);
            status = NM_EXIT_FAIL;
            continue;
        }
        char *json = NULL;
        size_t len = 0;
        if (nm_registry_row_json(r, (size_t)row, &json, &len)) {
            fprintf(stderr, "npimatch lookup: out of memory\n");
            status = NM_EXIT_FAIL;
            continue;
        }
        fwrite(json, 1, len, stdout);
        fputc('\n', stdout);
        free(json);
    }
    nm_registry_free(r);
    return status;
}
