// SPDX-License-Identifier: Apache-2.0
/* Test-only: preloaded into a `bptee` process, this speaks to the agent's job socket before
 * bptee's main runs, so the agent sees a peer running its own binary (what `bptee run` is when
 * it fetches secrets or signs results for a job). SHIM_SOCKET names the socket.
 *
 * SHIM_LINE: the requests, one per line; each reply line goes to stdout, then the bytes of a
 * descriptor it carried.
 *
 * SHIM_HANDOFF=N instead: connect, pass the connected socket to the test over descriptor N (a
 * unix socket the test inherited) by SCM_RIGHTS, and stay alive until stdin ends. The agent's
 * peer is then this bptee process for as long as it lives, while the test writes and reads
 * the connection: a keeper under the test's control (a process of the agent's uid can inject
 * code into a bptee process just so; docs/agent.md, "Trust and its limits"). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static int dial(const char *path)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    snprintf(sa.sun_path, sizeof sa.sun_path, "%s", path);
    int s = socket(AF_UNIX, SOCK_STREAM, 0);
    if (s < 0 || connect(s, (struct sockaddr *)&sa, sizeof sa) != 0)
        _exit(3);
    return s;
}

static void one(int s, const char *line, size_t len)
{
    char buf[1024], ctl[CMSG_SPACE(2 * sizeof(int))];
    if (write(s, line, len) != (ssize_t)len || write(s, "\n", 1) != 1)
        _exit(3);
    /* the reply line, and nothing past it (the next reply is the next request's) */
    size_t have = 0;
    int fd = -1;
    while (have == 0 || buf[have - 1] != '\n') {
        struct iovec iov = {.iov_base = buf + have, .iov_len = 1};
        struct msghdr m = {
            .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl, .msg_controllen = sizeof ctl};
        if (have + 1 >= sizeof buf || recvmsg(s, &m, 0) != 1)
            _exit(4);
        struct cmsghdr *c = CMSG_FIRSTHDR(&m);
        if (c && c->cmsg_type == SCM_RIGHTS && fd < 0)
            memcpy(&fd, CMSG_DATA(c), sizeof fd);
        have++;
    }
    fwrite(buf, 1, have, stdout);
    ssize_t n;
    while (fd >= 0 && (n = read(fd, buf, sizeof buf)) > 0)
        fwrite(buf, 1, (size_t)n, stdout);
    fflush(stdout);
}

static void handoff(int s, int to)
{
    char ctl[CMSG_SPACE(sizeof(int))] = {0}, byte = 'k';
    struct iovec iov = {.iov_base = &byte, .iov_len = 1};
    struct msghdr m = {
        .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl, .msg_controllen = sizeof ctl};
    struct cmsghdr *c = CMSG_FIRSTHDR(&m);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(c), &s, sizeof s);
    if (sendmsg(to, &m, 0) != 1)
        _exit(5);
    close(to);
    while (read(0, &byte, 1) > 0) /* alive while the test needs this peer */
        ;
}

__attribute__((constructor)) static void shim_main(void)
{
    const char *path = getenv("SHIM_SOCKET"), *lines = getenv("SHIM_LINE");
    const char *to = getenv("SHIM_HANDOFF");
    if (!path || (!lines && !to))
        return;
    int s = dial(path);
    if (to) {
        handoff(s, atoi(to));
        _exit(0);
    }
    for (const char *p = lines; *p;) {
        size_t n = strcspn(p, "\n");
        one(s, p, n);
        p += n + (p[n] == '\n');
    }
    _exit(0);
}
