// SPDX-License-Identifier: Apache-2.0
/* The job socket (docs/protocol.md): a unix stream socket, mode 0600, where jobs fetch secrets
 * as sealed read-only memfds (SCM_RIGHTS), have results signed with the attested key, and
 * read that key's evidence. Each connection is served by its own thread; the peer is
 * identified for every request (SO_PEERCRED and the measurement of /proc/PID/exe), so a
 * process that execs another binary is judged as what it is now. */
#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "cli/agent_daemon.h"

#define JOB_CONN_MAX 64

struct jobsock;

struct jobconn {
    struct jobsock *js;
    int fd;
    pthread_t thread;
    bool used;
    bool done; /* the thread has finished; join it and close fd */
};

struct jobsock {
    struct agent *a;
    int fd;
    char *path;
    dev_t dev;
    ino_t ino;
    pthread_mutex_t lock;
    struct jobconn conns[JOB_CONN_MAX];
};

static int send_reply(int fd, const struct bptee_job_reply *rep, int pass_fd)
{
    char line[BPTEE_JOB_LINE_MAX + 1];
    size_t len = 0;
    if (bptee_job_reply_format(rep, line, sizeof line, &len) < 0)
        return -1;
    return bptee_job_send(fd, line, len, pass_fd);
}

static int send_error(int fd, int cmd, int code, const char *reason)
{
    struct bptee_job_reply rep = {.cmd = cmd, .error = code ? code : BPTEE_EIO};
    snprintf(rep.reason, sizeof rep.reason, "%s", reason);
    return send_reply(fd, &rep, -1);
}

/* The peer, or a logged refusal. why receives the reason when the binary was not measured. */
static int identify(int fd, struct bptee_peer *peer, char *why, size_t cap)
{
    int rc = bptee_peer_identify(fd, peer);
    snprintf(why, cap, "%s", peer->measured ? "" : bptee_last_error());
    if (rc < 0)
        agent_log("job socket: peer refused: %s", bptee_last_error());
    return rc;
}

/* The binary a request is judged by: the peer's own, or the one a launcher running the agent's
 * own binary acts for (the launcher measured what it runs; any other peer could lie). */
static int acting_for(const struct agent *a, const struct bptee_job_request *req,
                      struct bptee_peer *p, char *reason, size_t cap)
{
    if (!req->has_for_measurement)
        return 0;
    if (!p->measured || !a->self_measured ||
        sodium_memcmp(p->measurement, a->self_measurement, 32) != 0) {
        snprintf(reason, cap,
                 "only the agent's own binary may act for another binary (pid %d "
                 "runs %s)",
                 (int)p->pid, p->measured ? p->measurement_hex : "an unmeasured one");
        agent_log("job socket: refused: %s", reason);
        return BPTEE_EDENIED;
    }
    memcpy(p->measurement, req->for_measurement, 32);
    sodium_bin2hex(p->measurement_hex, sizeof p->measurement_hex, p->measurement, 32);
    agent_log("job socket: pid %d (bptee) acts for binary %.16s", (int)p->pid, p->measurement_hex);
    return 0;
}

/* An access on record: a delivery, or a refusal (detail says why). */
static int audit_access(struct agent *a, int event, const struct bptee_job_request *req,
                        const struct bptee_peer *p, uint64_t version, const char *detail,
                        bool delegated)
{
    char clean[BPTEE_AUDIT_DETAIL_MAX + 1] = "";
    size_t i = 0;
    if (!detail && delegated)
        detail = "fetched by bptee run for the job binary";
    for (; detail && detail[i] && i < BPTEE_AUDIT_DETAIL_MAX; i++)
        clean[i] = detail[i] >= 0x20 && detail[i] < 0x7f ? detail[i] : '?';
    clean[i] = '\0';
    struct bptee_audit_entry e = {.event = event, .name = req->name, .version = version,
                                  .has_peer = true, .pid = p->pid, .uid = p->uid,
                                  .has_measurement = p->measured,
                                  .job_id = req->job_id[0] ? req->job_id : NULL,
                                  .detail = clean};
    memcpy(e.measurement, p->measurement, 32);
    return agent_audit(a, &e);
}

static int refuse_secret(struct agent *a, int fd, const struct bptee_job_request *req,
                         const struct bptee_peer *p, int rc, const char *why)
{
    char reason[512];
    snprintf(reason, sizeof reason, "%s", bptee_last_error());
    agent_log("job socket: secret %s refused to pid %d uid %u binary %s: %s", req->name,
              (int)p->pid, (unsigned)p->uid, p->measured ? p->measurement_hex : "unmeasured",
              p->measured ? reason : why);
    audit_access(a, BPTEE_AUDIT_DENY, req, p, 0, reason, req->has_for_measurement);
    return send_error(fd, req->cmd, rc, reason);
}

static int serve_secret(struct agent *a, int fd, const struct bptee_job_request *req)
{
    struct bptee_peer p;
    char why[256];
    int mfd = -1;
    uint64_t version = 0;
    char reason[512];
    int rc = identify(fd, &p, why, sizeof why);
    if (rc < 0)
        return send_error(fd, req->cmd, rc, bptee_last_error());
    if ((rc = acting_for(a, req, &p, reason, sizeof reason)) < 0)
        return send_error(fd, req->cmd, rc, reason);
    /* The memfd and its version come from one look at the store: a rotation cannot come
     * between them. */
    rc = bptee_secret_store_memfd_version(a->store, req->name, p.measured ? p.measurement_hex : NULL,
                                          p.uid, &mfd, &version);
    if (rc < 0)
        return refuse_secret(a, fd, req, &p, rc, why);
    /* Nothing leaves the agent off the record: a delivery that cannot be logged is refused. */
    if (audit_access(a, BPTEE_AUDIT_DELIVER, req, &p, version, NULL, req->has_for_measurement) < 0) {
        close(mfd);
        return send_error(fd, req->cmd, BPTEE_EIO, "the access log cannot record the delivery");
    }
    struct stat st;
    struct bptee_job_reply rep = {.cmd = req->cmd, .version = version};
    rep.size = fstat(mfd, &st) == 0 ? (uint64_t)st.st_size : 0;
    rc = send_reply(fd, &rep, mfd);
    close(mfd); /* the peer holds its own reference now */
    if (rc == 0)
        agent_log("job socket: secret %s version %llu delivered to pid %d uid %u binary %.16s",
                  req->name, (unsigned long long)version, (int)p.pid, (unsigned)p.uid,
                  p.measured ? p.measurement_hex : "unmeasured");
    return rc;
}

/* VERSION: is the copy a job holds still the current one? The same peer checks as SECRET
 * (allow list, revoked), but no bytes leave, so only a refusal goes on record. */
static int serve_version(struct agent *a, int fd, const struct bptee_job_request *req)
{
    struct bptee_peer p;
    struct bptee_secret_info info;
    char why[256], reason[512];
    int rc = identify(fd, &p, why, sizeof why);
    if (rc < 0)
        return send_error(fd, req->cmd, rc, bptee_last_error());
    if ((rc = acting_for(a, req, &p, reason, sizeof reason)) < 0)
        return send_error(fd, req->cmd, rc, reason);
    rc = bptee_secret_store_check_peer(a->store, req->name, p.measured ? p.measurement_hex : NULL,
                                       p.uid);
    if (rc == 0)
        rc = bptee_secret_store_info(a->store, req->name, &info);
    if (rc < 0)
        return refuse_secret(a, fd, req, &p, rc, why);
    struct bptee_job_reply rep = {.cmd = req->cmd, .version = info.version};
    return send_reply(fd, &rep, -1);
}

static int serve_sign(struct agent *a, int fd, const struct bptee_job_request *req)
{
    struct bptee_peer p;
    char why[256], reason[512];
    struct bptee_job_reply rep = {.cmd = req->cmd};
    int rc = identify(fd, &p, why, sizeof why);
    if (rc < 0)
        return send_error(fd, req->cmd, rc, bptee_last_error());
    if (req->has_for_measurement && !req->has_argv_sha256)
        return send_error(fd, req->cmd, BPTEE_EINVAL,
                          "a SIGN for another binary needs its "
                          "argv digest");
    if ((rc = acting_for(a, req, &p, reason, sizeof reason)) < 0)
        return send_error(fd, req->cmd, rc, reason);
    if (!p.measured) {
        snprintf(reason, sizeof reason, "cannot measure the peer's binary: %s", why);
        agent_log("job socket: SIGN refused to pid %d: %s", (int)p.pid, reason);
        return send_error(fd, req->cmd, BPTEE_EDENIED, reason);
    }
    memcpy(rep.measurement, p.measurement, 32);
    memcpy(rep.result_sha256, req->result_sha256, 32);
    if (req->has_argv_sha256)
        memcpy(rep.argv_sha256, req->argv_sha256, 32);
    else if ((rc = bptee_peer_measure_cmdline(p.pid, rep.argv_sha256)) < 0)
        return send_error(fd, req->cmd, rc, bptee_last_error());
    rc = bptee_job_result_sign(a->key, rep.result_sha256, rep.measurement, rep.argv_sha256,
                               req->job_id, rep.signature);
    if (rc < 0)
        return send_error(fd, req->cmd, rc, bptee_last_error());
    agent_log("job socket: result of job %s signed for pid %d binary %.16s", req->job_id,
              (int)p.pid, p.measurement_hex);
    return send_reply(fd, &rep, -1);
}

/* ATTEST and REFRESH: the line, then the evidence JSON (base64 byte fields: compact). */
static int serve_attest(struct agent *a, int fd, const struct bptee_job_request *req)
{
    struct bptee_job_reply rep = {.cmd = req->cmd};
    char *json = NULL;
    if (req->cmd == BPTEE_JOB_REFRESH) {
        if (agent_refresh_key(a) < 0)
            return send_error(fd, req->cmd, BPTEE_EIO, bptee_last_error());
        agent_log("job socket: signing key re-attested");
    }
    int rc = bptee_signing_key_evidence_json(a->key, 0, &json);
    if (rc < 0)
        return send_error(fd, req->cmd, rc, bptee_last_error());
    rep.length = strlen(json);
    bptee_signing_key_public(a->key, rep.public_key);
    rc = send_reply(fd, &rep, -1);
    if (rc == 0)
        rc = bptee_job_send(fd, json, rep.length, -1);
    bptee_free(json);
    return rc;
}

/* One request line; a negative return ends the connection. */
static int serve_line(struct agent *a, int fd, const char *line, size_t len)
{
    struct bptee_job_request req;
    int rc = bptee_job_request_parse(line, len, &req);
    if (rc < 0)
        return send_error(fd, 0, rc, bptee_last_error());
    switch (req.cmd) {
    case BPTEE_JOB_PING: {
        struct bptee_job_reply rep = {.cmd = req.cmd, .protocol = BPTEE_JOB_PROTOCOL_VERSION};
        return send_reply(fd, &rep, -1);
    }
    case BPTEE_JOB_SECRET:
        return serve_secret(a, fd, &req);
    case BPTEE_JOB_VERSION:
        return serve_version(a, fd, &req);
    case BPTEE_JOB_SIGN:
        return serve_sign(a, fd, &req);
    default:
        return serve_attest(a, fd, &req);
    }
}

static void *conn_main(void *arg)
{
    struct jobconn *c = arg;
    char line[BPTEE_JOB_LINE_MAX + 1];
    for (;;) {
        size_t len = 0;
        int rc = bptee_job_read_line(c->fd, line, sizeof line, &len, NULL);
        if (rc == BPTEE_ELIMIT) /* out of step with the peer: say why, then hang up */
            send_error(c->fd, 0, rc, bptee_last_error());
        if (rc < 0 || serve_line(c->js->a, c->fd, line, len) < 0)
            break;
    }
    shutdown(c->fd, SHUT_RDWR); /* the peer sees the end now; close waits for the reaper */
    pthread_mutex_lock(&c->js->lock);
    c->done = true;
    pthread_mutex_unlock(&c->js->lock);
    return NULL;
}

/* Join finished connections and free their slots. Caller holds the lock. */
static void reap_locked(struct jobsock *js)
{
    for (size_t i = 0; i < JOB_CONN_MAX; i++) {
        struct jobconn *c = &js->conns[i];
        if (!c->used || !c->done)
            continue;
        pthread_join(c->thread, NULL);
        close(c->fd);
        c->used = c->done = false;
    }
}

void jobsock_accept(struct jobsock *js)
{
    int fd = accept4(js->fd, NULL, NULL, SOCK_CLOEXEC);
    if (fd < 0)
        return; /* EAGAIN (the peer left) or a transient error: poll again */
    pthread_mutex_lock(&js->lock);
    reap_locked(js);
    struct jobconn *c = NULL;
    for (size_t i = 0; i < JOB_CONN_MAX && !c; i++)
        if (!js->conns[i].used)
            c = &js->conns[i];
    if (c) {
        *c = (struct jobconn){.js = js, .fd = fd, .used = true};
        if (pthread_create(&c->thread, NULL, conn_main, c) != 0) {
            c->used = false;
            c = NULL;
        }
    }
    pthread_mutex_unlock(&js->lock);
    if (!c) {
        send_error(fd, 0, BPTEE_ELIMIT, "too many job connections; try again");
        close(fd);
    }
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

static int listen_at(struct sockaddr_un *sa)
{
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0)
        return -1;
    mode_t old = umask(0177); /* born 0600: no window in which others may connect */
    int rc = bind(fd, (struct sockaddr *)sa, sizeof *sa);
    umask(old);
    if (rc != 0 || chmod(sa->sun_path, 0600) != 0 || listen(fd, 64) != 0) {
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
    strcpy(sa.sun_path, path);
    if (clear_path(path, &sa) < 0)
        return -1;
    struct jobsock *js = calloc(1, sizeof *js);
    if (!js || !(js->path = strdup(path)) || pthread_mutex_init(&js->lock, NULL) != 0) {
        if (js)
            free(js->path);
        free(js);
        return -1;
    }
    js->a = a;
    js->fd = listen_at(&sa);
    if (js->fd < 0 || stat(path, &st) != 0) {
        fprintf(stderr, "bptee: agent: --socket %s: %s\n", path, strerror(errno));
        if (js->fd >= 0)
            close(js->fd);
        pthread_mutex_destroy(&js->lock);
        free(js->path);
        free(js);
        return -1;
    }
    js->dev = st.st_dev;
    js->ino = st.st_ino;
    *out = js;
    return 0;
}

int jobsock_fd(const struct jobsock *js)
{
    return js->fd;
}

void jobsock_close(struct jobsock *js)
{
    struct stat st;
    if (!js)
        return;
    close(js->fd);
    /* Remove the file only if it is still ours (not one a later agent bound). */
    if (stat(js->path, &st) == 0 && st.st_dev == js->dev && st.st_ino == js->ino)
        unlink(js->path);
    pthread_mutex_lock(&js->lock);
    for (size_t i = 0; i < JOB_CONN_MAX; i++)
        if (js->conns[i].used) /* wakes a thread blocked reading: it sees end of stream */
            shutdown(js->conns[i].fd, SHUT_RDWR);
    pthread_mutex_unlock(&js->lock);
    for (size_t i = 0; i < JOB_CONN_MAX; i++) {
        struct jobconn *c = &js->conns[i];
        if (!c->used)
            continue;
        pthread_join(c->thread, NULL);
        close(c->fd);
        c->used = false;
    }
    pthread_mutex_destroy(&js->lock);
    free(js->path);
    free(js);
}
