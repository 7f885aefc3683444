// SPDX-License-Identifier: Apache-2.0
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bptee/io.h>

#include "util/error.h"
#include "util/file.h"

_Static_assert(BPTEE_REPLACE_NEW_ONLY == FILE_REPLACE_NEW_ONLY, "flag values");
_Static_assert(BPTEE_REPLACE_KEEP_ATTRS == FILE_REPLACE_KEEP_ATTRS, "flag values");

int bptee_read_file(const char *path, size_t max, uint8_t **out, size_t *len)
{
    if (!path || !out || !len)
        return fail(BPTEE_EINVAL, "read: missing argument");
    if (!strcmp(path, "-"))
        return fd_read_all(STDIN_FILENO, "stdin", max, out, len);
    return file_read_all(path, max, out, len);
}

/* Write through fd (standard output, a FIFO, a device), reporting what the write or the
 * close says: ENOSPC from /dev/full, EPIPE from a closed pipe. */
static int write_through(int fd, const char *what, const void *data, size_t len, bool close_it)
{
    int err = fd_write_all(fd, data, len);
    if (close_it && close(fd) < 0 && err == 0)
        err = -errno;
    return err < 0 ? fail(BPTEE_EIO, "%s: write failed: %s", what, strerror(-err)) : 0;
}

/* The std streams by their /dev names: /dev/stdout is a symlink to /proc/self/fd/1, which is
 * what the user means, not a link planted to redirect the write. */
static int std_alias(const char *path)
{
    if (!path || !strcmp(path, "-") || !strcmp(path, "/dev/stdout"))
        return STDOUT_FILENO;
    return !strcmp(path, "/dev/stderr") ? STDERR_FILENO : -1;
}

int bptee_write_file(const char *path, const void *data, size_t len, unsigned mode)
{
    struct stat st;
    if (!data && len)
        return fail(BPTEE_EINVAL, "write: missing data");
    int std = std_alias(path);
    if (std >= 0)
        return write_through(std, std == STDOUT_FILENO ? "stdout" : "stderr", data, len, false);
    if (lstat(path, &st) == 0 && !S_ISREG(st.st_mode) && !S_ISLNK(st.st_mode) &&
        !S_ISDIR(st.st_mode)) {
        /* A FIFO or a device is written to, never replaced by a regular file. */
        int fd = open(path, O_WRONLY | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC);
        if (fd < 0)
            return fail(BPTEE_EIO, "%s: %s", path, strerror(errno));
        return write_through(fd, path, data, len, true);
    }
    return file_replace_at(AT_FDCWD, path, data, len, (mode_t)mode, FILE_REPLACE_KEEP_ATTRS);
}

int bptee_replace_file_at(int dir, const char *name, const void *data, size_t len,
                          unsigned mode, unsigned flags)
{
    if (!name || (!data && len))
        return fail(BPTEE_EINVAL, "replace: missing argument");
    if (flags & ~(unsigned)(BPTEE_REPLACE_NEW_ONLY | BPTEE_REPLACE_KEEP_ATTRS))
        return fail(BPTEE_EINVAL, "replace: unknown flags 0x%x", flags);
    return file_replace_at(dir, name, data, len, (mode_t)mode, flags);
}

void bptee_free(void *p)
{
    free(p);
}
