// SPDX-License-Identifier: Apache-2.0
/* A TEE job's secrets under bptee run: the keeper registers the job with the agent and
 * fetches each declared secret for the job's binary (docs/protocol.md, "Jobs under bptee
 * run"); the view then serves them as real read-only files in the job's own mount namespace
 * (run_view.c), so every binary of the job reads them from the kernel. A secret the agent
 * will not give is served void: the job's open of it fails with EACCES (and the interposer,
 * in a dynamic binary, says so in its one line). Where no view can be built the job does not
 * run: it would read whatever lies on disk at the declared paths. */
#include <stdio.h>
#include <stdlib.h>

#include "cli/run.h"
#include "cli/run_view.h"
#include "cli/run_view_mount.h"

/* The declared names and paths, in the spec's order. */
static int declared(const struct run_job *job, const char ***names, const char ***paths)
{
    size_t n = bptee_job_spec_secret_count(job->spec);
    *names = calloc(n, sizeof **names);
    *paths = calloc(n, sizeof **paths);
    if (!*names || !*paths) {
        free(*names);
        free(*paths);
        return run_say(RUN_EXIT_FAILURE, "out of memory");
    }
    for (size_t i = 0; i < n; i++)
        bptee_job_spec_secret(job->spec, i, &(*names)[i], &(*paths)[i]);
    return 0;
}

int run_prepare_secrets(struct run_job *job)
{
    const char **names, **paths;
    size_t n = bptee_job_spec_secret_count(job->spec);
    if (n == 0)
        return 0;
    if (declared(job, &names, &paths))
        return RUN_EXIT_FAILURE;
    int status = run_keeper_new(job, names, n, &job->keeper);
    free(names);
    free(paths);
    return status;
}

int run_serve_secrets(struct run_job *job)
{
    const char **names, **paths;
    if (!job->keeper)
        return 0;
    if (declared(job, &names, &paths))
        return RUN_EXIT_FAILURE;
    struct run_view_owner owner = {.uid = job->uid, .gid = job->gid};
    int rc = run_view_build(names, paths, bptee_job_spec_secret_count(job->spec), &owner,
                            &job->nsjump, &job->view);
    free(names);
    free(paths);
    if (rc != 0)
        return run_say(RUN_EXIT_FAILURE, "refusing to run job '%s' without its secrets",
                       job->job_id);
    run_keeper_serve(job->keeper, job->view);
    return 0;
}

void run_secrets_release(struct run_job *job)
{
    run_keeper_free(job->keeper);
    job->keeper = NULL;
    run_view_free(job->view);
    job->view = NULL;
}
