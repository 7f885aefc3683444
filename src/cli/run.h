/* SPDX-License-Identifier: Apache-2.0 */
/* bptee run, shared between its files: the parsed arguments and the job being run. */
#ifndef BPTEE_CLI_RUN_H
#define BPTEE_CLI_RUN_H

#include <stdbool.h>
#include <stddef.h>

#include <bptee.h>

/* Exit statuses of bptee run itself (the job's own status passes through otherwise), as env,
 * nice and timeout use them. */
#define RUN_EXIT_FAILURE 125  /* bptee run failed or refused */
#define RUN_EXIT_NOEXEC 126   /* the command cannot be executed */
#define RUN_EXIT_NOTFOUND 127 /* the command was not found */

struct run_args {
    const char *config, *routing, *job_id, *agent_socket, *spec, *preload, *detect_root;
    bool verbose;
    char **cmd; /* NULL-terminated: CMD ARGS... */
    size_t cmd_len;
};

struct run_job {
    const struct run_args *args;
    struct bptee_config *cfg;
    struct bptee_job_spec *spec;
    const char *job_id;
    int tee;                 /* enum bptee_route */
    char *exe;               /* CMD resolved through PATH */
    char *preload;           /* TEE: absolute path of libbptee-preload.so */
    const char *socket;      /* TEE: the agent's job socket */
    char deployment_id[40];
    char **envp;             /* the job's environment */
    struct bptee_job_identity id;
    struct bptee_result_signer *signer;
    char *sidecar;           /* where a sidecar goes (NULL: none possible) */
    int capture_fd;          /* TEE with a stdout result: the memfd the job writes */
    int secret_fds[BPTEE_JOB_SECRETS_MAX]; /* TEE: memfds fetched for the job */
    size_t n_secret_fds;
    char *secret_fds_env;    /* BPTEE_SECRET_FDS for them ("" when none) */
    bool has_secret_page;    /* the agent's version page is in secret_fds too ... */
    int secret_page_fd;      /* ... as this descriptor (BPTEE_SECRET_PAGE) */
};

/* run_prepare.c */
/* Resolve CMD like execvp: a name with '/' as is, else the first executable on $PATH. 0,
 * or RUN_EXIT_NOTFOUND / RUN_EXIT_NOEXEC after printing why. */
int run_resolve_command(struct run_job *job);
/* TEE jobs: refuse what the interposer cannot enter, find the preload, connect the signer,
 * measure the job. 0 or RUN_EXIT_FAILURE after printing why. */
int run_prepare_tee(struct run_job *job);
/* run_secrets.c: fetch the job's secrets from the agent on behalf of its binary, to hand the
 * memfds down (BPTEE_SECRET_FDS); 0 or RUN_EXIT_FAILURE when the agent cannot be reached. */
int run_prefetch_secrets(struct run_job *job);
void run_secrets_release(struct run_job *job);
/* The job's environment: plain jobs lose LD_PRELOAD and every BPTEE_* variable; TEE jobs get
 * the hand-down variables (docs/results.md). 0 or RUN_EXIT_FAILURE. */
int run_build_env(struct run_job *job);
void run_job_release(struct run_job *job);

/* run_exec.c: start the job, forward signals, wait. *wstatus as waitpid gives it; returns 0
 * or an exit status after printing why the job could not start. */
int run_exec(struct run_job *job, int *wstatus);
/* Leave like the job did: its exit status, or its signal re-raised (128+signal if that does
 * not end us). */
__attribute__((noreturn)) void run_exit_like(int wstatus);

/* run_result.c: after the job: attest (status 0) and write out the result. Returns 0 or
 * RUN_EXIT_FAILURE after printing why. */
int run_finish(struct run_job *job, int wstatus);
/* Before a TEE job: remove a sidecar left by an earlier run, so a failing job cannot leave
 * one behind that looks like it belongs to this run. */
int run_remove_stale_sidecar(struct run_job *job);

#endif
