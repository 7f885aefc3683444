// SPDX-License-Identifier: Apache-2.0
/* The processes of a sandboxed job. The caller clones an init into new PID, mount and network
 * namespaces (and a user namespace when it has no CAP_SYS_ADMIN of its own); the init builds
 * the job's file system (sandbox_mounts.c), hands the caller its mount namespace and root so
 * the caller can add to them (bptee run's secret view), and on the caller's word forks the job:
 * PID 2, child of PID 1, as a batch job under bubblewrap or a container runtime would be. The
 * init forwards the caller's signals to the job, reaps what the job leaves behind, and reports
 * how the job ended (as PID 1 it cannot die of the job's signal itself); when it exits, the
 * kernel kills whatever remains in the namespace. The job keeps its host pid ancestry (job ->
 * init -> caller), so the agent still finds it under the caller's process tree. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "runtime/runtime_private.h"
#include "runtime/sandbox.h"
#include "util/error.h"

enum { MSG_READY, MSG_STARTED, MSG_ENDED };

/* One message from the init: READY (value: 0, with the mount namespace and root as
 * SCM_RIGHTS; or an errno and why), STARTED (value: the job's execve errno, 0 once it ran),
 * or minus an errno with why when the init's last step failed), ENDED (value: the job's wait
 * status). */
struct init_msg {
    int kind, value;
    char why[240];
};

static const int forwarded[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGCONT};

static int send_msg(int sock, const struct init_msg *m, const int *fds, size_t n_fds)
{
    union {
        char buf[CMSG_SPACE(2 * sizeof(int))];
        struct cmsghdr align;
    } c;
    struct iovec iov = {.iov_base = (void *)m, .iov_len = sizeof *m};
    struct msghdr h = {.msg_iov = &iov, .msg_iovlen = 1};
    if (n_fds) {
        h.msg_control = c.buf;
        h.msg_controllen = CMSG_SPACE(n_fds * sizeof(int));
        struct cmsghdr *cm = CMSG_FIRSTHDR(&h);
        cm->cmsg_level = SOL_SOCKET;
        cm->cmsg_type = SCM_RIGHTS;
        cm->cmsg_len = CMSG_LEN(n_fds * sizeof(int));
        memcpy(CMSG_DATA(cm), fds, n_fds * sizeof(int));
    }
    ssize_t w;
    do
        w = sendmsg(sock, &h, MSG_NOSIGNAL);
    while (w < 0 && errno == EINTR);
    return w == (ssize_t)sizeof *m ? 0 : -1;
}

/* 0 with *m (and up to 2 descriptors, -1 where none came), or -1 when the init is gone. */
static int recv_msg(int sock, struct init_msg *m, int fds[2])
{
    union {
        char buf[CMSG_SPACE(2 * sizeof(int))];
        struct cmsghdr align;
    } c;
    struct iovec iov = {.iov_base = m, .iov_len = sizeof *m};
    struct msghdr h = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = c.buf,
                       .msg_controllen = sizeof c.buf};
    ssize_t n;
    fds[0] = fds[1] = -1;
    do
        n = recvmsg(sock, &h, MSG_CMSG_CLOEXEC);
    while (n < 0 && errno == EINTR);
    struct cmsghdr *cm = n > 0 ? CMSG_FIRSTHDR(&h) : NULL;
    if (cm && cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS) {
        size_t k = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        memcpy(fds, CMSG_DATA(cm), (k > 2 ? 2 : k) * sizeof(int));
    }
    if (n != (ssize_t)sizeof *m)
        return -1;
    m->why[sizeof m->why - 1] = '\0';
    return 0;
}

/* A user namespace of our own (the caller had no CAP_SYS_ADMIN): the caller's ids map to
 * themselves, so files keep their owners and the job its uid. */
static int map_ids(uid_t uid, gid_t gid)
{
    char map[64];
    snprintf(map, sizeof map, "%u %u 1\n", (unsigned)uid, (unsigned)uid);
    if (runtime_write_text("/proc/self/setgroups", "deny") != 0 ||
        runtime_write_text("/proc/self/uid_map", map) != 0)
        return -1;
    snprintf(map, sizeof map, "%u %u 1\n", (unsigned)gid, (unsigned)gid);
    return runtime_write_text("/proc/self/gid_map", map);
}

__attribute__((noreturn)) static void init_fail(int sock, const char *why)
{
    struct init_msg m = {.kind = MSG_READY, .value = errno ? errno : EIO};
    snprintf(m.why, sizeof m.why, "%s", why);
    send_msg(sock, &m, NULL, 0);
    _exit(1);
}

__attribute__((noreturn)) static void started_fail(int sock, const char *why)
{
    struct init_msg m = {.kind = MSG_STARTED, .value = -(errno ? errno : EIO)};
    snprintf(m.why, sizeof m.why, "%s", why);
    send_msg(sock, &m, NULL, 0);
    _exit(1);
}

/* The next signal; or, when the memory cgroup's OOM eventfd fires first (v1, which has no
 * oom.group), every process of the job is killed, so the kernel's stop at the memory limit
 * stops the whole job and not only its largest process. sfd: a signalfd of set. */
static bool stopped_on_oom; /* the init's own: it stopped the job on an OOM event */

static int next_signal(const sigset_t *set, int sfd, int oom_fd, pid_t job, siginfo_t *si)
{
    if (oom_fd < 0 || sfd < 0)
        return sigwaitinfo(set, si);
    struct pollfd p[2] = {{.fd = sfd, .events = POLLIN}, {.fd = oom_fd, .events = POLLIN}};
    if (poll(p, 2, -1) < 0)
        return -1;
    uint64_t n;
    if ((p[1].revents & POLLIN) && read(oom_fd, &n, sizeof n) == (ssize_t)sizeof n) {
        kill(-1, SIGKILL); /* PID 1 of the namespace: every process but itself */
        kill(job, SIGKILL);
        stopped_on_oom = true;
    }
    struct signalfd_siginfo ssi;
    if (!(p[0].revents & POLLIN) || read(sfd, &ssi, sizeof ssi) != (ssize_t)sizeof ssi)
        return -1;
    memset(si, 0, sizeof *si);
    si->si_signo = (int)ssi.ssi_signo;
    si->si_code = ssi.ssi_code;
    return (int)ssi.ssi_signo;
}

/* Forward signals and reap until the job ends; then report its status and go (taking every
 * process left in the namespace with us). */
__attribute__((noreturn)) static void init_wait(int sock, pid_t job, const sigset_t *set,
                                                int oom_fd)
{
    int sfd = oom_fd >= 0 ? signalfd(-1, set, SFD_CLOEXEC) : -1;
    for (;;) {
        siginfo_t si;
        int sig = next_signal(set, sfd, oom_fd, job, &si);
        if (sig < 0)
            continue;
        if (sig != SIGCHLD) {
            /* A terminal's signal reached the whole process group, the job included. */
            if (si.si_code != SI_KERNEL)
                kill(job, sig);
            continue;
        }
        int ws;
        pid_t r;
        while ((r = waitpid(-1, &ws, WNOHANG)) > 0) {
            if (r != job)
                continue;
            struct init_msg m = {.kind = MSG_ENDED, .value = ws};
            if (stopped_on_oom)
                snprintf(m.why, sizeof m.why, "oom");
            send_msg(sock, &m, NULL, 0);
            _exit(0);
        }
    }
}

struct init_args {
    const struct bptee_deploy_request *req;
    struct sandbox_filter *filter;
    int sock;
    bool own_userns;
    bool memory_by_cgroup; /* the limit is the cgroup's: no RLIMIT_AS on top */
    int oom_fd;            /* v1: the cgroup's OOM eventfd, else -1 */
    uid_t uid;
    gid_t gid;
};

__attribute__((noreturn)) static void init_main(const struct init_args *a)
{
    const struct bptee_deploy_request *r = a->req;
    char why[200];
    if (a->own_userns && map_ids(a->uid, a->gid) != 0)
        init_fail(a->sock, "user namespace: cannot map ids");
    if (r->die_with_parent && prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) != 0)
        init_fail(a->sock, "cannot die with the caller");
    if (sandbox_build_mounts(r->sandbox, why, sizeof why) != 0)
        init_fail(a->sock, why);
    int fds[2] = {open("/proc/self/ns/mnt", O_RDONLY | O_CLOEXEC),
                  open("/", O_PATH | O_DIRECTORY | O_CLOEXEC)};
    struct init_msg m = {.kind = MSG_READY};
    if (fds[0] < 0 || fds[1] < 0)
        init_fail(a->sock, "cannot open the mount namespace");
    if (send_msg(a->sock, &m, fds, 2) != 0)
        _exit(1);
    close(fds[0]);
    close(fds[1]);
    char go;
    if (read(a->sock, &go, 1) != 1)
        _exit(1); /* the caller refused, or died */
    if (sandbox_mount_proc(why, sizeof why) != 0)
        started_fail(a->sock, why);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGCHLD);
    for (size_t i = 0; i < sizeof forwarded / sizeof forwarded[0]; i++)
        sigaddset(&set, forwarded[i]);
    sigprocmask(SIG_BLOCK, &set, NULL);
    int pipefd[2];
    if (pipe2(pipefd, O_CLOEXEC) != 0)
        _exit(1);
    /* The job's own parent-death signal would point at us; our death kills it anyway. */
    struct bptee_deploy_request job_req = *r;
    job_req.die_with_parent = false;
    struct bptee_sandbox_opts job_sandbox = *r->sandbox;
    if (a->memory_by_cgroup)
        job_sandbox.memory_bytes = 0;
    job_req.sandbox = &job_sandbox;
    pid_t job = fork();
    if (job == 0) {
        close(a->sock);
        close(pipefd[0]);
        direct_child_exec(&job_req, pipefd[1], 1, a->filter);
    }
    close(pipefd[1]);
    m = (struct init_msg){.kind = MSG_STARTED, .value = job < 0 ? errno : 0};
    if (job > 0)
        m.value = direct_exec_errno(pipefd[0]);
    send_msg(a->sock, &m, NULL, 0);
    if (job < 0 || m.value)
        _exit(1);
    init_wait(a->sock, job, &set, a->oom_fd);
}

/* Let the caller mount into the job's namespace, then tell the init to start the job. */
static int ready(const struct bptee_deploy_request *r, int sock)
{
    struct init_msg m;
    int fds[2], rc = 0;
    if (recv_msg(sock, &m, fds) != 0 || m.kind != MSG_READY)
        rc = fail(BPTEE_EIO, "sandbox: its init ended before the job could start");
    else if (m.value)
        rc = fail(BPTEE_EIO, "sandbox: %s: %s", m.why, strerror(m.value));
    else if (fds[0] < 0 || fds[1] < 0)
        rc = fail(BPTEE_EIO, "sandbox: no mount namespace came back");
    else if (r->sandbox->on_ready &&
             r->sandbox->on_ready(r->sandbox->on_ready_arg, fds[0], fds[1]) != 0)
        rc = fail(BPTEE_EDENIED, "sandbox: the job's set-up failed");
    for (int i = 0; i < 2; i++)
        if (fds[i] >= 0)
            close(fds[i]);
    char go = 1;
    if (rc == 0 && write(sock, &go, 1) != 1)
        rc = fail(BPTEE_EIO, "sandbox: its init ended before the job could start");
    return rc;
}

static int started(const struct bptee_deploy_request *r, int sock)
{
    struct init_msg m;
    int fds[2];
    if (recv_msg(sock, &m, fds) != 0 || m.kind != MSG_STARTED)
        return fail(BPTEE_EIO, "sandbox: its init ended before the job started");
    if (m.value < 0) /* the init's own step failed, not the job's execve */
        return fail(BPTEE_EIO, "sandbox: %s", m.why);
    return m.value ? direct_exec_failure(r->path, m.value) : 0;
}

void sandbox_job_status(int report_fd, int *wstatus, bool *oom_event)
{
    struct init_msg m;
    int fds[2];
    /* The init is gone, so the report is there already or never comes. */
    int fl = fcntl(report_fd, F_GETFL);
    fcntl(report_fd, F_SETFL, fl | O_NONBLOCK);
    if (recv_msg(report_fd, &m, fds) == 0 && m.kind == MSG_ENDED) {
        *wstatus = m.value;
        *oom_event = !strcmp(m.why, "oom");
    }
    for (int i = 0; i < 2; i++)
        if (fds[i] >= 0)
            close(fds[i]);
}

/* The memory limit: a cgroup of the deployment's own where one can be made, else the job's
 * address space (RLIMIT_AS, set in the job). */
static int memory_limit(const struct bptee_sandbox_opts *o, struct bptee_deployment *d)
{
    if (!o->memory_bytes)
        return -1;
    d->memory_limit = o->memory_bytes;
    if (job_cgroup_create(o->memory_bytes, &d->cgroup, d->memory_note,
                          sizeof d->memory_note) != 0) {
        d->memory_how = "rlimit";
        return -1;
    }
    d->memory_how = "cgroup";
    if (d->cgroup.version == 2)
        return -1; /* oom.group stops the whole job */
    int fd = job_cgroup_oom_eventfd(&d->cgroup);
    if (fd < 0) { /* the job could outlive a stop of its largest process: no cgroup then */
        snprintf(d->memory_note, sizeof d->memory_note,
                 "cannot watch the memory cgroup for the OOM killer: %s", strerror(errno));
        job_cgroup_remove(&d->cgroup);
        d->memory_how = "rlimit";
    }
    return fd;
}

/* The deploy failed: the init killed at the limit before the job could start says why. */
static int deploy_failed(struct bptee_deployment *d, int rc)
{
    if (job_cgroup_oom(&d->cgroup, false) != JOB_OOM_NONE)
        rc = fail(BPTEE_ELIMIT, "sandbox: the memory limit of %llu bytes is too small to start "
                  "the job", (unsigned long long)d->memory_limit);
    job_cgroup_remove(&d->cgroup);
    return rc;
}

int sandbox_deploy(const struct bptee_deploy_request *req, struct bptee_deployment *d)
{
    struct sandbox_filter *filter = NULL;
    int sv[2], rc = sandbox_filter_new(req->sandbox, &filter);
    if (rc < 0)
        return rc;
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) {
        sandbox_filter_free(filter);
        return fail(BPTEE_EIO, "sandbox: socketpair: %s", strerror(errno));
    }
    int oom_fd = memory_limit(req->sandbox, d);
    struct init_args a = {.req = req, .filter = filter, .sock = sv[1],
                          .own_userns = !sandbox_have_sys_admin(),
                          .memory_by_cgroup = d->cgroup.path[0] != '\0', .oom_fd = oom_fd,
                          .uid = geteuid(), .gid = getegid()};
    unsigned long flags = CLONE_NEWPID | CLONE_NEWNS | (req->sandbox->network ? 0 : CLONE_NEWNET) |
                          (a.own_userns ? CLONE_NEWUSER : 0);
    /* A raw clone: glibc has no fork that takes namespace flags. The child calls nothing
     * that depends on glibc's cached thread id (it forks the job with glibc's fork). */
    pid_t pid = (pid_t)syscall(SYS_clone, flags | SIGCHLD, NULL, NULL, NULL, NULL);
    if (pid == 0) {
        close(sv[0]);
        init_main(&a);
    }
    int e = errno;
    close(sv[1]);
    if (oom_fd >= 0)
        close(oom_fd);
    sandbox_filter_free(filter);
    if (pid < 0) {
        close(sv[0]);
        job_cgroup_remove(&d->cgroup);
        return fail(BPTEE_EDENIED, "sandbox: cannot create the job's namespaces: clone: %s",
                    strerror(e));
    }
    d->pid = pid;
    /* Before the job exists: it is born inside the cgroup. */
    rc = d->cgroup.path[0] ? job_cgroup_attach(&d->cgroup, pid) : 0;
    if (rc == 0 && (rc = ready(req, sv[0])) == 0)
        rc = started(req, sv[0]);
    if (rc < 0) {
        kill(pid, SIGKILL);
        while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
            ;
        close(sv[0]);
        return deploy_failed(d, rc);
    }
    d->report_fd = sv[0];
    return 0;
}
