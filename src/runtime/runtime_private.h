/* SPDX-License-Identifier: Apache-2.0 */
/* What the runtime module's files share: the backend interface behind the public handles. */
#ifndef BPTEE_RUNTIME_PRIVATE_H
#define BPTEE_RUNTIME_PRIVATE_H

#include <pthread.h>
#include <sys/types.h>

#include <bptee/runtime.h>

struct backend_ops {
    int (*deploy)(struct bptee_backend *b, const struct bptee_deploy_request *req,
                  struct bptee_deployment *d);
    int (*attest)(struct bptee_deployment *d, const uint8_t *report_data, size_t len,
                  struct bptee_report **out);
    void (*free_state)(void *state);
};

struct bptee_backend {
    const char *name;
    const struct backend_ops *ops;
    void *state;
    int provider;   /* enum bptee_provider, -1: decided by the guest API at attest time */
    bool simulated; /* its evidence comes from the simulator */
    int mode;       /* enum bptee_tee_mode */
    struct bptee_deployment *deployments; /* live ones, for re-provisioning by id */
    pthread_mutex_t lock; /* over deployments and the deployment's refs */
};

/* cgroup.c: a deployment's memory cgroup (docs/sandbox.md, "Memory"). */
struct job_cgroup {
    char path[4096]; /* "" when the deployment has none */
    int version;     /* 1 or 2 */
};

struct bptee_deployment {
    struct bptee_backend *backend;
    struct bptee_deployment *next; /* in backend->deployments */
    unsigned refs; /* deploys that returned it (re-provisioning adds one); destroys drop one */
    char id[64];
    pid_t pid;
    int status; /* enum bptee_deployment_status */
    int wstatus;
    bool reaped, stop_requested;
    bool sandboxed;
    int report_fd; /* a sandbox's init reports the job's wait status here (-1: no sandbox) */
    struct bptee_report *cached; /* the first attestation (provision time when asked) */
    struct job_cgroup cgroup;
    uint64_t memory_limit;  /* bytes; 0: none */
    const char *memory_how; /* "cgroup", "rlimit" or NULL */
    char memory_note[200];  /* why it is "rlimit" */
    bool memory_exceeded;
    int oom; /* JOB_OOM_* once reaped */
    char end_reason[160];
};

/* Write text to an existing file (a /proc or cgroup control file) in one write: 0, or -1
 * with errno set (EIO for a short write). Async-signal-safe. */
int runtime_write_text(const char *path, const char *text);
/* Create a deployment's memory cgroup under this process's own, limited to limit bytes: 0,
 * or 1 when no memory cgroup can be made here (not delegated, read-only, not mounted) with
 * why, or a negative error. */
int job_cgroup_create(uint64_t limit, struct job_cgroup *cg, char *why, size_t cap);
int job_cgroup_attach(const struct job_cgroup *cg, pid_t pid);
/* Whether the kernel's OOM killer struck inside it (or, event, the sandbox's init stopped
 * the job on an OOM event first), and whether the cgroup's own limit was reached (else an
 * ancestor's limit or the machine ran out). */
enum { JOB_OOM_NONE, JOB_OOM_OWN_LIMIT, JOB_OOM_ELSEWHERE };
int job_cgroup_oom(const struct job_cgroup *cg, bool event);
/* v1: an eventfd the kernel signals when the cgroup is out of memory (the sandbox's init
 * then stops the whole job: v1 has no oom.group). -1 on v2 or when it cannot be made. */
int job_cgroup_oom_eventfd(const struct job_cgroup *cg);
/* Kill whatever is left in it and remove it (cg->path becomes ""); BPTEE_EIO when it could
 * not be removed (the path is kept for another try). */
int job_cgroup_remove(struct job_cgroup *cg);

struct sandbox_filter;
/* direct.c, shared with the sandbox's init: in a fresh child, set the job up (and confine it
 * when filter is given) and execve it; an errno goes to errfd instead. */
__attribute__((noreturn)) void direct_child_exec(const struct bptee_deploy_request *r, int errfd,
                                                 pid_t parent, struct sandbox_filter *filter);
/* The child's report: 0 when execve succeeded (EOF on the close-on-exec pipe), else errno. */
int direct_exec_errno(int fd);
/* An execve errno as the deploy error (BPTEE_ENOTFOUND, BPTEE_EDENIED or BPTEE_EIO). */
int direct_exec_failure(const char *path, int err);

/* Record a reaped job's wait status and derive the deployment status. */
void deployment_reaped(struct bptee_deployment *d, int wstatus);

/* spec_sandbox.c: the job spec's "sandbox" and "limits" keys. */
struct json_t;
struct spec_sandbox {
    char **writable, **readable;
    size_t n_writable, n_readable;
    bool network, io_uring;
    uint64_t memory_bytes, cpu_seconds, pids, open_files; /* 0: not limited by the spec */
};
int spec_sandbox_parse(const struct json_t *v, struct spec_sandbox *sb);
int spec_limits_parse(const struct json_t *v, struct spec_sandbox *sb);
void spec_sandbox_free(struct spec_sandbox *sb);
const struct spec_sandbox *spec_sandbox_of(const struct bptee_job_spec *s);

/* [A-Za-z0-9._-]{1,128}, not "." or "..": the secret store's names. */
int runtime_secret_name_ok(const char *name);

#endif
