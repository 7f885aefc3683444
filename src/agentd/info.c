// SPDX-License-Identifier: Apache-2.0
/* The agent's read-mostly endpoints: fresh evidence over a caller's nonce, the attested signing
 * key (and its re-attestation on demand), and health. */
#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agentd/daemon.h"

static void reply_json(struct api_reply *out, json_t *obj)
{
    out->body = obj ? json_dumps(obj, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    json_decref(obj);
    if (!out->body)
        return api_error(out, 500, "out of memory");
    out->status = 200;
}

/* GET /v1/attestation?nonce=HEX: REPORT_DATA is the nonce (1 to 64 bytes), zero-padded. */
static void serve_attestation(struct agent *a, const char *nonce, struct api_reply *out)
{
    uint8_t rd[BPTEE_REPORT_DATA_LEN] = {0};
    size_t n = 0, hex_len = nonce ? strlen(nonce) : 0;
    const char *end = NULL;
    if (!nonce)
        return api_error(out, 400, "nonce: required (?nonce= 2 to 128 hex digits)");
    if (hex_len == 0 || hex_len % 2 || hex_len > 2 * sizeof rd ||
        sodium_hex2bin(rd, sizeof rd, nonce, hex_len, NULL, &n, &end) != 0 || *end)
        return api_error(out, 400, "nonce: expected 2 to 128 hex digits (1 to 64 bytes)");
    struct bptee_report *r = NULL;
    char *json = NULL;
    if (agent_attest(a, rd, sizeof rd, &r) < 0 ||
        bptee_report_save_json(r, BPTEE_REPORT_JSON_BYTE_ARRAYS, &json) < 0) {
        char msg[1024];
        snprintf(msg, sizeof msg, "attestation failed: %s", bptee_last_error());
        bptee_report_free(r);
        return api_error(out, 500, msg);
    }
    bptee_report_free(r);
    out->status = 200;
    out->body = json;
}

/* {"key_type", "public_key_hex", "attestation", "attestation_digest"} */
static void serve_signing_key(struct agent *a, struct api_reply *out)
{
    uint8_t pk[BPTEE_ED25519_PUBLIC_KEY_LEN];
    char hex[2 * sizeof pk + 1], digest[BPTEE_DIGEST_HEX_SIZE];
    char *ev = NULL;
    if (agent_key_evidence_fresh(a, false) < 0)
        return api_fail_reply(out, 500, "signing key re-attestation");
    bptee_signing_key_public(a->key, pk);
    sodium_bin2hex(hex, sizeof hex, pk, sizeof pk);
    if (bptee_signing_key_evidence_json(a->key, BPTEE_REPORT_JSON_BYTE_ARRAYS, &ev) < 0 ||
        bptee_signing_key_evidence_digest(a->key, digest) < 0) {
        bptee_free(ev);
        return api_error(out, 500, bptee_last_error());
    }
    json_t *att = json_loads(ev, 0, NULL);
    bptee_free(ev);
    reply_json(out, att ? json_pack("{s:s, s:s, s:o, s:s}", "key_type", "ed25519", "public_key_hex",
                                    hex, "attestation", att, "attestation_digest", digest)
                        : NULL);
}

static void serve_refresh(struct agent *a, struct api_reply *out)
{
    if (agent_refresh_key(a) < 0) {
        char msg[1024];
        snprintf(msg, sizeof msg, "attestation failed: %s", bptee_last_error());
        return api_error(out, 500, msg);
    }
    agent_log("signing key re-attested");
    serve_signing_key(a, out);
}

static void serve_health(struct agent *a, struct api_reply *out)
{
    uint8_t pk[BPTEE_ED25519_PUBLIC_KEY_LEN];
    char hex[2 * sizeof pk + 1];
    bptee_signing_key_public(a->key, pk);
    sodium_bin2hex(hex, sizeof hex, pk, sizeof pk);
    const char *source = bptee_guest_source_name(a->source);
    reply_json(out, json_pack("{s:s, s:s, s:s, s:s, s:b, s:I, s:I, s:s}", "status", "ok", "version",
                              bptee_version(), "provider", bptee_provider_name(a->provider),
                              "evidence_source",
                              source ? source : "unknown", "simulated",
                              a->source == BPTEE_GUEST_SOURCE_SIM, "sessions",
                              (json_int_t)bptee_auth_service_active_count(a->auth), "secrets",
                              (json_int_t)bptee_secret_store_count(a->store), "signing_key", hex));
}

void api_info(struct agent *a, const char *url, const char *nonce, struct api_reply *out)
{
    if (!strcmp(url, "/v1/attestation"))
        serve_attestation(a, nonce, out);
    else if (!strcmp(url, "/v1/signing-key"))
        serve_signing_key(a, out);
    else if (!strcmp(url, "/v1/attestation/refresh"))
        serve_refresh(a, out);
    else
        serve_health(a, out);
}
