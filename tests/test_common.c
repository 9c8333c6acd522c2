/* Tests of the common building blocks: status codes, buffers, diagnostics,
 * zstd-transparent reading and atomic writing, SIMD level selection. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "npimatch.h"
#include "common/arena.h"
#include "common/diag.h"
#include "common/io.h"

static void tmp_path(char *out, size_t cap, const char *name) {
    snprintf(out, cap, "%s/common_%d_%s", NM_TEST_TMPDIR, (int)getpid(), name);
}

Test(error, strerror_covers_every_code) {
    cr_assert_str_eq(nm_strerror(NM_OK), "ok");
    cr_assert_str_eq(nm_strerror(NM_E_CORRUPT), "file is truncated or corrupted");
    cr_assert_str_eq(nm_strerror(12345), "unknown error");
}

Test(buf, append_and_printf_grow) {
    nm_buf b = {0};
    for (int i = 0; i < 10000; i++) cr_assert_eq(nm_buf_printf(&b, "%d,", i), 0);
    cr_assert_eq(strncmp(b.data, "0,1,2,", 6), 0);
    cr_assert_eq(b.data[b.len], 0);
    cr_assert_eq(strcmp(b.data + b.len - 5, "9999,"), 0);
    nm_buf_free(&b);
}

Test(arena, allocations_are_aligned_and_distinct) {
    nm_arena a;
    nm_arena_init(&a, 4096);
    char *prev = NULL;
    for (int i = 0; i < 1000; i++) {
        char *p = nm_arena_alloc(&a, (size_t)(i % 100) + 1);
        cr_assert_not_null(p);
        cr_assert_eq((uintptr_t)p % 16, 0);
        cr_assert_neq(p, prev);
        memset(p, 0xAB, (size_t)(i % 100) + 1);
        prev = p;
    }
    char *big = nm_arena_alloc(&a, 100000);   /* larger than a chunk */
    cr_assert_not_null(big);
    memset(big, 1, 100000);
    nm_arena_free(&a);
}

Test(diag, merge_keeps_order_and_counts) {
    nm_diag a, b;
    nm_diag_init(&a);
    nm_diag_init(&b);
    nm_diag_add(&a, NM_R_INVALID_NPI, 0, 5, 2, 1);
    nm_diag_add(&b, NM_R_INVALID_NPI, 0, 9, 2, 1);
    nm_diag_add(&b, NM_R_INVALID_DATE, 0, 9, 300, 0);
    nm_diag_merge(&a, &b);
    cr_assert_eq(a.count[NM_R_INVALID_NPI], 2);
    cr_assert_eq(a.rows_skipped, 2);
    cr_assert_eq(a.fields_nulled, 1);
    cr_assert_eq(a.kept[NM_R_INVALID_NPI][1].line, 9);
    char *txt = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&txt, &len);
    const char *files[] = {"npi.csv"};
    nm_diag_print(&a, files, f);
    fclose(f);
    cr_assert_not_null(strstr(txt, "npi.csv:5:2: invalid NPI"));
    cr_assert_not_null(strstr(txt, "npi.csv:9:300: impossible date"));
    cr_assert_not_null(strstr(txt, "invalid_npi          2"));
    free(txt);
}

static void write_then_read(const char *name, size_t n) {
    char path[512];
    tmp_path(path, sizeof path, name);
    char *data = malloc(n);
    for (size_t i = 0; i < n; i++) data[i] = (char)('a' + (i * 7 + i / 13) % 26);
    nm_writer *w;
    nm_err err;
    cr_assert_eq(nm_writer_open(path, 0, &w, &err), 0, "%s", err.msg);
    for (size_t off = 0; off < n; off += 70001)
        cr_assert_eq(nm_writer_write(w, data + off, off + 70001 < n ? 70001 : n - off, &err), 0);
    cr_assert_eq(nm_writer_commit(w, &err), 0, "%s", err.msg);
    char *back;
    size_t blen;
    cr_assert_eq(nm_read_all(path, &back, &blen, &err), 0, "%s", err.msg);
    cr_assert_eq(blen, n);
    cr_assert_eq(memcmp(back, data, n), 0);
    free(back);
    free(data);
    unlink(path);
}

Test(io, plain_roundtrip) { write_then_read("plain.txt", 3000000); }
Test(io, zstd_roundtrip) { write_then_read("data.zst", 3000000); }
Test(io, empty_roundtrip) { write_then_read("empty.txt", 0); }

Test(io, abort_leaves_previous_file) {
    char path[512];
    tmp_path(path, sizeof path, "keep.txt");
    nm_writer *w;
    nm_err err;
    cr_assert_eq(nm_writer_open(path, 0, &w, &err), 0);
    nm_writer_write(w, "old", 3, &err);
    cr_assert_eq(nm_writer_commit(w, &err), 0);
    cr_assert_eq(nm_writer_open(path, 0, &w, &err), 0);
    nm_writer_write(w, "new-and-longer", 14, &err);
    nm_writer_abort(w);
    char *back;
    size_t blen;
    cr_assert_eq(nm_read_all(path, &back, &blen, &err), 0);
    cr_assert_eq(blen, 3);
    cr_assert_eq(memcmp(back, "old", 3), 0);
    free(back);
    unlink(path);
}

Test(io, truncated_zstd_is_refused) {
    char path[512];
    tmp_path(path, sizeof path, "trunc.zst");
    nm_writer *w;
    nm_err err;
    cr_assert_eq(nm_writer_open(path, 0, &w, &err), 0);
    char junk[100000];
    for (size_t i = 0; i < sizeof junk; i++) junk[i] = (char)(i * 2654435761u >> 13);
    nm_writer_write(w, junk, sizeof junk, &err);
    cr_assert_eq(nm_writer_commit(w, &err), 0);
    cr_assert_eq(truncate(path, 5000), 0);
    char *back;
    size_t blen;
    int rc = nm_read_all(path, &back, &blen, &err);
    cr_assert_eq(rc, NM_E_CORRUPT);
    cr_assert_not_null(strstr(err.msg, "trunc.zst"));
    unlink(path);
}

Test(io, missing_file_names_the_path) {
    nm_reader *r;
    nm_err err;
    cr_assert_eq(nm_reader_open("/nonexistent/x.csv", &r, &err), NM_E_NOTFOUND);
    cr_assert_not_null(strstr(err.msg, "/nonexistent/x.csv"));
}

Test(simd, env_cap_and_force) {
    nm_simd_level best = nm_simd_detect();
    cr_assert(nm_simd_active() <= best);
    cr_assert_eq(nm_simd_force(NM_SIMD_SCALAR), 0);
    cr_assert_eq(nm_simd_active(), NM_SIMD_SCALAR);
    if (best < NM_SIMD_AVX512) cr_assert_eq(nm_simd_force(NM_SIMD_AVX512), NM_E_UNSUPPORTED);
    cr_assert_eq(nm_simd_force(best), 0);
    cr_assert_str_eq(nm_simd_name(NM_SIMD_AVX2), "avx2");
}
