/* The person-resolution state directory: everything earlier nights
 * established, replaced atomically once per run.
 *
 * Layout of DIR:
 *   CURRENT              "gen-000007\n": the live generation (switched by rename)
 *   LOCK                 flock()ed by the one run allowed to write; holds its pid
 *   gen-000007/          one generation, never modified once CURRENT names it:
 *     MANIFEST           text: format version, generation, run time, counts,
 *                        one line per file (name, raw size, XXH3-64 of the raw
 *                        bytes), the audit chain hash, and a last line with the
 *                        XXH3 of all lines before it
 *     records.zst        the record table (sorted by key)
 *     ids.zst            the ID table (nm_idtab)
 *     s-<name>.zst       named sections (opaque bytes of the resolve command)
 *   audit/gen-000007.log.zst   the audit events of generation 7 (text, below)
 *
 * Atomic switch (nm_state_commit): write gen-(k+1) completely (each file
 * through nm_writer: temp file, fsync, rename, fsync of the directory;
 * unchanged sections are hard-linked from gen-k), write its MANIFEST last,
 * fsync DIR, write CURRENT.next (nm_writer: fsynced), rename it over CURRENT,
 * fsync DIR; only then delete generations older than the previous one (two
 * are kept, so a reader that read CURRENT just before a switch still finds
 * its files). A run killed anywhere leaves CURRENT naming a complete
 * generation; the next writer removes the debris (generation directories
 * and audit segments above CURRENT, CURRENT.next*) and redoes the night.
 *
 * Audit log: append-only across generations without copying it forward:
 * generation k writes only its own segment audit/gen-k.log.zst, and its
 * MANIFEST records chain_k = XXH3(segment k, seed chain_{k-1}). A reader
 * reads segments 1..k and checks the chain, so a segment from a crashed run
 * (k+1 written, CURRENT not switched) is never read, and the rerun
 * overwrites it. One line per event, tab-separated:
 *   generation  run_time(UTC ISO 8601)  event  id  other_id  source  record_id  weight
 * with "-" for an absent value; tab, newline and backslash in source or
 * record_id are written \t \n \\.
 *
 * Record keys are the bytes "source\0record_id" (sources hold no NUL).
 * Binary files are in host byte order (x86-64 only builds); their sizes are
 * checked on load.
 *
 * A night, as `npimatch resolve` runs it on these pieces:
 *   1. nm_state_open(DIR, NM_STATE_WRITE) (NM_E_LOCKED: another run is on it).
 *   2. Classify input rows by key (nm_record_key_make, nm_records_find): new,
 *      changed (fields differ from the stored section), unchanged; deleted =
 *      --delete keys, or with --full every stored key not in the input.
 *   3. Compare new and changed records against everything (blocking indexes
 *      and fields from sections) -> scored pairs with the guard flag.
 *   4. Affected = new + changed records + every member of every person they
 *      touch (nm_records_by_person), with all edges among them (stored or
 *      recomputed) -> nm_cluster_ex with the model's link_probability and a
 *      `different` callback applying the guards to pairs never compared.
 *   5. nm_ids_assign(nm_state_ids(st), ...) with prev = stored person (or
 *      NM_ID_NONE), first_seen = stored (or the new generation), deleted
 *      records with their stored person.
 *   6. nm_records_apply(old table, affected rows with their new IDs and
 *      strengths, deleted keys) -> nm_state_set_records; nm_state_audit_add
 *      (events, affected keys, deleted keys); put the updated sections.
 *   7. Write PERSONS.csv (nm_writer): affected rows with their change label,
 *      other input rows "unchanged" with the stored confidence.
 *   8. nm_state_commit(st, time(NULL)); nm_state_close.
 * Killed before 8 finishes: the night is simply redone by the next run.
 *
 * Versions: MANIFEST starts "npimatch-state <format>"; any other format is
 * refused with NM_E_VERSION, a broken checksum with NM_E_CORRUPT.
 *
 * Fault injection (tests of the durability rule): NPIMATCH_FAULT=<point>
 * makes nm_state_commit call _exit(137) at that point:
 *   mid_section            half of records.zst written (temp file open)
 *   after_gen_write        gen-(k+1) complete and fsynced, CURRENT untouched
 *   before_current_switch  CURRENT.next written and fsynced, not renamed
 *   after_current_switch   CURRENT renamed and fsynced, old generations kept
 *
 * Concurrency: one writer (NM_STATE_WRITE holds the flock until
 * nm_state_close; a second writer gets NM_E_LOCKED "state DIR is locked by
 * another run (pid N)"). Readers take no lock. Not thread-safe: one thread
 * uses an nm_state at a time. */
#ifndef NM_STATE_H
#define NM_STATE_H

#include <stddef.h>
#include <stdint.h>
#include "common/arena.h"
#include "ids/ids.h"
#include "npimatch/error.h"

#define NM_STATE_FORMAT 1

enum { NM_STATE_READ = 0, NM_STATE_WRITE = 1 };

/* The record table, sorted by key (strictly increasing bytes). Arrays have
 * n entries, key_off n + 1 (key i is keys.data[key_off[i] .. key_off[i+1])). */
typedef struct nm_state_records {
    size_t n;
    NM_VEC(uint64_t) key_off;
    nm_buf keys;
    NM_VEC(uint32_t) first_seen;    /* generation the record first appeared */
    NM_VEC(uint32_t) person;        /* ID index (nm_idtab) */
    NM_VEC(float) confidence;       /* link strength into its person (cluster.h) */
} nm_state_records;

/* Append a record (keep the table sorted: append in key order). 0 or NM_E_NOMEM. */
int nm_records_push(nm_state_records *r, const char *key, size_t len, uint32_t first_seen, uint32_t person,
                    float confidence);
static inline nm_key nm_records_key(const nm_state_records *r, size_t i) {
    nm_key k = {r->keys.data + r->key_off.v[i], (uint32_t)(r->key_off.v[i + 1] - r->key_off.v[i])};
    return k;
}
/* Index of the record with this key, or -1 (binary search). */
int64_t nm_records_find(const nm_state_records *r, const char *key, size_t len);
void nm_records_free(nm_state_records *r);
/* Tonight's record table: `old` with the rows of `changes` (sorted by key,
 * unique) inserted or replacing the row of the same key, and the rows whose
 * keys are in `deleted` (any order) removed. out must be empty; it is filled
 * sorted. Returns 0, NM_E_ARG (changes not sorted, a key both changed and
 * deleted), NM_E_NOMEM. */
int nm_records_apply(const nm_state_records *old, const nm_state_records *changes, const nm_key *deleted,
                     size_t n_deleted, nm_state_records *out, nm_err *err);
/* Members of each ID: rows of ID i are rows[start[i] .. start[i+1]), in key
 * order. start has n_ids + 1 entries, rows r->n; both malloc'ed, caller frees.
 * Returns 0, NM_E_ARG (a row holds an ID >= n_ids), NM_E_NOMEM. */
int nm_records_by_person(const nm_state_records *r, size_t n_ids, uint32_t **start, uint32_t **rows, nm_err *err);
/* Append "source\0record_id" to b. 0 or NM_E_NOMEM / NM_E_ARG (NUL in source). */
int nm_record_key_make(nm_buf *b, const char *src, size_t src_len, const char *id, size_t id_len);

typedef struct nm_state nm_state;

/* Open DIR. NM_STATE_READ: the live generation, no lock; NM_E_NOTFOUND when
 * DIR holds no state. NM_STATE_WRITE: creates DIR if needed (an empty state,
 * generation 0), takes the lock (NM_E_LOCKED), removes debris of a crashed
 * run. Errors: NM_E_VERSION (other format), NM_E_CORRUPT (checksum, missing
 * file), NM_E_IO. *out is freed with nm_state_close (which releases the lock). */
int nm_state_open(const char *dir, int mode, nm_state **out, nm_err *err);
void nm_state_close(nm_state *st);

uint32_t nm_state_generation(const nm_state *st);   /* 0 for a new state */
int64_t nm_state_run_time(const nm_state *st);      /* of the live generation */
const char *nm_state_dir(const nm_state *st);

/* The tables of the live generation, changed in place by the caller before
 * nm_state_commit. nm_state_set_records replaces the record table (takes the
 * contents of *r, leaving *r empty). */
nm_state_records *nm_state_records_of(nm_state *st);
nm_idtab *nm_state_ids(nm_state *st);
void nm_state_set_records(nm_state *st, nm_state_records *r);

/* Named sections: names of 1..48 characters [a-z0-9_]. put copies the bytes
 * (written at the next commit); get returns the bytes of the pending or the
 * live generation (read and checked on first use; owned by st, valid until
 * nm_state_close or the next put/drop of that name); NM_E_NOTFOUND when the
 * section does not exist. Sections not put are carried over unchanged. */
int nm_state_put_section(nm_state *st, const char *name, const void *p, size_t len, nm_err *err);
/* Same as put without the copy: takes a malloc'ed buffer (freed by st, also
 * when the call fails). For the large blobs (normalized fields, indexes). */
int nm_state_put_section_owned(nm_state *st, const char *name, void *p, size_t len, nm_err *err);
int nm_state_get_section(nm_state *st, const char *name, const void **p, size_t *len, nm_err *err);
int nm_state_drop_section(nm_state *st, const char *name, nm_err *err);
/* Names of the sections (pending view), in byte order; pointers owned by st. */
size_t nm_state_section_names(nm_state *st, const char **names, size_t cap);

/* Queue audit events for the next commit. keys/deleted_keys: the record keys
 * the events' rec fields index (nm_ids_input.keys / deleted_keys). */
int nm_state_audit_add(nm_state *st, const nm_id_event *ev, size_t n, const nm_key *keys,
                       const nm_key *deleted_keys, nm_err *err);
/* Call fn with the text of each committed audit segment, oldest first, after
 * checking the chain hash (NM_E_CORRUPT). fn returns 0 or stops the walk
 * with its (negative) code. */
int nm_state_audit_foreach(nm_state *st, int (*fn)(void *ctx, uint32_t gen, const char *text, size_t len),
                           void *ctx, nm_err *err);

/* Write generation k+1 and switch CURRENT to it (see above). run_time: Unix
 * seconds recorded in the manifest and the audit lines. Checks first that the
 * record table is sorted and agrees with the ID table's member counts
 * (NM_E_INTERNAL otherwise: a broken night is never committed). On failure
 * the live generation is unchanged and st may be committed again. */
int nm_state_commit(nm_state *st, int64_t run_time, nm_err *err);

#endif
