// SPDX-License-Identifier: Apache-2.0
/* The job socket's I/O: lines read without consuming what follows them (ATTEST's JSON), file
 * descriptors carried by SCM_RIGHTS, and the client calls `bptee run`, the C API for new
 * programs and the tests use. docs/protocol.md is the protocol. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "agent/agent_private.h"
#include "util/cleanup.h"
#include "util/error.h"

/* Collect the descriptors a message carried: keep the first BPTEE_JOB_FDS_MAX in fd[] (the
 * unfilled ones are -1), close any other. */
static void take_fds(struct msghdr *m, int *fd)
{
    for (struct cmsghdr *c = CMSG_FIRSTHDR(m); c; c = CMSG_NXTHDR(m, c)) {
        if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
            continue;
        size_t n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        for (size_t i = 0; i < n; i++) {
            int got;
            memcpy(&got, CMSG_DATA(c) + i * sizeof(int), sizeof got);
            size_t k = 0;
            while (k < BPTEE_JOB_FDS_MAX && fd[k] >= 0)
                k++;
            if (k < BPTEE_JOB_FDS_MAX)
                fd[k] = got;
            else
                safe_close(got);
        }
    }
}

static ssize_t recv_some(int fd, char *buf, size_t n, int *passed)
{
    union {
        struct cmsghdr align;
        char buf[CMSG_SPACE(4 * sizeof(int))];
    } ctl;
    struct iovec iov = {.iov_base = buf, .iov_len = n};
    struct msghdr m = {
        .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.buf, .msg_controllen = sizeof ctl.buf};
    ssize_t r;
    do
        r = recvmsg(fd, &m, MSG_CMSG_CLOEXEC);
    while (r < 0 && errno == EINTR);
    if (r >= 0)
        take_fds(&m, passed);
    return r;
}

static int io_error(const char *what)
{
    if (errno == EAGAIN || errno == EWOULDBLOCK)
        return fail(BPTEE_EIO, "%s: timed out", what);
    return fail(BPTEE_EIO, "%s: %s", what, strerror(errno));
}

static int read_line_fd(int fd, char *buf, size_t cap, size_t *len, int *passed)
{
    size_t have = 0;
    for (;;) {
        if (have == cap)
            return fail(BPTEE_ELIMIT, "job socket: line longer than %zu bytes", cap);
        ssize_t n;
        do
            n = recv(fd, buf + have, cap - have, MSG_PEEK);
        while (n < 0 && errno == EINTR);
        if (n < 0)
            return io_error("job socket: receive");
        if (n == 0)
            return have ? fail(BPTEE_EPARSE, "job socket: connection closed in mid-line")
                        : fail(BPTEE_ENOTFOUND, "job socket: connection closed");
        char *nl = memchr(buf + have, '\n', (size_t)n);
        size_t take = nl ? (size_t)(nl - (buf + have)) + 1 : (size_t)n;
        ssize_t r = recv_some(fd, buf + have, take, passed);
        if (r <= 0)
            return r < 0 ? io_error("job socket: receive")
                         : fail(BPTEE_EPARSE, "job socket: connection closed in mid-line");
        have += (size_t)r;
        if (buf[have - 1] == '\n') {
            *len = have;
            return 0;
        }
    }
}

int bptee_job_read_line_fds(int fd, char *buf, size_t cap, size_t *len, int fds[BPTEE_JOB_FDS_MAX])
{
    int got[BPTEE_JOB_FDS_MAX];
    for (size_t i = 0; i < BPTEE_JOB_FDS_MAX; i++)
        got[i] = -1;
    if (!buf || !len || cap == 0)
        return fail(BPTEE_EINVAL, "job socket: missing buffer");
    int rc = read_line_fd(fd, buf, cap, len, got);
    for (size_t i = 0; i < BPTEE_JOB_FDS_MAX; i++) {
        if ((rc < 0 || !fds) && got[i] >= 0)
            safe_close(got[i]);
        if (fds)
            fds[i] = rc < 0 ? -1 : got[i];
    }
    return rc;
}

int bptee_job_read_line(int fd, char *buf, size_t cap, size_t *len, int *passed_fd)
{
    int fds[BPTEE_JOB_FDS_MAX];
    int rc = bptee_job_read_line_fds(fd, buf, cap, len, fds);
    for (size_t i = passed_fd ? 1 : 0; i < BPTEE_JOB_FDS_MAX; i++)
        if (fds[i] >= 0)
            safe_close(fds[i]);
    if (passed_fd)
        *passed_fd = fds[0];
    return rc;
}

int bptee_job_send_fds(int fd, const void *data, size_t len, const int *fds, size_t n_fds)
{
    union {
        struct cmsghdr align;
        char buf[CMSG_SPACE(4 * sizeof(int))];
    } ctl;
    const char *p = data;
    if (n_fds > 4 || (n_fds && !fds))
        return fail(BPTEE_EINVAL, "job socket: at most 4 descriptors per message");
    while (len > 0) {
        struct iovec iov = {.iov_base = (void *)p, .iov_len = len};
        struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1};
        if (n_fds) { /* the descriptors ride on the first bytes only */
            memset(&ctl, 0, sizeof ctl);
            m.msg_control = ctl.buf;
            m.msg_controllen = CMSG_SPACE(n_fds * sizeof(int));
            struct cmsghdr *c = CMSG_FIRSTHDR(&m);
            c->cmsg_level = SOL_SOCKET;
            c->cmsg_type = SCM_RIGHTS;
            c->cmsg_len = CMSG_LEN(n_fds * sizeof(int));
            memcpy(CMSG_DATA(c), fds, n_fds * sizeof(int));
        }
        ssize_t n = sendmsg(fd, &m, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return io_error("job socket: send");
        p += n;
        len -= (size_t)n;
        n_fds = 0;
    }
    return 0;
}

int bptee_job_send(int fd, const void *data, size_t len, int pass_fd)
{
    return bptee_job_send_fds(fd, data, len, &pass_fd, pass_fd >= 0 ? 1 : 0);
}

int bptee_job_connect(const char *path, int *fd)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    if (!path || !fd)
        return fail(BPTEE_EINVAL, "job socket: missing path or output");
    if (strlen(path) >= sizeof sa.sun_path)
        return fail(BPTEE_EINVAL, "job socket: path longer than %zu bytes", sizeof sa.sun_path - 1);
    memcpy(sa.sun_path, path, strlen(path) + 1); /* length checked above */
    int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (s < 0)
        return fail(BPTEE_EIO, "job socket: socket: %s", strerror(errno));
    if (connect(s, (struct sockaddr *)&sa, sizeof sa) != 0) {
        int e = errno;
        safe_close(s);
        return fail(e == ENOENT || e == ECONNREFUSED ? BPTEE_ENOTFOUND : BPTEE_EIO,
                    "job socket: connect %s: %s", path, strerror(e));
    }
    *fd = s;
    return 0;
}

/* Send req and read the reply line with up to BPTEE_JOB_FDS_MAX descriptors (passed NULL:
 * closed); on failure none is kept. */
static int roundtrip_fds(int fd, const struct bptee_job_request *req,
                         struct bptee_job_reply *rep, int passed[BPTEE_JOB_FDS_MAX])
{
    char line[BPTEE_JOB_LINE_MAX + 1];
    size_t len = 0;
    int rc = bptee_job_request_format(req, line, sizeof line, &len);
    if (rc == 0)
        rc = bptee_job_send(fd, line, len, -1);
    if (rc == 0)
        rc = bptee_job_read_line_fds(fd, line, sizeof line, &len, passed);
    if (rc == 0)
        rc = bptee_job_reply_parse(req->cmd, line, len, rep);
    if (rc == 0 && rep->error)
        rc = fail(rep->error, "agent: %s", rep->reason);
    for (size_t i = 0; rc < 0 && passed && i < BPTEE_JOB_FDS_MAX; i++) {
        safe_close(passed[i]);
        passed[i] = -1;
    }
    return rc;
}

/* roundtrip_fds keeping one descriptor (passed NULL: none). */
static int roundtrip(int fd, const struct bptee_job_request *req, struct bptee_job_reply *rep,
                     int *passed)
{
    int fds[BPTEE_JOB_FDS_MAX] = {-1, -1};
    int rc = roundtrip_fds(fd, req, rep, passed ? fds : NULL);
    if (passed)
        *passed = fds[0];
    safe_close(fds[1]); /* only SECRET with "slot" carries a second one */
    return rc;
}

/* The outputs of a SECRET request; page_fd NULL: ask without "slot". */
struct secret_out {
    int *memfd;
    uint64_t *size, *version;
    int *page_fd;
    uint32_t *slot;
};

static int secret_request(int fd, const char *name, const uint8_t *measurement,
                          const char *job_id, const struct secret_out *out)
{
    struct bptee_job_request req = {.cmd = BPTEE_JOB_SECRET, .want_slot = out->page_fd != NULL};
    struct bptee_job_reply rep;
    int got[BPTEE_JOB_FDS_MAX] = {-1, -1};
    if (!name || !out->memfd || strlen(name) > BPTEE_SECRET_NAME_MAX)
        return fail(BPTEE_EINVAL, "job socket: SECRET: missing or overlong name");
    if (job_id && bptee_job_id_check(job_id) < 0)
        return fail_prefix(BPTEE_EINVAL, "job socket: SECRET");
    memcpy(req.name, name, strlen(name) + 1); /* length checked above */
    if (job_id)
        memcpy(req.job_id, job_id, strlen(job_id) + 1); /* bptee_job_id_check bounds it */
    if (measurement) {
        req.has_for_measurement = true;
        memcpy(req.for_measurement, measurement, 32);
    }
    int rc = roundtrip_fds(fd, &req, &rep, got);
    if (rc < 0)
        return rc;
    if (got[0] < 0) {
        safe_close(got[1]);
        return fail(BPTEE_EPARSE, "job socket: the agent's SECRET reply carried no descriptor");
    }
    *out->memfd = got[0];
    if (out->size)
        *out->size = rep.size;
    if (out->version)
        *out->version = rep.version;
    if (out->page_fd && rep.has_slot && got[1] >= 0) {
        *out->page_fd = got[1];
        *out->slot = rep.slot;
    } else {
        safe_close(got[1]); /* a page without its slot (or the reverse) is of no use */
        if (out->page_fd)
            *out->page_fd = -1;
    }
    return 0;
}

int bptee_job_secret(int fd, const char *name, int *memfd, uint64_t *size, uint64_t *version)
{
    struct secret_out out = {.memfd = memfd, .size = size, .version = version};
    return secret_request(fd, name, NULL, NULL, &out);
}

int bptee_job_version(int fd, const char *name, uint64_t *version)
{
    struct bptee_job_request req = {.cmd = BPTEE_JOB_VERSION};
    struct bptee_job_reply rep;
    if (!name || !version || strlen(name) > BPTEE_SECRET_NAME_MAX)
        return fail(BPTEE_EINVAL, "job socket: VERSION: missing or overlong name");
    memcpy(req.name, name, strlen(name) + 1); /* length checked above */
    int rc = roundtrip(fd, &req, &rep, NULL);
    if (rc == 0)
        *version = rep.version;
    return rc;
}

int bptee_job_secret_for(int fd, const char *name, const uint8_t measurement[32], int *memfd,
                         uint64_t *size, uint64_t *version)
{
    if (!measurement)
        return fail(BPTEE_EINVAL, "job socket: SECRET: missing measurement");
    struct secret_out out = {.memfd = memfd, .size = size, .version = version};
    return secret_request(fd, name, measurement, NULL, &out);
}

int bptee_job_secret_for_job(int fd, const char *name, const uint8_t measurement[32],
                             const char *job_id, int *memfd, uint64_t *size, uint64_t *version)
{
    if (!measurement)
        return fail(BPTEE_EINVAL, "job socket: SECRET: missing measurement");
    struct secret_out out = {.memfd = memfd, .size = size, .version = version};
    return secret_request(fd, name, measurement, job_id, &out);
}

int bptee_job_secret_slot_for_job(int fd, const char *name, const uint8_t measurement[32],
                                  const char *job_id, int *memfd, uint64_t *size,
                                  uint64_t *version, int *page_fd, uint32_t *slot)
{
    if (!measurement || !page_fd || !slot)
        return fail(BPTEE_EINVAL, "job socket: SECRET: missing measurement or page outputs");
    *page_fd = -1;
    struct secret_out out = {.memfd = memfd, .size = size, .version = version,
                             .page_fd = page_fd, .slot = slot};
    return secret_request(fd, name, measurement, job_id, &out);
}

static int sign_request(int fd, const char *job_id, const uint8_t *result_sha256,
                        const uint8_t *argv_sha256, const uint8_t *measurement,
                        struct bptee_job_reply *out)
{
    struct bptee_job_request req = {.cmd = BPTEE_JOB_SIGN};
    if (!result_sha256 || !out)
        return fail(BPTEE_EINVAL, "job socket: SIGN: missing argument");
    int rc = bptee_job_id_check(job_id);
    if (rc < 0)
        return fail_prefix(rc, "job socket: SIGN");
    memcpy(req.job_id, job_id, strlen(job_id) + 1); /* bptee_job_id_check bounds it */
    memcpy(req.result_sha256, result_sha256, 32);
    if (argv_sha256) {
        req.has_argv_sha256 = true;
        memcpy(req.argv_sha256, argv_sha256, 32);
    }
    if (measurement) {
        req.has_for_measurement = true;
        memcpy(req.for_measurement, measurement, 32);
    }
    return roundtrip(fd, &req, out, NULL);
}

int bptee_job_sign(int fd, const char *job_id, const uint8_t result_sha256[32],
                   const uint8_t *argv_sha256, struct bptee_job_reply *out)
{
    return sign_request(fd, job_id, result_sha256, argv_sha256, NULL, out);
}

int bptee_job_sign_for(int fd, const char *job_id, const uint8_t result_sha256[32],
                       const uint8_t argv_sha256[32], const uint8_t measurement[32],
                       struct bptee_job_reply *out)
{
    if (!argv_sha256 || !measurement)
        return fail(BPTEE_EINVAL, "job socket: SIGN: a delegated signature needs the argv "
                                  "digest and the measurement");
    return sign_request(fd, job_id, result_sha256, argv_sha256, measurement, out);
}

static int read_exact(int fd, char *buf, size_t n)
{
    while (n > 0) {
        ssize_t r = recv(fd, buf, n, 0);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return io_error("job socket: receive");
        if (r == 0)
            return fail(BPTEE_EPARSE, "job socket: connection closed before the evidence ended");
        buf += r;
        n -= (size_t)r;
    }
    return 0;
}

int bptee_job_attest(int fd, int refresh, char **json, size_t *len, uint8_t public_key[32])
{
    struct bptee_job_request req = {.cmd = refresh ? BPTEE_JOB_REFRESH : BPTEE_JOB_ATTEST};
    struct bptee_job_reply rep;
    if (!json || !len)
        return fail(BPTEE_EINVAL, "job socket: ATTEST: missing output");
    int rc = roundtrip(fd, &req, &rep, NULL);
    if (rc < 0)
        return rc;
    if (rep.length == 0 || rep.length > BPTEE_JOB_ATTEST_MAX)
        return fail(BPTEE_ELIMIT, "job socket: ATTEST: evidence of %llu bytes (1 to %u)",
                    (unsigned long long)rep.length, BPTEE_JOB_ATTEST_MAX);
    char *buf = malloc(rep.length + 1);
    if (!buf)
        return fail(BPTEE_ENOMEM, "job socket: ATTEST: out of memory");
    rc = read_exact(fd, buf, rep.length);
    if (rc < 0) {
        free(buf);
        return rc;
    }
    buf[rep.length] = '\0';
    *json = buf;
    *len = rep.length;
    if (public_key)
        memcpy(public_key, rep.public_key, 32);
    return 0;
}

/* ---- keepers and grants (docs/protocol.md, "Jobs and their grants") */

int bptee_job_register(int fd, const char *job_id, const uint8_t measurement[32])
{
    struct bptee_job_request req = {.cmd = BPTEE_JOB_REGISTER, .has_for_measurement = true};
    struct bptee_job_reply rep;
    if (!measurement || bptee_job_id_check(job_id) < 0)
        return fail(BPTEE_EINVAL, "job socket: JOB: needs a valid job id and a measurement");
    memcpy(req.job_id, job_id, strlen(job_id) + 1); /* bptee_job_id_check bounds it */
    memcpy(req.for_measurement, measurement, 32);
    return roundtrip(fd, &req, &rep, NULL);
}

int bptee_job_watch(int fd)
{
    struct bptee_job_request req = {.cmd = BPTEE_JOB_WATCH};
    struct bptee_job_reply rep;
    return roundtrip(fd, &req, &rep, NULL);
}

int bptee_job_push_read(int fd, struct bptee_job_push *out, int *memfd)
{
    char line[BPTEE_JOB_LINE_MAX + 1];
    size_t len = 0;
    int got = -1;
    if (!out || !memfd)
        return fail(BPTEE_EINVAL, "job socket: push: missing output");
    *memfd = -1;
    int rc = bptee_job_read_line(fd, line, sizeof line, &len, &got);
    if (rc == 0)
        rc = bptee_job_push_parse(line, len, out);
    if (rc == 0 && out->kind == BPTEE_JOB_PUSH_CHANGED && got < 0)
        rc = fail(BPTEE_EPARSE, "job socket: CHANGED %s came without its memfd", out->name);
    if (rc < 0 || out->kind != BPTEE_JOB_PUSH_CHANGED) {
        safe_close(got);
        return rc;
    }
    *memfd = got;
    return 0;
}

int bptee_job_ack(int fd, const char *name, uint64_t version)
{
    struct bptee_job_request req = {.cmd = BPTEE_JOB_ACK, .version = version};
    char line[BPTEE_JOB_LINE_MAX + 1];
    size_t len = 0;
    if (!name || strlen(name) > BPTEE_SECRET_NAME_MAX)
        return fail(BPTEE_EINVAL, "job socket: ACK: missing or overlong name");
    memcpy(req.name, name, strlen(name) + 1); /* length checked above */
    int rc = bptee_job_request_format(&req, line, sizeof line, &len);
    return rc < 0 ? rc : bptee_job_send(fd, line, len, -1);
}

/* One GRANT line with names[*at..] that fit; *at moves past them. */
static int grant_line(int sock, struct bptee_job_request *req, const char *const *names,
                      size_t n, size_t *at)
{
    struct bptee_job_reply rep;
    /* "GRANT " id " " pid " " names "\n": room for the names, within the line limit */
    size_t room = BPTEE_JOB_LINE_MAX - 6 - strlen(req->job_id) - 1 - 10 - 1 - 1, used = 0;
    req->n_names = 0;
    req->names[0] = '\0';
    for (; *at < n; (*at)++) {
        const char *nm = names[*at];
        size_t l = nm ? strlen(nm) : 0;
        if (!nm || agent_name_check(nm, l, "job socket: GRANT") < 0)
            return fail(BPTEE_EINVAL, "job socket: GRANT: not a secret name: \"%.130s\"",
                        nm ? nm : "");
        if (used + (used ? 1 : 0) + l > room)
            break;
        if (used)
            req->names[used++] = ' ';
        memcpy(req->names + used, nm, l + 1);
        used += l;
        req->n_names++;
    }
    return roundtrip(sock, req, &rep, NULL);
}

int bptee_job_grant(int sock, const char *job_id, pid_t pid, const char *const *names, size_t n)
{
    struct bptee_job_request req = {.cmd = BPTEE_JOB_GRANT, .pid = (int32_t)pid};
    if (bptee_job_id_check(job_id) < 0 || pid <= 0 || !names || n == 0)
        return fail(BPTEE_EINVAL, "job socket: GRANT: needs a valid job id, a pid and at least "
                                  "one secret name");
    memcpy(req.job_id, job_id, strlen(job_id) + 1); /* bptee_job_id_check bounds it */
    for (size_t at = 0; at < n;) {
        int rc = grant_line(sock, &req, names, n, &at);
        if (rc < 0)
            return rc;
    }
    return 0;
}
