// SPDX-License-Identifier: Apache-2.0
/* A TEE job's secrets, fetched by bptee run before the job starts (docs/protocol.md, "Acting
 * for a job binary"): the agent judges each request against the job binary's measurement, as
 * if the job had asked, and the sealed memfds are handed down (BPTEE_SECRET_FDS,
 * docs/interposer.md). A secret the agent will not give is not handed down: the interposer
 * then asks the agent itself when the job opens it, and fails that open closed, with its one
 * line naming the secret, exactly as without bptee run. */
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

static int append(char **env, const char *name, int fd)
{
    char *next = NULL;
    if (asprintf(&next, "%s%s%s=%d", *env, (*env)[0] ? ":" : "", name, fd) < 0)
        return -1;
    free(*env);
    *env = next;
    return 0;
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
    for (size_t i = 0; i < n; i++) {
        const char *name = NULL;
        int memfd = -1;
        uint64_t size = 0, version = 0;
        bptee_job_spec_secret(job->spec, i, &name, NULL);
        if (fetched(job->secret_fds_env, name))
            continue;
        if (bptee_job_secret_for(sock, name, job->id.binary_sha256, &memfd, &size, &version) <
                0 ||
            memfd < 0)
            continue; /* the interposer asks again at open and fails closed there */
        job->secret_fds[job->n_secret_fds++] = memfd;
        if (append(&job->secret_fds_env, name, memfd) < 0) {
            close(sock);
            fprintf(stderr, "bptee: run: out of memory\n");
            return RUN_EXIT_FAILURE;
        }
    }
    close(sock);
    return 0;
}

void run_secrets_release(struct run_job *job)
{
    for (size_t i = 0; i < job->n_secret_fds; i++)
        close(job->secret_fds[i]);
    job->n_secret_fds = 0;
    free(job->secret_fds_env);
    job->secret_fds_env = NULL;
}
