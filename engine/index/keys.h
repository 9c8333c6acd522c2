/* Blocking keys (npimatch/model.h "Blocking keys"): a rule's terms are
 * evaluated on every value of their fields (a provider's several ZIPs and
 * names each give keys), combined as a cartesian product and hashed with
 * XXH3. A record with a missing term has no key for the rule: null or blank
 * keys never block. The same function serves the registry (index build) and
 * the queries, so both sides hash identically; the one difference is
 * absent(f): a query record with a value of f has no key for the rule, an
 * indexed record always has (a fallback only records lacking f look up). */
#ifndef NM_INDEX_KEYS_H
#define NM_INDEX_KEYS_H

#include <stddef.h>
#include <stdint.h>
#include "table/rows.h"

#define NM_KEYS_MAX 64   /* keys per record and rule (product of term values), more are dropped */

/* Keys of query record r under rule `rule` (index `ri` seeds the hash), sorted and
 * distinct, into out[NM_KEYS_MAX]. Returns how many (0: the record does not block). */
size_t nm_block_keys(const nm_rtable *t, size_t r, const nm_blocking_rule *rule, unsigned ri, uint64_t *out);

/* Same for record r of the row store (the indexed side). scratch holds
 * cap decoded values; a record with more values gives no key. */
size_t nm_block_keys_rows(const nm_rrows *rr, size_t r, const nm_blocking_rule *rule, unsigned ri, uint64_t *out,
                          nm_vview *scratch, size_t cap);

#endif
