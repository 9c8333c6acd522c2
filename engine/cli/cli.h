/* The npimatch command: one file per subcommand (cmd_<name>.c), each
 * exporting `int nm_cmd_<name>(int argc, char **argv)` that returns the
 * process exit status (0 ok, 1 failure, 2 usage error). */
#ifndef NM_CLI_H
#define NM_CLI_H

#include <stdio.h>
#include "npimatch.h"

#define NM_EXIT_OK 0
#define NM_EXIT_FAIL 1
#define NM_EXIT_USAGE 2

/* Print "npimatch <cmd>: <message>" to stderr; for the ordinary error path. */
void nm_cli_error(const char *cmd, const nm_err *err);
/* Parse a positive integer option value or exit with a usage error. */
long nm_cli_parse_long(const char *cmd, const char *opt, const char *val, long min, long max);

/* npimatch train on generic inputs (no --registry): cmd_link.c. */
int nm_cli_train_files(int argc, char **argv);

#endif
