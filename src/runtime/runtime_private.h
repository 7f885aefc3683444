/* SPDX-License-Identifier: Apache-2.0 */
/* What the runtime module's files share: the backend interface behind the public handles. */
#ifndef BPTEE_RUNTIME_PRIVATE_H
#define BPTEE_RUNTIME_PRIVATE_H

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
};

struct bptee_deployment {
    struct bptee_backend *backend;
    char id[64];
    pid_t pid;
    int status; /* enum bptee_deployment_status */
    int wstatus;
    bool reaped, stop_requested;
};

/* Record a reaped job's wait status and derive the deployment status. */
void deployment_reaped(struct bptee_deployment *d, int wstatus);

/* [A-Za-z0-9._-]{1,128}, not "." or "..": the secret store's names. */
int runtime_secret_name_ok(const char *name);

#endif
