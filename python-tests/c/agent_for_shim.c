// SPDX-License-Identifier: Apache-2.0
/* Test-only: preloaded into a `bptee` process, this speaks to the agent's job socket before
 * bptee's main runs, so the agent sees a peer running its own binary (what `bptee run` is when
 * it fetches secrets or signs results for a job). SHIM_SOCKET names the socket, SHIM_LINE the
 * request; the reply line goes to stdout, then the bytes of a descriptor it carried. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static void speak(const char *path, const char *line)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    char buf[1024], ctl[CMSG_SPACE(sizeof(int))];
    snprintf(sa.sun_path, sizeof sa.sun_path, "%s", path);
    int s = socket(AF_UNIX, SOCK_STREAM, 0);
    if (s < 0 || connect(s, (struct sockaddr *)&sa, sizeof sa) != 0 ||
        write(s, line, strlen(line)) != (ssize_t)strlen(line) || write(s, "\n", 1) != 1)
        _exit(3);
    struct iovec iov = {.iov_base = buf, .iov_len = sizeof buf - 1};
    struct msghdr m = {
        .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl, .msg_controllen = sizeof ctl};
    ssize_t n = recvmsg(s, &m, 0);
    if (n <= 0)
        _exit(4);
    fwrite(buf, 1, (size_t)n, stdout);
    struct cmsghdr *c = CMSG_FIRSTHDR(&m);
    if (c && c->cmsg_type == SCM_RIGHTS) {
        int fd;
        memcpy(&fd, CMSG_DATA(c), sizeof fd);
        while ((n = read(fd, buf, sizeof buf)) > 0)
            fwrite(buf, 1, (size_t)n, stdout);
    }
    fflush(stdout);
}

__attribute__((constructor)) static void shim_main(void)
{
    const char *path = getenv("SHIM_SOCKET"), *line = getenv("SHIM_LINE");
    if (!path || !line)
        return;
    speak(path, line);
    _exit(0);
}
