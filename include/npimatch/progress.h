/* npimatch/progress.h - progress reports and cancellation of long calls.
 *
 * A caller (a GUI, the Python package) installs a hook for its thread; the
 * long engine calls that thread makes next (nm_match_file, nm_registry_build,
 * resolve, link, dedupe) report how far they are and stop early when asked.
 * The hook is checked once per chunk of records (a few thousand), so a
 * cancel takes effect within a fraction of a second of work. */
#ifndef NPIMATCH_PROGRESS_H
#define NPIMATCH_PROGRESS_H

#include <stdint.h>
#include "npimatch/error.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct nm_progress {
    /* Called on the installing thread between chunks: `done` of `total`
     * units (records; bytes for a registry build). May be NULL. Must not
     * call back into the engine. */
    void (*fn)(void *ctx, uint64_t done, uint64_t total);
    void *ctx;
    /* When non-NULL and *cancel becomes nonzero (from any thread), the
     * running call stops at its next chunk and returns NM_E_CANCELLED,
     * writing no output and leaving persistent state untouched. */
    volatile int *cancel;
} nm_progress;

/* Install p as the calling thread's hook (NULL removes it) and return the
 * previous one. p is borrowed: keep it alive and installed no longer than
 * it lives. Hooks are per thread: other threads' calls do not see it. */
NM_API const nm_progress *nm_progress_set(const nm_progress *p);
/* The calling thread's hook, or NULL. */
NM_API const nm_progress *nm_progress_get(void);

#ifdef __cplusplus
}
#endif
#endif
