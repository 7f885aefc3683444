// SPDX-License-Identifier: Apache-2.0
/* The hand-down from `bptee run` (docs/interposer.md): BPTEE_SECRETS declares which paths are
 * secrets, BPTEE_SECRET_FDS optionally hands their memfds down. Parsed once into static
 * storage: initialisation must not call malloc (a malloc that opens files would recurse). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "preload.h"

struct bp_config bp_cfg;
static char arena[BP_ARENA_SIZE];
static size_t arena_used;

#define REQUIRED_SEALS (F_SEAL_WRITE | F_SEAL_GROW | F_SEAL_SHRINK | F_SEAL_SEAL)

static int fail(char *err, size_t cap, const char *what, const char *detail)
{
    snprintf(err, cap, "%s%s%s", what, detail ? ": " : "", detail ? detail : "");
    return -1;
}

static int name_char(int c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == '-';
}

/* Secret names as the agent's store accepts them: [A-Za-z0-9._-]{1,128}, not "." or "..". */
static int name_ok(const char *s, size_t n)
{
    if (n == 0 || n > BP_NAME_MAX || (n == 1 && s[0] == '.') ||
        (n == 2 && s[0] == '.' && s[1] == '.'))
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!name_char((unsigned char)s[i]))
            return 0;
    return 1;
}

/* Copy one field up to an unescaped stop character (or the end), removing the escapes.
 * Returns the number of input bytes consumed, or -1 for a dangling '\' or an overflow. */
static ssize_t unescape(const char *in, char stop, char *out, size_t cap, size_t *len)
{
    size_t i = 0, o = 0;
    while (in[i] && in[i] != stop && in[i] != ':') {
        if (in[i] == '\\' && !in[++i])
            return -1;
        if (o + 1 >= cap)
            return -1;
        out[o++] = in[i++];
    }
    out[o] = '\0';
    *len = o;
    return (ssize_t)i;
}

static char *arena_put(const char *s, size_t n)
{
    if (n + 1 > sizeof arena - arena_used)
        return NULL;
    char *p = arena + arena_used;
    memcpy(p, s, n);
    p[n] = '\0';
    arena_used += n + 1;
    return p;
}

static int add_secret(const char *name, size_t nlen, const char *raw, char *err, size_t cap)
{
    char norm[PATH_MAX];
    if (raw[0] != '/')
        return fail(err, cap, "path is not absolute", raw);
    if (raw[strlen(raw) - 1] == '/')
        return fail(err, cap, "path names a directory", raw);
    ssize_t plen = bp_path_normalize(raw, norm, sizeof norm);
    if (plen <= 1)
        return fail(err, cap, "path is too long or names the root", raw);
    for (size_t i = 0; i < bp_cfg.n; i++)
        if (strcmp(bp_cfg.secrets[i].path, norm) == 0)
            return fail(err, cap, "path declared twice", norm);
    if (bp_cfg.n == BP_MAX_SECRETS)
        return fail(err, cap, "too many secrets (at most 256)", NULL);
    struct bp_secret *s = &bp_cfg.secrets[bp_cfg.n];
    s->name = arena_put(name, nlen);
    s->path = arena_put(norm, (size_t)plen);
    if (!s->name || !s->path)
        return fail(err, cap, "declarations longer than 64 KiB", NULL);
    s->name_len = nlen;
    s->path_len = (size_t)plen;
    s->base = strrchr(s->path, '/') + 1;
    s->base_len = s->path_len - (size_t)(s->base - s->path);
    s->fd = -1;
    bp_cfg.base_len_mask |= 1ull << (s->base_len & 63);
    unsigned char c = (unsigned char)s->base[0];
    bp_cfg.base_first[c >> 6] |= 1ull << (c & 63);
    bp_cfg.n++;
    return 0;
}

int bp_spec_parse_secrets(const char *text, char *err, size_t cap)
{
    char name[BP_NAME_MAX + 2], path[PATH_MAX];
    for (const char *p = text; *p;) {
        size_t nlen, plen;
        ssize_t used = unescape(p, '=', name, sizeof name, &nlen);
        if (used < 0 || p[used] != '=')
            return fail(err, cap, "expected name=path", used < 0 ? "bad name" : name);
        if (!name_ok(name, nlen))
            return fail(err, cap, "bad secret name (1-128 of A-Z a-z 0-9 . _ -)", name);
        p += used + 1;
        used = unescape(p, ':', path, sizeof path, &plen);
        if (used < 0)
            return fail(err, cap, "bad path (dangling '\\' or too long)", name);
        if (add_secret(name, nlen, path, err, cap) < 0)
            return -1;
        p += used;
        if (*p == ':' && !*++p)
            return fail(err, cap, "empty entry at the end", NULL);
    }
    return 0;
}

int bp_memfd_check(int fd, dev_t *dev, ino_t *ino, off_t *size, char *err, size_t cap)
{
    struct stat st;
    if (fstat(fd, &st) < 0)
        return fail(err, cap, "descriptor not open", bp_errname(errno));
    if (!S_ISREG(st.st_mode))
        return fail(err, cap, "descriptor is not a regular file", NULL);
    int seals = fcntl(fd, F_GET_SEALS);
    if (seals < 0)
        return fail(err, cap, "descriptor is not a memfd", NULL);
    if ((seals & REQUIRED_SEALS) != REQUIRED_SEALS)
        return fail(err, cap, "memfd is not sealed (write, grow, shrink, seal)", NULL);
    *dev = st.st_dev;
    *ino = st.st_ino;
    *size = st.st_size;
    return 0;
}

int bp_memfd_version(int fd, const char *name, size_t nlen, uint64_t *version)
{
    static const char prefix[] = "/memfd:bptee:";
    char proc[32], target[BP_NAME_MAX + 64];
    snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
    ssize_t n = readlink(proc, target, sizeof target - 1);
    if (n <= 0)
        return -1;
    target[n] = '\0';
    size_t p = sizeof prefix - 1;
    if (strncmp(target, prefix, p) != 0 || strncmp(target + p, name, nlen) != 0 ||
        target[p + nlen] != '@')
        return -1;
    const char *d = target + p + nlen + 1;
    uint64_t v = 0;
    if (*d < '0' || *d > '9')
        return -1;
    for (; *d >= '0' && *d <= '9'; d++) {
        if (v > (UINT64_MAX - 9) / 10)
            return -1;
        v = v * 10 + (uint64_t)(*d - '0');
    }
    if (*d != '\0' && strcmp(d, " (deleted)") != 0)
        return -1;
    *version = v;
    return 0;
}

void bp_spec_job_id(const char *text)
{
    size_t n = text ? strlen(text) : 0;
    if (n == 0 || n > BP_JOB_ID_MAX ||
        strspn(text, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._:@+-") != n)
        return; /* not a job id the agent would take: the requests go without one */
    memcpy(bp_cfg.job_id, text, n + 1);
}

/* A decimal number of 1 to 9 digits below limit. */
static int parse_num(const char *s, size_t n, long limit, long *out)
{
    long v = 0;
    if (n == 0 || n > 9)
        return -1;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    if (v >= limit)
        return -1;
    *out = v;
    return 0;
}

int bp_spec_parse_fd(const char *text, int *fd)
{
    long v = 0;
    if (parse_num(text, strlen(text), 1000000000L, &v) < 0)
        return -1;
    *fd = (int)v;
    return 0;
}

/* "fd" or "fd@slot" (n bytes at s); *slot BP_NO_SLOT without one. 0, -1 for a bad fd, -2 for
 * a bad slot. */
static int parse_fd_slot(const char *s, size_t n, int *fd, uint32_t *slot)
{
    const char *at = memchr(s, '@', n);
    long f = 0, v = BP_NO_SLOT;
    size_t fn = at ? (size_t)(at - s) : n;
    if (parse_num(s, fn, 1000000000L, &f) < 0)
        return -1;
    if (at && parse_num(at + 1, n - fn - 1, BP_PAGE_SLOTS, &v) < 0)
        return -2;
    *fd = (int)f;
    *slot = (uint32_t)v;
    return 0;
}

/* Give every declaration of name the handed-down descriptor. */
static int take_fd(const char *name, size_t nlen, int fd, uint32_t slot, unsigned page_gen,
                   char *err, size_t cap)
{
    dev_t dev;
    ino_t ino;
    off_t size;
    char why[128];
    uint64_t version = 0;
    int found = 0;
    for (size_t i = 0; i < bp_cfg.n; i++) {
        const struct bp_secret *s = &bp_cfg.secrets[i];
        if (s->name_len == nlen && memcmp(s->name, name, nlen) == 0) {
            if (s->handed_down)
                return fail(err, cap, "secret handed down twice", name);
            found = 1;
        }
    }
    if (!found)
        return fail(err, cap, "descriptor for an undeclared secret", name);
    if (bp_memfd_check(fd, &dev, &ino, &size, why, sizeof why) < 0)
        return fail(err, cap, name, why);
    int version_known = bp_memfd_version(fd, name, nlen, &version) == 0;
    for (size_t i = 0; i < bp_cfg.n; i++) {
        struct bp_secret *s = &bp_cfg.secrets[i];
        if (s->name_len == nlen && memcmp(s->name, name, nlen) == 0) {
            s->fd = fd;
            s->handed_down = 1;
            s->dev = dev;
            s->ino = ino;
            s->version = version;
            s->version_known = version_known;
            /* The page tells a version only against the one the memfd is known to hold. */
            s->slot = slot;
            s->page_gen = slot != BP_NO_SLOT && version_known ? page_gen : 0;
        }
    }
    /* Children that do not inherit the preload must not inherit the secrets either. */
    if (!bp_cfg.inherit && fcntl(fd, F_SETFD, FD_CLOEXEC) < 0)
        return fail(err, cap, name, bp_errname(errno));
    return 0;
}

int bp_spec_parse_fds(const char *text, unsigned page_gen, char *err, size_t cap)
{
    for (const char *p = text; *p;) {
        size_t n = strcspn(p, ":");
        const char *eq = memchr(p, '=', n);
        char name[BP_NAME_MAX + 1];
        int fd;
        uint32_t slot;
        if (!eq || !name_ok(p, (size_t)(eq - p)))
            return fail(err, cap, "expected name=fd[@slot]", NULL);
        memcpy(name, p, (size_t)(eq - p));
        name[eq - p] = '\0';
        int bad = parse_fd_slot(eq + 1, (size_t)(p + n - eq - 1), &fd, &slot);
        if (bad < 0)
            return fail(err, cap,
                        bad == -1 ? "bad descriptor number for" : "bad version page slot for",
                        name);
        if (take_fd(name, (size_t)(eq - p), fd, slot, page_gen, err, cap) < 0)
            return -1;
        p += n;
        if (*p == ':' && !*++p)
            return fail(err, cap, "empty entry at the end", NULL);
    }
    return 0;
}
