// SPDX-License-Identifier: Apache-2.0
/* The client side of the agent's job socket (docs/protocol.md), for SECRET and VERSION, in
 * plain libc: the interposer must not link libbptee (DESIGN.md contract 9). One connection per
 * request: a connection shared across fork would mix the replies of parent and child, and the
 * agent serves a bounded number of connections, which long-lived jobs must not hold.
 *   request  "SECRET <name>[ job=<job-id>] slot\n"
 *   reply    "OK <size> <version> <slot>\n" with the sealed memfd and the version page
 *            attached by SCM_RIGHTS ("OK <size> <version>\n" and the memfd alone when the
 *            agent has no page; an agent that predates it answers "ERR parse": ask again
 *            without "slot")
 *         or "ERR <kind> <reason>\n"
 *   request  "VERSION <name>\n"
 *   reply    "OK <version>\n" or "ERR <kind> <reason>\n"
 * A busy agent (connection refused, a full backlog, "ERR limit ...") is asked again with a short
 * backoff for up to RETRY_SECONDS before the request fails; any other failure is final at once.
 * A fetch also pins the agent that answered: the pid behind the connection (SO_PEERCRED) as a
 * pidfd, so the cache can tell later, without a round trip, whether that agent still lives. */
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "preload.h"

/* The protocol's longest line, newline included (BPTEE_JOB_LINE_MAX). */
#define LINE_MAX_BYTES 512
/* An agent that does not answer must not hang the job forever. */
#define AGENT_TIMEOUT_SECONDS 10
/* How long a busy agent is asked again, and the first and longest pause between attempts. */
#define RETRY_SECONDS 6
#define BACKOFF_FIRST_MS 10
#define BACKOFF_MAX_MS 500

static int failf(char *reason, size_t cap, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int failf(char *reason, size_t cap, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(reason, cap, fmt, ap);
    va_end(ap);
    return -1;
}

static int reasonf(char *reason, size_t cap, const char *what, int err)
{
    return failf(reason, cap, "%s: %s", what, bp_errname(err));
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Sleep the next backoff step if the deadline leaves room: 1, or 0 when time is up. */
static int backoff(int64_t deadline, int64_t *delay_ms)
{
    int64_t left = deadline - now_ms();
    if (left <= 0)
        return 0;
    int64_t ms = *delay_ms < left ? *delay_ms : left;
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000};
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
    *delay_ms = *delay_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : *delay_ms * 2;
    return 1;
}

static void set_timeout(int fd, int optname, int64_t ms)
{
    struct timeval tv = {.tv_sec = ms / 1000, .tv_usec = (ms % 1000) * 1000};
    setsockopt(fd, SOL_SOCKET, optname, &tv, sizeof tv);
}

/* Connect, waiting for room in a full backlog until the deadline. *busy is set when the
 * failure is the agent's being busy (refused, backlog full): worth another attempt. */
static int agent_connect(const char *path, int64_t deadline, int *busy, char *reason, size_t cap)
{
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    size_t len = strlen(path);
    *busy = 0;
    if (len >= sizeof addr.sun_path)
        return reasonf(reason, cap, "agent socket path too long", ENAMETOOLONG);
    memcpy(addr.sun_path, path, len);
    /* "@name" is the abstract namespace. */
    if (path[0] == '@')
        addr.sun_path[0] = '\0';
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return reasonf(reason, cap, "socket", errno);
    /* A blocking connect to a full backlog waits up to the send timeout, then EAGAIN. Both
     * timeouts are set before the connect, not after it: two syscalls fewer between the
     * agent's accept and our request. The send timeout stays the retries' deadline (at most
     * RETRY_SECONDS), which a request line never comes near: it fits an empty socket. */
    int64_t left = deadline - now_ms();
    set_timeout(fd, SO_SNDTIMEO, left > 1 ? left : 1);
    set_timeout(fd, SO_RCVTIMEO, AGENT_TIMEOUT_SECONDS * 1000);
    socklen_t alen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len);
    int rc;
    while ((rc = connect(fd, (struct sockaddr *)&addr, alen)) < 0 && errno == EINTR)
        ;
    if (rc < 0) {
        int err = errno;
        close(fd);
        *busy = err == ECONNREFUSED || err == EAGAIN;
        return failf(reason, cap, "agent socket %s: %s", path, bp_errname(err));
    }
    return fd;
}

int bp_agent_alive(int pidfd)
{
    struct pollfd p = {.fd = pidfd, .events = POLLIN};
    /* A pidfd turns readable when its process has exited; POLLNVAL: not open any more. */
    return pidfd >= 0 && poll(&p, 1, 0) == 0;
}

/* A pidfd (close-on-exec, as pidfd_open always makes it) on the process that listens at the
 * other end of sock, and its pid; -1 when there is none (an agent in a pid namespace we
 * cannot see has pid 0 here). */
static int peer_pidfd(int sock, pid_t *pid)
{
    struct ucred cred;
    socklen_t len = sizeof cred;
    if (getsockopt(sock, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0 || cred.pid <= 0)
        return -1;
    *pid = cred.pid;
    return (int)syscall(SYS_pidfd_open, cred.pid, 0);
}

static int send_all(int fd, const char *buf, size_t len)
{
    while (len > 0) {
        ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        buf += n;
        len -= (size_t)n;
    }
    return 0;
}

/* Keep the first two descriptors that arrive; close any other (a confused or hostile agent
 * must not leak descriptors into the job). */
static void take_fds(struct msghdr *msg, int passed[2])
{
    for (struct cmsghdr *c = CMSG_FIRSTHDR(msg); c; c = CMSG_NXTHDR(msg, c)) {
        if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
            continue;
        size_t n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        for (size_t i = 0; i < n; i++) {
            int fd;
            memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof fd);
            if (passed[0] < 0)
                passed[0] = fd;
            else if (passed[1] < 0)
                passed[1] = fd;
            else
                close(fd);
        }
    }
}

/* Read the reply line (until "\n"), collecting a passed descriptor. Returns its length. */
static ssize_t read_reply(int sock, char *line, size_t cap, int passed[2], char *reason,
                          size_t rcap)
{
    size_t used = 0;
    while (used < cap - 1 && !memchr(line, '\n', used)) {
        union {
            char buf[CMSG_SPACE(4 * sizeof(int))];
            struct cmsghdr align;
        } ctl;
        struct iovec iov = {line + used, cap - 1 - used};
        struct msghdr msg = {.msg_iov = &iov,
                             .msg_iovlen = 1,
                             .msg_control = ctl.buf,
                             .msg_controllen = sizeof ctl.buf};
        ssize_t n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return failf(reason, rcap, "agent did not answer within %d s", AGENT_TIMEOUT_SECONDS);
        if (n < 0)
            return reasonf(reason, rcap, "agent socket read", errno);
        take_fds(&msg, passed);
        if (n == 0)
            return failf(reason, rcap, "agent closed the connection without a reply");
        used += (size_t)n;
    }
    char *nl = memchr(line, '\n', used);
    if (!nl)
        return failf(reason, rcap, "agent reply longer than %d bytes", LINE_MAX_BYTES);
    *nl = '\0';
    return nl - line;
}

static int parse_u64(const char **p, uint64_t *out)
{
    uint64_t v = 0;
    const char *s = *p;
    if (*s < '0' || *s > '9')
        return -1;
    for (; *s >= '0' && *s <= '9'; s++) {
        if (v > (UINT64_MAX - 9) / 10)
            return -1;
        v = v * 10 + (uint64_t)(*s - '0');
    }
    *out = v;
    *p = s;
    return 0;
}

/* "ERR <kind>[ <reason>]": quote the agent, printable ASCII only. */
static void agent_refusal(const char *rest, char *reason, size_t cap)
{
    char clean[LINE_MAX_BYTES];
    size_t n = 0;
    for (; *rest && n < sizeof clean - 1; rest++)
        clean[n++] = (*rest >= 0x20 && *rest < 0x7f) ? *rest : '?';
    clean[n] = '\0';
    char *text = strchr(clean, ' ');
    if (text)
        *text++ = '\0';
    if (text && *text)
        snprintf(reason, cap, "agent refused (%s): %s", clean, text);
    else
        snprintf(reason, cap, "agent refused (%s)", n ? clean : "no reason given");
}

static int is_err(const char *line)
{
    return strncmp(line, "ERR", 3) == 0 && (line[3] == ' ' || line[3] == '\0');
}

/* "OK <size> <version>[ <slot>]" (size NULL: "OK <version>", VERSION's reply). */
static int parse_reply(const char *line, uint64_t *size, uint64_t *version, uint32_t *slot,
                       char *reason, size_t cap)
{
    const char *p = line + 3;
    uint64_t v = BP_NO_SLOT;
    if (is_err(line)) {
        agent_refusal(line[3] ? line + 4 : "", reason, cap);
        return -1;
    }
    if (strncmp(line, "OK ", 3) != 0 || (size && (parse_u64(&p, size) < 0 || *p++ != ' ')) ||
        parse_u64(&p, version) < 0 || (slot && *p == ' ' && (p++, parse_u64(&p, &v) < 0)) ||
        *p != '\0' || (v != BP_NO_SLOT && v >= BP_PAGE_SLOTS)) {
        return failf(reason, cap, "agent: malformed reply to %s", size ? "SECRET" : "VERSION");
    }
    if (slot)
        *slot = (uint32_t)v;
    return 0;
}

/* The request line with two descriptors on its first byte, the rest after. */
static int send_with_fds(int sock, const char *buf, size_t len, const int fds[2])
{
    union {
        char buf[CMSG_SPACE(2 * sizeof(int))];
        struct cmsghdr align;
    } ctl;
    struct iovec iov = {(void *)buf, 1};
    struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.buf,
                         .msg_controllen = sizeof ctl.buf};
    memset(&ctl, 0, sizeof ctl);
    struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(2 * sizeof(int));
    memcpy(CMSG_DATA(c), fds, 2 * sizeof(int));
    ssize_t n;
    do
        n = sendmsg(sock, &msg, MSG_NOSIGNAL);
    while (n < 0 && errno == EINTR);
    return n == 1 ? send_all(sock, buf + 1, len - 1) : -1;
}

static void close_passed(int passed[2])
{
    for (int i = 0; i < 2; i++)
        if (passed[i] >= 0)
            close(passed[i]);
}

/* The last attempt's reason, marked as the end of the retries. */
static int busy_fail(char *reason, size_t cap)
{
    char last[256];
    snprintf(last, sizeof last, "%s", reason);
    return failf(reason, cap, "%s (still busy after %d s)", last, RETRY_SECONDS);
}

static int is_limit(const char *line)
{
    return strncmp(line, "ERR limit", 9) == 0 && (line[9] == ' ' || line[9] == '\0');
}

/* Send one request line (with two descriptors when fds is not NULL) and read the reply line
 * (and any descriptor). A busy agent is asked again until RETRY_SECONDS have passed. With
 * pidfd, the answering agent's pidfd goes there (-1 if it cannot be had): taken before the
 * request, and kept only when the agent still lives after its reply. */
static int exchange_fds(const char *socket_path, const char *req, size_t n, const int *fds,
                        char *line, size_t lcap, int passed[2], int *pidfd, pid_t *pid,
                        char *reason, size_t cap)
{
    int64_t deadline = now_ms() + RETRY_SECONDS * 1000, delay = BACKOFF_FIRST_MS;
    for (;;) {
        int busy, rc = -1, agent = -1;
        int sock = agent_connect(socket_path, deadline, &busy, reason, cap);
        if (sock < 0 && busy && backoff(deadline, &delay))
            continue;
        if (sock < 0)
            return busy ? busy_fail(reason, cap) : -1;
        /* Before the request: the agent's reply then proves it lived after the pidfd was
         * taken, so the pidfd is the agent's and not its pid's next owner's. */
        if (pidfd)
            agent = peer_pidfd(sock, pid);
        int sent = fds ? send_with_fds(sock, req, n, fds) : send_all(sock, req, n), err = errno;
        /* One request per connection: say so now. The agent's thread then finds the end of
         * the stream right after its reply and goes back to the socket at once, instead of
         * sleeping until our close wakes it (a wake-up and a switch per request, on the CPUs
         * the jobs share with it). */
        if (sent == 0)
            shutdown(sock, SHUT_WR);
        /* An agent at its connection limit answers at once and closes: the write then fails
         * (EPIPE), and its "ERR limit" line waits to be read. */
        if (sent < 0 && err != EPIPE && err != ECONNRESET)
            reasonf(reason, cap, "agent socket write", err);
        else if (read_reply(sock, line, lcap, passed, reason, cap) >= 0)
            rc = 0;
        else if (sent < 0)
            reasonf(reason, cap, "agent socket write", err);
        close(sock);
        if (rc == 0 && is_limit(line)) {
            close_passed(passed);
            passed[0] = passed[1] = -1;
            if (agent >= 0)
                close(agent);
            if (backoff(deadline, &delay))
                continue;
            agent_refusal(line + 4, reason, cap);
            return busy_fail(reason, cap);
        }
        if (pidfd) {
            if (agent >= 0 && !bp_agent_alive(agent)) {
                close(agent);
                agent = -1;
            }
            *pidfd = agent;
        }
        return rc;
    }
}

static int exchange(const char *socket_path, const char *req, size_t n, char *line, size_t lcap,
                    int passed[2], char *reason, size_t cap)
{
    return exchange_fds(socket_path, req, n, NULL, line, lcap, passed, NULL, NULL, reason, cap);
}

int bp_agent_version(const char *socket_path, const char *name, uint64_t *version, char *reason,
                     size_t cap)
{
    char req[BP_NAME_MAX + 16], line[LINE_MAX_BYTES + 1];
    int passed[2] = {-1, -1}, saved = errno;
    int n = snprintf(req, sizeof req, "VERSION %s\n", name);
    int rc = exchange(socket_path, req, (size_t)n, line, sizeof line, passed, reason, cap);
    close_passed(passed); /* VERSION never carries a descriptor */
    /* An agent that predates VERSION: it cannot rotate either, so the copy held is current. */
    if (rc == 0 && is_err(line) && !strncmp(line + 3, " unsupported", 12))
        rc = BP_AGENT_OLD;
    else if (rc == 0)
        rc = parse_reply(line, NULL, version, NULL, reason, cap);
    errno = saved;
    return rc;
}

/* An agent that predates the version page refuses the "slot" word; ask it the old way. */
static int no_slot_word;

static int fetch_once(const char *socket_path, const char *name, struct bp_fetched *out,
                      int *passed, char *line, char *reason, size_t cap)
{
    char req[BP_NAME_MAX + BP_JOB_ID_MAX + 40];
    int want = !__atomic_load_n(&no_slot_word, __ATOMIC_RELAXED);
    int n = snprintf(req, sizeof req, "SECRET %s%s%s%s\n", name, bp_cfg.job_id[0] ? " job=" : "",
                     bp_cfg.job_id, want ? " slot" : "");
    if (out->pidfd >= 0)
        close(out->pidfd);
    out->pidfd = -1;
    if (exchange_fds(socket_path, req, (size_t)n, NULL, line, LINE_MAX_BYTES + 1, passed,
                     &out->pidfd, &out->pid, reason, cap) < 0)
        return -1;
    if (want && !strncmp(line, "ERR parse", 9)) {
        close_passed(passed);
        passed[0] = passed[1] = -1;
        __atomic_store_n(&no_slot_word, 1, __ATOMIC_RELAXED);
        return 1;
    }
    return parse_reply(line, &out->size, &out->version, &out->slot, reason, cap);
}

int bp_agent_fetch(const char *socket_path, const char *name, struct bp_fetched *out,
                   char *reason, size_t cap)
{
    char line[LINE_MAX_BYTES + 1];
    int passed[2] = {-1, -1}, saved = errno;
    out->pidfd = -1;
    int rc = fetch_once(socket_path, name, out, passed, line, reason, cap);
    if (rc == 1)
        rc = fetch_once(socket_path, name, out, passed, line, reason, cap);
    if (rc == 0 && passed[0] < 0)
        rc = failf(reason, cap, "agent answered OK without a descriptor");
    if (rc == 0 && out->pidfd < 0)
        rc = failf(reason, cap, "cannot tell whether the agent lives (no pidfd on its pid)");
    if (rc == 0 && out->slot != BP_NO_SLOT && passed[1] < 0)
        out->slot = BP_NO_SLOT; /* a slot without its page is of no use */
    if (rc < 0) {
        close_passed(passed);
        if (out->pidfd >= 0)
            close(out->pidfd);
        out->pidfd = -1;
    } else {
        out->fd = passed[0];
        out->page_fd = out->slot != BP_NO_SLOT ? passed[1] : -1;
        if (out->slot == BP_NO_SLOT && passed[1] >= 0)
            close(passed[1]);
    }
    errno = saved;
    return rc < 0 ? -1 : 0;
}

int bp_agent_result(const char *socket_path, const char *job_id, int file, int dir,
                    char *reason, size_t cap)
{
    char req[BP_JOB_ID_MAX + 16], line[LINE_MAX_BYTES + 1];
    int passed[2] = {-1, -1}, fds[2] = {file, dir}, saved = errno;
    int n = snprintf(req, sizeof req, "RESULT %s\n", job_id);
    int rc = exchange_fds(socket_path, req, (size_t)n, fds, line, sizeof line, passed, NULL,
                          NULL, reason, cap);
    close_passed(passed); /* RESULT's reply carries no descriptor */
    if (rc == 0 && is_err(line)) {
        agent_refusal(line[3] ? line + 4 : "", reason, cap);
        rc = -1;
    } else if (rc == 0 && strcmp(line, "OK") != 0) {
        rc = failf(reason, cap, "agent: malformed reply to RESULT");
    }
    errno = saved;
    return rc;
}

int bp_agent_probe(const char *socket_path, int *pidfd, pid_t *pid, char *reason, size_t cap)
{
    int64_t deadline = now_ms() + RETRY_SECONDS * 1000, delay = BACKOFF_FIRST_MS;
    int busy, saved = errno, sock;
    while ((sock = agent_connect(socket_path, deadline, &busy, reason, cap)) < 0 && busy &&
           backoff(deadline, &delay))
        ;
    if (sock < 0) {
        if (busy)
            busy_fail(reason, cap);
        errno = saved;
        return -1;
    }
    *pidfd = peer_pidfd(sock, pid);
    if (*pidfd < 0)
        failf(reason, cap, "cannot tell whether the agent lives (no pidfd on its pid)");
    close(sock);
    errno = saved;
    return *pidfd < 0 ? -1 : 0;
}
