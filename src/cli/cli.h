/* SPDX-License-Identifier: Apache-2.0 */
/* The bptee command line tool: one file per subcommand, each an entry point of this shape. */
#ifndef BPTEE_CLI_H
#define BPTEE_CLI_H

#include <stdio.h>

/* argv[0] is the subcommand's name; returns the process exit status. */
typedef int (*cli_command_fn)(int argc, char **argv);

/* Print "bptee: <what>: <last error>" to stderr and return exit status 1. */
int cli_error(const char *what, int code);

/* Print "bptee: <message>" to stderr and return exit status 2 (usage errors). */
int cli_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
