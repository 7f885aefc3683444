/* SPDX-License-Identifier: Apache-2.0 */
/* The direct backend's hardened sandbox (docs/sandbox.md), in three parts: the processes
 * (sandbox.c: an init of the job's own PID namespace that starts the job, forwards signals and
 * reports how it ended), the file system it sees (sandbox_mounts.c) and what it may do
 * (sandbox_confine.c: capabilities, limits, seccomp). */
#ifndef BPTEE_RUNTIME_SANDBOX_H
#define BPTEE_RUNTIME_SANDBOX_H

#include <stdbool.h>
#include <stddef.h>

#include <bptee/runtime.h>

struct bptee_deployment;

/* Start req->path in the sandbox req->sandbox describes; on success d->pid is the sandbox's
 * init and d->report_fd the descriptor it reports the job's end on. */
int sandbox_deploy(const struct bptee_deploy_request *req, struct bptee_deployment *d);

/* Once the init has been reaped: the job's wait status it reported replaces *wstatus (the
 * init's own, which is 0 as PID 1 cannot die of the job's signal). An init killed before it
 * could report leaves *wstatus as it is. *oom_event: the init stopped the job because its
 * memory cgroup ran out (v1's OOM event). */
void sandbox_job_status(int report_fd, int *wstatus, bool *oom_event);

/* ---- sandbox_mounts.c: run by the init in its fresh mount namespace. Returns 0, or -1 with
 * errno set and a one-line reason in why. */
int sandbox_build_mounts(const struct bptee_sandbox_opts *o, char *why, size_t cap);
/* /proc of the job's PID namespace, mounted once the caller's ready hook is done: until then
 * the caller, which is not in that namespace, finds itself in the /proc it steps into
 * (/proc/self/mountinfo, /proc/self/fd/N). */
int sandbox_mount_proc(char *why, size_t cap);

/* ---- sandbox_confine.c */
struct sandbox_filter;
/* The seccomp deny-list, built before the fork so a failure is reported to the caller. */
int sandbox_filter_new(const struct bptee_sandbox_opts *o, struct sandbox_filter **out);
void sandbox_filter_free(struct sandbox_filter *f);
/* In the job's process, last before execve: limits, an empty capability bounding set, the
 * filter. 0 or -1 with errno set. */
int sandbox_confine(const struct bptee_sandbox_opts *o, struct sandbox_filter *f);
/* Whether this process may create mount and PID namespaces without a user namespace. */
bool sandbox_have_sys_admin(void);

#endif
