/* SPDX-License-Identifier: Apache-2.0 */
/* Small I/O helpers the CLI and API callers share: capped whole-file reads (path "-" is
 * stdin), atomic writes, and freeing what the library allocates. */
#ifndef BPTEE_IO_H
#define BPTEE_IO_H

#include <bptee/common.h>

/* Read all of path (or stdin for "-"), at most max bytes (else BPTEE_ELIMIT), into a buffer
 * the caller releases with bptee_free; the buffer is NUL-terminated one past *len. */
BPTEE_API int bptee_read_file(const char *path, size_t max, uint8_t **out, size_t *len);

/* Write an output (a CLI's -o): path NULL, "-" or "/dev/stdout" writes to standard output,
 * "/dev/stderr" to standard error; an existing FIFO, device or socket is written through
 * (write errors reported: ENOSPC from /dev/full); a symbolic link is refused; a regular file
 * or a new path is replaced atomically as bptee_replace_file_at does, with
 * BPTEE_REPLACE_KEEP_ATTRS (mode applies to a new file, e.g. 0644). */
BPTEE_API int bptee_write_file(const char *path, const void *data, size_t len, unsigned mode);

/* Flags of bptee_replace_file_at. */
#define BPTEE_REPLACE_NEW_ONLY 0x1u   /* an existing file is never replaced (fails instead) */
#define BPTEE_REPLACE_KEEP_ATTRS 0x2u /* a replaced file keeps its mode (as root, its owner) */

/* Make name (relative to the directory descriptor dir, or AT_FDCWD) a regular file holding
 * data, atomically: the bytes go to an unnamed file in the same directory (O_TMPFILE), which
 * is fsynced, then named (over the old file by rename), and the directory fsynced. Readers
 * see the whole old file or the whole new one; on any failure (a full disk) the old file stays
 * as it was, and no temporary is left behind, not even by a kill. A symbolic link or a
 * non-regular file at name is refused (BPTEE_EINVAL). mode: the new file's permissions. */
BPTEE_API int bptee_replace_file_at(int dir, const char *name, const void *data, size_t len,
                                    unsigned mode, unsigned flags);

/* Release memory the library returned (strings, buffers). bptee_free(NULL) does nothing. */
BPTEE_API void bptee_free(void *p);

#endif
