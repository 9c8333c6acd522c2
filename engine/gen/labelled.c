/* Shared pieces of the labelled-data generators: the error-kind names and
 * rates (from the X-macro tables of labelled.h) and CSV output. */
#include <string.h>
#include "common/error_internal.h"
#include "common/io.h"
#include "gen/labelled.h"

#define X_NAME(id, name, rate, doc) name,
#define X_RATE(id, name, rate, doc) rate,
static const char *const HCP_NAMES[] = {NM_HCP_ERRORS(X_NAME)};
static const double HCP_RATES[] = {NM_HCP_ERRORS(X_RATE)};
static const char *const PAT_NAMES[] = {NM_PAT_ERRORS(X_NAME)};
static const double PAT_RATES[] = {NM_PAT_ERRORS(X_RATE)};

const char *nm_gen_hcp_error_name(int k) { return k >= 0 && k < NM_HCP_NKINDS ? HCP_NAMES[k] : "?"; }
double nm_gen_hcp_error_rate(int k) { return k >= 0 && k < NM_HCP_NKINDS ? HCP_RATES[k] : 0; }
const char *nm_gen_patients_error_name(int k) { return k >= 0 && k < NM_PAT_NKINDS ? PAT_NAMES[k] : "?"; }
double nm_gen_patients_error_rate(int k) { return k >= 0 && k < NM_PAT_NKINDS ? PAT_RATES[k] : 0; }

int nm_gen_csv_field(nm_buf *b, const char *s, int last) {
    if (strpbrk(s, ",\"")) {
        NM_TRY(nm_buf_putc(b, '"'));
        for (; *s; s++) {
            if (*s == '"') NM_TRY(nm_buf_putc(b, '"'));
            NM_TRY(nm_buf_putc(b, *s));
        }
        NM_TRY(nm_buf_putc(b, '"'));
    } else {
        NM_TRY(nm_buf_append(b, s, strlen(s)));
    }
    return nm_buf_putc(b, last ? '\n' : ',');
}

int nm_gen_write_buf(const char *path, const nm_buf *b, nm_err *err) {
    nm_writer *w;
    NM_TRY(nm_writer_open(path, 0, &w, err));
    int rc = nm_writer_write(w, b->data, b->len, err);
    if (rc) {
        nm_writer_abort(w);
        return rc;
    }
    return nm_writer_commit(w, err);
}
