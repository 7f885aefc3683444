/* SPDX-License-Identifier: Apache-2.0 */
/* What the agent module's source files share (private to the module). */
#ifndef BPTEE_AGENT_PRIVATE_H
#define BPTEE_AGENT_PRIVATE_H

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

#endif
