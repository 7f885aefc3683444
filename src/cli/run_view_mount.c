// SPDX-License-Identifier: Apache-2.0
/* The mount work behind the job's secret view (run_view.c): the namespaces, the detached
 * ramfs that holds the secrets' files, read-only overlays that give a missing path a place
 * to be mounted on, and files bound onto paths and replaced beneath themselves. Built on the
 * kernel's mount API (open_tree, move_mount, mount_setattr, fsopen): a ramfs that is never
 * attached anywhere has no path another process could reach it by. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli/run_view_mount.h"

/* Linux 6.5: mount a tree beneath the top mount of a path (glibc 2.36 predates it). */
#ifndef MOVE_MOUNT_BENEATH
#define MOVE_MOUNT_BENEATH 0x00000200
#endif

static int write_file(const char *path, const char *text)
{
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    size_t len = strlen(text);
    ssize_t w = write(fd, text, len);
    int e = errno;
    close(fd);
    errno = e;
    return w == (ssize_t)len ? 0 : -1;
}

/* In a chroot whose root is no mount of its own, "/" cannot be named as a mount: every mount
 * that can be named is made private instead. The mount that holds the chroot lies outside it
 * and keeps its propagation (docs/view.md, "What holds"). */
static int make_visible_private(void)
{
    FILE *f = fopen("/proc/self/mountinfo", "re");
    char line[8192];
    int rc = 0;
    if (!f)
        return -1;
    while (fgets(line, sizeof line, f)) {
        char *save = NULL, *mp = strtok_r(line, " ", &save);
        for (int i = 0; mp && i < 4; i++)
            mp = strtok_r(NULL, " ", &save);
        /* A mount point with an escaped character is skipped only if it cannot be named. */
        if (mp && mp[0] == '/' && mount(NULL, mp, NULL, MS_PRIVATE, NULL) != 0 &&
            errno != ENOENT && errno != EINVAL)
            rc = -1;
    }
    fclose(f);
    return rc;
}

int view_enter_namespaces(char *why, size_t cap)
{
    uid_t uid = geteuid();
    gid_t gid = getegid();
    if (uid == 0) {
        if (unshare(CLONE_NEWNS) != 0) {
            snprintf(why, cap, "cannot make a mount namespace: unshare: %s", strerror(errno));
            return -1;
        }
    } else {
        char map[64];
        if (unshare(CLONE_NEWUSER | CLONE_NEWNS) != 0) {
            snprintf(why, cap, "not root, and no user namespace to build the view in: "
                     "unshare: %s", strerror(errno));
            return -1;
        }
        /* Our own ids mapped to themselves: files keep their owners, the job its uid. */
        snprintf(map, sizeof map, "%u %u 1\n", (unsigned)uid, (unsigned)uid);
        if (write_file("/proc/self/setgroups", "deny") != 0 ||
            write_file("/proc/self/uid_map", map) != 0) {
            snprintf(why, cap, "user namespace: uid_map: %s", strerror(errno));
            return -1;
        }
        snprintf(map, sizeof map, "%u %u 1\n", (unsigned)gid, (unsigned)gid);
        if (write_file("/proc/self/gid_map", map) != 0) {
            snprintf(why, cap, "user namespace: gid_map: %s", strerror(errno));
            return -1;
        }
    }
    /* Nothing mounted here may propagate back to the host's namespace. */
    if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == 0)
        return 0;
    if (errno != EINVAL || make_visible_private() != 0) {
        snprintf(why, cap, "cannot make the mounts private: %s", strerror(errno));
        return -1;
    }
    return 0;
}

int view_ramfs_new(char *why, size_t cap)
{
    int fs = fsopen("ramfs", FSOPEN_CLOEXEC);
    if (fs < 0) {
        snprintf(why, cap, "ramfs: fsopen: %s", strerror(errno));
        return -1;
    }
    int mnt = -1;
    if (fsconfig(fs, FSCONFIG_SET_STRING, "mode", "0700", 0) == 0 &&
        fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) == 0)
        mnt = fsmount(fs, FSMOUNT_CLOEXEC,
                      MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC);
    if (mnt < 0)
        snprintf(why, cap, "ramfs: %s", strerror(errno));
    close(fs);
    return mnt;
}

/* A clone of the file `name` in the ramfs, read-only, not attached yet. */
static int clone_file(int ramfs, const char *name)
{
    int t = open_tree(ramfs, name, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
    if (t < 0)
        return -1;
    struct mount_attr attr = {.attr_set = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID |
                                          MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC};
    if (mount_setattr(t, "", AT_EMPTY_PATH, &attr, sizeof attr) != 0) {
        int e = errno;
        close(t);
        errno = e;
        return -1;
    }
    return t;
}

int view_bind_file(int ramfs, const char *name, const char *path, bool replace)
{
    int t = clone_file(ramfs, name);
    if (t < 0)
        return -1;
    /* Replacing: the new file goes beneath the old one, then the old one is taken off the
     * top. Every lookup in between finds one whole file or the other. */
    unsigned flags = MOVE_MOUNT_F_EMPTY_PATH | (replace ? MOVE_MOUNT_BENEATH : 0);
    int rc = move_mount(t, "", AT_FDCWD, path, flags);
    int e = errno;
    close(t);
    if (rc != 0) {
        errno = e;
        return -1;
    }
    if (replace && umount2(path, MNT_DETACH | UMOUNT_NOFOLLOW) != 0)
        return -1;
    return 0;
}

int view_write_file(int ramfs, const char *name, int memfd, uint64_t size, mode_t mode,
                    uid_t uid, gid_t gid)
{
    int fd = openat(ramfs, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0);
    if (fd < 0)
        return -1;
    off_t off = 0;
    while ((uint64_t)off < size) {
        ssize_t n = sendfile(fd, memfd, &off, (size_t)(size - (uint64_t)off));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            if (n == 0)
                errno = EIO; /* the memfd is shorter than the agent said */
            goto fail;
        }
    }
    if (fchown(fd, uid, gid) != 0 || fchmod(fd, mode) != 0)
        goto fail;
    close(fd);
    return 0;
fail:;
    int e = errno;
    close(fd);
    unlinkat(ramfs, name, 0);
    errno = e;
    return -1;
}
