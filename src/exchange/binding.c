// SPDX-License-Identifier: Apache-2.0
/* The key binding of a key-exchange offer (DESIGN.md contract 3): the evidence's 64-byte
 * REPORT_DATA is SHA-512(nonce[32] || x25519_public_key[32]), so whoever checks the evidence
 * knows the offered key came from inside the TEE and the offer is no older than the nonce. */
#include <sodium.h>
#include <string.h>

#include "exchange/exchange_private.h"
#include "util/error.h"

#define BINDING_KEY_TYPE "x25519"

void bptee_key_binding_report_data(const uint8_t nonce[32], const uint8_t public_key[32],
                                   uint8_t report_data[64])
{
    crypto_hash_sha512_state st;
    crypto_hash_sha512_init(&st);
    crypto_hash_sha512_update(&st, nonce, BPTEE_BINDING_NONCE_LEN);
    crypto_hash_sha512_update(&st, public_key, BPTEE_X25519_KEY_LEN);
    crypto_hash_sha512_final(&st, report_data);
}

int bptee_key_binding_check(const uint8_t report_data[64], const uint8_t nonce[32],
                            const uint8_t public_key[32])
{
    uint8_t want[BPTEE_REPORT_DATA_LEN];
    if (!report_data || !nonce || !public_key)
        return fail(BPTEE_EINVAL, "key binding: missing argument");
    bptee_key_binding_report_data(nonce, public_key, want);
    if (sodium_memcmp(want, report_data, sizeof want) != 0)
        return fail(BPTEE_EVERIFY, "key binding: REPORT_DATA is not SHA-512(nonce || public "
                                   "key) for this nonce and key");
    return 0;
}

static void binding_digest_hex(const uint8_t nonce[32], const uint8_t public_key[32],
                               char hex[2 * BPTEE_REPORT_DATA_LEN + 1])
{
    uint8_t rd[BPTEE_REPORT_DATA_LEN];
    bptee_key_binding_report_data(nonce, public_key, rd);
    sodium_bin2hex(hex, 2 * BPTEE_REPORT_DATA_LEN + 1, rd, sizeof rd);
}

int bptee_key_binding_attach(struct bptee_report *r, const uint8_t nonce[32],
                             const uint8_t public_key[32])
{
    char hex[2 * BPTEE_REPORT_DATA_LEN + 1];
    if (!r || !nonce || !public_key)
        return fail(BPTEE_EINVAL, "key binding: missing argument");
    binding_digest_hex(nonce, public_key, hex);
    int rc = bptee_report_set_binding(r, public_key, BPTEE_X25519_KEY_LEN, BINDING_KEY_TYPE, hex);
    return rc < 0 ? fail_prefix(rc, "key binding") : 0;
}

int bptee_key_binding_check_report(const struct bptee_report *r, const uint8_t nonce[32],
                                   const uint8_t public_key[32])
{
    const uint8_t *key = NULL;
    const char *type = NULL, *digest = NULL;
    size_t len = 0;
    char want[2 * BPTEE_REPORT_DATA_LEN + 1];
    if (!r || !nonce || !public_key)
        return fail(BPTEE_EINVAL, "key binding: missing argument");
    if (bptee_report_binding(r, &key, &len, &type, &digest) != 1)
        return fail(BPTEE_EVERIFY, "key binding: the report has no public_key_binding");
    if (!type || strcmp(type, BINDING_KEY_TYPE) != 0)
        return fail(BPTEE_EVERIFY, "key binding: key_type is not \"" BINDING_KEY_TYPE "\"");
    if (len != BPTEE_X25519_KEY_LEN || !key || memcmp(key, public_key, len) != 0)
        return fail(BPTEE_EVERIFY, "key binding: public_key is not the offered key");
    binding_digest_hex(nonce, public_key, want);
    if (!digest || strcmp(digest, want) != 0)
        return fail(BPTEE_EVERIFY, "key binding: binding_digest is not SHA-512(nonce || "
                                   "public key)");
    return 0;
}
