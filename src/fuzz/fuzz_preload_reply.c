// SPDX-License-Identifier: Apache-2.0
/* libFuzzer: the interposer's side of the job socket (interpose/agent_client.c), fed hostile
 * agent replies through its own entry points: bp_agent_version, bp_agent_fetch and
 * bp_agent_result connect to a socket this target serves, where a thread answers every request
 * with the input (and as many descriptors as the input asks for). So the reply framing, the
 * descriptor intake and the reply parsers (static in agent_client.c) run as in a job.
 *
 * Input: byte 0 picks the request (bits 0-1: VERSION, SECRET, RESULT) and how many descriptors
 * come with the reply (bits 2-3); the rest is the reply. A reply that begins "ERR limit" is
 * skipped: the client rightly waits out a busy agent for seconds, which would only slow the run. */
#include <pthread.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "preload_support.h"
#include "tmpdir.h"
#include "../../interpose/agent_client.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define REPLY_MAX 1024

static struct {
    pthread_mutex_t lock;
    char reply[REPLY_MAX];
    size_t len;
    int n_fds;
} served = {.lock = PTHREAD_MUTEX_INITIALIZER};
static char socket_path[108];

/* Read the request line, closing any descriptor it carries (RESULT sends two). */
static void read_request(int c)
{
    char buf[600];
    size_t used = 0;
    while (used < sizeof buf && !memchr(buf, '\n', used)) {
        union {
            char b[CMSG_SPACE(4 * sizeof(int))];
            struct cmsghdr align;
        } ctl;
        struct iovec iov = {buf + used, sizeof buf - used};
        struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.b,
                             .msg_controllen = sizeof ctl.b};
        ssize_t n = recvmsg(c, &msg, MSG_CMSG_CLOEXEC);
        if (n <= 0)
            return;
        int got[2] = {-1, -1};
        take_fds(&msg, got); /* agent_client.c's own intake: closes all but two */
        close_passed(got);
        used += (size_t)n;
    }
}

static void send_reply(int c, const char *reply, size_t len, int n_fds)
{
    int fds[3];
    union {
        char b[CMSG_SPACE(sizeof fds)];
        struct cmsghdr align;
    } ctl;
    struct iovec iov = {(void *)reply, len};
    struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};
    for (int i = 0; i < n_fds; i++)
        fds[i] = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (n_fds > 0 && len > 0) {
        memset(&ctl, 0, sizeof ctl);
        msg.msg_control = ctl.b;
        msg.msg_controllen = CMSG_SPACE((size_t)n_fds * sizeof(int));
        struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);
        cm->cmsg_level = SOL_SOCKET;
        cm->cmsg_type = SCM_RIGHTS;
        cm->cmsg_len = CMSG_LEN((size_t)n_fds * sizeof(int));
        memcpy(CMSG_DATA(cm), fds, (size_t)n_fds * sizeof(int));
    }
    if (len > 0)
        (void)sendmsg(c, &msg, MSG_NOSIGNAL);
    for (int i = 0; i < n_fds; i++)
        close(fds[i]);
}

static void *serve(void *arg)
{
    int listener = *(int *)arg;
    for (;;) {
        int c = accept4(listener, NULL, NULL, SOCK_CLOEXEC);
        if (c < 0)
            continue;
        char reply[REPLY_MAX];
        pthread_mutex_lock(&served.lock);
        size_t len = served.len;
        int n_fds = served.n_fds;
        memcpy(reply, served.reply, len);
        pthread_mutex_unlock(&served.lock);
        read_request(c);
        send_reply(c, reply, len, n_fds);
        close(c);
    }
    return NULL;
}

static void start_agent(void)
{
    static int listener;
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    const char *dir = fuzz_tmpdir("reply");
    pthread_t t;
    if (!dir)
        abort();
    snprintf(socket_path, sizeof socket_path, "%s/agent.sock", dir);
    memcpy(sa.sun_path, socket_path, strlen(socket_path) + 1);
    listener = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (listener < 0 || bind(listener, (struct sockaddr *)&sa, sizeof sa) < 0 ||
        listen(listener, 16) < 0 || pthread_create(&t, NULL, serve, &listener) != 0)
        abort();
    pthread_detach(t);
}

static void close_fetched(struct bp_fetched *f)
{
    close(f->fd);
    if (f->page_fd >= 0)
        close(f->page_fd);
    close(f->pidfd);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int started;
    if (!started++)
        start_agent();
    no_slot_word = 0; /* each input meets a fresh job, which asks with "slot" first */
    if (size == 0 || size - 1 > REPLY_MAX || (size >= 10 && !memcmp(data + 1, "ERR limit", 9)))
        return 0;
    pthread_mutex_lock(&served.lock);
    served.len = size - 1;
    served.n_fds = (data[0] >> 2) & 3;
    memcpy(served.reply, data + 1, size - 1);
    pthread_mutex_unlock(&served.lock);

    char reason[256];
    uint64_t version;
    struct bp_fetched f;
    switch (data[0] & 3) {
    case 0:
        (void)bp_agent_version(socket_path, "db", &version, reason, sizeof reason);
        break;
    case 1:
        if (bp_agent_fetch(socket_path, "db", &f, reason, sizeof reason) == 0) {
            if (f.fd < 0 || (f.slot != BP_NO_SLOT && (f.slot >= BP_PAGE_SLOTS || f.page_fd < 0)))
                abort(); /* an accepted reply brought its memfd, and its page with a slot */
            close_fetched(&f);
        }
        break;
    default:
        (void)bp_agent_result(socket_path, "job-1", 0, 0, reason, sizeof reason);
        break;
    }
    return 0;
}
