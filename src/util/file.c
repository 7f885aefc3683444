// SPDX-License-Identifier: Apache-2.0
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/error.h"
#include "util/file.h"

int fd_read_all(int fd, const char *what, size_t max, uint8_t **out, size_t *len)
{
    size_t cap = 4096, n = 0;
    _cleanup_free_ uint8_t *buf = malloc(cap + 1);
    if (!buf)
        return fail(BPTEE_ENOMEM, "%s: out of memory", what);
    for (;;) {
        if (n == cap) {
            if (cap > max)
                return fail(BPTEE_ELIMIT, "%s: larger than the %zu-byte limit", what, max);
            size_t ncap = cap * 2;
            uint8_t *nb = realloc(buf, ncap + 1);
            if (!nb)
                return fail(BPTEE_ENOMEM, "%s: out of memory", what);
            buf = nb;
            cap = ncap;
        }
        ssize_t r = read(fd, buf + n, cap - n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return fail(BPTEE_EIO, "%s: read failed: %s", what, strerror(errno));
        if (r == 0)
            break;
        n += (size_t)r;
        if (n > max)
            return fail(BPTEE_ELIMIT, "%s: larger than the %zu-byte limit", what, max);
    }
    buf[n] = '\0';
    *out = TAKE_PTR(buf);
    *len = n;
    return 0;
}

int file_read_all(const char *path, size_t max, uint8_t **out, size_t *len)
{
    _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return fail(errno == ENOENT ? BPTEE_ENOTFOUND : BPTEE_EIO, "%s: %s", path,
                    strerror(errno));
    return fd_read_all(fd, path, max, out, len);
}

int fd_write_all(int fd, const void *data, size_t len)
{
    const uint8_t *p = data;
    while (len > 0) {
        ssize_t w = write(fd, p, len);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            return -errno;
        p += w;
        len -= (size_t)w;
    }
    return 0;
}
