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

/* Write data to path through a temporary file in the same directory and rename(2), so readers
 * see the old file or the new one, never a partial write. */
int file_write_atomic(const char *path, const void *data, size_t len, mode_t mode);

/* Write all of data to fd, retrying short writes and EINTR. */
int fd_write_all(int fd, const void *data, size_t len);

#endif
