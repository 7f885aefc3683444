/* SPDX-License-Identifier: Apache-2.0 */
/* Attested results (DESIGN.md contracts 4, 5 and 8; docs/results.md is the specification).
 *
 * A job's result bytes are bound to evidence together with the job's identity (job id, SHA-256
 * of its binary, argv digest): signed by the agent's attested Ed25519 key (docs/formats.md,
 * "Job result signature"), or attested freshly by evidence whose REPORT_DATA is SHA-512 of
 * that same message. The metadata is a JSON object carrying blueprint-tee's keys
 * "tee.attestation.digest", "tee.provider", "tee.measurement" and everything a verifier needs.
 * It goes into a JSON object result as its last member "tee" (removing that member restores
 * the job's bytes exactly), or beside any other result as a sidecar file. */
#ifndef BPTEE_RESULT_H
#define BPTEE_RESULT_H

#include <bptee/agent.h>
#include <bptee/common.h>
#include <bptee/evidence.h>
#include <bptee/guest.h>
#include <bptee/verify.h>

/* Largest result bptee attests or verifies in memory, and largest metadata document. */
#define BPTEE_RESULT_MAX (256ull << 20)
#define BPTEE_RESULT_META_MAX (8u << 20)
/* The metadata format version. */
#define BPTEE_RESULT_META_VERSION 1

/* How a result was attested. */
enum bptee_result_kind {
    BPTEE_RESULT_SIGNED = 1, /* signed by an attested signing key (attest once, sign many) */
    BPTEE_RESULT_FRESH = 2,  /* evidence whose REPORT_DATA binds this result */
};

/* Who produced a result (DESIGN.md contract 8). */
struct bptee_job_identity {
    const char *job_id;        /* [A-Za-z0-9._:@+-]{1,128} (bptee_job_id_check) */
    uint8_t binary_sha256[32]; /* SHA-256 of the job's executable file */
    uint8_t argv_sha256[32];   /* bptee_job_argv_digest of its argv */
};

/* Fill id from an executable and its argv (id->job_id borrows job_id). */
BPTEE_API int bptee_job_identity_init(struct bptee_job_identity *id, const char *job_id, const char *executable, const char *const *argv, size_t argc);

/* REPORT_DATA of fresh result evidence: SHA-512 of the job result message. */
BPTEE_API int bptee_result_report_data(const struct bptee_job_identity *id, const uint8_t result_sha256[32], uint8_t out[64]);

/* ---- the metadata (the "tee" member, or the sidecar) */

struct bptee_result_meta;

BPTEE_API void bptee_result_meta_free(struct bptee_result_meta *m);
/* The metadata as JSON (a sidecar's whole content; covers "bytes"), released with bptee_free. */
BPTEE_API int bptee_result_meta_to_json(const struct bptee_result_meta *m, char **out);
/* Parse metadata JSON strictly (nothing is verified). Errors name the field:
 * "result metadata: job.binary_sha256: expected 64 hex digits". */
BPTEE_API int bptee_result_meta_from_json(const char *json, size_t len, struct bptee_result_meta **out);
BPTEE_API int bptee_result_meta_kind(const struct bptee_result_meta *m);
BPTEE_API const char *bptee_result_meta_job_id(const struct bptee_result_meta *m);
/* blueprint-tee's three metadata values: lowercase hex SHA-256 of the evidence, the provider
 * ("amd_sev_snp") and the measurement ("sha384:<hex>"). */
BPTEE_API const char *bptee_result_meta_attestation_digest(const struct bptee_result_meta *m);
BPTEE_API const char *bptee_result_meta_provider(const struct bptee_result_meta *m);
BPTEE_API const char *bptee_result_meta_measurement(const struct bptee_result_meta *m);

/* ---- attesting */

struct bptee_result_signer;

/* A signing key held by this process (the agent itself, tests, benchmarks); it must have been
 * attested (bptee_signing_key_attest). Borrows key. */
BPTEE_API int bptee_result_signer_from_key(struct bptee_signing_key *key, struct bptee_result_signer **out);
/* The agent at socket_path: its signing key's evidence is fetched once (ATTEST), each result
 * is signed over the socket (SIGN naming the job's measurement, docs/protocol.md). */
BPTEE_API int bptee_result_signer_from_agent(const char *socket_path, struct bptee_result_signer **out);
/* Fresh evidence for each result from the guest API (opts and their strings copied; NULL:
 * defaults). */
BPTEE_API int bptee_result_signer_fresh(const struct bptee_guest_opts *opts, struct bptee_result_signer **out);
BPTEE_API void bptee_result_signer_free(struct bptee_result_signer *s);

/* Attest a result given by its SHA-256 and size, or by its bytes. */
BPTEE_API int bptee_result_attest_digest(struct bptee_result_signer *s, const struct bptee_job_identity *id, const uint8_t result_sha256[32], uint64_t size, struct bptee_result_meta **out);
BPTEE_API int bptee_result_attest(struct bptee_result_signer *s, const struct bptee_job_identity *id, const uint8_t *result, size_t len, struct bptee_result_meta **out);

/* ---- placing the metadata */

/* 1 when doc is a JSON object without a top-level "tee" member (the metadata can be
 * injected), 0 when not (write a sidecar), negative on error. */
BPTEE_API int bptee_result_injectable(const uint8_t *doc, size_t len);
/* The result with the metadata added as its last member "tee": doc up to its closing brace,
 * ",\"tee\":" (just "\"tee\":" for an empty object) and the compact metadata, then the closing
 * brace and whatever followed it. m must attest exactly doc. BPTEE_EUNSUPPORTED when doc is
 * not injectable. *out is released with bptee_free. */
BPTEE_API int bptee_result_inject(const struct bptee_result_meta *m, const uint8_t *doc, size_t len, uint8_t **out, size_t *out_len);
/* The bytes the job produced, recovered from an injected document (nothing verified). */
BPTEE_API int bptee_result_original(const uint8_t *doc, size_t len, uint8_t **out, size_t *out_len);

/* ---- verifying */

/* The "results" section of a verification policy (docs/results.md):
 * {"job_ids": [ID...], "binary_sha256": [HEX...], "argv_sha256": [HEX...], "attestation":
 * ["signed", "fresh"]}; each list absent means any. */
struct bptee_result_policy;

BPTEE_API int bptee_result_policy_parse(const char *json, size_t len, struct bptee_result_policy **out);
/* A whole policy file: its "results" section (absent: any job) and the rest as the evidence
 * policy (bptee_policy_parse). Either output may be NULL when not wanted. */
BPTEE_API int bptee_result_policy_load(const char *path, struct bptee_policy **evidence, struct bptee_result_policy **results);
BPTEE_API int bptee_result_policy_split(const char *json, size_t len, struct bptee_policy **evidence, struct bptee_result_policy **results);
BPTEE_API void bptee_result_policy_free(struct bptee_result_policy *p);

struct bptee_result_verify_opts {
    size_t sz;
    const struct bptee_verify_opts *evidence;   /* evidence policy and time (NULL: defaults) */
    const struct bptee_result_policy *policy;   /* NULL: any job */
    const uint8_t *sidecar;                      /* the sidecar, for a result without "tee" */
    size_t sidecar_len;
};

/* What a verified result says (plain strings, NUL-terminated). */
struct bptee_result_verified {
    int kind;         /* enum bptee_result_kind */
    int injected;     /* 1: "tee" member of the document; 0: sidecar */
    int provider;     /* enum bptee_provider of the evidence */
    int simulated;    /* 1: the evidence came from the simulated TEE */
    char job_id[BPTEE_JOB_ID_MAX + 1];
    char binary_sha256[65];
    char argv_sha256[65];
    char result_sha256[65];
    uint64_t result_size;
    char attestation_digest[65];
    char measurement[160];   /* "sha384:<hex>" */
    char public_key[65];     /* signed: the signing key; fresh: "" */
};

/* Verify doc (an injected JSON object, or any bytes with opts->sidecar): the result bytes are
 * the attested ones, the evidence verifies under the policy and binds the signing key (signed)
 * or this result (fresh), the signature verifies, the metadata's tee.* values are the
 * evidence's, and the job identity is allowed by the results policy. Failures: BPTEE_EVERIFY
 * (bytes, signature, binding, metadata), BPTEE_EPOLICY (policy), BPTEE_EPARSE, BPTEE_ENOTFOUND
 * (no "tee" member and no sidecar), BPTEE_EEXPIRED. *evidence (may be NULL) receives the
 * verified report. */
BPTEE_API int bptee_result_verify(const uint8_t *doc, size_t len, const struct bptee_result_verify_opts *opts, struct bptee_result_verified *out, struct bptee_report **evidence);

#endif
