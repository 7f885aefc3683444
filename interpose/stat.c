// SPDX-License-Identifier: Apache-2.0
/* The stat and access families. On a secret path the original is called on /proc/self/fd/N of
 * the secret's memfd (following the link, also for lstat: a secret is a file, not a link), so
 * the size, times, device and inode are the memfd's and agree with fstat on an opened secret;
 * then the answer is made that of a read-only file of the caller's: S_IFREG|0400, one link,
 * owned by the effective uid and gid. Writing is refused as on a read-only file system. */
#include <errno.h>
#include <fcntl.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "preload.h"

enum kind { K_STAT, K_STAT64, K_XSTAT, K_XSTAT64, K_STATX };

struct query {
    enum kind kind;
    int ver;           /* __xstat */
    int flags;         /* statx */
    unsigned int mask; /* statx */
    void *buf;
};

#define SECRET_MODE (S_IFREG | 0400)

static int enosys(void)
{
    errno = ENOSYS;
    return -1;
}

static int call_real(const struct query *q, const char *proc)
{
    switch (q->kind) {
    case K_STAT:
        return bp_real.fstatat ? bp_real.fstatat(AT_FDCWD, proc, q->buf, 0) : enosys();
    case K_STAT64:
        return bp_real.fstatat64 ? bp_real.fstatat64(AT_FDCWD, proc, q->buf, 0) : enosys();
    case K_XSTAT:
        return bp_real.xstat ? bp_real.xstat(q->ver, proc, q->buf) : enosys();
    case K_XSTAT64:
        return bp_real.xstat64 ? bp_real.xstat64(q->ver, proc, q->buf) : enosys();
    case K_STATX:
        return bp_real.statx ? bp_real.statx(AT_FDCWD, proc, q->flags, q->mask, q->buf) : enosys();
    }
    return enosys();
}

/* Did the call reach the memfd, and make it look like the secret file. */
static int check_and_patch(const struct query *q, const struct bp_ref *ref)
{
    uid_t uid = geteuid();
    gid_t gid = getegid();
    if (q->kind == K_STATX) {
        struct statx *sx = q->buf;
        if (makedev(sx->stx_dev_major, sx->stx_dev_minor) != ref->dev ||
            ((sx->stx_mask & STATX_INO) && sx->stx_ino != ref->ino))
            return -1;
        sx->stx_mode = SECRET_MODE;
        sx->stx_uid = uid;
        sx->stx_gid = gid;
        sx->stx_nlink = 1;
        sx->stx_mask |= STATX_TYPE | STATX_MODE | STATX_UID | STATX_GID | STATX_NLINK;
    } else if (q->kind == K_STAT64 || q->kind == K_XSTAT64) {
        struct stat64 *st = q->buf;
        if (st->st_dev != ref->dev || st->st_ino != ref->ino)
            return -1;
        st->st_mode = SECRET_MODE;
        st->st_uid = uid;
        st->st_gid = gid;
        st->st_nlink = 1;
    } else {
        struct stat *st = q->buf;
        if (st->st_dev != ref->dev || st->st_ino != ref->ino)
            return -1;
        st->st_mode = SECRET_MODE;
        st->st_uid = uid;
        st->st_gid = gid;
        st->st_nlink = 1;
    }
    return 0;
}

static int secret_stat(size_t idx, const struct query *q)
{
    int saved = errno;
    for (int attempt = 0; attempt < 2; attempt++) {
        struct bp_ref ref;
        if (bp_secret_acquire(idx, &ref) < 0)
            return -1;
        int rc = call_real(q, ref.proc);
        int err = errno;
        if (rc == 0 && check_and_patch(q, &ref) == 0) {
            bp_secret_release(&ref);
            errno = saved;
            return 0;
        }
        bp_secret_release(&ref);
        /* The caller's own mistakes (a bad buffer, version or mask) are theirs to see. */
        if (rc < 0 && (err == EFAULT || err == EINVAL || err == ENOSYS || err == EOVERFLOW)) {
            errno = err;
            return -1;
        }
        bp_secret_forget(idx, &ref);
    }
    return bp_secret_fail(idx, "cannot stat its memfd through /proc/self/fd");
}

static int secret_access(size_t idx, int mode)
{
    int saved = errno;
    struct bp_ref ref;
    if (mode & W_OK) {
        errno = EROFS;
        return -1;
    }
    if (mode & X_OK) {
        errno = EACCES;
        return -1;
    }
    /* Readable only if it can really be read: an unavailable secret fails closed here too. */
    if (bp_secret_acquire(idx, &ref) < 0)
        return -1;
    bp_secret_release(&ref);
    errno = saved;
    return 0;
}

/* Re-entered while initialising: the original if it is known yet. */
#define EARLY(fn, ...)                                                                             \
    if (bp_unlikely(!bp_init()))                                                                   \
    return bp_real.fn ? bp_real.fn(__VA_ARGS__) : enosys()

#define STAT_BODY(fn, dirfd, path, KIND, VER, ...)                                                 \
    EARLY(fn, __VA_ARGS__);                                                                        \
    int idx = bp_path_match(dirfd, path);                                                          \
    if (idx < 0)                                                                                   \
        return bp_real.fn ? bp_real.fn(__VA_ARGS__) : enosys();                                    \
    if (bp_cfg.view)                                                                               \
        return bp_view_note((size_t)idx, bp_real.fn ? bp_real.fn(__VA_ARGS__) : enosys());         \
    struct query q = {.kind = KIND, .ver = VER, .buf = st};                                        \
    return secret_stat((size_t)idx, &q)

BP_EXPORT int stat(const char *path, struct stat *st)
{
    STAT_BODY(stat, AT_FDCWD, path, K_STAT, 0, path, st);
}

BP_EXPORT int stat64(const char *path, struct stat64 *st)
{
    STAT_BODY(stat64, AT_FDCWD, path, K_STAT64, 0, path, st);
}

BP_EXPORT int lstat(const char *path, struct stat *st)
{
    STAT_BODY(lstat, AT_FDCWD, path, K_STAT, 0, path, st);
}

BP_EXPORT int lstat64(const char *path, struct stat64 *st)
{
    STAT_BODY(lstat64, AT_FDCWD, path, K_STAT64, 0, path, st);
}

BP_EXPORT int fstatat(int dirfd, const char *path, struct stat *st, int flags)
{
    STAT_BODY(fstatat, dirfd, path, K_STAT, 0, dirfd, path, st, flags);
}

BP_EXPORT int fstatat64(int dirfd, const char *path, struct stat64 *st, int flags)
{
    STAT_BODY(fstatat64, dirfd, path, K_STAT64, 0, dirfd, path, st, flags);
}

BP_EXPORT int __xstat(int ver, const char *path, struct stat *st)
{
    STAT_BODY(xstat, AT_FDCWD, path, K_XSTAT, ver, ver, path, st);
}

BP_EXPORT int __xstat64(int ver, const char *path, struct stat64 *st)
{
    STAT_BODY(xstat64, AT_FDCWD, path, K_XSTAT64, ver, ver, path, st);
}

BP_EXPORT int __lxstat(int ver, const char *path, struct stat *st)
{
    STAT_BODY(lxstat, AT_FDCWD, path, K_XSTAT, ver, ver, path, st);
}

BP_EXPORT int __lxstat64(int ver, const char *path, struct stat64 *st)
{
    STAT_BODY(lxstat64, AT_FDCWD, path, K_XSTAT64, ver, ver, path, st);
}

BP_EXPORT int __fxstatat(int ver, int dirfd, const char *path, struct stat *st, int flags)
{
    STAT_BODY(fxstatat, dirfd, path, K_XSTAT, ver, ver, dirfd, path, st, flags);
}

BP_EXPORT int __fxstatat64(int ver, int dirfd, const char *path, struct stat64 *st, int flags)
{
    STAT_BODY(fxstatat64, dirfd, path, K_XSTAT64, ver, ver, dirfd, path, st, flags);
}

BP_EXPORT int statx(int dirfd, const char *path, int flags, unsigned int mask, struct statx *st)
{
    EARLY(statx, dirfd, path, flags, mask, st);
    int idx = bp_path_match(dirfd, path);
    if (idx < 0)
        return bp_real.statx ? bp_real.statx(dirfd, path, flags, mask, st) : enosys();
    if (bp_cfg.view)
        return bp_view_note((size_t)idx,
                            bp_real.statx ? bp_real.statx(dirfd, path, flags, mask, st) : enosys());
    struct query q = {.kind = K_STATX,
                      .flags = flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH),
                      .mask = mask,
                      .buf = st};
    return secret_stat((size_t)idx, &q);
}

#define ACCESS_BODY(fn, dirfd, path, mode, ...)                                                    \
    EARLY(fn, __VA_ARGS__);                                                                        \
    int idx = bp_path_match(dirfd, path);                                                          \
    if (idx < 0)                                                                                   \
        return bp_real.fn ? bp_real.fn(__VA_ARGS__) : enosys();                                    \
    if (bp_cfg.view)                                                                               \
        return bp_view_note((size_t)idx, bp_real.fn ? bp_real.fn(__VA_ARGS__) : enosys());         \
    return secret_access((size_t)idx, mode)

BP_EXPORT int access(const char *path, int mode)
{
    ACCESS_BODY(access, AT_FDCWD, path, mode, path, mode);
}

BP_EXPORT int faccessat(int dirfd, const char *path, int mode, int flags)
{
    ACCESS_BODY(faccessat, dirfd, path, mode, dirfd, path, mode, flags);
}

BP_EXPORT int euidaccess(const char *path, int mode)
{
    ACCESS_BODY(euidaccess, AT_FDCWD, path, mode, path, mode);
}

BP_EXPORT int eaccess(const char *path, int mode)
{
    ACCESS_BODY(eaccess, AT_FDCWD, path, mode, path, mode);
}
