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

/* ---- file.c: the --audit-log file, bounded by size (docs/formats.md, "Audit log file") */
#define AUDIT_FILE_FORMAT "bptee-audit-file-v1"
/* The smallest file limit: room for a header and a few of the longest lines. */
#define AUDIT_FILE_MIN (64u << 10)
/* Open path for appending (O_NOFOLLOW, 0600); a new or empty file gets its header line first
 * (the next entry's seq and the chain value before it). The fd, or a BPTEE_EIO code. */
int audit_file_open(const char *path, uint64_t next_seq, const uint8_t prev[32]);
/* If a line of up to need bytes would take *fd's file past max, rotate: PATH.(keep-1) ..
 * PATH.1 move up one (the oldest falls off), PATH becomes PATH.1 and a new PATH starts with
 * its header; *fd is then the new file's. 0, or BPTEE_EIO (the entry is then not logged). */
int audit_file_make_room(int *fd, const char *path, uint64_t max, unsigned keep, size_t need,
                         uint64_t next_seq, const uint8_t prev[32]);

#endif
