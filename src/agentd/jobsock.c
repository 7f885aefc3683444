// SPDX-License-Identifier: Apache-2.0
/* The job socket (docs/protocol.md): a unix stream socket, mode 0600, where jobs fetch secrets
 * as sealed read-only memfds (SCM_RIGHTS), have results signed or attested with the attested
 * key, and read that key's evidence (the requests: jobserve.c). Each connection is
 * served by a thread of its own, from a pool of threads that outlive their connections and
 * accept them themselves (starting a thread, or handing a connection from the accepting thread
 * to another, costs more than the rest of a secret's delivery); the poll loop of `bptee agent`
 * only hears when all JOB_CONN_MAX are busy, and then refuses the next connection.
 *
 * Under load: a connection that sends no complete request line within JOB_IDLE_MS is closed
 * (a keeper's WATCH connection excepted: it waits for pushes); one peer process holds at most
 * JOB_PER_PID connections (the next is answered "ERR limit" and closed); the listen backlog is
 * JOB_BACKLOG. So idle or greedy clients hold the pool for seconds at most, and a job that
 * finds it full retries (the interposer does) rather than waiting behind them. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "agentd/daemon.h"

#define JOB_CONN_MAX 64
#define JOB_IDLE_MS 5000
#define JOB_PER_PID 8
#define JOB_BACKLOG 64
#define JOB_REAP_MS 100
/* Threads started with the socket, idle until a connection comes; more start on demand. */
#define JOB_POOL_START 4

struct jobsock;

struct jobconn {
    struct jobsock *js;
    int fd;       /* the connection being served, -1 while idle */
    pid_t pid;    /* its peer's pid (SO_PEERCRED) */
    struct ucred cred; /* all of SO_PEERCRED, for the requests (identify) */
    long long deadline; /* CLOCK_MONOTONIC ms by which a request line must be in, 0: none */
    bool expired; /* the reaper shut it down */
    pthread_t thread;
    bool started; /* the thread runs (idle or serving) */
    bool created; /* a thread was created in this slot: join it at close */
};

struct jobsock {
    struct agent *a;
    int fd;
    int lock_fd; /* PATH.lock, flocked while the agent runs (socklock.c) */
    char *path;
    dev_t dev;
    ino_t ino;
    pthread_mutex_t lock;
    int page_fd; /* a read-only descriptor of the store's version page, -1 before/without */
    bool stopping;
    int full_fd;   /* eventfd, readable while every thread is busy (jobsock_fd) */
    int stop_fd;   /* eventfd, readable once the socket closes: wakes idle threads */
    pthread_t reaper; /* the idle timeout */
    bool reaping;
    size_t idle;   /* started threads waiting for a connection */
    size_t started;
    struct jobconn conns[JOB_CONN_MAX];
};

/* The version page, opened read-only once: every job gets the same read-only open file
 * description (a mapping needs no offset of its own). -1 when the store has none. */
static int page_fd(struct jobsock *js)
{
    pthread_mutex_lock(&js->lock);
    if (js->page_fd == -1 && bptee_secret_store_page(js->a->store, &js->page_fd, NULL) < 0)
        js->page_fd = -2; /* no page: don't ask again */
    int fd = js->page_fd;
    pthread_mutex_unlock(&js->lock);
    return fd;
}

static long long now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* A keeper's WATCH connection: pushes are written and ACKs read by the thread that changes a
 * secret (watch.c); this one only waits for the hang-up (POLLRDHUP, never POLLIN, so it never
 * takes an ACK), the shutdown of a keeper cut off, or the agent's. */
static void wait_hangup(int fd)
{
    for (;;) {
        struct pollfd p = {.fd = fd, .events = POLLRDHUP};
        if (poll(&p, 1, -1) == 1 && (p.revents & (POLLRDHUP | POLLHUP | POLLERR | POLLNVAL)))
            return;
    }
}

/* The peer sees the end now. What it sent and we did not read is dropped first: closing a
 * unix socket with unread bytes resets the peer, which may not have read our reply yet. */
static void hang_up(int fd)
{
    char buf[BPTEE_JOB_LINE_MAX + 1];
    shutdown(fd, SHUT_RDWR);
    for (int i = 0; i < 64 && recv(fd, buf, sizeof buf, MSG_DONTWAIT) > 0; i++)
        ;
}

/* Until when c's peer may take to send its next line (0: no limit). The reaper shuts the
 * connection down past it, which ends the read. */
static void set_deadline(struct jobsock *js, struct jobconn *c, long long deadline)
{
    pthread_mutex_lock(&js->lock);
    c->deadline = deadline;
    pthread_mutex_unlock(&js->lock);
}

static void serve_conn(struct jobsock *js, struct jobconn *c)
{
    char line[BPTEE_JOB_LINE_MAX + 1];
    int fd = c->fd;
    struct job_session s = {.fd = fd, .cred = c->cred};
    bool ended = false; /* the peer ended the stream and nothing is left unread */
    for (;;) {
        size_t len = 0;
        int fds[BPTEE_JOB_FDS_MAX];
        set_deadline(js, c, now_ms() + JOB_IDLE_MS);
        int rc = bptee_job_read_line_fds(fd, line, sizeof line, &len, fds);
        set_deadline(js, c, 0);
        if (__atomic_load_n(&c->expired, __ATOMIC_ACQUIRE)) {
            agent_log("job socket: pid %d sent no complete request within %d ms: closed",
                      (int)c->pid, JOB_IDLE_MS);
            break;
        }
        ended = rc == BPTEE_ENOTFOUND;
        if (rc == BPTEE_ELIMIT) /* out of step with the peer: say why, then hang up */
            jobsock_send_error(fd, 0, rc, bptee_last_error());
        if (rc < 0 || jobsock_serve_line(js->a, page_fd(js), &s, line, len, fds) < 0)
            break;
        if (s.watch) {
            wait_hangup(fd);
            agent_log("job socket: the keeper of job %s hung up: its grant ends",
                      s.job->job_id);
            break;
        }
    }
    grants_end(js->a->grants, s.job); /* waits for a push in flight on fd */
    if (!ended) /* (after a job's half-close, the usual end, close alone says it all) */
        hang_up(fd);
}

static bool start_locked(struct jobsock *js, struct jobconn *c);

/* The next connection for this thread (-1 when the socket closes). Waiters on the listening
 * socket are exclusive: a connection wakes one idle thread, not all. */
static int next_conn(struct jobsock *js, int ep)
{
    struct epoll_event ev[2];
    for (;;) {
        int n = epoll_wait(ep, ev, 2, -1);
        if (__atomic_load_n(&js->stopping, __ATOMIC_ACQUIRE))
            return -1;
        if (n <= 0)
            continue; /* EINTR */
        int fd = accept4(js->fd, NULL, NULL, SOCK_CLOEXEC);
        if (fd >= 0)
            return fd; /* else another thread took it, or the peer left */
    }
}

/* A connection taken: one fewer idle thread. The last idle one starts another, up to the
 * limit; at the limit the poll loop is told, so that it refuses what comes next. False when
 * the peer already holds JOB_PER_PID connections. */
static bool took_locked(struct jobsock *js, struct jobconn *c, int fd, pid_t pid)
{
    size_t held = 0;
    for (size_t i = 0; i < JOB_CONN_MAX; i++)
        held += js->conns[i].fd >= 0 && js->conns[i].pid == pid;
    c->fd = fd;
    c->pid = pid;
    c->deadline = 0;
    c->expired = false;
    if (--js->idle > 0 || js->stopping) /* stopping: jobsock_close joins what exists now */
        return held < JOB_PER_PID;
    for (size_t i = 0; i < JOB_CONN_MAX; i++)
        if (!js->conns[i].created && start_locked(js, &js->conns[i]))
            return held < JOB_PER_PID;
    eventfd_write(js->full_fd, 1);
    return held < JOB_PER_PID;
}

/* The peer's credentials, fixed by the kernel at connect: read once per connection, for the
 * per-process limit and every request's identification. Zero when they cannot be read (the
 * requests then ask again, and refuse as they would). */
static struct ucred peer_cred(int fd)
{
    struct ucred cred = {0};
    socklen_t len = sizeof cred;
    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0)
        cred = (struct ucred){0};
    return cred;
}

/* A pool thread: accept a connection, serve it, wait for the next. */
static void *conn_main(void *arg)
{
    struct jobconn *c = arg;
    struct jobsock *js = c->js;
    int ep = epoll_create1(EPOLL_CLOEXEC);
    struct epoll_event lev = {.events = EPOLLIN | EPOLLEXCLUSIVE}, sev = {.events = EPOLLIN};
    if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, js->fd, &lev) != 0 ||
        epoll_ctl(ep, EPOLL_CTL_ADD, js->stop_fd, &sev) != 0) {
        agent_log("job socket: a connection thread cannot wait: %s", strerror(errno));
        pthread_mutex_lock(&js->lock);
        js->idle--;
        c->started = false; /* the slot stays used: joined at close */
        pthread_mutex_unlock(&js->lock);
        if (ep >= 0)
            close(ep);
        return NULL;
    }
    for (int fd; (fd = next_conn(js, ep)) >= 0;) {
        struct ucred cred = peer_cred(fd);
        pid_t pid = cred.pid;
        pthread_mutex_lock(&js->lock);
        bool ok = took_locked(js, c, fd, pid);
        c->cred = cred;
        pthread_mutex_unlock(&js->lock);
        if (ok) {
            serve_conn(js, c);
        } else {
            char why[96];
            snprintf(why, sizeof why, "too many connections from pid %d", (int)pid);
            agent_log("job socket: refused: %s", why);
            jobsock_send_error(fd, 0, BPTEE_ELIMIT, why);
            hang_up(fd);
        }
        pthread_mutex_lock(&js->lock);
        /* Under the lock: jobsock_close shuts down only descriptors still being served. */
        close(fd);
        c->fd = -1;
        if (js->idle++ == 0) {
            eventfd_t drain;
            eventfd_read(js->full_fd, &drain); /* not full any more */
        }
        pthread_mutex_unlock(&js->lock);
    }
    close(ep);
    return NULL;
}

/* The idle timeout: every JOB_REAP_MS, shut down the connections whose peer is late with its
 * request line (a slow trickle of bytes included). Under the lock, so the descriptor is
 * still the connection's (threads close theirs under it). And drop the grants whose root
 * exited, off the requests' path. */
static void *reaper_main(void *arg)
{
    struct jobsock *js = arg;
    struct pollfd p = {.fd = js->stop_fd, .events = POLLIN};
    while (poll(&p, 1, JOB_REAP_MS) == 0 || !(p.revents & POLLIN)) {
        long long now = now_ms();
        pthread_mutex_lock(&js->lock);
        for (size_t i = 0; i < JOB_CONN_MAX; i++) {
            struct jobconn *c = &js->conns[i];
            if (c->fd >= 0 && c->deadline && now > c->deadline && !c->expired) {
                __atomic_store_n(&c->expired, true, __ATOMIC_RELEASE);
                shutdown(c->fd, SHUT_RDWR);
            }
        }
        pthread_mutex_unlock(&js->lock);
        grants_prune(js->a->grants);
    }
    return NULL;
}

/* Start slot c's thread (idle: fd -1). Caller holds the lock. */
static bool start_locked(struct jobsock *js, struct jobconn *c)
{
    c->js = js;
    c->fd = -1;
    if (pthread_create(&c->thread, NULL, conn_main, c) != 0)
        return false;
    c->started = c->created = true;
    js->idle++;
    js->started++;
    return true;
}

/* Called when full_fd is readable: every thread is busy. Refuse what waits, briefly (the poll
 * loop comes back while the pool stays full). */
void jobsock_accept(struct jobsock *js)
{
    struct pollfd p = {.fd = js->fd, .events = POLLIN};
    if (poll(&p, 1, 100) <= 0)
        return;
    pthread_mutex_lock(&js->lock);
    bool full = js->idle == 0;
    pthread_mutex_unlock(&js->lock);
    int fd = full ? accept4(js->fd, NULL, NULL, SOCK_CLOEXEC) : -1;
    if (fd < 0)
        return; /* a thread is free again and takes it */
    agent_log("job socket: refused a connection: too many job connections (%d)", JOB_CONN_MAX);
    jobsock_send_error(fd, 0, BPTEE_ELIMIT, "too many job connections; try again");
    close(fd);
}

/* A stale socket file (no agent behind it) is replaced; a live one or a non-socket is not. */
static int clear_path(const char *path, const struct sockaddr_un *sa)
{
    struct stat st;
    if (lstat(path, &st) != 0)
        return errno == ENOENT ? 0 : -1;
    if (!S_ISSOCK(st.st_mode)) {
        fprintf(stderr, "bptee: agent: --socket %s exists and is not a socket\n", path);
        return -1;
    }
    int probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int live = probe >= 0 && connect(probe, (const struct sockaddr *)sa, sizeof *sa) == 0;
    if (probe >= 0)
        close(probe);
    if (live) {
        fprintf(stderr, "bptee: agent: --socket %s: another agent is listening there\n", path);
        return -1;
    }
    return unlink(path) == 0 || errno == ENOENT ? 0 : -1;
}

/* The socket's directory (/run/bptee by default) is made when missing, as systemd's
 * RuntimeDirectory= would: mode 0755, so jobs can reach the socket, whose own mode decides. */
static int make_parent(const char *path)
{
    char dir[sizeof ((struct sockaddr_un *)0)->sun_path];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (!slash || slash == dir)
        return 0;
    *slash = '\0';
    if (mkdir(dir, 0755) == 0 || errno == EEXIST)
        return 0;
    fprintf(stderr, "bptee: agent: --socket %s: cannot make its directory %s: %s\n", path, dir,
            strerror(errno));
    return -1;
}

static int listen_at(struct sockaddr_un *sa)
{
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0)
        return -1;
    mode_t old = umask(0177); /* born 0600: no window in which others may connect */
    int rc = bind(fd, (struct sockaddr *)sa, sizeof *sa);
    umask(old);
    if (rc != 0 || chmod(sa->sun_path, 0600) != 0 || listen(fd, JOB_BACKLOG) != 0) {
        int e = errno;
        close(fd);
        errno = e;
        return -1;
    }
    return fd;
}

int jobsock_open(struct agent *a, const char *path, struct jobsock **out)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    struct stat st;
    if (strlen(path) >= sizeof sa.sun_path) {
        fprintf(stderr, "bptee: agent: --socket: path longer than %zu bytes\n",
                sizeof sa.sun_path - 1);
        return -1;
    }
    memcpy(sa.sun_path, path, strlen(path) + 1); /* length checked above */
    int lock_fd = -1;
    if (make_parent(path) < 0 || (lock_fd = socket_lock_take(path)) < 0 ||
        clear_path(path, &sa) < 0) {
        if (lock_fd >= 0)
            close(lock_fd);
        return -1;
    }
    struct jobsock *js = calloc(1, sizeof *js);
    if (!js || !(js->path = strdup(path)) || pthread_mutex_init(&js->lock, NULL) != 0) {
        if (js)
            free(js->path);
        free(js);
        close(lock_fd);
        return -1;
    }
    js->lock_fd = lock_fd;
    js->a = a;
    js->page_fd = -1;
    for (size_t i = 0; i < JOB_CONN_MAX; i++)
        js->conns[i].fd = -1;
    js->full_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    js->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    js->fd = listen_at(&sa);
    if (js->fd < 0 || js->full_fd < 0 || js->stop_fd < 0 || stat(path, &st) != 0) {
        fprintf(stderr, "bptee: agent: --socket %s: %s\n", path, strerror(errno));
        if (js->fd >= 0)
            close(js->fd);
        if (js->full_fd >= 0)
            close(js->full_fd);
        if (js->stop_fd >= 0)
            close(js->stop_fd);
        pthread_mutex_destroy(&js->lock);
        free(js->path);
        free(js);
        close(lock_fd);
        return -1;
    }
    js->dev = st.st_dev;
    js->ino = st.st_ino;
    pthread_mutex_lock(&js->lock);
    for (size_t i = 0; i < JOB_POOL_START; i++)
        start_locked(js, &js->conns[i]); /* best effort: more start on demand */
    pthread_mutex_unlock(&js->lock);
    js->reaping = pthread_create(&js->reaper, NULL, reaper_main, js) == 0;
    if (!js->reaping)
        agent_log("job socket: no idle timeout: %s", strerror(errno));
    *out = js;
    return 0;
}

int jobsock_fd(const struct jobsock *js)
{
    return js->full_fd;
}

bool jobsock_intact(const struct jobsock *js)
{
    struct stat st;
    return lstat(js->path, &st) == 0 && st.st_dev == js->dev && st.st_ino == js->ino;
}

void jobsock_close(struct jobsock *js)
{
    struct stat st;
    if (!js)
        return;
    /* Remove the file only if it is still ours (not one a later agent bound). */
    if (stat(js->path, &st) == 0 && st.st_dev == js->dev && st.st_ino == js->ino)
        unlink(js->path);
    pthread_mutex_lock(&js->lock);
    __atomic_store_n(&js->stopping, true, __ATOMIC_RELEASE);
    eventfd_write(js->stop_fd, 1); /* wakes every idle thread (level-triggered, never read) */
    for (size_t i = 0; i < JOB_CONN_MAX; i++)
        if (js->conns[i].fd >= 0) /* wakes a thread blocked reading: it sees end of stream */
            shutdown(js->conns[i].fd, SHUT_RDWR);
    pthread_mutex_unlock(&js->lock);
    if (js->reaping)
        pthread_join(js->reaper, NULL);
    for (size_t i = 0; i < JOB_CONN_MAX; i++) {
        struct jobconn *c = &js->conns[i];
        if (c->created)
            pthread_join(c->thread, NULL);
        c->started = c->created = false;
    }
    close(js->fd); /* after the threads: they wait on it */
    close(js->full_fd);
    close(js->stop_fd);
    if (js->page_fd >= 0)
        close(js->page_fd);
    close(js->lock_fd); /* last: the next agent may take the path now */
    pthread_mutex_destroy(&js->lock);
    free(js->path);
    free(js);
}
