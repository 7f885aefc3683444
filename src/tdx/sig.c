// SPDX-License-Identifier: Apache-2.0
/* ECDSA P-256 as DCAP encodes it: public keys as raw x || y (no SEC1 prefix), signatures as raw
 * big-endian r || s (not DER). Keys are imported through OpenSSL, which refuses a point that is
 * not on the curve, so a tampered attestation key is a clean rejection. Attestation keys are
 * kept in a small cache: one QE signs every quote of its platform with the same key. */
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/param_build.h>
#include <pthread.h>

#include "tdx/internal.h"
#include "util/error.h"

#define DER_SIG_MAX 80
#define KEY_SLOTS 16

/* A P-256 key made once from the generator point: new keys are copies of it with their own
 * point. EVP_PKEY_fromdata builds the curve group afresh for every key (its Montgomery
 * constants included), three times what copying it costs; the copy's point is still decoded
 * and checked on the curve by OpenSSL when it is set. */
static EVP_PKEY *p256_template;
static pthread_once_t template_once = PTHREAD_ONCE_INIT;

static const uint8_t p256_generator[65] = {
    0x04, 0x6b, 0x17, 0xd1, 0xf2, 0xe1, 0x2c, 0x42, 0x47, 0xf8, 0xbc, 0xe6, 0xe5, 0x63,
    0xa4, 0x40, 0xf2, 0x77, 0x03, 0x7d, 0x81, 0x2d, 0xeb, 0x33, 0xa0, 0xf4, 0xa1, 0x39,
    0x45, 0xd8, 0x98, 0xc2, 0x96, 0x4f, 0xe3, 0x42, 0xe2, 0xfe, 0x1a, 0x7f, 0x9b, 0x8e,
    0xe7, 0xeb, 0x4a, 0x7c, 0x0f, 0x9e, 0x16, 0x2b, 0xce, 0x33, 0x57, 0x6b, 0x31, 0x5e,
    0xce, 0xcb, 0xb6, 0x40, 0x68, 0x37, 0xbf, 0x51, 0xf5,
};

/* A P-256 public key from its SEC1 point, the curve group built afresh. */
static EVP_PKEY *fromdata(const uint8_t sec1[65])
{
    char group[] = "prime256v1";
    OSSL_PARAM params[] = {
        OSSL_PARAM_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, group, 0),
        OSSL_PARAM_octet_string(OSSL_PKEY_PARAM_PUB_KEY, (void *)sec1, 65),
        OSSL_PARAM_END,
    };
    EVP_PKEY *key = NULL;
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
    if (!ctx || EVP_PKEY_fromdata_init(ctx) != 1 ||
        EVP_PKEY_fromdata(ctx, &key, EVP_PKEY_PUBLIC_KEY, params) != 1)
        key = NULL;
    EVP_PKEY_CTX_free(ctx);
    return key;
}

static void template_make(void)
{
    p256_template = fromdata(p256_generator); /* NULL: every key is then made by fromdata */
    ERR_clear_error();
}

static EVP_PKEY *key_from_sec1(const uint8_t sec1[65])
{
    pthread_once(&template_once, template_make);
    if (!p256_template)
        return fromdata(sec1);
    EVP_PKEY *key = EVP_PKEY_dup(p256_template);
    if (key && EVP_PKEY_set1_encoded_public_key(key, sec1, 65) != 1) {
        EVP_PKEY_free(key);
        key = NULL;
    }
    return key;
}

EVP_PKEY *tdx_p256_key_import(const uint8_t xy[64])
{
    uint8_t sec1[65];
    sec1[0] = 0x04;
    memcpy(sec1 + 1, xy, 64);
    EVP_PKEY *key = key_from_sec1(sec1);
    int ok = key != NULL;
    if (ok) {
        /* On the curve and not the point at infinity. The full check adds n*Q == O, a scalar
         * multiplication that P-256 (cofactor 1) makes redundant: every point on the curve
         * has order n. */
        EVP_PKEY_CTX *check = EVP_PKEY_CTX_new_from_pkey(NULL, key, NULL);
        ok = check && EVP_PKEY_public_check_quick(check) == 1;
        EVP_PKEY_CTX_free(check);
    }
    ERR_clear_error();
    if (!ok) {
        EVP_PKEY_free(key);
        return NULL;
    }
    return key;
}

int tdx_p256_key_from_raw(const uint8_t xy[64], EVP_PKEY **out)
{
    EVP_PKEY *key = tdx_p256_key_import(xy);
    if (!key)
        return fail(BPTEE_EVERIFY, "tdx: attestation key is not a valid P-256 point");
    *out = key;
    return 0;
}

/* (r, s) as a DER ECDSA-Sig-Value; 0 bytes when the integers cannot form one. */
static size_t der_signature(const uint8_t sig[64], uint8_t der[DER_SIG_MAX])
{
    BIGNUM *r = BN_bin2bn(sig, 32, NULL), *s = BN_bin2bn(sig + 32, 32, NULL);
    ECDSA_SIG *es = ECDSA_SIG_new();
    size_t n = 0;
    if (r && s && es && ECDSA_SIG_set0(es, r, s) == 1) {
        r = s = NULL; /* owned by es now */
        int len = i2d_ECDSA_SIG(es, NULL);
        unsigned char *p = der;
        if (len > 0 && len <= DER_SIG_MAX)
            n = (size_t)i2d_ECDSA_SIG(es, &p);
    }
    BN_free(r);
    BN_free(s);
    ECDSA_SIG_free(es);
    return n;
}

int tdx_p256_verify(EVP_PKEY *key, const uint8_t sig[64], const uint8_t *msg, size_t len)
{
    uint8_t der[DER_SIG_MAX];
    size_t der_len = der_signature(sig, der);
    if (der_len == 0)
        return 0;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    if (!ctx)
        return fail(BPTEE_ENOMEM, "tdx: out of memory");
    int ok = EVP_DigestVerifyInit(ctx, NULL, EVP_sha256(), NULL, key) == 1 &&
             EVP_DigestVerify(ctx, der, der_len, msg, len) == 1;
    EVP_MD_CTX_free(ctx);
    ERR_clear_error();
    return ok;
}

struct key_slot {
    uint8_t xy[64];
    EVP_PKEY *key;
};
static struct key_slot slots[KEY_SLOTS];
static size_t next_victim;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static bool cached_key(const uint8_t xy[64], EVP_PKEY **out)
{
    bool hit = false;
    pthread_mutex_lock(&lock);
    for (size_t i = 0; i < KEY_SLOTS && !hit; i++)
        if (slots[i].key && !memcmp(slots[i].xy, xy, 64) && EVP_PKEY_up_ref(slots[i].key) == 1) {
            *out = slots[i].key;
            hit = true;
        }
    pthread_mutex_unlock(&lock);
    return hit;
}

int tdx_attest_key_get(const uint8_t xy[64], EVP_PKEY **out)
{
    if (cached_key(xy, out))
        return 0;
    EVP_PKEY *key = NULL;
    int rc = tdx_p256_key_from_raw(xy, &key);
    if (rc < 0)
        return rc;
    if (EVP_PKEY_up_ref(key) == 1) {
        pthread_mutex_lock(&lock);
        struct key_slot *s = &slots[next_victim];
        next_victim = (next_victim + 1) % KEY_SLOTS;
        EVP_PKEY_free(s->key);
        memcpy(s->xy, xy, 64);
        s->key = key; /* the cache's reference */
        pthread_mutex_unlock(&lock);
    }
    *out = key;
    return 0;
}

void tdx_attest_key_cache_clear(void)
{
    pthread_mutex_lock(&lock);
    for (size_t i = 0; i < KEY_SLOTS; i++) {
        EVP_PKEY_free(slots[i].key);
        memset(&slots[i], 0, sizeof slots[i]);
    }
    pthread_mutex_unlock(&lock);
}
