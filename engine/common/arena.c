/* Arena, growable buffer and vector helpers (see arena.h). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include "common/arena.h"
#include "npimatch/error.h"

struct nm_arena_chunk {
    nm_arena_chunk *next;
    size_t size, used;
    _Alignas(16) unsigned char mem[];
};

void nm_arena_init(nm_arena *a, size_t chunk_size) {
    a->head = NULL;
    a->chunk_size = chunk_size ? chunk_size : (1u << 20);
    a->used_total = 0;
}

void *nm_arena_alloc(nm_arena *a, size_t size) {
    size = (size + 15) & ~(size_t)15;
    nm_arena_chunk *c = a->head;
    if (!c || c->size - c->used < size) {
        size_t want = size > a->chunk_size ? size : a->chunk_size;
        c = malloc(sizeof *c + want);
        if (!c) return NULL;
        c->next = a->head;
        c->size = want;
        c->used = 0;
        a->head = c;
    }
    void *p = c->mem + c->used;
    c->used += size;
    a->used_total += size;
    return p;
}

char *nm_arena_strndup(nm_arena *a, const char *s, size_t len) {
    char *p = nm_arena_alloc(a, len + 1);
    if (!p) return NULL;
    memcpy(p, s, len);
    p[len] = 0;
    return p;
}

void nm_arena_free(nm_arena *a) {
    nm_arena_chunk *c = a->head;
    while (c) {
        nm_arena_chunk *n = c->next;
        free(c);
        c = n;
    }
    a->head = NULL;
    a->used_total = 0;
}

int nm_vec_grow_(void **v, size_t *cap, size_t need, size_t elem) {
    size_t nc = *cap ? *cap : 16;
    while (nc < need) nc *= 2;
    void *nv = realloc(*v, nc * elem);
    if (!nv) return NM_E_NOMEM;
    *v = nv;
    *cap = nc;
    return 0;
}

int nm_buf_reserve(nm_buf *b, size_t extra) {
    if (b->len + extra + 1 <= b->cap) return 0;   /* +1 keeps room for a NUL */
    return nm_vec_grow_((void **)&b->data, &b->cap, b->len + extra + 1, 1);
}

int nm_buf_append(nm_buf *b, const void *p, size_t n) {
    if (nm_buf_reserve(b, n)) return NM_E_NOMEM;
    if (n) memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = 0;
    return 0;
}

int nm_buf_printf(nm_buf *b, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    char small[256];
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0) return NM_E_INTERNAL;
    if ((size_t)n < sizeof small) return nm_buf_append(b, small, (size_t)n);
    if (nm_buf_reserve(b, (size_t)n)) return NM_E_NOMEM;
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
    return 0;
}

void nm_buf_free(nm_buf *b) {
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

void nm_advise_huge(void *p, size_t n) {
#ifdef MADV_HUGEPAGE
    const uintptr_t hp = (uintptr_t)2 << 20;
    uintptr_t a = ((uintptr_t)p + hp - 1) & ~(hp - 1), e = ((uintptr_t)p + n) & ~(hp - 1);
    if (e > a) madvise((void *)a, e - a, MADV_HUGEPAGE);
#else
    (void)p, (void)n;
#endif
}
