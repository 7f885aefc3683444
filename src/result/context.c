// SPDX-License-Identifier: Apache-2.0
/* The job context (blueprint-tee's TeeContext): what the agent's signing-key evidence says
 * about the TEE this job runs in, and whether that evidence verifies. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bptee/job.h>

#include "result/result_private.h"
#include "util/cleanup.h"
#include "util/error.h"
#include "util/json.h"

struct bptee_job_context {
    int provider, attested;
    char *socket, *job_id, *deployment_id;
    char digest[65], provider_name[32], measurement[160];
    char error[256];
};

void bptee_job_context_free(struct bptee_job_context *c)
{
    if (!c)
        return;
    free(c->socket);
    free(c->job_id);
    free(c->deployment_id);
    free(c);
}

static int dup_env(const char *name, char **out)
{
    const char *v = secure_getenv(name);
    if (!v || !v[0])
        return 0;
    *out = strdup(v);
    return *out ? 0 : fail(BPTEE_ENOMEM, "job context: out of memory");
}

/* ATTEST, then verify what came back; a verification failure is recorded, not returned. */
static int context_attest(struct bptee_job_context *c, const struct bptee_verify_opts *vo)
{
    _cleanup_close_ int fd = -1;
    _cleanup_free_ char *json = NULL;
    size_t len = 0;
    uint8_t pk[32], bound[32];
    struct bptee_report *ev = NULL, *verified = NULL;
    int rc = bptee_job_connect(c->socket, &fd);
    if (rc == 0)
        rc = bptee_job_attest(fd, 0, &json, &len, pk);
    if (rc == 0)
        rc = bptee_report_load_json(json, len, &ev);
    if (rc == 0)
        rc = evidence_summary(ev, c->digest, c->provider_name, c->measurement);
    if (rc < 0) {
        bptee_report_free(ev);
        return fail_prefix(rc, "job context");
    }
    c->provider = bptee_report_provider(ev);
    BPTEE_OPTS(bptee_verify_opts, defaults);
    if (bptee_signing_key_verify_evidence(ev, vo ? vo : &defaults, bound, &verified) < 0)
        snprintf(c->error, sizeof c->error, "%s", bptee_last_error());
    else if (memcmp(bound, pk, 32) != 0)
        snprintf(c->error, sizeof c->error, "the evidence binds another key than the agent's");
    else
        c->attested = 1;
    bptee_report_free(verified);
    bptee_report_free(ev);
    bptee_clear_error();
    return 0;
}

int bptee_job_context_load(const struct bptee_job_context_opts *opts,
                           struct bptee_job_context **out)
{
    if (!out)
        return fail(BPTEE_EINVAL, "job context: missing output");
    struct bptee_job_context_opts o = {0};
    if (opts)
        memcpy(&o, opts, opts->sz < sizeof o ? opts->sz : sizeof o);
    struct bptee_job_context *c = calloc(1, sizeof *c);
    if (!c)
        return fail(BPTEE_ENOMEM, "job context: out of memory");
    c->provider = -1;
    const char *sock = o.socket && o.socket[0] ? o.socket : secure_getenv("BPTEE_AGENT_SOCKET");
    if (!sock || !sock[0])
        sock = secure_getenv("BPTEE_JOB_SOCKET");
    int rc = 0;
    if (sock && sock[0] && !(c->socket = strdup(sock)))
        rc = fail(BPTEE_ENOMEM, "job context: out of memory");
    if (rc == 0)
        rc = dup_env("BPTEE_JOB_ID", &c->job_id);
    if (rc == 0)
        rc = dup_env("BPTEE_DEPLOYMENT_ID", &c->deployment_id);
    if (rc == 0 && c->socket)
        rc = context_attest(c, o.verify);
    if (rc < 0) {
        bptee_job_context_free(c);
        return rc;
    }
    *out = c;
    return 0;
}

int bptee_job_context_is_tee_active(const struct bptee_job_context *c)
{
    return c && c->provider >= 0;
}

int bptee_job_context_is_attested(const struct bptee_job_context *c)
{
    return c && c->attested;
}

const char *bptee_job_context_attestation_error(const struct bptee_job_context *c)
{
    return c ? c->error : "";
}

int bptee_job_context_provider(const struct bptee_job_context *c)
{
    return c ? c->provider : -1;
}

const char *bptee_job_context_measurement(const struct bptee_job_context *c)
{
    return c && c->provider >= 0 ? c->measurement : NULL;
}

const char *bptee_job_context_attestation_digest(const struct bptee_job_context *c)
{
    return c && c->provider >= 0 ? c->digest : NULL;
}

const char *bptee_job_context_deployment_id(const struct bptee_job_context *c)
{
    return c ? c->deployment_id : NULL;
}

const char *bptee_job_context_job_id(const struct bptee_job_context *c)
{
    return c ? c->job_id : NULL;
}

const char *bptee_job_context_socket(const struct bptee_job_context *c)
{
    return c ? c->socket : NULL;
}

int bptee_job_context_metadata_json(const struct bptee_job_context *c, char **out)
{
    if (!c || !out)
        return fail(BPTEE_EINVAL, "job context: missing argument");
    _cleanup_json_ json_t *o = json_object();
    if (o && c->attested &&
        (json_object_set_new(o, "tee.attestation.digest", json_string(c->digest)) ||
         json_object_set_new(o, "tee.provider", json_string(c->provider_name)) ||
         json_object_set_new(o, "tee.measurement", json_string(c->measurement))))
        return fail(BPTEE_ENOMEM, "job context: out of memory");
    *out = o ? json_dumps(o, JSON_COMPACT) : NULL;
    return *out ? 0 : fail(BPTEE_ENOMEM, "job context: out of memory");
}
