/* HCP test input made from registry rows with simple, realistic errors
 * (typos, initials, nicknames, missing fields, a wrong or mistyped NPI,
 * mailing instead of practice address), plus a truth file. For tests,
 * benchmarks and the demo until `npimatch gen hcp` (helper/labdata) lands.
 * Deterministic for a seed. */
#ifndef NM_MATCH_HCP_SAMPLE_H
#define NM_MATCH_HCP_SAMPLE_H

#include <stdint.h>
#include "common/arena.h"
#include "npimatch/registry.h"

typedef struct nm_hcp_sample_opts {
    uint64_t records;
    uint64_t seed;
    double error_rate;      /* scales every perturbation probability; 1 = default mix */
    double absent;          /* share of records whose provider is not in the registry */
} nm_hcp_sample_opts;

/* Append the CSV (header + rows, default column names) to csv and
 * "record_id,npi" rows (npi empty for absent providers) to truth. */
int nm_hcp_sample(const nm_registry *r, const nm_hcp_sample_opts *o, nm_buf *csv, nm_buf *truth);

#endif
