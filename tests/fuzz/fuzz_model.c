/* Fuzz harness: arbitrary bytes through the JSON parser and the model
 * loader. Whatever the input: no crash, no leak, and a model that loads
 * serialises and reloads to the same bytes (the round-trip invariant). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "common/arena.h"
#include "common/json.h"
#include "npimatch.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    nm_arena a;
    nm_arena_init(&a, 4096);
    nm_json *v;
    if (nm_json_parse((const char *)data, size, "fuzz", &a, &v, NULL) == 0) {
        nm_buf b = {0};
        if (nm_json_write(v, &b) == 0) {
            nm_json *v2;
            if (nm_json_parse(b.data, b.len, "fuzz2", &a, &v2, NULL) != 0) abort();
        }
        nm_buf_free(&b);
    }
    nm_arena_free(&a);
    nm_model *m;
    if (nm_model_parse((const char *)data, size, "fuzz", &m, NULL) == 0) {
        char *j1, *j2;
        size_t l1, l2;
        nm_model *m2;
        if (nm_model_to_json(m, &j1, &l1, NULL)) abort();
        if (nm_model_parse(j1, l1, "fuzz2", &m2, NULL)) abort();
        if (nm_model_to_json(m2, &j2, &l2, NULL)) abort();
        if (l1 != l2 || memcmp(j1, j2, l1)) abort();
        uint8_t levels[NM_MAX_COMPARISONS] = {0};
        char out[64];
        nm_explain(m2, levels, NULL, out, sizeof out);
        free(j1);
        free(j2);
        nm_model_free(m2);
        nm_model_free(m);
    }
    return 0;
}
