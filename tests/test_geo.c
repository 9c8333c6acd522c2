/* ZIP comparators and the optional centroid table: equality on 5 and 3
 * digits, CSV loading (header by name, quoting, leading zeros, bad rows),
 * and haversine distances against known values. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "npimatch.h"

static void write_file(char *path, size_t cap, const char *name, const char *text) {
    snprintf(path, cap, "%s/geo_%d_%s", NM_TEST_TMPDIR, (int)getpid(), name);
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    fputs(text, f);
    fclose(f);
}

Test(zip, equality) {
    cr_expect(nm_zip5_equal("68847", "68847"));
    cr_expect(!nm_zip5_equal("68847", "68848"));
    cr_expect(nm_zip3_equal("68847", "68801"));
    cr_expect(!nm_zip3_equal("68847", "69847"));
    cr_expect(!nm_zip5_equal("", ""));
    cr_expect(!nm_zip5_equal(NULL, "68847"));
    cr_expect(!nm_zip3_equal("688", "688"));    /* not a 5-digit ZIP */
    cr_expect(!nm_zip5_equal("6884A", "6884A"));
}

Test(zip, table_distances) {
    char path[512];
    /* Header in another order, extra column, quoted field, CRLF, ZIP with its
     * leading zero dropped, a ZIP+4, a duplicate (first row wins). */
    write_file(path, sizeof path, "ok.csv",
               "\xEF\xBB\xBF" "city,LAT,Zip,lon\r\n"
               "New York,40.7506,10001,-73.9972\r\n"
               "Beverly Hills,\"34.0901\",90210,-118.4065\r\n"
               "Holtsville,40.8154,501,-73.0451\r\n"
               "Boston,42.3496,02115-1234,-71.0927\r\n"
               "dup,0,10001,0\r\n"
               "\r\n");
    nm_zip_table *t = NULL;
    nm_err err;
    cr_assert_eq(nm_zip_table_load(path, &t, &err), 0, "%s", err.msg);
    double d = nm_zip_distance_km(t, "10001", "90210");
    cr_expect(fabs(d - 3944.4) < 10.0, "NYC-Beverly Hills %f", d);   /* ~3,940 km great circle */
    cr_expect_eq(nm_zip_distance_km(t, "10001", "10001"), 0.0);
    cr_expect(fabs(nm_zip_distance_km(t, "10001", "00501") - nm_zip_distance_km(t, "00501", "10001")) < 1e-9);
    double b = nm_zip_distance_km(t, "02115", "10001");
    cr_expect(b > 280 && b < 310, "Boston-NYC %f", b);
    cr_expect_eq(nm_zip_distance_km(t, "10001", "99999"), -1.0);
    cr_expect_eq(nm_zip_distance_km(t, "10001", "ABCDE"), -1.0);
    cr_expect_eq(nm_zip_distance_km(NULL, "10001", "90210"), -1.0);
    nm_zip_table_free(t);
    unlink(path);
}

Test(zip, haversine_exact_on_sphere) {
    char path[512];
    /* A quarter of a meridian and a quarter of the equator: pi/2 * R. */
    write_file(path, sizeof path, "sphere.csv", "zip,lat,lon\n00001,0,0\n00002,90,0\n00003,0,90\n00004,0,-180\n");
    nm_zip_table *t = NULL;
    cr_assert_eq(nm_zip_table_load(path, &t, NULL), 0);
    double q = M_PI / 2 * 6371.0088;
    cr_expect(fabs(nm_zip_distance_km(t, "00001", "00002") - q) < 1e-6);
    cr_expect(fabs(nm_zip_distance_km(t, "00001", "00003") - q) < 1e-6);
    cr_expect(fabs(nm_zip_distance_km(t, "00001", "00004") - 2 * q) < 1e-6);
    nm_zip_table_free(t);
    unlink(path);
}

Test(zip, bad_files_report_position_not_contents) {
    char path[512];
    nm_zip_table *t = (nm_zip_table *)1;
    nm_err err;
    write_file(path, sizeof path, "nohdr.csv", "zip,latitude\n10001,40.7\n");
    cr_expect_eq(nm_zip_table_load(path, &t, &err), NM_E_FORMAT);
    cr_expect_null(t);
    cr_expect(strstr(err.msg, ":1:1:") != NULL, "%s", err.msg);
    unlink(path);

    write_file(path, sizeof path, "badlat.csv", "zip,lat,lon\n10001,40.7,-73.9\n10002,95.5,-73.9\n");
    cr_expect_eq(nm_zip_table_load(path, &t, &err), NM_E_FORMAT);
    cr_expect(strstr(err.msg, ":3:7: invalid latitude") != NULL, "%s", err.msg);
    cr_expect(strstr(err.msg, "95.5") == NULL);
    unlink(path);

    write_file(path, sizeof path, "badzip.csv", "zip,lat,lon\n1000X,40.7,-73.9\n");
    cr_expect_eq(nm_zip_table_load(path, &t, &err), NM_E_FORMAT);
    cr_expect(strstr(err.msg, ":2:1: invalid ZIP") != NULL, "%s", err.msg);
    unlink(path);

    write_file(path, sizeof path, "short.csv", "zip,lat,lon\n10001,40.7\n");
    cr_expect_eq(nm_zip_table_load(path, &t, &err), NM_E_FORMAT);
    unlink(path);

    write_file(path, sizeof path, "empty.csv", "");
    cr_expect_eq(nm_zip_table_load(path, &t, &err), NM_E_FORMAT);
    unlink(path);

    cr_expect_lt(nm_zip_table_load("/nonexistent/zips.csv", &t, &err), 0);
}
