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
    NM_NPPES_DEACT        /* deactivation list: NPI + deactivation date */
} nm_nppes_kind;

/* Kind of a file from its header row (names as read, surrounding spaces
 * trimmed). Case-insensitive; NM_NPPES_UNKNOWN if none fits. */
nm_nppes_kind nm_nppes_detect(const char *const *names, uint32_t n);
const char *nm_nppes_kind_name(nm_nppes_kind k);

/* Append the main file's header row, every name quoted, LF-terminated, in
 * the current 330-column layout or (ncols == 329) the 2015 layout. For
 * writers of NPPES-format files (benches, generators). 0 or NM_E_NOMEM. */
struct nm_buf;
int nm_nppes_main_header(struct nm_buf *out, int ncols);

#endif
