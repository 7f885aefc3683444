/* SPDX-License-Identifier: Apache-2.0 */
/* bptee run, shared between its files: the parsed arguments and the job being run. */
#ifndef BPTEE_CLI_RUN_H
#define BPTEE_CLI_RUN_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include <bptee.h>

#include "cli/run_sandbox.h"

struct run_keeper;
struct run_view;

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
    struct run_keeper *keeper; /* TEE with secrets: our connection to the agent ... */
    struct run_view *view;     /* ... and the job's view of its secrets */
    uid_t uid;               /* TEE: who the job runs as */
    gid_t gid;
    bool set_ids;            /* switch to uid:gid in the job (bptee run is root) */
    bool dynamic_uid;        /* uid is a dynamic one, held by uid_lock_fd */
    int uid_lock_fd;
    struct run_nsjump nsjump; /* TEE: into the job's mount namespace and back */
    bool have_nsjump;
    bool sandbox_said;        /* the sandbox's ready hook failed and said why */
    const char **writable;    /* TEE: the sandbox's writable paths ... */
    char *result_dir;         /* ... with the result file's directory */
    const char **visible;     /* TEE: paths shown read-only: the spec's, the executable, ... */
    char *agent_dir;          /* ... and where the agent's socket is */
    const char *devices[3];   /* TEE: the guest devices passed through */
    struct bptee_registry *registry; /* TEE with $TEE_BACKEND: its backends ... */
    struct bptee_backend *backend;   /* ... and the one the config selects (borrowed) */
};

/* run_prepare.c */
/* "bptee: run: <message>" on stderr; returns status. */
int run_say(int status, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Resolve CMD like execvp: a name with '/' as is, else the first executable on $PATH. 0,
 * or RUN_EXIT_NOTFOUND / RUN_EXIT_NOEXEC after printing why. */
int run_resolve_command(struct run_job *job);
/* TEE jobs: find the preload, choose the job's uid, connect the signer, measure the job,
 * build its secret view. 0 or RUN_EXIT_FAILURE after printing why. */
int run_prepare_tee(struct run_job *job);
/* run_uid.c: the job's uid (the spec's user; as root, else a dynamic uid of its own). 0 or
 * RUN_EXIT_FAILURE after printing why. */
int run_choose_user(struct run_job *job);
void run_release_user(struct run_job *job);

/* run_secrets.c: register the job with the agent, fetch its secrets for its binary, and build
 * its view (run_view.h), kept current by the keeper (run_keeper.c) while the job runs. 0, or
 * RUN_EXIT_FAILURE after printing why (the agent unreachable, no namespace to build the view
 * in): the job must not run then. */
int run_prepare_secrets(struct run_job *job);
/* Build the view in the job's namespace (the sandbox's ready hook) and fill it. 0, or
 * RUN_EXIT_FAILURE after printing why. */
int run_serve_secrets(struct run_job *job);
void run_secrets_release(struct run_job *job);

/* run_keeper.c */
int run_keeper_new(const struct run_job *job, const char *const *names, size_t n,
                   struct run_keeper **out);
/* Put what was fetched into the view; pushes go there from now on. */
void run_keeper_serve(struct run_keeper *k, struct run_view *view);
/* The descriptor to poll for pushes (-1 while the agent is away) ... */
int run_keeper_fd(const struct run_keeper *k);
/* ... and how long to wait before trying the agent again (-1: no retry pending). */
int run_keeper_timeout_ms(const struct run_keeper *k);
/* Handle what poll reported (or a retry that is due). */
void run_keeper_step(struct run_keeper *k, short revents);
void run_keeper_free(struct run_keeper *k);
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

/* run_result.c: after the job: attest (status 0) and write out the result. Nothing the spec
 * names is touched before (a failing job leaves the old result's sidecar whole), and files
 * are replaced atomically. Returns 0 or RUN_EXIT_FAILURE after printing why. */
int run_finish(struct run_job *job, int wstatus);

#endif
