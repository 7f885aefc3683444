// SPDX-License-Identifier: Apache-2.0
/* bptee run, before the job starts: find the command, refuse what the interposer cannot enter
 * (a statically linked binary would run without its secrets), find the interposer, connect
 * to whoever attests the result and measure the job. */
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
#define SHEBANG_DEPTH 4 /* the kernel follows interpreters as deep */

__attribute__((format(printf, 2, 3))) static int fail_msg(int status, const char *fmt, ...)
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
            return fail_msg(RUN_EXIT_NOTFOUND, "%s: %s", cmd, strerror(errno));
        job->exe = strdup(cmd);
        return job->exe ? 0 : fail_msg(RUN_EXIT_FAILURE, "out of memory");
    }
    const char *path = secure_getenv("PATH");
    char *dirs = strdup(path && path[0] ? path : DEFAULT_PATH), *save = NULL;
    if (!dirs)
        return fail_msg(RUN_EXIT_FAILURE, "out of memory");
    for (char *d = strtok_r(dirs, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
        char full[PATH_MAX];
        if ((size_t)snprintf(full, sizeof full, "%s/%s", d[0] ? d : ".", cmd) < sizeof full &&
            is_executable_file(full)) {
            job->exe = strdup(full);
            break;
        }
    }
    free(dirs);
    return job->exe ? 0 : fail_msg(RUN_EXIT_NOTFOUND, "%s: command not found", cmd);
}

/* "#!INTERP ..." at the start of path: INTERP into out (1), not a script (0), error (-1). */
static int shebang(const char *path, char *out, size_t cap)
{
    char buf[256];
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n < 2 || buf[0] != '#' || buf[1] != '!')
        return n < 0 ? -1 : 0;
    buf[n] = '\0';
    char *p = buf + 2;
    p += strspn(p, " \t");
    size_t len = strcspn(p, " \t\n");
    if (len == 0 || len >= cap)
        return -1;
    memcpy(out, p, len);
    out[len] = '\0';
    return 1;
}

/* The binary the kernel ends up running for exe (through #! interpreters) must be
 * dynamically linked: only then does ld.so load the interposer. */
static int check_interposable(const char *exe, const char *job_id)
{
    char cur[PATH_MAX], next[PATH_MAX];
    snprintf(cur, sizeof cur, "%s", exe);
    for (int depth = 0; depth <= SHEBANG_DEPTH; depth++) {
        struct bptee_elf_info info;
        int rc = bptee_elf_inspect(cur, &info);
        if (rc == 0 && !info.dynamic)
            return fail_msg(RUN_EXIT_FAILURE,
                            "%s is statically linked (no PT_INTERP program header): the "
                            "secrets interposer cannot be loaded into it, so it would run "
                            "without its secrets; refusing to run it in the TEE path. Link it "
                            "dynamically, or route job '%s' outside the TEE.", cur,
                            job_id);
        if (rc == 0)
            return 0;
        int s = shebang(cur, next, sizeof next);
        if (s <= 0)
            return fail_msg(RUN_EXIT_FAILURE, "%s: %s", cur,
                            s < 0 ? "unreadable or bad #! line"
                                  : "neither an ELF executable nor a #! script");
        snprintf(cur, sizeof cur, "%s", next);
    }
    return fail_msg(RUN_EXIT_FAILURE, "%s: more than %d levels of #! interpreters", exe,
                    SHEBANG_DEPTH);
}

/* $BPTEE_PRELOAD, else next to the bptee binary, else ../lib from it (an installed tree). */
static int find_preload(struct run_job *job)
{
    const char *given = job->args->preload ? job->args->preload : secure_getenv("BPTEE_PRELOAD");
    char self[PATH_MAX], cand[PATH_MAX];
    if (given) {
        if (!realpath(given, cand))
            return fail_msg(RUN_EXIT_FAILURE, "interposer %s: %s", given, strerror(errno));
        return (job->preload = strdup(cand)) ? 0 : RUN_EXIT_FAILURE;
    }
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0)
        return fail_msg(RUN_EXIT_FAILURE, "cannot find my own binary: %s", strerror(errno));
    self[n] = '\0';
    *strrchr(self, '/') = '\0';
    static const char *const rel[] = {"/libbptee-preload.so", "/../lib/libbptee-preload.so"};
    for (size_t i = 0; i < 2; i++) {
        char try[PATH_MAX + 32];
        snprintf(try, sizeof try, "%s%s", self, rel[i]);
        if (access(try, R_OK) == 0 && realpath(try, cand))
            return (job->preload = strdup(cand)) ? 0 : RUN_EXIT_FAILURE;
    }
    return fail_msg(RUN_EXIT_FAILURE, "the secrets interposer libbptee-preload.so is not next "
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
    if ((status = check_interposable(job->exe, job->job_id)) || (status = find_preload(job)))
        return status;
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
    return run_prefetch_secrets(job);
}
