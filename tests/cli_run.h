/* Running the npimatch binary from a test, as a user would from a shell. */
#ifndef NM_TEST_CLI_RUN_H
#define NM_TEST_CLI_RUN_H

#include <criterion/criterion.h>
#include <stdio.h>
#include <sys/wait.h>

/* Run a shell command line; its stdout and stderr go into buf (NUL-terminated,
 * truncated to cap-1 bytes). Returns the exit status, -1 if it did not exit. */
static inline int nm_test_shell(const char *cmdline, char *buf, size_t cap) {
    FILE *p = popen(cmdline, "r");
    cr_assert_not_null(p);
    size_t n = fread(buf, 1, cap - 1, p);
    buf[n] = 0;
    int st = pclose(p);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* Run `npimatch ARGS 2>&1` (NM_CLI_PATH) the same way. */
static inline int nm_test_cli(const char *args, char *buf, size_t cap) {
    char cmd[8192];
    snprintf(cmd, sizeof cmd, "%s %s 2>&1", NM_CLI_PATH, args);
    return nm_test_shell(cmd, buf, cap);
}

#endif
