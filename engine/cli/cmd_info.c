/* npimatch info REGISTRY.nmx [--json]: counts of a registry snapshot. */
#include <string.h>
#include "cli/cli.h"

int nm_cmd_info(int argc, char **argv) {
    const char *path = NULL;
    int json = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--json")) json = 1;
        else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            printf("usage: npimatch info REGISTRY.nmx [--json]\n");
            return NM_EXIT_OK;
        } else if (argv[i][0] == '-' && argv[i][1]) {
            fprintf(stderr, "npimatch info: unknown option '%s'\nusage: npimatch info REGISTRY.nmx [--json]\n", argv[i]);
            return NM_EXIT_USAGE;
        } else if (!path) path = argv[i];
        else {
            fprintf(stderr, "usage: npimatch info REGISTRY.nmx [--json]\n");
            return NM_EXIT_USAGE;
        }
    }
    if (!path) {
        fprintf(stderr, "usage: npimatch info REGISTRY.nmx [--json]\n");
        return NM_EXIT_USAGE;
    }
    nm_err err = {0};
    nm_registry *r = NULL;
    if (nm_registry_load(path, &r, &err)) {
        nm_cli_error("info", &err);
        return NM_EXIT_FAIL;
    }
    nm_registry_info in;
    nm_registry_get_info(r, &in);
    nm_registry_free(r);
    double bpp = in.providers ? (double)in.memory_bytes / (double)in.providers : 0;
#define U(x) (unsigned long long)(x)
    if (json)
        printf("{\"providers\":%llu,\"individuals\":%llu,\"organizations\":%llu,\"deactivated\":%llu,"
               "\"with_secondary_locations\":%llu,\"secondary_locations\":%llu,\"taxonomies\":%llu,"
               "\"distinct_taxonomies\":%llu,\"other_names\":%llu,\"memory_bytes\":%llu,"
               "\"bytes_per_provider\":%.1f}\n",
               U(in.providers), U(in.individuals), U(in.organizations), U(in.deactivated),
               U(in.with_secondary_locations), U(in.secondary_locations), U(in.taxonomies),
               U(in.distinct_taxonomies), U(in.other_names), U(in.memory_bytes), bpp);
    else
        printf("providers                 %llu\n"
               "  individuals             %llu\n"
               "  organizations           %llu\n"
               "  deactivated             %llu\n"
               "with secondary locations  %llu\n"
               "secondary locations       %llu\n"
               "taxonomies                %llu (%llu distinct)\n"
               "other names               %llu\n"
               "memory                    %llu bytes (%.1f per provider)\n",
               U(in.providers), U(in.individuals), U(in.organizations), U(in.deactivated),
               U(in.with_secondary_locations), U(in.secondary_locations), U(in.taxonomies),
               U(in.distinct_taxonomies), U(in.other_names), U(in.memory_bytes), bpp);
#undef U
    return NM_EXIT_OK;
}
