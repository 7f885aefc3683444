// SPDX-License-Identifier: Apache-2.0
/* Who is on the other end of the job socket: the kernel's SO_PEERCRED (pid, uid, gid at
 * connect time) and the ELF measurement of the peer's binary, SHA-256 of /proc/PID/exe.
 * Hashing a binary costs milliseconds (python3 is 6 MB), so measurements are cached by the
 * file's identity (device, inode, size, mtime, ctime): any write to the file changes its
 * ctime, which no user can set back. But timestamps are taken from a clock that ticks in
 * jiffies (kernels and filesystems without multigrain timestamps): a file rewritten in place,
 * or deleted and made anew on the same inode, within one tick of a measurement may keep its
 * ctime. So a measurement is cached only when the file's ctime is older than RACY_SECONDS at
 * the time it is hashed (as git treats a "racily clean" index entry): any later change gets a
 * ctime from after the hash, which differs from the one cached. A pidfd taken for the peer
 * tells whether the process we measured is still the one that connected (its pid cannot be
 * reused while it lives). */
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "agent/agent_private.h"
#include "util/cleanup.h"
#include "util/error.h"

#ifndef SO_PEERPIDFD
#define SO_PEERPIDFD 77 /* Linux 6.5; Debian 12's headers predate it */
#endif

#define CACHE_SLOTS 64
#define RACY_SECONDS 2 /* far above a jiffy (at most 10 ms) and clock steps under NTP slew */
#define CMDLINE_MAX (4u << 20)

struct cache_entry {
    bool used;
    dev_t dev;
    ino_t ino;
    off_t size;
    struct timespec mtime, ctime;
    uint8_t digest[32];
};

static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;
static struct cache_entry cache[CACHE_SLOTS];
static size_t cache_next;

static bool same_file(const struct cache_entry *e, const struct stat *st)
{
    return e->used && e->dev == st->st_dev && e->ino == st->st_ino && e->size == st->st_size &&
           e->mtime.tv_sec == st->st_mtim.tv_sec && e->mtime.tv_nsec == st->st_mtim.tv_nsec &&
           e->ctime.tv_sec == st->st_ctim.tv_sec && e->ctime.tv_nsec == st->st_ctim.tv_nsec;
}

static bool cache_get(const struct stat *st, uint8_t out[32])
{
    bool hit = false;
    pthread_mutex_lock(&cache_lock);
    for (size_t i = 0; i < CACHE_SLOTS && !hit; i++)
        if (same_file(&cache[i], st)) {
            memcpy(out, cache[i].digest, 32);
            hit = true;
        }
    pthread_mutex_unlock(&cache_lock);
    return hit;
}

static void cache_put(const struct stat *st, const uint8_t digest[32])
{
    pthread_mutex_lock(&cache_lock);
    struct cache_entry *e = &cache[cache_next++ % CACHE_SLOTS];
    *e = (struct cache_entry){.used = true,
                              .dev = st->st_dev,
                              .ino = st->st_ino,
                              .size = st->st_size,
                              .mtime = st->st_mtim,
                              .ctime = st->st_ctim};
    memcpy(e->digest, digest, 32);
    pthread_mutex_unlock(&cache_lock);
}

/* SHA-256 of everything fd reads, at most max bytes (0: no limit). */
static int hash_fd(int fd, const char *what, size_t max, uint8_t out[32])
{
    uint8_t buf[65536];
    size_t total = 0;
    unsigned int dlen = 0;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    if (!ctx || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1) {
        EVP_MD_CTX_free(ctx);
        return fail(BPTEE_ENOMEM, "%s: cannot start SHA-256", what);
    }
    int rc = 0;
    for (;;) {
        ssize_t n = read(fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            rc = fail(BPTEE_EIO, "%s: read: %s", what, strerror(errno));
            break;
        }
        if (n == 0)
            break;
        total += (size_t)n;
        if (max && total > max) {
            rc = fail(BPTEE_ELIMIT, "%s: longer than %zu bytes", what, max);
            break;
        }
        EVP_DigestUpdate(ctx, buf, (size_t)n);
    }
    if (rc == 0 && EVP_DigestFinal_ex(ctx, out, &dlen) != 1)
        rc = fail(BPTEE_ECRYPTO, "%s: SHA-256 failed", what);
    EVP_MD_CTX_free(ctx);
    return rc;
}

static int measure_open_fd(int fd, const char *what, uint8_t out[32])
{
    struct stat st;
    if (fstat(fd, &st) != 0)
        return fail(BPTEE_EIO, "%s: fstat: %s", what, strerror(errno));
    if (!S_ISREG(st.st_mode))
        return fail(BPTEE_EINVAL, "%s: not a regular file", what);
    if (cache_get(&st, out))
        return 0;
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now); /* before the read: the bytes hashed are this new */
    int rc = hash_fd(fd, what, 0, out);
    if (rc == 0 && st.st_ctim.tv_sec < now.tv_sec - RACY_SECONDS)
        cache_put(&st, out);
    return rc;
}

int bptee_peer_measure_pid(int32_t pid, uint8_t out[32])
{
    char path[64];
    struct stat st;
    if (pid <= 0 || !out)
        return fail(BPTEE_EINVAL, "measure: invalid pid or missing output");
    snprintf(path, sizeof path, "/proc/%d/exe", (int)pid);
    /* A binary measured before is known by its identity alone: one stat through the link
     * (the same access check as an open) instead of open, fstat and close. Anything else,
     * a failure included, takes the open below, which says why. */
    if (stat(path, &st) == 0 && S_ISREG(st.st_mode) && cache_get(&st, out))
        return 0;
    _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return fail(errno == ENOENT ? BPTEE_ENOTFOUND : BPTEE_EIO, "measure: %s: %s", path,
                    strerror(errno));
    return measure_open_fd(fd, path, out);
}

int bptee_peer_measure_cmdline(int32_t pid, uint8_t out[32])
{
    char path[64];
    if (pid <= 0 || !out)
        return fail(BPTEE_EINVAL, "measure: invalid pid or missing output");
    snprintf(path, sizeof path, "/proc/%d/cmdline", (int)pid);
    _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return fail(errno == ENOENT ? BPTEE_ENOTFOUND : BPTEE_EIO, "measure: %s: %s", path,
                    strerror(errno));
    return hash_fd(fd, path, CMDLINE_MAX, out);
}

/* A pidfd for the peer: the one the kernel recorded at connect (SO_PEERPIDFD), else one
 * opened now by pid; -1 when neither works (older kernels). */
static int peer_pidfd(int sock, pid_t pid)
{
    int pidfd = -1;
    socklen_t len = sizeof pidfd;
    if (getsockopt(sock, SOL_SOCKET, SO_PEERPIDFD, &pidfd, &len) == 0 && pidfd >= 0)
        return pidfd;
    long r = syscall(SYS_pidfd_open, pid, 0);
    return r < 0 ? -1 : (int)r;
}

static bool pidfd_exited(int pidfd)
{
    struct pollfd p = {.fd = pidfd, .events = POLLIN};
    return poll(&p, 1, 0) == 1 && (p.revents & (POLLIN | POLLHUP));
}

int bptee_peer_identify(int sock, struct bptee_peer *out)
{
    struct ucred cred;
    socklen_t len = sizeof cred;
    if (!out)
        return fail(BPTEE_EINVAL, "peer: missing output");
    memset(out, 0, sizeof *out);
    if (getsockopt(sock, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0)
        return fail(BPTEE_EIO, "peer: SO_PEERCRED: %s", strerror(errno));
    if (cred.pid <= 0)
        return fail(BPTEE_EDENIED, "peer: the kernel reports no process for the peer");
    out->pid = cred.pid;
    out->uid = cred.uid;
    out->gid = cred.gid;
    _cleanup_close_ int pidfd = peer_pidfd(sock, cred.pid);
    if (pidfd >= 0 && pidfd_exited(pidfd))
        return fail(BPTEE_EDENIED, "peer: process %d has exited", (int)cred.pid);
    if (bptee_peer_measure_pid(cred.pid, out->measurement) < 0)
        return 0; /* measured stays false; the reason is in bptee_last_error() */
    if (pidfd >= 0 && pidfd_exited(pidfd)) {
        memset(out->measurement, 0, sizeof out->measurement);
        return fail(BPTEE_EDENIED, "peer: process %d exited while being measured", (int)cred.pid);
    }
    out->measured = true;
    sodium_bin2hex(out->measurement_hex, sizeof out->measurement_hex, out->measurement, 32);
    return 0;
}
