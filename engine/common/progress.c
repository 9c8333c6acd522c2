/* The per-thread progress hook (npimatch/progress.h). Thread-local so two
 * threads running engine calls (two notebook cells in threads, a server)
 * never report into or cancel each other. */
#include "common/progress.h"

static _Thread_local const nm_progress *current;

const nm_progress *nm_progress_set(const nm_progress *p) {
    const nm_progress *prev = current;
    current = p;
    return prev;
}

const nm_progress *nm_progress_get(void) { return current; }
