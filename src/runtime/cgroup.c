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
#include <sys/stat.h>
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
        if (write_at(cg->path, "memory.limit_in_bytes", text) != 0)
            return -1;
        /* With swap, the limit must hold for memory and swap together, or a job swaps out
         * instead of stopping. */
        return exists_at(cg->path, "memory.memsw.limit_in_bytes")
                   ? write_at(cg->path, "memory.memsw.limit_in_bytes", text)
                   : 0;
    }
    if (write_at(cg->path, "memory.max", text) != 0)
        return -1;
    return exists_at(cg->path, "memory.swap.max") ? write_at(cg->path, "memory.swap.max", "0")
                                                  : 0;
}

int job_cgroup_create(const char *id, uint64_t limit, struct job_cgroup *cg, char *why,
                      size_t cap)
{
    char parent[3800];
    cg->path[0] = '\0';
    if (own_memory_cgroup(parent, sizeof parent, &cg->version) != 0)
        return unavailable(why, cap, "no memory cgroup is mounted", ENOENT);
    snprintf(cg->path, sizeof cg->path, "%s/%s", parent, id);
    if (mkdir(cg->path, 0755) != 0) {
        int e = errno;
        cg->path[0] = '\0';
        return unavailable(why, cap, "cannot create a memory cgroup", e);
    }
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

uint64_t job_cgroup_oom_kills(const struct job_cgroup *cg)
{
    char path[4200], buf[1024];
    if (!cg->path[0])
        return 0;
    snprintf(path, sizeof path, "%s/%s", cg->path,
             cg->version == 1 ? "memory.oom_control" : "memory.events");
    if (read_small(path, buf, sizeof buf) != 0)
        return 0;
    for (char *p = buf; (p = strstr(p, "oom_kill ")) != NULL; p++)
        if (p == buf || p[-1] == '\n')
            return strtoull(p + 9, NULL, 10);
    return 0;
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
    for (char *p = buf, *end; *p; p = end) {
        long pid = strtol(p, &end, 10);
        if (end == p)
            break;
        if (pid > 0)
            kill((pid_t)pid, SIGKILL);
    }
}

void job_cgroup_remove(struct job_cgroup *cg)
{
    if (!cg->path[0])
        return;
    /* Processes killed a moment ago may still be leaving: wait for them (up to 2 s). */
    for (int i = 0; i < 2000 && rmdir(cg->path) != 0 && errno == EBUSY; i++) {
        kill_members(cg);
        nanosleep(&(struct timespec){0, 1000000}, NULL);
    }
    cg->path[0] = '\0';
}
