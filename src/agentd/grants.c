// SPDX-License-Identifier: Apache-2.0
/* Job grants (DESIGN.md contract 10, docs/protocol.md "Jobs and their grants"): the agent
 * serves a secret to the processes of a job registered for it, never to a uid.
 *
 * How a job's processes are recognised. A grant has a root process: the job itself under
 * `bptee grant -- CMD` (GRANT, its pid survives the exec), or the `bptee run` process that
 * keeps the job (JOB, the connection's peer). The root is recorded by pid, its start time
 * (field 22 of /proc/PID/stat, in clock ticks since boot) and a pidfd. A peer belongs to a
 * grant when the root is the peer itself or one of its ancestors: the agent walks the ppid
 * chain (at most WALK_MAX steps; proc.c reads it) and admits at an ancestor whose pid roots a
 * grant only while that root's pidfd says it lives, so a process that merely got the root's
 * pid after it exited never matches (a pid is reused only once its process is reaped, and the
 * pidfd tells the exit before that). The peer itself is pinned by the pidfd the kernel took at connect
 * (SO_PEERPIDFD), checked alive after the walk: a peer that exits, and whose pid goes to
 * another process, cannot have that process judged in its place. A grant ends when its root
 * exits (its pidfd turns readable) or, for JOB, when the keeper's connection closes.
 *
 * Why the process tree: it is the one relation the kernel keeps that a process cannot forge.
 * A job's children and wrapper scripts are in it; a plain hybrid job, another process of the
 * same uid, or an impostor that forks and execs an allowed binary is not, whatever binary it
 * runs. What it cannot tell apart: a process of the same uid that ptraces a job process (or
 * injects code through /proc/PID/mem) acts as that process; run jobs under a uid of their own
 * (docs/agent.md, "Trust and its limits"). Orphans re-parented away from the tree (a daemon
 * that double-forks, a child that outlives a killed parent) leave it and lose the grant under
 * GRANT; under JOB too once they leave `bptee run`'s subtree. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "agentd/daemon.h"

/* Ancestors looked at above a peer: deeper trees are not jobs anyone starts by hand. */
#define WALK_MAX 64
/* Live grants, and names per grant: bounds on what one operator's requests may hold. */
#define GRANTS_MAX 1024
#define GRANT_NAMES_MAX 256

struct grants {
    pthread_mutex_t lock;
    pthread_cond_t released; /* a push let go of its grant */
    struct grant *head;
    size_t count;
};

static bool exited(int pidfd)
{
    struct pollfd p = {.fd = pidfd, .events = POLLIN};
    return pidfd < 0 || (poll(&p, 1, 0) == 1 && (p.revents & (POLLIN | POLLHUP | POLLERR)));
}

/* A pidfd for pid whose process started at start (-1: gone, or not that process any more). */
static int pin(pid_t pid, unsigned long long start)
{
    pid_t ppid;
    unsigned long long again;
    long fd = syscall(SYS_pidfd_open, pid, 0);
    if (fd < 0)
        return -1;
    if (proc_stat(pid, &ppid, &again) < 0 || again != start || exited((int)fd)) {
        close((int)fd);
        return -1;
    }
    return (int)fd;
}

int grants_new(struct grants **out)
{
    struct grants *g = calloc(1, sizeof *g);
    if (!g || pthread_mutex_init(&g->lock, NULL) != 0) {
        free(g);
        return -1;
    }
    pthread_cond_init(&g->released, NULL);
    *out = g;
    return 0;
}

static void grant_free(struct grant *k)
{
    for (size_t i = 0; i < k->n; i++)
        free(k->names[i]);
    free(k->names);
    free(k->versions);
    if (k->pidfd >= 0)
        close(k->pidfd);
    pthread_mutex_destroy(&k->io);
    free(k);
}

void grants_free(struct grants *g)
{
    if (!g)
        return;
    while (g->head) {
        struct grant *k = g->head;
        g->head = k->next;
        grant_free(k);
    }
    pthread_cond_destroy(&g->released);
    pthread_mutex_destroy(&g->lock);
    free(g);
}

static bool holds_locked(const struct grant *k, const char *name)
{
    for (size_t i = 0; i < k->n; i++)
        if (!strcmp(k->names[i], name))
            return true;
    return false;
}

static int add_name_locked(struct grant *k, const char *name, uint64_t version)
{
    for (size_t i = 0; i < k->n; i++)
        if (!strcmp(k->names[i], name)) {
            k->versions[i] = version;
            return 0;
        }
    if (k->n == GRANT_NAMES_MAX)
        return -1;
    if (k->n == k->cap) {
        size_t cap = k->cap ? 2 * k->cap : 8;
        char **names = realloc(k->names, cap * sizeof *names);
        if (names)
            k->names = names;
        uint64_t *versions = names ? realloc(k->versions, cap * sizeof *versions) : NULL;
        if (!versions)
            return -1;
        k->versions = versions;
        k->cap = cap;
    }
    if (!(k->names[k->n] = strdup(name)))
        return -1;
    k->versions[k->n++] = version;
    return 0;
}

static void unlink_locked(struct grants *g, struct grant *k)
{
    for (struct grant **pp = &g->head; *pp; pp = &(*pp)->next)
        if (*pp == k) {
            *pp = k->next;
            g->count--;
            k->gone = true;
            return;
        }
}

/* GRANT roots that exited are dropped (a keeper's grant ends with its connection). */
static void prune_locked(struct grants *g)
{
    for (struct grant **pp = &g->head; *pp;) {
        struct grant *k = *pp;
        if (k->conn < 0 && exited(k->pidfd)) {
            *pp = k->next;
            g->count--;
            grant_free(k);
        } else {
            pp = &k->next;
        }
    }
}

void grants_prune(struct grants *g)
{
    pthread_mutex_lock(&g->lock);
    prune_locked(g);
    pthread_mutex_unlock(&g->lock);
}

static struct grant *grant_new(const char *job_id, pid_t root, unsigned long long start, int pidfd)
{
    struct grant *k = calloc(1, sizeof *k);
    if (!k)
        return NULL;
    snprintf(k->job_id, sizeof k->job_id, "%s", job_id);
    k->root = root;
    k->start = start;
    k->pidfd = pidfd;
    k->conn = -1;
    pthread_mutex_init(&k->io, NULL);
    return k;
}

/* init as a root would grant every process on the machine; the agent is no job. */
static bool above_jobs(pid_t pid)
{
    return pid == 1 || pid == getpid();
}

int grants_add(struct grants *g, const char *job_id, pid_t pid, const char *names, char *why,
               size_t cap)
{
    pid_t ppid;
    unsigned long long start;
    int pidfd;
    if (above_jobs(pid)) {
        snprintf(why, cap, "pid %d is init or the agent: it would grant every process",
                 (int)pid);
        return BPTEE_EINVAL;
    }
    if (proc_stat(pid, &ppid, &start) < 0 || (pidfd = pin(pid, start)) < 0) {
        snprintf(why, cap, "no process %d", (int)pid);
        return BPTEE_ENOTFOUND;
    }
    pthread_mutex_lock(&g->lock);
    prune_locked(g);
    struct grant *k = g->head;
    for (; k; k = k->next)
        if (k->conn < 0 && k->root == pid && k->start == start && !strcmp(k->job_id, job_id))
            break;
    int rc = 0;
    if (!k && g->count >= GRANTS_MAX) {
        snprintf(why, cap, "too many grants (%d)", GRANTS_MAX);
        rc = BPTEE_ELIMIT;
    } else if (!k && !(k = grant_new(job_id, pid, start, pidfd))) {
        snprintf(why, cap, "out of memory");
        rc = BPTEE_ENOMEM;
    } else if (k->pidfd == pidfd) { /* new: link it */
        k->next = g->head;
        g->head = k;
        g->count++;
        pidfd = -1;
    }
    /* the names, one word at a time */
    for (const char *p = names; rc == 0 && *p;) {
        char name[BPTEE_SECRET_NAME_MAX + 1];
        size_t n = strcspn(p, " ");
        snprintf(name, sizeof name, "%.*s", (int)n, p);
        if (add_name_locked(k, name, 0) < 0) {
            snprintf(why, cap, "too many names for job %s (%d)", job_id, GRANT_NAMES_MAX);
            rc = BPTEE_ELIMIT;
        }
        p += n + (p[n] == ' ');
    }
    pthread_mutex_unlock(&g->lock);
    if (pidfd >= 0)
        close(pidfd);
    return rc;
}

struct grant *grants_keeper(struct grants *g, int conn, const char *job_id,
                            const uint8_t measurement[32], const struct bptee_peer *p,
                            char *why, size_t cap)
{
    pid_t ppid;
    unsigned long long start;
    int pidfd = peer_pidfd(conn, p->pid);
    if (pidfd < 0 || proc_stat(p->pid, &ppid, &start) < 0 || exited(pidfd)) {
        snprintf(why, cap, "the keeper (pid %d) has exited", (int)p->pid);
        if (pidfd >= 0)
            close(pidfd);
        return NULL;
    }
    struct grant *k = grant_new(job_id, p->pid, start, pidfd);
    if (!k) {
        close(pidfd);
        snprintf(why, cap, "out of memory");
        return NULL;
    }
    k->conn = conn;
    k->uid = p->uid;
    memcpy(k->measurement, measurement, 32);
    pthread_mutex_lock(&g->lock);
    prune_locked(g);
    if (g->count >= GRANTS_MAX) {
        pthread_mutex_unlock(&g->lock);
        snprintf(why, cap, "too many grants (%d)", GRANTS_MAX);
        grant_free(k);
        return NULL;
    }
    k->next = g->head;
    g->head = k;
    g->count++;
    pthread_mutex_unlock(&g->lock);
    return k;
}

int grants_keeper_add(struct grants *g, struct grant *k, const char *name, uint64_t version)
{
    pthread_mutex_lock(&g->lock);
    int rc = add_name_locked(k, name, version);
    pthread_mutex_unlock(&g->lock);
    return rc;
}

size_t grants_keeper_names(struct grants *g, struct grant *k,
                           char (*names)[BPTEE_SECRET_NAME_MAX + 1], uint64_t *versions,
                           size_t cap)
{
    pthread_mutex_lock(&g->lock);
    size_t n = k->n < cap ? k->n : cap;
    for (size_t i = 0; i < n; i++) {
        snprintf(names[i], sizeof names[i], "%s", k->names[i]);
        versions[i] = k->versions[i];
    }
    pthread_mutex_unlock(&g->lock);
    return n;
}

bool grants_keeper_holds(struct grants *g, struct grant *k, const char *name)
{
    pthread_mutex_lock(&g->lock);
    bool held = holds_locked(k, name);
    pthread_mutex_unlock(&g->lock);
    return held;
}

void grants_keeper_drop(struct grants *g, struct grant *k, const char *name)
{
    pthread_mutex_lock(&g->lock);
    for (size_t i = 0; i < k->n; i++)
        if (!strcmp(k->names[i], name)) {
            free(k->names[i]);
            k->names[i] = k->names[--k->n];
            k->versions[i] = k->versions[k->n];
            break;
        }
    pthread_mutex_unlock(&g->lock);
}

bool grants_set_watch(struct grants *g, struct grant *k)
{
    pthread_mutex_lock(&g->lock);
    bool first = !k->watching;
    k->watching = true;
    pthread_mutex_unlock(&g->lock);
    return first;
}

void grants_end(struct grants *g, struct grant *k)
{
    if (!k)
        return;
    pthread_mutex_lock(&g->lock);
    unlink_locked(g, k);
    while (k->refs) /* a push in flight: it fails fast on the shut-down connection */
        pthread_cond_wait(&g->released, &g->lock);
    pthread_mutex_unlock(&g->lock);
    grant_free(k);
}

size_t grants_watchers(struct grants *g, const char *name, struct grant **out, size_t cap)
{
    size_t n = 0;
    pthread_mutex_lock(&g->lock);
    for (struct grant *k = g->head; k && n < cap; k = k->next)
        if (k->watching && !k->gone && holds_locked(k, name)) {
            k->refs++;
            out[n++] = k;
        }
    pthread_mutex_unlock(&g->lock);
    return n;
}

void grants_release(struct grants *g, struct grant *k)
{
    pthread_mutex_lock(&g->lock);
    if (--k->refs == 0)
        pthread_cond_broadcast(&g->released);
    pthread_mutex_unlock(&g->lock);
}

/* A grant on the chain admits the request: it holds name (SECRET, VERSION) or is job_id's
 * (SIGN, RESULT). */
static bool admits(const struct grant *k, const char *name, const char *job_id)
{
    return name ? holds_locked(k, name) : !strcmp(k->job_id, job_id);
}

/* Does a live grant rooted at pid admit the request? Its job id to job_out if so. A root's
 * pidfd that has not turned readable pins its pid: a pid is reused only after its process has
 * exited and been reaped, and the pidfd is readable from the exit on. So a live root whose pid
 * is pid is that process, the one whose start time was checked when the grant was made (pin),
 * and its start time need not be read again (/proc/PID/stat, 7-10 us, on every request). */
static bool root_admits(struct grants *g, pid_t pid, const char *name, const char *job_id,
                        char *job_out, size_t cap)
{
    bool ok = false;
    pthread_mutex_lock(&g->lock);
    for (struct grant *k = g->head; k && !ok; k = k->next)
        if (k->root == pid && admits(k, name, job_id) && !exited(k->pidfd)) {
            ok = true;
            if (job_out)
                snprintf(job_out, cap, "%s", k->job_id);
        }
    pthread_mutex_unlock(&g->lock);
    return ok;
}

/* The walk goes up the parents (through pidfds, proc_parent) and stops at the first root whose
 * grant admits the request: the ancestors above cannot change a yes. */
int grants_check(struct grants *g, int pidfd, pid_t pid, const char *name, const char *job_id,
                 char *job_out, size_t cap)
{
    bool ok = false;
    if (pidfd < 0)
        return BPTEE_EDENIED;
    /* No pruning here (a poll per grant on every request): a dead root's grant never admits
     * (root_admits asks its pidfd), and the reaper prunes them (grants_prune). */
    pthread_mutex_lock(&g->lock);
    bool any = g->head != NULL;
    pthread_mutex_unlock(&g->lock);
    pid_t cur = pid;
    for (size_t n = 0; any && cur > 0 && n < WALK_MAX; n++) {
        pid_t ppid;
        if ((ok = root_admits(g, cur, name, job_id, job_out, cap)) || cur == 1 ||
            proc_parent(n == 0 ? pidfd : -1, cur, &ppid) < 0)
            break;
        cur = ppid;
    }
    /* the peer still lives, so the walk began at its pid, not a successor's */
    if (ok && exited(pidfd))
        ok = false;
    return ok ? 0 : BPTEE_EDENIED;
}
