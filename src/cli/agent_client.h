/* SPDX-License-Identifier: Apache-2.0 */
/* What `bptee seal` and `bptee provision` share: reading the policy, the verification time,
 * hex options and the secret's bytes (wiped after use). Each returns 0, or the exit status
 * after printing "bptee: CMD: ..." (2 for usage errors, 1 otherwise). */
#ifndef BPTEE_CLI_AGENT_CLIENT_H
#define BPTEE_CLI_AGENT_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include <bptee.h>

/* Unix seconds, or an RFC 3339 UTC time "YYYY-MM-DDTHH:MM:SSZ". */
int client_parse_time(const char *cmd, const char *s, int64_t *out);
/* A decimal integer 1..max. */
int client_parse_uint(const char *cmd, const char *opt, const char *s, uint64_t max, uint64_t *out);
/* Exactly 32 bytes of hex (64 digits). */
int client_hex32(const char *cmd, const char *opt, const char *hex, uint8_t out[32]);
int client_load_policy(const char *cmd, const char *path, struct bptee_policy **out);
/* path "-" reads stdin; at most BPTEE_SECRET_MAX_SIZE bytes. Release with client_wipe. */
int client_read_secret(const char *cmd, const char *path, uint8_t **data, size_t *len);
void client_wipe(uint8_t *data, size_t len);

#endif
