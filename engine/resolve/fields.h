/* The normalized fields of the resolution state: the record table (table/
 * records.h) of every record the state holds, row i = state record i (key
 * order), saved as a state section and read back without normalizing or
 * deriving anything again, and a hash per record of its normalized values
 * (a record sent again with the same values is "unchanged" and costs
 * nothing). */
#ifndef NM_RESOLVE_FIELDS_H
#define NM_RESOLVE_FIELDS_H

#include <stddef.h>
#include <stdint.h>
#include "npimatch/error.h"
#include "table/records.h"

/* Serialize t into one malloc'ed buffer (*out, *len; caller frees): a header
 * (magic, records, fields, each field's name hash, derived-code set, value
 * and byte counts) then each field's arrays as they are in memory.
 * Returns 0 or NM_E_NOMEM. */
int nm_fields_save(const nm_rtable *t, char **out, size_t *len, nm_err *err);
/* Read a buffer written by nm_fields_save into t (initialised here for model
 * m). NM_E_CORRUPT when sizes or offsets do not add up, NM_E_VERSION when the
 * fields or derived codes differ from model m's (the state was built with
 * another model). */
int nm_fields_load(nm_rtable *t, const nm_model *m, const char *p, size_t len, nm_err *err);
/* XXH3 of record r's normalized values, field by field (counts and lengths
 * included, so moving a value between fields changes it). */
uint64_t nm_fields_hash(const nm_rtable *t, size_t r);

#endif
