/* Fuzz harness for NPPES ingest and snapshots: arbitrary bytes as an NPPES
 * file built with 1 and 2 threads (the registries must agree row for row),
 * then saved and loaded back (must be identical); the same bytes are also
 * offered to nm_registry_load as a snapshot, which must refuse or load them
 * without crashing. Aborts on any disagreement. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "npimatch.h"

static int write_tmp(char *path, const uint8_t *data, size_t size) {
    int fd = mkstemp(path);
    if (fd < 0) return -1;
    size_t off = 0;
    while (off < size) {
        ssize_t n = write(fd, data + off, size - off);
        if (n <= 0) break;
        off += (size_t)n;
    }
    close(fd);
    return off == size ? 0 : -1;
}

static void same_rows(const nm_registry *a, const nm_registry *b) {
    if (nm_registry_count(a) != nm_registry_count(b)) abort();
    for (size_t i = 0; i < nm_registry_count(a); i++) {
        char *x = NULL, *y = NULL;
        if (nm_registry_row_json(a, i, &x, NULL) || nm_registry_row_json(b, i, &y, NULL)) abort();
        if (strcmp(x, y)) abort();
        free(x), free(y);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char in[] = "/tmp/fuzz_nppes_XXXXXX";
    if (write_tmp(in, data, size)) return 0;
    const char *paths[] = {in};
    nm_index_opts o = {0};
    o.quiet = 1;
    nm_registry *r1 = NULL, *r2 = NULL;
    nm_err e1, e2;
    o.threads = 1;
    int rc1 = nm_registry_build(paths, 1, &o, &r1, NULL, &e1);
    o.threads = 2;
    int rc2 = nm_registry_build(paths, 1, &o, &r2, NULL, &e2);
    if (rc1 != rc2) abort();
    if (!rc1) {
        same_rows(r1, r2);
        char snap[] = "/tmp/fuzz_nppes_snap_XXXXXX";
        int fd = mkstemp(snap);
        if (fd >= 0) {
            close(fd);
            nm_registry *r3 = NULL;
            if (nm_registry_save(r1, snap, &e1) || nm_registry_load(snap, &r3, &e1)) abort();
            same_rows(r1, r3);
            nm_registry_free(r3);
            unlink(snap);
        }
    }
    nm_registry_free(r1);
    nm_registry_free(r2);
    nm_registry *r4 = NULL;
    if (!nm_registry_load(in, &r4, &e1)) {
        for (size_t i = 0; i < nm_registry_count(r4); i++) {
            char *x = NULL;
            nm_registry_row_json(r4, i, &x, NULL);
            free(x);
        }
        nm_registry_free(r4);
    }
    unlink(in);
    return 0;
}
