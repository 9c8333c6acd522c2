/* Bad-input diagnostics (see diag.h). */
#include <stdlib.h>
#include <string.h>
#include "common/diag.h"

static const char *const reason_names[] = {
#define NM_X_R(id, name, text) name,
    NM_REASON_LIST(NM_X_R)
#undef NM_X_R
};
static const char *const reason_texts[] = {
#define NM_X_R(id, name, text) text,
    NM_REASON_LIST(NM_X_R)
#undef NM_X_R
};

const char *nm_reason_name(nm_reason r) { return r < NM_R_COUNT ? reason_names[r] : "unknown"; }
const char *nm_reason_text(nm_reason r) { return r < NM_R_COUNT ? reason_texts[r] : "unknown"; }

void nm_diag_init(nm_diag *d) { memset(d, 0, sizeof *d); }

void nm_diag_add(nm_diag *d, nm_reason r, uint16_t file, uint64_t line, uint32_t col, int row_skipped) {
    if (r >= NM_R_COUNT) return;
    d->count[r]++;
    if (row_skipped) d->rows_skipped++;
    else d->fields_nulled++;
    if (d->nkept[r] < NM_DIAG_KEEP)
        d->kept[r][d->nkept[r]++] = (nm_diag_loc){line, col, file, (uint8_t)r, (uint8_t)(row_skipped != 0)};
}

void nm_diag_merge(nm_diag *dst, const nm_diag *src) {
    for (int r = 0; r < NM_R_COUNT; r++) {
        dst->count[r] += src->count[r];
        for (uint32_t i = 0; i < src->nkept[r] && dst->nkept[r] < NM_DIAG_KEEP; i++)
            dst->kept[r][dst->nkept[r]++] = src->kept[r][i];
    }
    dst->rows_skipped += src->rows_skipped;
    dst->fields_nulled += src->fields_nulled;
}

uint64_t nm_diag_total(const nm_diag *d) {
    uint64_t t = 0;
    for (int r = 0; r < NM_R_COUNT; r++) t += d->count[r];
    return t;
}

static int loc_cmp(const void *a, const void *b) {
    const nm_diag_loc *x = a, *y = b;
    if (x->file != y->file) return x->file < y->file ? -1 : 1;
    if (x->line != y->line) return x->line < y->line ? -1 : 1;
    if (x->col != y->col) return x->col < y->col ? -1 : 1;
    return (int)x->reason - (int)y->reason;
}

static void print_locs(const nm_diag *d, const char *const *files, const char *const *colnames, uint32_t ncols,
                       FILE *out) {
    nm_diag_loc all[NM_R_COUNT * NM_DIAG_KEEP];
    size_t n = 0;
    for (int r = 0; r < NM_R_COUNT; r++)
        for (uint32_t i = 0; i < d->nkept[r]; i++) all[n++] = d->kept[r][i];
    qsort(all, n, sizeof all[0], loc_cmp);
    for (size_t i = 0; i < n; i++) {
        const char *file = files ? files[all[i].file] : "<input>";
        if (!colnames)
            fprintf(out, "%s:%llu:%u: ", file, (unsigned long long)all[i].line, all[i].col);
        else if (all[i].col >= 1 && all[i].col <= ncols)
            fprintf(out, "%s: row %llu, column %s: ", file, (unsigned long long)all[i].line, colnames[all[i].col - 1]);
        else
            fprintf(out, "%s: row %llu: ", file, (unsigned long long)all[i].line);
        fprintf(out, "%s%s\n", nm_reason_text((nm_reason)all[i].reason), all[i].row_skipped ? " (row skipped)" : "");
    }
    if (!nm_diag_total(d)) return;
    fprintf(out, "summary: %llu rows skipped, %llu fields nulled\n", (unsigned long long)d->rows_skipped,
            (unsigned long long)d->fields_nulled);
    for (int r = 0; r < NM_R_COUNT; r++)
        if (d->count[r])
            fprintf(out, "  %-20s %llu%s\n", nm_reason_name((nm_reason)r), (unsigned long long)d->count[r],
                    d->count[r] > d->nkept[r] ? " (first locations shown above)" : "");
}

void nm_diag_print(const nm_diag *d, const char *const *files, FILE *out) { print_locs(d, files, NULL, 0, out); }

void nm_diag_print_rows(const nm_diag *d, const char *name, const char *const *colnames, uint32_t ncols, FILE *out) {
    print_locs(d, &name, colnames, ncols, out);
}
