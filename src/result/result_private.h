/* SPDX-License-Identifier: Apache-2.0 */
/* What the result module's files share. */
#ifndef BPTEE_RESULT_PRIVATE_H
#define BPTEE_RESULT_PRIVATE_H

#include <jansson.h>

#include <bptee/result.h>

/* What the digest covers (docs/results.md). */
#define COVERS_BYTES "bytes"
#define COVERS_JSON "json-without-tee"

struct bptee_result_meta {
    int kind; /* enum bptee_result_kind */
    char job_id[BPTEE_JOB_ID_MAX + 1];
    uint8_t binary[32], argv[32], result[32];
    uint64_t size;
    uint8_t public_key[32], signature[64]; /* signed only */
    json_t *evidence;                      /* the evidence report's JSON object (shared) */
    char digest[65];                       /* tee.attestation.digest */
    char provider[32];                     /* tee.provider */
    char measurement[160];                 /* tee.measurement */
    char covers[24];                       /* as parsed; "" when built here */
};

/* The tee.* values of a report: evidence digest, provider name, "alg:digest". */
int evidence_summary(const struct bptee_report *r, char digest[65], char provider[32],
                     char measurement[160]);

/* A new metadata object; evidence is referenced (json_incref), not copied. */
int meta_new(int kind, const struct bptee_job_identity *id, const uint8_t result[32],
             uint64_t size, json_t *evidence, const char *digest, const char *provider,
             const char *measurement, struct bptee_result_meta **out);

/* The compact JSON text of m with result.covers = covers (malloc'd, *len without NUL). */
int meta_serialize(const struct bptee_result_meta *m, const char *covers, char **out,
                   size_t *len);
/* Parse metadata from a jansson tree, strictly (result.covers is kept in m->covers). */
int meta_from_tree(const json_t *t, struct bptee_result_meta **out);

/* The job result message (agent.h layout) for m's identity and result. */
int meta_message(const struct bptee_result_meta *m, uint8_t *buf, size_t cap, size_t *len);

/* Locate an injected "tee" member: its value's bytes and the original document's two
 * pieces (doc[0..prefix) and doc[suffix..len)). */
int inject_locate(const uint8_t *doc, size_t len, size_t *value, size_t *value_end,
                  size_t *prefix, size_t *suffix);

/* The agent signer asking as the job itself (the C API for new programs): the agent
 * measures the caller and digests its cmdline. */
int signer_from_agent_self(const char *socket_path, struct bptee_result_signer **out);
/* SIGN as the job itself; id->binary and id->argv come back as the agent measured them. */
int signer_sign_self(struct bptee_result_signer *s, const char *job_id,
                     const uint8_t result[32], uint64_t size, struct bptee_result_meta **out);

#endif
