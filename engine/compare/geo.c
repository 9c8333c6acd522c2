/* ZIP geography: 5- and 3-digit ZIP equality and great-circle distance
 * between ZIP centroids from a user-supplied table.
 *
 * The table is a CSV with a header naming the columns zip (or zipcode, zip5,
 * zcta, zcta5), lat (latitude) and lon (lng, long, longitude), in any order;
 * other columns are ignored. ZIPs of 1-4 digits get their leading zeros back
 * (spreadsheets drop them), ZIP+4 values ("68847-2944", 9 digits) use their
 * first five digits; a duplicate ZIP keeps its first row. Fields may be
 * double-quoted (no embedded quotes). Any other malformed row fails the load
 * with NM_E_FORMAT naming the file, line and column (never the contents).
 * Storage is direct-indexed by ZIP (100,000 float pairs, 800 KB), so lookups
 * are two loads. Distances use the haversine formula on a sphere of the IUGG
 * mean Earth radius, 6371.0088 km. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "common/error_internal.h"
#include "common/io.h"
#include "npimatch/compare.h"

#define ZIP_SLOTS 100000
#define EARTH_RADIUS_KM 6371.0088

struct nm_zip_table {
    float lat[ZIP_SLOTS], lon[ZIP_SLOTS];   /* NaN = unknown */
};

/* The 5-digit ZIP at the start of a NUL-terminated string, or -1. */
static int zip5_of(const char *z) {
    if (!z) return -1;
    int v = 0;
    for (int k = 0; k < 5; k++) {
        unsigned d = (unsigned char)z[k] - '0';
        if (d > 9) return -1;   /* also stops at the NUL */
        v = v * 10 + (int)d;
    }
    return v;
}

int nm_zip5_equal(const char *a, const char *b) {
    int x = zip5_of(a);
    return x >= 0 && x == zip5_of(b);
}

int nm_zip3_equal(const char *a, const char *b) {
    int x = zip5_of(a), y = zip5_of(b);
    return x >= 0 && y >= 0 && x / 100 == y / 100;
}

/* One CSV field of the line [p, end): start and length, quotes stripped. */
typedef struct { const char *p; size_t n; size_t col; } zfield;

static size_t split_line(const char *p, const char *end, const char *line_start, zfield *f, size_t cap) {
    size_t k = 0;
    for (;;) {
        const char *q = p;
        while (q < end && *q != ',') q++;
        if (k < cap) {
            const char *s = p, *e = q;
            while (s < e && (*s == ' ' || *s == '\t')) s++;
            while (e > s && (e[-1] == ' ' || e[-1] == '\t')) e--;
            if (e - s >= 2 && *s == '"' && e[-1] == '"') s++, e--;
            f[k].p = s;
            f[k].n = (size_t)(e - s);
            f[k].col = (size_t)(p - line_start) + 1;
        }
        k++;
        if (q >= end) return k;
        p = q + 1;
    }
}

static int name_is(const zfield *f, const char *const *names) {
    for (; *names; names++)
        if (strlen(*names) == f->n && strncasecmp(f->p, *names, f->n) == 0) return 1;
    return 0;
}

/* ZIP value of a field (see file comment), or -1. */
static int parse_zip(const zfield *f) {
    size_t n = f->n;
    const char *p = f->p;
    if (n == 10 && p[5] == '-') n = 5;
    else if (n == 9) n = 5;
    if (n < 1 || n > 5) return -1;
    int v = 0;
    for (size_t k = 0; k < n; k++) {
        unsigned d = (unsigned char)p[k] - '0';
        if (d > 9) return -1;
        v = v * 10 + (int)d;
    }
    if (f->n == 10)
        for (size_t k = 6; k < 10; k++)
            if ((unsigned)((unsigned char)p[k] - '0') > 9u) return -1;
    return v;
}

static int parse_coord(const zfield *f, double lim, double *out) {
    char tmp[64];
    if (f->n == 0 || f->n >= sizeof tmp) return -1;
    memcpy(tmp, f->p, f->n);
    tmp[f->n] = 0;
    char *e;
    double v = strtod(tmp, &e);
    if (*e || !isfinite(v) || fabs(v) > lim) return -1;
    *out = v;
    return 0;
}

#define ZT_MAX_COLS 64

int nm_zip_table_load(const char *path, nm_zip_table **out, nm_err *err) {
    static const char *const zip_names[] = {"zip", "zipcode", "zip_code", "zip5", "zcta", "zcta5", NULL};
    static const char *const lat_names[] = {"lat", "latitude", NULL};
    static const char *const lon_names[] = {"lon", "lng", "long", "longitude", NULL};
    *out = NULL;
    char *buf;
    size_t len;
    NM_TRY(nm_read_all(path, &buf, &len, err));
    nm_zip_table *t = malloc(sizeof *t);
    if (!t) {
        free(buf);
        return nm_err_set(err, NM_E_NOMEM, "%s: out of memory", path);
    }
    for (size_t i = 0; i < ZIP_SLOTS; i++) t->lat[i] = t->lon[i] = NAN;

    const char *p = buf, *end = buf + len;
    if (len >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0) p += 3;   /* UTF-8 BOM */
    int rc = NM_OK;
    long zc = -1, ac = -1, oc = -1;
    zfield f[ZT_MAX_COLS];
    for (size_t line = 1; p < end; line++) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *le = nl ? nl : end;
        const char *ls = p;
        if (le > p && le[-1] == '\r') le--;
        p = nl ? nl + 1 : end;
        if (le == ls && zc >= 0) continue;   /* blank data line */
        size_t nf = split_line(ls, le, ls, f, ZT_MAX_COLS);
        if (zc < 0) {   /* header */
            for (size_t k = 0; k < nf && k < ZT_MAX_COLS; k++) {
                if (zc < 0 && name_is(&f[k], zip_names)) zc = (long)k;
                else if (ac < 0 && name_is(&f[k], lat_names)) ac = (long)k;
                else if (oc < 0 && name_is(&f[k], lon_names)) oc = (long)k;
            }
            if (zc < 0 || ac < 0 || oc < 0) {
                rc = nm_err_set(err, NM_E_FORMAT, "%s:%zu:1: header lacks a zip, lat or lon column", path, line);
                break;
            }
            continue;
        }
        size_t need = (size_t)NM_MAX(zc, NM_MAX(ac, oc));
        if (nf <= need) {
            rc = nm_err_set(err, NM_E_FORMAT, "%s:%zu:%zu: row has %zu fields, expected at least %zu", path, line,
                            (size_t)(le - ls) + 1, nf, need + 1);
            break;
        }
        double la, lo;
        int z = parse_zip(&f[zc]);
        if (z < 0) {
            rc = nm_err_set(err, NM_E_FORMAT, "%s:%zu:%zu: invalid ZIP code", path, line, f[zc].col);
            break;
        }
        if (parse_coord(&f[ac], 90.0, &la) < 0) {
            rc = nm_err_set(err, NM_E_FORMAT, "%s:%zu:%zu: invalid latitude", path, line, f[ac].col);
            break;
        }
        if (parse_coord(&f[oc], 180.0, &lo) < 0) {
            rc = nm_err_set(err, NM_E_FORMAT, "%s:%zu:%zu: invalid longitude", path, line, f[oc].col);
            break;
        }
        if (isnan(t->lat[z])) {
            t->lat[z] = (float)la;
            t->lon[z] = (float)lo;
        }
    }
    if (rc == NM_OK && zc < 0) rc = nm_err_set(err, NM_E_FORMAT, "%s:1:1: empty file, header expected", path);
    free(buf);
    if (rc != NM_OK) {
        free(t);
        return rc;
    }
    *out = t;
    return NM_OK;
}

void nm_zip_table_free(nm_zip_table *t) { free(t); }

double nm_zip_distance_km(const nm_zip_table *t, const char *zip_a, const char *zip_b) {
    int a = zip5_of(zip_a), b = zip5_of(zip_b);
    if (!t || a < 0 || b < 0 || isnan(t->lat[a]) || isnan(t->lat[b])) return -1.0;
    const double rad = M_PI / 180.0;
    double p1 = t->lat[a] * rad, p2 = t->lat[b] * rad;
    double dp = p2 - p1, dl = (t->lon[b] - t->lon[a]) * rad;
    double s1 = sin(dp / 2), s2 = sin(dl / 2);
    double h = s1 * s1 + cos(p1) * cos(p2) * s2 * s2;
    if (h > 1.0) h = 1.0;
    return 2.0 * EARTH_RADIUS_KM * asin(sqrt(h));
}
