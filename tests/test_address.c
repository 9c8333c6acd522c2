/* Tests of the USPS Publication 28 address normalizer
 * (engine/normalize/address.c). */
#include <criterion/criterion.h>
#include <string.h>
#include "npimatch.h"

static nm_address addr2(const char *l1, const char *l2) {
    nm_address a;
    int rc = nm_normalize_address(l1, l1 ? strlen(l1) : 0, l2, l2 ? strlen(l2) : 0, &a);
    cr_assert_eq(rc, 0, "%s | %s", l1 ? l1 : "", l2 ? l2 : "");
    return a;
}
static nm_address addr(const char *l1) { return addr2(l1, NULL); }

#define ADDR_EQ(a, num, st, un, box)        \
    do {                                    \
        cr_expect_str_eq((a).number, num);  \
        cr_expect_str_eq((a).street, st);   \
        cr_expect_str_eq((a).unit, un);     \
        cr_expect_str_eq((a).po_box, box);  \
    } while (0)

static void same(const char *a, const char *b) {
    nm_address x = addr(a), y = addr(b);
    cr_expect_str_eq(x.line, y.line, "%s vs %s", a, b);
}

Test(address, two_spellings_compare_equal) {
    same("1824 KING STREET SUITE 300", "1824 King St Ste 300");
    same("1824 King St. Suite #300", "1824 KING ST STE 300");
    same("P.O. Box 2168", "PO BOX 2168");
    same("POB 2168", "PO BOX 2168");
    same("P O Box 2168", "post office box 2168");
    same("P.O.BOX 2168", "PO Box #2168");
    same("400 Northwest Main Boulevard", "400 NW MAIN BLVD");
    same("400 Northwest Boulevard", "400 NORTHWEST BLVD"); /* the directional is the name */
    same("12 Avenue of the Americas", "12 AVENUE OF THE AMERICAS");
    same("55 Park Avenue", "55 PARK AVE");
    same("77 Massachusetts Av", "77 MASSACHUSETTS AVENUE");
    same("9 Elm Crt", "9 ELM COURT");
    same("10 Lakeview Pky", "10 LAKEVIEW PARKWAY");
    same("200 Sunset Hiway", "200 SUNSET HWY");
    same("1 Medical Center Drive", "1 MEDICAL CENTER DR");
    same("3 Oak Terr", "3 OAK TERRACE");
    same("500 Mill Trail", "500 MILL TRL");
    same("45 Washington Sq.", "45 WASHINGTON SQUARE");
    same("9 Main Street Southwest", "9 MAIN ST SW");
    same("123 Fifth Ave", "123 5TH AVENUE");
    same("1200 Twenty-First St", "1200 21ST STREET");
    same("1200 Twenty First St", "1200 21st St");
    same("2000 Thirtieth St", "2000 30TH ST");
}

Test(address, fields) {
    ADDR_EQ(addr("1824 KING STREET SUITE 300"), "1824", "KING ST", "STE 300", "");
    ADDR_EQ(addr("123 North First Avenue Apt. 4B"), "123", "N 1ST AVE", "APT 4B", "");
    ADDR_EQ(addr("123 N 1st Ave #4B"), "123", "N 1ST AVE", "# 4B", "");
    ADDR_EQ(addr("P.O. Box 2168"), "", "", "", "2168");
    ADDR_EQ(addr("123A Main St"), "123A", "MAIN ST", "", "");
    ADDR_EQ(addr("123-125 W. Main St., Apt 4-B"), "123-125", "W MAIN ST", "APT 4B", "");
    ADDR_EQ(addr("123 1/2 Elm St"), "123 1/2", "ELM ST", "", "");
    ADDR_EQ(addr("4500 North East Twenty-First Street 2nd Floor"), "4500", "NE 21ST ST", "FL 2", "");
    ADDR_EQ(addr("One Market Plaza"), "1", "MARKET PLZ", "", "");
    ADDR_EQ(addr("Five Points Road"), "", "FIVE POINTS RD", "", ""); /* a name, not a number */
    ADDR_EQ(addr("10 State Highway 6"), "10", "STATE HWY 6", "", "");
    ADDR_EQ(addr("10 County Road 12"), "10", "COUNTY RD 12", "", "");
    ADDR_EQ(addr2("300 Main St", "Building 2, Suite 100"), "300", "MAIN ST", "BLDG 2 STE 100", "");
    ADDR_EQ(addr("7 Main St Bldg 2 Ste 100"), "7", "MAIN ST", "BLDG 2 STE 100", "");
    ADDR_EQ(addr("7 Main St Room 12"), "7", "MAIN ST", "RM 12", "");
    ADDR_EQ(addr("7 Main St Dept 12"), "7", "MAIN ST", "DEPT 12", "");
    ADDR_EQ(addr("7 Main St Floor 3"), "7", "MAIN ST", "FL 3", "");
    ADDR_EQ(addr("7 Main St Rear"), "7", "MAIN ST", "REAR", "");
    ADDR_EQ(addr("7 Ocean Front Walk"), "7", "OCEAN FRONT WALK", "", ""); /* FRONT is a name word here */
    ADDR_EQ(addr("7 Lot Rd"), "7", "LOT RD", "", "");
}

Test(address, directionals_only_as_directionals) {
    ADDR_EQ(addr("123 North St"), "123", "NORTH ST", "", "");
    ADDR_EQ(addr("123 North Main St"), "123", "N MAIN ST", "", "");
    ADDR_EQ(addr("123 Main St North"), "123", "MAIN ST N", "", "");
    ADDR_EQ(addr("123 East West Highway"), "123", "E WEST HWY", "", "");
    ADDR_EQ(addr("123 South"), "123", "SOUTH", "", "");
    ADDR_EQ(addr("123 Circle"), "123", "CIRCLE", "", ""); /* a one-word street is its own name */
}

Test(address, two_lines) {
    ADDR_EQ(addr2("100 Main St", "Suite 200"), "100", "MAIN ST", "STE 200", "");
    ADDR_EQ(addr2("Suite 200", "100 Main St"), "100", "MAIN ST", "STE 200", "");
    ADDR_EQ(addr2("Medical Arts Building", "100 Main St Ste 5"), "100", "MAIN ST", "STE 5", "");
    ADDR_EQ(addr2("100 Main St", "Attn Billing Dept"), "100", "MAIN ST", "", ""); /* no unit id */
    ADDR_EQ(addr2("100 Main St", "300"), "100", "MAIN ST", "# 300", "");
    ADDR_EQ(addr2("P. O. Box 55", "123 Elm Street"), "123", "ELM ST", "", "55");
    ADDR_EQ(addr2("123 Elm Street", "PO Box 55"), "123", "ELM ST", "", "55");
    nm_address a = addr2("123 Elm Street", "PO Box 55");
    cr_assert_str_eq(a.line, "123 ELM ST PO BOX 55");
    a = addr2(NULL, "PO BOX 9");
    cr_assert_str_eq(a.line, "PO BOX 9");
}

Test(address, unit_id) {
    nm_address a = addr("123 North First Avenue Apt. 4B"), b = addr("123 N 1st Ave #4B");
    cr_assert_str_eq(a.street, b.street);
    cr_assert_str_eq(nm_address_unit_id(a.unit), "4B");
    cr_assert_str_eq(nm_address_unit_id(b.unit), nm_address_unit_id(a.unit));
    cr_assert_str_eq(nm_address_unit_id(""), "");
    cr_assert_str_eq(nm_address_unit_id(NULL), "");
}

Test(address, empty_and_junk) {
    nm_address a;
    cr_assert_eq(nm_normalize_address(NULL, 0, NULL, 0, &a), NM_E_ARG);
    cr_assert_eq(nm_normalize_address("  ,.; ", 6, "", 0, &a), NM_E_ARG);
    cr_assert_eq(nm_normalize_address("x", 1, NULL, 0, NULL), NM_E_ARG);
    /* very long input is truncated at word boundaries, never overflowing */
    char big[1024];
    memset(big, 'A', sizeof big);
    for (size_t i = 7; i < sizeof big; i += 8) big[i] = ' ';
    memcpy(big, "123 ", 4);
    cr_assert_eq(nm_normalize_address(big, sizeof big, big, sizeof big, &a), 0);
    cr_assert_lt(strlen(a.line), NM_ADDR_CAP);
    cr_assert_lt(strlen(a.street), NM_ADDR_CAP);
    /* PO box spelled without a number is not a box */
    a = addr("PO Box");
    cr_assert_str_eq(a.po_box, "");
}
