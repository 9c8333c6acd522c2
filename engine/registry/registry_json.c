/* One registry row as a JSON object (RFC 8259), every kept field.
 * Empty strings are "" and empty dates null, so a consumer sees the full
 * shape of every row. */
#include <stdlib.h>
#include <string.h>
#include "common/error_internal.h"
#include "registry/registry_internal.h"

static int put_str(nm_buf *b, const char *p, size_t n) {
    NM_TRY(nm_buf_putc(b, '"'));
    size_t run = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)p[i];
        if (c >= 0x20 && c != '"' && c != '\\') continue;
        NM_TRY(nm_buf_append(b, p + run, i - run));
        run = i + 1;
        if (c == '"' || c == '\\') {
            char e[2] = {'\\', (char)c};
            NM_TRY(nm_buf_append(b, e, 2));
        } else {
            NM_TRY(nm_buf_printf(b, "\\u%04x", c));
        }
    }
    NM_TRY(nm_buf_append(b, p + run, n - run));
    return nm_buf_putc(b, '"');
}

static int put_key_str(nm_buf *b, const char *key, nm_str s, int comma) {
    NM_TRY(nm_buf_printf(b, "%s\"%s\":", comma ? "," : "", key));
    return put_str(b, s.p ? s.p : "", s.len);
}

static int put_date(nm_buf *b, const char *key, uint32_t d) {
    if (!d) return nm_buf_printf(b, ",\"%s\":null", key);
    return nm_buf_printf(b, ",\"%s\":\"%04u-%02u-%02u\"", key, d / 10000, d / 100 % 100, d % 100);
}

static int put_char(nm_buf *b, const char *key, uint8_t c) {
    if (!c) return nm_buf_printf(b, ",\"%s\":\"\"", key);
    return nm_buf_printf(b, ",\"%s\":\"%c\"", key, (char)c);
}

/* Fields [from, to) of a schema as "key":"value" pairs. */
static int put_fields(nm_buf *b, const nm_rec_schema *s, const nm_str *f, int from, int to, int comma) {
    for (int i = from; i < to; i++) NM_TRY(put_key_str(b, s->json[i], f[i], comma || i > from));
    return 0;
}

_Static_assert((int)NM_PF_COUNT <= 16 && (int)NM_OF_COUNT <= 16, "list schemas fit put_list's buffer");

/* A row's items of a CSR list as an array of objects. */
static int put_list(nm_buf *b, const nm_registry *r, const nm_reg_list *l, const nm_rec_schema *s, size_t row,
                    const char *key) {
    uint32_t a, e;
    nm_reg_list_range(l, row, &a, &e);
    NM_TRY(nm_buf_printf(b, ",\"%s\":[", key));
    for (uint32_t i = a; i < e; i++) {
        nm_str f[16];   /* >= every list schema's field count */
        nm_rec_decode((const uint8_t *)l->blob.data + l->off[i], s, &r->dict, f);
        NM_TRY(nm_buf_printf(b, "%s{", i > a ? "," : ""));
        NM_TRY(put_fields(b, s, f, 0, s->nfields, 0));
        NM_TRY(nm_buf_putc(b, '}'));
    }
    return nm_buf_putc(b, ']');
}

static int row_json(const nm_registry *r, size_t row, nm_buf *b) {
    nm_reg_main m;
    nm_reg_main_decode(r, row, &m);
    const nm_rec_schema *s = &nm_schema_main;
    NM_TRY(nm_buf_printf(b, "{\"npi\":\"%010u\",\"entity_type\":", r->npi[row]));
    NM_TRY(r->entity[row] ? nm_buf_printf(b, "%u", r->entity[row]) : nm_buf_printf(b, "null"));
    NM_TRY(r->repl_npi[row] ? nm_buf_printf(b, ",\"replacement_npi\":\"%010u\"", r->repl_npi[row])
                            : nm_buf_printf(b, ",\"replacement_npi\":null"));
    NM_TRY(nm_buf_printf(b, ",\"deactivated\":%s,\"in_deactivation_list\":%s,\"stub\":%s",
                         r->flags[row] & NM_RF_DEACTIVATED ? "true" : "false",
                         r->flags[row] & NM_RF_LISTED ? "true" : "false", r->flags[row] & NM_RF_STUB ? "true" : "false"));
    NM_TRY(put_fields(b, s, m.f, NM_MF_LAST, NM_MF_PRAC_LINE1, 1));
    NM_TRY(nm_buf_printf(b, ",\"practice_location\":{"));
    NM_TRY(put_fields(b, s, m.f, NM_MF_PRAC_LINE1, NM_MF_MAIL_LINE1, 0));
    NM_TRY(nm_buf_printf(b, "},\"mailing_address\":{"));
    NM_TRY(put_fields(b, s, m.f, NM_MF_MAIL_LINE1, NM_MF_COUNT, 0));
    NM_TRY(nm_buf_putc(b, '}'));
    NM_TRY(put_date(b, "enumeration_date", r->date[NM_D_ENUM][row]));
    NM_TRY(put_date(b, "last_update_date", r->date[NM_D_UPDATE][row]));
    NM_TRY(put_date(b, "deactivation_date", r->date[NM_D_DEACT][row]));
    NM_TRY(put_date(b, "reactivation_date", r->date[NM_D_REACT][row]));
    NM_TRY(put_date(b, "certification_date", r->date[NM_D_CERT][row]));
    NM_TRY(put_char(b, "sex", r->sex[row]));
    NM_TRY(put_char(b, "sole_proprietor", r->sole[row]));
    NM_TRY(nm_buf_printf(b, ",\"taxonomies\":["));
    for (int t = 0; t < m.ntax; t++) {
        NM_TRY(nm_buf_printf(b, "%s{\"slot\":%u", t ? "," : "", m.tax_slot[t]));
        NM_TRY(put_fields(b, &nm_schema_tax, m.tax[t], 0, NM_TF_COUNT, 1));
        NM_TRY(nm_buf_putc(b, '}'));
    }
    NM_TRY(nm_buf_putc(b, ']'));
    NM_TRY(put_list(b, r, &r->pl, &nm_schema_pl, row, "secondary_locations"));
    NM_TRY(put_list(b, r, &r->on, &nm_schema_on, row, "other_organization_names"));
    return nm_buf_putc(b, '}');
}

int nm_registry_row_json(const nm_registry *r, size_t row, char **json, size_t *len) {
    *json = NULL;
    if (len) *len = 0;
    if (!r || row >= r->n || r->no_records) return NM_E_ARG;
    nm_buf b = {0};
    int rc = row_json(r, row, &b);
    if (rc) {
        nm_buf_free(&b);
        return rc;
    }
    *json = b.data;
    if (len) *len = b.len;
    return 0;
}
