// SPDX-License-Identifier: Apache-2.0
/* The job socket's registrations (docs/protocol.md, "Jobs and their grants"): JOB and WATCH
 * (`bptee run` keeping a job and hearing of its secrets' changes) and GRANT (`bptee grant`, a
 * job started by hand). Only the agent's own binary may send them. */
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "agentd/daemon.h"

/* The first 16 hex digits of a measurement, for log lines. */
static const char *line_hex(const uint8_t m[32])
{
    static __thread char hex[17];
    sodium_bin2hex(hex, sizeof hex, m, 8);
    return hex;
}

/* JOB and GRANT come only from the agent's own binary: `bptee run`, `bptee grant`. */
static int from_self(struct agent *a, const struct job_session *s,
                     const struct bptee_job_request *req, struct bptee_peer *p, int *pidfd)
{
    char why[256], reason[512];
    int fd = s->fd;
    int rc = jobsock_identify(s, p, pidfd, why, sizeof why);
    if (rc < 0)
        return jobsock_send_error(fd, req->cmd, rc, why) < 0 ? -1 : 1;
    if (jobsock_is_self(a, p))
        return 0;
    snprintf(reason, sizeof reason, "only the agent's own binary may register a job (pid %d "
             "runs %s)", (int)p->pid, p->measured ? p->measurement_hex : "an unmeasured one");
    agent_log("job socket: refused: %s", reason);
    return jobsock_send_error(fd, req->cmd, BPTEE_EDENIED, reason) < 0 ? -1 : 1;
}

int jobsock_serve_job(struct agent *a, struct job_session *s, const struct bptee_job_request *req,
                      int *pidfd)
{
    struct bptee_peer p;
    char why[256];
    int rc = from_self(a, s, req, &p, pidfd);
    if (rc != 0)
        return rc < 0 ? rc : 0;
    if (s->job) {
        snprintf(why, sizeof why, "this connection already keeps job %s", s->job->job_id);
        return jobsock_send_error(s->fd, req->cmd, BPTEE_EINVAL, why);
    }
    if (!(s->job = grants_keeper(a->grants, s->fd, req->job_id, req->for_measurement, &p, why,
                                 sizeof why)))
        return jobsock_send_error(s->fd, req->cmd, BPTEE_EDENIED, why);
    agent_log("job socket: pid %d keeps job %s (binary %.16s...)", (int)p.pid, req->job_id,
              line_hex(req->for_measurement));
    struct bptee_job_reply rep = {.cmd = req->cmd};
    return jobsock_send_reply(s->fd, &rep, -1);
}

/* WATCH: the OK goes out under the io lock, so no push can come before it. */
int jobsock_serve_watch(struct agent *a, struct job_session *s, const struct bptee_job_request *req)
{
    if (!s->job)
        return jobsock_send_error(s->fd, req->cmd, BPTEE_EINVAL,
                                  "WATCH needs a JOB on this connection first");
    struct bptee_job_reply rep = {.cmd = req->cmd};
    pthread_mutex_lock(&s->job->io);
    grants_set_watch(a->grants, s->job);
    int rc = jobsock_send_reply(s->fd, &rep, -1);
    pthread_mutex_unlock(&s->job->io);
    s->watch = rc == 0;
    agent_log("job socket: the keeper of job %s watches its secrets", s->job->job_id);
    if (rc == 0)
        watch_catch_up(a, s->job);
    return rc;
}

int jobsock_serve_grant(struct agent *a, struct job_session *s, const struct bptee_job_request *req,
                        int *pidfd)
{
    struct bptee_peer p;
    char why[256];
    int rc = from_self(a, s, req, &p, pidfd);
    if (rc != 0)
        return rc < 0 ? rc : 0;
    rc = grants_add(a->grants, req->job_id, req->pid, req->names, why, sizeof why);
    if (rc < 0) {
        agent_log("job socket: GRANT for job %s refused: %s", req->job_id, why);
        return jobsock_send_error(s->fd, req->cmd, rc, why);
    }
    agent_log("job socket: job %s (root pid %d) granted %s, by pid %d", req->job_id,
              (int)req->pid, req->names, (int)p.pid);
    struct bptee_job_reply rep = {.cmd = req->cmd};
    return jobsock_send_reply(s->fd, &rep, -1);
}
