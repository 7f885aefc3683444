/* SPDX-License-Identifier: Apache-2.0 */
/* The bptee command line tool: one file per subcommand, each an entry point of this shape. */
#ifndef BPTEE_CLI_H
#define BPTEE_CLI_H

#include <stddef.h>
#include <stdio.h>

/* argv[0] is the subcommand's name; returns the process exit status. */
typedef int (*cli_command_fn)(int argc, char **argv);

/* Print "bptee: <what>: <last error>" to stderr and return exit status 1. */
int cli_error(const char *what, int code);

/* Print "bptee: <message>" to stderr and return exit status 2 (usage errors). */
int cli_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* For a command that makes no TLS connection from here on: OpenSSL without the system's
 * openssl.cnf and without its clean-up at exit, its random generator a Hash_DRBG (common.c
 * says why that is safe). Does nothing once OpenSSL has initialised. */
void cli_crypto_init_local(void);

/* output.c: write data to the output the user named (path NULL or "-": stdout) with
 * bptee_write_file's rules (a FIFO or device written through, a symlink refused, a file
 * replaced atomically); on failure print "bptee: <what>: <reason>" and return 1. */
int cli_write_output(const char *what, const char *path, const void *data, size_t len);

/* At exit: flush and close stdout; a write error there (a full disk, /dev/full) is one line
 * on stderr and turns status 0 into 1. Returns the exit status to use. */
int cli_close_stdout(int status);

#endif
