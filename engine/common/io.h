/* File input and atomic file output, with transparent zstd.
 *
 * nm_reader reads a plain file, a zstd file (recognised by its magic number,
 * whatever the name), or standard input ("-"). Plain regular files may be
 * memory-mapped whole (nm_reader_map) so parsers can work in place.
 *
 * nm_writer implements the durability rule for every output and every piece
 * of persistent state: bytes go to a temporary file in the target's directory,
 * and nm_writer_commit() flushes, fsyncs, renames over the target and fsyncs
 * the directory, so a run killed at any point leaves the previous file intact.
 * A target ending in ".zst" is zstd-compressed; "-" writes to stdout. */
#ifndef NM_IO_H
#define NM_IO_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "npimatch/error.h"

typedef struct nm_reader nm_reader;

int nm_reader_open(const char *path, nm_reader **out, nm_err *err);
/* Read up to `cap` bytes; returns bytes read, 0 at end, or a negative code. */
ssize_t nm_reader_read(nm_reader *r, void *buf, size_t cap, nm_err *err);
/* If the input is a plain regular file, map it read-only and return its bytes
 * (valid until nm_reader_close); otherwise return NULL and leave the reader
 * for nm_reader_read. */
const char *nm_reader_map(nm_reader *r, size_t *len);
int nm_reader_is_compressed(const nm_reader *r);
const char *nm_reader_path(const nm_reader *r);   /* for messages: "-" shows as "<stdin>" */
void nm_reader_close(nm_reader *r);

/* Read a whole input (any kind above) into a malloc'ed, NUL-terminated buffer
 * the caller frees. For small files (headers, models, lists). */
int nm_read_all(const char *path, char **out, size_t *len, nm_err *err);

typedef struct nm_writer nm_writer;

/* Open for writing. level: zstd level for .zst targets (0 = default 3). */
int nm_writer_open(const char *path, int zstd_level, nm_writer **out, nm_err *err);
int nm_writer_write(nm_writer *w, const void *p, size_t n, nm_err *err);
/* Finish: flush, fsync, rename into place. Frees w whatever the outcome. */
int nm_writer_commit(nm_writer *w, nm_err *err);
/* Give up: remove the temporary file, leave the target untouched. Frees w. */
void nm_writer_abort(nm_writer *w);

/* fsync a directory so a rename inside it is durable. */
int nm_fsync_dir(const char *dir, nm_err *err);

#endif
