/* The record table of the person-resolution state (see state.h): sorted
 * keys with first-seen generation, person ID and confidence per row, and the
 * two operations a night needs on it: apply tonight's changes and deletions,
 * and list each person's members. */
#include <stdlib.h>
#include <string.h>
#include "common/error_internal.h"
#include "state/state.h"

int nm_records_push(nm_state_records *r, const char *key, size_t len, uint32_t first_seen, uint32_t person,
                    float confidence) {
    if (r->key_off.n == 0 && NM_VEC_PUSH(&r->key_off, 0)) return NM_E_NOMEM;
    if (NM_VEC_RESERVE(&r->key_off, r->n + 2) || NM_VEC_RESERVE(&r->first_seen, r->n + 1) ||
        NM_VEC_RESERVE(&r->person, r->n + 1) || NM_VEC_RESERVE(&r->confidence, r->n + 1) ||
        nm_buf_append(&r->keys, key, len))
        return NM_E_NOMEM;
    r->key_off.v[r->key_off.n++] = r->keys.len;
    r->first_seen.v[r->first_seen.n++] = first_seen;
    r->person.v[r->person.n++] = person;
    r->confidence.v[r->confidence.n++] = confidence;
    r->n++;
    return NM_OK;
}


int64_t nm_records_find(const nm_state_records *r, const char *key, size_t len) {
    size_t lo = 0, hi = r->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        nm_key k = nm_records_key(r, mid);
        int c = nm_key_cmp(k.p, k.len, key, len);
        if (c == 0) return (int64_t)mid;
        if (c < 0) lo = mid + 1;
        else hi = mid;
    }
    return -1;
}

void nm_records_free(nm_state_records *r) {
    NM_VEC_FREE(&r->key_off);
    nm_buf_free(&r->keys);
    NM_VEC_FREE(&r->first_seen);
    NM_VEC_FREE(&r->person);
    NM_VEC_FREE(&r->confidence);
    r->n = 0;
}

static int push_row(nm_state_records *out, const nm_state_records *r, size_t i) {
    nm_key k = nm_records_key(r, i);
    return nm_records_push(out, k.p, k.len, r->first_seen.v[i], r->person.v[i], r->confidence.v[i]);
}

int nm_records_apply(const nm_state_records *old, const nm_state_records *changes, const nm_key *deleted,
                     size_t n_deleted, nm_state_records *out, nm_err *err) {
    for (size_t i = 1; i < changes->n; i++) {
        nm_key a = nm_records_key(changes, i - 1), b = nm_records_key(changes, i);
        if (nm_key_cmp(a.p, a.len, b.p, b.len) >= 0)
            return nm_err_set(err, NM_E_ARG, "records: changes not sorted by key at row %zu", i);
    }
    /* Deleted keys, sorted, so one merge walk handles all three lists. */
    uint32_t *rank = malloc((n_deleted + 1) * sizeof *rank), *ord = malloc((n_deleted + 1) * sizeof *ord);
    if (!rank || !ord) {
        free(rank);
        free(ord);
        return nm_err_set(err, NM_E_NOMEM, "out of memory");
    }
    int rc = nm_keys_rank(deleted, n_deleted, rank, err);
    for (size_t i = 0; !rc && i < n_deleted; i++) ord[rank[i]] = (uint32_t)i;
    size_t i = 0, j = 0, d = 0;
    while (!rc && (i < old->n || j < changes->n)) {
        nm_key a = i < old->n ? nm_records_key(old, i) : (nm_key){NULL, 0};
        nm_key b = j < changes->n ? nm_records_key(changes, j) : (nm_key){NULL, 0};
        int c = i >= old->n ? 1 : j >= changes->n ? -1 : nm_key_cmp(a.p, a.len, b.p, b.len);
        nm_key k = c <= 0 ? a : b;
        while (d < n_deleted && nm_key_cmp(deleted[ord[d]].p, deleted[ord[d]].len, k.p, k.len) < 0) d++;
        int del = d < n_deleted && !nm_key_cmp(deleted[ord[d]].p, deleted[ord[d]].len, k.p, k.len);
        if (del && c >= 0) {
            rc = nm_err_set(err, NM_E_ARG, "records: change row %zu is also deleted", j);
            break;
        }
        if (c < 0) {
            if (!del) rc = push_row(out, old, i);
            i++;
        } else {
            rc = push_row(out, changes, j);
            j++;
            if (c == 0) i++;
        }
        if (rc == NM_E_NOMEM) rc = nm_err_set(err, NM_E_NOMEM, "out of memory");
    }
    free(rank);
    free(ord);
    if (rc) nm_records_free(out);
    return rc;
}

int nm_records_by_person(const nm_state_records *r, size_t n_ids, uint32_t **start, uint32_t **rows, nm_err *err) {
    uint32_t *s = calloc(n_ids + 2, sizeof *s), *w = malloc((r->n + 1) * sizeof *w);
    if (!s || !w) {
        free(s);
        free(w);
        return nm_err_set(err, NM_E_NOMEM, "out of memory");
    }
    for (size_t i = 0; i < r->n; i++) {
        if (r->person.v[i] >= n_ids) {
            free(s);
            free(w);
            return nm_err_set(err, NM_E_ARG, "records: row %zu holds ID %u of %zu", i, r->person.v[i], n_ids);
        }
        s[r->person.v[i] + 2]++;
    }
    /* Counting sort, stable, so each person's rows stay in key order:
     * s[p + 1] becomes the fill position of p, then its end. */
    for (size_t p = 0; p < n_ids; p++) s[p + 2] += s[p + 1];
    for (size_t i = 0; i < r->n; i++) w[s[r->person.v[i] + 1]++] = (uint32_t)i;
    *start = s;
    *rows = w;
    return NM_OK;
}

int nm_record_key_make(nm_buf *b, const char *src, size_t src_len, const char *id, size_t id_len) {
    if (memchr(src, 0, src_len)) return NM_E_ARG;
    if (nm_buf_append(b, src, src_len) || nm_buf_putc(b, 0) || nm_buf_append(b, id, id_len)) return NM_E_NOMEM;
    return NM_OK;
}

