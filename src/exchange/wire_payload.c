// SPDX-License-Identifier: Apache-2.0
/* SealedSecretPayload and SealedSecretResult as JSON, in serde's field order. */
#include <stdlib.h>
#include <string.h>

#include "exchange/exchange_private.h"
#include "util/error.h"
#include "util/json.h"

#define PAYLOAD "sealed secret payload"
#define RESULT "sealed secret result"
/* Digests and fingerprints are short hex strings; anything longer is not one. */
#define RESULT_TEXT_MAX 1024

void bptee_sealed_payload_free(struct bptee_sealed_payload *p)
{
    if (!p)
        return;
    free(p->session_id);
    free(p->ciphertext);
    free(p->nonce);
    free(p->ephemeral_public_key);
    free(p);
}

/* An optional byte field: absent or null leaves *out NULL. */
static int opt_bytes(const json_t *obj, const char *field, uint8_t **out, size_t *len)
{
    const json_t *v = json_object_get(obj, field);
    *out = NULL;
    *len = 0;
    if (!v || json_is_null(v))
        return 0;
    return wire_bytes_from_json(v, PAYLOAD, field, out, len);
}

static int parse_scheme(const json_t *obj, int *scheme)
{
    const json_t *v = json_object_get(obj, "scheme");
    *scheme = BPTEE_SEAL_V1; /* blueprint-tee payloads have no scheme */
    if (!v || json_is_null(v))
        return 0;
    if (!json_is_string(v))
        return fail(BPTEE_EPARSE, PAYLOAD ": scheme: expected a string");
    int r = bptee_seal_scheme_parse(json_string_value(v), scheme);
    return r < 0 ? fail_prefix(r, PAYLOAD) : 0;
}

static int payload_fields(const json_t *obj, struct bptee_sealed_payload *p)
{
    const json_t *ct = json_object_get(obj, "ciphertext");
    int r = wire_string(obj, PAYLOAD, "session_id", BPTEE_WIRE_SESSION_ID_MAX, &p->session_id);
    if (r < 0)
        return r;
    if (!ct)
        return fail(BPTEE_EPARSE, PAYLOAD ": missing field `ciphertext`");
    r = wire_bytes_from_json(ct, PAYLOAD, "ciphertext", &p->ciphertext, &p->ciphertext_len);
    if (r == 0)
        r = opt_bytes(obj, "nonce", &p->nonce, &p->nonce_len);
    if (r == 0)
        r = opt_bytes(obj, "ephemeral_public_key", &p->ephemeral_public_key,
                      &p->ephemeral_public_key_len);
    if (r == 0)
        r = parse_scheme(obj, &p->scheme);
    return r;
}

int bptee_sealed_payload_from_json(const char *json, size_t len,
                                   struct bptee_sealed_payload **out)
{
    _cleanup_json_ json_t *obj = NULL;
    if (!out)
        return fail(BPTEE_EINVAL, PAYLOAD ": missing output");
    int r = wire_parse_object(json, len, PAYLOAD, &obj);
    if (r < 0)
        return r;
    struct bptee_sealed_payload *p = calloc(1, sizeof *p);
    if (!p)
        return fail(BPTEE_ENOMEM, PAYLOAD ": out of memory");
    r = payload_fields(obj, p);
    if (r < 0) {
        bptee_sealed_payload_free(p);
        return r;
    }
    *out = p;
    return 0;
}

/* Set key to a byte field, or leave it out when data is NULL (serde's skip_serializing_if
 * Option::is_none). Returns -1 on allocation failure. */
static int put_bytes(json_t *obj, const char *key, const uint8_t *data, size_t len,
                     unsigned flags)
{
    if (!data)
        return 0;
    return json_object_set_new(obj, key, wire_bytes_to_json(data, len, flags));
}

int bptee_sealed_payload_to_json(const struct bptee_sealed_payload *p, unsigned flags,
                                 char **out)
{
    if (!p || !out || !p->session_id || (!p->ciphertext && p->ciphertext_len))
        return fail(BPTEE_EINVAL, PAYLOAD ": missing session id, ciphertext or output");
    const char *scheme = bptee_seal_scheme_name(p->scheme);
    if (!scheme)
        return fail(BPTEE_EINVAL, PAYLOAD ": unsupported sealing scheme %d", p->scheme);
    json_t *obj = json_object();
    int bad = !obj;
    bad = bad || json_object_set_new(obj, "session_id", json_string(p->session_id)) != 0;
    bad = bad || json_object_set_new(obj, "ciphertext",
                                     wire_bytes_to_json(p->ciphertext, p->ciphertext_len,
                                                        flags)) != 0;
    bad = bad || put_bytes(obj, "nonce", p->nonce, p->nonce_len, flags) != 0;
    bad = bad || put_bytes(obj, "ephemeral_public_key", p->ephemeral_public_key,
                           p->ephemeral_public_key_len, flags) != 0;
    /* v1 stays byte-identical to blueprint-tee's output; only v2 names itself. */
    if (p->scheme == BPTEE_SEAL_V2)
        bad = bad || json_object_set_new(obj, "scheme", json_string(scheme)) != 0;
    if (bad) {
        json_decref(obj);
        return fail(BPTEE_EINVAL, PAYLOAD ": cannot encode (session id not UTF-8, or out of "
                                  "memory)");
    }
    return wire_dump(obj, flags, PAYLOAD, out);
}

void bptee_sealed_secret_result_free(struct bptee_sealed_secret_result *r)
{
    if (!r)
        return;
    free(r->attestation_digest);
    free(r->key_fingerprint);
    free(r);
}

static int result_fields(const json_t *obj, struct bptee_sealed_secret_result *res)
{
    const json_t *ok = json_object_get(obj, "success");
    if (!ok)
        return fail(BPTEE_EPARSE, RESULT ": missing field `success`");
    if (!json_is_boolean(ok))
        return fail(BPTEE_EPARSE, RESULT ": success: expected a boolean");
    res->success = json_is_true(ok);
    int r = wire_string(obj, RESULT, "attestation_digest", RESULT_TEXT_MAX,
                        &res->attestation_digest);
    if (r == 0)
        r = wire_string(obj, RESULT, "key_fingerprint", RESULT_TEXT_MAX, &res->key_fingerprint);
    return r;
}

int bptee_sealed_secret_result_from_json(const char *json, size_t len,
                                         struct bptee_sealed_secret_result **out)
{
    _cleanup_json_ json_t *obj = NULL;
    if (!out)
        return fail(BPTEE_EINVAL, RESULT ": missing output");
    int r = wire_parse_object(json, len, RESULT, &obj);
    if (r < 0)
        return r;
    struct bptee_sealed_secret_result *res = calloc(1, sizeof *res);
    if (!res)
        return fail(BPTEE_ENOMEM, RESULT ": out of memory");
    r = result_fields(obj, res);
    if (r < 0) {
        bptee_sealed_secret_result_free(res);
        return r;
    }
    *out = res;
    return 0;
}

int bptee_sealed_secret_result_to_json(const struct bptee_sealed_secret_result *r,
                                       unsigned flags, char **out)
{
    if (!r || !out || !r->attestation_digest || !r->key_fingerprint)
        return fail(BPTEE_EINVAL, RESULT ": missing digest, fingerprint or output");
    json_t *obj = json_object();
    int bad = !obj;
    bad = bad || json_object_set_new(obj, "success", json_boolean(r->success)) != 0;
    bad = bad || json_object_set_new(obj, "attestation_digest",
                                     json_string(r->attestation_digest)) != 0;
    bad = bad ||
          json_object_set_new(obj, "key_fingerprint", json_string(r->key_fingerprint)) != 0;
    if (bad) {
        json_decref(obj);
        return fail(BPTEE_EINVAL, RESULT ": cannot encode (text not UTF-8, or out of memory)");
    }
    return wire_dump(obj, flags, RESULT, out);
}
