/* SPDX-License-Identifier: Apache-2.0 */
/* What the audit module's source files share (private to the module). */
#ifndef BPTEE_AUDIT_PRIVATE_H
#define BPTEE_AUDIT_PRIVATE_H

#include <jansson.h>

#include <bptee/audit.h>

/* Bytes of the signed head message. */
#define AUDIT_HEAD_LEN (sizeof BPTEE_AUDIT_LOG_TAG + 8 + 8 + 32 + 32 + 32)
/* Flags byte of the encoding. */
#define AUDIT_FLAG_PEER 1u
#define AUDIT_FLAG_MEASUREMENT 2u

/* The entry as a JSON object with its "hash" (lowercase hex); NULL when out of memory. */
json_t *audit_entry_to_json(const struct bptee_audit_entry *e, const uint8_t hash[32]);
/* Read entries[index] strictly; strings are borrowed from obj. hash receives "hash". */
int audit_entry_from_json(json_t *obj, size_t index, struct bptee_audit_entry *e,
                          uint8_t hash[32]);

#endif
