/* Model files: writing (schema in include/npimatch/model.h). The model is
 * turned into a JSON DOM in schema order and printed by the deterministic
 * writer (common/json.h), so the same model always gives the same bytes and
 * every m/u reads back bit for bit. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "common/error_internal.h"
#include "common/io.h"
#include "common/json.h"
#include "model/model_internal.h"

typedef struct wctx {
    nm_arena *a;
    int rc;
} wctx;

/* Builders that remember the first failure, so the writer reads straight. */
static nm_json *w_obj(wctx *w) {
    nm_json *v = nm_json_new(w->a, NM_JSON_OBJECT);
    if (!v) w->rc = NM_E_NOMEM;
    return v;
}
static nm_json *w_arr(wctx *w) {
    nm_json *v = nm_json_new(w->a, NM_JSON_ARRAY);
    if (!v) w->rc = NM_E_NOMEM;
    return v;
}
static void w_put(wctx *w, nm_json *o, const char *k, nm_json *v) {
    if (!w->rc && o) w->rc = nm_json_put(w->a, o, k, v);
}
static void w_push(wctx *w, nm_json *o, nm_json *v) {
    if (!w->rc && o) w->rc = nm_json_push(w->a, o, v);
}
static void w_str(wctx *w, nm_json *o, const char *k, const char *s) { w_put(w, o, k, nm_json_new_string(w->a, s)); }
static void w_num(wctx *w, nm_json *o, const char *k, double x) { w_put(w, o, k, nm_json_new_number(w->a, x)); }

static nm_json *w_blocking(wctx *w, const nm_blocking_rule *r, size_t n) {
    nm_json *arr = w_arr(w);
    for (size_t i = 0; i < n; i++) {
        nm_json *o = w_obj(w);
        w_str(w, o, "name", r[i].name);
        w_str(w, o, "keys", r[i].keys);
        w_push(w, arr, o);
    }
    return arr;
}

static nm_json *w_rules(wctx *w, const nm_model *m, const nm_rule *r, size_t n) {
    nm_json *arr = w_arr(w);
    for (size_t i = 0; i < n; i++) {
        nm_json *o = w_obj(w), *conds = w_arr(w);
        w_str(w, o, "name", r[i].name);
        for (int k = 0; k < r[i].n_conditions; k++) {
            const nm_condition *cd = &r[i].conditions[k];
            const nm_comparison *cmp = &m->comparisons[cd->comparison];
            nm_json *co = w_obj(w), *lv = w_arr(w);
            w_str(w, co, "comparison", cmp->name);
            for (int l = 0; l < cmp->n_levels; l++)
                if (cd->levels >> l & 1) w_push(w, lv, nm_json_new_string(w->a, cmp->levels[l].label));
            w_put(w, co, "levels", lv);
            w_push(w, conds, co);
        }
        w_put(w, o, "conditions", conds);
        w_push(w, arr, o);
    }
    return arr;
}

static nm_json *model_dom(const nm_model *m, wctx *w) {
    nm_json *root = w_obj(w);
    w_num(w, root, "npimatch_model_version", NM_MODEL_VERSION);
    w_str(w, root, "name", m->name);
    if (m->description) w_str(w, root, "description", m->description);
    w_str(w, root, "link_type", m->dedupe ? "dedupe" : "link_only");
    if (m->id_column) w_str(w, root, "id_column", m->id_column);
    w_num(w, root, "probability_two_random_records_match", m->lambda);
    nm_json *fields = w_arr(w);
    for (size_t i = 0; i < m->n_fields; i++) {
        const nm_field *f = &m->fields[i];
        nm_json *o = w_obj(w), *norms = w_arr(w);
        w_str(w, o, "name", f->name);
        w_str(w, o, "type", nm_field_type_name(f->type));
        if (strcmp(f->column, f->name)) w_str(w, o, "column", f->column);
        for (int k = 0; k < f->n_normalizers; k++) w_push(w, norms, nm_json_new_string(w->a, nm_normalizer_name(f->normalizers[k])));
        w_put(w, o, "normalizers", norms);
        w_push(w, fields, o);
    }
    w_put(w, root, "fields", fields);
    nm_json *comps = w_arr(w);
    for (size_t i = 0; i < m->n_comparisons; i++) {
        const nm_comparison *c = &m->comparisons[i];
        nm_json *o = w_obj(w), *fl = w_arr(w), *levels = w_arr(w);
        w_str(w, o, "name", c->name);
        for (int k = 0; k < c->n_fields; k++) w_push(w, fl, nm_json_new_string(w->a, m->fields[c->fields[k]].name));
        w_put(w, o, "fields", fl);
        if (c->tf_minimum_u != 1e-5) w_num(w, o, "tf_minimum_u", c->tf_minimum_u);
        for (int l = 0; l < c->n_levels; l++) {
            const nm_level *lv = &c->levels[l];
            char pred[48];
            nm_predicate_text(lv, pred, sizeof pred);
            nm_json *lo = w_obj(w);
            w_str(w, lo, "label", lv->label);
            w_str(w, lo, "predicate", pred);
            if (lv->field != NM_ALL_FIELDS) w_str(w, lo, "field", m->fields[c->fields[lv->field]].name);
            if (l != c->null_level) {
                w_num(w, lo, "m", lv->m);
                w_num(w, lo, "u", lv->u);
                if (lv->tf) w_put(w, lo, "tf", nm_json_new_bool(w->a, 1));
                if (lv->tf && lv->tf_weight != 1) w_num(w, lo, "tf_weight", lv->tf_weight);
                /* Rounded for people; ignored when loading. */
                w_num(w, lo, "weight", round(m->weights.w[i * NM_MAX_LEVELS + (size_t)l] * 1000) / 1000);
            }
            w_push(w, levels, lo);
        }
        w_put(w, o, "levels", levels);
        w_push(w, comps, o);
    }
    w_put(w, root, "comparisons", comps);
    w_put(w, root, "blocking_rules", w_blocking(w, m->blocking, m->n_blocking));
    if (m->n_training) w_put(w, root, "training_blocking_rules", w_blocking(w, m->training, m->n_training));
    if (m->n_rules) w_put(w, root, "deterministic_rules", w_rules(w, m, m->rules, m->n_rules));
    const nm_thresholds *t = &m->thresholds;
    nm_json *th = w_obj(w), *cl = w_obj(w);
    w_num(w, th, "match_probability", t->match_probability);
    w_num(w, th, "review_probability", t->review_probability);
    w_num(w, th, "ambiguity_gap_bits", t->ambiguity_gap_bits);
    w_put(w, root, "thresholds", th);
    w_num(w, cl, "link_probability", t->link_probability);
    if (t->n_guards) w_put(w, cl, "guards", w_rules(w, m, t->guards, t->n_guards));
    w_put(w, root, "clustering", cl);
    return root;
}

int nm_model_to_json(const nm_model *m, char **out, size_t *len, nm_err *err) {
    *out = NULL;
    nm_arena a;
    nm_arena_init(&a, 65536);
    wctx w = {&a, 0};
    nm_json *root = model_dom(m, &w);
    nm_buf b = {0};
    int rc = w.rc ? w.rc : nm_json_write(root, &b);
    nm_arena_free(&a);
    if (rc) {
        nm_buf_free(&b);
        return nm_err_set(err, rc, "model %s: cannot serialise (%s)", m->name, nm_strerror(rc));
    }
    *out = b.data;
    if (len) *len = b.len;
    return 0;
}

int nm_model_save(const nm_model *m, const char *path, nm_err *err) {
    char *json;
    size_t len;
    NM_TRY(nm_model_to_json(m, &json, &len, err));
    nm_writer *w;
    int rc = nm_writer_open(path, 0, &w, err);
    if (rc == 0) {
        rc = nm_writer_write(w, json, len, err);
        if (rc == 0) rc = nm_writer_commit(w, err);
        else nm_writer_abort(w);
    }
    free(json);
    return rc;
}

int nm_model_clone(const nm_model *m, nm_model **out) {
    /* Through JSON: the writer's numbers round-trip exactly, so the clone
     * has the same m, u and weights bit for bit. */
    char *json;
    size_t len;
    NM_TRY(nm_model_to_json(m, &json, &len, NULL));
    int rc = nm_model_parse(json, len, m->name, out, NULL);
    free(json);
    return rc;
}
