// SPDX-License-Identifier: Apache-2.0
/* Sealing and opening. v1 is blueprint-tee's: key = SHA-256(X25519 shared secret), no
 * associated data. v2 derives the key with HKDF-SHA-256 over the shared secret and both
 * public keys and authenticates the session id, so a payload cannot be replayed into
 * another session or re-labelled as another scheme. docs/exchange.md has the byte layouts. */
#include <openssl/core_names.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include <pthread.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "exchange/exchange_private.h"
#include "util/cleanup.h"
#include "util/error.h"

#define KEY_LEN crypto_aead_chacha20poly1305_ietf_KEYBYTES

static EVP_KDF *hkdf_impl;
static pthread_once_t hkdf_once = PTHREAD_ONCE_INIT;

/* Fetching an OpenSSL algorithm takes a lock and a lookup; do it once per process. */
static void hkdf_fetch(void)
{
    hkdf_impl = EVP_KDF_fetch(NULL, "HKDF", NULL);
}

/* v2: HKDF-SHA-256(IKM = shared, salt = tag, info = tag || eph_pk || tee_pk, L = 32). */
static int derive_v2(const uint8_t shared[32], const uint8_t eph_pk[32],
                     const uint8_t tee_pk[32], uint8_t key[KEY_LEN])
{
    uint8_t info[SEAL_V2_TAG_LEN + 2 * BPTEE_X25519_KEY_LEN];
    memcpy(info, SEAL_V2_TAG, SEAL_V2_TAG_LEN);
    memcpy(info + SEAL_V2_TAG_LEN, eph_pk, BPTEE_X25519_KEY_LEN);
    memcpy(info + SEAL_V2_TAG_LEN + BPTEE_X25519_KEY_LEN, tee_pk, BPTEE_X25519_KEY_LEN);
    pthread_once(&hkdf_once, hkdf_fetch);
    EVP_KDF_CTX *ctx = hkdf_impl ? EVP_KDF_CTX_new(hkdf_impl) : NULL;
    if (!ctx)
        return fail_openssl(BPTEE_ECRYPTO, SEAL_PREFIX "HKDF-SHA-256 is not available");
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)"SHA256", 0),
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, (void *)shared, 32),
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, (void *)SEAL_V2_TAG,
                                          SEAL_V2_TAG_LEN),
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, info, sizeof info),
        OSSL_PARAM_construct_end(),
    };
    int ok = EVP_KDF_derive(ctx, key, KEY_LEN, params) == 1;
    EVP_KDF_CTX_free(ctx); /* clears its copy of the key material */
    return ok ? 0 : fail_openssl(BPTEE_ECRYPTO, SEAL_PREFIX "HKDF-SHA-256 failed");
}

/* The AEAD key from an X25519 exchange. libsodium refuses low-order points (whose shared
 * secret is all zero and so known to anyone); no honest peer ever sends one, so refusing
 * them in v1 too costs no interoperability. */
static int derive_key(int scheme, const uint8_t my_secret[32], const uint8_t peer_pk[32],
                      const uint8_t eph_pk[32], const uint8_t tee_pk[32], const char *peer,
                      uint8_t key[KEY_LEN])
{
    uint8_t shared[crypto_scalarmult_BYTES];
    int r = 0;
    if (crypto_scalarmult(shared, my_secret, peer_pk) != 0)
        return fail(BPTEE_ECRYPTO, SEAL_PREFIX "%s has small order (all-zero shared secret)",
                    peer);
    if (scheme == BPTEE_SEAL_V1)
        crypto_hash_sha256(key, shared, sizeof shared);
    else
        r = derive_v2(shared, eph_pk, tee_pk, key);
    sodium_memzero(shared, sizeof shared);
    return r;
}

/* v2 associated data: tag || session id (its bytes, no terminator). */
static int v2_ad(int scheme, const char *session_id, uint8_t **ad, size_t *ad_len)
{
    *ad = NULL;
    *ad_len = 0;
    if (scheme != BPTEE_SEAL_V2)
        return 0;
    size_t n = strlen(session_id);
    uint8_t *buf = malloc(SEAL_V2_TAG_LEN + n + 1);
    if (!buf)
        return fail(BPTEE_ENOMEM, SEAL_PREFIX "out of memory");
    memcpy(buf, SEAL_V2_TAG, SEAL_V2_TAG_LEN);
    memcpy(buf + SEAL_V2_TAG_LEN, session_id, n);
    *ad = buf;
    *ad_len = SEAL_V2_TAG_LEN + n;
    return 0;
}

static int check_scheme(int scheme)
{
    if (scheme != BPTEE_SEAL_V1 && scheme != BPTEE_SEAL_V2)
        return fail(BPTEE_EUNSUPPORTED, SEAL_PREFIX "unsupported sealing scheme %d", scheme);
    return 0;
}

static int payload_init(struct bptee_sealed_payload *p, int scheme, const char *session_id,
                        size_t ct_len, const uint8_t eph_pk[32], const uint8_t nonce[12])
{
    *p = (struct bptee_sealed_payload){.scheme = scheme};
    p->session_id = strdup(session_id);
    p->ciphertext = malloc(ct_len);
    p->nonce = malloc(BPTEE_SEAL_NONCE_LEN);
    p->ephemeral_public_key = malloc(BPTEE_X25519_KEY_LEN);
    if (!p->session_id || !p->ciphertext || !p->nonce || !p->ephemeral_public_key)
        return fail(BPTEE_ENOMEM, SEAL_PREFIX "out of memory");
    p->ciphertext_len = ct_len;
    memcpy(p->nonce, nonce, BPTEE_SEAL_NONCE_LEN);
    p->nonce_len = BPTEE_SEAL_NONCE_LEN;
    memcpy(p->ephemeral_public_key, eph_pk, BPTEE_X25519_KEY_LEN);
    p->ephemeral_public_key_len = BPTEE_X25519_KEY_LEN;
    return 0;
}

static int seal_args(int scheme, const char *session_id, const uint8_t *plaintext, size_t len,
                     const uint8_t *tee_pk, size_t key_len, void *out)
{
    int r = check_scheme(scheme);
    if (r < 0)
        return r;
    if (!session_id || (!plaintext && len) || !out)
        return fail(BPTEE_EINVAL, SEAL_PREFIX "seal: missing argument");
    if (strlen(session_id) > BPTEE_WIRE_SESSION_ID_MAX)
        return fail(BPTEE_EINVAL, SEAL_PREFIX "session id longer than %d characters",
                    BPTEE_WIRE_SESSION_ID_MAX);
    if (!tee_pk || key_len != BPTEE_X25519_KEY_LEN)
        return fail(BPTEE_EINVAL, SEAL_PREFIX "TEE public key must be 32 bytes");
    if (len > crypto_aead_chacha20poly1305_ietf_MESSAGEBYTES_MAX - BPTEE_SEAL_TAG_LEN)
        return fail(BPTEE_ELIMIT, SEAL_PREFIX "plaintext of %zu bytes is too large", len);
    return 0;
}

int bptee_seal_deterministic(int scheme, const char *session_id, const uint8_t *plaintext,
                             size_t len, const uint8_t *tee_public_key, size_t key_len,
                             const uint8_t ephemeral_secret[32], const uint8_t nonce[12],
                             struct bptee_sealed_payload **out)
{
    int r = seal_args(scheme, session_id, plaintext, len, tee_public_key, key_len, out);
    if (r < 0)
        return r;
    if (!ephemeral_secret || !nonce)
        return fail(BPTEE_EINVAL, SEAL_PREFIX "seal: missing ephemeral secret or nonce");
    uint8_t eph_pk[BPTEE_X25519_KEY_LEN], key[KEY_LEN];
    _cleanup_free_ uint8_t *ad = NULL;
    size_t ad_len = 0;
    struct bptee_sealed_payload *p = calloc(1, sizeof *p);
    if (!p)
        return fail(BPTEE_ENOMEM, SEAL_PREFIX "out of memory");
    crypto_scalarmult_base(eph_pk, ephemeral_secret);
    r = derive_key(scheme, ephemeral_secret, tee_public_key, eph_pk, tee_public_key,
                   "TEE public key", key);
    if (r == 0)
        r = v2_ad(scheme, session_id, &ad, &ad_len);
    if (r == 0)
        r = payload_init(p, scheme, session_id, len + BPTEE_SEAL_TAG_LEN, eph_pk, nonce);
    unsigned long long ct_len = 0;
    if (r == 0 && crypto_aead_chacha20poly1305_ietf_encrypt(p->ciphertext, &ct_len, plaintext,
                                                            len, ad, ad_len, NULL, nonce,
                                                            key) != 0)
        r = fail(BPTEE_ECRYPTO, SEAL_PREFIX "encryption failed");
    sodium_memzero(key, sizeof key);
    if (r < 0) {
        bptee_sealed_payload_free(p);
        return r;
    }
    *out = p;
    return 0;
}

int bptee_seal(int scheme, const char *session_id, const uint8_t *plaintext, size_t len,
               const uint8_t *tee_public_key, size_t key_len, struct bptee_sealed_payload **out)
{
    uint8_t *eph = kx_key_page_get();
    uint8_t nonce[BPTEE_SEAL_NONCE_LEN];
    if (!eph)
        return fail(BPTEE_ENOMEM, SEAL_PREFIX "out of memory");
    randombytes_buf(eph, crypto_scalarmult_SCALARBYTES);
    randombytes_buf(nonce, sizeof nonce);
    int r = bptee_seal_deterministic(scheme, session_id, plaintext, len, tee_public_key,
                                     key_len, eph, nonce, out);
    kx_key_page_put(eph); /* wipes the ephemeral secret */
    return r;
}

/* blueprint-tee's checks, in its order and with its texts. */
static int open_checks(const struct bptee_sealed_payload *p)
{
    if (!p->ephemeral_public_key)
        return fail(BPTEE_EINVAL, SEAL_PREFIX "missing ephemeral public key");
    if (p->ephemeral_public_key_len != BPTEE_X25519_KEY_LEN)
        return fail(BPTEE_EINVAL, SEAL_PREFIX "ephemeral public key must be 32 bytes");
    if (!p->nonce)
        return fail(BPTEE_EINVAL, SEAL_PREFIX "missing nonce");
    if (p->nonce_len != BPTEE_SEAL_NONCE_LEN)
        return fail(BPTEE_EINVAL, SEAL_PREFIX "nonce must be 12 bytes");
    if (p->ciphertext_len && !p->ciphertext)
        return fail(BPTEE_EINVAL, SEAL_PREFIX "missing ciphertext");
    return 0;
}

int seal_open_core(const uint8_t tee_secret[32], const uint8_t tee_public[32],
                   const char *session_id, const struct bptee_sealed_payload *p, uint8_t *out,
                   size_t cap, size_t *out_len)
{
    if (!p || !out_len || (!out && cap))
        return fail(BPTEE_EINVAL, SEAL_PREFIX "open: missing argument");
    int r = check_scheme(p->scheme);
    if (r == 0)
        r = open_checks(p);
    if (r < 0)
        return r;
    if (p->scheme == BPTEE_SEAL_V2 && !session_id)
        return fail(BPTEE_EINVAL, SEAL_PREFIX "open: scheme v2 needs the session id");
    if (p->ciphertext_len < BPTEE_SEAL_TAG_LEN)
        return fail(BPTEE_ECRYPTO, SEAL_PREFIX "decryption failed: invalid ciphertext or key");
    size_t pt_len = p->ciphertext_len - BPTEE_SEAL_TAG_LEN;
    if (cap < pt_len)
        return fail(BPTEE_ELIMIT, SEAL_PREFIX "open: the plaintext needs %zu bytes, %zu given",
                    pt_len, cap);
    uint8_t key[KEY_LEN];
    _cleanup_free_ uint8_t *ad = NULL;
    size_t ad_len = 0;
    r = derive_key(p->scheme, tee_secret, p->ephemeral_public_key, p->ephemeral_public_key,
                   tee_public, "ephemeral public key", key);
    if (r == 0)
        r = v2_ad(p->scheme, session_id, &ad, &ad_len);
    unsigned long long got = 0;
    if (r == 0 && crypto_aead_chacha20poly1305_ietf_decrypt(out, &got, NULL, p->ciphertext,
                                                            p->ciphertext_len, ad, ad_len,
                                                            p->nonce, key) != 0)
        r = fail(BPTEE_ECRYPTO, SEAL_PREFIX "decryption failed: invalid ciphertext or key");
    sodium_memzero(key, sizeof key);
    if (r == 0)
        *out_len = (size_t)got;
    return r;
}

int bptee_open_with_key(const uint8_t tee_secret[32], const char *session_id,
                        const struct bptee_sealed_payload *p, uint8_t *out, size_t cap,
                        size_t *out_len)
{
    uint8_t tee_public[BPTEE_X25519_KEY_LEN];
    if (!tee_secret)
        return fail(BPTEE_EINVAL, SEAL_PREFIX "open: missing TEE private key");
    crypto_scalarmult_base(tee_public, tee_secret);
    return seal_open_core(tee_secret, tee_public, session_id, p, out, cap, out_len);
}

const char *bptee_seal_scheme_name(int scheme)
{
    return scheme == BPTEE_SEAL_V1 ? "v1" : scheme == BPTEE_SEAL_V2 ? "v2" : NULL;
}

int bptee_seal_scheme_parse(const char *name, int *scheme)
{
    if (!name || !scheme)
        return fail(BPTEE_EINVAL, "sealing scheme: missing argument");
    if (strcmp(name, "v1") == 0)
        *scheme = BPTEE_SEAL_V1;
    else if (strcmp(name, "v2") == 0)
        *scheme = BPTEE_SEAL_V2;
    else {
        char shown[72];
        kx_printable_id(name, shown, sizeof shown);
        return fail(BPTEE_EPARSE, "sealing scheme: unknown scheme \"%s\" (expected \"v1\" or "
                                  "\"v2\")", shown);
    }
    return 0;
}
