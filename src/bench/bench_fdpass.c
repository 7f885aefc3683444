// SPDX-License-Identifier: Apache-2.0
/* The floor of bench_preload's first-secret figures (issue 16): the same shape of exchange, a
 * fresh process's first request on a unix socket answered with a file descriptor by
 * SCM_RIGHTS, against a server that does only what any fd-passing delivery must: accept, read
 * the request line, reopen a sealed memfd as a new open file description (as the agent does,
 * so each job has its own offset) and send it. It deliberately does not identify the peer
 * (SO_PEERCRED, /proc), check grants, measure the binary, audit or log, and it is one blocking
 * thread: preload_secret_first_open and its 16-job burst can come near these figures, not
 * below them, so a target under them cannot be met on this machine.
 * Re-executes itself in child roles, since a first exchange needs a fresh process:
 *   --child exchange|plain PLAIN SOCKET [GO]
 *       one open+read+close of PLAIN (first-touch page faults are not the figure), then, timed,
 *       the exchange on SOCKET, or (the second floor) another open+read+close of PLAIN; with
 *       GO (a pipe's read end) it first waits for the go of a burst, as bench_preload does.
 * A burst's figure for plain opens shows what BURST_JOBS fresh processes released at once do
 * to any operation's tail on this machine's cores, with no server to contend for.
 * Children time with CLOCK_MONOTONIC and write one result line on stdout, a pipe to the parent.
 * Every child checks what it got, so a failing exchange is never measured as a fast one. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sodium.h>

#include "bench/bench.h"
#include "bench/bench_proc.h"

/* The counts of bench_preload, so each figure is the floor of its namesake. */
#define FIRST_PROCS 30
#define BURST_JOBS 16
#define BURST_ROUNDS 8
#define BURST_SAMPLES (BURST_JOBS * BURST_ROUNDS)
#define PATH_CAP 512
#define LINE_CAP 160

#define REQUEST "SECRET bench_secret\n"
/* Same length, so the timed plain read costs what a secret read would. */
static const char secret_value[] = "bptee bench secret, sealed: ok\n";
static const char plain_value[] = "an ordinary file, not a secret\n";
_Static_assert(sizeof secret_value == sizeof plain_value, "reads of the same size");

static char dir[] = "/tmp/bptee-bench-fdpass-XXXXXX";
static int dir_made;
static enum { PARENT, SERVER, CHILD } role = PARENT;
static pid_t server_pid, job_pid[BURST_JOBS];
static char sock_path[PATH_CAP], plain_path[PATH_CAP];

static void cleanup(void);

__attribute__((format(printf, 1, 2), noreturn)) static void die(const char *fmt, ...)
{
    static const char *const who[] = {"", " (server)", " (child)"};
    va_list ap;
    fprintf(stderr, "bench_fdpass%s: ", who[role]);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    if (role == PARENT)
        cleanup();
    /* The server is a fork of the parent: its stdio buffers are the parent's, not its own. */
    if (role == SERVER)
        _exit(1);
    exit(1);
}

static void xclose(int fd, const char *what)
{
    if (close(fd) != 0)
        die("close %s: %s", what, strerror(errno));
}

/* Read fd until end of file into a string of at most cap - 1 bytes. */
static void read_to_eof(int fd, char *out, size_t cap)
{
    size_t have = 0;
    ssize_t r;
    while (have + 1 < cap && ((r = read(fd, out + have, cap - 1 - have)) > 0 ||
                              (r < 0 && errno == EINTR && !bench_interrupted)))
        have += r > 0 ? (size_t)r : 0;
    out[have] = '\0';
}

/* The socket's address; a path that does not fit fails the run, never a truncated one. */
static struct sockaddr_un unix_addr(const char *path)
{
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    size_t len = strlen(path);
    if (len >= sizeof addr.sun_path)
        die("socket path too long: %s", path);
    memcpy(addr.sun_path, path, len + 1);
    return addr;
}

/* ---- the server: the floor of delivery ------------------------------------------------------ */

/* 0 when the connection carried exactly the one request line. */
static int read_request(int c)
{
    char buf[64];
    size_t have = 0;
    while (have < sizeof buf && !memchr(buf, '\n', have)) {
        ssize_t n = read(c, buf + have, sizeof buf - have);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        have += (size_t)n;
    }
    return have == strlen(REQUEST) && memcmp(buf, REQUEST, have) == 0 ? 0 : -1;
}

/* One reply with one descriptor; a client that went away costs its connection, not the run
 * (its own check fails it loudly). */
static void send_fd(int c, const char *reply, int fd)
{
    union {
        struct cmsghdr align;
        char buf[CMSG_SPACE(sizeof(int))];
    } ctl = {0};
    struct iovec iov = {.iov_base = (void *)reply, .iov_len = strlen(reply)};
    struct msghdr m = {
        .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.buf, .msg_controllen = sizeof ctl.buf};
    struct cmsghdr *cm = CMSG_FIRSTHDR(&m);
    cm->cmsg_level = SOL_SOCKET;
    cm->cmsg_type = SCM_RIGHTS;
    cm->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(cm), &fd, sizeof fd);
    while (sendmsg(c, &m, MSG_NOSIGNAL) < 0 && errno == EINTR)
        ;
}

/* Single-threaded and blocking: the least any server does per request. The reply and the
 * memfd's /proc path are formatted once, as they never change here. */
__attribute__((noreturn)) static void serve(int lfd, int memfd)
{
    char proc[64], reply[32];
    snprintf(proc, sizeof proc, "/proc/self/fd/%d", memfd);
    snprintf(reply, sizeof reply, "OK %zu\n", strlen(secret_value));
    for (;;) {
        int c = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
        if (c < 0 && (errno == EINTR || errno == ECONNABORTED))
            continue;
        if (c < 0)
            die("accept4: %s", strerror(errno));
        if (read_request(c) == 0) {
            int fd = open(proc, O_RDONLY | O_CLOEXEC);
            if (fd < 0)
                die("reopen %s: %s", proc, strerror(errno));
            send_fd(c, reply, fd);
            xclose(fd, "the reopened memfd");
        }
        xclose(c, "a connection");
    }
}

/* ---- the child roles ------------------------------------------------------------------------ */

static void expect_content(const char *buf, ssize_t n, const char *want, const char *what)
{
    size_t len = strlen(want);
    if (n < 0)
        die("read %s: %s", what, strerror(errno));
    if ((size_t)n != len || sodium_memcmp(buf, want, len) != 0)
        die("%s: read %zd bytes, not the %zu expected", what, n, len);
}

/* open+read+close of the plain file; its time, after checking what it read. */
static double plain_open(void)
{
    char buf[256];
    double t0 = bench_now();
    int fd = open(plain_path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        die("open %s: %s", plain_path, strerror(errno));
    ssize_t n = read(fd, buf, sizeof buf);
    int rc = close(fd);
    double t = bench_now() - t0;
    expect_content(buf, n, plain_value, plain_path);
    if (rc != 0)
        die("close %s: %s", plain_path, strerror(errno));
    return t;
}

/* Keep the first descriptor passed in *fd; close any other, as a job must. */
static void take_fds(struct msghdr *m, int *fd)
{
    for (struct cmsghdr *c = CMSG_FIRSTHDR(m); c; c = CMSG_NXTHDR(m, c)) {
        if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
            continue;
        for (size_t i = 0; i < (c->cmsg_len - CMSG_LEN(0)) / sizeof(int); i++) {
            int got;
            memcpy(&got, CMSG_DATA(c) + i * sizeof(int), sizeof got);
            if (*fd < 0)
                *fd = got;
            else
                close(got);
        }
    }
}

/* The reply line, until its newline; *fd gets the first descriptor passed, any other is closed. */
static void recv_reply(int s, char *line, size_t cap, int *fd)
{
    size_t have = 0;
    while (have < cap - 1 && !memchr(line, '\n', have)) {
        union {
            struct cmsghdr align;
            char buf[CMSG_SPACE(4 * sizeof(int))];
        } ctl;
        struct iovec iov = {.iov_base = line + have, .iov_len = cap - 1 - have};
        struct msghdr m = {.msg_iov = &iov,
                           .msg_iovlen = 1,
                           .msg_control = ctl.buf,
                           .msg_controllen = sizeof ctl.buf};
        ssize_t n = recvmsg(s, &m, MSG_CMSG_CLOEXEC);
        if (n <= 0)
            die("no reply: %s", n < 0 ? strerror(errno) : "connection closed");
        take_fds(&m, fd);
        have += (size_t)n;
    }
    line[have] = '\0';
}

/* Connect, ask, receive: the span bench_preload's first open() covers, which returns the
 * descriptor and reads nothing yet. The content is checked right after, outside the span. */
static double exchange(const char *path)
{
    struct sockaddr_un addr = unix_addr(path);
    char line[64], want[32], buf[256];
    int fd = -1;
    snprintf(want, sizeof want, "OK %zu\n", strlen(secret_value));
    double t0 = bench_now();
    int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (s < 0 || connect(s, (struct sockaddr *)&addr, sizeof addr) != 0)
        die("connect %s: %s", path, strerror(errno));
    if (write(s, REQUEST, strlen(REQUEST)) != (ssize_t)strlen(REQUEST) || shutdown(s, SHUT_WR) != 0)
        die("request: %s", strerror(errno));
    recv_reply(s, line, sizeof line, &fd);
    if (strcmp(line, want) != 0 || fd < 0)
        die("reply '%.*s'%s", (int)strcspn(line, "\n"), line,
            fd < 0 ? " without a descriptor" : "");
    xclose(s, "the socket");
    double t = bench_now() - t0;
    /* The parent's write left the memfd's own offset at its end: the whole content from a
     * read-only descriptor proves the server passed a new open file description. */
    if ((fcntl(fd, F_GETFL) & O_ACCMODE) != O_RDONLY)
        die("the passed descriptor is not read-only");
    expect_content(buf, read(fd, buf, sizeof buf), secret_value, "the passed memfd");
    xclose(fd, "the passed memfd");
    return t;
}

static int child_main(int argc, char **argv)
{
    role = CHILD;
    if ((argc != 5 && argc != 6) || (strcmp(argv[2], "exchange") && strcmp(argv[2], "plain")) ||
        (size_t)snprintf(plain_path, sizeof plain_path, "%s", argv[3]) >= sizeof plain_path)
        die("unknown child role");
    plain_open();
    if (argc == 6 && bench_wait_go(argv[5]) < 0)
        die("write: %s", strerror(errno));
    double t = strcmp(argv[2], "plain") == 0 ? plain_open() : exchange(argv[4]);
    printf("%.9f\n", t);
    return fflush(stdout) == 0 ? 0 : 1;
}

/* ---- the parent ----------------------------------------------------------------------------- */

static void cleanup(void)
{
    for (int i = 0; i < BURST_JOBS; i++)
        bench_reap(&job_pid[i], SIGKILL);
    bench_reap(&server_pid, SIGKILL);
    if (dir_made)
        bench_remove_tree(dir);
    dir_made = 0;
}

/* Reap *pid; anything but exit status 0 fails the run. */
static void wait_ok(pid_t *pid, const char *what)
{
    char why[64];
    if (bench_wait_ok(pid, why, sizeof why) < 0)
        die("%s: %s", what, why);
}

/* A fork that dies with us, even by SIGKILL, with the signals' default actions back. */
static pid_t fork_bound(void)
{
    pid_t parent = getpid(), pid = fork();
    if (pid < 0)
        die("fork: %s", strerror(errno));
    if (pid == 0) {
        signal(SIGINT, SIG_DFL);
        signal(SIGTERM, SIG_DFL);
        signal(SIGHUP, SIG_DFL);
        if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != parent)
            _exit(127);
    }
    return pid;
}

/* The secret in a sealed memfd, the listening socket bound before the fork so a client never
 * finds it missing, and the server process. */
static void start_server(void)
{
    struct sockaddr_un addr = unix_addr(sock_path);
    size_t len = strlen(secret_value);
    int memfd = memfd_create("bptee-bench-secret", MFD_CLOEXEC | MFD_ALLOW_SEALING);
    if (memfd < 0 || write(memfd, secret_value, len) != (ssize_t)len ||
        fcntl(memfd, F_ADD_SEALS, F_SEAL_WRITE | F_SEAL_GROW | F_SEAL_SHRINK | F_SEAL_SEAL) != 0)
        die("memfd: %s", strerror(errno));
    int lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (lfd < 0 || bind(lfd, (struct sockaddr *)&addr, sizeof addr) != 0 || listen(lfd, 64) != 0)
        die("listen %s: %s", sock_path, strerror(errno));
    fflush(stdout);
    server_pid = fork_bound();
    if (server_pid == 0) {
        role = SERVER;
        serve(lfd, memfd);
    }
    xclose(lfd, "the listening socket");
    xclose(memfd, "the memfd");
}

/* This program in a child role (mode, with the go pipe's read end when go is set); its pid
 * goes to *pid, and its stdout's read end is returned. */
static int spawn_job(const char *mode, const char *go, pid_t *pid)
{
    int pfd[2];
    char *argv[] = {"/proc/self/exe", "--child",  (char *)mode, plain_path,
                    sock_path,        (char *)go, NULL};
    if (pipe2(pfd, O_CLOEXEC) != 0)
        die("pipe: %s", strerror(errno));
    *pid = fork_bound();
    if (*pid == 0) {
        if (dup2(pfd[1], STDOUT_FILENO) < 0)
            _exit(127);
        execv(argv[0], argv);
        _exit(127);
    }
    xclose(pfd[1], "a result pipe");
    return pfd[0];
}

/* The child's time, once it has exited cleanly. */
static double collect(int fd, pid_t *pid)
{
    char line[LINE_CAP];
    double t = 0;
    read_to_eof(fd, line, sizeof line);
    xclose(fd, "a result pipe");
    wait_ok(pid, "a child");
    if (sscanf(line, "%lf", &t) != 1 || t <= 0)
        die("a child answered '%s'", line);
    return t;
}

static double single(const char *mode)
{
    return collect(spawn_job(mode, NULL, &job_pid[0]), &job_pid[0]);
}

/* BURST_JOBS children released together (the go pipe's end of file); their times to out[]. */
static void burst_round(const char *mode, double *out)
{
    int go[2], res[BURST_JOBS];
    char go_arg[16];
    if (pipe2(go, 0) != 0 || fcntl(go[1], F_SETFD, FD_CLOEXEC) != 0)
        die("pipe: %s", strerror(errno));
    snprintf(go_arg, sizeof go_arg, "%d", go[0]);
    for (int i = 0; i < BURST_JOBS; i++)
        res[i] = spawn_job(mode, go_arg, &job_pid[i]);
    for (int i = 0; i < BURST_JOBS; i++) {
        char c = 0;
        if (read(res[i], &c, 1) != 1 || c != 'r')
            die("a burst's child did not get ready%s", bench_interrupted ? ": interrupted" : "");
    }
    xclose(go[0], "the go pipe");
    xclose(go[1], "the go pipe"); /* go */
    for (int i = 0; i < BURST_JOBS; i++)
        out[i] = collect(res[i], &job_pid[i]);
}

static void setup(void)
{
    bench_catch_signals();
    if (!mkdtemp(dir))
        die("mkdtemp %s: %s", dir, strerror(errno));
    dir_made = 1;
    snprintf(sock_path, sizeof sock_path, "%s/fdpass.sock", dir);
    snprintf(plain_path, sizeof plain_path, "%s/plain.txt", dir);
    size_t len = strlen(plain_value);
    int fd = open(plain_path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0 || write(fd, plain_value, len) != (ssize_t)len)
        die("write %s: %s", plain_path, strerror(errno));
    xclose(fd, plain_path);
}

/* One operation's figures: the single median, the burst's p50 and p99 (bench_preload's index). */
struct figures {
    double single, p50, p99;
};

static struct figures summarize(double *singles, double *burst)
{
    struct figures f = {.single = bench_median(singles, FIRST_PROCS),
                        .p50 = bench_median(burst, BURST_SAMPLES)}; /* sorts burst */
    f.p99 = burst[(size_t)(0.99 * (BURST_SAMPLES - 1) + 0.5)];
    return f;
}

int main(int argc, char **argv)
{
    double ex[FIRST_PROCS], pl[FIRST_PROCS], ex_burst[BURST_SAMPLES], pl_burst[BURST_SAMPLES];
    if (argc > 1 && strcmp(argv[1], "--child") == 0)
        return child_main(argc, argv);
    setup();
    start_server();
    /* Unmeasured first: the binary's pages in the page cache, as for bench_preload's. Then the
     * two operations alternately, so drift on a shared machine hits both alike. */
    single("exchange");
    single("plain");
    for (int i = 0; i < FIRST_PROCS; i++) {
        ex[i] = single("exchange");
        pl[i] = single("plain");
    }
    for (int r = 0; r < BURST_ROUNDS; r++) {
        burst_round("exchange", &ex_burst[r * BURST_JOBS]);
        burst_round("plain", &pl_burst[r * BURST_JOBS]);
    }
    cleanup();
    struct figures e = summarize(ex, ex_burst), p = summarize(pl, pl_burst);
    printf("fdpass_first_exchange: %.1f us\n", 1e6 * e.single);
    printf("fdpass_first_exchange_%d_jobs_p50: %.1f us\n", BURST_JOBS, 1e6 * e.p50);
    printf("fdpass_first_exchange_%d_jobs_p99: %.1f us\n", BURST_JOBS, 1e6 * e.p99);
    printf("fdpass_first_exchange_%d_jobs_p99_vs_single_p50: %.2f ratio\n", BURST_JOBS,
           e.p99 / e.single);
    printf("fdpass_plain_open: %.1f us\n", 1e6 * p.single);
    printf("fdpass_plain_open_%d_jobs_p99: %.1f us\n", BURST_JOBS, 1e6 * p.p99);
    printf("fdpass_plain_open_%d_jobs_p99_vs_single_p50: %.2f ratio\n", BURST_JOBS,
           p.p99 / p.single);
    return 0;
}
