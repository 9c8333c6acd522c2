/* The npimatch command shell: usage, unknown commands, exit codes. Runs the
 * built binary as a user would (NM_CLI_PATH). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include "cli_run.h"


Test(cli, help_lists_commands) {
    char out[8192];
    cr_assert_eq(nm_test_cli("--help", out, sizeof out), 0);
    cr_assert_not_null(strstr(out, "usage: npimatch COMMAND"));
    cr_assert_not_null(strstr(out, "simd"));
}

Test(cli, no_arguments_is_a_usage_error) {
    char out[8192];
    cr_assert_eq(nm_test_cli("", out, sizeof out), 2);
}

Test(cli, unknown_command_is_a_usage_error) {
    char out[8192];
    cr_assert_eq(nm_test_cli("frobnicate", out, sizeof out), 2);
    cr_assert_not_null(strstr(out, "unknown command 'frobnicate'"));
}

Test(cli, version_names_simd_level) {
    char out[8192];
    cr_assert_eq(nm_test_cli("--version", out, sizeof out), 0);
    cr_assert_not_null(strstr(out, "npimatch 0."));
    cr_assert(strstr(out, "scalar") || strstr(out, "avx2") || strstr(out, "avx512"));
}

Test(cli, simd_env_caps_level) {
    char out[8192];
    char cmd[64];
    snprintf(cmd, sizeof cmd, "simd");
    setenv("NPIMATCH_SIMD", "scalar", 1);
    cr_assert_eq(nm_test_cli(cmd, out, sizeof out), 0);
    cr_assert_not_null(strstr(out, "active: scalar"));
}
