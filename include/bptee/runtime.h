/* SPDX-License-Identifier: Apache-2.0 */
/* Running jobs: the job spec (docs/results.md), the hybrid routing file (docs/routing.md), TEE
 * hardware detection (blueprint-tee's detect_tee_provider order, under a configurable root),
 * the routing decision per job and mode, and backends behind one interface (deploy, attest,
 * status, stop, destroy) with a registry. The direct backend runs a job as a child process of
 * the caller. */
#ifndef BPTEE_RUNTIME_H
#define BPTEE_RUNTIME_H

#include <stdbool.h>

#include <bptee/common.h>
#include <bptee/config.h>
#include <bptee/evidence.h>
#include <bptee/guest.h>

/* Largest job spec or routing file read. */
#define BPTEE_JOB_SPEC_MAX (1u << 20)
#define BPTEE_ROUTING_MAX (4u << 20)
/* Most secrets one job spec declares (the interposer's limit). */
#define BPTEE_JOB_SECRETS_MAX 256

/* ---- the job spec: {"job_id", "secrets": {name: path}, "result": {"stdout": true} |
 * {"file": path}, "sidecar", "inherit_preload", "fresh_attestation", "user", "sandbox",
 * "limits"}; every key optional. */

struct bptee_job_spec;

/* Strict: unknown keys, wrong types, bad secret names or relative paths are BPTEE_EPARSE
 * naming the field ("job spec: secrets.db: path must be absolute"). */
BPTEE_API int bptee_job_spec_parse(const char *json, size_t len, struct bptee_job_spec **out);
BPTEE_API int bptee_job_spec_load(const char *path, struct bptee_job_spec **out);
BPTEE_API void bptee_job_spec_free(struct bptee_job_spec *s);
/* NULL when the spec names none. */
BPTEE_API const char *bptee_job_spec_job_id(const struct bptee_job_spec *s);
BPTEE_API size_t bptee_job_spec_secret_count(const struct bptee_job_spec *s);
/* The i-th secret in document order; BPTEE_ENOTFOUND past the end. */
BPTEE_API int bptee_job_spec_secret(const struct bptee_job_spec *s, size_t i, const char **name, const char **path);
/* The result file, or NULL when the result is the job's stdout (the default). */
BPTEE_API const char *bptee_job_spec_result_file(const struct bptee_job_spec *s);
/* Where a sidecar goes: the spec's "sidecar", else "<result file>.tee.json", else NULL (a
 * stdout result without "sidecar": only a JSON object result can be attested). Released with
 * bptee_free. */
BPTEE_API int bptee_job_spec_sidecar_path(const struct bptee_job_spec *s, char **out);
BPTEE_API int bptee_job_spec_inherit_preload(const struct bptee_job_spec *s);
/* The user the job runs as ("user": a name or a decimal uid), NULL when the spec names none
 * (bptee run as root then gives the job a dynamic uid of its own). */
BPTEE_API const char *bptee_job_spec_user(const struct bptee_job_spec *s);
BPTEE_API int bptee_job_spec_fresh_attestation(const struct bptee_job_spec *s);
struct bptee_sandbox_opts;
/* The spec's widening ("sandbox": writable, readable, network, io_uring) and limits ("limits":
 * memory_bytes, cpu_seconds, pids, open_files) into o; the other fields are left alone. The
 * strings stay the spec's. */
BPTEE_API void bptee_job_spec_sandbox_opts(const struct bptee_job_spec *s, struct bptee_sandbox_opts *o);
/* The BPTEE_SECRETS value the interposer reads: "name=path" entries joined by ':', with '\',
 * ':' and '=' escaped by '\' (docs/interposer.md). Released with bptee_free; "" when none. */
BPTEE_API int bptee_job_spec_secrets_env(const struct bptee_job_spec *s, char **out);

/* ---- the routing file: {"default": {"tee_required": BOOL}, "jobs": {ID: {"tee_required":
 * BOOL}}}; a missing "default" means tee_required true (an unlisted job is kept in the TEE). */

struct bptee_routing;

BPTEE_API int bptee_routing_parse(const char *json, size_t len, struct bptee_routing **out);
BPTEE_API int bptee_routing_load(const char *path, struct bptee_routing **out);
BPTEE_API void bptee_routing_free(struct bptee_routing *r);
/* *tee_required for job_id; returns 1 when the job is listed, 0 when the default applied. */
BPTEE_API int bptee_routing_lookup(const struct bptee_routing *r, const char *job_id, int *tee_required);
BPTEE_API size_t bptee_routing_job_count(const struct bptee_routing *r);

/* ---- hardware detection (blueprint-tee detect_tee_provider, first match wins): /dev/nsm
 * (char) -> aws_nitro; /dev/tdx-guest, /dev/tdx_guest (char) or /sys/firmware/acpi/tables/TDEL
 * or CCEL -> intel_tdx; /dev/sev-guest (char) -> amd_sev_snp;
 * /run/container_launcher/attestation_verifier_claims_token or $CONFIDENTIAL_SPACE_VERSION ->
 * gcp_confidential; /sys/class/dmi/id/board_vendor containing "Microsoft" with
 * /sys/kernel/mm/sev or /dev/sev-guest (char) -> azure_snp. */
struct bptee_detect_opts {
    size_t sz;
    const char *root;      /* prefix for every path (NULL or "": the real "/") */
    const char *sev_guest; /* instead of ROOT/dev/sev-guest (NULL: that) */
    const char *tdx_guest; /* instead of ROOT/dev/tdx_guest (NULL: that) */
    bool ignore_env;       /* do not look at $CONFIDENTIAL_SPACE_VERSION */
};

/* 1 and *provider (enum bptee_provider) when a TEE is found, 0 when none. why (may be NULL)
 * receives the rule that matched, e.g. "/dev/sev-guest is a character device". opts may be
 * NULL. */
BPTEE_API int bptee_detect_provider(const struct bptee_detect_opts *opts, int *provider, char *why, size_t why_cap);

/* ---- routing decision */

enum bptee_route {
    BPTEE_ROUTE_PLAIN = 0, /* run as is: no interposer, no secrets, no attestation */
    BPTEE_ROUTE_TEE = 1,   /* run with the interposer, secrets and an attested result */
};

struct bptee_route_opts {
    size_t sz;
    const struct bptee_routing *routing;     /* hybrid mode: required */
    const struct bptee_detect_opts *detect; /* auto mode (NULL: the real paths) */
};

struct bptee_route_decision {
    int route;       /* enum bptee_route */
    int provider;    /* auto: the detected provider; otherwise -1 */
    char reason[200]; /* one line, e.g. "hybrid: routing lists job 'x' with tee_required true" */
};

/* Where cfg sends job_id: disabled -> plain; direct -> TEE; hybrid -> the routing file;
 * auto -> TEE when detection finds a provider the config's selector accepts, else plain, or
 * BPTEE_EDENIED "TEE required but no TEE hardware detected" when the requirement is required;
 * remote -> BPTEE_EUNSUPPORTED "mode remote: no remote backend configured". */
BPTEE_API int bptee_route_job(const struct bptee_config *cfg, const char *job_id, const struct bptee_route_opts *opts, struct bptee_route_decision *out);

/* ---- backends (deploy, attest, status, stop, destroy) */

/* blueprint-tee's TeeDeploymentStatus. */
enum bptee_deployment_status {
    BPTEE_DEPLOYMENT_PROVISIONING = 0,
    BPTEE_DEPLOYMENT_RUNNING = 1,
    BPTEE_DEPLOYMENT_STOPPING = 2,
    BPTEE_DEPLOYMENT_STOPPED = 3, /* exited 0, or ended after stop() */
    BPTEE_DEPLOYMENT_FAILED = 4,  /* exited non-zero or killed by a signal */
};

struct bptee_backend;
struct bptee_deployment;
struct bptee_registry;

/* The hardened sandbox of a TEE job (docs/sandbox.md): the job runs as the child of a small
 * init (PID 1) in PID, mount and (unless `network`) network namespaces of its own, with a
 * read-only root, a private /tmp, a /dev holding only the basic nodes and the passed-through
 * guest devices, /proc of its own PID namespace, no capabilities, no_new_privs and a seccomp
 * deny-list. Anything that cannot be set up fails the deploy: the job never runs less confined
 * than asked. */
struct bptee_sandbox_opts {
    size_t sz;
    const char *const *writable;   /* existing paths left writable (the spec's widening) */
    size_t n_writable;
    const char *const *visible;    /* existing paths shown read-only at the same path even */
    size_t n_visible;              /* inside the fresh /tmp (the job's own executable) */
    const char *const *devices;    /* guest device paths shown at the same path (absent */
    size_t n_devices;              /* ones are skipped: detection decides what exists) */
    bool network;                  /* keep the caller's network namespace */
    bool io_uring;                 /* allow io_uring_setup */
    uint64_t memory_bytes;         /* a memory cgroup, else RLIMIT_AS; 0: inherited */
    uint64_t cpu_seconds;          /* RLIMIT_CPU; 0: inherited */
    uint64_t max_pids;             /* RLIMIT_NPROC (counted per uid); 0: inherited */
    uint64_t max_open_files;       /* RLIMIT_NOFILE; 0: inherited */
    /* Called in the caller once the job's namespaces are built and before the job starts,
     * with descriptors of the job's mount namespace and root directory (valid during the
     * call): the caller may mount into them (bptee run builds the secret view there). A
     * non-zero return fails the deploy. NULL: none. */
    int (*on_ready)(void *arg, int mnt_ns_fd, int root_fd);
    void *on_ready_arg;
};

/* What to run. Descriptors: NULL keeps the caller's; otherwise the descriptor is duplicated
 * onto 0, 1 or 2 in the job. */
struct bptee_deploy_request {
    size_t sz;
    const char *path;              /* executable to execve (no PATH search) */
    const char *const *argv;       /* NULL-terminated; argv[0] as the job sees it */
    const char *const *envp;       /* NULL-terminated; NULL: the caller's environment */
    const int *stdin_fd, *stdout_fd, *stderr_fd;
    const void *sigmask;           /* a const sigset_t *: the job's signal mask (NULL: the
                                    * caller's); void so strict C11 callers can include this */
    bool harden;                   /* no_new_privs and no core dumps (TEE jobs) */
    const char *deployment_id;     /* NULL: "direct-" and 16 random hex digits */
    const int *inherit_fds;        /* descriptors the job keeps at the same numbers (their */
    size_t n_inherit_fds;          /* close-on-exec flag is cleared in the job only) */
    bool set_ids;                  /* run the job as uid:gid with no supplementary groups */
    uint32_t uid, gid;
    bool die_with_parent;          /* SIGKILL the job when the caller dies (PR_SET_PDEATHSIG) */
    const struct bptee_sandbox_opts *sandbox; /* NULL: a plain child process */
    /* Attest the platform once the job runs, over these bytes (at most 64), and keep the
     * report with the deployment (blueprint-tee's cached_attestation): a deploy whose
     * attestation fails is undone. */
    bool attest_on_deploy;
    const uint8_t *report_data;
    size_t report_data_len;
};

/* "provisioning", "running", "stopping", "stopped", "failed"; NULL if unknown. */
BPTEE_API const char *bptee_deployment_status_name(int status);

/* The direct backend: jobs run as children of this process; attest() asks the guest API
 * (guest may be NULL: the defaults). The options and their strings are copied. Its provider
 * follows guest->provider: sev-snp, tdx, azure-snp, the simulator (which plays sim_tee), or
 * none under auto (named "direct", found only by name). */
BPTEE_API int bptee_direct_backend_new(const struct bptee_guest_opts *guest, struct bptee_backend **out);
/* The direct backend of one local TEE: provider amd_sev_snp, intel_tdx or azure_snp on its
 * hardware, or with simulated the simulator playing amd_sev_snp or intel_tdx. Named
 * "direct-sev-snp", "direct-tdx", "direct-azure-snp", "direct-sim", "direct-sim-tdx". guest
 * (may be NULL) gives the device paths; its provider is overridden. Anything else is
 * BPTEE_EUNSUPPORTED. */
BPTEE_API int bptee_direct_backend_for(int provider, bool simulated, const struct bptee_guest_opts *guest, struct bptee_backend **out);
/* Frees the backend and destroys every deployment it still has (their jobs are killed). */
BPTEE_API void bptee_backend_free(struct bptee_backend *b);
BPTEE_API const char *bptee_backend_name(const struct bptee_backend *b);
/* enum bptee_provider, or -1 for a direct backend under auto. */
BPTEE_API int bptee_backend_provider(const struct bptee_backend *b);
/* 1 when the backend's evidence comes from the simulator. */
BPTEE_API int bptee_backend_simulated(const struct bptee_backend *b);
/* enum bptee_tee_mode the backend serves (BPTEE_TEE_MODE_DIRECT for every local one). */
BPTEE_API int bptee_backend_mode(const struct bptee_backend *b);

/* Start a job. An executable that cannot be run is BPTEE_ENOTFOUND (ENOENT), BPTEE_EDENIED
 * (EACCES, EPERM) or BPTEE_EIO, reported before the call returns and with no deployment.
 * Ids (given or made) are 1 to 63 of A-Z a-z 0-9 . _ : - (else BPTEE_EINVAL).
 * Re-provisioning: a request naming the deployment_id of a deployment this backend still
 * holds (running or ended) starts nothing (a TEE deployment is never recreated) and returns
 * 1 with *out that same deployment, its provision-time attestation unchanged (taken now if
 * the request asks for one it never had); its other fields are not compared. Every deploy
 * that returned it is matched by one destroy: the job is killed at the last. Deploys on one
 * backend are serialised (thread-safe); one deployment is used from one thread at a time. */
BPTEE_API int bptee_backend_deploy(struct bptee_backend *b, const struct bptee_deploy_request *req, struct bptee_deployment **out);
/* Evidence about the deployment's platform over report_data (at most 64 bytes). The first
 * report a deployment gets (at provision time when asked for) is kept as its cached one. */
BPTEE_API int bptee_deployment_attest(struct bptee_deployment *d, const uint8_t *report_data, size_t len, struct bptee_report **out);
/* The kept report (borrowed, valid until destroy), BPTEE_ENOTFOUND before any. */
BPTEE_API int bptee_deployment_cached_attestation(const struct bptee_deployment *d, const struct bptee_report **out);
/* The status now (reaps an exited job without blocking). */
BPTEE_API int bptee_deployment_status(struct bptee_deployment *d);
/* Why the job ended, one line, once it has ended: "exited with status 3", "killed by signal
 * 9", "memory limit exceeded: the kernel stopped the job at its limit of N bytes"; NULL while
 * it runs. */
BPTEE_API const char *bptee_deployment_end_reason(struct bptee_deployment *d);
/* 1 when the job was stopped for exceeding its memory limit (known where the limit is a
 * memory cgroup: docs/sandbox.md), else 0. */
BPTEE_API int bptee_deployment_memory_exceeded(struct bptee_deployment *d);
/* How the sandbox enforces the memory limit: "cgroup", "rlimit" (address space), or NULL
 * when the deployment has none; for "rlimit", the note says why no cgroup could be made. */
BPTEE_API const char *bptee_deployment_memory_enforcement(const struct bptee_deployment *d);
BPTEE_API const char *bptee_deployment_memory_note(const struct bptee_deployment *d);
/* blueprint-tee's TeeDeploymentHandle as JSON (bptee_free): id, provider, metadata
 * {"backend": "direct", "memory_limit" ("cgroup"/"rlimit") when limited, "pid", "provider",
 * "readonly_rootfs" when sandboxed, "simulated" when so}, cached_attestation when there is
 * one, port_mapping {}, lifecycle_policy "cloud_managed". BPTEE_EUNSUPPORTED for a backend
 * without a provider (bptee_direct_backend_new under auto). */
BPTEE_API int bptee_deployment_handle_json(const struct bptee_deployment *d, char **out);
/* Send SIGTERM (status stopping). BPTEE_EINVAL once the job has ended. */
BPTEE_API int bptee_deployment_stop(struct bptee_deployment *d);
BPTEE_API int bptee_deployment_signal(struct bptee_deployment *d, int sig);
/* Block until the job ends (EINTR retried); *wstatus as waitpid reports it. */
BPTEE_API int bptee_deployment_wait(struct bptee_deployment *d, int *wstatus);
/* Drop one holder; at the last, kill (SIGKILL) a job still running, reap it, remove its
 * memory cgroup and free the handle. NULL is a no-op. */
BPTEE_API void bptee_deployment_destroy(struct bptee_deployment *d);
/* The request's deployment_id, else "direct-" and 16 random hex digits. */
BPTEE_API const char *bptee_deployment_id(const struct bptee_deployment *d);
BPTEE_API int32_t bptee_deployment_pid(const struct bptee_deployment *d);

/* Backends by provider and mode (docs/backends.md). register takes ownership (also on
 * failure) and replaces a backend of the same name, unless that one still has deployments
 * (BPTEE_EDENIED); get and find borrow. A missing name is
 * BPTEE_ENOTFOUND "no backend registered for 'NAME'". */
BPTEE_API int bptee_registry_new(struct bptee_registry **out);
BPTEE_API void bptee_registry_free(struct bptee_registry *r);
BPTEE_API int bptee_registry_register(struct bptee_registry *r, struct bptee_backend *b);
BPTEE_API int bptee_registry_get(const struct bptee_registry *r, const char *name, struct bptee_backend **out);
BPTEE_API size_t bptee_registry_count(const struct bptee_registry *r);
/* The i-th backend in registration order, NULL past the end. */
BPTEE_API struct bptee_backend *bptee_registry_at(const struct bptee_registry *r, size_t i);
/* The backend serving provider in mode (simulated or not); BPTEE_EUNSUPPORTED "unsupported
 * tee provider: no backend registered for PROVIDER" when none does. */
BPTEE_API int bptee_registry_find(const struct bptee_registry *r, int mode, int provider, bool simulated, struct bptee_backend **out);
/* blueprint-tee's TEE_BACKEND: value (NULL: $TEE_BACKEND; unset: an empty registry) split on
 * ',' and trimmed. "direct" is the local TEE detection finds (detect may be NULL),
 * "direct-sev-snp", "direct-tdx", "direct-azure-snp", "direct-sim" and "direct-sim-tdx" one
 * each; "aws-nitro", "gcp-confidential" and "azure-snp" are cloud backends bptee does not
 * build (BPTEE_EUNSUPPORTED); anything else is BPTEE_EINVAL "tee config error: unknown
 * TEE_BACKEND value: 'V'; valid options: ...". guest (may be NULL) gives device paths. */
BPTEE_API int bptee_registry_from_env(const char *value, const struct bptee_detect_opts *detect, const struct bptee_guest_opts *guest, struct bptee_registry **out);
/* The backend a TEE job of cfg runs on here: by the config's evidence provider (auto:
 * detection), accepted by its provider selector (the simulator only by "any"), registered
 * for mode direct. why (may be NULL) gets one line saying how it was chosen. Refusals:
 * mode disabled or remote, no TEE found, a provider the selector refuses (BPTEE_EDENIED), no
 * backend registered (BPTEE_EUNSUPPORTED). */
BPTEE_API int bptee_registry_select(const struct bptee_registry *r, const struct bptee_config *cfg, const struct bptee_detect_opts *detect, struct bptee_backend **out, char *why, size_t why_cap);

#endif
