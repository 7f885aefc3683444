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

int run_prepare_secrets(struct run_job *job)
{
    size_t n = bptee_job_spec_secret_count(job->spec);
    if (n == 0)
        return 0;
    const char **names = calloc(n, sizeof *names), **paths = calloc(n, sizeof *paths);
    int status = RUN_EXIT_FAILURE;
    if (!names || !paths) {
        fprintf(stderr, "bptee: run: out of memory\n");
        goto out;
    }
    for (size_t i = 0; i < n; i++)
        bptee_job_spec_secret(job->spec, i, &names[i], &paths[i]);
    char why[256];
    if (view_probe_namespaces(why, sizeof why) != 0) {
        run_say(0, "secret view: %s; refusing to run job '%s' without its secrets", why,
                job->job_id);
        goto out;
    }
    if ((status = run_keeper_new(job, names, n, &job->keeper)))
        goto out;
    struct run_view_owner owner = {.uid = job->uid, .gid = job->gid};
    if (run_view_build(names, paths, n, &owner, &job->view) != 0) {
        fprintf(stderr, "bptee: run: refusing to run job '%s' without its secrets\n",
                job->job_id);
        status = RUN_EXIT_FAILURE;
        goto out;
    }
    run_keeper_serve(job->keeper, job->view);
    status = 0;
out:
    free(names);
    free(paths);
    return status;
}

void run_secrets_release(struct run_job *job)
{
    run_keeper_free(job->keeper);
    job->keeper = NULL;
    run_view_free(job->view);
    job->view = NULL;
}
