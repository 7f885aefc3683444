// SPDX-License-Identifier: Apache-2.0
/* A job that opens a file the ways C programs do. Built -O2 -D_FORTIFY_SOURCE=2 with flags that
 * are not compile-time constants, so the calls become __open_2, __open64_2, __openat_2 and
 * __openat64_2 (the fortify checkers programs import).
 *   job_openat open|open64|openat|openat64 DIR|- PATH FLAGS
 * FLAGS: r, w, rw, creat, trunc, append, dir (O_RDONLY|O_DIRECTORY). openat* open DIR first and
 * resolve PATH against it. Prints the bytes read; on failure "errno=NAME" and exit 1; exit 3
 * if a successful open changed errno.
 *   job_openat xstat|lxstat|fxstatat|fstatat|statx DIR|- PATH -
 * calls that stat entry point (the __xstat family is what programs built against glibc < 2.33
 * import) and prints "SIZE MODE-IN-OCTAL UID". */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SENTINEL 4242

/* The pre-2.33 entry points; no header declares them any more. _STAT_VER is 1 on x86_64. */
int __xstat(int ver, const char *path, struct stat *st);
int __lxstat(int ver, const char *path, struct stat *st);
int __fxstatat(int ver, int dirfd, const char *path, struct stat *st, int flags);
#if defined(__x86_64__)
#define STAT_VER 1
#else
#define STAT_VER 0
#endif

static int parse_flags(const char *s)
{
    static const struct {
        const char *name;
        int flags;
    } table[] = {
        {"r", O_RDONLY},
        {"w", O_WRONLY},
        {"rw", O_RDWR},
        {"trunc", O_RDONLY | O_TRUNC},
        {"append", O_WRONLY | O_APPEND},
        {"dir", O_RDONLY | O_DIRECTORY},
    };
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
        if (!strcmp(s, table[i].name))
            return table[i].flags;
    return -1;
}

static int fail(void)
{
    printf("errno=%s\n", strerrorname_np(errno));
    return 1;
}

static int open_it(const char *how, int dirfd, const char *path, const char *flagname)
{
    int flags = parse_flags(flagname);
    if (!strcmp(flagname, "creat")) /* O_CREAT needs the mode argument */
        return strcmp(how, "open") ? openat(dirfd, path, O_WRONLY | O_CREAT, 0600)
                                   : open(path, O_WRONLY | O_CREAT, 0600);
    if (!strcmp(how, "open"))
        return open(path, flags);
    if (!strcmp(how, "open64"))
        return open64(path, flags);
    if (!strcmp(how, "openat"))
        return openat(dirfd, path, flags);
    return openat64(dirfd, path, flags);
}

static int stat_it(const char *how, int dirfd, const char *path)
{
    struct stat st;
    struct statx sx;
    int rc;
    errno = SENTINEL;
    if (!strcmp(how, "xstat"))
        rc = __xstat(STAT_VER, path, &st);
    else if (!strcmp(how, "lxstat"))
        rc = __lxstat(STAT_VER, path, &st);
    else if (!strcmp(how, "fxstatat"))
        rc = __fxstatat(STAT_VER, dirfd, path, &st, AT_SYMLINK_NOFOLLOW);
    else if (!strcmp(how, "fstatat"))
        rc = fstatat(dirfd, path, &st, 0);
    else {
        rc = statx(dirfd, path, AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS, &sx);
        st.st_size = (off_t)sx.stx_size;
        st.st_mode = sx.stx_mode;
        st.st_uid = sx.stx_uid;
    }
    if (rc < 0)
        return fail();
    if (errno != SENTINEL)
        return 3;
    printf("%lld %o %u\n", (long long)st.st_size, (unsigned)st.st_mode, (unsigned)st.st_uid);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc != 5) {
        fprintf(stderr, "usage: job_openat open|open64|openat|openat64|*stat* DIR|- PATH FLAGS\n");
        return 2;
    }
    int dirfd = AT_FDCWD;
    if (strcmp(argv[2], "-") && (dirfd = open(argv[2], O_RDONLY | O_DIRECTORY)) < 0)
        return fail();
    if (strstr(argv[1], "stat"))
        return stat_it(argv[1], dirfd, argv[3]);
    errno = SENTINEL;
    int fd = open_it(argv[1], dirfd, argv[3], argv[4]);
    if (fd < 0)
        return fail();
    if (errno != SENTINEL)
        return 3;
    char buf[4096];
    ssize_t n;
    while ((n = read(fd, buf, sizeof buf)) > 0)
        fwrite(buf, 1, (size_t)n, stdout);
    if (n < 0 && errno != EISDIR)
        return fail();
    close(fd);
    return 0;
}
