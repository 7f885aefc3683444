// SPDX-License-Identifier: Apache-2.0
/* A place for a declared secret path that does not exist on disk. A bind mount needs an
 * existing file to cover, and creating one on the host would change the disk (and is not
 * possible in /run for an ordinary user), so the nearest existing directory becomes, in the
 * job's namespace only, a read-only overlay: a small ramfs tree holding an empty file at each
 * missing path, over the directory itself. Everything that was in the directory stays
 * visible; the secrets are then bound onto the empty files. An overlay does not show the
 * mounts below its lower directory, so those are cloned first and attached again on top. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/run_view_mount.h"

#define SUBMOUNTS_MAX 256

struct submount {
    char path[PATH_MAX];
    int tree; /* a recursive clone, detached */
};

/* mountinfo escapes space, tab, newline and backslash as \ooo. */
static void unescape(char *s)
{
    char *w = s;
    for (char *r = s; *r; r++) {
        if (r[0] == '\\' && r[1] >= '0' && r[1] <= '3' && r[2] >= '0' && r[2] <= '7' &&
            r[3] >= '0' && r[3] <= '7') {
            *w++ = (char)((r[1] - '0') * 64 + (r[2] - '0') * 8 + (r[3] - '0'));
            r += 3;
        } else {
            *w++ = *r;
        }
    }
    *w = '\0';
}

static bool under(const char *path, const char *dir)
{
    size_t n = strlen(dir);
    if (n == 1) /* "/" */
        return path[0] == '/' && path[1] != '\0';
    return !strncmp(path, dir, n) && path[n] == '/';
}

/* The mount points strictly below dir, outermost only (a clone takes what is below them). */
static int list_submounts(const char *dir, struct submount *out, size_t *n)
{
    FILE *f = fopen("/proc/self/mountinfo", "re");
    if (!f)
        return -1;
    char line[4 * PATH_MAX];
    *n = 0;
    while (fgets(line, sizeof line, f)) {
        char *save = NULL, *mp = NULL, *tok = strtok_r(line, " ", &save);
        for (int i = 0; tok && i < 4; i++)
            tok = strtok_r(NULL, " ", &save);
        if (!(mp = tok))
            continue;
        unescape(mp);
        if (!under(mp, dir) || strlen(mp) >= PATH_MAX)
            continue;
        bool dup = false;
        for (size_t i = 0; i < *n && !dup; i++)
            dup = !strcmp(out[i].path, mp) || under(mp, out[i].path);
        if (dup)
            continue;
        /* A later line may be an outer one of an earlier: drop those it covers. */
        size_t k = 0;
        for (size_t i = 0; i < *n; i++)
            if (!under(out[i].path, mp))
                out[k++] = out[i];
        *n = k;
        if (*n == SUBMOUNTS_MAX) {
            fclose(f);
            errno = E2BIG;
            return -1;
        }
        memcpy(out[*n].path, mp, strlen(mp) + 1);
        out[(*n)++].tree = -1;
    }
    fclose(f);
    return 0;
}

/* ',' ':' and '\' separate or escape overlay options. */
static int escape_option(const char *in, char *out, size_t cap)
{
    size_t w = 0;
    for (; *in; in++) {
        if (w + 3 >= cap)
            return -1;
        if (*in == ',' || *in == ':' || *in == '\\')
            out[w++] = '\\';
        out[w++] = *in;
    }
    out[w] = '\0';
    return 0;
}

/* The ramfs tree: its root shaped like dir (the overlay's root takes its owner and mode from
 * the upper-most layer), the missing directories 0755, an empty 0400 file at each path. */
static int make_tree(int ramfs, const char *tree, const struct stat *dst, const char *const *rel,
                     size_t n)
{
    if (mkdirat(ramfs, tree, 0700) != 0)
        return -1;
    /* In a user namespace the directory's owner may have no id here: the root is then ours,
     * which changes nothing the job can do with a read-only directory. */
    if (fchownat(ramfs, tree, dst->st_uid, dst->st_gid, AT_SYMLINK_NOFOLLOW) != 0 &&
        errno != EINVAL && errno != EPERM)
        return -1;
    if (fchmodat(ramfs, tree, dst->st_mode & 07777, 0) != 0)
        return -1;
    for (size_t i = 0; i < n; i++) {
        char p[PATH_MAX];
        if ((size_t)snprintf(p, sizeof p, "%s/%s", tree, rel[i]) >= sizeof p) {
            errno = ENAMETOOLONG;
            return -1;
        }
        for (char *s = strchr(p + strlen(tree) + 1, '/'); s; s = strchr(s + 1, '/')) {
            *s = '\0';
            if (mkdirat(ramfs, p, 0755) != 0 && errno != EEXIST)
                return -1;
            *s = '/';
        }
        int fd = openat(ramfs, p, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0400);
        if (fd < 0)
            return -1;
        close(fd);
    }
    return 0;
}

static void close_trees(struct submount *subs, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (subs[i].tree >= 0)
            close(subs[i].tree);
}

int view_overlay(int ramfs, const char *tree, const char *dir, const char *const *rel, size_t n,
                 char *why, size_t cap)
{
    struct stat st;
    char lower[PATH_MAX], here[PATH_MAX], opts[3 * PATH_MAX + 64], src[64];
    size_t n_subs = 0;
    struct submount *subs = calloc(SUBMOUNTS_MAX, sizeof *subs);
    int rc = -1;
    if (!subs) {
        snprintf(why, cap, "out of memory");
        return -1;
    }
    if (stat(dir, &st) != 0 || make_tree(ramfs, tree, &st, rel, n) != 0) {
        snprintf(why, cap, "%s: cannot prepare a place for the secrets below it: %s", dir,
                 strerror(errno));
        goto out;
    }
    if (list_submounts(dir, subs, &n_subs) != 0) {
        snprintf(why, cap, "%s: cannot list the mounts below it: %s", dir, strerror(errno));
        goto out;
    }
    for (size_t i = 0; i < n_subs; i++) {
        subs[i].tree = open_tree(AT_FDCWD, subs[i].path,
                                 OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);
        if (subs[i].tree < 0) {
            snprintf(why, cap, "%s: cannot keep the mount %s: %s", dir, subs[i].path,
                     strerror(errno));
            goto out;
        }
    }
    /* The ramfs is attached nowhere: the overlay reaches its tree through our descriptor. */
    snprintf(src, sizeof src, "/proc/self/fd/%d/%s", ramfs, tree);
    if (escape_option(src, lower, sizeof lower) != 0 ||
        escape_option(dir, here, sizeof here) != 0 ||
        (size_t)snprintf(opts, sizeof opts, "lowerdir=%s:%s", lower, here) >= sizeof opts) {
        snprintf(why, cap, "%s: path too long for an overlay", dir);
        goto out;
    }
    if (mount("bptee-secrets", dir, "overlay", MS_RDONLY | MS_NOSUID | MS_NODEV, opts) != 0) {
        snprintf(why, cap, "%s: cannot overlay it to make room for the secrets: %s", dir,
                 strerror(errno));
        goto out;
    }
    for (size_t i = 0; i < n_subs; i++) {
        if (move_mount(subs[i].tree, "", AT_FDCWD, subs[i].path, MOVE_MOUNT_F_EMPTY_PATH) != 0) {
            snprintf(why, cap, "%s: cannot attach the mount %s again: %s", dir, subs[i].path,
                     strerror(errno));
            goto out;
        }
    }
    rc = 0;
out:
    close_trees(subs, n_subs);
    free(subs);
    return rc;
}
