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
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
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

static int send_line(int fd, const char *line)
{
    return bptee_job_send(fd, line, strlen(line), -1);
}

/* A reply "OK" (or "OK ...") to the line just sent; anything else prints why. */
static int expect_ok(int fd, const char *what)
{
    char line[BPTEE_JOB_LINE_MAX + 1];
    size_t len = 0;
    int fds[BPTEE_JOB_FDS_MAX];
    int rc = bptee_job_read_line_fds(fd, line, sizeof line, &len, fds);
    for (size_t i = 0; rc == 0 && i < BPTEE_JOB_FDS_MAX; i++)
        if (fds[i] >= 0)
            close(fds[i]);
    if (rc < 0) {
        fprintf(stderr, "bptee: run: agent: %s: %s\n", what, bptee_last_error());
        return -1;
    }
    line[len && line[len - 1] == '\n' ? len - 1 : len] = '\0';
    if (strcmp(line, "OK") && strncmp(line, "OK ", 3)) {
        fprintf(stderr, "bptee: run: agent refused %s: %s\n", what, line);
        return -1;
    }
    return 0;
}

/* GRANT lines stay under the line limit: as many names as fit, then another line. */
static int send_grants(struct run_keeper *k)
{
    char line[BPTEE_JOB_LINE_MAX + 1];
    size_t i = 0;
    while (i < k->n_names) {
        int len = snprintf(line, sizeof line, "GRANT %s %d", k->job_id, (int)getpid());
        size_t first = i;
        while (i < k->n_names && (size_t)len + 1 + strlen(k->names[i]) + 1 < sizeof line)
            len += snprintf(line + len, sizeof line - (size_t)len, " %s", k->names[i++]);
        if (i == first)
            return -1; /* cannot happen: names are at most 128 bytes */
        line[len++] = '\n';
        line[len] = '\0';
        if (send_line(k->fd, line) < 0 || expect_ok(k->fd, "GRANT") < 0)
            return -1;
    }
    return 0;
}

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
    char line[BPTEE_JOB_LINE_MAX + 1], hex[65];
    int rc = bptee_job_connect(k->socket, &k->fd);
    if (rc < 0) {
        if (loud)
            cli_error("run: the job declares secrets but the agent is unreachable", rc);
        k->fd = -1;
        return -1;
    }
    for (size_t i = 0; i < 32; i++)
        snprintf(hex + 2 * i, 3, "%02x", k->measurement[i]);
    snprintf(line, sizeof line, "JOB %s %s\n", k->job_id, hex);
    if (send_line(k->fd, line) < 0 || expect_ok(k->fd, "JOB") < 0)
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
    if (send_grants(k) < 0 || send_line(k->fd, "WATCH\n") < 0 || expect_ok(k->fd, "WATCH") < 0)
        goto fail;
    return 0;
fail:
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
    char line[BPTEE_JOB_LINE_MAX + 1], name[BPTEE_JOB_LINE_MAX + 1], ack[BPTEE_JOB_LINE_MAX + 1];
    size_t len = 0;
    int fds[BPTEE_JOB_FDS_MAX];
    uint64_t size = 0, version = 0;
    int rc = bptee_job_read_line_fds(k->fd, line, sizeof line, &len, fds);
    if (rc < 0)
        return lost(k, rc == BPTEE_EIO ? "connection closed" : bptee_last_error());
    line[len] = '\0';
    bool changed = sscanf(line, "CHANGED %512s %" SCNu64 " %" SCNu64, name, &size, &version) == 3;
    bool revoked = !changed && sscanf(line, "REVOKED %512s", name) == 1;
    if ((!changed && !revoked) || !declared(k, name) || (changed && fds[0] < 0)) {
        for (size_t i = 0; i < BPTEE_JOB_FDS_MAX; i++)
            if (fds[i] >= 0)
                close(fds[i]);
        return lost(k, "unexpected message");
    }
    run_view_set(k->view, name, changed ? fds[0] : -1, changed ? version : 0);
    for (size_t i = 0; i < BPTEE_JOB_FDS_MAX; i++)
        if (fds[i] >= 0)
            close(fds[i]);
    snprintf(ack, sizeof ack, "ACK %.128s %" PRIu64 "\n", name, changed ? version : (uint64_t)0);
    if (send_line(k->fd, ack) < 0)
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
