// SPDX-License-Identifier: Apache-2.0
/* Replacing a file so that nothing half-written is ever seen under its name, and nothing named
 * is left behind: the bytes go into an unnamed file (O_TMPFILE) in the target's directory,
 * which is fsynced and only then given a name. A full disk, a crash or a kill -9 while writing
 * leaves the old file whole and no temporary anywhere (the kernel frees an unnamed file with
 * its last descriptor). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/error.h"
#include "util/file.h"

/* The directory holding name (relative to dir) opened for fsync, and name's last component. */
static int open_parent(int dir, const char *name, int *dfd, const char **base)
{
    char parent[PATH_MAX];
    const char *slash = strrchr(name, '/');
    *base = slash ? slash + 1 : name;
    if (!**base || !strcmp(*base, ".") || !strcmp(*base, ".."))
        return fail(BPTEE_EINVAL, "%s: not a file name", name);
    size_t n = slash ? (size_t)(slash - name) : 0;
    if (n >= sizeof parent)
        return fail(BPTEE_EINVAL, "%s: path too long", name);
    memcpy(parent, name, n);
    parent[n] = '\0';
    const char *path = !slash ? "." : n == 0 ? "/" : parent;
    *dfd = openat(dir, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (*dfd < 0)
        return fail(errno == ENOENT ? BPTEE_ENOTFOUND : BPTEE_EIO, "%s: its directory: %s",
                    name, strerror(errno));
    return 0;
}

/* What is at name now: nothing (*exists false), or a regular file (its stat in *st). A
 * symlink is refused rather than replaced: whoever planted it meant something else to be
 * written. */
static int check_target(int dfd, const char *base, const char *name, unsigned flags,
                        struct stat *st, bool *exists)
{
    *exists = fstatat(dfd, base, st, AT_SYMLINK_NOFOLLOW) == 0;
    if (!*exists && errno != ENOENT)
        return fail(BPTEE_EIO, "%s: %s", name, strerror(errno));
    if (!*exists)
        return 0;
    if (S_ISLNK(st->st_mode))
        return fail(BPTEE_EINVAL, "%s: is a symbolic link: refusing to write through or over it",
                    name);
    if (!S_ISREG(st->st_mode))
        return fail(BPTEE_EINVAL, "%s: not a regular file: refusing to replace it", name);
    if (flags & FILE_REPLACE_NEW_ONLY)
        return fail(BPTEE_EIO, "%s: exists (it is never replaced)", name);
    return 0;
}

static bool random_name(const char *base, char *out, size_t cap)
{
    uint8_t r[6];
    if (getrandom(r, sizeof r, 0) != (ssize_t)sizeof r)
        return false;
    return (size_t)snprintf(out, cap, ".%s.bptee-%02x%02x%02x%02x%02x%02x", base, r[0], r[1],
                            r[2], r[3], r[4], r[5]) < cap;
}

/* Give the unnamed file fd the name target in dfd (fails with EEXIST when taken). */
static int link_unnamed(int fd, int dfd, const char *target)
{
    if (linkat(fd, "", dfd, target, AT_EMPTY_PATH) == 0)
        return 0;
    if (errno != ENOENT && errno != EPERM)
        return -1;
    /* AT_EMPTY_PATH needs CAP_DAC_READ_SEARCH; the /proc link works for anyone. */
    char proc[40];
    snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
    return linkat(AT_FDCWD, proc, dfd, target, AT_SYMLINK_FOLLOW);
}

/* Name the written file base. An unnamed file goes straight to base when base is free; over
 * an existing file it gets a random name for the moment between link and rename (no call
 * links over a name). A named temporary (tmp non-empty) is renamed. */
static int publish(int fd, int dfd, const char *base, const char *tmp, bool exists,
                   unsigned flags)
{
    char name[NAME_MAX + 1];
    if (tmp[0])
        return renameat2(dfd, tmp, dfd, base,
                         (flags & FILE_REPLACE_NEW_ONLY) ? RENAME_NOREPLACE : 0);
    if (!exists && link_unnamed(fd, dfd, base) == 0)
        return 0;
    if (!exists && (errno != EEXIST || (flags & FILE_REPLACE_NEW_ONLY)))
        return -1;
    if (!random_name(base, name, sizeof name)) {
        errno = ENAMETOOLONG;
        return -1;
    }
    if (link_unnamed(fd, dfd, name) < 0)
        return -1;
    if (renameat(dfd, name, dfd, base) == 0)
        return 0;
    int saved = errno;
    unlinkat(dfd, name, 0);
    errno = saved;
    return -1;
}

/* A descriptor to write the new bytes to: unnamed where the filesystem can (tmp ""), else a
 * named temporary beside the target (tmp holds its name; it can survive a kill). */
static int open_new(int dfd, const char *base, char *tmp, size_t cap)
{
    tmp[0] = '\0';
    int fd = openat(dfd, ".", O_TMPFILE | O_WRONLY | O_CLOEXEC, 0600);
    if (fd >= 0 || (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL))
        return fd;
    if (!random_name(base, tmp, cap)) {
        errno = ENAMETOOLONG;
        return -1;
    }
    fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0)
        tmp[0] = '\0';
    return fd;
}

/* The new file's owner and mode: those of the file it replaces when asked (the owner only
 * where we may give a file away, i.e. as root; first, as a change of owner may clear the
 * mode's set-id bits), else mode. */
static int set_attributes(int fd, const struct stat *old, bool exists, mode_t mode,
                          unsigned flags)
{
    bool keep = exists && (flags & FILE_REPLACE_KEEP_ATTRS);
    if (keep && (old->st_uid != geteuid() || old->st_gid != getegid()) &&
        fchown(fd, old->st_uid, old->st_gid) < 0 && errno != EPERM)
        return -1;
    return fchmod(fd, keep ? old->st_mode & 07777 : mode);
}

int file_replace_at(int dir, const char *name, const void *data, size_t len, mode_t mode,
                    unsigned flags)
{
    _cleanup_close_ int dfd = -1, fd = -1;
    const char *base;
    char tmp[NAME_MAX + 1];
    struct stat old;
    bool exists = false;
    int rc = open_parent(dir, name, &dfd, &base);
    if (rc == 0)
        rc = check_target(dfd, base, name, flags, &old, &exists);
    if (rc < 0)
        return rc;
    if ((fd = open_new(dfd, base, tmp, sizeof tmp)) < 0)
        return fail(BPTEE_EIO, "%s: cannot create a new file beside it: %s", name,
                    strerror(errno));
    int err = fd_write_all(fd, data, len);
    if (err == 0 && (set_attributes(fd, &old, exists, mode, flags) < 0 || fsync(fd) < 0))
        err = -errno;
    if (err == 0 && publish(fd, dfd, base, tmp, exists, flags) < 0)
        err = -errno;
    if (err < 0) {
        if (tmp[0])
            unlinkat(dfd, tmp, 0);
        return fail(BPTEE_EIO, "%s: write failed: %s%s", name, strerror(-err),
                    -err == EEXIST ? " (it is never replaced)" : "");
    }
    /* The new name is durable only once the directory is. */
    if (fsync(dfd) < 0 && errno != EINVAL)
        return fail(BPTEE_EIO, "%s: its directory: fsync: %s", name, strerror(errno));
    return 0;
}

int file_write_atomic(const char *path, const void *data, size_t len, mode_t mode)
{
    return file_replace_at(AT_FDCWD, path, data, len, mode, 0);
}
