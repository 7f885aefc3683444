/* SPDX-License-Identifier: Apache-2.0 */
/* The C API for new programs running as bptee jobs: read a secret into a buffer, attest a
 * result, and read the job context (blueprint-tee's TeeContext: provider, measurement,
 * deployment id, attested or not). Everything goes over the agent's job socket
 * (docs/protocol.md), found in the environment `bptee run` sets (docs/results.md):
 * $BPTEE_AGENT_SOCKET, else $BPTEE_JOB_SOCKET (which the interposer leaves in place), with
 * $BPTEE_JOB_ID and $BPTEE_DEPLOYMENT_ID. */
#ifndef BPTEE_JOB_H
#define BPTEE_JOB_H

#include <bptee/common.h>
#include <bptee/result.h>
#include <bptee/verify.h>

struct bptee_job_context;

struct bptee_job_context_opts {
    size_t sz;
    const char *socket;                     /* NULL: from the environment */
    const struct bptee_verify_opts *verify; /* how to verify the evidence (NULL: defaults) */
};

/* Read the context. Outside a TEE job (no socket named) this succeeds with nothing active;
 * a socket that is named but cannot be reached is an error. The agent's signing-key evidence
 * is verified under opts->verify: is_attested says whether it passed. */
BPTEE_API int bptee_job_context_load(const struct bptee_job_context_opts *opts, struct bptee_job_context **out);
BPTEE_API void bptee_job_context_free(struct bptee_job_context *c);
/* 1 when a TEE provider is known (evidence obtained), else 0. */
BPTEE_API int bptee_job_context_is_tee_active(const struct bptee_job_context *c);
/* 1 when the evidence verified under the policy (TeeContext::is_attested), else 0. */
BPTEE_API int bptee_job_context_is_attested(const struct bptee_job_context *c);
/* Why the evidence did not verify ("" when it did or when there is none). */
BPTEE_API const char *bptee_job_context_attestation_error(const struct bptee_job_context *c);
/* enum bptee_provider, or -1. */
BPTEE_API int bptee_job_context_provider(const struct bptee_job_context *c);
/* The strings below are NULL when unknown. */
BPTEE_API const char *bptee_job_context_measurement(const struct bptee_job_context *c);
BPTEE_API const char *bptee_job_context_attestation_digest(const struct bptee_job_context *c);
BPTEE_API const char *bptee_job_context_deployment_id(const struct bptee_job_context *c);
BPTEE_API const char *bptee_job_context_job_id(const struct bptee_job_context *c);
BPTEE_API const char *bptee_job_context_socket(const struct bptee_job_context *c);
/* blueprint-tee's TeeLayer metadata as a JSON object: "tee.attestation.digest",
 * "tee.provider", "tee.measurement" when attested, else {}. Released with bptee_free. */
BPTEE_API int bptee_job_context_metadata_json(const struct bptee_job_context *c, char **out);

/* Fetch a secret from the agent (socket NULL: from the environment) into buf (cap bytes).
 * *len receives its size; a short cap is BPTEE_ELIMIT with *len set. */
BPTEE_API int bptee_job_secret_read(const char *socket, const char *name, uint8_t *buf, size_t cap, size_t *len);

/* Attest this process's result: the agent signs it together with this process's binary
 * measurement and argv digest, which it measures itself (socket and job_id NULL: from the
 * environment). Place the metadata with bptee_result_inject or bptee_result_meta_to_json. */
BPTEE_API int bptee_job_attest_result(const char *socket, const char *job_id, const uint8_t *result, size_t len, struct bptee_result_meta **out);

#endif
