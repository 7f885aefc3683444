// SPDX-License-Identifier: Apache-2.0
/* The agent's HTTP front door (http_front.h). Why it exists: libmicrohttpd's connection slots
 * are taken at accept and its timeout is an idle timeout, so 64 clients each sending one byte
 * of a header every few seconds held every slot for as long as they liked, and its own answers
 * to broken heads were doubled, HTML, or missing. Here one thread accepts every connection and
 * watches it (epoll, edge-triggered, so a byte that arrives wakes it once) while it sends its
 * head, looking at the bytes with MSG_PEEK so libmicrohttpd still reads them all. A client gets
 * HTTP_HEAD_DEADLINE_S from connecting to its blank line, whatever it trickles; at most
 * HTTP_PENDING_PER_ADDR unfinished heads per address; and when HTTP_PENDING_MAX clients from
 * many addresses are all unfinished, the one that has had the longest is dropped for a new
 * one, so an owner (whose head arrives in one packet) always gets through. A head that breaks a
 * rule is answered with one JSON error at its first wrong byte; a good one is handed over. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

#include "agentd/daemon.h"
#include "agentd/http_front.h"

#define LISTEN_EVENT UINT64_MAX
#define STOP_EVENT (UINT64_MAX - 1)
#define ACCEPT_BATCH 64

struct pending {
    int fd;       /* -1: a free slot */
    uint32_t gen; /* tells a stale event for a reused slot from a fresh one */
    struct sockaddr_storage addr;
    socklen_t alen;
    uint64_t since_ms;
};

struct http_front {
    int lfd, ep, stop_fd;
    pthread_t thread;
    struct MHD_Daemon *d;
    size_t body_max;
    struct pending p[HTTP_PENDING_MAX];
};

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void addr_text(const struct sockaddr_storage *a, char *out, size_t cap)
{
    const void *ip = a->ss_family == AF_INET6
                         ? (const void *)&((const struct sockaddr_in6 *)a)->sin6_addr
                         : (const void *)&((const struct sockaddr_in *)a)->sin_addr;
    if (!inet_ntop(a->ss_family, ip, out, (socklen_t)cap))
        snprintf(out, cap, "?");
}

static bool same_address(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
    if (a->ss_family != b->ss_family)
        return false;
    if (a->ss_family == AF_INET6)
        return !memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr,
                       &((const struct sockaddr_in6 *)b)->sin6_addr, sizeof(struct in6_addr));
    return ((const struct sockaddr_in *)a)->sin_addr.s_addr ==
           ((const struct sockaddr_in *)b)->sin_addr.s_addr;
}

/* Answer and hang up: what the client sent is read away first, so closing does not reset the
 * connection under the reply. */
static void answer_close(int fd, const struct sockaddr_storage *addr, unsigned status,
                         const char *reason)
{
    char buf[HTTP_HEAD_MAX], reply[600], who[INET6_ADDRSTRLEN];
    while (recv(fd, buf, sizeof buf, MSG_DONTWAIT) > 0)
        ;
    size_t n = http_error_reply(status, reason, reply, sizeof reply);
    if (n && send(fd, reply, n, MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
        n = 0; /* the client is gone; nothing else to do */
    shutdown(fd, SHUT_WR);
    close(fd);
    addr_text(addr, who, sizeof who);
    agent_log("http: %u to %s: %s", status, who, reason);
}

static void release(struct http_front *f, struct pending *p)
{
    epoll_ctl(f->ep, EPOLL_CTL_DEL, p->fd, NULL);
    p->fd = -1;
    p->gen++;
}

/* Free the slot; answer the client with status (0: just hang up). */
static void drop(struct http_front *f, struct pending *p, unsigned status, const char *reason)
{
    int fd = p->fd;
    struct sockaddr_storage addr = p->addr;
    release(f, p);
    if (status)
        answer_close(fd, &addr, status, reason);
    else
        close(fd);
}

/* The head is whole and well framed: libmicrohttpd takes the connection (and its fd). */
static void hand_over(struct http_front *f, struct pending *p)
{
    int fd = p->fd;
    struct sockaddr_storage addr = p->addr;
    socklen_t alen = p->alen;
    release(f, p);
    if (MHD_add_connection(f->d, fd, (const struct sockaddr *)&addr, alen) != MHD_YES) {
        char who[INET6_ADDRSTRLEN];
        addr_text(&addr, who, sizeof who);
        agent_log("http: a request from %s refused: every connection is busy", who);
    }
}

/* New bytes (or a hang-up) on an unfinished head. */
static void on_bytes(struct http_front *f, struct pending *p, uint32_t events)
{
    char buf[HTTP_HEAD_MAX];
    struct http_head_verdict v;
    ssize_t r = recv(p->fd, buf, sizeof buf, MSG_PEEK | MSG_DONTWAIT);
    if (r == 0 || (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR))
        return drop(f, p, 0, NULL);
    if (r < 0)
        return;
    switch (http_head_check(buf, (size_t)r, f->body_max, &v)) {
    case HTTP_HEAD_OK:
        return hand_over(f, p);
    case HTTP_HEAD_BAD:
        return drop(f, p, v.status, v.reason);
    case HTTP_HEAD_INCOMPLETE:
        if (events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR))
            drop(f, p, 400, "the connection was closed before the request head was complete");
        return;
    }
}

static struct pending *oldest(struct http_front *f)
{
    struct pending *o = NULL;
    for (size_t i = 0; i < HTTP_PENDING_MAX; i++)
        if (f->p[i].fd >= 0 && (!o || f->p[i].since_ms < o->since_ms))
            o = &f->p[i];
    return o;
}

static void admit(struct http_front *f, int fd, const struct sockaddr_storage *addr,
                  socklen_t alen)
{
    size_t from_addr = 0;
    struct pending *slot = NULL;
    for (size_t i = 0; i < HTTP_PENDING_MAX; i++) {
        if (f->p[i].fd < 0 && !slot)
            slot = &f->p[i];
        else if (f->p[i].fd >= 0 && same_address(&f->p[i].addr, addr))
            from_addr++;
    }
    if (from_addr >= HTTP_PENDING_PER_ADDR)
        return answer_close(fd, addr, 429,
                            "too many unfinished requests from this address; finish one first");
    if (!slot) { /* every slot is an unfinished head: the one that has had the longest goes */
        slot = oldest(f);
        drop(f, slot, 408, "request head not complete; its slot went to a newer client");
    }
    slot->fd = fd;
    slot->addr = *addr;
    slot->alen = alen;
    slot->since_ms = now_ms();
    struct epoll_event ev = {.events = EPOLLIN | EPOLLRDHUP | EPOLLET,
                             .data.u64 = (uint64_t)slot->gen << 32 | (uint64_t)(slot - f->p)};
    if (epoll_ctl(f->ep, EPOLL_CTL_ADD, fd, &ev) < 0)
        drop(f, slot, 503, "the server cannot watch another connection");
}

static void accept_some(struct http_front *f)
{
    for (int i = 0; i < ACCEPT_BATCH; i++) {
        struct sockaddr_storage addr;
        socklen_t alen = sizeof addr;
        int fd = accept4(f->lfd, (struct sockaddr *)&addr, &alen, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd >= 0) {
            admit(f, fd, &addr, alen);
            continue;
        }
        if (errno == EMFILE || errno == ENFILE) { /* let the deadlines free descriptors */
            agent_log("http: cannot accept: %s", strerror(errno));
            struct timespec pause = {.tv_nsec = 100 * 1000000};
            nanosleep(&pause, NULL);
        }
        return;
    }
}

/* Heads past their deadline are answered 408; the wait until the next deadline. */
static int expire(struct http_front *f)
{
    uint64_t now = now_ms(), limit = HTTP_HEAD_DEADLINE_S * 1000ull, next = 1000;
    char reason[100];
    snprintf(reason, sizeof reason, "request head not complete within %d s",
             HTTP_HEAD_DEADLINE_S);
    for (size_t i = 0; i < HTTP_PENDING_MAX; i++) {
        struct pending *p = &f->p[i];
        if (p->fd < 0)
            continue;
        if (now - p->since_ms >= limit)
            drop(f, p, 408, reason);
        else if (p->since_ms + limit - now < next)
            next = p->since_ms + limit - now;
    }
    return (int)next;
}

static void *front_main(void *arg)
{
    struct http_front *f = arg;
    struct epoll_event ev[64];
    int wait_ms = 1000;
    for (;;) {
        int n = epoll_wait(f->ep, ev, 64, wait_ms);
        for (int i = 0; i < n; i++) {
            uint64_t tag = ev[i].data.u64;
            if (tag == STOP_EVENT)
                return NULL;
            if (tag == LISTEN_EVENT) {
                accept_some(f);
                continue;
            }
            struct pending *p = &f->p[(uint32_t)tag % HTTP_PENDING_MAX];
            if (p->fd >= 0 && p->gen == (uint32_t)(tag >> 32))
                on_bytes(f, p, ev[i].events);
        }
        wait_ms = expire(f);
    }
}

static int watch(int ep, int fd, uint64_t tag)
{
    struct epoll_event ev = {.events = EPOLLIN, .data.u64 = tag};
    return epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
}

static int listen_on(const struct sockaddr *addr, socklen_t len, unsigned *port)
{
    int one = 1, fd = socket(addr->sa_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    struct sockaddr_storage bound;
    socklen_t blen = sizeof bound;
    if (fd < 0)
        return -1;
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0 ||
        bind(fd, addr, len) < 0 || listen(fd, 1024) < 0 ||
        getsockname(fd, (struct sockaddr *)&bound, &blen) < 0) {
        int e = errno;
        close(fd);
        errno = e;
        return -1;
    }
    *port = ntohs(bound.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&bound)->sin6_port
                                              : ((struct sockaddr_in *)&bound)->sin_port);
    return fd;
}

int http_front_start(const struct sockaddr *addr, socklen_t len, struct MHD_Daemon *d,
                     size_t body_max, struct http_front **out, unsigned *port)
{
    struct http_front *f = calloc(1, sizeof *f);
    if (!f)
        return -1;
    f->d = d;
    f->body_max = body_max;
    for (size_t i = 0; i < HTTP_PENDING_MAX; i++)
        f->p[i].fd = -1;
    f->ep = epoll_create1(EPOLL_CLOEXEC);
    f->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    f->lfd = listen_on(addr, len, port);
    if (f->ep < 0 || f->stop_fd < 0 || f->lfd < 0 || watch(f->ep, f->lfd, LISTEN_EVENT) < 0 ||
        watch(f->ep, f->stop_fd, STOP_EVENT) < 0 ||
        (errno = pthread_create(&f->thread, NULL, front_main, f)) != 0) {
        int e = errno;
        close(f->lfd);
        close(f->stop_fd);
        close(f->ep);
        free(f);
        errno = e;
        return -1;
    }
    *out = f;
    return 0;
}

void http_front_stop(struct http_front *f)
{
    uint64_t one = 1;
    if (!f)
        return;
    if (write(f->stop_fd, &one, sizeof one) != (ssize_t)sizeof one)
        agent_log("http: cannot stop the front door: %s", strerror(errno));
    pthread_join(f->thread, NULL);
    for (size_t i = 0; i < HTTP_PENDING_MAX; i++)
        if (f->p[i].fd >= 0)
            close(f->p[i].fd);
    close(f->lfd);
    close(f->stop_fd);
    close(f->ep);
    free(f);
}
