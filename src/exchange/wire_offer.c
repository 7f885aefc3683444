// SPDX-License-Identifier: Apache-2.0
/* KeyExchangeRequest and KeyExchangeResponse (the offer) as JSON. The response embeds an
 * AttestationReport, read and written by the evidence module. */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "exchange/exchange_private.h"
#include "util/cleanup.h"
#include "util/codec.h"
#include "util/error.h"
#include "util/json.h"

#define REQUEST "key exchange request"
#define RESPONSE "key exchange response"
/* A request nonce is 64 hex digits for bptee; blueprint-tee allows any string, so accept
 * longer ones on the wire and let bptee_key_exchange_request_nonce judge them. */
#define REQUEST_NONCE_MAX 1024
/* Longer hex fields are refused before decoding (hex_decode_exact then names the length). */
#define HEX_FIELD_MAX 1024

void bptee_key_exchange_request_free(struct bptee_key_exchange_request *req)
{
    if (!req)
        return;
    free(req->nonce);
    free(req);
}

int bptee_key_exchange_request_from_json(const char *json, size_t len,
                                         struct bptee_key_exchange_request **out)
{
    _cleanup_json_ json_t *obj = NULL;
    if (!out)
        return fail(BPTEE_EINVAL, REQUEST ": missing output");
    int r = wire_parse_object(json, len, REQUEST, &obj);
    if (r < 0)
        return r;
    struct bptee_key_exchange_request *req = calloc(1, sizeof *req);
    if (!req)
        return fail(BPTEE_ENOMEM, REQUEST ": out of memory");
    r = wire_opt_string(obj, REQUEST, "nonce", REQUEST_NONCE_MAX, &req->nonce);
    if (r < 0) {
        bptee_key_exchange_request_free(req);
        return r;
    }
    *out = req;
    return 0;
}

int bptee_key_exchange_request_to_json(const struct bptee_key_exchange_request *req,
                                       unsigned flags, char **out)
{
    if (!req || !out)
        return fail(BPTEE_EINVAL, REQUEST ": missing request or output");
    json_t *obj = json_object();
    if (obj && req->nonce && json_object_set_new(obj, "nonce", json_string(req->nonce)) != 0) {
        json_decref(obj);
        return fail(BPTEE_EINVAL, REQUEST ": nonce: not UTF-8 text");
    }
    return wire_dump(obj, flags, REQUEST, out);
}

int bptee_key_exchange_request_nonce(const struct bptee_key_exchange_request *req,
                                     uint8_t nonce[32])
{
    if (!nonce)
        return fail(BPTEE_EINVAL, REQUEST ": missing output");
    if (!req || !req->nonce) {
        randombytes_buf(nonce, BPTEE_BINDING_NONCE_LEN);
        return 0;
    }
    int r = hex_decode_exact(req->nonce, nonce, BPTEE_BINDING_NONCE_LEN, "nonce");
    return r < 0 ? fail_prefix(r, REQUEST) : 0;
}

void bptee_key_exchange_response_free(struct bptee_key_exchange_response *resp)
{
    if (!resp)
        return;
    free(resp->session_id);
    bptee_report_free(resp->attestation);
    free(resp);
}

/* A required (or optional, when opt) hex field of exactly n bytes. */
static int hex_field(const json_t *obj, const char *field, int opt, uint8_t *out, size_t n,
                     bool *present)
{
    char *s = NULL;
    int r = opt ? wire_opt_string(obj, RESPONSE, field, HEX_FIELD_MAX, &s)
                : wire_string(obj, RESPONSE, field, HEX_FIELD_MAX, &s);
    if (present)
        *present = s != NULL;
    if (r < 0 || !s)
        return r;
    r = hex_decode_exact(s, out, n, field);
    free(s);
    return r < 0 ? fail_prefix(r, RESPONSE) : 0;
}

static int attestation_field(const json_t *obj, struct bptee_report **out)
{
    const json_t *v = json_object_get(obj, "attestation");
    if (!v)
        return fail(BPTEE_EPARSE, RESPONSE ": missing field `attestation`");
    if (!json_is_object(v))
        return fail(BPTEE_EPARSE, RESPONSE ": attestation: expected an object");
    _cleanup_free_ char *text = json_dumps(v, JSON_COMPACT | JSON_PRESERVE_ORDER);
    if (!text)
        return fail(BPTEE_ENOMEM, RESPONSE ": attestation: out of memory");
    int r = bptee_report_load_json(text, strlen(text), out);
    return r < 0 ? fail_prefix(r, RESPONSE ": attestation") : 0;
}

static int response_fields(const json_t *obj, struct bptee_key_exchange_response *resp)
{
    int r = wire_string(obj, RESPONSE, "session_id", BPTEE_WIRE_SESSION_ID_MAX,
                        &resp->session_id);
    if (r == 0)
        r = hex_field(obj, "public_key_hex", 0, resp->public_key, BPTEE_X25519_KEY_LEN, NULL);
    if (r == 0)
        r = attestation_field(obj, &resp->attestation);
    if (r == 0)
        r = hex_field(obj, "nonce", 1, resp->nonce, BPTEE_BINDING_NONCE_LEN, &resp->has_nonce);
    return r;
}

int bptee_key_exchange_response_from_json(const char *json, size_t len,
                                          struct bptee_key_exchange_response **out)
{
    _cleanup_json_ json_t *obj = NULL;
    if (!out)
        return fail(BPTEE_EINVAL, RESPONSE ": missing output");
    int r = wire_parse_object(json, len, RESPONSE, &obj);
    if (r < 0)
        return r;
    struct bptee_key_exchange_response *resp = calloc(1, sizeof *resp);
    if (!resp)
        return fail(BPTEE_ENOMEM, RESPONSE ": out of memory");
    r = response_fields(obj, resp);
    if (r < 0) {
        bptee_key_exchange_response_free(resp);
        return r;
    }
    *out = resp;
    return 0;
}

/* The report as a JSON value: saved by the evidence module, then loaded back to embed. */
static int attestation_json(const struct bptee_report *report, unsigned flags, json_t **out)
{
    _cleanup_free_ char *text = NULL;
    unsigned rflags = (flags & BPTEE_WIRE_JSON_BASE64) ? 0 : BPTEE_REPORT_JSON_BYTE_ARRAYS;
    int r = bptee_report_save_json(report, rflags, &text);
    if (r < 0)
        return fail_prefix(r, RESPONSE ": attestation");
    *out = json_loads(text, 0, NULL);
    return *out ? 0 : fail(BPTEE_ENOMEM, RESPONSE ": attestation: out of memory");
}

static json_t *hex_json(const uint8_t *bin, size_t n)
{
    char hex[2 * 64 + 1];
    sodium_bin2hex(hex, sizeof hex, bin, n);
    return json_string(hex);
}

int bptee_key_exchange_response_to_json(const struct bptee_key_exchange_response *resp,
                                        unsigned flags, char **out)
{
    json_t *att = NULL;
    if (!resp || !out || !resp->session_id || !resp->attestation)
        return fail(BPTEE_EINVAL, RESPONSE ": missing session id, attestation or output");
    int r = attestation_json(resp->attestation, flags, &att);
    if (r < 0)
        return r;
    json_t *obj = json_object();
    int bad = !obj;
    bad = bad || json_object_set_new(obj, "session_id", json_string(resp->session_id)) != 0;
    bad = bad || json_object_set_new(obj, "public_key_hex",
                                     hex_json(resp->public_key, BPTEE_X25519_KEY_LEN)) != 0;
    if (bad)
        json_decref(att);
    else /* set_new consumes att, even when it fails */
        bad = json_object_set_new(obj, "attestation", att) != 0;
    if (resp->has_nonce)
        bad = bad || json_object_set_new(obj, "nonce",
                                         hex_json(resp->nonce, BPTEE_BINDING_NONCE_LEN)) != 0;
    if (bad) {
        json_decref(obj);
        return fail(BPTEE_EINVAL, RESPONSE ": cannot encode (session id not UTF-8, or out of "
                                  "memory)");
    }
    return wire_dump(obj, flags, RESPONSE, out);
}
