// SPDX-License-Identifier: Apache-2.0
/* The open family. Each wrapper: initialise (one load once done), ask whether the path names a
 * secret (a string scan when it does not), and otherwise call the original with the caller's
 * arguments untouched (in view mode a declared path too, noted when it fails). open's variadic mode
 * exists only with O_CREAT or O_TMPFILE; reading it otherwise would read a register or stack slot
 * the caller never set. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>

#include "preload.h"

static inline int needs_mode(int flags)
{
    return (flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE;
}

#define READ_MODE(flags, mode)                                                                     \
    mode_t mode = 0;                                                                               \
    if (needs_mode(flags)) {                                                                       \
        va_list ap;                                                                                \
        va_start(ap, flags);                                                                       \
        mode = va_arg(ap, mode_t);                                                                 \
        va_end(ap);                                                                                \
    }

/* Re-entered while initialising: the originals may not be known yet, the kernel is. */
#define EARLY_OPEN(dirfd, path, flags, mode)                                                       \
    if (bp_unlikely(!bp_init()))                                                                   \
    return bp_raw_openat(dirfd, path, flags, mode)

BP_EXPORT int open(const char *path, int flags, ...)
{
    READ_MODE(flags, mode);
    EARLY_OPEN(AT_FDCWD, path, flags, mode);
    int idx = bp_path_match(AT_FDCWD, path);
    if (idx < 0)
        return bp_real.open(path, flags, mode);
    if (bp_cfg.view)
        return bp_view_note((size_t)idx, bp_real.open(path, flags, mode));
    return bp_secret_open((size_t)idx, flags);
}

BP_EXPORT int open64(const char *path, int flags, ...)
{
    READ_MODE(flags, mode);
    EARLY_OPEN(AT_FDCWD, path, flags | O_LARGEFILE, mode);
    int idx = bp_path_match(AT_FDCWD, path);
    if (idx < 0)
        return bp_real.open64(path, flags, mode);
    if (bp_cfg.view)
        return bp_view_note((size_t)idx, bp_real.open64(path, flags, mode));
    return bp_secret_open((size_t)idx, flags);
}

BP_EXPORT int openat(int dirfd, const char *path, int flags, ...)
{
    READ_MODE(flags, mode);
    EARLY_OPEN(dirfd, path, flags, mode);
    int idx = bp_path_match(dirfd, path);
    if (idx < 0)
        return bp_real.openat(dirfd, path, flags, mode);
    if (bp_cfg.view)
        return bp_view_note((size_t)idx, bp_real.openat(dirfd, path, flags, mode));
    return bp_secret_open((size_t)idx, flags);
}

BP_EXPORT int openat64(int dirfd, const char *path, int flags, ...)
{
    READ_MODE(flags, mode);
    EARLY_OPEN(dirfd, path, flags | O_LARGEFILE, mode);
    int idx = bp_path_match(dirfd, path);
    if (idx < 0)
        return bp_real.openat64(dirfd, path, flags, mode);
    if (bp_cfg.view)
        return bp_view_note((size_t)idx, bp_real.openat64(dirfd, path, flags, mode));
    return bp_secret_open((size_t)idx, flags);
}

/* The _FORTIFY_SOURCE checkers: the originals abort on O_CREAT without a mode, which is
 * exactly the check the caller compiled in, so undeclared paths go to them. */
BP_EXPORT int __open_2(const char *path, int flags)
{
    EARLY_OPEN(AT_FDCWD, path, flags, 0);
    int idx = bp_path_match(AT_FDCWD, path);
    if (idx < 0)
        return bp_real.open_2(path, flags);
    if (bp_cfg.view)
        return bp_view_note((size_t)idx, bp_real.open_2(path, flags));
    return bp_secret_open((size_t)idx, flags);
}

BP_EXPORT int __open64_2(const char *path, int flags)
{
    EARLY_OPEN(AT_FDCWD, path, flags | O_LARGEFILE, 0);
    int idx = bp_path_match(AT_FDCWD, path);
    if (idx < 0)
        return bp_real.open64_2(path, flags);
    if (bp_cfg.view)
        return bp_view_note((size_t)idx, bp_real.open64_2(path, flags));
    return bp_secret_open((size_t)idx, flags);
}

BP_EXPORT int __openat_2(int dirfd, const char *path, int flags)
{
    EARLY_OPEN(dirfd, path, flags, 0);
    int idx = bp_path_match(dirfd, path);
    if (idx < 0)
        return bp_real.openat_2(dirfd, path, flags);
    if (bp_cfg.view)
        return bp_view_note((size_t)idx, bp_real.openat_2(dirfd, path, flags));
    return bp_secret_open((size_t)idx, flags);
}

BP_EXPORT int __openat64_2(int dirfd, const char *path, int flags)
{
    EARLY_OPEN(dirfd, path, flags | O_LARGEFILE, 0);
    int idx = bp_path_match(dirfd, path);
    if (idx < 0)
        return bp_real.openat64_2(dirfd, path, flags);
    if (bp_cfg.view)
        return bp_view_note((size_t)idx, bp_real.openat64_2(dirfd, path, flags));
    return bp_secret_open((size_t)idx, flags);
}

#define CREAT_FLAGS (O_CREAT | O_WRONLY | O_TRUNC)

BP_EXPORT int creat(const char *path, mode_t mode)
{
    EARLY_OPEN(AT_FDCWD, path, CREAT_FLAGS, mode);
    if (bp_path_match(AT_FDCWD, path) < 0 || bp_cfg.view)
        return bp_real.creat(path, mode);
    errno = EROFS;
    return -1;
}

BP_EXPORT int creat64(const char *path, mode_t mode)
{
    EARLY_OPEN(AT_FDCWD, path, CREAT_FLAGS | O_LARGEFILE, mode);
    if (bp_path_match(AT_FDCWD, path) < 0 || bp_cfg.view)
        return bp_real.creat64(path, mode);
    errno = EROFS;
    return -1;
}
