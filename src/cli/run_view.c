// SPDX-License-Identifier: Apache-2.0
/* The job's secret view (run_view.h): which paths get which file, built once before the job
 * starts and changed in place when the agent rotates or revokes a secret. The mount work is
 * in run_view_mount.c and run_view_overlay.c. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "cli/run.h"
#include "cli/run_view.h"
#include "cli/run_view_mount.h"
#include "cli/run_sandbox.h"

#define VOID_FILE "void"

struct view_path {
    char *name, *path;
    char file[32]; /* the ramfs file bound at path now */
    uint64_t version;
};

struct run_view {
    int ramfs;
    struct run_view_owner owner;
    const struct run_nsjump *jump; /* into the job's mount namespace */
    struct view_path *p;
    size_t n;
    unsigned long seq; /* names the next file */
};

/* A missing path and the existing directory it goes under. */
struct missing {
    const char *path;
    char dir[PATH_MAX];
};

/* One line, "bptee: run: secret view: ...", and -1. */
#define fail(...) (run_say(-1, "secret view: " __VA_ARGS__))

/* Paths are matched as the kernel resolves them, so they must be plain: absolute, and without
 * empty, "." or ".." components (the spec already refuses a trailing '/'). */
static bool plain_path(const char *p)
{
    if (p[0] != '/' || p[1] == '\0')
        return false;
    for (const char *c = p + 1; *c;) {
        size_t len = strcspn(c, "/");
        if (len == 0 || (len == 1 && c[0] == '.') || (len == 2 && c[0] == '.' && c[1] == '.'))
            return false;
        c += len;
        if (*c == '/')
            c++;
        else
            break;
    }
    return p[strlen(p) - 1] != '/';
}

/* The nearest existing directory above path (following symlinks, as the job's own lookups
 * will). */
static int existing_dir(const char *path, char *dir, size_t cap)
{
    struct stat st;
    if (strlen(path) >= cap)
        return -1;
    memcpy(dir, path, strlen(path) + 1);
    for (;;) {
        char *slash = strrchr(dir, '/');
        if (slash == dir)
            slash[1] = '\0';
        else
            *slash = '\0';
        if (stat(dir, &st) == 0)
            return S_ISDIR(st.st_mode) ? 0 : (errno = ENOTDIR, -1);
        if (errno != ENOENT || !strcmp(dir, "/"))
            return -1;
    }
}

/* What lies on disk at each path decides how it is served: an existing file is covered by a
 * bind mount; a missing one needs an overlay of its nearest directory; anything else is
 * refused. */
static int classify(struct run_view *v, struct missing *miss, size_t *n_miss)
{
    *n_miss = 0;
    for (size_t i = 0; i < v->n; i++) {
        const char *p = v->p[i].path;
        struct stat st;
        if (!plain_path(p))
            return fail("%s: the path must be absolute without '.', '..' or '//'", p);
        if (lstat(p, &st) == 0) {
            if (S_ISLNK(st.st_mode))
                return fail("%s is a symbolic link on disk; declare the path it points to", p);
            if (S_ISDIR(st.st_mode))
                return fail("%s is a directory on disk, not a place for a secret", p);
            continue;
        }
        if (errno != ENOENT)
            return fail("%s: %s", p, strerror(errno));
        if (existing_dir(p, miss[*n_miss].dir, sizeof miss[*n_miss].dir) != 0)
            return fail("%s: no directory above it can hold it: %s", p, strerror(errno));
        /* Overlaying / itself would take every mount of the system along: refused. */
        if (!strcmp(miss[*n_miss].dir, "/"))
            return fail("%s: nothing of its directories exists below /; create its "
                        "directory, or declare it under one that exists", p);
        miss[(*n_miss)++].path = p;
    }
    return 0;
}

static int by_dir_length(const void *a, const void *b)
{
    size_t la = strlen(((const struct missing *)a)->dir);
    size_t lb = strlen(((const struct missing *)b)->dir);
    return la < lb ? -1 : la > lb;
}

/* One overlay per directory, outer directories first (an inner one is then seen through the
 * outer overlay, where it exists as it did on disk). */
static int make_room(struct run_view *v, struct missing *miss, size_t n_miss)
{
    const char **rel = calloc(n_miss ? n_miss : 1, sizeof *rel);
    char why[PATH_MAX + 256];
    if (!rel)
        return fail("out of memory");
    qsort(miss, n_miss, sizeof *miss, by_dir_length);
    for (size_t i = 0; i < n_miss;) {
        size_t j = i, k = 0;
        for (; j < n_miss && !strcmp(miss[j].dir, miss[i].dir); j++) {
            size_t skip = strlen(miss[j].dir) == 1 ? 1 : strlen(miss[j].dir) + 1;
            rel[k++] = miss[j].path + skip;
        }
        char tree[32];
        snprintf(tree, sizeof tree, "tree%zu", i);
        if (view_overlay(v->ramfs, tree, miss[i].dir, rel, k, why, sizeof why) != 0) {
            free(rel);
            return fail("%s", why);
        }
        i = j;
    }
    free(rel);
    return 0;
}

static int place_all_void(struct run_view *v)
{
    /* Void is a character device 0:0 (the whiteout node, which even a user namespace may
     * make) bound nodev: its open fails with EACCES for everyone, root included, where an
     * unreadable file would still open for root and read as empty. */
    if (mknodat(v->ramfs, VOID_FILE, S_IFCHR | 0, makedev(0, 0)) != 0 ||
        (fchownat(v->ramfs, VOID_FILE, v->owner.uid, v->owner.gid, AT_SYMLINK_NOFOLLOW) != 0 &&
         errno != EINVAL && errno != EPERM))
        return fail("cannot create its files: %s", strerror(errno));
    for (size_t i = 0; i < v->n; i++) {
        if (view_bind_file(v->ramfs, VOID_FILE, v->p[i].path, false) != 0)
            return fail("%s: cannot mount the secret there: %s", v->p[i].path,
                        strerror(errno));
        snprintf(v->p[i].file, sizeof v->p[i].file, "%s", VOID_FILE);
    }
    return 0;
}

int run_view_build(const char *const *names, const char *const *paths, size_t n,
                   const struct run_view_owner *owner, const struct run_nsjump *jump,
                   struct run_view **out)
{
    struct run_view *v = calloc(1, sizeof *v);
    struct missing *miss = calloc(n ? n : 1, sizeof *miss);
    size_t n_miss = 0;
    char why[256];
    int rc = -1;
    if (!v || !miss || !(v->p = calloc(n ? n : 1, sizeof *v->p))) {
        fail("out of memory");
        goto out;
    }
    v->ramfs = -1;
    v->owner = *owner;
    v->jump = jump;
    for (; v->n < n; v->n++)
        if (!(v->p[v->n].name = strdup(names[v->n])) || !(v->p[v->n].path = strdup(paths[v->n]))) {
            fail("out of memory");
            goto out;
        }
    run_nsjump_enter(jump);
    /* The paths are judged as the job sees them: its /tmp is its own. */
    if (classify(v, miss, &n_miss) == 0) {
        if ((v->ramfs = view_ramfs_new(why, sizeof why)) < 0)
            fail("%s", why);
        else if (make_room(v, miss, n_miss) == 0 && place_all_void(v) == 0)
            rc = 0;
    }
    run_nsjump_leave(jump);
    if (rc != 0)
        goto out;
    *out = v;
    v = NULL;
out:
    free(miss);
    run_view_free(v);
    return rc;
}

/* Point every path of name at file (whose version it is), then drop the files no path uses. */
static int point(struct run_view *v, const char *name, const char *file, uint64_t version)
{
    char old[32] = "";
    int rc = 0;
    for (size_t i = 0; i < v->n; i++) {
        struct view_path *p = &v->p[i];
        if (strcmp(p->name, name) || !strcmp(p->file, file))
            continue;
        if (view_bind_file(v->ramfs, file, p->path, true) != 0) {
            fail("%s: cannot replace the secret there: %s", p->path, strerror(errno));
            rc = -1;
            continue;
        }
        snprintf(old, sizeof old, "%s", p->file);
        snprintf(p->file, sizeof p->file, "%s", file);
        p->version = version;
    }
    /* Descriptors the job opened on the old file keep it alive until they are closed. */
    if (old[0] && strcmp(old, VOID_FILE))
        unlinkat(v->ramfs, old, 0);
    return rc;
}

static int set_here(struct run_view *v, const char *name, int memfd, uint64_t version)
{
    struct stat st;
    char file[32];
    if (memfd < 0)
        return point(v, name, VOID_FILE, 0);
    snprintf(file, sizeof file, "s%lu", ++v->seq);
    if (fstat(memfd, &st) != 0 ||
        view_write_file(v->ramfs, file, memfd, (uint64_t)st.st_size, 0400, v->owner.uid,
                        v->owner.gid) != 0) {
        fail("secret %s: cannot write it: %s", name, strerror(errno));
        point(v, name, VOID_FILE, 0);
        return -1;
    }
    if (point(v, name, file, version) != 0) {
        point(v, name, VOID_FILE, 0);
        unlinkat(v->ramfs, file, 0);
        return -1;
    }
    return 0;
}

int run_view_set(struct run_view *v, const char *name, int memfd, uint64_t version)
{
    run_nsjump_enter(v->jump);
    int rc = set_here(v, name, memfd, version);
    run_nsjump_leave(v->jump);
    return rc;
}

void run_view_void_all(struct run_view *v)
{
    run_nsjump_enter(v->jump);
    for (size_t i = 0; i < v->n; i++)
        point(v, v->p[i].name, VOID_FILE, 0);
    run_nsjump_leave(v->jump);
}

uint64_t run_view_version(const struct run_view *v, const char *name)
{
    for (size_t i = 0; i < v->n; i++)
        if (!strcmp(v->p[i].name, name))
            return v->p[i].version;
    return 0;
}

void run_view_free(struct run_view *v)
{
    if (!v)
        return;
    if (v->ramfs >= 0)
        close(v->ramfs);
    for (size_t i = 0; i < v->n; i++) {
        free(v->p[i].name);
        free(v->p[i].path);
    }
    free(v->p);
    free(v);
}
