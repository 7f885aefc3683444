/* SPDX-License-Identifier: Apache-2.0 */
/* The subcommand table: one CLI_COMMAND line per subcommand, in the order `--help` lists them.
 * Included twice by main.c: once for the declarations, once (with CLI_COMMAND defined) for the
 * table. */
#ifndef CLI_COMMAND
#ifndef BPTEE_CLI_COMMANDS_H
#define BPTEE_CLI_COMMANDS_H
#endif
#else
#endif
