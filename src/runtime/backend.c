// SPDX-License-Identifier: Apache-2.0
/* The backend interface (blueprint-tee's TeeRuntimeBackend: deploy, attest, status, stop,
 * destroy) over process deployments. A backend keeps its live deployments, so that
 * provisioning an id again returns the deployment (and the attestation) it already has: a
 * TEE deployment is never recreated behind its owner's back. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "runtime/runtime_private.h"
#include "runtime/sandbox.h"
#include "util/error.h"

const char *bptee_deployment_status_name(int status)
{
    static const char *const names[] = {"provisioning", "running", "stopping", "stopped",
                                        "failed"};
    return status >= 0 && status < (int)(sizeof names / sizeof names[0]) ? names[status] : NULL;
}

static void free_deployment(struct bptee_deployment *d);

void bptee_backend_free(struct bptee_backend *b)
{
    if (!b)
        return;
    while (b->deployments) /* whoever still holds one: the backend's jobs end with it */
        free_deployment(b->deployments);
    if (b->ops->free_state)
        b->ops->free_state(b->state);
    pthread_mutex_destroy(&b->lock);
    free(b);
}

const char *bptee_backend_name(const struct bptee_backend *b)
{
    return b ? b->name : NULL;
}

int bptee_backend_provider(const struct bptee_backend *b)
{
    return b ? b->provider : -1;
}

int bptee_backend_simulated(const struct bptee_backend *b)
{
    return b && b->simulated;
}

int bptee_backend_mode(const struct bptee_backend *b)
{
    return b ? b->mode : -1;
}

static struct bptee_deployment *live(const struct bptee_backend *b, const char *id)
{
    for (struct bptee_deployment *d = b->deployments; id && d; d = d->next)
        if (!strcmp(d->id, id))
            return d;
    return NULL;
}

static void unlink_deployment(struct bptee_deployment *d)
{
    for (struct bptee_deployment **p = &d->backend->deployments; *p; p = &(*p)->next) {
        if (*p == d) {
            *p = d->next;
            return;
        }
    }
}

/* The provision-time attestation: a deployment that cannot be attested is undone. */
static int attest_on_deploy(struct bptee_deployment *d, const struct bptee_deploy_request *r)
{
    struct bptee_report *report = NULL;
    int rc = bptee_deployment_attest(d, r->report_data, r->report_data_len, &report);
    bptee_report_free(report); /* the deployment keeps its own copy */
    if (rc < 0)
        return fail(rc, "tee deployment failed: %s: attestation at provision time: %s", d->id,
                    bptee_last_error());
    return 0;
}

/* [A-Za-z0-9._:-]{1,63}: kept whole (a cut id would never match on re-provisioning) and
 * safe in JSON, logs and the job's environment. */
static int check_id(const char *id)
{
    size_t n = strlen(id);
    if (n == 0 || n >= sizeof((struct bptee_deployment *)0)->id ||
        strspn(id, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._:-") != n)
        return fail(BPTEE_EINVAL, "deploy: deployment id '%.70s%s': 1 to 63 of A-Z a-z 0-9 . _ "
                    ": -", id, n > 70 ? "..." : "");
    return 0;
}

/* Re-provisioning: the same deployment, one more holder; asked for a provision-time
 * attestation it never got, it is attested now (and undone by nobody: it already ran). */
static int reprovision(struct bptee_deployment *d, const struct bptee_deploy_request *r,
                       struct bptee_deployment **out)
{
    if (r->attest_on_deploy && !d->cached) {
        int rc = attest_on_deploy(d, r);
        if (rc < 0)
            return rc;
    }
    d->refs++;
    *out = d;
    return 1;
}

static int deploy_locked(struct bptee_backend *b, const struct bptee_deploy_request *r,
                         struct bptee_deployment **out)
{
    struct bptee_deployment *d = live(b, r->deployment_id);
    if (d)
        return reprovision(d, r, out);
    if (!(d = calloc(1, sizeof *d)))
        return fail(BPTEE_ENOMEM, "deploy: out of memory");
    d->backend = b;
    d->status = BPTEE_DEPLOYMENT_PROVISIONING;
    d->report_fd = -1;
    d->refs = 1;
    int rc = b->ops->deploy(b, r, d);
    if (rc < 0) {
        free(d);
        return rc;
    }
    d->sandboxed = r->sandbox != NULL;
    d->next = b->deployments;
    b->deployments = d;
    if (r->attest_on_deploy && (rc = attest_on_deploy(d, r)) < 0) {
        char why[512];
        snprintf(why, sizeof why, "%s", bptee_last_error());
        free_deployment(d);
        return fail(rc, "%s", why);
    }
    *out = d;
    return 0;
}

int bptee_backend_deploy(struct bptee_backend *b, const struct bptee_deploy_request *req,
                         struct bptee_deployment **out)
{
    if (!b || !req || !out || req->sz < sizeof(size_t))
        return fail(BPTEE_EINVAL, "deploy: missing argument");
    struct bptee_deploy_request r = {0};
    memcpy(&r, req, req->sz < sizeof r ? req->sz : sizeof r);
    if (r.attest_on_deploy && r.report_data_len > 64)
        return fail(BPTEE_EINVAL, "deploy: report_data is %zu bytes (at most 64)",
                    r.report_data_len);
    if (r.deployment_id && check_id(r.deployment_id) < 0)
        return BPTEE_EINVAL;
    /* Held from the lookup to the insert: two deploys of one id start one job. */
    pthread_mutex_lock(&b->lock);
    int rc = deploy_locked(b, &r, out);
    pthread_mutex_unlock(&b->lock);
    return rc;
}

int bptee_deployment_attest(struct bptee_deployment *d, const uint8_t *report_data, size_t len,
                            struct bptee_report **out)
{
    if (!d || !out)
        return fail(BPTEE_EINVAL, "attest: missing argument");
    if (!d->backend->ops->attest)
        return fail(BPTEE_EUNSUPPORTED, "attest: backend %s cannot attest", d->backend->name);
    int rc = d->backend->ops->attest(d, report_data, len, out);
    if (rc == 0 && !d->cached && bptee_report_dup(*out, &d->cached) < 0) {
        bptee_report_free(*out);
        *out = NULL;
        return BPTEE_ENOMEM;
    }
    return rc;
}

int bptee_deployment_cached_attestation(const struct bptee_deployment *d,
                                        const struct bptee_report **out)
{
    if (!d || !out)
        return fail(BPTEE_EINVAL, "cached attestation: missing argument");
    if (!d->cached)
        return fail(BPTEE_ENOTFOUND, "deployment %s has no attestation yet", d->id);
    *out = d->cached;
    return 0;
}

static void describe_end(struct bptee_deployment *d)
{
    int ws = d->wstatus;
    char *r = d->end_reason;
    size_t cap = sizeof d->end_reason;
    unsigned long long limit = (unsigned long long)d->memory_limit;
    if (d->memory_exceeded && WIFEXITED(ws)) /* a process of it stopped, the job went on */
        snprintf(r, cap, "memory limit exceeded: the kernel killed a process of the job at its "
                 "limit of %llu bytes, and the job exited with status %d", limit,
                 WEXITSTATUS(ws));
    else if (d->memory_exceeded)
        snprintf(r, cap, "memory limit exceeded: the kernel stopped the job at its limit of "
                 "%llu bytes", limit);
    else if (WIFEXITED(ws))
        snprintf(r, cap, "exited with status %d", WEXITSTATUS(ws));
    else
        snprintf(r, cap, "killed by signal %d%s", WIFSIGNALED(ws) ? WTERMSIG(ws) : 0,
                 d->oom == JOB_OOM_ELSEWHERE ? " (the kernel's OOM killer: memory ran out "
                                                "above the job's own limit)"
                 : d->stop_requested ? " after stop"
                                     : "");
}

void deployment_reaped(struct bptee_deployment *d, int wstatus)
{
    bool oom_event = false;
    if (d->report_fd >= 0) {
        sandbox_job_status(d->report_fd, &wstatus, &oom_event);
        close(d->report_fd);
        d->report_fd = -1;
    }
    d->reaped = true;
    d->wstatus = wstatus;
    d->oom = job_cgroup_oom(&d->cgroup, oom_event);
    d->memory_exceeded = d->oom == JOB_OOM_OWN_LIMIT;
    /* Kept for destroy to try again if it cannot go yet; the job has ended either way. */
    if (job_cgroup_remove(&d->cgroup) < 0)
        bptee_clear_error();
    bool ok = WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0;
    d->status = !d->memory_exceeded && (ok || d->stop_requested) ? BPTEE_DEPLOYMENT_STOPPED
                                                                  : BPTEE_DEPLOYMENT_FAILED;
    describe_end(d);
}

const char *bptee_deployment_end_reason(struct bptee_deployment *d)
{
    if (!d || bptee_deployment_status(d) < 0 || !d->reaped)
        return NULL;
    return d->end_reason;
}

int bptee_deployment_memory_exceeded(struct bptee_deployment *d)
{
    return d && bptee_deployment_status(d) >= 0 && d->memory_exceeded;
}

const char *bptee_deployment_memory_enforcement(const struct bptee_deployment *d)
{
    return d ? d->memory_how : NULL;
}

const char *bptee_deployment_memory_note(const struct bptee_deployment *d)
{
    return d && d->memory_how && !strcmp(d->memory_how, "rlimit") ? d->memory_note : NULL;
}

int bptee_deployment_status(struct bptee_deployment *d)
{
    if (!d)
        return fail(BPTEE_EINVAL, "status: missing deployment");
    if (d->reaped)
        return d->status;
    int ws = 0;
    pid_t r = waitpid(d->pid, &ws, WNOHANG);
    if (r == d->pid)
        deployment_reaped(d, ws);
    else if (r < 0 && errno != EINTR)
        return fail(BPTEE_EIO, "status: %s: waitpid: %s", d->id, strerror(errno));
    return d->status;
}

int bptee_deployment_signal(struct bptee_deployment *d, int sig)
{
    if (!d)
        return fail(BPTEE_EINVAL, "signal: missing deployment");
    if (d->reaped)
        return fail(BPTEE_EINVAL, "signal: %s has already ended", d->id);
    if (kill(d->pid, sig) < 0)
        return fail(BPTEE_EIO, "signal: %s: %s", d->id, strerror(errno));
    return 0;
}

int bptee_deployment_stop(struct bptee_deployment *d)
{
    int rc = bptee_deployment_signal(d, SIGTERM);
    if (rc < 0)
        return rc;
    d->stop_requested = true;
    d->status = BPTEE_DEPLOYMENT_STOPPING;
    return 0;
}

int bptee_deployment_wait(struct bptee_deployment *d, int *wstatus)
{
    if (!d)
        return fail(BPTEE_EINVAL, "wait: missing deployment");
    while (!d->reaped) {
        int ws = 0;
        pid_t r = waitpid(d->pid, &ws, 0);
        if (r == d->pid)
            deployment_reaped(d, ws);
        else if (r < 0 && errno != EINTR)
            return fail(BPTEE_EIO, "wait: %s: waitpid: %s", d->id, strerror(errno));
    }
    if (wstatus)
        *wstatus = d->wstatus;
    return 0;
}

void bptee_deployment_destroy(struct bptee_deployment *d)
{
    if (!d)
        return;
    struct bptee_backend *b = d->backend;
    pthread_mutex_lock(&b->lock);
    bool last = --d->refs == 0;
    if (last)
        unlink_deployment(d);
    pthread_mutex_unlock(&b->lock);
    if (last)
        free_deployment(d);
}

/* Kill what still runs, reap it, remove its cgroup, free it (unlinked first if need be). */
static void free_deployment(struct bptee_deployment *d)
{
    unlink_deployment(d);
    if (!d->reaped && kill(d->pid, SIGKILL) == 0)
        bptee_deployment_wait(d, NULL);
    if (d->report_fd >= 0)
        close(d->report_fd);
    if (job_cgroup_remove(&d->cgroup) < 0)
        bptee_clear_error(); /* destroy has no error to return */
    bptee_report_free(d->cached);
    free(d);
}

const char *bptee_deployment_id(const struct bptee_deployment *d)
{
    return d ? d->id : NULL;
}

int32_t bptee_deployment_pid(const struct bptee_deployment *d)
{
    return d ? (int32_t)d->pid : -1;
}
