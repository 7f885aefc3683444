/* SPDX-License-Identifier: Apache-2.0 */
/* Argument helpers shared by `bptee attest` and `bptee sim`: hex and integer options with
 * usage errors that name the option and say what was wrong. */
#ifndef BPTEE_CLI_GUEST_ARGS_H
#define BPTEE_CLI_GUEST_ARGS_H

#include <stddef.h>
#include <stdint.h>

/* Decode hex of min..max bytes into out; 0, or 2 after printing "bptee: CMD: OPT: why". */
int cli_hex_arg(const char *cmd, const char *opt, const char *hex, uint8_t *out, size_t min,
                size_t max, size_t *len);

/* A decimal (or 0x-prefixed hex) integer at most max; 0, or 2 after printing the error. */
int cli_uint_arg(const char *cmd, const char *opt, const char *s, uint64_t max, uint64_t *out);

/* Lowercase hex into a malloc'd string (NULL on out of memory). */
char *cli_hex(const uint8_t *bin, size_t len);

#endif
