// SPDX-License-Identifier: Apache-2.0
/* The secret owner's side of the exchange: before sealing anything to an offered key, check
 * that the key came from inside a TEE the policy trusts. The offer's evidence must verify,
 * its REPORT_DATA must be SHA-512(nonce || offered key) for the nonce the client sent (so the
 * offer is fresh and the key is the TEE's), and the report's binding record must agree. After
 * provisioning, the agent's SealedSecretResult must name the same evidence and key. */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "agent/agent_private.h"
#include "util/cleanup.h"
#include "util/error.h"

struct bptee_offer {
    char *session_id;
    uint8_t public_key[BPTEE_X25519_KEY_LEN];
    char digest[BPTEE_DIGEST_HEX_SIZE];
    struct bptee_report *verified;
};

void bptee_offer_free(struct bptee_offer *o)
{
    if (!o)
        return;
    free(o->session_id);
    bptee_report_free(o->verified);
    free(o);
}

const char *bptee_offer_session_id(const struct bptee_offer *o)
{
    return o ? o->session_id : NULL;
}

const uint8_t *bptee_offer_public_key(const struct bptee_offer *o)
{
    return o ? o->public_key : NULL;
}

const char *bptee_offer_evidence_digest(const struct bptee_offer *o)
{
    return o ? o->digest : NULL;
}

const struct bptee_report *bptee_offer_report(const struct bptee_offer *o)
{
    return o ? o->verified : NULL;
}

/* The nonce to check the binding against: the caller's, which the response must echo when it
 * carries one, or else the response's own. */
static int pick_nonce(const struct bptee_key_exchange_response *resp, const uint8_t *nonce,
                      uint8_t out[32])
{
    if (nonce) {
        if (resp->has_nonce && sodium_memcmp(resp->nonce, nonce, 32) != 0)
            return fail(BPTEE_EVERIFY, "offer: its nonce is not the one the client sent");
        memcpy(out, nonce, 32);
        return 0;
    }
    if (!resp->has_nonce)
        return fail(BPTEE_EVERIFY, "offer: carries no nonce, and none was given to check its "
                                   "key binding against");
    memcpy(out, resp->nonce, 32);
    return 0;
}

static int check_binding(const struct bptee_key_exchange_response *resp,
                         const struct bptee_report *verified, const uint8_t nonce[32])
{
    const uint8_t *rd = NULL;
    size_t rd_len = 0;
    if (bptee_report_user_data(verified, &rd, &rd_len) != 1 || rd_len != BPTEE_REPORT_DATA_LEN)
        return fail(BPTEE_EVERIFY, "offer: the verified evidence has no 64-byte REPORT_DATA");
    int rc = bptee_key_binding_check(rd, nonce, resp->public_key);
    if (rc == 0)
        rc = bptee_key_binding_check_report(resp->attestation, nonce, resp->public_key);
    return rc < 0 ? fail_prefix(rc, "offer: public_key_hex") : 0;
}

static int offer_from_response(struct bptee_key_exchange_response *resp, const uint8_t *nonce,
                               const struct bptee_verify_opts *opts, struct bptee_offer *o)
{
    uint8_t n[32];
    int rc = pick_nonce(resp, nonce, n);
    if (rc < 0)
        return rc;
    rc = bptee_verify_report(resp->attestation, opts, &o->verified);
    if (rc < 0)
        return fail_prefix(rc, "offer: attestation");
    rc = check_binding(resp, o->verified, n);
    if (rc == 0)
        rc = bptee_report_evidence_digest(resp->attestation, o->digest);
    if (rc < 0)
        return rc;
    memcpy(o->public_key, resp->public_key, sizeof o->public_key);
    o->session_id = TAKE_PTR(resp->session_id);
    return 0;
}

int bptee_offer_verify(const char *json, size_t len, const uint8_t *nonce,
                       const struct bptee_verify_opts *opts, struct bptee_offer **out)
{
    struct bptee_key_exchange_response *resp = NULL;
    if (!json || !out)
        return fail(BPTEE_EINVAL, "offer: missing input or output");
    *out = NULL;
    int rc = bptee_key_exchange_response_from_json(json, len, &resp);
    if (rc < 0)
        return fail_prefix(rc, "offer");
    struct bptee_offer *o = calloc(1, sizeof *o);
    rc = o ? offer_from_response(resp, nonce, opts, o) : fail(BPTEE_ENOMEM, "offer: out of memory");
    bptee_key_exchange_response_free(resp);
    if (rc < 0) {
        bptee_offer_free(o);
        return rc;
    }
    *out = o;
    return 0;
}

int bptee_offer_check_result(const struct bptee_offer *o, const char *json, size_t len)
{
    struct bptee_sealed_secret_result *r = NULL;
    uint8_t fp[32];
    char want[BPTEE_DIGEST_HEX_SIZE];
    if (!o || !json)
        return fail(BPTEE_EINVAL, "result: missing offer or input");
    int rc = bptee_sealed_secret_result_from_json(json, len, &r);
    if (rc < 0)
        return fail_prefix(rc, "result");
    crypto_hash_sha256(fp, o->public_key, sizeof o->public_key);
    sodium_bin2hex(want, sizeof want, fp, sizeof fp);
    if (!r->success)
        rc = fail(BPTEE_EVERIFY, "result: the agent reports failure (success false)");
    else if (!r->attestation_digest || strcmp(r->attestation_digest, o->digest) != 0)
        rc = fail(BPTEE_EVERIFY,
                  "result: attestation_digest is not the verified offer's "
                  "evidence digest %s",
                  o->digest);
    else if (!r->key_fingerprint || strcmp(r->key_fingerprint, want) != 0)
        rc = fail(BPTEE_EVERIFY, "result: key_fingerprint is not SHA-256 of the offered key");
    bptee_sealed_secret_result_free(r);
    return rc;
}
