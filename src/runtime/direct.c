// SPDX-License-Identifier: Apache-2.0
/* The direct backend: a job is a child process of the caller, started with fork and execve
 * so the child can be hardened (no_new_privs: a set-uid program cannot gain privileges, and
 * glibc would ignore LD_PRELOAD in it anyway; RLIMIT_CORE 0: secrets read into the job's
 * memory never reach a core file) and an exec failure is reported to the caller through a
 * close-on-exec pipe instead of surfacing as a mysterious exit status. */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <bptee/provider.h>

#include "runtime/runtime_private.h"
#include "runtime/sandbox.h"
#include "util/codec.h"
#include "util/error.h"

extern char **environ;

struct direct_state {
    struct bptee_guest_opts guest; /* its strings point into strs */
    char *strs[4];
};

static void direct_state_free(void *p)
{
    struct direct_state *st = p;
    for (size_t i = 0; st && i < 4; i++)
        free(st->strs[i]);
    free(st);
}

/* The backend outlives the caller's strings: keep copies. */
static int copy_guest_strings(struct direct_state *st)
{
    const char **fields[4] = {&st->guest.tsm_path, &st->guest.device, &st->guest.state_dir,
                              &st->guest.tdx_device};
    for (size_t i = 0; i < 4; i++) {
        if (*fields[i] && !(st->strs[i] = strdup(*fields[i])))
            return fail(BPTEE_ENOMEM, "direct backend: out of memory");
        *fields[i] = st->strs[i];
    }
    return 0;
}

/* In the child: duplicate the requested descriptors onto 0, 1, 2. Sources are first moved
 * above 2 so a request like "stdout to fd 2, stderr to fd 1" cannot clobber itself. */
static int child_fds(const struct bptee_deploy_request *r)
{
    const int *src[3] = {r->stdin_fd, r->stdout_fd, r->stderr_fd};
    int tmp[3] = {-1, -1, -1};
    for (int i = 0; i < 3; i++)
        if (src[i] && (tmp[i] = fcntl(*src[i], F_DUPFD_CLOEXEC, 3)) < 0)
            return -1;
    for (int i = 0; i < 3; i++)
        if (tmp[i] >= 0 && dup2(tmp[i], i) < 0)
            return -1;
    return 0;
}

static int child_harden(void)
{
    struct rlimit no_core = {0, 0};
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 || setrlimit(RLIMIT_CORE, &no_core) < 0)
        return -1;
    return 0;
}

/* The job's own ids, then the parent-death signal (a change of ids clears it), then a check
 * that the parent did not die before it was set. */
static int child_ids(const struct bptee_deploy_request *r, pid_t parent)
{
    if (r->set_ids && (setgroups(0, NULL) < 0 || setresgid(r->gid, r->gid, r->gid) < 0 ||
                       setresuid(r->uid, r->uid, r->uid) < 0))
        return -1;
    if (r->die_with_parent) {
        if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0)
            return -1;
        if (getppid() != parent) {
            errno = ESRCH;
            return -1;
        }
    }
    return 0;
}

/* Only async-signal-safe calls between fork and execve, but for the sandbox's seccomp
 * filter (the sandbox's init is single-threaded). */
__attribute__((noreturn)) void direct_child_exec(const struct bptee_deploy_request *r, int errfd,
                                                 pid_t parent, struct sandbox_filter *filter)
{
    int err = 0;
    if (r->sigmask && sigprocmask(SIG_SETMASK, (const sigset_t *)r->sigmask, NULL) < 0)
        err = errno;
    if (!err && child_fds(r) < 0)
        err = errno;
    for (size_t i = 0; !err && i < r->n_inherit_fds; i++)
        if (fcntl(r->inherit_fds[i], F_SETFD, 0) < 0)
            err = errno;
    if (!err && r->harden && child_harden() < 0)
        err = errno;
    /* Before the ids change: dropping capabilities needs them. */
    if (!err && filter && sandbox_confine(r->sandbox, filter) < 0)
        err = errno;
    if (!err && child_ids(r, parent) < 0)
        err = errno;
    if (!err) {
        execve(r->path, (char *const *)r->argv,
               r->envp ? (char *const *)r->envp : environ);
        err = errno;
    }
    ssize_t w;
    do
        w = write(errfd, &err, sizeof err);
    while (w < 0 && errno == EINTR);
    _exit(127);
}

int direct_exec_errno(int fd)
{
    int err = 0;
    ssize_t n;
    do
        n = read(fd, &err, sizeof err);
    while (n < 0 && errno == EINTR);
    return n == (ssize_t)sizeof err ? err : 0;
}

int direct_exec_failure(const char *path, int err)
{
    int code = err == ENOENT || err == ENOTDIR ? BPTEE_ENOTFOUND
               : err == EACCES || err == EPERM ? BPTEE_EDENIED
                                               : BPTEE_EIO;
    return fail(code, "%s: cannot execute: %s", path, strerror(err));
}

static void random_id(char *out, size_t cap)
{
    uint8_t rnd[8];
    if (getrandom(rnd, sizeof rnd, 0) != (ssize_t)sizeof rnd)
        memset(rnd, 0, sizeof rnd); /* ids name deployments, they protect nothing */
    char *hex = hex_encode(rnd, sizeof rnd);
    snprintf(out, cap, "direct-%s", hex ? hex : "0000000000000000");
    free(hex);
}

static int direct_deploy(struct bptee_backend *b, const struct bptee_deploy_request *req,
                         struct bptee_deployment *d)
{
    (void)b;
    struct bptee_deploy_request r = {0};
    memcpy(&r, req, req->sz < sizeof r ? req->sz : sizeof r);
    if (!r.path || !r.argv || !r.argv[0])
        return fail(BPTEE_EINVAL, "deploy: missing path or argv");
    if (r.deployment_id)
        snprintf(d->id, sizeof d->id, "%s", r.deployment_id);
    else
        random_id(d->id, sizeof d->id);
    if (r.sandbox) {
        int rc = sandbox_deploy(&r, d);
        if (rc == 0)
            d->status = BPTEE_DEPLOYMENT_RUNNING;
        return rc;
    }
    int pipefd[2];
    if (pipe2(pipefd, O_CLOEXEC) < 0)
        return fail(BPTEE_EIO, "deploy: pipe: %s", strerror(errno));
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0) {
        int e = errno;
        close(pipefd[0]);
        close(pipefd[1]);
        return fail(BPTEE_EIO, "deploy: fork: %s", strerror(e));
    }
    if (pid == 0) {
        close(pipefd[0]);
        direct_child_exec(&r, pipefd[1], parent, NULL);
    }
    close(pipefd[1]);
    int err = direct_exec_errno(pipefd[0]);
    close(pipefd[0]);
    d->pid = pid;
    if (err) {
        int ws;
        while (waitpid(pid, &ws, 0) < 0 && errno == EINTR)
            ;
        return direct_exec_failure(r.path, err);
    }
    d->status = BPTEE_DEPLOYMENT_RUNNING;
    return 0;
}

static int direct_attest(struct bptee_deployment *d, const uint8_t *report_data, size_t len,
                         struct bptee_report **out)
{
    struct direct_state *st = d->backend->state;
    return bptee_guest_attest(&st->guest, report_data, len, out, NULL);
}

static const struct backend_ops direct_ops = {
    .deploy = direct_deploy,
    .attest = direct_attest,
    .free_state = direct_state_free,
};

/* Which provider a backend over these guest options serves, and under what name. */
static void identify(struct bptee_backend *b, const struct bptee_guest_opts *g)
{
    bool tdx = g->sim_tee == BPTEE_EVIDENCE_PROVIDER_TDX;
    b->mode = BPTEE_TEE_MODE_DIRECT;
    b->provider = -1;
    b->name = "direct";
    switch (g->provider) {
    case BPTEE_EVIDENCE_PROVIDER_SEV_SNP:
        b->provider = BPTEE_PROVIDER_AMD_SEV_SNP;
        b->name = "direct-sev-snp";
        break;
    case BPTEE_EVIDENCE_PROVIDER_TDX:
        b->provider = BPTEE_PROVIDER_INTEL_TDX;
        b->name = "direct-tdx";
        break;
    case BPTEE_EVIDENCE_PROVIDER_AZURE_SNP:
        b->provider = BPTEE_PROVIDER_AZURE_SNP;
        b->name = "direct-azure-snp";
        break;
    case BPTEE_EVIDENCE_PROVIDER_SIM:
        b->simulated = true;
        b->provider = tdx ? BPTEE_PROVIDER_INTEL_TDX : BPTEE_PROVIDER_AMD_SEV_SNP;
        b->name = tdx ? "direct-sim-tdx" : "direct-sim";
        break;
    default:
        break;
    }
}

int bptee_direct_backend_for(int provider, bool simulated, const struct bptee_guest_opts *guest,
                             struct bptee_backend **out)
{
    struct bptee_guest_opts g = {.sz = sizeof g};
    if (guest)
        memcpy(&g, guest, guest->sz < sizeof g ? guest->sz : sizeof g);
    g.sz = sizeof g;
    if (simulated && (provider == BPTEE_PROVIDER_AMD_SEV_SNP ||
                      provider == BPTEE_PROVIDER_INTEL_TDX)) {
        g.provider = BPTEE_EVIDENCE_PROVIDER_SIM;
        g.sim_tee = provider == BPTEE_PROVIDER_INTEL_TDX ? BPTEE_EVIDENCE_PROVIDER_TDX
                                                         : BPTEE_EVIDENCE_PROVIDER_SEV_SNP;
    } else if (!simulated && provider == BPTEE_PROVIDER_AMD_SEV_SNP) {
        g.provider = BPTEE_EVIDENCE_PROVIDER_SEV_SNP;
    } else if (!simulated && provider == BPTEE_PROVIDER_INTEL_TDX) {
        g.provider = BPTEE_EVIDENCE_PROVIDER_TDX;
    } else if (!simulated && provider == BPTEE_PROVIDER_AZURE_SNP) {
        g.provider = BPTEE_EVIDENCE_PROVIDER_AZURE_SNP;
    } else {
        const char *name = bptee_provider_name(provider);
        return fail(BPTEE_EUNSUPPORTED, "unsupported tee provider: no direct backend for %s%s",
                    name ? name : "an unknown provider", simulated ? " on the simulator" : "");
    }
    return bptee_direct_backend_new(&g, out);
}

int bptee_direct_backend_new(const struct bptee_guest_opts *guest, struct bptee_backend **out)
{
    if (!out)
        return fail(BPTEE_EINVAL, "direct backend: missing output");
    struct bptee_backend *b = calloc(1, sizeof *b);
    struct direct_state *st = calloc(1, sizeof *st);
    if (!b || !st) {
        free(b);
        free(st);
        return fail(BPTEE_ENOMEM, "direct backend: out of memory");
    }
    st->guest.sz = sizeof st->guest;
    if (guest)
        memcpy(&st->guest, guest, guest->sz < sizeof st->guest ? guest->sz : sizeof st->guest);
    st->guest.sz = sizeof st->guest;
    if (copy_guest_strings(st) < 0) {
        direct_state_free(st);
        free(b);
        return BPTEE_ENOMEM;
    }
    identify(b, &st->guest);
    pthread_mutex_init(&b->lock, NULL);
    b->ops = &direct_ops;
    b->state = st;
    *out = b;
    return 0;
}
