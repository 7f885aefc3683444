// SPDX-License-Identifier: Apache-2.0
/* The secret cache: each declared secret's sealed memfd, handed down or fetched from the agent
 * at first use, and kept (also by fork children) while it is the agent's current version.
 * Every later use checks that it still is: in the agent's version page (a read-only shared
 * mapping the agent updates on every provision, rotation and revocation: one memory load), or,
 * for a secret without a slot, by asking the agent in one short VERSION round trip. A rotated
 * secret is fetched again, so the next open returns the new content (descriptors opened
 * before keep the old one: memfds never change), and a revoked one fails closed.
 * Each open of a secret reopens /proc/self/fd/N, which gives a new open file description with
 * its own offset, as a file would (dup and SCM_RIGHTS would share one). The lock is taken only
 * here, on the secret path; failing to provide a secret fails closed (EACCES) with one stderr
 * line.
 * A copy is only as good as the agent that vouches for it: each fetch pins the answering agent
 * (a pidfd), and every use first asks that pidfd whether the agent still lives (one poll). An
 * agent that is gone voids its page and every copy it gave: they are dropped and fetched again
 * from whatever agent listens now, or the use fails closed. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "preload.h"

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
/* The process whose descriptor table the cached fds belong to. A vfork child shares our
 * memory but not our descriptors: what it fetches it keeps to itself. */
static pid_t cache_pid;
/* The agent's version page, mapped read-only; page_gen counts mappings (a restarted agent
 * hands out a new page), so a slot is only read in the mapping it was given for. */
static const uint64_t *page;
static dev_t page_dev;
static ino_t page_ino;
static unsigned page_gen;
/* The agent instance the cache trusts: its pidfd, and a generation that changes with it (a
 * secret pinned to another generation came from an agent that is not the current one). */
static int agent_pidfd = -1;
static pid_t agent_pid;
static unsigned agent_gen;

#define PAGE_BYTES (BP_PAGE_SLOTS * sizeof(uint64_t))

/* Map the page fd names: the current generation, or 0 when it cannot be mapped (the secret is
 * then checked by VERSION). Caller holds the lock, or runs before any other thread. */
static unsigned map_page(int fd)
{
    struct stat st;
    if (fstat(fd, &st) < 0)
        return 0;
    if (page && st.st_dev == page_dev && st.st_ino == page_ino)
        return page_gen;
    if ((uint64_t)st.st_size < PAGE_BYTES)
        return 0;
    void *map = mmap(NULL, PAGE_BYTES, PROT_READ, MAP_SHARED, fd, 0);
    if (map == MAP_FAILED)
        return 0;
    if (page) /* every reader holds the lock: nobody is looking at the old one */
        munmap((void *)page, PAGE_BYTES);
    page = map;
    page_dev = st.st_dev;
    page_ino = st.st_ino;
    return ++page_gen;
}

/* Take the page that came with a fetch, closing the descriptor. Caller holds the lock. */
static unsigned adopt_page(int fd)
{
    unsigned gen = map_page(fd);
    close(fd);
    return gen;
}

unsigned bp_secret_handed_page(int fd)
{
    unsigned gen = map_page(fd);
    /* Children that inherit the preload map it too (BPTEE_SECRET_PAGE stays); for the others
     * the mapping is all we need, and the descriptor must not reach them. */
    if (!bp_cfg.inherit)
        close(fd);
    return gen;
}

int bp_secret_fail(size_t idx, const char *reason)
{
    struct bp_secret *s = &bp_cfg.secrets[idx];
    if (!__atomic_exchange_n(&s->reported, 1, __ATOMIC_ACQ_REL))
        bp_write_line("bptee: secret '%s' (%s): %s", s->name, s->path, reason);
    errno = EACCES;
    return -1;
}

/* "/proc/PID/fd/" of the cache's process when /proc shows our own pid namespace ("" if not):
 * it skips resolving the /proc/self link, a tenth of a reopen. */
static char pid_prefix[24];

static size_t put_decimal(char *out, unsigned long v)
{
    char digits[24];
    size_t n = 0;
    do
        digits[n++] = (char)('0' + v % 10);
    while ((v /= 10) != 0);
    for (size_t i = 0; i < n; i++)
        out[i] = digits[n - 1 - i];
    return n;
}

/* Is /proc/self our pid (not another namespace's /proc)? Then set pid_prefix. */
static void set_pid_prefix(void)
{
    char link[24], want[24];
    pid_t pid = getpid();
    ssize_t n = readlink("/proc/self", link, sizeof link - 1);
    size_t w = put_decimal(want, (unsigned long)pid);
    pid_prefix[0] = '\0';
    if (n != (ssize_t)w || memcmp(link, want, w) != 0)
        return;
    memcpy(pid_prefix, "/proc/", 6);
    memcpy(pid_prefix + 6, want, w);
    memcpy(pid_prefix + 6 + w, "/fd/", 5);
}

/* "/proc/self/fd/N" (or "/proc/PID/fd/N" in the cache's own process) without snprintf: this
 * is on every open of a secret. A vfork child shares our memory, not our descriptors:
 * acquire told it apart (ref->foreign), with the one getpid of the open. */
static void set_proc(struct bp_ref *ref)
{
    const char *prefix = pid_prefix[0] && !ref->foreign ? pid_prefix : "/proc/self/fd/";
    size_t len = strlen(prefix);
    memcpy(ref->proc, prefix, len);
    ref->proc[len + put_decimal(ref->proc + len, (unsigned int)ref->fd)] = '\0';
}

/* Is the cached descriptor still the memfd we took? The job may have closed it and opened
 * something else under the same number (reopening a FIFO or a device there would be worse
 * than wrong). */
static int cached_valid(const struct bp_secret *s)
{
    struct stat st;
    return fstat(s->fd, &st) == 0 && st.st_dev == s->dev && st.st_ino == s->ino;
}

static int fetch(size_t idx, struct bp_ref *ref, struct bp_fetched *got, char *reason,
                 size_t cap)
{
    struct bp_secret *s = &bp_cfg.secrets[idx];
    off_t real_size;
    if (!bp_cfg.socket[0]) {
        snprintf(reason, cap, "%s",
                 s->handed_down ? "handed-down descriptor was closed"
                                : "no agent socket (BPTEE_AGENT_SOCKET)");
        return -1;
    }
    if (bp_agent_fetch(bp_cfg.socket, s->name, got, reason, cap) < 0)
        return -1;
    ref->fd = got->fd;
    int bad = bp_memfd_check(ref->fd, &ref->dev, &ref->ino, &real_size, reason, cap) < 0;
    if (!bad && (uint64_t)real_size != got->size) {
        snprintf(reason, cap, "agent announced %llu bytes, its memfd holds %lld",
                 (unsigned long long)got->size, (long long)real_size);
        bad = 1;
    }
    if (bad) {
        close(ref->fd);
        if (got->page_fd >= 0)
            close(got->page_fd);
        close(got->pidfd);
        return -1;
    }
    bp_debug("secret '%s' version %llu fetched from the agent (%llu bytes, slot %ld)", s->name,
             (unsigned long long)got->version, (unsigned long long)got->size,
             got->slot == BP_NO_SLOT ? -1L : (long)got->slot);
    return 0;
}

/* Forget the cached memfd (ours: a vfork child leaves the parent's cache alone). */
static void drop_cached(struct bp_secret *s)
{
    if (s->fd < 0 || getpid() != cache_pid)
        return;
    close(s->fd);
    s->fd = -1;
}

/* The trusted agent is gone: nothing it handed out or published is vouched for any more. */
static void void_agent(void)
{
    for (size_t i = 0; i < bp_cfg.n; i++) {
        drop_cached(&bp_cfg.secrets[i]);
        bp_cfg.secrets[i].page_gen = 0;
        bp_cfg.secrets[i].agent_gen = 0;
    }
    if (page)
        munmap((void *)page, PAGE_BYTES);
    page = NULL;
    page_gen++;
    close(agent_pidfd);
    agent_pidfd = -1;
    agent_gen++;
    bp_debug("agent is gone: its page and every copy it gave are void");
}

/* Make fd (a pidfd of the agent that just answered, pid) the trusted one, closing it if it is
 * that one already: the generation to pin the fetched copy to. While the trusted agent lives
 * no other process can have its pid. Caller holds the lock. */
static unsigned adopt_agent(int fd, pid_t pid)
{
    if (agent_pidfd >= 0 && pid == agent_pid && bp_agent_alive(agent_pidfd)) {
        close(fd);
        return agent_gen;
    }
    if (agent_pidfd >= 0)
        close(agent_pidfd);
    agent_pidfd = fd;
    agent_pid = pid;
    return ++agent_gen ? agent_gen : ++agent_gen;
}

/* Does a live agent still vouch for the cached copy? 1 yes, 0 no (fetch again). A copy that
 * was handed down without an agent pinned gets the one listening now. Caller holds the lock,
 * in the cache's own process. */
static int vouched(struct bp_secret *s)
{
    if (agent_pidfd >= 0 && !bp_agent_alive(agent_pidfd)) {
        void_agent();
        return 0;
    }
    if (s->agent_gen == 0 && s->handed_down) {
        char reason[320];
        int fd;
        pid_t pid;
        if (bp_agent_probe(bp_cfg.socket, &fd, &pid, reason, sizeof reason) < 0) {
            bp_debug("secret '%s': %s", s->name, reason);
            return 0;
        }
        s->agent_gen = adopt_agent(fd, pid);
    }
    return s->agent_gen != 0 && s->agent_gen == agent_gen;
}

/* The same question in a vfork child, which must leave the parent's cache as it is: a copy
 * nobody live vouches for is fetched for the child alone. */
static int vouched_here(const struct bp_secret *s)
{
    return s->agent_gen != 0 && s->agent_gen == agent_gen && bp_agent_alive(agent_pidfd);
}

/* Is the cached copy still the agent's current version? 0 yes (or the agent cannot say), 1 a
 * newer one exists, -1 the secret is no longer to be had (revoked, refused; reason set). */
static int check_current(struct bp_secret *s, char *reason, size_t cap)
{
    uint64_t v = 0;
    if (s->page_gen && s->page_gen == page_gen) /* acquire: pairs with the agent's release */
        return __atomic_load_n(&page[s->slot], __ATOMIC_ACQUIRE) != s->version;
    int rc = bp_agent_version(bp_cfg.socket, s->name, &v, reason, cap);
    if (rc == BP_AGENT_OLD)
        return 0;
    if (rc < 0)
        return -1;
    if (!s->version_known) { /* a handed-down memfd without a label: take the agent's word */
        s->version = v;
        s->version_known = 1;
    }
    return v != s->version;
}

/* The secret's current memfd into ref. Caller holds the lock. */
static int acquire_locked(size_t idx, struct bp_ref *ref, char *reason, size_t cap)
{
    struct bp_secret *s = &bp_cfg.secrets[idx];
    struct bp_fetched got = {.fd = -1, .page_fd = -1, .pidfd = -1, .slot = BP_NO_SLOT};
    int own = getpid() == cache_pid;
    if (s->fd >= 0 && !cached_valid(s))
        s->fd = -1; /* not ours any more: forget, never close the job's file */
    int current = 0;
    if (s->fd >= 0 && bp_cfg.socket[0])
        current = !(own ? vouched(s) : vouched_here(s)) ? 1 : check_current(s, reason, cap);
    if (current < 0) {
        drop_cached(s);
        return -1;
    }
    if (s->fd >= 0 && current == 0) {
        *ref = (struct bp_ref){.fd = s->fd, .dev = s->dev, .ino = s->ino, .foreign = !own};
        return 0;
    }
    if (fetch(idx, ref, &got, reason, cap) < 0)
        return -1; /* a newer version that cannot be had is not served stale */
    ref->owned = ref->foreign = !own;
    if (ref->owned) { /* a vfork child: our memory, not our descriptors */
        close(got.pidfd);
        if (got.page_fd >= 0)
            close(got.page_fd);
        return 0;
    }
    unsigned gen = got.page_fd >= 0 ? adopt_page(got.page_fd) : 0;
    unsigned agent = adopt_agent(got.pidfd, got.pid);
    {
        drop_cached(s); /* the old version: descriptors opened on it keep it */
        s->fd = ref->fd;
        s->dev = ref->dev;
        s->ino = ref->ino;
        s->version = got.version;
        s->version_known = 1;
        s->slot = got.slot;
        s->page_gen = gen;
        s->agent_gen = agent;
    }
    return 0;
}

int bp_secret_acquire(size_t idx, struct bp_ref *ref)
{
    char reason[320];
    pthread_mutex_lock(&lock);
    int rc = acquire_locked(idx, ref, reason, sizeof reason);
    pthread_mutex_unlock(&lock);
    if (rc < 0)
        return bp_secret_fail(idx, reason);
    set_proc(ref);
    return 0;
}

void bp_secret_release(struct bp_ref *ref)
{
    if (ref->owned) {
        int saved = errno;
        close(ref->fd);
        errno = saved;
    }
}

void bp_secret_forget(size_t idx, const struct bp_ref *ref)
{
    struct bp_secret *s = &bp_cfg.secrets[idx];
    pthread_mutex_lock(&lock);
    if (!ref->owned && s->fd == ref->fd && s->dev == ref->dev && s->ino == ref->ino)
        s->fd = -1;
    pthread_mutex_unlock(&lock);
}

/* Open flags that ask to write, create or truncate. */
static int open_writes(int flags)
{
    return (flags & O_ACCMODE) != O_RDONLY || (flags & (O_CREAT | O_TRUNC | O_APPEND)) ||
           (flags & O_TMPFILE) == O_TMPFILE;
}

/* Reopen the memfd through /proc: a new open file description. Under the lock, so the number
 * still holds the memfd acquire checked (a rotation in another thread closes replaced ones). */
static int reopen(size_t idx, int rflags)
{
    struct bp_ref ref;
    char reason[320];
    pthread_mutex_lock(&lock);
    int rc = acquire_locked(idx, &ref, reason, sizeof reason);
    if (rc < 0) {
        pthread_mutex_unlock(&lock);
        return bp_secret_fail(idx, reason);
    }
    set_proc(&ref);
    int fd = bp_raw_openat(AT_FDCWD, ref.proc, rflags, 0);
    int err = errno;
    bp_secret_release(&ref);
    pthread_mutex_unlock(&lock);
    if (fd >= 0)
        return fd;
    snprintf(reason, sizeof reason, "cannot reopen its memfd through %s: %s (is /proc mounted?)",
             ref.proc, bp_errname(err));
    return bp_secret_fail(idx, reason);
}

int bp_secret_open(size_t idx, int flags)
{
    int saved = errno;
    if (open_writes(flags)) {
        errno = EROFS;
        return -1;
    }
    if (flags & O_DIRECTORY) {
        errno = ENOTDIR;
        return -1;
    }
    /* O_NOFOLLOW would stop at the /proc link, O_NOATIME and O_DIRECT do not apply. */
    int rflags = (flags & O_PATH) ? O_PATH : O_RDONLY | O_LARGEFILE | (flags & O_NONBLOCK);
    rflags |= flags & O_CLOEXEC;
    int fd = reopen(idx, rflags);
    if (fd < 0)
        return -1;
    bp_debug("secret '%s' opened as fd %d", bp_cfg.secrets[idx].name, fd);
    errno = saved;
    return fd;
}

void bp_secret_cache_init(void)
{
    cache_pid = getpid();
    set_pid_prefix();
}

void bp_secret_atfork_prepare(void)
{
    pthread_mutex_lock(&lock);
}

void bp_secret_atfork_parent(void)
{
    pthread_mutex_unlock(&lock);
}

/* The child inherits every cached descriptor: they stay valid, and are now its own. */
void bp_secret_atfork_child(void)
{
    cache_pid = getpid();
    set_pid_prefix();
    pthread_mutex_unlock(&lock);
}
