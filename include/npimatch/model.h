/* npimatch/model.h - the linkage model: fields, comparisons and their levels,
 * blocking rules, deterministic rules, thresholds; Fellegi-Sunter scoring,
 * explanations, and training (u from random pairs, m by EM, supervised).
 *
 * One machinery serves every use: the HCP-to-NPPES model, the patient model
 * and a user's own CSV schema are all model files (readable JSON). The
 * shipped models are embedded: nm_model_load("builtin:hcp"), "builtin:patient",
 * and "builtin:febrl" (an example for FEBRL-style CSV files).
 *
 * ------------------------------------------------------------------ schema
 * {
 *   "npimatch_model_version": 1,                 required; other values -> NM_E_VERSION
 *   "name": "hcp_nppes",  "description": "...",  optional text
 *   "link_type": "link_only" | "dedupe",         default "link_only"
 *   "id_column": "rec_id",                       optional: input column of record ids
 *                                                (link/dedupe; default record_id, rec_id, id)
 *   "probability_two_random_records_match": 1e-7,   lambda, in (0,1)
 *   "fields": [ {"name": "last_name", "type": "surname",
 *                "column": "last_name",           input column, default = name
 *                "normalizers": ["surname"]} ],   default: the type's normalizer
 *       types: name given_name surname date address postal_code phone email
 *              identifier text
 *       normalizers (applied in order, at most 4): none text name given_name
 *              surname address zip phone email date digits upper
 *   "comparisons": [ {"name": "last_name", "fields": ["last_name"],
 *                     "tf_minimum_u": 1e-5,       floor of a term frequency (default 1e-5)
 *                     "levels": [
 *       {"label": "null",  "predicate": "null"},                     weight 0, no m/u
 *       {"label": "exact", "predicate": "exact", "m": 0.8, "u": 0.001, "tf": true},
 *       {"label": "jw92",  "predicate": "jw>=92", "m": 0.1, "u": 0.002},
 *         (optional per level: "field": one of the comparison's fields,
 *          "tf_weight": 0..1 scaling the TF term)
 *       {"label": "else",  "predicate": "else",  "m": 0.1, "u": 0.997} ]} ],
 *   "blocking_rules": [ {"name": "dm_last_state", "keys": "dmetaphone(last_name)+state"} ],
 *   "training_blocking_rules": [ ...same form, used by EM... ],
 *   "deterministic_rules": [ {"name": "npi", "conditions": [
 *        {"comparison": "npi", "levels": ["exact"]} ]} ],
 *   "thresholds": {"match_probability": 0.9, "review_probability": 0.5,
 *                  "ambiguity_gap_bits": 3},
 *   "clustering": {"link_probability": 0.99, "guards": [ rules as above ]}
 * }
 * Unknown keys are refused (a typo must not silently change a model). When
 * saving, each level also gets "weight" = log2(m/u), for people; it is
 * ignored when loading. Errors read "<file>:<line>:<col>: <json path>: reason",
 * e.g. "m.json:14:22: comparisons[1].levels[2].predicate: unknown predicate".
 *
 * Levels: ordered; the compare stage evaluates the predicates in order and
 * the FIRST that holds gives the level (an index < 16). The last level must
 * be "else"; a "null" level, if present, must be first. Predicates
 * (`k`, `t` integers; thresholds in percent are decided exactly):
 *   null                   a value is missing on either side (two-field
 *                          comparisons: see below)
 *   exact                  equal normalized values
 *   nickname               equal or nickname-equivalent given names
 *   jw>=t, jaro>=t         Jaro-Winkler / Jaro similarity >= t/100
 *   levenshtein<=k, osa<=k edit distance (OSA: adjacent transpositions)
 *   soundex, nysiis        equal phonetic codes
 *   dmetaphone             Double Metaphone primary/alternate codes intersect
 *   date_transposed        day and month swapped;  date_one_digit_off
 *   date_same_year_month;  date_within_days(k)   |a-b| <= k days
 *   zip5, zip3             equal 5-digit ZIP / 3-digit prefix
 *   distance_km<=k         ZIP centroids within k km
 *   token_jaccard>=t       token-set Jaccard >= t/100
 *   initial                first letters equal and one side is an initial
 *   swapped                two-field comparison: a1 == b2 and a2 == b1
 *   swapped_jw>=t          two-field: crossed pairs, one exact, the other JW >= t/100
 *   else                   always holds
 * Comparisons over two fields (e.g. ["first_name", "last_name"], or
 * ["license_number", "license_state"]): a level's predicate must hold on
 * both fields, unless the level names one of them with "field": "first_name"
 * (then only that field is read). "null" holds when no field can be compared
 * (each is missing on at least one side); other predicates are false on a
 * missing value. This gives Splink's forename/surname comparison: exact on
 * both, swapped, then per-field levels.
 *
 * Blocking keys: terms joined by '+', each `field` or `fn(field)` with fn in
 * value (the same as a bare field), initial, prefixN (N = 1..9), soundex,
 * nysiis, dmetaphone (primary and alternate: a record may have two keys),
 * nickname (nickname-group ids), zip5, zip3, tokens (one key per token),
 * year (date fields), digits, set (the value; the values of a rule's set()
 * terms are hashed in sorted order, so "set(first_name)+set(last_name)" finds
 * first and last names typed in each other's column), orgname (an organization
 * name without its trailing legal-form words INC, LLC, PC ..., as two keys:
 * the first three letters of each word, and the last three: a dropped INC or
 * one typo leaves at least one of them intact), ends (the same two keys
 * without dropping any word: "ends(first_name)+ends(last_name)+state" finds a
 * name with one typo in either part), absent (a fallback for records that lack
 * the field: a query record with no value of it looks such a rule up, one
 * with a value does not; every indexed record answers, whatever its value:
 * "orgname(organization_name)+absent(state)" finds an organization typed
 * without any location by its name alone, while records with a location
 * pay nothing for the rule). A pair is a candidate of a rule when all its
 * terms agree; a record with a missing term has no key for that rule. Rules
 * are applied in order; a pair is attributed to the first rule that finds it
 * (its match_key). Each rule's `comparisons` mask lists the comparisons that
 * read one of its fields (held fixed when EM trains on that rule's pairs).
 * Type checks: year() needs a date, zip5()/zip3() a postal_code, phonetic and
 * nickname functions a name field; predicates likewise (date_* on dates,
 * zip5, zip3, distance_km on postal codes, nickname/phonetic/initial on names).
 *
 * Deterministic rules and clustering guards are conjunctions of conditions
 * on levels: {"comparison": c, "levels": [labels]} or {"comparison": c,
 * "at_least": label} (every non-null level from the first to `label`).
 * A pair satisfying a deterministic rule is a match by that rule (match_key
 * = rule name) whatever its weight; rules are tried in order before scoring. A pair satisfying a guard must never be
 * merged by clustering ("confidently different"), and `match` never picks
 * it (probability 0) unless a deterministic rule holds on it.
 * Thresholds: a best candidate is a match when its probability >=
 * match_probability, for review between review_probability and that;
 * two candidates whose weights differ by less than ambiguity_gap_bits are
 * ambiguous. Clustering links pairs with probability >= link_probability.
 * Clustering rule (engine/cluster/cluster.h): links are unioned strongest
 * first (weight descending, ties by record keys); a union that would put two
 * guarded ("confidently different") records into one person is refused, so a
 * component chained through a weak or blank-valued link is split along its
 * weakest links. Parameters: link_probability and the guards; the shipped
 * patient model guards on birth date "else" (valid, more than about three
 * years apart: beyond the typo levels, e.g. Jr and Sr), on first name
 * "else" (no exact, nickname, Jaro-Winkler >= 0.80, phonetic or initial
 * agreement: twins share everything else), and on birth date "else" with
 * sex "else".
 *
 * ----------------------------------------------------------------- scoring
 * Fellegi-Sunter in Splink's convention: weight w = log2(lambda/(1-lambda))
 * + sum over comparisons of log2(m/u) of the pair's level (null: 0), plus
 * term-frequency terms; probability = 2^w / (1 + 2^w). A level with "tf"
 * uses, when the caller supplies the value's relative frequency f > 0,
 * u' = max(f, tf_minimum_u) in place of u: the TF term is
 * tf_weight * log2(u / u'), reported separately. Weights are precomputed
 * per (comparison, level), so a pair costs one lookup and add per comparison.
 *
 * Memory: nm_model is opaque and owns all its strings; pointers returned by
 * accessors stay valid until nm_model_free. Functions are thread-safe on a
 * model that is not being modified. */
#ifndef NPIMATCH_MODEL_H
#define NPIMATCH_MODEL_H

#include <stddef.h>
#include <stdint.h>
#include "npimatch/error.h"

#ifdef __cplusplus
extern "C" {
#endif

#define NM_MODEL_VERSION 1
#define NM_MAX_FIELDS 128
#define NM_MAX_COMPARISONS 64     /* comparison masks are uint64_t */
#define NM_MAX_LEVELS 16          /* level masks are uint16_t */
#define NM_MAX_NORMALIZERS 4
#define NM_MAX_KEY_TERMS 8
#define NM_MAX_CONDITIONS 16
#define NM_NO_LEVEL 0xFF
#define NM_ALL_FIELDS 0xFF

typedef enum nm_field_type {
    NM_FIELD_NAME, NM_FIELD_GIVEN_NAME, NM_FIELD_SURNAME, NM_FIELD_DATE, NM_FIELD_ADDRESS,
    NM_FIELD_POSTAL_CODE, NM_FIELD_PHONE, NM_FIELD_EMAIL, NM_FIELD_IDENTIFIER, NM_FIELD_TEXT,
    NM_FIELD_TYPE_COUNT
} nm_field_type;

/* Normalizers (npimatch/normalize.h) a field's values go through, in order. */
typedef enum nm_normalizer {
    NM_NORM_NONE,        /* trim only */
    NM_NORM_TEXT,        /* nm_normalize_text */
    NM_NORM_NAME,        /* nm_normalize_text, hyphen kept, prefixes/suffixes removed */
    NM_NORM_GIVEN_NAME,
    NM_NORM_SURNAME,
    NM_NORM_ADDRESS,     /* nm_normalize_address (USPS Pub 28) */
    NM_NORM_ZIP,         /* nm_normalize_zip: zip5 */
    NM_NORM_PHONE,       /* nm_normalize_phone: 10 digits */
    NM_NORM_EMAIL,       /* nm_normalize_email */
    NM_NORM_DATE,        /* nm_parse_date: YYYYMMDD */
    NM_NORM_DIGITS,      /* keep digits only (identifiers such as NPI) */
    NM_NORM_UPPER,       /* ASCII upper case, spaces collapsed (codes, states, sex) */
    NM_NORM_COUNT
} nm_normalizer;

typedef enum nm_predicate {
    NM_PRED_NULL, NM_PRED_EXACT, NM_PRED_NICKNAME, NM_PRED_JW, NM_PRED_JARO,
    NM_PRED_LEVENSHTEIN, NM_PRED_OSA, NM_PRED_SOUNDEX, NM_PRED_NYSIIS, NM_PRED_DMETAPHONE,
    NM_PRED_DATE_TRANSPOSED, NM_PRED_DATE_ONE_DIGIT_OFF, NM_PRED_DATE_SAME_YEAR_MONTH,
    NM_PRED_DATE_WITHIN_DAYS, NM_PRED_ZIP5, NM_PRED_ZIP3, NM_PRED_DISTANCE_KM,
    NM_PRED_TOKEN_JACCARD, NM_PRED_INITIAL, NM_PRED_SWAPPED, NM_PRED_ELSE,
    NM_PRED_SWAPPED_JW,
    NM_PRED_COUNT
} nm_predicate;

typedef enum nm_key_fn {
    NM_KEY_VALUE, NM_KEY_INITIAL, NM_KEY_PREFIX, NM_KEY_SOUNDEX, NM_KEY_NYSIIS,
    NM_KEY_DMETAPHONE, NM_KEY_NICKNAME, NM_KEY_ZIP5, NM_KEY_ZIP3, NM_KEY_TOKENS,
    NM_KEY_YEAR, NM_KEY_DIGITS, NM_KEY_SET, NM_KEY_ORGNAME, NM_KEY_ENDS, NM_KEY_ABSENT,
    NM_KEY_FN_COUNT
} nm_key_fn;

typedef struct nm_field {
    const char *name;
    const char *column;                    /* input column name */
    nm_field_type type;
    uint8_t n_normalizers;
    uint8_t normalizers[NM_MAX_NORMALIZERS];   /* nm_normalizer values */
} nm_field;

typedef struct nm_level {
    const char *label;
    uint8_t predicate;      /* nm_predicate */
    uint8_t tf;             /* term-frequency adjustment on this level */
    uint8_t field;          /* NM_ALL_FIELDS, or 0/1: the one comparison field read */
    int32_t param;          /* t (percent) or k (edits, days, km); 0 when unused */
    double m, u;            /* in (0,1]; 1 and 1 for the null level */
    double tf_weight;       /* 0..1, default 1 (Splink's tf_adjustment_weight) */
} nm_level;

typedef struct nm_comparison {
    const char *name;
    uint8_t n_fields;       /* 1 or 2 */
    uint16_t fields[2];     /* indexes into the model's fields */
    uint8_t n_levels;
    uint8_t null_level;     /* index of the null level, or NM_NO_LEVEL */
    double tf_minimum_u;
    nm_level levels[NM_MAX_LEVELS];
} nm_comparison;

typedef struct nm_key_term {
    uint8_t fn;             /* nm_key_fn */
    uint8_t param;          /* N of prefixN */
    uint16_t field;
} nm_key_term;

typedef struct nm_blocking_rule {
    const char *name;
    const char *keys;           /* the expression as written */
    uint8_t n_terms;
    nm_key_term terms[NM_MAX_KEY_TERMS];
    uint64_t comparisons;       /* bit c: comparison c uses a field of this rule
                                   (EM holds these fixed in this rule's run) */
} nm_blocking_rule;

typedef struct nm_condition {
    uint16_t comparison;
    uint16_t levels;            /* bit l: level l satisfies the condition */
} nm_condition;

typedef struct nm_rule {
    const char *name;
    uint8_t n_conditions;
    nm_condition conditions[NM_MAX_CONDITIONS];
} nm_rule;

typedef struct nm_thresholds {
    double match_probability;   /* default 0.9 */
    double review_probability;  /* default 0.5 */
    double ambiguity_gap_bits;  /* default 2 */
    double link_probability;    /* clustering, default 0.95 */
    size_t n_guards;
    const nm_rule *guards;      /* clustering vetoes */
} nm_thresholds;

typedef struct nm_model nm_model;

/* ---- load, save, free ---- */

/* Load a model file (plain or .zst), or an embedded one: "builtin:hcp",
 * "builtin:patient", "builtin:febrl". *out is owned by the caller (nm_model_free). Errors:
 * NM_E_IO, NM_E_FORMAT (bad JSON), NM_E_VERSION, NM_E_MODEL (invalid
 * content), with file:line:col and the JSON path in err. */
NM_API int nm_model_load(const char *path, nm_model **out, nm_err *err);
/* Same from bytes in memory; `name` is used in messages. */
NM_API int nm_model_parse(const char *json, size_t len, const char *name, nm_model **out, nm_err *err);
/* The model as readable JSON (deterministic bytes): malloc'ed, NUL-terminated,
 * freed by the caller. */
NM_API int nm_model_to_json(const nm_model *m, char **out, size_t *len, nm_err *err);
/* Write nm_model_to_json atomically to `path` (nm_writer). */
NM_API int nm_model_save(const nm_model *m, const char *path, nm_err *err);
/* Deep copy (for training on a copy). */
NM_API int nm_model_clone(const nm_model *m, nm_model **out);
NM_API void nm_model_free(nm_model *m);

/* ---- read access ---- */

NM_API const char *nm_model_name(const nm_model *m);
NM_API int nm_model_is_dedupe(const nm_model *m);
/* The model's "id_column" (input column holding record ids), or NULL. */
NM_API const char *nm_model_id_column(const nm_model *m);
NM_API double nm_model_lambda(const nm_model *m);
NM_API size_t nm_model_field_count(const nm_model *m);
NM_API const nm_field *nm_model_field(const nm_model *m, size_t i);
NM_API size_t nm_model_comparison_count(const nm_model *m);
NM_API const nm_comparison *nm_model_comparison(const nm_model *m, size_t i);
NM_API size_t nm_model_blocking_rule_count(const nm_model *m);
NM_API const nm_blocking_rule *nm_model_blocking_rule(const nm_model *m, size_t i);
NM_API size_t nm_model_training_rule_count(const nm_model *m);
NM_API const nm_blocking_rule *nm_model_training_rule(const nm_model *m, size_t i);
NM_API size_t nm_model_rule_count(const nm_model *m);
NM_API const nm_rule *nm_model_rule(const nm_model *m, size_t i);
NM_API const nm_thresholds *nm_model_thresholds(const nm_model *m);
/* Index by name, or -1. */
NM_API int nm_model_field_index(const nm_model *m, const char *name);
NM_API int nm_model_comparison_index(const nm_model *m, const char *name);
NM_API int nm_model_level_index(const nm_model *m, size_t comparison, const char *label);
/* Names of the enums (for messages and writers); "?" when out of range. */
NM_API const char *nm_field_type_name(nm_field_type t);
NM_API const char *nm_predicate_name(nm_predicate p);
NM_API const char *nm_key_fn_name(nm_key_fn f);

/* ---- changing parameters (training, tools); weights are recomputed ---- */

/* Set m and u of a level (both in (0,1]); NM_E_ARG otherwise or for the null level. */
NM_API int nm_model_set_mu(nm_model *m, size_t comparison, size_t level, double mprob, double uprob);
/* Set lambda, in (0,1). */
NM_API int nm_model_set_lambda(nm_model *m, double lambda);

/* ---- scoring ---- */

/* A comparison vector is one uint8 level per comparison, in model order.
 * Levels are trusted (the compare stage produces them): out-of-range values
 * are undefined behaviour in the hot paths, checked by nm_model_check_vector. */
NM_API int nm_model_check_vector(const nm_model *m, const uint8_t *levels);
/* log2(lambda/(1-lambda)). */
NM_API double nm_model_prior_weight(const nm_model *m);
/* log2(m/u) of a level (0 for null). */
NM_API double nm_model_level_weight(const nm_model *m, size_t comparison, size_t level);
/* The TF term of a level for a relative term frequency `tf` (0 when tf <= 0
 * or the level has no TF adjustment). */
NM_API double nm_model_tf_weight(const nm_model *m, size_t comparison, size_t level, double tf);
/* Match weight of one pair. tf: NULL or one relative frequency per comparison
 * (0 = unknown). *tf_part (may be NULL) receives the TF share of the weight. */
NM_API double nm_score(const nm_model *m, const uint8_t *levels, const double *tf, double *tf_part);
/* Weights of n pairs without TF: vectors is n rows of nm_model_comparison_count
 * bytes; out has n entries (caller-owned). */
NM_API void nm_score_batch(const nm_model *m, const uint8_t *vectors, size_t n, double *out);
/* Same with TF: one frequency per comparison shared by all n pairs (one
 * query against its candidates: the query's values fix the frequencies).
 * Bit-identical to nm_score(m, vector, tf, NULL) for each pair. */
NM_API void nm_score_batch_tf(const nm_model *m, const uint8_t *vectors, size_t n, const double *tf, double *out);
/* 2^w / (1 + 2^w), computed without overflow. */
NM_API double nm_weight_to_probability(double w);
/* Index of the first deterministic rule the vector satisfies, or -1. */
NM_API int nm_model_first_rule(const nm_model *m, const uint8_t *levels);
/* 1 when every condition of rule r holds for the vector. */
NM_API int nm_rule_holds(const nm_rule *r, const uint8_t *levels);
/* Index of the first clustering guard that vetoes the pair, or -1. */
NM_API int nm_model_first_guard(const nm_model *m, const uint8_t *levels);

/* ---- explanations ---- */

/* Compact form "first_name=nickname:+3.1;last_name=exact:+9.8(tf);phone=null:0":
 * per comparison, name=label:weight (TF included, one decimal, explicit
 * sign; null levels print 0; "(tf)" when a TF term applied). The prior is
 * not included. Writes at most cap bytes including the NUL; returns the full
 * length (like snprintf), or NM_E_ARG. */
NM_API int nm_explain(const nm_model *m, const uint8_t *levels, const double *tf, char *out, size_t cap);

typedef struct nm_waterfall_step {
    const char *comparison;   /* "prior" for step 0 */
    const char *label;        /* level label ("lambda" for step 0) */
    double weight;            /* log2(m/u) of the level (prior for step 0) */
    double tf_weight;         /* TF term (0 when none) */
    double cumulative;        /* running total including this step */
    double probability;       /* nm_weight_to_probability(cumulative) */
} nm_waterfall_step;
/* Fill steps[0..ncomp]: the prior, then one step per comparison in model
 * order. `steps` has nm_model_comparison_count(m) + 1 entries (caller-owned).
 * Returns the number of steps. */
NM_API size_t nm_waterfall(const nm_model *m, const uint8_t *levels, const double *tf, nm_waterfall_step *steps);

/* ---- training ---- */

/* Distinct comparison vectors with counts: EM runs on patterns, not pairs. */
typedef struct nm_patterns nm_patterns;
/* Empty pattern set for vectors of `ncomp` bytes. Free with nm_patterns_free. */
NM_API int nm_patterns_create(size_t ncomp, nm_patterns **out);
/* Add `count` occurrences of a vector. NM_E_NOMEM on failure. */
NM_API int nm_patterns_add(nm_patterns *p, const uint8_t *levels, uint64_t count);
NM_API size_t nm_patterns_count(const nm_patterns *p);     /* distinct vectors */
NM_API uint64_t nm_patterns_total(const nm_patterns *p);   /* sum of counts */
NM_API void nm_patterns_free(nm_patterns *p);

/* u from the comparison vectors of n random pairs (caller samples them, with
 * a seed): for each comparison, u of a non-null level = its share of the
 * pairs where that comparison is not null. A level never seen gets
 * 0.5 / (non-null pairs), so no u is 0. Comparisons that are null in every
 * pair keep their u. Returns 0, NM_E_ARG (bad level in a vector). */
NM_API int nm_train_u_random(nm_model *m, const uint8_t *vectors, size_t n, nm_err *err);

typedef struct nm_em_options {
    int max_iterations;      /* default 100 (0 = default) */
    double tolerance;        /* stop when no parameter moves more than this; default 1e-6 */
    double floor;            /* minimum m/u after an M step; default 1e-6 (lambda is not floored) */
    int estimate_u;          /* also re-estimate u (default 0: u fixed, Splink's practice) */
    int set_lambda;          /* write the (single-run) estimated lambda into the model */
} nm_em_options;

typedef struct nm_em_report {
    int iterations;
    int converged;
    double lambda;           /* within the blocked pairs of this run */
} nm_em_report;

/* m by expectation-maximisation, Splink-style: one run per pattern set
 * runs[r], with the comparisons in fixed[r] (bit mask; e.g. a training
 * blocking rule's `comparisons`) held out of the run entirely (the blocking
 * makes them uninformative). Each run starts from the model's m/u/lambda.
 * The final m of a level is the median over the runs where its comparison
 * was estimated; comparisons fixed in every run keep their m. Null levels
 * are excluded from the likelihood (Bayes factor 1). Deterministic.
 * reports: NULL or nruns entries. Returns 0, NM_E_ARG, NM_E_NOMEM. */
NM_API int nm_train_em(nm_model *m, const nm_patterns *const *runs, const uint64_t *fixed, size_t nruns,
                       const nm_em_options *opt, nm_em_report *reports, nm_err *err);

/* Supervised: m from the level frequencies of the labelled matches, u from
 * the non-matches (same floor rule as nm_train_u_random). With set_lambda,
 * lambda = matches / n. Returns 0, NM_E_ARG (no match or no non-match). */
NM_API int nm_train_supervised(nm_model *m, const uint8_t *vectors, const uint8_t *is_match, size_t n,
                               int set_lambda, nm_err *err);

/* u from random pairs given as pattern counts (same rule as
 * nm_train_u_random; cheaper when millions of random pairs are sampled). */
NM_API int nm_train_u_patterns(nm_model *m, const nm_patterns *random_pairs, nm_err *err);

/* lambda from deterministic rules, as Splink's
 * estimate_probability_two_random_records_match: the pairs the rules find,
 * divided by their assumed recall (0,1], over all comparable pairs (n(n-1)/2
 * for dedupe, n1*n2 for linkage). NM_E_ARG when the result is not in (0,1). */
NM_API int nm_model_estimate_lambda(nm_model *m, double rule_pairs, double recall, double total_pairs, nm_err *err);

/* The whole Splink-style training in one call, for a caller that can
 * produce comparison vectors (the compare stage):
 *   source(ctx, -1, patterns)  fills the vectors of random pairs -> u;
 *   source(ctx, r, patterns)   fills the vectors of the pairs found by training
 *                              blocking rule r (nm_model_training_rule) -> one EM
 *                              run with that rule's comparisons held fixed.
 * m = median over runs. A source returns 0 or a negative code (passed on).
 * Without training rules, one EM run over source(ctx, -2, ...) (all blocked
 * pairs, nothing fixed). reports: NULL or one per EM run. */
typedef int (*nm_pair_source)(void *ctx, int rule, nm_patterns *out, nm_err *err);
NM_API int nm_train(nm_model *m, nm_pair_source source, void *ctx, const nm_em_options *opt, nm_em_report *reports,
                    nm_err *err);

#ifdef __cplusplus
}
#endif
#endif
