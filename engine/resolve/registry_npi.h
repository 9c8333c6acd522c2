/* `resolve --registry`: HCP records matched to NPIs before resolution.
 *
 * A model built for it has a field named registry_npi (NM_REGISTRY_NPI_FIELD,
 * builtin:hcp_person). That field is never read from the input: it is
 * cleared when the night's rows are read (so a record's change hash does not
 * depend on it), and every new or changed record gets the NPI the matcher
 * (match/matcher.h, builtin:hcp over the registry) decides for it, when the
 * decision is "matched" (ambiguous and unmatched records get none). The
 * value is stored with the record's other fields in the state, so unchanged
 * records keep the NPI they were matched to on the night they arrived; the
 * resolution model turns it into evidence (hcp_person: a deterministic rule
 * on equal NPIs, a guard on different ones).
 *
 * A state is in one mode for life: a registry_npi model without --registry
 * (new records would silently get no NPI) or --registry with a model
 * without the field is refused (nm_registry_npi_check). */
#ifndef NM_RESOLVE_REGISTRY_NPI_H
#define NM_RESOLVE_REGISTRY_NPI_H

#include <stddef.h>
#include <stdint.h>
#include "npimatch/error.h"
#include "table/records.h"

#define NM_REGISTRY_NPI_FIELD "registry_npi"
#define NM_REGISTRY_MATCH_MODEL "builtin:hcp"

/* Index of m's registry_npi field, or -1. */
int nm_registry_npi_field(const nm_model *m);

/* Refuse a run whose mode disagrees with the model (NM_E_ARG, naming the
 * state directory and the option to use); 0 when they agree. */
int nm_registry_npi_check(const nm_model *m, const char *registry, const char *state_dir, nm_err *err);

/* Replace field f of every record of t by npi[r] (10 digits; 0 or npi NULL:
 * no value). The field must have no derived codes (an identifier). Returns
 * 0 or NM_E_NOMEM. */
int nm_registry_npi_set(nm_rtable *t, size_t f, const uint32_t *npi);

typedef struct nm_registry_npi_stats {
    uint64_t matched, ambiguous, unmatched;
    double seconds;
} nm_registry_npi_stats;

/* Match rows rows[0..n) of CSV `input` (nrows rows, numbered as
 * nm_input_read gives them; the file, or the borrowed CSV bytes data/len when
 * data is non-NULL, is read again in the matcher's fields, so it cannot be
 * stdin) to NPIs of registry file `registry` with
 * NM_REGISTRY_MATCH_MODEL: npi[rows[i]] = the matched NPI or 0 (npi has a
 * slot per input row). The registry and matcher live only inside the call.
 * Byte-identical for any thread count. Returns 0 or NM_E_* (NM_E_FORMAT when
 * the second read does not give nrows rows). */
int nm_registry_npi_match(const char *registry, const char *input, const char *data, size_t len, size_t nrows, const uint32_t *rows, size_t n,
                          int threads, uint32_t *npi, nm_registry_npi_stats *st, nm_err *err);

#endif
