/* SPDX-License-Identifier: Apache-2.0 */
/* Small I/O helpers the CLI and API callers share: capped whole-file reads (path "-" is
 * stdin), atomic writes, and freeing what the library allocates. */
#ifndef BPTEE_IO_H
#define BPTEE_IO_H

#include <bptee/common.h>

/* Read all of path (or stdin for "-"), at most max bytes (else BPTEE_ELIMIT), into a buffer
 * the caller releases with bptee_free; the buffer is NUL-terminated one past *len. */
BPTEE_API int bptee_read_file(const char *path, size_t max, uint8_t **out, size_t *len);

/* Write data to path through a temporary file and rename(2): never a partial file. Path
 * NULL or "-" writes to stdout. mode applies to a new file (e.g. 0644). */
BPTEE_API int bptee_write_file(const char *path, const void *data, size_t len, unsigned mode);

/* Release memory the library returned (strings, buffers). bptee_free(NULL) does nothing. */
BPTEE_API void bptee_free(void *p);

#endif
