/* Readers and atomic writers (see io.h). */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>
#include "common/error_internal.h"
#include "common/io.h"

/* ---- reader ------------------------------------------------------------- */

struct nm_reader {
    int fd;
    int compressed;
    char *path;
    ZSTD_DCtx *dctx;
    unsigned char *zin;       /* compressed input buffer */
    ZSTD_inBuffer in;
    size_t zin_cap;
    int zeof;                 /* underlying fd reached EOF */
    int zframe_done;          /* last ZSTD_decompressStream returned 0 */
    unsigned char peek[4];    /* bytes read to sniff the magic number */
    size_t peek_len, peek_pos;
    void *map;
    size_t map_len;
};

static ssize_t read_fd(int fd, void *buf, size_t cap) {
    for (;;) {
        ssize_t n = read(fd, buf, cap);
        if (n >= 0 || errno != EINTR) return n;
    }
}

const char *nm_reader_path(const nm_reader *r) {
    return strcmp(r->path, "-") ? r->path : "<stdin>";
}

int nm_reader_open(const char *path, nm_reader **out, nm_err *err) {
    *out = NULL;
    nm_reader *r = calloc(1, sizeof *r);
    if (!r) return nm_err_set(err, NM_E_NOMEM, "out of memory");
    r->path = strdup(path);
    if (!strcmp(path, "-")) {
        r->fd = 0;
    } else {
        r->fd = open(path, O_RDONLY | O_CLOEXEC);
        if (r->fd < 0) {
            int e = errno;
            free(r->path);
            free(r);
            return nm_err_set(err, e == ENOENT ? NM_E_NOTFOUND : NM_E_IO, "%s: %s", path, strerror(e));
        }
    }
    /* Sniff the zstd magic number (28 B5 2F FD, RFC 8878 section 3.1.1). */
    while (r->peek_len < 4) {
        ssize_t n = read_fd(r->fd, r->peek + r->peek_len, 4 - r->peek_len);
        if (n < 0) {
            int e = errno;
            nm_reader_close(r);
            return nm_err_set(err, NM_E_IO, "%s: %s", path, strerror(e));
        }
        if (n == 0) break;
        r->peek_len += (size_t)n;
    }
    if (r->peek_len == 4 && r->peek[0] == 0x28 && r->peek[1] == 0xB5 && r->peek[2] == 0x2F && r->peek[3] == 0xFD) {
        r->compressed = 1;
        r->dctx = ZSTD_createDCtx();
        r->zin_cap = ZSTD_DStreamInSize() * 16;
        r->zin = malloc(r->zin_cap);
        if (!r->dctx || !r->zin) {
            nm_reader_close(r);
            return nm_err_set(err, NM_E_NOMEM, "out of memory");
        }
        memcpy(r->zin, r->peek, 4);
        r->in.src = r->zin;
        r->in.size = 4;
        r->in.pos = 0;
        r->peek_len = r->peek_pos = 0;
    }
    *out = r;
    return NM_OK;
}

int nm_reader_is_compressed(const nm_reader *r) { return r->compressed; }

const char *nm_reader_map(nm_reader *r, size_t *len) {
    if (r->compressed || r->fd == 0) return NULL;
    if (r->map) { *len = r->map_len; return r->map; }
    struct stat st;
    if (fstat(r->fd, &st) || !S_ISREG(st.st_mode) || st.st_size == 0) return NULL;
    void *m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, r->fd, 0);
    if (m == MAP_FAILED) return NULL;
    madvise(m, (size_t)st.st_size, MADV_SEQUENTIAL | MADV_WILLNEED);
    r->map = m;
    r->map_len = (size_t)st.st_size;
    *len = r->map_len;
    return m;
}

ssize_t nm_reader_read(nm_reader *r, void *buf, size_t cap, nm_err *err) {
    if (!r->compressed) {
        size_t got = 0;
        while (r->peek_pos < r->peek_len && got < cap) ((unsigned char *)buf)[got++] = r->peek[r->peek_pos++];
        if (got == cap) return (ssize_t)got;
        ssize_t n = read_fd(r->fd, (char *)buf + got, cap - got);
        if (n < 0) return nm_err_set(err, NM_E_IO, "%s: %s", nm_reader_path(r), strerror(errno));
        return (ssize_t)got + n;
    }
    ZSTD_outBuffer out = {buf, cap, 0};
    while (out.pos == 0) {
        if (r->in.pos == r->in.size && !r->zeof) {
            ssize_t n = read_fd(r->fd, r->zin, r->zin_cap);
            if (n < 0) return nm_err_set(err, NM_E_IO, "%s: %s", nm_reader_path(r), strerror(errno));
            if (n == 0) r->zeof = 1;
            r->in.src = r->zin;
            r->in.size = (size_t)n;
            r->in.pos = 0;
        }
        if (r->in.pos == r->in.size && r->zeof) {
            if (!r->zframe_done)
                return nm_err_set(err, NM_E_CORRUPT, "%s: compressed input ends in the middle of a frame", nm_reader_path(r));
            return 0;
        }
        size_t rc = ZSTD_decompressStream(r->dctx, &out, &r->in);
        if (ZSTD_isError(rc))
            return nm_err_set(err, NM_E_CORRUPT, "%s: zstd: %s", nm_reader_path(r), ZSTD_getErrorName(rc));
        r->zframe_done = (rc == 0);
    }
    return (ssize_t)out.pos;
}

void nm_reader_close(nm_reader *r) {
    if (!r) return;
    if (r->map) munmap(r->map, r->map_len);
    if (r->fd > 0) close(r->fd);
    ZSTD_freeDCtx(r->dctx);
    free(r->zin);
    free(r->path);
    free(r);
}

int nm_read_all(const char *path, char **out, size_t *len, nm_err *err) {
    *out = NULL;
    *len = 0;
    nm_reader *r;
    NM_TRY(nm_reader_open(path, &r, err));
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap + 1);
    if (!buf) { nm_reader_close(r); return nm_err_set(err, NM_E_NOMEM, "out of memory"); }
    for (;;) {
        if (n == cap) {
            char *nb = realloc(buf, cap * 2 + 1);
            if (!nb) { free(buf); nm_reader_close(r); return nm_err_set(err, NM_E_NOMEM, "out of memory"); }
            buf = nb;
            cap *= 2;
        }
        ssize_t got = nm_reader_read(r, buf + n, cap - n, err);
        if (got < 0) { free(buf); nm_reader_close(r); return (int)got; }
        if (got == 0) break;
        n += (size_t)got;
    }
    nm_reader_close(r);
    buf[n] = 0;
    *out = buf;
    *len = n;
    return NM_OK;
}

/* ---- atomic writer ------------------------------------------------------ */

struct nm_writer {
    int fd;
    int to_stdout;
    char *path, *tmp;
    ZSTD_CCtx *cctx;
    unsigned char *buf;       /* plain: pending bytes; zstd: compressed output */
    size_t len, cap;
    int failed;
};

static int write_fd_all(int fd, const void *p, size_t n) {
    const char *c = p;
    while (n) {
        ssize_t w = write(fd, c, n);
        if (w < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        c += w;
        n -= (size_t)w;
    }
    return 0;
}

static int ends_with(const char *s, const char *suf) {
    size_t a = strlen(s), b = strlen(suf);
    return a >= b && !strcmp(s + a - b, suf);
}

int nm_writer_open(const char *path, int zstd_level, nm_writer **out, nm_err *err) {
    *out = NULL;
    nm_writer *w = calloc(1, sizeof *w);
    if (!w) return nm_err_set(err, NM_E_NOMEM, "out of memory");
    w->path = strdup(path);
    w->cap = 1 << 20;
    w->buf = malloc(w->cap);
    if (!w->path || !w->buf) { nm_writer_abort(w); return nm_err_set(err, NM_E_NOMEM, "out of memory"); }
    if (!strcmp(path, "-")) {
        w->to_stdout = 1;
        w->fd = 1;
    } else {
        size_t n = strlen(path) + 32;
        w->tmp = malloc(n);
        snprintf(w->tmp, n, "%s.tmp.%ld", path, (long)getpid());
        w->fd = open(w->tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (w->fd < 0) {
            int e = errno;
            free(w->tmp);
            w->tmp = NULL;
            nm_writer_abort(w);
            return nm_err_set(err, NM_E_IO, "%s: cannot create: %s", path, strerror(e));
        }
    }
    if (ends_with(path, ".zst")) {
        w->cctx = ZSTD_createCCtx();
        if (!w->cctx) { nm_writer_abort(w); return nm_err_set(err, NM_E_NOMEM, "out of memory"); }
        ZSTD_CCtx_setParameter(w->cctx, ZSTD_c_compressionLevel, zstd_level ? zstd_level : 3);
        ZSTD_CCtx_setParameter(w->cctx, ZSTD_c_checksumFlag, 1);
    }
    *out = w;
    return NM_OK;
}

static int flush_plain(nm_writer *w, nm_err *err) {
    if (w->len && write_fd_all(w->fd, w->buf, w->len)) {
        w->failed = 1;
        return nm_err_set(err, NM_E_IO, "%s: write failed: %s", w->path, strerror(errno));
    }
    w->len = 0;
    return NM_OK;
}

static int zstd_push(nm_writer *w, const void *p, size_t n, ZSTD_EndDirective mode, nm_err *err) {
    ZSTD_inBuffer in = {p, n, 0};
    for (;;) {
        ZSTD_outBuffer out = {w->buf, w->cap, 0};
        size_t rc = ZSTD_compressStream2(w->cctx, &out, &in, mode);
        if (ZSTD_isError(rc)) {
            w->failed = 1;
            return nm_err_set(err, NM_E_COMPRESS, "%s: zstd: %s", w->path, ZSTD_getErrorName(rc));
        }
        if (out.pos && write_fd_all(w->fd, w->buf, out.pos)) {
            w->failed = 1;
            return nm_err_set(err, NM_E_IO, "%s: write failed: %s", w->path, strerror(errno));
        }
        if (mode == ZSTD_e_end ? rc == 0 : in.pos == in.size) return NM_OK;
    }
}

int nm_writer_write(nm_writer *w, const void *p, size_t n, nm_err *err) {
    if (w->failed) return nm_err_set(err, NM_E_IO, "%s: earlier write failed", w->path);
    if (w->cctx) return zstd_push(w, p, n, ZSTD_e_continue, err);
    if (w->len + n > w->cap) {
        NM_TRY(flush_plain(w, err));
        if (n >= w->cap) {
            if (write_fd_all(w->fd, p, n)) {
                w->failed = 1;
                return nm_err_set(err, NM_E_IO, "%s: write failed: %s", w->path, strerror(errno));
            }
            return NM_OK;
        }
    }
    memcpy(w->buf + w->len, p, n);
    w->len += n;
    return NM_OK;
}

int nm_fsync_dir(const char *dir, nm_err *err) {
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return nm_err_set(err, NM_E_IO, "%s: %s", dir, strerror(errno));
    int rc = fsync(fd);
    close(fd);
    if (rc) return nm_err_set(err, NM_E_IO, "%s: fsync: %s", dir, strerror(errno));
    return NM_OK;
}

static void writer_free(nm_writer *w) {
    ZSTD_freeCCtx(w->cctx);
    free(w->buf);
    free(w->path);
    free(w->tmp);
    free(w);
}

int nm_writer_commit(nm_writer *w, nm_err *err) {
    int rc = NM_OK;
    if (w->failed) rc = nm_err_set(err, NM_E_IO, "%s: earlier write failed", w->path);
    if (!rc && w->cctx) rc = zstd_push(w, NULL, 0, ZSTD_e_end, err);
    if (!rc && !w->cctx) rc = flush_plain(w, err);
    if (w->to_stdout) {
        writer_free(w);
        return rc;
    }
    if (!rc && fsync(w->fd)) rc = nm_err_set(err, NM_E_IO, "%s: fsync: %s", w->path, strerror(errno));
    if (close(w->fd) && !rc) rc = nm_err_set(err, NM_E_IO, "%s: close: %s", w->path, strerror(errno));
    w->fd = -1;
    if (!rc && rename(w->tmp, w->path)) rc = nm_err_set(err, NM_E_IO, "%s: rename: %s", w->path, strerror(errno));
    if (rc) {
        unlink(w->tmp);
    } else {
        char *d = strdup(w->path);
        rc = nm_fsync_dir(dirname(d), err);
        free(d);
    }
    writer_free(w);
    return rc;
}

void nm_writer_abort(nm_writer *w) {
    if (!w) return;
    if (!w->to_stdout && w->fd >= 0 && w->tmp) {
        close(w->fd);
        unlink(w->tmp);
    }
    writer_free(w);
}
