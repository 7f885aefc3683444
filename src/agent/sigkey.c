// SPDX-License-Identifier: Apache-2.0
/* The agent's attested signing key (DESIGN.md contract 4: attest once, sign many). Hardware
 * evidence costs milliseconds and is host-throttled, so the agent binds one Ed25519 key into
 * evidence at start and signs each job result with it; a verifier checks the evidence once
 * per key. The binding has its own domain tag so it can never be mistaken for a key-exchange
 * binding (SHA-512(nonce || x25519 key)) or any other REPORT_DATA layout. */
#include <pthread.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "agent/agent_private.h"
#include "util/error.h"

struct bptee_signing_key {
    uint8_t public_key[crypto_sign_PUBLICKEYBYTES];
    uint8_t *secret;      /* sodium_malloc'd, read-only after key generation */
    pthread_mutex_t lock; /* guards evidence */
    struct bptee_report *evidence;
};

_Static_assert(crypto_sign_PUBLICKEYBYTES == BPTEE_ED25519_PUBLIC_KEY_LEN, "ed25519 key size");
_Static_assert(crypto_sign_BYTES == BPTEE_ED25519_SIGNATURE_LEN, "ed25519 signature size");

int bptee_signing_key_new(struct bptee_signing_key **out)
{
    if (!out)
        return fail(BPTEE_EINVAL, "signing key: missing output");
    if (sodium_init() < 0)
        return fail(BPTEE_ECRYPTO, "signing key: libsodium failed to initialise");
    struct bptee_signing_key *k = calloc(1, sizeof *k);
    if (!k)
        return fail(BPTEE_ENOMEM, "signing key: out of memory");
    k->secret = sodium_malloc(crypto_sign_SECRETKEYBYTES);
    if (!k->secret) {
        free(k);
        return fail(BPTEE_ENOMEM, "signing key: cannot allocate locked memory (RLIMIT_MEMLOCK?)");
    }
    if (pthread_mutex_init(&k->lock, NULL) != 0) {
        sodium_free(k->secret);
        free(k);
        return fail(BPTEE_EIO, "signing key: cannot create its lock");
    }
    crypto_sign_keypair(k->public_key, k->secret);
    sodium_mprotect_readonly(k->secret);
    *out = k;
    return 0;
}

void bptee_signing_key_free(struct bptee_signing_key *k)
{
    if (!k)
        return;
    sodium_free(k->secret); /* wipes before unmapping */
    bptee_report_free(k->evidence);
    pthread_mutex_destroy(&k->lock);
    free(k);
}

void bptee_signing_key_public(const struct bptee_signing_key *k, uint8_t public_key[32])
{
    memcpy(public_key, k->public_key, sizeof k->public_key);
}

void bptee_signing_key_report_data(const uint8_t public_key[32], uint8_t report_data[64])
{
    static const uint8_t tag[] = BPTEE_SIGNING_KEY_TAG; /* with its NUL: the 0x00 separator */
    crypto_hash_sha512_state st;
    crypto_hash_sha512_init(&st);
    crypto_hash_sha512_update(&st, tag, sizeof tag);
    crypto_hash_sha512_update(&st, public_key, BPTEE_ED25519_PUBLIC_KEY_LEN);
    crypto_hash_sha512_final(&st, report_data);
}

static void report_data_hex(const uint8_t public_key[32], char hex[129])
{
    uint8_t rd[64];
    bptee_signing_key_report_data(public_key, rd);
    sodium_bin2hex(hex, 129, rd, sizeof rd);
}

int bptee_signing_key_attest(struct bptee_signing_key *k, const struct bptee_guest_opts *opts,
                             int *source)
{
    uint8_t rd[64];
    char hex[129];
    struct bptee_report *r = NULL;
    if (!k)
        return fail(BPTEE_EINVAL, "signing key: attest: missing key");
    bptee_signing_key_report_data(k->public_key, rd);
    report_data_hex(k->public_key, hex);
    /* The guest call is slow (hardware round trip): make it outside the lock. */
    int rc = bptee_guest_attest(opts, rd, sizeof rd, &r, source);
    if (rc < 0)
        return fail_prefix(rc, "signing key: attest");
    rc = bptee_report_set_binding(r, k->public_key, sizeof k->public_key, SIGNING_KEY_TYPE, hex);
    if (rc < 0) {
        bptee_report_free(r);
        return fail_prefix(rc, "signing key: attest");
    }
    pthread_mutex_lock(&k->lock);
    struct bptee_report *old = k->evidence;
    k->evidence = r;
    pthread_mutex_unlock(&k->lock);
    bptee_report_free(old);
    return 0;
}

int bptee_signing_key_evidence_json(struct bptee_signing_key *k, unsigned flags, char **out)
{
    if (!k || !out)
        return fail(BPTEE_EINVAL, "signing key: evidence: missing argument");
    pthread_mutex_lock(&k->lock);
    int rc = k->evidence ? bptee_report_save_json(k->evidence, flags, out)
                         : fail(BPTEE_ENOTFOUND, "signing key: not attested yet");
    pthread_mutex_unlock(&k->lock);
    return rc;
}

int bptee_signing_key_evidence_digest(struct bptee_signing_key *k, char *out)
{
    if (!k || !out)
        return fail(BPTEE_EINVAL, "signing key: evidence digest: missing argument");
    pthread_mutex_lock(&k->lock);
    int rc = k->evidence ? bptee_report_evidence_digest(k->evidence, out)
                         : fail(BPTEE_ENOTFOUND, "signing key: not attested yet");
    pthread_mutex_unlock(&k->lock);
    return rc;
}

int bptee_signing_key_sign(const struct bptee_signing_key *k, const uint8_t *msg, size_t len,
                           uint8_t sig[64])
{
    if (!k || (!msg && len) || !sig)
        return fail(BPTEE_EINVAL, "signing key: sign: missing argument");
    if (crypto_sign_detached(sig, NULL, msg ? msg : (const uint8_t *)"", len, k->secret) != 0)
        return fail(BPTEE_ECRYPTO, "signing key: Ed25519 signing failed");
    return 0;
}

/* The Ed25519 key the evidence's public-key binding names, with the binding's own fields
 * checked against the layout. */
static int binding_key(const struct bptee_report *ev, uint8_t public_key[32])
{
    const uint8_t *key = NULL;
    const char *type = NULL, *digest = NULL;
    size_t len = 0;
    char want[129];
    if (bptee_report_binding(ev, &key, &len, &type, &digest) != 1)
        return fail(BPTEE_EVERIFY, "signing key: the evidence has no public_key_binding");
    if (!type || strcmp(type, SIGNING_KEY_TYPE) != 0)
        return fail(BPTEE_EVERIFY, "signing key: public_key_binding.key_type is not \"%s\"",
                    SIGNING_KEY_TYPE);
    if (len != BPTEE_ED25519_PUBLIC_KEY_LEN || !key)
        return fail(BPTEE_EVERIFY,
                    "signing key: public_key_binding.public_key is %zu bytes, "
                    "not 32",
                    len);
    report_data_hex(key, want);
    if (!digest || strcmp(digest, want) != 0)
        return fail(BPTEE_EVERIFY, "signing key: public_key_binding.binding_digest is not "
                                   "SHA-512(\"" BPTEE_SIGNING_KEY_TAG "\" || 0x00 || key)");
    memcpy(public_key, key, BPTEE_ED25519_PUBLIC_KEY_LEN);
    return 0;
}

static int check_verified(const struct bptee_report *v, const uint8_t public_key[32])
{
    const uint8_t *ud = NULL;
    size_t ud_len = 0;
    uint8_t want[64];
    if (bptee_report_user_data(v, &ud, &ud_len) != 1 || ud_len != sizeof want)
        return fail(BPTEE_EVERIFY, "signing key: the verified evidence has no 64-byte "
                                   "REPORT_DATA");
    bptee_signing_key_report_data(public_key, want);
    if (sodium_memcmp(ud, want, sizeof want) != 0)
        return fail(BPTEE_EVERIFY, "signing key: REPORT_DATA does not bind the public key "
                                   "(expected SHA-512(\"" BPTEE_SIGNING_KEY_TAG "\" || 0x00 || "
                                   "key))");
    return 0;
}

int bptee_signing_key_verify_evidence(const struct bptee_report *evidence,
                                      const struct bptee_verify_opts *opts, uint8_t public_key[32],
                                      struct bptee_report **verified)
{
    uint8_t key[BPTEE_ED25519_PUBLIC_KEY_LEN];
    struct bptee_report *v = NULL;
    if (!evidence || !public_key)
        return fail(BPTEE_EINVAL, "signing key: verify: missing argument");
    if (verified)
        *verified = NULL;
    int rc = binding_key(evidence, key);
    if (rc == 0) {
        rc = bptee_verify_report(evidence, opts, &v);
        if (rc < 0)
            rc = fail_prefix(rc, "signing key");
    }
    if (rc == 0)
        rc = check_verified(v, key);
    if (rc < 0) {
        bptee_report_free(v);
        return rc;
    }
    memcpy(public_key, key, sizeof key);
    if (verified)
        *verified = v;
    else
        bptee_report_free(v);
    return 0;
}
