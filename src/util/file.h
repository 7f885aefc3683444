/* SPDX-License-Identifier: Apache-2.0 */
/* Whole-file reads with a size cap, and writes that never leave a partial file behind. */
#ifndef BPTEE_UTIL_FILE_H
#define BPTEE_UTIL_FILE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Read all of path (at most max bytes, else BPTEE_ELIMIT) into a malloc'd buffer that is
 * NUL-terminated one past *len, so text callers can use it as a string. */
int file_read_all(const char *path, size_t max, uint8_t **out, size_t *len);

/* Read all of fd the same way (used for stdin and pipes). */
int fd_read_all(int fd, const char *what, size_t max, uint8_t **out, size_t *len);

/* Flags of file_replace_at. */
#define FILE_REPLACE_NEW_ONLY 0x1u   /* fail (EEXIST) rather than replace an existing file */
#define FILE_REPLACE_KEEP_ATTRS 0x2u /* a replaced file keeps its mode (and, as root, owner) */

/* Make name (relative to the directory dir, or AT_FDCWD) a regular file holding data,
 * atomically: written to an unnamed file in the same directory (O_TMPFILE), fsynced, named,
 * the directory fsynced. Readers see the whole old file or the whole new one; on failure the
 * old file is untouched and no temporary is left, even after a kill. A symlink or a
 * non-regular file at name is refused. mode is the new file's (see the flags). */
int file_replace_at(int dir, const char *name, const void *data, size_t len, mode_t mode,
                    unsigned flags);

/* file_replace_at(AT_FDCWD, path, data, len, mode, 0). */
int file_write_atomic(const char *path, const void *data, size_t len, mode_t mode);

/* Write all of data to fd, retrying short writes and EINTR. */
int fd_write_all(int fd, const void *data, size_t len);

#endif
