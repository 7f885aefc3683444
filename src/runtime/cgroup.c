// SPDX-License-Identifier: Apache-2.0
/* A sandboxed deployment's memory cgroup: a child of this process's own memory cgroup (v1's
 * memory hierarchy, or v2's unified one when its memory controller can be enabled there),
 * limited to the spec's memory_bytes. The kernel then stops a job at its limit (the OOM
 * killer, inside the cgroup only) and counts it, so the deployment can say why it ended,
 * which an address-space limit cannot: there a job only sees allocations fail. Where no
 * memory cgroup can be made (an ordinary user without delegation, a read-only or absent
 * cgroup file system), the caller falls back to RLIMIT_AS and says so in the handle. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "runtime/runtime_private.h"
#include "util/error.h"

#define CGROUP_ROOT "/sys/fs/cgroup"

static int read_small(const char *path, char *buf, size_t cap)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    size_t got = 0;
    while (got + 1 < cap) {
        ssize_t n = read(fd, buf + got, cap - 1 - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    close(fd);
    buf[got] = '\0';
    return 0;
}

int runtime_write_text(const char *path, const char *text)
{
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    ssize_t w = write(fd, text, strlen(text));
    int e = errno;
    close(fd);
    errno = w == (ssize_t)strlen(text) ? 0 : (w < 0 ? e : EIO);
    return errno ? -1 : 0;
}

static int write_at(const char *dir, const char *file, const char *text)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", dir, file);
    return runtime_write_text(path, text);
}

static bool exists_at(const char *dir, const char *file)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", dir, file);
    return access(path, F_OK) == 0;
}

/* 1 when the comma-separated list names controller. */
static bool names(const char *list, size_t len, const char *controller)
{
    size_t cl = strlen(controller);
    for (const char *p = list, *end = list + len; p < end;) {
        const char *comma = memchr(p, ',', (size_t)(end - p));
        size_t n = comma ? (size_t)(comma - p) : (size_t)(end - p);
        if (n == cl && !memcmp(p, controller, cl))
            return true;
        p += n + 1;
    }
    return false;
}

/* This process's memory cgroup directory: v1's "N:...memory...:/path" line, else v2's
 * "0::/path" when the unified hierarchy sits at /sys/fs/cgroup. */
static int own_memory_cgroup(char *dir, size_t cap, int *version)
{
    char buf[4096];
    if (read_small("/proc/self/cgroup", buf, sizeof buf) != 0)
        return -1;
    const char *v2 = NULL;
    for (char *line = buf, *next; line && *line; line = next) {
        next = strchr(line, '\n');
        if (next)
            *next++ = '\0';
        char *c1 = strchr(line, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
        if (!c2)
            continue;
        if (names(c1 + 1, (size_t)(c2 - c1 - 1), "memory")) {
            *version = 1;
            return snprintf(dir, cap, CGROUP_ROOT "/memory%s", c2 + 1) < (int)cap ? 0 : -1;
        }
        if (c2 == c1 + 1 && !strncmp(line, "0:", 2))
            v2 = c2 + 1;
    }
    if (!v2 || !exists_at(CGROUP_ROOT, "cgroup.controllers"))
        return -1;
    *version = 2;
    return snprintf(dir, cap, CGROUP_ROOT "%s", v2) < (int)cap ? 0 : -1;
}

static int unavailable(char *why, size_t cap, const char *what, int err)
{
    snprintf(why, cap, "%s: %s", what, strerror(err));
    return 1;
}

static int set_limit(struct job_cgroup *cg, uint64_t limit)
{
    char text[32];
    snprintf(text, sizeof text, "%" PRIu64, limit);
    if (cg->version == 1) {
        /* A child inherits oom_kill_disable: under a parent that disabled the OOM killer the
         * job would hang at its limit instead of being stopped. */
        if (write_at(cg->path, "memory.oom_control", "0") != 0 ||
            write_at(cg->path, "memory.limit_in_bytes", text) != 0)
            return -1;
        /* With swap accounting, the limit holds for memory and swap together, or a job swaps
         * out instead of stopping. */
        return exists_at(cg->path, "memory.memsw.limit_in_bytes")
                   ? write_at(cg->path, "memory.memsw.limit_in_bytes", text)
                   : 0;
    }
    /* oom.group: the kernel stops the whole job, not only its largest process. */
    if (write_at(cg->path, "memory.max", text) != 0 ||
        write_at(cg->path, "memory.oom.group", "1") != 0)
        return -1;
    return exists_at(cg->path, "memory.swap.max") ? write_at(cg->path, "memory.swap.max", "0")
                                                  : 0;
}

/* A name no other deployment has, nor a leftover of a caller killed before it could remove
 * its cgroup (a pid is reused): "bptee-PID-RANDOM"; mkdir is retried on EEXIST. */
static int make_dir(const char *parent, struct job_cgroup *cg)
{
    for (int attempt = 0; attempt < 8; attempt++) {
        uint64_t rnd = 0;
        if (getrandom(&rnd, sizeof rnd, 0) != (ssize_t)sizeof rnd)
            rnd = (uint64_t)time(NULL) ^ ((uint64_t)attempt << 32);
        snprintf(cg->path, sizeof cg->path, "%s/bptee-%d-%016" PRIx64, parent, (int)getpid(),
                 rnd);
        if (mkdir(cg->path, 0755) == 0)
            return 0;
        if (errno != EEXIST)
            break;
    }
    int e = errno;
    cg->path[0] = '\0';
    errno = e;
    return -1;
}

int job_cgroup_create(uint64_t limit, struct job_cgroup *cg, char *why, size_t cap)
{
    char parent[3800];
    cg->path[0] = '\0';
    if (own_memory_cgroup(parent, sizeof parent, &cg->version) != 0)
        return unavailable(why, cap, "no memory cgroup is mounted", ENOENT);
    if (make_dir(parent, cg) != 0)
        return unavailable(why, cap, "cannot create a memory cgroup", errno);
    /* v2: the memory controller must be enabled for our children; a cgroup that holds
     * processes itself cannot (the no-internal-process rule), and then there is none. */
    if (cg->version == 2 && !exists_at(cg->path, "memory.max"))
        write_at(parent, "cgroup.subtree_control", "+memory");
    if ((cg->version == 2 && !exists_at(cg->path, "memory.max")) || set_limit(cg, limit) != 0) {
        int e = errno ? errno : ENOTSUP;
        rmdir(cg->path);
        cg->path[0] = '\0';
        return unavailable(why, cap, "cannot limit a memory cgroup", e);
    }
    return 0;
}

int job_cgroup_attach(const struct job_cgroup *cg, pid_t pid)
{
    char text[24];
    snprintf(text, sizeof text, "%d", (int)pid);
    if (write_at(cg->path, "cgroup.procs", text) != 0)
        return fail(BPTEE_EIO, "sandbox: cannot move the job into its memory cgroup %s: %s",
                    cg->path, strerror(errno));
    return 0;
}

/* The value of "key N" in a flat-keyed control file, or the file's number; 0 if absent. */
static uint64_t counter(const struct job_cgroup *cg, const char *file, const char *key)
{
    char path[4200], buf[1024];
    snprintf(path, sizeof path, "%s/%s", cg->path, file);
    if (read_small(path, buf, sizeof buf) != 0)
        return 0;
    if (!key)
        return strtoull(buf, NULL, 10);
    size_t kl = strlen(key);
    for (char *p = buf; (p = strstr(p, key)) != NULL; p++)
        if ((p == buf || p[-1] == '\n') && p[kl] == ' ')
            return strtoull(p + kl + 1, NULL, 10);
    return 0;
}

int job_cgroup_oom(const struct job_cgroup *cg, bool event)
{
    if (!cg->path[0])
        return JOB_OOM_NONE;
    bool v1 = cg->version == 1;
    uint64_t kills = v1 ? counter(cg, "memory.oom_control", "oom_kill")
                        : counter(cg, "memory.events", "oom_kill");
    if (!kills && !event) /* event: the init stopped the job before the kernel chose one */
        return JOB_OOM_NONE;
    /* Kills also come from an ancestor's limit or the machine running out: the job's own
     * limit is the cause only if it was reached. */
    bool hit = v1 ? counter(cg, "memory.failcnt", NULL) > 0 ||
                        counter(cg, "memory.memsw.failcnt", NULL) > 0 ||
                        /* some kernels leave failcnt at 0: the peak then tells */
                        counter(cg, "memory.max_usage_in_bytes", NULL) >=
                            counter(cg, "memory.limit_in_bytes", NULL)
                  : counter(cg, "memory.events", "max") > 0;
    return hit ? JOB_OOM_OWN_LIMIT : JOB_OOM_ELSEWHERE;
}

int job_cgroup_oom_eventfd(const struct job_cgroup *cg)
{
    char path[4200], text[48];
    if (!cg->path[0] || cg->version != 1)
        return -1;
    int efd = eventfd(0, EFD_CLOEXEC);
    snprintf(path, sizeof path, "%s/memory.oom_control", cg->path);
    int ofd = efd < 0 ? -1 : open(path, O_RDONLY | O_CLOEXEC);
    snprintf(text, sizeof text, "%d %d", efd, ofd);
    int rc = ofd < 0 ? -1 : write_at(cg->path, "cgroup.event_control", text);
    int e = errno;
    if (ofd >= 0)
        close(ofd); /* the registration holds its own reference */
    if (rc != 0 && efd >= 0) {
        close(efd);
        efd = -1;
    }
    errno = e;
    return efd;
}

/* pid is listed in the cgroup's procs. */
static bool member(const struct job_cgroup *cg, pid_t pid)
{
    char path[64], buf[4096], want[4200];
    snprintf(path, sizeof path, "/proc/%d/cgroup", (int)pid);
    if (read_small(path, buf, sizeof buf) != 0)
        return false;
    const char *rel = cg->path + strlen(CGROUP_ROOT) + (cg->version == 1 ? strlen("/memory") : 0);
    snprintf(want, sizeof want, ":%s\n", rel);
    return strstr(buf, want) != NULL;
}

/* SIGKILL every process still listed (a job's init is gone, so normally none). */
static void kill_members(const struct job_cgroup *cg)
{
    char path[4200], buf[4096];
    snprintf(path, sizeof path, "%s/cgroup.procs", cg->path);
    if (cg->version == 2 && exists_at(cg->path, "cgroup.kill")) {
        write_at(cg->path, "cgroup.kill", "1");
        return;
    }
    if (read_small(path, buf, sizeof buf) != 0)
        return;
    /* Only whole lines: a number cut at the buffer's end would be another pid. Each pid is
     * pinned with a pidfd and checked to be a member still before it is killed (a pid read
     * a moment ago may have been reused). */
    for (char *p = buf, *nl; (nl = strchr(p, '\n')) != NULL; p = nl + 1) {
        char *end;
        long pid = strtol(p, &end, 10);
        if (end != nl || pid <= 0)
            continue;
        int pfd = (int)syscall(SYS_pidfd_open, (pid_t)pid, 0);
        if (pfd < 0)
            continue;
        if (member(cg, (pid_t)pid))
            syscall(SYS_pidfd_send_signal, pfd, SIGKILL, NULL, 0);
        close(pfd);
    }
}

int job_cgroup_remove(struct job_cgroup *cg)
{
    if (!cg->path[0])
        return 0;
    /* Processes killed a moment ago may still be leaving: wait for them (up to 2 s). */
    int rc = rmdir(cg->path);
    for (int i = 0; i < 2000 && rc != 0 && errno == EBUSY; i++) {
        kill_members(cg);
        nanosleep(&(struct timespec){0, 1000000}, NULL);
        rc = rmdir(cg->path);
    }
    if (rc != 0 && errno != ENOENT)
        return fail(BPTEE_EIO, "cannot remove the memory cgroup %s: %s", cg->path,
                    strerror(errno));
    cg->path[0] = '\0';
    return 0;
}
