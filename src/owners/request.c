// SPDX-License-Identifier: Apache-2.0
/* The signed owner request (docs/formats.md, "Owner requests"): the bytes an owner's Ed25519
 * key signs to provision, rotate or revoke a secret. Every variable-length field carries its
 * length, so no two requests share a message; the operation byte keeps a provisioning
 * signature from ever revoking, and the offer's attestation digest and one-time session id tie
 * the signature to one agent and one exchange. */
#include <sodium.h>
#include <string.h>

#include "owners/owners_private.h"
#include "util/bytes.h"
#include "util/error.h"

#define W "owner request"

static int put_str(uint8_t *out, size_t cap, size_t *at, const char *s, size_t max,
                   const char *what)
{
    size_t n = s ? strlen(s) : 0;
    if (n == 0 || n > max)
        return fail(BPTEE_EINVAL, W ": %s must have 1 to %zu characters", what, max);
    if (*at + 1 + n > cap)
        return fail(BPTEE_ELIMIT, W ": message does not fit %zu bytes", cap);
    out[(*at)++] = (uint8_t)n;
    memcpy(out + *at, s, n);
    *at += n;
    return 0;
}

static int check_request(const struct bptee_owner_request *r)
{
    if (r->op != BPTEE_OWNER_OP_PROVISION && r->op != BPTEE_OWNER_OP_REVOKE &&
        r->op != BPTEE_OWNER_OP_AUDIT_READ)
        return fail(BPTEE_EINVAL, W ": unknown operation %d", r->op);
    if (r->version == 0)
        return fail(BPTEE_EINVAL, W ": version must be at least 1");
    return bptee_owner_id_check(r->owner) < 0 ? fail_prefix(BPTEE_EINVAL, W) : 0;
}

int bptee_owner_request_message(const struct bptee_owner_request *r, uint8_t *out, size_t cap,
                                size_t *len)
{
    static const char tag[] = BPTEE_OWNER_REQUEST_TAG;
    size_t at = 0;
    if (!r || !out || !len)
        return fail(BPTEE_EINVAL, W ": missing argument");
    int rc = check_request(r);
    if (rc < 0)
        return rc;
    if (cap < sizeof tag + 1 + 32)
        return fail(BPTEE_ELIMIT, W ": message does not fit %zu bytes", cap);
    memcpy(out, tag, sizeof tag); /* the tag and its 0x00 */
    at = sizeof tag;
    out[at++] = (uint8_t)r->op;
    memcpy(out + at, r->attestation_digest, 32);
    at += 32;
    if ((rc = put_str(out, cap, &at, r->session_id, BPTEE_OWNER_SESSION_ID_MAX, "session id")) < 0 ||
        (rc = put_str(out, cap, &at, r->owner, BPTEE_OWNER_ID_MAX, "owner id")) < 0 ||
        (rc = put_str(out, cap, &at, r->name, 128, "secret name")) < 0)
        return rc;
    if (at + 8 + 32 > cap)
        return fail(BPTEE_ELIMIT, W ": message does not fit %zu bytes", cap);
    store_le64(out + at, r->version);
    memcpy(out + at + 8, r->payload_digest, 32);
    *len = at + 8 + 32;
    return 0;
}

int bptee_owner_request_verify(const uint8_t public_key[32], const uint8_t sig[64],
                               const struct bptee_owner_request *r)
{
    uint8_t msg[BPTEE_OWNER_REQUEST_MAX];
    size_t len = 0;
    if (!public_key || !sig)
        return fail(BPTEE_EINVAL, W ": missing argument");
    int rc = bptee_owner_request_message(r, msg, sizeof msg, &len);
    if (rc < 0)
        return rc;
    if (crypto_sign_verify_detached(sig, msg, len, public_key) != 0)
        return fail(BPTEE_EVERIFY, "signature does not verify with the key of owner '%s'", r->owner);
    return 0;
}

static void hash_field(crypto_hash_sha256_state *st, const uint8_t *p, size_t n)
{
    uint8_t le[4];
    store_le32(le, (uint32_t)n);
    crypto_hash_sha256_update(st, le, sizeof le);
    if (n)
        crypto_hash_sha256_update(st, p, n);
}

int bptee_sealed_payload_digest(const struct bptee_sealed_payload *p, uint8_t out[32])
{
    static const char tag[] = BPTEE_SEALED_PAYLOAD_TAG;
    crypto_hash_sha256_state st;
    if (!p || !out)
        return fail(BPTEE_EINVAL, "sealed payload digest: missing argument");
    if (p->ciphertext_len > UINT32_MAX || p->nonce_len > UINT32_MAX ||
        p->ephemeral_public_key_len > UINT32_MAX)
        return fail(BPTEE_ELIMIT, "sealed payload digest: field longer than 2^32 bytes");
    uint8_t scheme = (uint8_t)(p->scheme == BPTEE_SEAL_V2 ? 2 : 1);
    crypto_hash_sha256_init(&st);
    crypto_hash_sha256_update(&st, (const uint8_t *)tag, sizeof tag); /* with its 0x00 */
    crypto_hash_sha256_update(&st, &scheme, 1);
    hash_field(&st, p->ephemeral_public_key, p->ephemeral_public_key ? p->ephemeral_public_key_len : 0);
    hash_field(&st, p->nonce, p->nonce ? p->nonce_len : 0);
    hash_field(&st, p->ciphertext, p->ciphertext_len);
    crypto_hash_sha256_final(&st, out);
    return 0;
}
