// SPDX-License-Identifier: Apache-2.0
/* Does a path a program opens name a declared secret? The question is asked on every open and
 * stat of the job, so the common answer ("no") must cost a string scan: a path can name a
 * secret only if its last component is some secret's last component (lexical normalisation
 * never changes a last component other than "." or "..", and those name directories). Only
 * then is the path made absolute (the cwd, or the directory fd's /proc link) and normalised.
 * Normalisation is lexical, as the declared paths are: symlinks are not followed. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "preload.h"

ssize_t bp_path_normalize(const char *in, char *out, size_t cap)
{
    size_t o = 1;
    if (in[0] != '/' || cap < 2)
        return -1;
    out[0] = '/';
    for (const char *p = in; *p;) {
        while (*p == '/')
            p++;
        size_t n = strcspn(p, "/");
        if (n == 0 || (n == 1 && p[0] == '.')) {
            p += n;
            continue;
        }
        if (n == 2 && p[0] == '.' && p[1] == '.') {
            while (o > 1 && out[o - 1] != '/')
                o--;
            if (o > 1)
                o--;
        } else {
            if (o + n + 2 > cap)
                return -1;
            if (o > 1)
                out[o++] = '/';
            memmove(out + o, p, n); /* in place: the output never overtakes the input */
            o += n;
        }
        p += n;
    }
    out[o] = '\0';
    return (ssize_t)o;
}

static int base_declared(const char *base, size_t len)
{
    for (size_t i = 0; i < bp_cfg.n; i++) {
        const struct bp_secret *s = &bp_cfg.secrets[i];
        if (s->base_len == len && memcmp(s->base, base, len) == 0)
            return 1;
    }
    return 0;
}

/* The directory a relative path starts from, into dir (absolute), or -1. */
static int start_dir(int dirfd, char *dir, size_t cap)
{
    if (dirfd == AT_FDCWD) {
        /* With a buffer, getcwd is one system call and no allocation. */
        if (!getcwd(dir, cap))
            return -1;
    } else {
        char link[32];
        snprintf(link, sizeof link, "/proc/self/fd/%d", dirfd);
        ssize_t n = readlink(link, dir, cap - 1);
        if (n <= 0)
            return -1;
        dir[n] = '\0';
    }
    return dir[0] == '/' ? 0 : -1;
}

static int match_slow(int dirfd, const char *path)
{
    char joined[2 * PATH_MAX + 2];
    const char *abs = path;
    if (path[0] != '/') {
        if (start_dir(dirfd, joined, PATH_MAX) < 0)
            return -1;
        size_t dl = strlen(joined), pl = strlen(path);
        if (dl + pl + 2 > sizeof joined)
            return -1;
        joined[dl] = '/';
        memcpy(joined + dl + 1, path, pl + 1);
        abs = joined;
    }
    ssize_t n = bp_path_normalize(abs, joined, sizeof joined);
    for (size_t i = 0; n > 0 && i < bp_cfg.n; i++) {
        const struct bp_secret *s = &bp_cfg.secrets[i];
        if (s->path_len == (size_t)n && memcmp(s->path, joined, (size_t)n) == 0)
            return (int)i;
    }
    return -1;
}

int bp_path_match(int dirfd, const char *path)
{
    if (!bp_cfg.n || !path)
        return -1;
    const char *slash = strrchr(path, '/');
    const char *base = slash ? slash + 1 : path;
    size_t len = strlen(base);
    unsigned char c = (unsigned char)base[0];
    if (len == 0 || !((bp_cfg.base_len_mask >> (len & 63)) & 1) ||
        !((bp_cfg.base_first[c >> 6] >> (c & 63)) & 1) || !base_declared(base, len))
        return -1;
    int saved = errno;
    int idx = match_slow(dirfd, path);
    errno = saved;
    return idx;
}
