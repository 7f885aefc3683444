// SPDX-License-Identifier: Apache-2.0
/* Reading result metadata (untrusted: it arrives with the result). Strict: unknown keys, wrong
 * types, upper-case or short hex are refused with the field's path, so that no byte of the
 * metadata can change without the verifier noticing. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "result/result_private.h"
#include "util/error.h"
#include "util/json.h"

#define WHAT "result metadata"

static int check_keys(const json_t *obj, const char *path, const char *const *allowed)
{
    const char *colon = path[0] ? ": " : "";
    if (!json_is_object(obj))
        return fail(BPTEE_EPARSE, WHAT ": %s%sexpected an object", path, colon);
    const char *key = json_unknown_key(obj, allowed);
    if (key)
        return fail(BPTEE_EPARSE, WHAT ": %s%sunknown key '%.64s'", path, colon, key);
    for (size_t i = 0; allowed[i]; i++)
        if (!json_object_get(obj, allowed[i]) && strcmp(allowed[i], "signature"))
            return fail(BPTEE_EPARSE, WHAT ": %s%s%s: missing", path, path[0] ? "." : "",
                        allowed[i]);
    return 0;
}

static int get_string(const json_t *obj, const char *key, const char *path, char *out,
                      size_t cap)
{
    const json_t *v = json_object_get(obj, key);
    if (!json_is_string(v) || json_string_length(v) == 0 || json_string_length(v) >= cap ||
        strlen(json_string_value(v)) != json_string_length(v))
        return fail(BPTEE_EPARSE, WHAT ": %s: expected a string of 1 to %zu characters", path,
                    cap - 1);
    memcpy(out, json_string_value(v), json_string_length(v) + 1);
    return 0;
}

/* Lowercase hex only: the writer never produces anything else. */
static int get_hex(const json_t *obj, const char *key, const char *path, uint8_t *out,
                   size_t n)
{
    const json_t *v = json_object_get(obj, key);
    const char *s = json_is_string(v) ? json_string_value(v) : NULL;
    if (!s || json_string_length(v) != 2 * n)
        return fail(BPTEE_EPARSE, WHAT ": %s: expected %zu lowercase hex digits", path, 2 * n);
    for (size_t i = 0; i < n; i++) {
        unsigned hi, lo;
        char a = s[2 * i], b = s[2 * i + 1];
        if (!((a >= '0' && a <= '9') || (a >= 'a' && a <= 'f')) ||
            !((b >= '0' && b <= '9') || (b >= 'a' && b <= 'f')))
            return fail(BPTEE_EPARSE, WHAT ": %s: expected %zu lowercase hex digits", path,
                        2 * n);
        hi = (unsigned)(a <= '9' ? a - '0' : a - 'a' + 10);
        lo = (unsigned)(b <= '9' ? b - '0' : b - 'a' + 10);
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    return 0;
}

static int read_job(const json_t *job, struct bptee_result_meta *m)
{
    static const char *const keys[] = {"id", "binary_sha256", "argv_sha256", NULL};
    int rc = check_keys(job, "job", keys);
    if (rc == 0)
        rc = get_string(job, "id", "job.id", m->job_id, sizeof m->job_id);
    if (rc == 0 && bptee_job_id_check(m->job_id) < 0)
        rc = fail_prefix(BPTEE_EPARSE, WHAT ": job.id");
    if (rc == 0)
        rc = get_hex(job, "binary_sha256", "job.binary_sha256", m->binary, 32);
    if (rc == 0)
        rc = get_hex(job, "argv_sha256", "job.argv_sha256", m->argv, 32);
    return rc;
}

static int read_result(const json_t *res, struct bptee_result_meta *m)
{
    static const char *const keys[] = {"sha256", "size", "covers", NULL};
    int rc = check_keys(res, "result", keys);
    if (rc == 0)
        rc = get_hex(res, "sha256", "result.sha256", m->result, 32);
    const json_t *size = json_object_get(res, "size");
    if (rc == 0 && (!json_is_integer(size) || json_integer_value(size) < 0))
        rc = fail(BPTEE_EPARSE, WHAT ": result.size: expected a non-negative integer");
    if (rc == 0) {
        m->size = (uint64_t)json_integer_value(size);
        rc = get_string(res, "covers", "result.covers", m->covers, sizeof m->covers);
    }
    if (rc == 0 && strcmp(m->covers, COVERS_BYTES) && strcmp(m->covers, COVERS_JSON))
        rc = fail(BPTEE_EPARSE, WHAT ": result.covers: expected \"" COVERS_BYTES "\" or \""
                  COVERS_JSON "\"");
    return rc;
}

static int read_signature(const json_t *sig, struct bptee_result_meta *m)
{
    static const char *const keys[] = {"algorithm", "public_key", "value", NULL};
    char alg[16];
    int rc = check_keys(sig, "signature", keys);
    if (rc == 0)
        rc = get_string(sig, "algorithm", "signature.algorithm", alg, sizeof alg);
    if (rc == 0 && strcmp(alg, "ed25519"))
        rc = fail(BPTEE_EPARSE, WHAT ": signature.algorithm: expected \"ed25519\"");
    if (rc == 0)
        rc = get_hex(sig, "public_key", "signature.public_key", m->public_key, 32);
    if (rc == 0)
        rc = get_hex(sig, "value", "signature.value", m->signature, 64);
    return rc;
}

static int read_kind(const json_t *t, struct bptee_result_meta *m)
{
    char kind[16];
    const json_t *version = json_object_get(t, "version");
    if (!json_is_integer(version) || json_integer_value(version) != BPTEE_RESULT_META_VERSION)
        return fail(BPTEE_EUNSUPPORTED, WHAT ": version: expected %d",
                    BPTEE_RESULT_META_VERSION);
    int rc = get_string(t, "attestation", "attestation", kind, sizeof kind);
    if (rc < 0)
        return rc;
    if (!strcmp(kind, "signed"))
        m->kind = BPTEE_RESULT_SIGNED;
    else if (!strcmp(kind, "fresh"))
        m->kind = BPTEE_RESULT_FRESH;
    else
        return fail(BPTEE_EPARSE, WHAT ": attestation: expected \"signed\" or \"fresh\"");
    const json_t *sig = json_object_get(t, "signature");
    if (m->kind == BPTEE_RESULT_SIGNED && !sig)
        return fail(BPTEE_EPARSE, WHAT ": signature: missing (attestation is \"signed\")");
    if (m->kind == BPTEE_RESULT_FRESH && sig)
        return fail(BPTEE_EPARSE, WHAT ": signature: not allowed (attestation is \"fresh\")");
    return sig ? read_signature(sig, m) : 0;
}

static int read_tree(const json_t *t, struct bptee_result_meta *m)
{
    static const char *const keys[] = {
        "tee.attestation.digest", "tee.provider", "tee.measurement", "version", "attestation",
        "job", "result", "signature", "evidence", NULL,
    };
    uint8_t digest[32];
    int rc = check_keys(t, "", keys);
    if (rc == 0)
        rc = get_hex(t, "tee.attestation.digest", "tee.attestation.digest", digest, 32);
    if (rc == 0)
        rc = get_string(t, "tee.attestation.digest", "tee.attestation.digest", m->digest,
                        sizeof m->digest);
    if (rc == 0)
        rc = get_string(t, "tee.provider", "tee.provider", m->provider, sizeof m->provider);
    if (rc == 0)
        rc = get_string(t, "tee.measurement", "tee.measurement", m->measurement,
                        sizeof m->measurement);
    if (rc == 0)
        rc = read_kind(t, m);
    if (rc == 0)
        rc = read_job(json_object_get(t, "job"), m);
    if (rc == 0)
        rc = read_result(json_object_get(t, "result"), m);
    const json_t *ev = json_object_get(t, "evidence");
    if (rc == 0 && !json_is_object(ev))
        rc = fail(BPTEE_EPARSE, WHAT ": evidence: expected the evidence report object");
    if (rc == 0)
        m->evidence = json_incref((json_t *)ev);
    return rc;
}

int meta_from_tree(const json_t *t, struct bptee_result_meta **out)
{
    struct bptee_result_meta *m = calloc(1, sizeof *m);
    if (!m)
        return fail(BPTEE_ENOMEM, WHAT ": out of memory");
    int rc = read_tree(t, m);
    if (rc < 0) {
        bptee_result_meta_free(m);
        return rc;
    }
    *out = m;
    return 0;
}
