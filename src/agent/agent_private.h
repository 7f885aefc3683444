/* SPDX-License-Identifier: Apache-2.0 */
/* What the agent module's source files share (private to the module). */
#ifndef BPTEE_AGENT_PRIVATE_H
#define BPTEE_AGENT_PRIVATE_H

#include <jansson.h>
#include <stdbool.h>

#include <bptee/agent.h>

/* The key_type a signing key's public-key binding records. */
#define SIGNING_KEY_TYPE "ed25519"

/* Length of the fixed part of a job result message: tag, 0x00, three digests. */
#define JOB_RESULT_FIXED_LEN (sizeof BPTEE_JOB_RESULT_TAG + 3 * 32)

/* 1 if c may appear in a job id. */
int job_id_char(int c);

/* A secret name (n bytes): 1..BPTEE_SECRET_NAME_MAX of [A-Za-z0-9._-], not "." or "..";
 * BPTEE_EPARSE "WHAT: ..." otherwise. */
int agent_name_check(const char *s, size_t n, const char *what);

/* The owner fields of a signed request body (owner.c): "owner" (an owner id) and "signature"
 * (64 bytes as 128 hex digits or base64), each optional; "WHAT: owner: ..." on failure. */
int agent_read_owner(const json_t *obj, const char *what, char **owner);
int agent_read_signature(const json_t *obj, const char *what, bool *has, uint8_t sig[64]);
/* A signed body's shape: owner and signature together, and then a version. */
int agent_check_signed(const char *owner, bool has_signature, uint64_t version, const char *what);
/* Add "owner" and "signature" (lowercase hex) to obj when present. */
int agent_write_owner(json_t *obj, const char *owner, bool has_signature, const uint8_t sig[64]);

#endif
