// SPDX-License-Identifier: Apache-2.0
/* The file system a sandboxed job sees, built by its init in a mount namespace of its own:
 * every mount read-only, a fresh /tmp, a /dev holding only the basic nodes and the guest
 * devices passed through, the spec's writable paths, and, last, /proc of the job's PID
 * namespace.
 * Nothing here propagates back: the mounts are made private before anything is mounted. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <linux/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "runtime/sandbox.h"

#define DEVICES_MAX 16
#define CARRIED_MAX 40

/* The nodes every program expects in /dev (as bubblewrap's --dev gives them). */
static const char *const basic_nodes[] = {"null", "zero", "full", "random", "urandom", "tty"};
#define N_BASIC (sizeof basic_nodes / sizeof basic_nodes[0])

/* A tree kept aside (cloned before /dev and /tmp are replaced) and where it goes back. */
struct carried {
    int tree;
    char path[PATH_MAX];
    bool is_dir;
    bool writable; /* put back writable, else read-only */
};

/* One line into why; -1. */
__attribute__((format(printf, 3, 4))) static int say_into(char *why, size_t cap,
                                                          const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, cap, fmt, ap);
    va_end(ap);
    return -1;
}
#define say(...) say_into(why, cap, __VA_ARGS__)

/* A chroot's directory is no mount of its own, so "/" cannot be made private or read-only:
 * a copy of the tree is mounted over it and becomes the root (its clone is made private
 * before it is attached, so nothing mounted on it later reaches another namespace). */
static int own_root(void)
{
    struct statx sx;
    if (statx(AT_FDCWD, "/", 0, STATX_BASIC_STATS, &sx) == 0 &&
        (sx.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT) &&
        (sx.stx_attributes & STATX_ATTR_MOUNT_ROOT))
        return 0;
    int t = open_tree(AT_FDCWD, "/", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);
    struct mount_attr priv = {.propagation = MS_PRIVATE};
    int rc = -1;
    if (t >= 0 && mount_setattr(t, "", AT_EMPTY_PATH | AT_RECURSIVE, &priv, sizeof priv) == 0 &&
        move_mount(t, "", AT_FDCWD, "/", MOVE_MOUNT_F_EMPTY_PATH) == 0 && fchdir(t) == 0 &&
        chroot(".") == 0 && chdir("/") == 0)
        rc = 0;
    int e = errno;
    if (t >= 0)
        close(t);
    errno = e;
    return rc;
}

static int set_rdonly(const char *path, bool rdonly, bool recursive)
{
    struct mount_attr a = {0};
    if (rdonly)
        a.attr_set = MOUNT_ATTR_RDONLY;
    else
        a.attr_clr = MOUNT_ATTR_RDONLY;
    return mount_setattr(AT_FDCWD, path, recursive ? AT_RECURSIVE : 0, &a, sizeof a);
}

static bool under(const char *path, const char *dir)
{
    size_t n = strlen(dir);
    return !strncmp(path, dir, n) && (path[n] == '/' || path[n] == '\0');
}

/* mkdir -p of path's parents (on a fresh tmpfs), then an empty file or directory at path to
 * mount on. */
static int make_mount_point(const char *path, bool is_dir)
{
    char p[PATH_MAX];
    snprintf(p, sizeof p, "%s", path);
    for (char *s = strchr(p + 1, '/'); s; s = strchr(s + 1, '/')) {
        *s = '\0';
        if (mkdir(p, 0755) != 0 && errno != EEXIST)
            return -1;
        *s = '/';
    }
    struct stat st;
    if (lstat(p, &st) == 0)
        return 0; /* already there (the read-only tree keeps it) */
    if (is_dir)
        return mkdir(p, 0755);
    int fd = open(p, O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0)
        return -1;
    close(fd);
    return 0;
}

static int carry(struct carried *c, const char *path)
{
    struct stat st;
    c->tree = -1;
    if (stat(path, &st) != 0)
        return -1;
    c->is_dir = S_ISDIR(st.st_mode);
    snprintf(c->path, sizeof c->path, "%s", path);
    c->tree = open_tree(AT_FDCWD, path, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);
    return c->tree < 0 ? -1 : 0;
}

/* Put a carried tree back at its path (creating the mount point on a fresh tmpfs). */
static int put_back(struct carried *c)
{
    int rc = make_mount_point(c->path, c->is_dir);
    if (rc == 0)
        rc = move_mount(c->tree, "", AT_FDCWD, c->path, MOVE_MOUNT_F_EMPTY_PATH);
    int e = errno;
    close(c->tree);
    c->tree = -1;
    errno = e;
    return rc;
}

static int mount_tmpfs(const char *path, const char *opts)
{
    return mount("tmpfs", path, "tmpfs", MS_NOSUID | MS_NODEV, opts);
}

static int dev_links(void)
{
    static const char *const links[][2] = {{"/proc/self/fd", "/dev/fd"},
                                           {"/proc/self/fd/0", "/dev/stdin"},
                                           {"/proc/self/fd/1", "/dev/stdout"},
                                           {"/proc/self/fd/2", "/dev/stderr"}};
    for (size_t i = 0; i < sizeof links / sizeof links[0]; i++)
        if (symlink(links[i][0], links[i][1]) != 0)
            return -1;
    return mkdir("/dev/shm", 01777) == 0 && chmod("/dev/shm", 01777) == 0 ? 0 : -1;
}

static int carry_devices(const struct bptee_sandbox_opts *o, struct carried *basic,
                         struct carried *dev, size_t *n_dev, char *why, size_t cap)
{
    char path[32];
    for (size_t i = 0; i < N_BASIC; i++) {
        snprintf(path, sizeof path, "/dev/%s", basic_nodes[i]);
        if (carry(&basic[i], path) != 0 && errno != ENOENT)
            return say("%s: %s", path, strerror(errno));
    }
    *n_dev = 0;
    for (size_t i = 0; i < o->n_devices; i++) {
        if (*n_dev == DEVICES_MAX)
            return say("more than %d devices", DEVICES_MAX);
        if (o->devices[i][0] != '/')
            return say("device %s: not an absolute path", o->devices[i]);
        dev[*n_dev].writable = true;
        if (carry(&dev[*n_dev], o->devices[i]) == 0)
            (*n_dev)++;
        else if (errno != ENOENT)
            return say("device %s: %s", o->devices[i], strerror(errno));
    }
    return 0;
}

/* The writable and visible paths, cloned before anything is made read-only (so the clones
 * keep their flags) and attached again at the end, over the fresh /tmp too. */
static int carry_paths(const char *const *paths, size_t n, const char *what, struct carried *c,
                       size_t *n_c, char *why, size_t cap)
{
    for (size_t i = 0; i < n; i++) {
        const char *p = paths[i];
        if (*n_c == CARRIED_MAX)
            return say("more than %d writable and visible paths", CARRIED_MAX);
        if (p[0] != '/' || under(p, "/dev") || under(p, "/proc") || !strcmp(p, "/"))
            return say("%s %s: must be an absolute path outside /dev and /proc, not /", what,
                       p);
        c[*n_c].writable = !strcmp(what, "writable");
        if (carry(&c[(*n_c)++], p) != 0)
            return say("%s %s: %s", what, p, strerror(errno));
    }
    return 0;
}

static int build_dev(struct carried *basic, struct carried *dev, size_t n_dev, char *why,
                     size_t cap)
{
    if (mount_tmpfs("/dev", "mode=0755,size=1m") != 0)
        return say("/dev: tmpfs: %s", strerror(errno));
    for (size_t i = 0; i < N_BASIC; i++)
        if (basic[i].tree >= 0 && put_back(&basic[i]) != 0)
            return say("/dev/%s: %s", basic_nodes[i], strerror(errno));
    if (dev_links() != 0)
        return say("/dev: %s", strerror(errno));
    if (mount_tmpfs("/dev/shm", "mode=1777") != 0)
        return say("/dev/shm: %s", strerror(errno));
    for (size_t i = 0; i < n_dev; i++)
        if (under(dev[i].path, "/dev") && put_back(&dev[i]) != 0)
            return say("device %s: %s", dev[i].path, strerror(errno));
    return set_rdonly("/dev", true, false) == 0 ? 0 : say("/dev: %s", strerror(errno));
}

/* The carried trees not yet back (devices outside /dev, writable and visible paths): where
 * they were (a fresh /tmp lost them); devices writable (configfs-tsm needs a mkdir per
 * report). */
static int restore(struct carried *c, size_t n, const char *what, char *why, size_t cap)
{
    for (size_t i = 0; i < n; i++) {
        if (c[i].tree < 0)
            continue;
        char path[PATH_MAX];
        snprintf(path, sizeof path, "%s", c[i].path);
        if (put_back(&c[i]) != 0 || set_rdonly(path, !c[i].writable, false) != 0)
            return say("%s %s: %s", what, path, strerror(errno));
    }
    return 0;
}

static void drop_carried(struct carried *c, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (c[i].tree >= 0)
            close(c[i].tree);
}

/* The job starts where the caller is, seen through the new tree (never kept open underneath
 * it); where the sandbox hides that directory (the caller's /tmp), at / as bubblewrap does. */
static int back_to_cwd(const char *cwd, char *why, size_t cap)
{
    if (chdir(cwd) != 0 && chdir("/") != 0)
        return say("chdir /: %s", strerror(errno));
    return 0;
}

int sandbox_mount_proc(char *why, size_t cap)
{
    if (mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) != 0)
        return say("/proc: %s", strerror(errno));
    return 0;
}

int sandbox_build_mounts(const struct bptee_sandbox_opts *o, char *why, size_t cap)
{
    struct carried basic[N_BASIC], dev[DEVICES_MAX], w[CARRIED_MAX];
    size_t n_dev = 0, n_w = 0;
    char cwd[PATH_MAX];
    int rc = -1;
    for (size_t i = 0; i < N_BASIC; i++)
        basic[i].tree = -1;
    if (!getcwd(cwd, sizeof cwd))
        return say("getcwd: %s", strerror(errno));
    if (own_root() != 0) {
        say("cannot make / a mount of its own: %s", strerror(errno));
        goto out;
    }
    if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0) {
        say("cannot make the mounts private: %s", strerror(errno));
        goto out;
    }
    if (carry_devices(o, basic, dev, &n_dev, why, cap) != 0 ||
        carry_paths(o->writable, o->n_writable, "writable", w, &n_w, why, cap) != 0 ||
        carry_paths(o->visible, o->n_visible, "visible", w, &n_w, why, cap) != 0)
        goto out;
    if (set_rdonly("/", true, true) != 0) {
        say("cannot make / read-only: %s", strerror(errno));
        goto out;
    }
    if (mount_tmpfs("/tmp", "mode=1777") != 0) {
        say("/tmp: tmpfs: %s", strerror(errno));
        goto out;
    }
    if (build_dev(basic, dev, n_dev, why, cap) != 0)
        goto out;
    if (restore(dev, n_dev, "device", why, cap) != 0 ||
        restore(w, n_w, "path", why, cap) != 0 || back_to_cwd(cwd, why, cap) != 0)
        goto out;
    rc = 0;
out:
    drop_carried(basic, N_BASIC);
    drop_carried(dev, n_dev);
    drop_carried(w, n_w);
    return rc;
}
