// SPDX-License-Identifier: Apache-2.0
/* The backend interface (blueprint-tee's TeeRuntimeBackend: deploy, attest, status, stop,
 * destroy) over process deployments, and the registry that finds a backend by name. */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "runtime/runtime_private.h"
#include "runtime/sandbox.h"
#include "util/error.h"

#define REGISTRY_MAX 16

struct bptee_registry {
    struct bptee_backend *backends[REGISTRY_MAX];
    size_t n;
};

const char *bptee_deployment_status_name(int status)
{
    static const char *const names[] = {"provisioning", "running", "stopping", "stopped",
                                        "failed"};
    return status >= 0 && status < (int)(sizeof names / sizeof names[0]) ? names[status] : NULL;
}

void bptee_backend_free(struct bptee_backend *b)
{
    if (!b)
        return;
    if (b->ops->free_state)
        b->ops->free_state(b->state);
    free(b);
}

const char *bptee_backend_name(const struct bptee_backend *b)
{
    return b ? b->name : NULL;
}

int bptee_backend_deploy(struct bptee_backend *b, const struct bptee_deploy_request *req,
                         struct bptee_deployment **out)
{
    if (!b || !req || !out || req->sz < sizeof(size_t))
        return fail(BPTEE_EINVAL, "deploy: missing argument");
    struct bptee_deployment *d = calloc(1, sizeof *d);
    if (!d)
        return fail(BPTEE_ENOMEM, "deploy: out of memory");
    d->backend = b;
    d->status = BPTEE_DEPLOYMENT_PROVISIONING;
    d->report_fd = -1;
    int rc = b->ops->deploy(b, req, d);
    if (rc < 0) {
        free(d);
        return rc;
    }
    *out = d;
    return 0;
}

int bptee_deployment_attest(struct bptee_deployment *d, const uint8_t *report_data, size_t len,
                            struct bptee_report **out)
{
    if (!d || !out)
        return fail(BPTEE_EINVAL, "attest: missing argument");
    if (!d->backend->ops->attest)
        return fail(BPTEE_EUNSUPPORTED, "attest: backend %s cannot attest", d->backend->name);
    return d->backend->ops->attest(d, report_data, len, out);
}

void deployment_reaped(struct bptee_deployment *d, int wstatus)
{
    if (d->report_fd >= 0) {
        sandbox_job_status(d->report_fd, &wstatus);
        close(d->report_fd);
        d->report_fd = -1;
    }
    d->reaped = true;
    d->wstatus = wstatus;
    bool ok = WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0;
    d->status = ok || d->stop_requested ? BPTEE_DEPLOYMENT_STOPPED : BPTEE_DEPLOYMENT_FAILED;
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
    if (!d->reaped && kill(d->pid, SIGKILL) == 0)
        bptee_deployment_wait(d, NULL);
    if (d->report_fd >= 0)
        close(d->report_fd);
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

int bptee_registry_new(struct bptee_registry **out)
{
    if (!out)
        return fail(BPTEE_EINVAL, "registry: missing output");
    *out = calloc(1, sizeof **out);
    return *out ? 0 : fail(BPTEE_ENOMEM, "registry: out of memory");
}

void bptee_registry_free(struct bptee_registry *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->n; i++)
        bptee_backend_free(r->backends[i]);
    free(r);
}

int bptee_registry_register(struct bptee_registry *r, struct bptee_backend *b)
{
    if (!r || !b) {
        bptee_backend_free(b);
        return fail(BPTEE_EINVAL, "registry: missing argument");
    }
    for (size_t i = 0; i < r->n; i++) {
        if (!strcmp(r->backends[i]->name, b->name)) {
            bptee_backend_free(r->backends[i]);
            r->backends[i] = b;
            return 0;
        }
    }
    if (r->n == REGISTRY_MAX) {
        bptee_backend_free(b);
        return fail(BPTEE_ELIMIT, "registry: more than %d backends", REGISTRY_MAX);
    }
    r->backends[r->n++] = b;
    return 0;
}

int bptee_registry_get(const struct bptee_registry *r, const char *name,
                       struct bptee_backend **out)
{
    if (!r || !name || !out)
        return fail(BPTEE_EINVAL, "registry: missing argument");
    for (size_t i = 0; i < r->n; i++) {
        if (!strcmp(r->backends[i]->name, name)) {
            *out = r->backends[i];
            return 0;
        }
    }
    return fail(BPTEE_ENOTFOUND, "no backend registered for '%.64s'", name);
}

size_t bptee_registry_count(const struct bptee_registry *r)
{
    return r ? r->n : 0;
}
