/* Memory building blocks for hot paths: no per-record malloc.
 *
 *  nm_arena  bump allocator over large chunks; everything is freed at once.
 *            For scratch data whose lifetime is one batch or one registry.
 *  nm_buf    one growable contiguous byte array (string arenas addressed by
 *            offsets, output buffers). Grows by doubling, so appends are
 *            amortised O(1) and offsets stay valid across growth.
 *  NM_VEC    a growable typed array built on the same doubling rule.
 *
 * All return NM_E_NOMEM (negative) on allocation failure and leave the
 * structure unchanged. */
#ifndef NM_ARENA_H
#define NM_ARENA_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

typedef struct nm_arena_chunk nm_arena_chunk;
typedef struct nm_arena {
    nm_arena_chunk *head;
    size_t chunk_size;   /* default size of a new chunk (bytes) */
    size_t used_total;   /* bytes handed out, for memory reports */
} nm_arena;

void nm_arena_init(nm_arena *a, size_t chunk_size);
/* Aligned to 16 bytes. Returns NULL when out of memory. */
void *nm_arena_alloc(nm_arena *a, size_t size);
/* Copy `len` bytes and a NUL into the arena. */
char *nm_arena_strndup(nm_arena *a, const char *s, size_t len);
void nm_arena_free(nm_arena *a);

typedef struct nm_buf {
    char *data;
    size_t len, cap;
} nm_buf;

int nm_buf_reserve(nm_buf *b, size_t extra);          /* room for `extra` more bytes */
int nm_buf_append(nm_buf *b, const void *p, size_t n);
int nm_buf_printf(nm_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static inline int nm_buf_putc(nm_buf *b, char c) { return nm_buf_append(b, &c, 1); }
void nm_buf_free(nm_buf *b);

/* Ask for 2 MiB pages over [p, p + n) (Linux transparent huge pages in
 * "madvise" mode; advice only, no error). For big arrays read at random
 * rows (row store, blocking indexes): one TLB entry covers 512x more, and
 * faulting them in costs ~500x fewer faults. Call before the first touch. */
void nm_advise_huge(void *p, size_t n);

/* Typed growable array: declare with NM_VEC(uint32_t) ids = {0};
 * push with NM_VEC_PUSH(&ids, v) which evaluates to 0 or NM_E_NOMEM. */
#define NM_VEC(T) struct { T *v; size_t n, cap; }
int nm_vec_grow_(void **v, size_t *cap, size_t need, size_t elem);
#define NM_VEC_RESERVE(vec, need) \
    ((need) <= (vec)->cap ? 0 : nm_vec_grow_((void **)&(vec)->v, &(vec)->cap, (need), sizeof(*(vec)->v)))
#define NM_VEC_PUSH(vec, x) \
    (NM_VEC_RESERVE((vec), (vec)->n + 1) ? -1 : ((vec)->v[(vec)->n++] = (x), 0))
#define NM_VEC_FREE(vec) (free((vec)->v), (vec)->v = NULL, (vec)->n = (vec)->cap = 0)

#endif
