/* Tests of the given-name equivalence table (data/nicknames.csv via
 * engine/normalize/nickname.c). */
#include <criterion/criterion.h>
#include <pthread.h>
#include <string.h>
#include "npimatch.h"

static int eq(const char *a, const char *b) {
    return nm_nickname_match(nm_nicknames_default(), a, strlen(a), b, strlen(b));
}

Test(nickname, table_size) {
    const nm_nicknames *t = nm_nicknames_default();
    cr_assert_not_null(t);
    cr_assert_geq(nm_nicknames_pair_count(t), 1500);
    cr_assert_eq(nm_nicknames_default(), t); /* one table per process */
}

Test(nickname, known_pairs_both_ways) {
    static const char *pairs[][2] = {
        {"BOB", "ROBERT"}, {"BOBBY", "ROBERT"}, {"ROB", "ROBERT"}, {"ROBBIE", "ROBERT"}, {"BOB", "BOBBY"},
        {"PEGGY", "MARGARET"}, {"MAGGIE", "MARGARET"}, {"MEG", "MARGARET"}, {"MARGE", "MARGARET"},
        {"PEG", "MARGARET"}, {"BILL", "WILLIAM"}, {"BILLY", "WILLIAM"}, {"WILL", "WILLIAM"},
        {"LIAM", "WILLIAM"}, {"LIZ", "ELIZABETH"}, {"BETH", "ELIZABETH"}, {"BETSY", "ELIZABETH"},
        {"ELIZA", "ELIZABETH"}, {"LIBBY", "ELIZABETH"}, {"JIM", "JAMES"}, {"JIMMY", "JAMES"},
        {"JAMIE", "JAMES"}, {"KATE", "KATHERINE"}, {"KATIE", "KATHERINE"}, {"KATHY", "KATHERINE"},
        {"CATHERINE", "KATHERINE"}, {"KATHRYN", "KATHERINE"}, {"KATE", "KATHLEEN"}, {"DICK", "RICHARD"},
        {"RICK", "RICHARD"}, {"RICH", "RICHARD"}, {"TED", "EDWARD"}, {"ED", "EDWARD"}, {"EDDIE", "EDWARD"},
        {"ED", "EDMUND"}, {"TED", "THEODORE"}, {"SALLY", "SARAH"}, {"POLLY", "MARY"}, {"MOLLY", "MARY"},
        {"MAMIE", "MARY"}, {"JACK", "JOHN"}, {"JOHNNY", "JOHN"}, {"JON", "JOHN"}, {"HANK", "HENRY"},
        {"HARRY", "HENRY"}, {"CHUCK", "CHARLES"}, {"CHARLIE", "CHARLES"}, {"SANDY", "ALEXANDRA"},
        {"SANDRA", "ALEXANDRA"}, {"SANDY", "ALEXANDER"}, {"ALEX", "ALEXANDER"}, {"ALEX", "ALEXANDRA"},
        {"TONY", "ANTHONY"}, {"PEPE", "JOSE"}, {"PACO", "FRANCISCO"}, {"LUPE", "GUADALUPE"},
        {"NACHO", "IGNACIO"}, {"CHUY", "JESUS"}, {"PATTY", "PATRICIA"}, {"TRISH", "PATRICIA"},
        {"SUE", "SUSAN"}, {"DEBBIE", "DEBORAH"}, {"JENNY", "JENNIFER"}, {"CINDY", "CYNTHIA"},
        {"BARB", "BARBARA"}, {"TOM", "THOMAS"}, {"MIKE", "MICHAEL"}, {"DAVE", "DAVID"}, {"DAN", "DANIEL"},
        {"STEVE", "STEPHEN"}, {"STEVE", "STEVEN"}, {"GREG", "GREGORY"}, {"JEFF", "JEFFREY"},
        {"CHRIS", "CHRISTOPHER"}, {"CHRIS", "CHRISTINE"}, {"NICK", "NICHOLAS"}, {"MATT", "MATTHEW"},
        {"ANDY", "ANDREW"}, {"JOE", "JOSEPH"}, {"SAM", "SAMUEL"}, {"SAM", "SAMANTHA"}, {"BEN", "BENJAMIN"},
        {"LARRY", "LAWRENCE"}, {"JERRY", "GERALD"}, {"TERRY", "TERENCE"}, {"FRANK", "FRANCIS"},
        {"FRED", "FREDERICK"}, {"AL", "ALBERT"}, {"VINNY", "VINCENT"}, {"WALT", "WALTER"},
        {"DOT", "DOROTHY"}, {"DOLLY", "DOROTHY"}, {"JUDY", "JUDITH"}, {"GINNY", "VIRGINIA"},
        {"NANCY", "ANN"}, {"NELL", "HELEN"}, {"BECKY", "REBECCA"}, {"VICKY", "VICTORIA"},
        {"TESS", "THERESA"}, {"MANDY", "AMANDA"}, {"JOSIE", "JOSEPHINE"}, {"ABBY", "ABIGAIL"},
        {"GUS", "AUGUSTUS"}, {"ZEKE", "EZEKIEL"}, {"MEMO", "GUILLERMO"}, {"CHENTE", "VICENTE"},
        {"CHAVA", "SALVADOR"}, {"LALO", "EDUARDO"}, {"KIKE", "ENRIQUE"}, {"CHELO", "CONSUELO"},
        {"CONCHA", "CONCEPCION"}, {"BETO", "ALBERTO"}, {"BETO", "ROBERTO"},
    };
    for (size_t i = 0; i < sizeof pairs / sizeof pairs[0]; i++) {
        cr_expect(eq(pairs[i][0], pairs[i][1]), "%s ~ %s", pairs[i][0], pairs[i][1]);
        cr_expect(eq(pairs[i][1], pairs[i][0]), "%s ~ %s", pairs[i][1], pairs[i][0]);
    }
}

Test(nickname, non_pairs) {
    static const char *no[][2] = {
        {"JOHN", "JANE"},          {"ROBERT", "RICHARD"},  {"KATHERINE", "KATHLEEN"}, {"ALEXANDER", "ALEXANDRA"},
        {"MARY", "MARGARET"},      {"JAMES", "JOHN"},      {"WILLIAM", "ROBERT"},      {"BOB", "BILL"},
        {"MICHAEL", "MICHELLE"},   {"ROBERT", "ROBERTA"},  {"SMITH", "JONES"},         {"JOHN", "SMITH"},
        {"ELIZABETH", "ISABEL"},   {"EDWARD", "THEODORE"}, {"HELENA", "MAGDALENA"},    {"CHRISTINA", "MARTINA"},
    };
    for (size_t i = 0; i < sizeof no / sizeof no[0]; i++) {
        cr_expect(!eq(no[i][0], no[i][1]), "%s !~ %s", no[i][0], no[i][1]);
        cr_expect(!eq(no[i][1], no[i][0]), "%s !~ %s", no[i][1], no[i][0]);
    }
}

Test(nickname, equal_case_and_unknown) {
    cr_assert(eq("ZYXWV", "ZYXWV"));   /* equal names match even when not listed */
    cr_assert(eq("bob", "Robert"));    /* lookups fold case */
    cr_assert(eq("José", "PEPE"));     /* and accents */
    cr_assert(!eq("", ""));
    cr_assert(!eq("ZYXWV", "ROBERT"));
    cr_assert(nm_nickname_match(NULL, "BOB", 3, "ROBERT", 6)); /* NULL = default table */
}

Test(nickname, groups) {
    const nm_nicknames *t = nm_nicknames_default();
    uint32_t g[16], h[16];
    size_t n = nm_nickname_groups(t, "KATE", 4, g, 16);
    cr_assert_geq(n, 2);
    int kath = 0, kathl = 0;
    for (size_t i = 0; i < n; i++) {
        const char *c = nm_nickname_group_name(t, g[i]);
        kath |= !strcmp(c, "KATHERINE");
        kathl |= !strcmp(c, "KATHLEEN");
    }
    cr_assert(kath && kathl);
    /* group ids are sorted and shared ids are what nm_nickname_match uses */
    size_t m = nm_nickname_groups(t, "BOB", 3, h, 16);
    cr_assert_geq(m, 1);
    int robert = 0;
    for (size_t i = 0; i < m; i++) robert |= !strcmp(nm_nickname_group_name(t, h[i]), "ROBERT");
    cr_assert(robert);
    cr_assert_eq(nm_nickname_groups(t, "ZYXWV", 5, g, 16), 0);
    cr_assert_eq(nm_nickname_groups(t, "KATE", 4, g, 1), 1); /* capped */
    cr_assert_str_eq(nm_nickname_group_name(t, 0xFFFFFFFFu), "");
}

static void *worker(void *arg) {
    (void)arg;
    int ok = 1;
    for (int i = 0; i < 2000; i++) ok &= eq("PEGGY", "MARGARET") && !eq("JOHN", "JANE");
    return ok ? (void *)1 : NULL;
}

Test(nickname, thread_safe_first_use) {
    pthread_t th[4];
    for (int i = 0; i < 4; i++) cr_assert_eq(pthread_create(&th[i], NULL, worker, NULL), 0);
    for (int i = 0; i < 4; i++) {
        void *r;
        pthread_join(th[i], &r);
        cr_assert_not_null(r);
    }
}
