/* SPDX-License-Identifier: Apache-2.0 */
/* bptee run's side of the job's sandbox (docs/sandbox.md): the options it asks the direct
 * backend for, and stepping into the job's mount namespace to keep the secret view there. */
#ifndef BPTEE_CLI_RUN_SANDBOX_H
#define BPTEE_CLI_RUN_SANDBOX_H

#include <bptee.h>

struct run_job;

/* run_sandbox_ns.c: bptee run's own mount namespace, root and working directory, and the
 * job's. */
struct run_nsjump {
    int home_ns, home_root, home_cwd, job_ns, job_root;
};
/* Keep copies of the job's descriptors (and open our own). 0, or -1 after printing why. */
int run_nsjump_open(struct run_nsjump *j, int job_ns, int job_root);
/* Into the job's file system. Failing either way ends bptee run (exit 125) after printing
 * why: the view must never go unchanged, nor bptee run stay in the job's file system. */
void run_nsjump_enter(const struct run_nsjump *j);
/* Back home; a failure ends bptee run (exit 125) after printing why. */
void run_nsjump_leave(const struct run_nsjump *j);
void run_nsjump_close(struct run_nsjump *j);

/* run_sandbox.c: the sandbox options for a TEE job: the spec's widening and limits, the
 * guest devices of the config, and the hook that builds the secret view in the job's
 * namespace. o's strings point into job. 0 or RUN_EXIT_FAILURE after printing why. */
int run_sandbox_opts(struct run_job *job, struct bptee_sandbox_opts *o);
/* Enter bptee run's own mount namespace (and user namespace when not root), which the job's
 * are made from. 0, or RUN_EXIT_FAILURE after one line: the job must not run then. */
int run_sandbox_enter(struct run_job *job);
void run_sandbox_release(struct run_job *job);

#endif
