/* Smoke test of the quality benchmark (bench/quality, issue 6): the full
 * suite takes minutes and needs the peers' virtual environment, so the test
 * command runs bench/quality/smoke_test.py instead: the evaluation's
 * hand-computed self-test and a --tiny npimatch-only run on generated data and
 * a tiny FEBRL-shaped directory, checking the results it writes. Python's
 * standard library is all it needs; without python3 the test is skipped.
 * The source tree is found from __FILE__ (CMake compiles with absolute paths). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

static int source_root(char *buf, size_t cap) {
    const char *f = __FILE__;
    const char *t = strstr(f, "tests/test_bench_quality.c");
    if (f[0] != '/' || !t || (size_t)(t - f) >= cap)
        return -1;
    memcpy(buf, f, (size_t)(t - f));
    buf[t - f] = 0;
    return 0;
}

Test(bench_quality, smoke, .timeout = 120) {
    char root[2048], script[2300], cmd[8192];
    if (source_root(root, sizeof root) != 0)
        cr_skip_test("source path unknown (relative __FILE__)");
    snprintf(script, sizeof script, "%sbench/quality/smoke_test.py", root);
    struct stat st;
    cr_assert_eq(stat(script, &st), 0, "missing %s", script);
    if (system("python3 -c 'import json, csv' >/dev/null 2>&1") != 0)
        cr_skip_test("python3 not found");
    mkdir(NM_TEST_TMPDIR, 0777);
    snprintf(cmd, sizeof cmd, "python3 '%s' '%s' '%s' 2>&1", script, NM_CLI_PATH, NM_TEST_TMPDIR);
    FILE *p = popen(cmd, "r");
    cr_assert_not_null(p);
    static char out[1 << 16];
    size_t n = fread(out, 1, sizeof out - 1, p);
    out[n] = 0;
    int rc = pclose(p);
    cr_assert(WIFEXITED(rc) && WEXITSTATUS(rc) == 0, "smoke_test.py failed:\n%s", out);
    cr_assert_not_null(strstr(out, "smoke ok"), "%s", out);
}
