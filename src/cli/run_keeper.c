// SPDX-License-Identifier: Apache-2.0
/* The keeper of a job's secret view: bptee run's connection to the agent for the job's whole
 * life (docs/protocol.md, "Jobs under bptee run"). It registers the job (JOB), fetches each
 * declared secret for the job's binary, registers bptee run's process tree for the job's own
 * requests (GRANT), then WATCHes: the agent pushes every rotation (CHANGED, with the new
 * memfd) and revocation (REVOKED) and waits for our ACK before the owner's request returns,
 * so the view is current before anyone can open it again. When the agent goes away, every
 * path is made void at once (a dead agent vouches for nothing) and the keeper asks again,
 * every KEEPER_RETRY_MS, until a live agent grants the secrets anew. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/run.h"
#include "cli/run_view.h"

#define KEEPER_RETRY_MS 250

struct run_keeper {
    int fd; /* the WATCH connection, -1 while the agent is away */
    const char *socket, *job_id;
    uint8_t measurement[32];
    struct run_view *view;
    const char **names; /* the distinct declared names */
    size_t n_names;
    int *memfds; /* fetched before the view exists, one per name (-1: refused) */
    uint64_t *versions;
    struct timespec retry_at;
};

static void drop_fetched(struct run_keeper *k)
{
    for (size_t i = 0; i < k->n_names; i++) {
        if (k->memfds[i] >= 0)
            close(k->memfds[i]);
        k->memfds[i] = -1;
        k->versions[i] = 0;
    }
}

/* Register, fetch every name (a refusal leaves that name void: the job's open of it fails
 * closed), grant our process tree, and WATCH. On failure the connection is closed. */
static int attach(struct run_keeper *k, bool loud)
{
    int rc = bptee_job_connect(k->socket, &k->fd);
    if (rc < 0) {
        if (loud)
            cli_error("run: the job declares secrets but the agent is unreachable", rc);
        k->fd = -1;
        return -1;
    }
    if ((rc = bptee_job_register(k->fd, k->job_id, k->measurement)) < 0)
        goto fail;
    for (size_t i = 0; i < k->n_names; i++) {
        uint64_t size = 0;
        rc = bptee_job_secret_for_job(k->fd, k->names[i], k->measurement, k->job_id,
                                      &k->memfds[i], &size, &k->versions[i]);
        if (rc < 0) {
            k->memfds[i] = -1;
            k->versions[i] = 0;
            if (rc == BPTEE_EIO)
                goto fail; /* the connection itself failed */
            fprintf(stderr, "bptee: run: secret '%s' is not served to job %s (its paths fail "
                    "with EACCES): %s\n", k->names[i], k->job_id, bptee_last_error());
        }
    }
    rc = bptee_job_grant(k->fd, k->job_id, getpid(), k->names, k->n_names);
    if (rc == 0)
        rc = bptee_job_watch(k->fd);
    if (rc < 0)
        goto fail;
    return 0;
fail:
    if (loud)
        cli_error("run: agent", rc);
    drop_fetched(k);
    close(k->fd);
    k->fd = -1;
    return -1;
}

/* Hand what attach fetched to the view. */
static void serve_fetched(struct run_keeper *k)
{
    for (size_t i = 0; i < k->n_names; i++)
        run_view_set(k->view, k->names[i], k->memfds[i], k->versions[i]);
    drop_fetched(k);
}

static void schedule_retry(struct run_keeper *k)
{
    clock_gettime(CLOCK_MONOTONIC, &k->retry_at);
    k->retry_at.tv_nsec += KEEPER_RETRY_MS * 1000000L;
    if (k->retry_at.tv_nsec >= 1000000000L) {
        k->retry_at.tv_sec++;
        k->retry_at.tv_nsec -= 1000000000L;
    }
}

static void lost(struct run_keeper *k, const char *why)
{
    run_view_void_all(k->view);
    fprintf(stderr, "bptee: run: job %s: the agent is gone (%s): its secrets are void until "
            "an agent grants them again\n", k->job_id, why);
    close(k->fd);
    k->fd = -1;
    schedule_retry(k);
}

static bool declared(const struct run_keeper *k, const char *name)
{
    for (size_t i = 0; i < k->n_names; i++)
        if (!strcmp(k->names[i], name))
            return true;
    return false;
}

/* One push: update the view, then ACK. */
static void on_push(struct run_keeper *k)
{
    struct bptee_job_push push;
    int memfd = -1;
    int rc = bptee_job_push_read(k->fd, &push, &memfd);
    if (rc < 0)
        return lost(k, rc == BPTEE_ENOTFOUND ? "connection closed" : bptee_last_error());
    if (!declared(k, push.name)) {
        if (memfd >= 0)
            close(memfd);
        return lost(k, "a push for a secret the job did not declare");
    }
    bool changed = push.kind == BPTEE_JOB_PUSH_CHANGED;
    uint64_t version = changed ? push.version : 0;
    run_view_set(k->view, push.name, changed ? memfd : -1, version);
    if (memfd >= 0)
        close(memfd);
    if (bptee_job_ack(k->fd, push.name, version) < 0)
        lost(k, "cannot acknowledge");
}

int run_keeper_new(const struct run_job *job, const char *const *names, size_t n,
                   struct run_keeper **out)
{
    struct run_keeper *k = calloc(1, sizeof *k);
    if (!k || !(k->names = calloc(n, sizeof *k->names)) ||
        !(k->memfds = calloc(n, sizeof *k->memfds)) ||
        !(k->versions = calloc(n, sizeof *k->versions))) {
        run_keeper_free(k);
        fprintf(stderr, "bptee: run: out of memory\n");
        return RUN_EXIT_FAILURE;
    }
    k->fd = -1;
    k->socket = job->socket;
    k->job_id = job->job_id;
    memcpy(k->measurement, job->id.binary_sha256, 32);
    for (size_t i = 0; i < n; i++) {
        k->memfds[i] = -1;
        if (!declared(k, names[i]))
            k->names[k->n_names++] = names[i];
    }
    if (attach(k, true) < 0) {
        run_keeper_free(k);
        return RUN_EXIT_FAILURE;
    }
    *out = k;
    return 0;
}

void run_keeper_serve(struct run_keeper *k, struct run_view *view)
{
    k->view = view;
    serve_fetched(k);
}

int run_keeper_fd(const struct run_keeper *k)
{
    return k->fd;
}

int run_keeper_timeout_ms(const struct run_keeper *k)
{
    if (k->fd >= 0)
        return -1;
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    long ms = (k->retry_at.tv_sec - now.tv_sec) * 1000L +
              (k->retry_at.tv_nsec - now.tv_nsec) / 1000000L;
    return ms < 0 ? 0 : (int)ms;
}

void run_keeper_step(struct run_keeper *k, short revents)
{
    if (k->fd >= 0) {
        if (revents & (POLLIN | POLLHUP | POLLERR))
            on_push(k);
        return;
    }
    if (run_keeper_timeout_ms(k) > 0)
        return;
    if (attach(k, false) < 0) {
        schedule_retry(k);
        return;
    }
    serve_fetched(k);
    fprintf(stderr, "bptee: run: job %s: an agent is back and granted its secrets again\n",
            k->job_id);
}

void run_keeper_free(struct run_keeper *k)
{
    if (!k)
        return;
    if (k->memfds)
        drop_fetched(k);
    if (k->fd >= 0)
        close(k->fd);
    free(k->names);
    free(k->memfds);
    free(k->versions);
    free(k);
}
