// SPDX-License-Identifier: Apache-2.0
/* Pushes to keepers (docs/protocol.md, "WATCH"): when a secret rotates or is revoked, every
 * `bptee run` that keeps a job holding it hears of it before the owner's request returns, so
 * the job's view never serves a version the agent no longer grants. The thread that changed
 * the secret writes the push and reads the ACK itself, under the connection's io lock; the
 * connection's own thread only waits for hang-up (poll POLLRDHUP), so it never takes an ACK.
 * A keeper that does not answer within WATCH_ACK_MS, or answers anything else, is cut off
 * (its connection shut down: the keeper voids its view at EOF), logged and put on record. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "agentd/daemon.h"

/* Keepers one change reaches (more watching the same name are cut off, loudly). */
#define WATCHERS_MAX 256

static long long now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static void record(struct agent *a, const struct grant *k, int event, const char *name,
                   uint64_t version, const char *detail)
{
    struct bptee_audit_entry e = {.event = event, .name = name, .version = version,
                                  .has_peer = true, .pid = k->root, .uid = k->uid,
                                  .has_measurement = true, .job_id = k->job_id,
                                  .detail = detail};
    memcpy(e.measurement, k->measurement, 32);
    agent_audit(a, &e);
}

static void cut_off(struct agent *a, struct grant *k, const char *name, const char *why)
{
    char detail[256];
    shutdown(k->conn, SHUT_RDWR); /* its thread sees the hang-up and ends the grant */
    snprintf(detail, sizeof detail, "keeper of job %s cut off: %s", k->job_id, why);
    agent_log("job socket: pid %d: %s (secret %s)", (int)k->root, detail, name);
    record(a, k, BPTEE_AUDIT_DENY, name, 0, detail);
}

/* Send k its push for name: CHANGED with a memfd judged as a SECRET for the job's binary
 * and the keeper's uid, or REVOKED. *version: what the ACK must name (0 for REVOKED). */
static int push(struct agent *a, struct grant *k, const char *name, uint64_t *version)
{
    struct bptee_job_push p = {.kind = BPTEE_JOB_PUSH_CHANGED};
    struct bptee_secret_delivery d = {.fd = -1};
    char hex[BPTEE_DIGEST_HEX_SIZE], line[BPTEE_JOB_LINE_MAX + 1], detail[200];
    size_t len = 0;
    snprintf(p.name, sizeof p.name, "%s", name);
    sodium_bin2hex(hex, sizeof hex, k->measurement, 32);
    int rc = bptee_secret_store_deliver(a->store, name, hex, k->uid, &d);
    if (rc == 0) {
        snprintf(detail, sizeof detail, "pushed to the keeper of job %s", k->job_id);
        record(a, k, BPTEE_AUDIT_DELIVER, name, d.version, detail);
        p.size = d.size;
        p.version = d.version;
    } else {
        p.kind = BPTEE_JOB_PUSH_REVOKED;
        p.error = rc;
        snprintf(p.reason, sizeof p.reason, "%s", bptee_last_error());
    }
    *version = p.kind == BPTEE_JOB_PUSH_CHANGED ? p.version : 0;
    rc = bptee_job_push_format(&p, line, sizeof line, &len);
    if (rc == 0)
        rc = bptee_job_send(k->conn, line, len, d.fd);
    if (d.fd >= 0)
        close(d.fd);
    if (rc == 0)
        agent_log("job socket: %s %s version %llu pushed to the keeper of job %s (pid %d)",
                  p.kind == BPTEE_JOB_PUSH_CHANGED ? "rotation of" : "revocation of", name,
                  (unsigned long long)p.version, k->job_id, (int)k->root);
    return rc;
}

/* The keeper's "ACK <name> <version>" by the deadline; why set otherwise. */
static bool acked(struct grant *k, const char *name, uint64_t version, long long deadline,
                  char *why, size_t cap)
{
    char line[BPTEE_JOB_LINE_MAX + 1];
    size_t len = 0;
    long long left = deadline - now_ms();
    struct timeval tv = {.tv_sec = left > 0 ? left / 1000 : 0,
                         .tv_usec = left > 0 ? (left % 1000) * 1000 : 1};
    struct pollfd pf = {.fd = k->conn, .events = POLLIN};
    struct bptee_job_request req;
    if (left <= 0 || poll(&pf, 1, (int)left) != 1 || !(pf.revents & POLLIN)) {
        snprintf(why, cap, "no ACK within %d ms", WATCH_ACK_MS);
        return false;
    }
    setsockopt(k->conn, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    if (bptee_job_read_line(k->conn, line, sizeof line, &len, NULL) < 0 ||
        bptee_job_request_parse(line, len, &req) < 0 || req.cmd != BPTEE_JOB_ACK ||
        strcmp(req.name, name) != 0 || req.version != version) {
        snprintf(why, cap, "answered something other than \"ACK %s %llu\"", name,
                 (unsigned long long)version);
        return false;
    }
    return true;
}

void watch_notify(struct agent *a, const char *name)
{
    struct grant *w[WATCHERS_MAX];
    uint64_t version[WATCHERS_MAX];
    bool sent[WATCHERS_MAX];
    char why[200];
    size_t n = grants_watchers(a->grants, name, w, WATCHERS_MAX);
    long long deadline = now_ms() + WATCH_ACK_MS;
    /* every push out first, then the ACKs against one deadline: a silent keeper costs the
     * owner's request WATCH_ACK_MS at most, however many there are */
    for (size_t i = 0; i < n; i++) {
        pthread_mutex_lock(&w[i]->io);
        sent[i] = push(a, w[i], name, &version[i]) == 0;
        if (!sent[i])
            cut_off(a, w[i], name, "the push cannot be sent");
    }
    for (size_t i = 0; i < n; i++) {
        if (sent[i] && !acked(w[i], name, version[i], deadline, why, sizeof why))
            cut_off(a, w[i], name, why);
        else if (sent[i] && version[i] == 0) /* revoked for this job: the grant is over */
            grants_keeper_drop(a->grants, w[i], name);
        else if (sent[i])
            grants_keeper_add(a->grants, w[i], name, version[i]);
        pthread_mutex_unlock(&w[i]->io);
        grants_release(a->grants, w[i]);
    }
}

void watch_catch_up(struct agent *a, struct grant *k)
{
    char (*names)[BPTEE_SECRET_NAME_MAX + 1] = malloc(WATCHERS_MAX * sizeof *names);
    uint64_t held[WATCHERS_MAX];
    char why[200];
    if (!names)
        return;
    size_t n = grants_keeper_names(a->grants, k, names, held, WATCHERS_MAX);
    for (size_t i = 0; i < n; i++) {
        struct bptee_secret_info info;
        uint64_t version = 0;
        if (bptee_secret_store_info(a->store, names[i], &info) == 0 && !info.revoked &&
            info.version == held[i])
            continue; /* unchanged since the keeper fetched it */
        pthread_mutex_lock(&k->io);
        bool ok = push(a, k, names[i], &version) == 0 &&
                  acked(k, names[i], version, now_ms() + WATCH_ACK_MS, why, sizeof why);
        if (!ok)
            cut_off(a, k, names[i], "no ACK for a change before WATCH");
        else if (version == 0)
            grants_keeper_drop(a->grants, k, names[i]);
        else
            grants_keeper_add(a->grants, k, names[i], version);
        pthread_mutex_unlock(&k->io);
        if (!ok)
            break;
    }
    free(names);
}
