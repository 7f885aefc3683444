// SPDX-License-Identifier: Apache-2.0
/* The job's environment. A plain job loses LD_PRELOAD and every BPTEE_* variable: it must not
 * even learn where the agent is. A TEE job gets the interposer and the hand-down variables
 * (docs/interposer.md), plus its identity for the C API (include/bptee/job.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/run.h"

extern char **environ;

#define ADDED_MAX 12

static bool dropped(const char *entry, bool tee)
{
    if (!strncmp(entry, "LD_PRELOAD=", 11))
        return true;
    if (strncmp(entry, "BPTEE_", 6))
        return false;
    /* An operator who asked for the interposer's debug lines still gets them. */
    return !(tee && !strncmp(entry, "BPTEE_PRELOAD_DEBUG=", 20));
}

/* Sanitizer runtimes must stay first in LD_PRELOAD or nothing instrumented loads (make asan);
 * any other preload of the caller is dropped: it could read the job's secrets. */
static bool sanitizer_runtime(const char *path, size_t n)
{
    const char *base = path;
    for (size_t i = 0; i < n; i++)
        if (path[i] == '/')
            base = path + i + 1;
    size_t blen = n - (size_t)(base - path);
    static const char *const names[] = {"libasan.", "libubsan.", "libtsan.", "liblsan.",
                                        "libclang_rt."};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (blen > strlen(names[i]) && !strncmp(base, names[i], strlen(names[i])))
            return true;
    return false;
}

static char *preload_value(const char *ours)
{
    const char *old = secure_getenv("LD_PRELOAD");
    size_t cap = strlen(ours) + (old ? strlen(old) : 0) + 2;
    char *v = malloc(cap), *o = v;
    if (!v)
        return NULL;
    for (const char *p = old; p && *p;) {
        size_t n = strcspn(p, ": ");
        if (n && sanitizer_runtime(p, n)) {
            memcpy(o, p, n);
            o += n;
            *o++ = ':';
        }
        p += n + (p[n] ? 1 : 0);
    }
    memcpy(o, ours, strlen(ours) + 1); /* cap counted it */
    return v;
}

static int add(char **env, size_t *n, const char *name, const char *value)
{
    if (asprintf(&env[*n], "%s=%s", name, value) < 0) {
        env[*n] = NULL;
        return -1;
    }
    (*n)++;
    return 0;
}

static void make_deployment_id(char *out, size_t cap)
{
    uint8_t rnd[8] = {0};
    if (getrandom(rnd, sizeof rnd, 0) != (ssize_t)sizeof rnd)
        memset(rnd, 0, sizeof rnd); /* an id names a deployment; it protects nothing */
    int n = snprintf(out, cap, "direct-");
    for (size_t i = 0; i < sizeof rnd && n > 0 && (size_t)n + 2 < cap; i++)
        n += snprintf(out + n, cap - (size_t)n, "%02x", rnd[i]);
}

static int add_tee_vars(struct run_job *job, char **env, size_t *n)
{
    char *secrets = NULL, *preload = preload_value(job->preload);
    int rc = bptee_job_spec_secrets_env(job->spec, &secrets);
    int bad = !preload || rc < 0;
    make_deployment_id(job->deployment_id, sizeof job->deployment_id);
    bad = bad || add(env, n, "LD_PRELOAD", preload) ||
          add(env, n, "BPTEE_AGENT_SOCKET", job->socket) ||
          add(env, n, "BPTEE_JOB_SOCKET", job->socket) ||
          add(env, n, "BPTEE_PRELOAD_INHERIT",
              bptee_job_spec_inherit_preload(job->spec) ? "1" : "0") ||
          add(env, n, "BPTEE_JOB_ID", job->job_id) ||
          add(env, n, "BPTEE_DEPLOYMENT_ID", job->deployment_id) ||
          (secrets[0] && add(env, n, "BPTEE_SECRETS", secrets)) ||
          /* The kernel serves the declared paths (run_view.c): the interposer only says so
           * loudly when one fails, and keeps every dynamic descendant non-dumpable. */
          (job->keeper && add(env, n, "BPTEE_SECRET_VIEW", "1"));
    free(preload);
    bptee_free(secrets);
    return bad ? -1 : 0;
}

int run_build_env(struct run_job *job)
{
    size_t count = 0, n = 0;
    bool tee = job->tee == BPTEE_ROUTE_TEE;
    while (environ && environ[count])
        count++;
    char **env = calloc(count + ADDED_MAX + 1, sizeof *env);
    if (!env)
        goto oom;
    job->envp = env;
    for (size_t i = 0; i < count; i++)
        if (!dropped(environ[i], tee) && !(env[n++] = strdup(environ[i])))
            goto oom;
    if (tee && add_tee_vars(job, env, &n) < 0)
        goto oom;
    return 0;
oom:
    fprintf(stderr, "bptee: run: out of memory\n");
    return RUN_EXIT_FAILURE;
}

void run_job_release(struct run_job *job)
{
    for (size_t i = 0; job->envp && job->envp[i]; i++)
        free(job->envp[i]);
    free(job->envp);
    job->envp = NULL;
    run_secrets_release(job);
    run_sandbox_release(job);
    run_release_user(job);
    bptee_result_signer_free(job->signer);
    job->signer = NULL;
    bptee_job_spec_free(job->spec);
    job->spec = NULL;
    bptee_config_free(job->cfg);
    job->cfg = NULL;
    bptee_registry_free(job->registry);
    job->registry = NULL;
    job->backend = NULL;
    free(job->exe);
    free(job->preload);
    free(job->sidecar);
    job->exe = job->preload = job->sidecar = NULL;
    if (job->capture_fd >= 0)
        close(job->capture_fd);
    job->capture_fd = -1;
}
