// SPDX-License-Identifier: Apache-2.0
/* A job for python-tests/test_view.py: reads each PATH and prints one line
 * "PATH size=N data=HEX" or "PATH ERR strerror". MODE says how it opens the file:
 *   libc     open(2) through libc (built -static too, where no LD_PRELOAD can reach it)
 *   openat   syscall(SYS_openat, ...), bypassing every libc wrapper
 *   openat2  syscall(SYS_openat2, ...) with RESOLVE_NO_SYMLINKS
 * The size is fstat's on the opened descriptor.
 * usage: readfile MODE PATH... */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef SYS_openat2
#define SYS_openat2 437
#endif

static int open_by(const char *mode, const char *path)
{
    if (strcmp(mode, "libc") == 0)
        return open(path, O_RDONLY | O_CLOEXEC);
    if (strcmp(mode, "openat") == 0)
        return (int)syscall(SYS_openat, AT_FDCWD, path, O_RDONLY | O_CLOEXEC, 0);
    if (strcmp(mode, "openat2") == 0) {
        struct open_how how;
        memset(&how, 0, sizeof how);
        how.flags = O_RDONLY | O_CLOEXEC;
        how.resolve = RESOLVE_NO_SYMLINKS;
        return (int)syscall(SYS_openat2, AT_FDCWD, path, &how, sizeof how);
    }
    errno = EINVAL;
    return -1;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: readfile libc|openat|openat2 PATH...\n");
        return 2;
    }
    for (int i = 2; i < argc; i++) {
        int fd = open_by(argv[1], argv[i]);
        struct stat st;
        if (fd < 0 || fstat(fd, &st) != 0) {
            printf("%s ERR %s\n", argv[i], strerror(errno));
            if (fd >= 0)
                close(fd);
            continue;
        }
        unsigned char buf[4096];
        char hex[2 * sizeof buf + 1];
        size_t n = 0;
        ssize_t got;
        while (n < sizeof buf && (got = read(fd, buf + n, sizeof buf - n)) > 0)
            n += (size_t)got;
        int err = got < 0 ? errno : 0;
        close(fd);
        if (err) {
            printf("%s ERR %s\n", argv[i], strerror(err));
            continue;
        }
        for (size_t k = 0; k < n; k++)
            sprintf(hex + 2 * k, "%02x", buf[k]);
        hex[2 * n] = 0;
        printf("%s size=%lld data=%s\n", argv[i], (long long)st.st_size, hex);
    }
    return 0;
}
