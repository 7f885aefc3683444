// SPDX-License-Identifier: Apache-2.0
/* Where the simulated TDX platform lives, and its creation exactly once: a new state is written
 * into a private temporary directory beside the target and published with rename(2), which
 * fails when another process published first; the loser discards its copy and loads the
 * winner's. The default directory sits beside the SEV-SNP simulator's (its path plus "-tdx"),
 * whose directory that simulator owns alone. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bptee/io.h>

#include "sim/tdx_sim.h"
#include "util/cleanup.h"
#include "util/error.h"

#define MARKER "tdx-platform.json"

int bptee_tdx_sim_default_state_dir(char **out)
{
    if (!out)
        return fail(BPTEE_EINVAL, "sim: tdx: default state directory: missing argument");
    char *base = NULL;
    int r = bptee_sim_default_state_dir(&base);
    if (r < 0)
        return r;
    r = asprintf(out, "%s-tdx", base);
    bptee_free(base);
    return r < 0 ? fail(BPTEE_ENOMEM, "sim: tdx: out of memory") : 0;
}

/* mkdir -p of path's parent, new directories 0700. */
static int make_parents(const char *path)
{
    char buf[PATH_MAX];
    if ((size_t)snprintf(buf, sizeof buf, "%s", path) >= sizeof buf)
        return fail(BPTEE_EINVAL, "sim: tdx: state directory path too long");
    char *slash = strrchr(buf, '/');
    if (!slash || slash == buf)
        return 0;
    *slash = '\0';
    for (char *p = buf + 1;; p++) {
        if (*p != '/' && *p != '\0')
            continue;
        char c = *p;
        *p = '\0';
        if (mkdir(buf, 0700) < 0 && errno != EEXIST)
            return fail(BPTEE_EIO, "sim: tdx: cannot create %s: %s", buf, strerror(errno));
        *p = c;
        if (c == '\0')
            return 0;
    }
}

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

static int create_state(const char *dir)
{
    struct tdx_sim_platform p;
    int r = tdx_sim_platform_generate(&p);
    if (r < 0)
        return r;
    uint8_t *mac = sodium_malloc(TDX_SIM_MAC_KEY_SIZE);
    char tmp[PATH_MAX];
    if (!mac)
        r = fail(BPTEE_ENOMEM, "sim: tdx: out of memory");
    else if ((size_t)snprintf(tmp, sizeof tmp, "%s.tmp.XXXXXX", dir) >= sizeof tmp)
        r = fail(BPTEE_EINVAL, "sim: tdx: state directory path too long");
    else if (!mkdtemp(tmp))
        r = fail(BPTEE_EIO, "sim: tdx: cannot create %s: %s", tmp, strerror(errno));
    if (r == 0) {
        randombytes_buf(mac, TDX_SIM_MAC_KEY_SIZE);
        int dfd = open(tmp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        r = dfd < 0 ? fail(BPTEE_EIO, "sim: tdx: %s: %s", tmp, strerror(errno))
                    : tdx_sim_state_write(dfd, &p, mac);
        safe_close(dfd);
        if (r == 0 && rename(tmp, dir) < 0 && errno != ENOTEMPTY && errno != EEXIST)
            r = fail(BPTEE_EIO, "sim: tdx: cannot publish the state at %s: %s", dir,
                     strerror(errno));
        remove_tmp(tmp); /* gone after a successful rename: then this does nothing */
    }
    sodium_free(mac);
    tdx_sim_platform_release(&p);
    return r;
}

/* 1 if dir holds a published state, 0 if it is absent or empty, an error otherwise. */
static int probe_state(const char *dir)
{
    struct stat st;
    if (lstat(dir, &st) < 0)
        return errno == ENOENT ? 0
                               : fail(BPTEE_EIO, "sim: tdx: state %s: %s", dir, strerror(errno));
    if (!S_ISDIR(st.st_mode))
        return fail(BPTEE_EINVAL, "sim: tdx: state %s: not a directory", dir);
    DIR *d = opendir(dir);
    if (!d)
        return fail(BPTEE_EIO, "sim: tdx: state %s: %s", dir, strerror(errno));
    int entries = 0, published = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        entries++;
        published |= !strcmp(e->d_name, MARKER);
    }
    closedir(d);
    if (entries && !published)
        return fail(BPTEE_EINVAL, "sim: tdx: %s is not empty and not a TDX simulator state "
                                  "directory",
                    dir);
    return published;
}

/* A state directory holds keys: it must be ours and closed to everyone else. */
static int open_state_dir(const char *dir)
{
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (dfd < 0)
        return fail(BPTEE_EIO, "sim: tdx: state %s: %s", dir, strerror(errno));
    struct stat st;
    if (fstat(dfd, &st) < 0 || st.st_uid != geteuid() || (st.st_mode & 077)) {
        safe_close(dfd);
        return fail(BPTEE_EDENIED, "sim: tdx: state %s: must be owned by uid %u with mode 0700",
                    dir, (unsigned)geteuid());
    }
    return dfd;
}

int tdx_sim_state_load_or_create(const char *dir, struct bptee_tdx_sim *sim)
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
    r = tdx_sim_state_read(dfd, dir, sim);
    safe_close(dfd);
    return r;
}
