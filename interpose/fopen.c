// SPDX-License-Identifier: Apache-2.0
/* The fopen family. glibc's fopen opens its file with an internal call our open wrapper never
 * sees, so fopen is wrapped itself: on a secret path it hands back fdopen over a fresh
 * descriptor on the memfd, after which fread, fstat and fclose need no wrapper. freopen must
 * keep the caller's FILE: the original reopens it on /proc/self/fd/N of that descriptor. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "preload.h"

static FILE *enosys(void)
{
    errno = ENOSYS;
    return NULL;
}

/* "r", "rb", "re", "rm", "r,ccs=..." read; 'w', 'a' or a '+' before the ',' write. */
static int mode_reads_only(const char *mode)
{
    size_t n = strcspn(mode, ",");
    return mode[0] == 'r' && !memchr(mode, '+', n);
}

static int mode_cloexec(const char *mode)
{
    return memchr(mode, 'e', strcspn(mode, ",")) ? O_CLOEXEC : 0;
}

static int secret_fd(size_t idx, const char *mode, int flags)
{
    if (!mode || !mode_reads_only(mode)) {
        errno = mode ? EROFS : EINVAL;
        return -1;
    }
    return bp_secret_open(idx, O_RDONLY | flags);
}

static FILE *secret_fopen(size_t idx, const char *mode)
{
    int saved = errno;
    int fd = secret_fd(idx, mode, mode_cloexec(mode ? mode : ""));
    if (fd < 0)
        return NULL;
    FILE *f = fdopen(fd, mode);
    if (!f) {
        int err = errno;
        close(fd);
        errno = err;
        return NULL;
    }
    errno = saved;
    return f;
}

static FILE *secret_freopen(size_t idx, const char *mode, FILE *stream,
                            FILE *(*real)(const char *, const char *, FILE *))
{
    char proc[32];
    int saved = errno;
    if (!real)
        return enosys();
    int fd = secret_fd(idx, mode, O_CLOEXEC);
    if (fd < 0)
        return NULL;
    snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
    FILE *f = real(proc, mode, stream);
    int err = errno;
    close(fd);
    errno = f ? saved : err;
    return f;
}

#define EARLY(fn, ...)                                                                             \
    if (bp_unlikely(!bp_init()))                                                                   \
    return bp_real.fn ? bp_real.fn(__VA_ARGS__) : enosys()

BP_EXPORT FILE *fopen(const char *path, const char *mode)
{
    EARLY(fopen, path, mode);
    int idx = bp_path_match(AT_FDCWD, path);
    if (idx < 0)
        return bp_real.fopen(path, mode);
    if (bp_cfg.view)
        return bp_view_note_file((size_t)idx, bp_real.fopen(path, mode));
    return secret_fopen((size_t)idx, mode);
}

BP_EXPORT FILE *fopen64(const char *path, const char *mode)
{
    EARLY(fopen64, path, mode);
    int idx = bp_path_match(AT_FDCWD, path);
    if (idx < 0)
        return bp_real.fopen64(path, mode);
    if (bp_cfg.view)
        return bp_view_note_file((size_t)idx, bp_real.fopen64(path, mode));
    return secret_fopen((size_t)idx, mode);
}

BP_EXPORT FILE *freopen(const char *path, const char *mode, FILE *stream)
{
    EARLY(freopen, path, mode, stream);
    int idx = bp_path_match(AT_FDCWD, path);
    if (idx < 0)
        return bp_real.freopen(path, mode, stream);
    if (bp_cfg.view)
        return bp_view_note_file((size_t)idx, bp_real.freopen(path, mode, stream));
    return secret_freopen((size_t)idx, mode, stream, bp_real.freopen);
}

BP_EXPORT FILE *freopen64(const char *path, const char *mode, FILE *stream)
{
    EARLY(freopen64, path, mode, stream);
    int idx = bp_path_match(AT_FDCWD, path);
    if (idx < 0)
        return bp_real.freopen64(path, mode, stream);
    if (bp_cfg.view)
        return bp_view_note_file((size_t)idx, bp_real.freopen64(path, mode, stream));
    return secret_freopen((size_t)idx, mode, stream, bp_real.freopen64);
}
