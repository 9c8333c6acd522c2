/* NPPES file ingest: tells the file kinds apart by header, maps columns by
 * name (never by position), validates rows and feeds the registry builder.
 * nm_registry_build (npimatch/registry.h) is implemented here. */
#ifndef NM_NPPES_H
#define NM_NPPES_H

#include <stdint.h>

typedef enum nm_nppes_kind {
    NM_NPPES_UNKNOWN = 0,
    NM_NPPES_MAIN,        /* npidata_pfile (monthly or weekly), 329 or 330 columns */
    NM_NPPES_OTHERNAME,   /* othername_pfile */
    NM_NPPES_PL,          /* pl_pfile: secondary practice locations */
    NM_NPPES_DEACT,       /* deactivation list: NPI + deactivation date */
    NM_NPPES_ENDPOINT     /* endpoint_pfile: recognised, not used by the registry */
} nm_nppes_kind;

/* Kind of a file from its header row (names as read, surrounding spaces
 * trimmed). Case-insensitive; NM_NPPES_UNKNOWN if none fits. */
nm_nppes_kind nm_nppes_detect(const char *const *names, uint32_t n);
const char *nm_nppes_kind_name(nm_nppes_kind k);


#endif
