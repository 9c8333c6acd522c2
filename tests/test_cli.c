/* The npimatch command shell: usage, unknown commands, exit codes. Runs the
 * built binary as a user would (NM_CLI_PATH). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

/* Run a shell command, capture stdout+stderr into buf, return the exit status. */
static int run(const char *args, char *buf, size_t cap) {
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "%s %s 2>&1", NM_CLI_PATH, args);
    FILE *p = popen(cmd, "r");
    cr_assert_not_null(p);
    size_t n = fread(buf, 1, cap - 1, p);
    buf[n] = 0;
    int st = pclose(p);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

Test(cli, help_lists_commands) {
    char out[8192];
    cr_assert_eq(run("--help", out, sizeof out), 0);
    cr_assert_not_null(strstr(out, "usage: npimatch COMMAND"));
    cr_assert_not_null(strstr(out, "simd"));
}

Test(cli, no_arguments_is_a_usage_error) {
    char out[8192];
    cr_assert_eq(run("", out, sizeof out), 2);
}

Test(cli, unknown_command_is_a_usage_error) {
    char out[8192];
    cr_assert_eq(run("frobnicate", out, sizeof out), 2);
    cr_assert_not_null(strstr(out, "unknown command 'frobnicate'"));
}

Test(cli, version_names_simd_level) {
    char out[8192];
    cr_assert_eq(run("--version", out, sizeof out), 0);
    cr_assert_not_null(strstr(out, "npimatch 0."));
    cr_assert(strstr(out, "scalar") || strstr(out, "avx2") || strstr(out, "avx512"));
}

Test(cli, simd_env_caps_level) {
    char out[8192];
    char cmd[64];
    snprintf(cmd, sizeof cmd, "simd");
    setenv("NPIMATCH_SIMD", "scalar", 1);
    cr_assert_eq(run(cmd, out, sizeof out), 0);
    cr_assert_not_null(strstr(out, "active: scalar"));
}
