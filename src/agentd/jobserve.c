// SPDX-License-Identifier: Apache-2.0
/* The job socket's requests (docs/protocol.md), one line at a time: SECRET, VERSION, SIGN,
 * ATTEST and REFRESH, RESULT (result.c), PING, and the grants: JOB, WATCH, GRANT. The peer is
 * identified for every request (SO_PEERCRED and the measurement of /proc/PID/exe), so a
 * process that execs another binary is judged as what it is now. SECRET, VERSION, SIGN and
 * RESULT are served only to processes of a registered job (grants.c), or to the agent's own
 * binary, which registers them (JOB, WATCH, GRANT: jobgrant.c). jobsock.c owns the socket and
 * its threads. */
#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agentd/daemon.h"

int jobsock_send_reply(int fd, const struct bptee_job_reply *rep, int pass_fd)
{
    char line[BPTEE_JOB_LINE_MAX + 1];
    size_t len = 0;
    if (bptee_job_reply_format(rep, line, sizeof line, &len) < 0)
        return -1;
    return bptee_job_send(fd, line, len, pass_fd);
}

int jobsock_send_error(int fd, int cmd, int code, const char *reason)
{
    struct bptee_job_reply rep = {.cmd = cmd, .error = code ? code : BPTEE_EIO};
    snprintf(rep.reason, sizeof rep.reason, "%s", reason);
    return jobsock_send_reply(fd, &rep, -1);
}

/* The peer, pinned by *pidfd (the caller's to close), or a logged refusal. why receives the
 * reason for a refusal, or why the binary was not measured. */
int jobsock_identify(const struct job_session *s, struct bptee_peer *peer, int *pidfd, char *why,
                     size_t cap)
{
    int rc = peer_identify(s->fd, &s->cred, peer, pidfd, why, cap);
    if (rc < 0)
        agent_log("job socket: peer refused: %s", why);
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

/* Is the peer running the agent's own binary (`bptee run`, `bptee grant`)? */
bool jobsock_is_self(const struct agent *a, const struct bptee_peer *p)
{
    return p->measured && a->self_measured &&
           sodium_memcmp(p->measurement, a->self_measurement, 32) == 0;
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

/* Is the peer a process of a job granted req's secret (SECRET, VERSION) or req's job id
 * (SIGN, RESULT)? The agent's own binary is exempt: it registers jobs. A refusal is logged,
 * put on record and its reason written to reason. */
static int granted(struct agent *a, int pidfd, const struct bptee_job_request *req,
                   const struct bptee_peer *p, char *reason, size_t cap)
{
    bool by_name = req->cmd == BPTEE_JOB_SECRET || req->cmd == BPTEE_JOB_VERSION;
    if (jobsock_is_self(a, p) || grants_check(a->grants, pidfd, p->pid, by_name ? req->name : NULL,
                                      by_name ? NULL : req->job_id, NULL, 0) == 0)
        return 0;
    snprintf(reason, cap,
             "pid %d (uid %u, binary %s) is not a process of a job registered for %s %s",
             (int)p->pid, (unsigned)p->uid, p->measured ? p->measurement_hex : "unmeasured",
             by_name ? "secret" : "job", by_name ? req->name : req->job_id);
    agent_log("job socket: refused: %s", reason);
    struct bptee_job_request named = *req; /* SIGN, RESULT name no secret: "-" on record */
    if (!named.name[0])
        memcpy(named.name, "-", 2);
    audit_access(a, BPTEE_AUDIT_DENY, &named, p, 0, reason, false);
    return BPTEE_EDENIED;
}

/* A delegated SECRET or VERSION (the measurement word) comes from the keeper of that job:
 * the JOB on this connection names the same binary (and, for SECRET, the same job id). */
static int keeper_of(struct agent *a, const struct job_session *s,
                     const struct bptee_job_request *req, const struct bptee_peer *p,
                     char *reason, size_t cap)
{
    const struct grant *k = s->job;
    if (k && sodium_memcmp(k->measurement, req->for_measurement, 32) == 0 &&
        (req->cmd != BPTEE_JOB_SECRET || !strcmp(k->job_id, req->job_id)))
        return 0;
    if (k)
        snprintf(reason, cap, "secret %s for job %s: this connection keeps job %s (another "
                 "binary or job id)", req->name, req->job_id[0] ? req->job_id : "(none)",
                 k->job_id);
    else
        snprintf(reason, cap, "secret %s for job %s: no job registered on this connection",
                 req->name, req->job_id[0] ? req->job_id : "(none)");
    agent_log("job socket: refused to pid %d: %s", (int)p->pid, reason);
    audit_access(a, BPTEE_AUDIT_DENY, req, p, 0, reason, true);
    return BPTEE_EDENIED;
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
    return jobsock_send_error(fd, req->cmd, rc, reason);
}

/* Who may ask for req at all: a delegated request from the keeper of its job, any other
 * from a process of a job granted it (p pinned by pidfd). */
static int admit(struct agent *a, const struct job_session *s, const struct bptee_job_request *req,
                 struct bptee_peer *p, int pidfd, char *reason, size_t cap)
{
    bool delegated = req->has_for_measurement;
    int rc = acting_for(a, req, p, reason, cap);
    if (rc == 0 && delegated && req->cmd != BPTEE_JOB_SIGN)
        rc = keeper_of(a, s, req, p, reason, cap);
    else if (rc == 0 && !delegated)
        rc = granted(a, pidfd, req, p, reason, cap);
    return rc;
}

static int serve_secret(struct agent *a, int page, struct job_session *s,
                        const struct bptee_job_request *req, int *pidfd)
{
    struct bptee_peer p;
    struct bptee_secret_delivery d;
    char why[256];
    char reason[512];
    int fd = s->fd;
    int rc = jobsock_identify(s, &p, pidfd, why, sizeof why);
    if (rc < 0)
        return jobsock_send_error(fd, req->cmd, rc, why);
    if ((rc = admit(a, s, req, &p, *pidfd, reason, sizeof reason)) < 0)
        return jobsock_send_error(fd, req->cmd, rc, reason);
    /* The memfd, its version and slot come from one look at the store: a rotation cannot
     * come between them. */
    rc = bptee_secret_store_deliver(a->store, req->name, p.measured ? p.measurement_hex : NULL,
                                    p.uid, &d);
    if (rc < 0)
        return refuse_secret(a, fd, req, &p, rc, why);
    /* Nothing leaves the agent off the record: a delivery that cannot be logged is refused. */
    if (audit_access(a, BPTEE_AUDIT_DELIVER, req, &p, d.version, NULL,
                     req->has_for_measurement) < 0) {
        close(d.fd);
        return jobsock_send_error(fd, req->cmd, BPTEE_EIO,
                                  "the access log cannot record the delivery");
    }
    struct bptee_job_reply rep = {.cmd = req->cmd, .version = d.version, .size = d.size};
    int fds[2] = {d.fd, req->want_slot && d.slot != BPTEE_SECRET_NO_SLOT ? page : -1};
    rep.has_slot = fds[1] >= 0;
    rep.slot = d.slot;
    char line[BPTEE_JOB_LINE_MAX + 1];
    size_t len = 0;
    rc = bptee_job_reply_format(&rep, line, sizeof line, &len);
    if (rc == 0)
        rc = bptee_job_send_fds(fd, line, len, fds, rep.has_slot ? 2 : 1);
    close(d.fd); /* the peer holds its own reference now */
    if (rc == 0 && req->has_for_measurement && grants_keeper_add(a->grants, s->job, req->name,
                                                                 d.version) < 0)
        agent_log("job socket: job %s holds too many secrets to hear of %s's changes",
                  s->job->job_id, req->name);
    if (rc == 0)
        agent_log("job socket: secret %s version %llu delivered to pid %d uid %u binary %.16s",
                  req->name, (unsigned long long)d.version, (int)p.pid, (unsigned)p.uid,
                  p.measured ? p.measurement_hex : "unmeasured");
    return rc;
}

/* VERSION: is the copy a job holds still the current one? The same peer checks as SECRET
 * (allow list, revoked), but no bytes leave, so only a refusal goes on record. */
static int serve_version(struct agent *a, const struct job_session *s,
                         const struct bptee_job_request *req, int *pidfd)
{
    struct bptee_peer p;
    struct bptee_secret_info info;
    char why[256], reason[512];
    int fd = s->fd;
    int rc = jobsock_identify(s, &p, pidfd, why, sizeof why);
    if (rc < 0)
        return jobsock_send_error(fd, req->cmd, rc, why);
    if ((rc = admit(a, s, req, &p, *pidfd, reason, sizeof reason)) < 0)
        return jobsock_send_error(fd, req->cmd, rc, reason);
    rc = bptee_secret_store_check_peer(a->store, req->name, p.measured ? p.measurement_hex : NULL,
                                       p.uid);
    if (rc == 0)
        rc = bptee_secret_store_info(a->store, req->name, &info);
    if (rc < 0)
        return refuse_secret(a, fd, req, &p, rc, why);
    struct bptee_job_reply rep = {.cmd = req->cmd, .version = info.version};
    return jobsock_send_reply(fd, &rep, -1);
}

static int serve_sign(struct agent *a, const struct job_session *s,
                      const struct bptee_job_request *req, int *pidfd)
{
    struct bptee_peer p;
    char why[256], reason[512];
    struct bptee_job_reply rep = {.cmd = req->cmd};
    int fd = s->fd;
    int rc = jobsock_identify(s, &p, pidfd, why, sizeof why);
    if (rc < 0)
        return jobsock_send_error(fd, req->cmd, rc, why);
    if (req->has_for_measurement && !req->has_argv_sha256)
        return jobsock_send_error(fd, req->cmd, BPTEE_EINVAL,
                          "a SIGN for another binary needs its "
                          "argv digest");
    if ((rc = admit(a, s, req, &p, *pidfd, reason, sizeof reason)) < 0)
        return jobsock_send_error(fd, req->cmd, rc, reason);
    if (!p.measured) {
        snprintf(reason, sizeof reason, "cannot measure the peer's binary: %s", why);
        agent_log("job socket: SIGN refused to pid %d: %s", (int)p.pid, reason);
        return jobsock_send_error(fd, req->cmd, BPTEE_EDENIED, reason);
    }
    memcpy(rep.measurement, p.measurement, 32);
    memcpy(rep.result_sha256, req->result_sha256, 32);
    if (req->has_argv_sha256)
        memcpy(rep.argv_sha256, req->argv_sha256, 32);
    else if ((rc = bptee_peer_measure_cmdline(p.pid, rep.argv_sha256)) < 0)
        return jobsock_send_error(fd, req->cmd, rc, bptee_last_error());
    rc = bptee_job_result_sign(a->key, rep.result_sha256, rep.measurement, rep.argv_sha256,
                               req->job_id, rep.signature);
    if (rc < 0)
        return jobsock_send_error(fd, req->cmd, rc, bptee_last_error());
    agent_log("job socket: result of job %s signed for pid %d binary %.16s", req->job_id,
              (int)p.pid, p.measurement_hex);
    return jobsock_send_reply(fd, &rep, -1);
}

/* ATTEST and REFRESH: the line, then the evidence JSON (base64 byte fields: compact). */
static int serve_attest(struct agent *a, int fd, const struct bptee_job_request *req)
{
    struct bptee_job_reply rep = {.cmd = req->cmd};
    char *json = NULL;
    if (req->cmd == BPTEE_JOB_REFRESH) {
        if (agent_refresh_key(a) < 0)
            return jobsock_send_error(fd, req->cmd, BPTEE_EIO, bptee_last_error());
        agent_log("job socket: signing key re-attested");
    }
    int rc = bptee_signing_key_evidence_json(a->key, 0, &json);
    if (rc < 0)
        return jobsock_send_error(fd, req->cmd, rc, bptee_last_error());
    rep.length = strlen(json);
    bptee_signing_key_public(a->key, rep.public_key);
    rc = jobsock_send_reply(fd, &rep, -1);
    if (rc == 0)
        rc = bptee_job_send(fd, json, rep.length, -1);
    bptee_free(json);
    return rc;
}

/* RESULT: attest the job's result file (docs/protocol.md); its descriptors are closed here. */
static int serve_result(struct agent *a, const struct job_session *s,
                        const struct bptee_job_request *req, const int fds[2], int *pidfd)
{
    struct bptee_peer p = {0};
    char why[256], reason[512] = "";
    int fd = s->fd;
    int rc = jobsock_identify(s, &p, pidfd, why, sizeof why);
    if (rc < 0) {
        snprintf(reason, sizeof reason, "%s", why);
    } else if ((rc = granted(a, *pidfd, req, &p, reason, sizeof reason)) < 0) {
        /* reason set, on record */
    } else if (fds[0] < 0 || fds[1] < 0) {
        rc = BPTEE_EINVAL;
        snprintf(reason, sizeof reason, "RESULT needs two descriptors: the result file and its "
                                        "directory");
    } else {
        rc = jobsock_result(a, req, &p, fds, reason, sizeof reason);
    }
    if (rc < 0)
        agent_log("job socket: result of job %s refused to pid %d: %s", req->job_id, (int)p.pid,
                  reason);
    struct bptee_job_reply rep = {.cmd = req->cmd};
    return rc < 0 ? jobsock_send_error(fd, req->cmd, rc, reason) : jobsock_send_reply(fd, &rep, -1);
}

static void close_fds(int fds[BPTEE_JOB_FDS_MAX])
{
    for (size_t i = 0; i < BPTEE_JOB_FDS_MAX; i++)
        if (fds[i] >= 0)
            close(fds[i]);
}

static int serve_request(struct agent *a, int page, struct job_session *s, const char *line,
                         size_t len, int fds[BPTEE_JOB_FDS_MAX], int *pidfd)
{
    struct bptee_job_request req;
    int fd = s->fd;
    int rc = bptee_job_request_parse(line, len, &req);
    if (rc == 0 && req.cmd == BPTEE_JOB_RESULT) {
        rc = serve_result(a, s, &req, fds, pidfd);
        close_fds(fds);
        return rc;
    }
    close_fds(fds);
    if (rc < 0)
        return jobsock_send_error(fd, 0, rc, bptee_last_error());
    switch (req.cmd) {
    case BPTEE_JOB_PING: {
        struct bptee_job_reply rep = {.cmd = req.cmd, .protocol = BPTEE_JOB_PROTOCOL_VERSION};
        return jobsock_send_reply(fd, &rep, -1);
    }
    case BPTEE_JOB_SECRET:
        return serve_secret(a, page, s, &req, pidfd);
    case BPTEE_JOB_VERSION:
        return serve_version(a, s, &req, pidfd);
    case BPTEE_JOB_SIGN:
        return serve_sign(a, s, &req, pidfd);
    case BPTEE_JOB_REGISTER:
        return jobsock_serve_job(a, s, &req, pidfd);
    case BPTEE_JOB_WATCH:
        return jobsock_serve_watch(a, s, &req);
    case BPTEE_JOB_GRANT:
        return jobsock_serve_grant(a, s, &req, pidfd);
    case BPTEE_JOB_ACK:
        return jobsock_send_error(fd, req.cmd, BPTEE_EINVAL, "ACK without a push (after WATCH)");
    default:
        return serve_attest(a, fd, &req);
    }
}

int jobsock_serve_line(struct agent *a, int page, struct job_session *s, const char *line,
                       size_t len, int fds[BPTEE_JOB_FDS_MAX])
{
    int pidfd = -1; /* the peer's, from identify */
    int rc = serve_request(a, page, s, line, len, fds, &pidfd);
    if (pidfd >= 0)
        close(pidfd);
    return rc;
}
