// SPDX-License-Identifier: Apache-2.0
/* bptee run's process handling: start the job through the direct backend, forward the
 * signals someone sends bptee run (a terminal's ^C already reaches the job, in the same
 * process group, and is not sent twice), and end like the job ended. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/run.h"

static const int forwarded[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2};
#define N_FORWARDED (sizeof forwarded / sizeof forwarded[0])

static volatile sig_atomic_t child_pid;

static void forward(int sig, siginfo_t *si, void *uc)
{
    (void)uc;
    int saved = errno;
    /* Signals from the kernel (the terminal) went to the whole foreground group already. */
    if (child_pid > 0 && si->si_code != SI_KERNEL)
        kill((pid_t)child_pid, sig);
    errno = saved;
}

/* Catch the forwarded signals, except those bptee run was started ignoring (nohup, a
 * background shell job): the job inherits them ignored, as it would have directly. */
static void install_forwarding(void)
{
    for (size_t i = 0; i < N_FORWARDED; i++) {
        struct sigaction old, sa;
        if (sigaction(forwarded[i], NULL, &old) == 0 && old.sa_handler == SIG_IGN)
            continue;
        memset(&sa, 0, sizeof sa);
        sa.sa_sigaction = forward;
        sa.sa_flags = SA_SIGINFO | SA_RESTART;
        sigemptyset(&sa.sa_mask);
        sigaction(forwarded[i], &sa, NULL);
    }
}

static int open_capture(struct run_job *job)
{
    if (job->tee != BPTEE_ROUTE_TEE || bptee_job_spec_result_file(job->spec))
        return 0;
    job->capture_fd = memfd_create("bptee-job-stdout", MFD_CLOEXEC);
    if (job->capture_fd < 0) {
        fprintf(stderr, "bptee: run: memfd_create: %s\n", strerror(errno));
        return RUN_EXIT_FAILURE;
    }
    return 0;
}

static int deploy(struct run_job *job, struct bptee_backend *b, const sigset_t *mask,
                  struct bptee_deployment **d)
{
    bool tee = job->tee == BPTEE_ROUTE_TEE;
    struct bptee_sandbox_opts sandbox;
    if (tee && run_sandbox_opts(job, &sandbox))
        return RUN_EXIT_FAILURE;
    BPTEE_OPTS(bptee_deploy_request, req, .path = job->exe,
               .argv = (const char *const *)job->args->cmd,
               .envp = (const char *const *)job->envp, .sigmask = mask, .harden = tee,
               .deployment_id = tee ? job->deployment_id : NULL,
               .stdout_fd = job->capture_fd >= 0 ? &job->capture_fd : NULL,
               .set_ids = tee && job->set_ids, .uid = job->uid, .gid = job->gid,
               /* Without bptee run nobody keeps the view current: the job dies with it. */
               .die_with_parent = job->keeper != NULL, .sandbox = tee ? &sandbox : NULL);
    int rc = bptee_backend_deploy(b, &req, d);
    if (rc == 0)
        return 0;
    if (job->sandbox_said) /* the ready hook printed why already */
        return RUN_EXIT_FAILURE;
    cli_error("run", rc);
    if (tee && rc != BPTEE_ENOTFOUND && strncmp(bptee_last_error(), "sandbox:", 8) == 0)
        return RUN_EXIT_FAILURE;
    return rc == BPTEE_ENOTFOUND ? RUN_EXIT_NOTFOUND : RUN_EXIT_NOEXEC;
}

/* Wait for the job while keeping its view current: the agent's pushes are handled as they
 * come (the owner who rotated waits for them), and a lost agent is asked again. */
static int wait_keeping(struct run_job *job, struct bptee_deployment *d, int *wstatus)
{
    int pidfd = (int)syscall(SYS_pidfd_open, (pid_t)bptee_deployment_pid(d), 0);
    if (pidfd < 0) {
        fprintf(stderr, "bptee: run: pidfd_open: %s\n", strerror(errno));
        return RUN_EXIT_FAILURE;
    }
    for (;;) {
        struct pollfd p[2] = {{.fd = pidfd, .events = POLLIN},
                              {.fd = run_keeper_fd(job->keeper), .events = POLLIN}};
        int n = poll(p, 2, run_keeper_timeout_ms(job->keeper));
        if (n < 0 && errno != EINTR)
            break;
        if (n >= 0 && (p[0].revents & POLLIN))
            break;
        if (n >= 0)
            run_keeper_step(job->keeper, p[1].revents);
    }
    close(pidfd);
    int rc = bptee_deployment_wait(d, wstatus);
    if (rc < 0) {
        cli_error("run", rc);
        return RUN_EXIT_FAILURE;
    }
    return 0;
}

int run_exec(struct run_job *job, int *wstatus)
{
    struct bptee_backend *b = NULL;
    struct bptee_deployment *d = NULL;
    sigset_t block, old;
    int status = open_capture(job), rc;
    if (status)
        return status;
    if (!job->backend && (rc = bptee_direct_backend_new(NULL, &b)) < 0) {
        cli_error("run", rc);
        return RUN_EXIT_FAILURE;
    }
    /* Blocked until the child's pid is known, so no signal is lost in between; the job
     * starts with the mask bptee run was given. */
    sigemptyset(&block);
    for (size_t i = 0; i < N_FORWARDED; i++)
        sigaddset(&block, forwarded[i]);
    sigprocmask(SIG_BLOCK, &block, &old);
    install_forwarding();
    status = deploy(job, job->backend ? job->backend : b, &old, &d);
    if (status == 0)
        child_pid = bptee_deployment_pid(d);
    sigprocmask(SIG_SETMASK, &old, NULL);
    if (status == 0 && job->keeper) {
        status = wait_keeping(job, d, wstatus);
    } else if (status == 0 && (rc = bptee_deployment_wait(d, wstatus)) < 0) {
        cli_error("run", rc);
        status = RUN_EXIT_FAILURE;
    }
    child_pid = 0;
    if (status == 0 && job->args->verbose && bptee_deployment_memory_enforcement(d) &&
        !strcmp(bptee_deployment_memory_enforcement(d), "rlimit"))
        fprintf(stderr, "bptee: run: the memory limit is the job's address space (%s)\n",
                bptee_deployment_memory_note(d));
    if (status == 0 && bptee_deployment_memory_exceeded(d)) {
        fprintf(stderr, "bptee: run: %s\n", bptee_deployment_end_reason(d));
        /* A job that went on after a process of it was stopped gets no attested result. */
        if (WIFEXITED(*wstatus))
            status = RUN_EXIT_FAILURE;
    }
    bptee_deployment_destroy(d);
    bptee_backend_free(b);
    return status;
}

void run_exit_like(int wstatus)
{
    fflush(stdout);
    if (WIFEXITED(wstatus))
        _exit(WEXITSTATUS(wstatus));
    int sig = WIFSIGNALED(wstatus) ? WTERMSIG(wstatus) : SIGKILL;
    /* Die of the same signal so our parent sees what it would have seen, without a core
     * dump of bptee itself (the job already dumped its own, if it could). */
    struct rlimit no_core = {0, 0};
    setrlimit(RLIMIT_CORE, &no_core);
    signal(sig, SIG_DFL);
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, sig);
    sigprocmask(SIG_UNBLOCK, &s, NULL);
    raise(sig);
    _exit(128 + sig);
}
