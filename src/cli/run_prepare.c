// SPDX-License-Identifier: Apache-2.0
/* bptee run, before the job starts: find the command, find the interposer, choose the job's
 * uid, connect to whoever attests the result, measure the job and build its secret view. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/run.h"

#define DEFAULT_AGENT_SOCKET "/run/bptee/agent.sock"
#define DEFAULT_PATH "/usr/local/bin:/usr/bin:/bin"

int run_say(int status, const char *fmt, ...)
{
    va_list ap;
    fputs("bptee: run: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    return status;
}

static bool is_executable_file(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0;
}

int run_resolve_command(struct run_job *job)
{
    const char *cmd = job->args->cmd[0];
    if (strchr(cmd, '/')) {
        if (access(cmd, F_OK) != 0)
            return run_say(RUN_EXIT_NOTFOUND, "%s: %s", cmd, strerror(errno));
        job->exe = strdup(cmd);
        return job->exe ? 0 : run_say(RUN_EXIT_FAILURE, "out of memory");
    }
    const char *path = secure_getenv("PATH");
    char *dirs = strdup(path && path[0] ? path : DEFAULT_PATH), *save = NULL;
    if (!dirs)
        return run_say(RUN_EXIT_FAILURE, "out of memory");
    for (char *d = strtok_r(dirs, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
        char full[PATH_MAX];
        if ((size_t)snprintf(full, sizeof full, "%s/%s", d[0] ? d : ".", cmd) < sizeof full &&
            is_executable_file(full)) {
            job->exe = strdup(full);
            break;
        }
    }
    free(dirs);
    return job->exe ? 0 : run_say(RUN_EXIT_NOTFOUND, "%s: command not found", cmd);
}

/* $BPTEE_PRELOAD, else next to the bptee binary, else ../lib from it (an installed tree). */
static int find_preload(struct run_job *job)
{
    const char *given = job->args->preload ? job->args->preload : secure_getenv("BPTEE_PRELOAD");
    char self[PATH_MAX], cand[PATH_MAX];
    if (given) {
        if (!realpath(given, cand))
            return run_say(RUN_EXIT_FAILURE, "interposer %s: %s", given, strerror(errno));
        return (job->preload = strdup(cand)) ? 0 : RUN_EXIT_FAILURE;
    }
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0)
        return run_say(RUN_EXIT_FAILURE, "cannot find my own binary: %s", strerror(errno));
    self[n] = '\0';
    *strrchr(self, '/') = '\0';
    static const char *const rel[] = {"/libbptee-preload.so", "/../lib/libbptee-preload.so"};
    for (size_t i = 0; i < 2; i++) {
        char try[PATH_MAX + 32];
        snprintf(try, sizeof try, "%s%s", self, rel[i]);
        if (access(try, R_OK) == 0 && realpath(try, cand))
            return (job->preload = strdup(cand)) ? 0 : RUN_EXIT_FAILURE;
    }
    return run_say(RUN_EXIT_FAILURE, "the secrets interposer libbptee-preload.so is not next "
                    "to %s nor in %s/../lib (give --preload)", self, self);
}

static int connect_signer(struct run_job *job)
{
    int rc;
    if (bptee_job_spec_fresh_attestation(job->spec)) {
        BPTEE_OPTS(bptee_guest_opts, g);
        if ((rc = bptee_guest_opts_from_config(job->cfg, &g)) == 0)
            rc = bptee_result_signer_fresh(&g, &job->signer);
    } else {
        rc = bptee_result_signer_from_agent(job->socket, &job->signer);
    }
    if (rc < 0) {
        cli_error("run: cannot attest results", rc);
        return RUN_EXIT_FAILURE;
    }
    return 0;
}

int run_prepare_tee(struct run_job *job)
{
    int status, rc;
    job->socket = job->args->agent_socket ? job->args->agent_socket
                                          : secure_getenv("BPTEE_AGENT_SOCKET");
    if (!job->socket || !job->socket[0])
        job->socket = DEFAULT_AGENT_SOCKET;
    /* Static binaries need no check: the view serves them through the kernel, and ld.so
     * simply does not load the interposer into them. */
    if ((status = find_preload(job)) || (status = run_choose_user(job)) ||
        (status = run_sandbox_enter(job)))
        return status;
    cli_crypto_init_local(); /* bptee run talks to no one over TLS */
    if ((status = connect_signer(job)))
        return status;
    rc = bptee_job_identity_init(&job->id, job->job_id, job->exe,
                                 (const char *const *)job->args->cmd, job->args->cmd_len);
    if (rc == 0)
        rc = bptee_job_spec_sidecar_path(job->spec, &job->sidecar);
    if (rc < 0) {
        cli_error("run", rc);
        return RUN_EXIT_FAILURE;
    }
    return run_prepare_secrets(job);
}
