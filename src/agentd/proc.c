// SPDX-License-Identifier: Apache-2.0
/* What the agent reads about processes: a connection's peer, identified and pinned by a pidfd
 * (peer_identify), a process's parent and start time from /proc/PID/stat, and its parent alone
 * through its pidfd (PIDFD_GET_INFO, Linux 6.13), which costs a tenth of generating
 * /proc/PID/stat's text: the walk up a job's tree (grants.c) needs the start time only where a
 * grant is rooted. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <sodium.h>

#include "agentd/daemon.h"

#ifndef SO_PEERPIDFD
#define SO_PEERPIDFD 77 /* Linux 6.5; Debian 12's headers predate it */
#endif

/* include/uapi/linux/pidfd.h (Linux 6.13), its first version; Debian 12's headers lack it. */
struct bp_pidfd_info {
    uint64_t mask;
    uint64_t cgroupid;
    uint32_t pid, tgid, ppid, ruid, rgid, euid, egid, suid, sgid, fsuid, fsgid;
    int32_t exit_code;
};
_Static_assert(sizeof(struct bp_pidfd_info) == 64, "PIDFD_INFO_SIZE_VER0");
_Static_assert(offsetof(struct bp_pidfd_info, ppid) == 24, "pidfd_info.ppid");
#define BP_PIDFD_INFO_PID 1u
#define BP_PIDFD_GET_INFO _IOWR(0xFF, 11, struct bp_pidfd_info)

int proc_stat(pid_t pid, pid_t *ppid, unsigned long long *start)
{
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0)
        return -1;
    buf[n] = '\0';
    /* "pid (comm) state ppid ...": comm may hold anything, so start after its last ')' */
    char *p = strrchr(buf, ')');
    if (!p)
        return -1;
    unsigned long long field[20];
    int got = 0;
    for (p++; got < 20 && *p;) {
        while (*p == ' ')
            p++;
        char *end;
        field[got++] = strtoull(p, &end, 10); /* field 3 (state) reads as 0: unused */
        p = strchr(p, ' ');
        if (!p)
            break;
    }
    if (got < 20)
        return -1;
    *ppid = (pid_t)field[1]; /* field 4 */
    *start = field[19];      /* field 22 */
    return 0;
}

int peer_pidfd(int sock, pid_t pid)
{
    int pidfd = -1;
    socklen_t len = sizeof pidfd;
    if (getsockopt(sock, SOL_SOCKET, SO_PEERPIDFD, &pidfd, &len) == 0 && pidfd >= 0)
        return pidfd;
    long r = syscall(SYS_pidfd_open, pid, 0); /* before Linux 6.5: pinned a little later */
    return r < 0 ? -1 : (int)r;
}

int proc_parent(int pidfd, pid_t pid, pid_t *ppid)
{
    unsigned long long start;
    long fd = pidfd >= 0 ? pidfd : syscall(SYS_pidfd_open, pid, 0);
    if (fd < 0)
        return -1;
    struct bp_pidfd_info info = {.mask = BP_PIDFD_INFO_PID};
    int rc = ioctl((int)fd, BP_PIDFD_GET_INFO, &info);
    int err = errno;
    if (pidfd < 0)
        close((int)fd);
    if (rc == 0 && (info.mask & BP_PIDFD_INFO_PID) && info.pid == (uint32_t)pid) {
        *ppid = (pid_t)info.ppid;
        return 0;
    }
    /* before Linux 6.13 (no such ioctl): the text */
    return rc < 0 && (err == ENOTTY || err == EINVAL) ? proc_stat(pid, ppid, &start) : -1;
}

static bool pidfd_exited(int pidfd)
{
    struct pollfd p = {.fd = pidfd, .events = POLLIN};
    return poll(&p, 1, 0) == 1 && (p.revents & (POLLIN | POLLHUP));
}

/* bptee_peer_identify's steps, keeping the pidfd they pin the peer with: the grant check then
 * walks from that very process instead of asking the kernel for another pidfd (a getsockopt
 * that makes a file, and its close, on every request). */
int peer_identify(int sock, const struct ucred *known, struct bptee_peer *out, int *pidfd,
                  char *why, size_t cap)
{
    struct ucred cred = known ? *known : (struct ucred){0};
    socklen_t len = sizeof cred;
    memset(out, 0, sizeof *out);
    *pidfd = -1;
    why[0] = '\0';
    if (cred.pid <= 0 && getsockopt(sock, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0) {
        snprintf(why, cap, "peer: SO_PEERCRED: %s", strerror(errno));
        return BPTEE_EIO;
    }
    if (cred.pid <= 0) {
        snprintf(why, cap, "peer: the kernel reports no process for the peer");
        return BPTEE_EDENIED;
    }
    out->pid = cred.pid;
    out->uid = cred.uid;
    out->gid = cred.gid;
    int fd = peer_pidfd(sock, cred.pid);
    if (fd >= 0 && pidfd_exited(fd)) {
        close(fd);
        snprintf(why, cap, "peer: process %d has exited", (int)cred.pid);
        return BPTEE_EDENIED;
    }
    if (bptee_peer_measure_pid(cred.pid, out->measurement) < 0) {
        snprintf(why, cap, "%s", bptee_last_error()); /* unmeasured: measured stays false */
        *pidfd = fd;
        return 0;
    }
    if (fd >= 0 && pidfd_exited(fd)) {
        close(fd);
        memset(out->measurement, 0, sizeof out->measurement);
        snprintf(why, cap, "peer: process %d exited while being measured", (int)cred.pid);
        return BPTEE_EDENIED;
    }
    out->measured = true;
    sodium_bin2hex(out->measurement_hex, sizeof out->measurement_hex, out->measurement, 32);
    *pidfd = fd;
    return 0;
}
