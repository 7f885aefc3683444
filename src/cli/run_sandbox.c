// SPDX-License-Identifier: Apache-2.0
/* The sandbox bptee run asks the direct backend for (docs/sandbox.md): every TEE job runs in
 * it. bptee run first enters a mount namespace of its own (through a user namespace when it is
 * not root), which the job's namespaces are made from; the backend's init builds the job's
 * file system, and bptee run then builds the secret view in it (run_secrets.c). Widening is
 * the spec's alone: its writable paths, network, io_uring, and the directory of the result
 * file the spec names (the job writes it there). */
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/run.h"
#include "cli/run_sandbox.h"
#include "cli/run_view_mount.h"

/* The job's namespaces are made once the secret view can be built in them: through the
 * hook, inside the job's namespace. */
static int on_ready(void *arg, int mnt_ns, int root)
{
    struct run_job *job = arg;
    if (run_nsjump_open(&job->nsjump, mnt_ns, root) != 0) {
        job->sandbox_said = true;
        return -1;
    }
    job->have_nsjump = true;
    if (run_serve_secrets(job) == 0)
        return 0;
    job->sandbox_said = true;
    return -1;
}

/* The result file's directory, absolute: the job writes its result there. */
static int result_dir(struct run_job *job)
{
    const char *file = bptee_job_spec_result_file(job->spec);
    char dir[PATH_MAX], real[PATH_MAX];
    if (!file)
        return 0;
    snprintf(dir, sizeof dir, "%s", file);
    if (!realpath(dirname(dir), real))
        return run_say(RUN_EXIT_FAILURE, "result %s: its directory: %s", file, strerror(errno));
    return (job->result_dir = strdup(real)) ? 0 : run_say(RUN_EXIT_FAILURE, "out of memory");
}

/* Where the job reaches the agent: the socket's directory (an agent restarted there makes a
 * new socket), or the socket alone when it lies right in /tmp; nothing when neither exists
 * (the job then has no agent to reach: fresh attestation). */
static int agent_dir(struct run_job *job)
{
    char real[PATH_MAX], *dir;
    struct stat st;
    snprintf(real, sizeof real, "%s", job->socket);
    dir = dirname(real);
    char *abs = realpath(dir, NULL);
    if (!abs)
        return 0;
    if (!strcmp(abs, "/tmp")) {
        free(abs);
        char *base = strrchr(job->socket, '/');
        if (asprintf(&abs, "/tmp/%s", base ? base + 1 : job->socket) < 0)
            return -1;
    }
    if (stat(abs, &st) != 0) {
        free(abs);
        return 0;
    }
    job->agent_dir = abs;
    return 0;
}

int run_sandbox_opts(struct run_job *job, struct bptee_sandbox_opts *o)
{
    memset(o, 0, sizeof *o);
    o->sz = sizeof *o;
    bptee_job_spec_sandbox_opts(job->spec, o);
    if (result_dir(job))
        return RUN_EXIT_FAILURE;
    size_t n = o->n_writable, k = o->n_visible;
    job->writable = calloc(n + 1, sizeof *job->writable);
    job->visible = calloc(k + 2, sizeof *job->visible);
    if (!job->writable || !job->visible || agent_dir(job))
        return run_say(RUN_EXIT_FAILURE, "out of memory");
    memcpy(job->writable, o->writable, n * sizeof *job->writable);
    memcpy(job->visible, o->visible, k * sizeof *job->visible);
    if (job->result_dir)
        job->writable[n++] = job->result_dir;
    /* The job's executable and the agent's socket, wherever they lie (a fresh /tmp would
     * hide them from the caller's). */
    job->visible[k++] = job->exe;
    if (job->agent_dir)
        job->visible[k++] = job->agent_dir;
    o->writable = job->writable;
    o->n_writable = n;
    o->visible = job->visible;
    o->n_visible = k;
    /* The guest devices as the config names them: passed through where they exist. */
    job->devices[0] = bptee_config_tsm_report_path(job->cfg);
    job->devices[1] = bptee_config_sev_guest_path(job->cfg);
    job->devices[2] = bptee_config_tdx_guest_path(job->cfg);
    for (size_t i = 0; i < 3; i++)
        if (job->devices[i])
            job->devices[o->n_devices++] = job->devices[i];
    o->devices = job->devices;
    o->on_ready = on_ready;
    o->on_ready_arg = job;
    return 0;
}

int run_sandbox_enter(struct run_job *job)
{
    char why[256];
    if (view_enter_namespaces(why, sizeof why) == 0)
        return 0;
    if (bptee_job_spec_secret_count(job->spec))
        return run_say(RUN_EXIT_FAILURE, "secret view: %s; refusing to run job '%s' without "
                       "its secrets", why, job->job_id);
    return run_say(RUN_EXIT_FAILURE, "sandbox: %s; refusing to run job '%s' unconfined", why,
                   job->job_id);
}

void run_sandbox_release(struct run_job *job)
{
    if (job->have_nsjump)
        run_nsjump_close(&job->nsjump);
    job->have_nsjump = false;
    free(job->writable);
    free(job->visible);
    free(job->result_dir);
    free(job->agent_dir);
    job->writable = job->visible = NULL;
    job->agent_dir = NULL;
    job->result_dir = NULL;
}
