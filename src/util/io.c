// SPDX-License-Identifier: Apache-2.0
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bptee/io.h>

#include "util/error.h"
#include "util/file.h"

int bptee_read_file(const char *path, size_t max, uint8_t **out, size_t *len)
{
    if (!path || !out || !len)
        return fail(BPTEE_EINVAL, "read: missing argument");
    if (!strcmp(path, "-"))
        return fd_read_all(STDIN_FILENO, "stdin", max, out, len);
    return file_read_all(path, max, out, len);
}

int bptee_write_file(const char *path, const void *data, size_t len, unsigned mode)
{
    if (!data && len)
        return fail(BPTEE_EINVAL, "write: missing data");
    if (!path || !strcmp(path, "-")) {
        if (fd_write_all(STDOUT_FILENO, data, len) < 0)
            return fail(BPTEE_EIO, "stdout: write failed");
        return 0;
    }
    return file_write_atomic(path, data, len, (mode_t)mode);
}

void bptee_free(void *p)
{
    free(p);
}
