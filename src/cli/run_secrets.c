// SPDX-License-Identifier: Apache-2.0
/* A TEE job's secrets, fetched by bptee run before the job starts (docs/protocol.md, "Acting
 * for a job binary"): the agent judges each request against the job binary's measurement, as
 * if the job had asked, and the sealed memfds are handed down (BPTEE_SECRET_FDS,
 * docs/interposer.md), each with its word in the agent's version page, and the page itself
 * after them (BPTEE_SECRET_PAGE), so the job checks it is current without asking the agent.
 * A secret the agent will not give is not handed down: the interposer then asks the agent
 * itself when the job opens it, and fails that open closed, with its one line naming the
 * secret, exactly as without bptee run. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/run.h"

/* Already fetched under this name (one secret may be declared at two paths)? */
static bool fetched(const char *env, const char *name)
{
    size_t n = strlen(name);
    for (const char *p = env; p && *p;) {
        if (!strncmp(p, name, n) && p[n] == '=')
            return true;
        p = strchr(p, ':');
        p = p ? p + 1 : NULL;
    }
    return false;
}

/* "name=fd@slot", or "name=fd" without a page. */
static int append(char **env, const char *name, int fd, int page_fd, uint32_t slot)
{
    char *next = NULL;
    int n = page_fd >= 0
                ? asprintf(&next, "%s%s%s=%d@%u", *env, (*env)[0] ? ":" : "", name, fd, slot)
                : asprintf(&next, "%s%s%s=%d", *env, (*env)[0] ? ":" : "", name, fd);
    if (n < 0)
        return -1;
    free(*env);
    *env = next;
    return 0;
}

/* Every SECRET reply carries its own descriptor of the one page: keep the first. */
static void keep_page(int *page, int got)
{
    if (got < 0)
        return;
    if (*page < 0)
        *page = got;
    else
        close(got);
}

static void close_page(int page)
{
    if (page >= 0)
        close(page);
}

/* The page goes into secret_fds with the memfds, so the job inherits it and release closes it.
 * A table full of memfds leaves no room: the slots then go unused and the job asks VERSION, as
 * without a page. */
static void hand_page(struct run_job *job, int page)
{
    if (page >= 0 && job->n_secret_fds < BPTEE_JOB_SECRETS_MAX) {
        job->secret_fds[job->n_secret_fds++] = page;
        job->secret_page_fd = page;
        job->has_secret_page = true;
    } else {
        close_page(page);
    }
}

int run_prefetch_secrets(struct run_job *job)
{
    size_t n = bptee_job_spec_secret_count(job->spec);
    int sock = -1, rc;
    if (!(job->secret_fds_env = strdup("")))
        return RUN_EXIT_FAILURE;
    if (n == 0)
        return 0;
    if ((rc = bptee_job_connect(job->socket, &sock)) < 0) {
        cli_error("run: the job declares secrets but the agent is unreachable", rc);
        return RUN_EXIT_FAILURE;
    }
    int page = -1;
    for (size_t i = 0; i < n; i++) {
        const char *name = NULL;
        int memfd = -1, got_page = -1;
        uint32_t slot = 0;
        bptee_job_spec_secret(job->spec, i, &name, NULL);
        if (fetched(job->secret_fds_env, name))
            continue;
        if (bptee_job_secret_slot_for_job(sock, name, job->id.binary_sha256, NULL, &memfd, NULL,
                                          NULL, &got_page, &slot) < 0 ||
            memfd < 0)
            continue; /* the interposer asks again at open and fails closed there */
        keep_page(&page, got_page);
        job->secret_fds[job->n_secret_fds++] = memfd;
        if (append(&job->secret_fds_env, name, memfd, got_page, slot) < 0) {
            close(sock);
            close_page(page);
            fprintf(stderr, "bptee: run: out of memory\n");
            return RUN_EXIT_FAILURE;
        }
    }
    close(sock);
    hand_page(job, page);
    return 0;
}

void run_secrets_release(struct run_job *job)
{
    for (size_t i = 0; i < job->n_secret_fds; i++)
        close(job->secret_fds[i]);
    job->n_secret_fds = 0;
    job->has_secret_page = false;
    free(job->secret_fds_env);
    job->secret_fds_env = NULL;
}
