/* Tests of the text, person-name, phone, ZIP, e-mail and date normalizers
 * (engine/normalize/), on messy inputs as they occur in provider files. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include "npimatch.h"

static const char *txt(const char *s, int hy) {
    static char out[128];
    nm_normalize_text(s, strlen(s), hy, out, sizeof out);
    return out;
}

Test(text, case_accents_and_punctuation) {
    cr_assert_str_eq(txt("  o'brien-SMITH ", 1), "OBRIEN-SMITH");
    cr_assert_str_eq(txt("  o'brien-SMITH ", 0), "OBRIEN SMITH");
    cr_assert_str_eq(txt("Muñoz", 0), "MUNOZ");
    cr_assert_str_eq(txt("Muñoz-Peña", 0), "MUNOZ PENA");
    cr_assert_str_eq(txt("Éloïse Ångström", 0), "ELOISE ANGSTROM");
    cr_assert_str_eq(txt("Straße", 0), "STRASSE");
    cr_assert_str_eq(txt("Æbelø Øster", 0), "AEBELO OSTER");
    cr_assert_str_eq(txt("Łukasz Żółć Dvořák", 0), "LUKASZ ZOLC DVORAK");
    cr_assert_str_eq(txt("Œuvre", 0), "OEUVRE");
    cr_assert_str_eq(txt("Nguyễn Văn Đức", 0), "NGUYEN VAN DUC");
    cr_assert_str_eq(txt("Trương Thị Hường", 0), "TRUONG THI HUONG");
    cr_assert_str_eq(txt("Ștefan Țiriac", 0), "STEFAN TIRIAC");
    cr_assert_str_eq(txt("李 Smith", 0), "SMITH");                     /* other scripts separate */
    cr_assert_str_eq(txt("M.D.", 0), "MD");
    cr_assert_str_eq(txt("O\xe2\x80\x99Neil", 0), "ONEIL");        /* typographic apostrophe */
    cr_assert_str_eq(txt("Jose\xcc\x81", 0), "JOSE");              /* decomposed accent (NFD) */
    cr_assert_str_eq(txt("MU\xd1OZ", 0), "MUNOZ");                 /* stray Latin-1 byte */
    cr_assert_str_eq(txt("smith  ,\tjohn;;a", 0), "SMITH JOHN A");
    cr_assert_str_eq(txt("a - b -- c", 1), "A-B-C");
    cr_assert_str_eq(txt("-smith-", 1), "SMITH");
    cr_assert_str_eq(txt("Smith\xe2\x80\x93Jones", 1), "SMITH-JONES"); /* en dash */
    cr_assert_str_eq(txt("", 0), "");
    cr_assert_str_eq(txt("..''", 0), "");
    cr_assert_eq(nm_normalize_text("  ", 2, 0, (char[8]){0}, 8), 0);
}

Test(text, truncates_at_word_boundary) {
    char out[12];
    size_t n = nm_normalize_text("ALPHA BRAVO CHARLIE", 19, 0, out, sizeof out);
    cr_assert_str_eq(out, "ALPHA BRAVO");
    cr_assert_eq(n, 11);
    n = nm_normalize_text("ALPHA BRAVOCHARLIE", 18, 0, out, sizeof out);
    cr_assert_str_eq(out, "ALPHA");
    cr_assert_eq(n, 5);
    char one[1];
    cr_assert_eq(nm_normalize_text("X", 1, 0, one, 1), 0);
    cr_assert_eq(one[0], 0);
}

/* ---- person names ---- */

#define NAME_EQ(p, pre, f, m, l, suf, cr)                   \
    do {                                                    \
        cr_expect_str_eq((p).prefix, pre);                  \
        cr_expect_str_eq((p).first, f);                     \
        cr_expect_str_eq((p).middle, m);                    \
        cr_expect_str_eq((p).last, l);                      \
        cr_expect_str_eq((p).suffix, suf);                  \
        cr_expect_str_eq((p).credentials, cr);              \
    } while (0)

static nm_person_name full(const char *s) {
    nm_person_name p;
    cr_assert_eq(nm_parse_full_name(s, strlen(s), &p), 0, "%s", s);
    return p;
}

Test(name, full_name_forms) {
    NAME_EQ(full("Smith, John A. Jr., M.D."), "", "JOHN", "A", "SMITH", "JR", "MD");
    NAME_EQ(full("Dr. Mary-Kate O'Neil PhD"), "DR", "MARY-KATE", "", "ONEIL", "", "PHD");
    NAME_EQ(full("Dr. Robert J. Smith Jr., M.D."), "DR", "ROBERT", "J", "SMITH", "JR", "MD");
    NAME_EQ(full("SMITH, ROBERT J"), "", "ROBERT", "J", "SMITH", "", "");
    NAME_EQ(full("Smith-Jones, Mary Ann PhD"), "", "MARY", "ANN", "SMITH-JONES", "", "PHD");
    NAME_EQ(full("Robert Smith, M. D., PH.D."), "", "ROBERT", "", "SMITH", "", "MD PHD");
    NAME_EQ(full("MARY ANN VAN DER BERG RN, MSN, FNP-C"), "", "MARY", "ANN", "VAN DER BERG", "", "RN MSN FNPC");
    NAME_EQ(full("Juan de la Cruz"), "", "JUAN", "", "DE LA CRUZ", "", "");
    NAME_EQ(full("JOHN SMITH III"), "", "JOHN", "", "SMITH", "III", "");
    NAME_EQ(full("JOHN SMITH V"), "", "JOHN", "", "SMITH", "V", "");
    NAME_EQ(full("JOHN SMITH DO"), "", "JOHN", "", "SMITH", "", "DO");
    NAME_EQ(full("Mrs. Jane Q. Public"), "MRS", "JANE", "Q", "PUBLIC", "", "");
    NAME_EQ(full("Prof. Ada Lovelace, PhD, FACP"), "PROF", "ADA", "", "LOVELACE", "", "PHD FACP");
    NAME_EQ(full("o'brien, patrick"), "", "PATRICK", "", "OBRIEN", "", "");
    NAME_EQ(full("O BRIEN, PATRICK"), "", "PATRICK", "", "OBRIEN", "", "");
    NAME_EQ(full("MC DONALD, RONALD"), "", "RONALD", "", "MCDONALD", "", "");
    NAME_EQ(full("Ronald Mc Donald"), "", "RONALD", "", "MCDONALD", "", "");
    NAME_EQ(full("Maria del Carmen Lopez"), "", "MARIA", "DEL CARMEN", "LOPEZ", "", "");
    NAME_EQ(full("SMITH, DR. JOHN A"), "DR", "JOHN", "A", "SMITH", "", "");
    NAME_EQ(full("Dr., John Smith"), "DR", "JOHN", "", "SMITH", "", "");
    /* one name word: it is the surname */
    NAME_EQ(full("SMITH MD"), "", "", "", "SMITH", "", "MD");
    NAME_EQ(full("SMITH, MD"), "", "", "", "SMITH", "", "MD");
    /* a credential that is also a surname stays a surname without a comma */
    NAME_EQ(full("Anh Do"), "", "ANH", "", "DO", "", "");
    /* a lone O joins a known O' surname, else it is a middle initial */
    NAME_EQ(full("JOHN O BRIEN"), "", "JOHN", "", "OBRIEN", "", "");
    NAME_EQ(full("Sean P O Connor MD"), "", "SEAN", "P", "OCONNOR", "", "MD");
    NAME_EQ(full("MARY O SMITH"), "", "MARY", "O", "SMITH", "", "");
    nm_person_name p;
    cr_assert_eq(nm_parse_full_name("", 0, &p), NM_E_ARG);
    cr_assert_eq(nm_parse_full_name(" ,.; ", 5, &p), NM_E_ARG);
    cr_assert_eq(nm_parse_full_name("Dr.", 3, &p), 0); /* a lone word is a name, even DR */
    cr_assert_eq(nm_parse_full_name("x", 1, NULL), NM_E_ARG);
}

static nm_person_name cols(const char *f, const char *m, const char *l, const char *s, const char *c) {
    nm_person_name p;
    cr_assert_eq(nm_normalize_person_name(f, f ? strlen(f) : 0, m, m ? strlen(m) : 0, l, l ? strlen(l) : 0, s,
                                          s ? strlen(s) : 0, c, c ? strlen(c) : 0, &p),
                 0);
    return p;
}

Test(name, separate_columns) {
    NAME_EQ(cols("JOHN", NULL, "SMITH MD", NULL, NULL), "", "JOHN", "", "SMITH", "", "MD");
    NAME_EQ(cols("John Jr", "", "Smith", "", ""), "", "JOHN", "", "SMITH", "JR", "");
    NAME_EQ(cols("DR JOHN A", "", "SMITH MD", "JR.", "M.D., PH.D."), "DR", "JOHN", "A", "SMITH", "JR", "MD PHD");
    NAME_EQ(cols("Mary", "Ann", "Smith-Jones", "", "RN, MSN, FNP-C"), "", "MARY", "ANN", "SMITH-JONES", "",
            "RN MSN FNPC");
    NAME_EQ(cols("ROBERT", "JR", "SMITH", NULL, NULL), "", "ROBERT", "", "SMITH", "JR", "");
    NAME_EQ(cols("ROBERT", NULL, "SMITH", "MD", NULL), "", "ROBERT", "", "SMITH", "", "MD");
    NAME_EQ(cols("ROBERT", NULL, "SMITH", "III", "M. D."), "", "ROBERT", "", "SMITH", "III", "MD");
    NAME_EQ(cols("ROBERT", NULL, "SMITH", "Junior", "PHARM.D."), "", "ROBERT", "", "SMITH", "JR", "PHARMD");
    NAME_EQ(cols("ROBERT", NULL, "SMITH V", NULL, NULL), "", "ROBERT", "", "SMITH", "V", "");
    NAME_EQ(cols("JOHN V", NULL, "SMITH", NULL, NULL), "", "JOHN", "V", "SMITH", "", "");
    NAME_EQ(cols("JOHN MD", NULL, "SMITH DO", NULL, NULL), "", "JOHN", "", "SMITH", "", "MD DO");
    NAME_EQ(cols("ANH DO", NULL, "NGUYEN", NULL, NULL), "", "ANH DO", "", "NGUYEN", "", ""); /* DO after a given name */
    NAME_EQ(cols("Ana", NULL, "o brien", NULL, NULL), "", "ANA", "", "OBRIEN", "", "");
    NAME_EQ(cols("José", NULL, "Muñoz", NULL, "M.D., M.D."), "", "JOSE", "", "MUNOZ", "", "MD");
    /* unknown credential text is kept, known tokens canonical */
    NAME_EQ(cols("A", NULL, "B", NULL, "MSW LICSW"), "", "A", "", "B", "", "MSW LICSW");
    NAME_EQ(cols("A", NULL, "B", NULL, "PH.D., AU.D., CCC-SP"), "", "A", "", "B", "", "PHD AUD CCCSP");
    NAME_EQ(cols(NULL, NULL, NULL, NULL, NULL), "", "", "", "", "", "");
    cr_assert_eq(nm_normalize_person_name(NULL, 0, NULL, 0, NULL, 0, NULL, 0, NULL, 0, NULL), NM_E_ARG);
}

Test(name, canonical_credential) {
    char c[16];
    struct { const char *in, *out; } ok[] = {
        {"M.D.", "MD"}, {"MD", "MD"}, {"m.d", "MD"}, {"M. D.", "MD"}, {"D.O.", "DO"}, {"PA-C", "PAC"},
        {"P.A.-C", "PAC"}, {"PH.D.", "PHD"}, {"PhD", "PHD"}, {"PHARM.D.", "PHARMD"}, {"PHARM D", "PHARMD"},
        {"D.P.M.", "DPM"}, {"DDS", "DDS"}, {"D.M.D.", "DMD"}, {"O.D.", "OD"}, {"NP", "NP"}, {"RN", "RN"},
        {"FNP-C", "FNPC"}, {"FNP-BC", "FNPBC"}, {"APRN", "APRN"}, {"CRNA", "CRNA"}, {"LCSW", "LCSW"},
        {"LPC", "LPC"}, {"MSW", "MSW"}, {"PT", "PT"}, {"DPT", "DPT"}, {"OT", "OT"}, {"D.C.", "DC"},
        {"MBBS", "MBBS"}, {"FACS", "FACS"}, {"FACP", "FACP"}, {"CNM", "CNM"}, {"CNS", "CNS"}, {"LPN", "LPN"},
        {"AU.D.", "AUD"}, {"R.PH.", "RPH"}, {"PSY.D.", "PSYD"}, {"Ph. D.", "PHD"},
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        cr_expect_eq(nm_canonical_credential(ok[i].in, strlen(ok[i].in), c), strlen(ok[i].out), "%s", ok[i].in);
        cr_expect_str_eq(c, ok[i].out, "%s", ok[i].in);
    }
    const char *bad[] = {"SMITH", "JOHN", "", "JR", "DR", "M", "AVERYLONGTOKENTHATISNOTACREDENTIAL"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        cr_expect_eq(nm_canonical_credential(bad[i], strlen(bad[i]), c), 0, "%s", bad[i]);
        cr_expect_str_eq(c, "");
    }
}

static void variants(const char *last, const char *const *want, size_t nwant) {
    char parts[8][NM_NAME_CAP];
    size_t k = nm_surname_variants(last, strlen(last), parts, 8);
    cr_expect_eq(k, nwant, "%s: %zu variants", last, k);
    for (size_t i = 0; i < nwant && i < k; i++) cr_expect_str_eq(parts[i], want[i], "%s #%zu", last, i);
}

Test(name, surname_variants) {
    variants("SMITH-JONES", (const char *[]){"SMITHJONES", "SMITH", "JONES"}, 3);
    variants("Smith - Jones", (const char *[]){"SMITHJONES", "SMITH", "JONES"}, 3);
    variants("DE LA CRUZ", (const char *[]){"DELACRUZ", "CRUZ"}, 2);
    variants("VAN DER BERG", (const char *[]){"VANDERBERG", "BERG"}, 2);
    variants("von Trapp", (const char *[]){"VONTRAPP", "TRAPP"}, 2);
    variants("MC DONALD", (const char *[]){"MCDONALD"}, 1);
    variants("MAC ARTHUR", (const char *[]){"MACARTHUR"}, 1);
    variants("O BRIEN", (const char *[]){"OBRIEN"}, 1);
    variants("O'Brien", (const char *[]){"OBRIEN"}, 1);
    variants("ST JOHN", (const char *[]){"STJOHN", "SAINTJOHN"}, 2);
    variants("SAINT JOHN", (const char *[]){"SAINTJOHN", "STJOHN"}, 2);
    variants("GARCIA LOPEZ", (const char *[]){"GARCIALOPEZ", "GARCIA", "LOPEZ"}, 3);
    variants("DE LA CRUZ-SMITH", (const char *[]){"DELACRUZSMITH", "DELACRUZ", "SMITH", "CRUZ"}, 4);
    variants("SMITH", (const char *[]){"SMITH"}, 1);
    char parts[2][NM_NAME_CAP];
    cr_assert_eq(nm_surname_variants("", 0, parts, 2), 0);
    cr_assert_eq(nm_surname_variants("SMITH-JONES", 11, parts, 2), 2); /* capped at max */
    cr_assert_str_eq(parts[1], "SMITH");
}

/* ---- phones, ZIP, e-mail ---- */

static const char *phone(const char *s) {
    static char out[11];
    return nm_normalize_phone(s, strlen(s), out) == 10 ? out : "";
}

Test(contact, phone) {
    cr_assert_str_eq(phone("(308) 865-2512 x12"), "3088652512");
    cr_assert_str_eq(phone("+1 308.865.2512"), "3088652512");
    cr_assert_str_eq(phone("1-308-865-2512"), "3088652512");
    cr_assert_str_eq(phone("3088652512"), "3088652512");
    cr_assert_str_eq(phone("308 865 2512 ext 45"), "3088652512");
    cr_assert_str_eq(phone("308-865-2512 EXT. 45"), "3088652512");
    cr_assert_str_eq(phone("308/865-2512#4"), "3088652512");
    cr_assert_str_eq(phone("308-865-2512x"), "3088652512");
    cr_assert_str_eq(phone("308-865-2512 / 402-555-1234"), "3088652512");
    cr_assert_str_eq(phone("308-865-2512, 402-555-1234"), "3088652512");
    cr_assert_str_eq(phone("865-2512"), "");            /* 7 digits */
    cr_assert_str_eq(phone("108-865-2512"), "");        /* area code starts with 1 */
    cr_assert_str_eq(phone("308-065-2512"), "");        /* exchange starts with 0 */
    cr_assert_str_eq(phone("911-865-2512"), "");        /* N11 is not an area code */
    cr_assert_str_eq(phone("2-308-865-2512"), "");      /* 11 digits without country code 1 */
    cr_assert_str_eq(phone("+44 20 7946 0958"), "");
    cr_assert_str_eq(phone("1-800-FLOWERS"), "");
    cr_assert_str_eq(phone("N/A"), "");
    cr_assert_str_eq(phone(""), "");
}

Test(contact, zip) {
    char z5[6], p4[5];
    struct { const char *in, *z5, *p4; } ok[] = {
        {"68847-2944", "68847", "2944"}, {"688472944", "68847", "2944"}, {"68847", "68847", ""},
        {"6884", "06884", ""}, {"501", "00501", ""}, {"68842944", "06884", "2944"},
        {"5011234", "00501", "1234"}, {"6884-2944", "06884", "2944"}, {" 68847 2944 ", "68847", "2944"},
        {"68847.0", "68847", ""}, {"68847-29", "68847", ""}, {"68847-", "68847", ""},
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        cr_expect_eq(nm_normalize_zip(ok[i].in, strlen(ok[i].in), z5, p4), 5, "%s", ok[i].in);
        cr_expect_str_eq(z5, ok[i].z5, "%s", ok[i].in);
        cr_expect_str_eq(p4, ok[i].p4, "%s", ok[i].in);
    }
    const char *bad[] = {"", "68", "688472", "6884729441", "K1A 0B1", "00000", "ABCDE", "68847-2944-1"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        cr_expect_eq(nm_normalize_zip(bad[i], strlen(bad[i]), z5, p4), 0, "%s", bad[i]);
        cr_expect_str_eq(z5, "");
    }
}

Test(contact, email) {
    char out[64];
    cr_assert_eq(nm_normalize_email("  John.Smith@Example.COM ", 25, out, sizeof out), 22);
    cr_assert_str_eq(out, "john.smith@example.com");
    cr_assert_eq(nm_normalize_email("mailto:a@b.org", 14, out, sizeof out), 7);
    cr_assert_str_eq(out, "a@b.org");
    cr_assert_eq(nm_normalize_email("<x@y.z>", 7, out, sizeof out), 5);
    cr_assert_eq(nm_normalize_email("no-at-sign", 10, out, sizeof out), 0);
    cr_assert_eq(nm_normalize_email("a@b@c", 5, out, sizeof out), 0);
    cr_assert_eq(nm_normalize_email("@b.com", 6, out, sizeof out), 0);
    cr_assert_eq(nm_normalize_email("a@", 2, out, sizeof out), 0);
    cr_assert_eq(nm_normalize_email("john smith@x.com", 16, out, sizeof out), 0);
    cr_assert_eq(nm_normalize_email("abcdef@ghij.com", 15, out, 8), 0); /* would truncate */
    cr_assert_str_eq(out, "");
}

/* ---- dates ---- */

static uint32_t date(const char *s) {
    uint32_t d = 12345;
    int rc = nm_parse_date(s, strlen(s), &d);
    if (rc) cr_expect_eq(d, 0, "%s", s);
    return rc ? 0 : d;
}

Test(date, formats) {
    cr_assert_eq(date("1985-07-04"), 19850704);
    cr_assert_eq(date("19850704"), 19850704);
    cr_assert_eq(date("07/04/1985"), 19850704);
    cr_assert_eq(date("7/4/1985"), 19850704);
    cr_assert_eq(date("7/4/85"), 19850704);
    cr_assert_eq(date("7-4-1985"), 19850704);
    cr_assert_eq(date("7.4.1985"), 19850704);
    cr_assert_eq(date("1985.07.04"), 19850704);
    cr_assert_eq(date(" 1985-07-04 00:00:00"), 19850704);
    cr_assert_eq(date("1985-07-04T00:00:00Z"), 19850704);
    cr_assert_eq(date("02/29/2024"), 20240229);
    cr_assert_eq(date("2000-02-29"), 20000229);   /* 400-year rule */
    cr_assert_eq(date("12/31/1899"), 18991231);
    cr_assert_eq(date("1/2/03"), 20030102);       /* pivot: 03 is in this century */
}

Test(date, rejects) {
    const char *bad[] = {"2/29/2023", "1900-02-29", "02/30/2020", "13/01/2000", "00/10/2000", "04/31/2000",
                         "2000-00-10", "2000-01-32", "1985-7-4x", "19851304", "1985/07-04", "7/4",
                         "0001-01-01", "9999-12-31", "", "abc", "123/4/1985", "7/4/198", "198507041"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        uint32_t d = 1;
        cr_expect_eq(nm_parse_date(bad[i], strlen(bad[i]), &d), NM_E_ARG, "%s", bad[i]);
        cr_expect_eq(d, 0, "%s", bad[i]);
    }
    cr_assert_eq(nm_parse_date("1985-07-04", 10, NULL), NM_E_ARG);
}

Test(date, two_digit_pivot_follows_the_current_year) {
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    int cy = tm.tm_year + 1900, yy = cy % 100;
    char s[16];
    uint32_t d;
    snprintf(s, sizeof s, "1/1/%02d", yy);
    cr_assert_eq(nm_parse_date(s, strlen(s), &d), 0);
    cr_assert_eq(d, (uint32_t)cy * 10000 + 101);
    snprintf(s, sizeof s, "1/1/%02d", (yy + 1) % 100);
    cr_assert_eq(nm_parse_date(s, strlen(s), &d), 0);
    cr_assert_eq(d / 10000, (uint32_t)(cy - 99), "%u", d); /* a century back */
}
