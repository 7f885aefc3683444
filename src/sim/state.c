// SPDX-License-Identifier: Apache-2.0
/* Where the simulated platform lives, and its creation exactly once. A new state is written
 * into a private temporary directory beside the target and published with rename(2), which
 * either succeeds (the target was absent or an empty directory) or fails because another
 * process published first; the loser discards its copy and loads the winner's. A reader never
 * sees a half-written state. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sim/sim_private.h"
#include "util/cleanup.h"
#include "util/error.h"

int bptee_sim_default_state_dir(char **out)
{
    if (!out)
        return fail(BPTEE_EINVAL, "sim: default state directory: missing argument");
    const char *xdg = secure_getenv("XDG_STATE_HOME");
    const char *home = secure_getenv("HOME");
    if (!home || home[0] != '/') {
        struct passwd *pw = getpwuid(geteuid());
        home = pw ? pw->pw_dir : NULL;
    }
    int n;
    /* The XDG spec says relative values are invalid and must be ignored. */
    if (xdg && xdg[0] == '/')
        n = asprintf(out, "%s/bptee/sim", xdg);
    else if (home && home[0] == '/')
        n = asprintf(out, "%s/.local/state/bptee/sim", home);
    else
        return fail(BPTEE_ENOTFOUND, "sim: no state directory: neither XDG_STATE_HOME nor a "
                                     "home directory is set");
    return n < 0 ? fail(BPTEE_ENOMEM, "sim: out of memory") : 0;
}

/* mkdir -p of path's parent, new directories 0700. */
static int make_parents(const char *path)
{
    char buf[PATH_MAX];
    if ((size_t)snprintf(buf, sizeof buf, "%s", path) >= sizeof buf)
        return fail(BPTEE_EINVAL, "sim: state directory path too long");
    char *slash = strrchr(buf, '/');
    if (!slash || slash == buf)
        return 0;
    *slash = '\0';
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(buf, 0700) < 0 && errno != EEXIST)
            return fail(BPTEE_EIO, "sim: cannot create %s: %s", buf, strerror(errno));
        *p = '/';
    }
    if (mkdir(buf, 0700) < 0 && errno != EEXIST)
        return fail(BPTEE_EIO, "sim: cannot create %s: %s", buf, strerror(errno));
    return 0;
}

/* Remove our unpublished temporary directory (flat: files only). */
static void remove_tmp(const char *tmp)
{
    DIR *d = opendir(tmp);
    if (d) {
        struct dirent *e;
        while ((e = readdir(d)))
            if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
                unlinkat(dirfd(d), e->d_name, 0);
        closedir(d);
    }
    rmdir(tmp);
}

/* Write a fresh platform to a temporary directory and publish it at dir. A lost race is not an
 * error: the caller loads whichever state was published. */
static int create_state(const char *dir)
{
    struct sim_platform p;
    int r = sim_platform_generate(&p);
    if (r < 0)
        return r;
    uint8_t *root = sodium_malloc(SIM_ROOT_KEY_SIZE);
    char tmp[PATH_MAX];
    if (!root) {
        r = fail(BPTEE_ENOMEM, "sim: out of memory");
        goto out;
    }
    randombytes_buf(root, SIM_ROOT_KEY_SIZE);
    if ((size_t)snprintf(tmp, sizeof tmp, "%s.tmp.XXXXXX", dir) >= sizeof tmp) {
        r = fail(BPTEE_EINVAL, "sim: state directory path too long");
        goto out;
    }
    if (!mkdtemp(tmp)) {
        r = fail(BPTEE_EIO, "sim: cannot create %s: %s", tmp, strerror(errno));
        goto out;
    }
    int dfd = open(tmp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    r = dfd < 0 ? fail(BPTEE_EIO, "sim: %s: %s", tmp, strerror(errno))
                : sim_state_write(dfd, &p, root);
    safe_close(dfd);
    if (r == 0 && rename(tmp, dir) < 0 && errno != ENOTEMPTY && errno != EEXIST)
        r = fail(BPTEE_EIO, "sim: cannot publish the state at %s: %s", dir, strerror(errno));
    remove_tmp(tmp); /* gone after a successful rename: then this does nothing */
out:
    sodium_free(root);
    sim_platform_release(&p);
    return r;
}

/* 1 if dir holds a published state, 0 if it is absent or empty, an error otherwise. */
static int probe_state(const char *dir)
{
    struct stat st;
    if (lstat(dir, &st) < 0)
        return errno == ENOENT ? 0 : fail(BPTEE_EIO, "sim: state %s: %s", dir, strerror(errno));
    if (!S_ISDIR(st.st_mode))
        return fail(BPTEE_EINVAL, "sim: state %s: not a directory", dir);
    DIR *d = opendir(dir);
    if (!d)
        return fail(BPTEE_EIO, "sim: state %s: %s", dir, strerror(errno));
    int entries = 0, published = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        entries++;
        published |= !strcmp(e->d_name, "platform.json");
    }
    closedir(d);
    if (entries && !published)
        return fail(BPTEE_EINVAL, "sim: %s is not empty and not a simulator state directory", dir);
    return published;
}

/* A state directory must belong to us and be closed to everyone else: it holds keys. */
static int open_state_dir(const char *dir)
{
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (dfd < 0)
        return fail(BPTEE_EIO, "sim: state %s: %s", dir, strerror(errno));
    struct stat st;
    if (fstat(dfd, &st) < 0) {
        safe_close(dfd);
        return fail(BPTEE_EIO, "sim: state %s: %s", dir, strerror(errno));
    }
    if (st.st_uid != geteuid() || (st.st_mode & 077)) {
        safe_close(dfd);
        return fail(BPTEE_EDENIED,
                    "sim: state %s: must be owned by uid %u with mode 0700 "
                    "(is uid %u, mode %04o)",
                    dir, (unsigned)geteuid(), (unsigned)st.st_uid, (unsigned)(st.st_mode & 07777));
    }
    return dfd;
}

int sim_state_load_or_create(const char *dir, struct bptee_sim *sim)
{
    int r = probe_state(dir);
    if (r == 0)
        r = make_parents(dir);
    if (r == 0)
        r = create_state(dir);
    if (r < 0)
        return r;
    int dfd = open_state_dir(dir);
    if (dfd < 0)
        return dfd;
    r = sim_state_read(dfd, dir, sim);
    safe_close(dfd);
    return r;
}
