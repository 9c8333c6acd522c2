/* Hook points for npimatch/progress.h inside the engine. A long call reads
 * the hook once on its calling thread (nm_progress_get) and passes the
 * pointer to its parallel loops: worker threads only test the cancel flag,
 * the calling thread reports progress (nm_progress_tick). */
#ifndef NM_COMMON_PROGRESS_H
#define NM_COMMON_PROGRESS_H

#include "npimatch/progress.h"

/* Nonzero when the caller asked to stop. */
static inline int nm_progress_cancelled(const nm_progress *p) { return p && p->cancel && *p->cancel; }

/* Report done/total on the calling thread; NM_E_CANCELLED when asked to stop. */
static inline int nm_progress_tick(const nm_progress *p, uint64_t done, uint64_t total) {
    if (!p) return 0;
    if (p->fn) p->fn(p->ctx, done, total);
    return nm_progress_cancelled(p) ? NM_E_CANCELLED : 0;
}

#endif
