// SPDX-License-Identifier: Apache-2.0
/* The result metadata object: built by a signer, serialized as the "tee" member or a
 * sidecar, parsed back by verifiers. docs/results.md specifies every field. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "result/result_private.h"
#include "util/cleanup.h"
#include "util/codec.h"
#include "util/error.h"
#include "util/json.h"

void bptee_result_meta_free(struct bptee_result_meta *m)
{
    if (!m)
        return;
    json_decref(m->evidence);
    free(m);
}

int evidence_summary(const struct bptee_report *r, char digest[65], char provider[32],
                     char measurement[160])
{
    const char *name = bptee_provider_name(bptee_report_provider(r));
    char *meas = NULL;
    if (!name)
        return fail(BPTEE_EPARSE, "evidence: no provider");
    int rc = bptee_report_evidence_digest(r, digest);
    if (rc == 0)
        rc = bptee_report_measurement_string(r, &meas);
    if (rc < 0)
        return fail_prefix(rc, "evidence");
    if (strlen(meas) >= 160) {
        free(meas);
        return fail(BPTEE_ELIMIT, "evidence: measurement longer than 159 characters");
    }
    snprintf(provider, 32, "%s", name);
    snprintf(measurement, 160, "%s", meas);
    free(meas);
    return 0;
}

int meta_new(int kind, const struct bptee_job_identity *id, const uint8_t result[32],
             uint64_t size, json_t *evidence, const char *digest, const char *provider,
             const char *measurement, struct bptee_result_meta **out)
{
    int rc = bptee_job_id_check(id->job_id);
    if (rc < 0)
        return rc;
    struct bptee_result_meta *m = calloc(1, sizeof *m);
    if (!m)
        return fail(BPTEE_ENOMEM, "result: out of memory");
    m->kind = kind;
    snprintf(m->job_id, sizeof m->job_id, "%s", id->job_id);
    memcpy(m->binary, id->binary_sha256, 32);
    memcpy(m->argv, id->argv_sha256, 32);
    memcpy(m->result, result, 32);
    m->size = size;
    m->evidence = json_incref(evidence);
    snprintf(m->digest, sizeof m->digest, "%s", digest);
    snprintf(m->provider, sizeof m->provider, "%s", provider);
    snprintf(m->measurement, sizeof m->measurement, "%s", measurement);
    *out = m;
    return 0;
}

int meta_message(const struct bptee_result_meta *m, uint8_t *buf, size_t cap, size_t *len)
{
    return bptee_job_result_message(m->result, m->binary, m->argv, m->job_id, buf, cap, len);
}

static json_t *hex_string(const uint8_t *b, size_t n)
{
    char hex[129];
    if (n * 2 >= sizeof hex)
        return NULL;
    for (size_t i = 0; i < n; i++)
        snprintf(hex + 2 * i, 3, "%02x", b[i]);
    return json_string(hex);
}

static json_t *meta_tree(const struct bptee_result_meta *m, const char *covers)
{
    json_t *t = json_object(), *job = json_object(), *res = json_object();
    if (!t || !job || !res)
        goto oom;
    int bad = json_object_set_new(t, "tee.attestation.digest", json_string(m->digest)) |
              json_object_set_new(t, "tee.provider", json_string(m->provider)) |
              json_object_set_new(t, "tee.measurement", json_string(m->measurement)) |
              json_object_set_new(t, "version", json_integer(BPTEE_RESULT_META_VERSION)) |
              json_object_set_new(t, "attestation",
                                  json_string(m->kind == BPTEE_RESULT_FRESH ? "fresh" : "signed"));
    bad |= json_object_set_new(job, "id", json_string(m->job_id)) |
           json_object_set_new(job, "binary_sha256", hex_string(m->binary, 32)) |
           json_object_set_new(job, "argv_sha256", hex_string(m->argv, 32)) |
           json_object_set_new(t, "job", job);
    job = NULL;
    bad |= json_object_set_new(res, "sha256", hex_string(m->result, 32)) |
           json_object_set_new(res, "size", json_integer((json_int_t)m->size)) |
           json_object_set_new(res, "covers", json_string(covers)) |
           json_object_set_new(t, "result", res);
    res = NULL;
    if (m->kind == BPTEE_RESULT_SIGNED) {
        json_t *sig = json_object();
        bad |= !sig || json_object_set_new(sig, "algorithm", json_string("ed25519")) |
                           json_object_set_new(sig, "public_key", hex_string(m->public_key, 32)) |
                           json_object_set_new(sig, "value", hex_string(m->signature, 64)) |
                           json_object_set_new(t, "signature", sig);
    }
    bad |= json_object_set(t, "evidence", m->evidence);
    if (!bad)
        return t;
oom:
    json_decref(t);
    json_decref(job);
    json_decref(res);
    return NULL;
}

int meta_serialize(const struct bptee_result_meta *m, const char *covers, char **out,
                   size_t *len)
{
    if (m->size > (uint64_t)INT64_MAX)
        return fail(BPTEE_ELIMIT, "result: size out of range");
    _cleanup_json_ json_t *t = meta_tree(m, covers);
    char *s = t ? json_dumps(t, JSON_COMPACT) : NULL;
    if (!s)
        return fail(BPTEE_ENOMEM, "result metadata: out of memory");
    *out = s;
    *len = strlen(s);
    return 0;
}

int bptee_result_meta_to_json(const struct bptee_result_meta *m, char **out)
{
    if (!m || !out)
        return fail(BPTEE_EINVAL, "result metadata: missing argument");
    size_t len;
    return meta_serialize(m, COVERS_BYTES, out, &len);
}

int bptee_result_meta_from_json(const char *json, size_t len, struct bptee_result_meta **out)
{
    if (!json || !out)
        return fail(BPTEE_EINVAL, "result metadata: missing argument");
    _cleanup_json_ json_t *t = NULL;
    int rc = json_parse_capped(json, len, BPTEE_RESULT_META_MAX, "result metadata", &t);
    return rc < 0 ? rc : meta_from_tree(t, out);
}

int bptee_result_meta_kind(const struct bptee_result_meta *m)
{
    return m ? m->kind : BPTEE_EINVAL;
}

const char *bptee_result_meta_job_id(const struct bptee_result_meta *m)
{
    return m ? m->job_id : NULL;
}

const char *bptee_result_meta_attestation_digest(const struct bptee_result_meta *m)
{
    return m ? m->digest : NULL;
}

const char *bptee_result_meta_provider(const struct bptee_result_meta *m)
{
    return m ? m->provider : NULL;
}

const char *bptee_result_meta_measurement(const struct bptee_result_meta *m)
{
    return m ? m->measurement : NULL;
}
