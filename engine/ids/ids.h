/* Stable person IDs across nightly runs.
 *
 * IDs. The i-th ID ever issued (i = 0, 1, ...: the persistent counter, which
 * is the length of the ID table) is written "P" + 12 Crockford base-32
 * characters of mix(i), where mix is a bijection of 60-bit integers (xor-shift
 * and odd multiplications modulo 2^60). IDs are therefore fixed length (13),
 * opaque (consecutive IDs look unrelated, so nobody reads an order or a count
 * into them), unique and never reused (mix is a bijection and the counter
 * only grows), and deterministic (they depend only on the issue order).
 * nm_id_parse inverts mix, so looking an ID up needs no hash table. Issue
 * order is the age of an ID: a smaller index is older.
 *
 * Rules applied by nm_ids_assign to tonight's clustering of the affected
 * records (cluster/cluster.h):
 *   1. A record keeps its ID as long as its person survives.
 *   2. A new record that links to an existing person takes that person's ID.
 *   3. Merge: a cluster holding several surviving IDs keeps the oldest; the
 *      others are retired, each pointing to it (successor).
 *   4. Split: an old ID goes to the cluster holding most of the records that
 *      had it (its "winner"); ties go to the cluster holding the oldest of
 *      those records, "oldest" = earliest first-seen generation, then smallest
 *      key (byte order). Other parts get new IDs unless they win another ID.
 *   Per cluster: the IDs it wins are its candidates; it takes the oldest
 *   candidate (rule 3), or a new ID when it wins none. Clusters needing new
 *   IDs are served in the key order of their smallest record, so IDs do not
 *   depend on row order or thread count (rule 5).
 *   Consequence: a person whose members did not change keeps its ID.
 *
 * Change labels, per affected record, with p = previous ID (none for a new
 * record) and q = tonight's ID:
 *   new        no p; q was issued tonight (a new person)
 *   joined     no p; q existed before tonight (rule 2)
 *   unchanged  p == q (members may have joined or merged in)
 *   merged     p was retired tonight into q (rule 3)
 *   split      p != q and q was issued tonight: the record's part of p lost
 *              the split (rule 4)
 *   moved      p != q, q existed before and p was not merged into q: the
 *              record left p for another existing person
 *
 * Audit events (appended to the state's log with the generation and run time):
 *   issued        id = new ID
 *   joined        id = q, rec = a new record (whether q is new or not)
 *   merged_into   id = retired ID, other = its successor; weight = strongest
 *                 link between its records and the rest of the new person
 *   split_from    id = new ID, other = the ID it split from; weight = the
 *                 strongest edge (refused or below threshold) between the
 *                 part and the part that kept the ID, NaN when none remained
 *   record_moved  id = q, other = p, rec (labels split and moved)
 *   record_removed id = p, rec = a deleted record
 *   emptied       id = an ID whose records were all deleted (status EMPTY)
 * Record events carry the weight of the record's strongest link in its
 * person (NaN when it has none).
 *
 * Memory: nm_idtab is a growable array owned by the caller (the state);
 * outputs are malloc'ed and freed with nm_ids_output_free. */
#ifndef NM_IDS_H
#define NM_IDS_H

#include <stddef.h>
#include <stdint.h>
#include "cluster/cluster.h"
#include "npimatch/error.h"

#define NM_ID_NONE UINT32_MAX
#define NM_ID_LEN 13            /* "P" + 12 characters */

enum { NM_ID_LIVE = 1, NM_ID_RETIRED = 2, NM_ID_EMPTY = 3 };

typedef struct nm_id_entry {
    uint32_t status;            /* NM_ID_LIVE / RETIRED / EMPTY */
    uint32_t successor;         /* RETIRED: the ID it was merged into; else NM_ID_NONE */
    uint32_t issued_gen;        /* generation that issued it */
    uint32_t members;           /* live records holding it */
} nm_id_entry;

/* The ID table: entry i describes the i-th ID issued; e.n is the counter. */
typedef struct nm_idtab {
    nm_id_entry *v;
    size_t n, cap;
} nm_idtab;

enum { NM_CHANGE_NEW, NM_CHANGE_UNCHANGED, NM_CHANGE_JOINED, NM_CHANGE_MERGED, NM_CHANGE_SPLIT, NM_CHANGE_MOVED,
       NM_CHANGE_COUNT };
enum { NM_EV_ISSUED, NM_EV_JOINED, NM_EV_MERGED_INTO, NM_EV_SPLIT_FROM, NM_EV_RECORD_MOVED, NM_EV_RECORD_REMOVED,
       NM_EV_EMPTIED, NM_EV_COUNT };

typedef struct nm_id_event {
    uint8_t type;               /* NM_EV_* */
    uint8_t deleted;            /* rec indexes the deleted records, not the affected ones */
    uint32_t id;
    uint32_t other;             /* see the list above; NM_ID_NONE when unused */
    uint32_t rec;               /* record index or NM_ID_NONE */
    double weight;              /* NaN when none */
} nm_id_event;

typedef struct nm_ids_input {
    uint32_t gen;               /* this run's generation (first-seen of new records) */
    size_t n;                   /* affected records */
    const nm_key *keys;         /* [n] unique record keys */
    const uint32_t *first_seen; /* [n] generation each record first appeared */
    const uint32_t *prev;       /* [n] live ID before tonight, NM_ID_NONE for new records */
    const uint32_t *cluster;    /* [n] tonight's cluster ids (nm_cluster_result.cluster) */
    const uint32_t *rank;       /* optional [n]: key ranks (nm_cluster_result.rank) to
                                   save ranking the keys again; NULL: computed */
    size_t n_edges;             /* optional (0): the clustered edges, for audit weights */
    const nm_cluster_edge *edges;
    const uint8_t *edge_state;  /* [n_edges] NM_EDGE_* (nm_cluster_result.edge_state) */
    size_t n_deleted;           /* records removed tonight */
    const nm_key *deleted_keys;
    const uint32_t *deleted_prev;
} nm_ids_input;

typedef struct nm_ids_output {
    uint32_t *id;               /* [n] tonight's ID per record */
    uint8_t *change;            /* [n] NM_CHANGE_* */
    nm_id_event *events;
    size_t n_events;
    size_t n_issued, n_retired;
} nm_ids_output;

/* Write the ID of index i: NM_ID_LEN characters and a NUL. */
void nm_id_format(uint32_t index, char out[NM_ID_LEN + 1]);
/* Parse an ID (case-insensitive; Crockford's I/L read as 1 and O as 0).
 * Returns 0 and *index, or NM_E_FORMAT. The index may not exist in a table. */
int nm_id_parse(const char *s, size_t len, uint32_t *index);
/* Follow successor pointers from id to a non-retired ID (a retired ID
 * resolves to the ID it was merged into). NM_ID_NONE if id is out of range. */
uint32_t nm_idtab_resolve(const nm_idtab *t, uint32_t id);

const char *nm_change_name(int change);      /* "new", "unchanged", ... */
const char *nm_event_name(int type);         /* "issued", "merged_into", ... */

/* Assign tonight's IDs. Every live member of every ID appearing in
 * in->prev must be passed, as affected or deleted (checked against the
 * table's member counts: NM_E_ARG "incomplete person" otherwise). Updates tab
 * (new entries, retirements, member counts) only on success. */
int nm_ids_assign(nm_idtab *tab, const nm_ids_input *in, nm_ids_output *out, nm_err *err);
void nm_ids_output_free(nm_ids_output *out);

#endif
