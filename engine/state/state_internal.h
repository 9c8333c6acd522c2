/* Internals of the state directory shared by state.c (generations, commit)
 * and audit.c (the audit segments). */
#ifndef NM_STATE_INTERNAL_H
#define NM_STATE_INTERNAL_H

#include "common/hash.h"
#include "common/io.h"
#include "state/state.h"

#define SECTION_NAME_MAX 48
#define WRITE_CHUNK ((size_t)1 << 20)

typedef struct nm_state_section {
    char name[SECTION_NAME_MAX + 1];
    int dirty;              /* put since the last commit: written at the next */
    int loaded;             /* data holds the bytes */
    char *data;
    size_t len;
    uint64_t raw, hash;     /* of the live file (from the manifest) */
} nm_state_section;

struct nm_state {
    char *dir;
    int mode;
    int lock_fd;
    uint32_t gen;
    int64_t run_time;
    uint64_t audit_chain;
    nm_state_records recs;
    nm_idtab ids;
    NM_VEC(nm_state_section) secs;   /* sorted by name */
    nm_buf audit;           /* pending lines, without the generation and time */
};

/* A file being written through nm_writer, hashed (XXH3-64 of the raw bytes)
 * on the way; fault_at > 0 arms the mid_section fault point. */
typedef struct nm_sink {
    nm_writer *w;
    XXH3_state_t *h;
    uint64_t raw;
    uint64_t fault_at;      /* mid_section: exit once this many bytes are written (0: never) */
} nm_sink;

int nm_sink_open(nm_sink *s, const char *path, uint64_t fault_at, nm_err *err);
int nm_sink_write(nm_sink *s, const void *p, size_t n, nm_err *err);
int nm_sink_commit(nm_sink *s, uint64_t *raw, uint64_t *hash, nm_err *err);
void nm_sink_abort(nm_sink *s);

/* _exit(137) when NPIMATCH_FAULT names this point (state.h). */
void nm_state_fault(const char *point);

/* DIR/audit/gen-NNNNNN.log.zst */
void nm_state_audit_path(char *out, size_t cap, const nm_state *st, uint32_t gen);
/* Write generation gen's audit segment from the pending events; *chain
 * receives the chain hash including it. */
int nm_state_write_audit(nm_state *st, uint32_t gen, int64_t run_time, uint64_t *chain, nm_err *err);

#endif
