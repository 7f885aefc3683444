// SPDX-License-Identifier: Apache-2.0
/* JWS signature algorithms (RFC 7518, RFC 8037) with OpenSSL EVP. Only asymmetric ones exist
 * here: "none" and the HMAC family are refused by name, so a public key can never be used as
 * an HMAC secret, and a key must be of the type (and curve) its alg needs. */
#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <openssl/err.h>
#include <openssl/rsa.h>
#include <pthread.h>
#include <string.h>

#include "jwt/internal.h"
#include "util/error.h"

static const struct {
    const char *name;
    const char *md;   /* NULL: EdDSA hashes internally */
    int type;         /* EVP_PKEY_RSA, EVP_PKEY_EC, EVP_PKEY_ED25519 */
    const char *curve;
    size_t coord;     /* ECDSA: bytes of r and of s */
    int pss;
} algs[ALG_COUNT] = {
    [ALG_RS256] = {"RS256", "SHA256", EVP_PKEY_RSA, NULL, 0, 0},
    [ALG_RS384] = {"RS384", "SHA384", EVP_PKEY_RSA, NULL, 0, 0},
    [ALG_RS512] = {"RS512", "SHA512", EVP_PKEY_RSA, NULL, 0, 0},
    [ALG_PS256] = {"PS256", "SHA256", EVP_PKEY_RSA, NULL, 0, 1},
    [ALG_PS384] = {"PS384", "SHA384", EVP_PKEY_RSA, NULL, 0, 1},
    [ALG_PS512] = {"PS512", "SHA512", EVP_PKEY_RSA, NULL, 0, 1},
    [ALG_ES256] = {"ES256", "SHA256", EVP_PKEY_EC, "prime256v1", 32, 0},
    [ALG_ES384] = {"ES384", "SHA384", EVP_PKEY_EC, "secp384r1", 48, 0},
    [ALG_EDDSA] = {"EdDSA", NULL, EVP_PKEY_ED25519, NULL, 0, 0},
};

int jwt_alg_parse(const char *name, enum jwt_alg *alg)
{
    for (int i = 0; i < ALG_COUNT; i++)
        if (!strcmp(name, algs[i].name)) {
            *alg = (enum jwt_alg)i;
            return 0;
        }
    if (!strcmp(name, "none"))
        return fail(BPTEE_EVERIFY, "jwt: alg \"none\" (an unsigned token) is refused");
    if (!strncmp(name, "HS", 2))
        return fail(BPTEE_EVERIFY, "jwt: HMAC alg \"%.16s\" is refused: attestation tokens are "
                                   "signed with asymmetric keys",
                    name);
    return fail(BPTEE_EVERIFY, "jwt: alg \"%.16s\" is not supported", name);
}

const char *jwt_alg_name(enum jwt_alg alg)
{
    return algs[alg].name;
}

static int key_fits(enum jwt_alg alg, EVP_PKEY *key, bool report)
{
    char group[32] = "";
    if (EVP_PKEY_get_base_id(key) != algs[alg].type)
        return report ? fail(BPTEE_EVERIFY, "jwt: the key selected by kid is not of the type %s "
                                            "needs",
                             algs[alg].name)
                      : -1;
    if (algs[alg].type == EVP_PKEY_RSA && EVP_PKEY_get_bits(key) < BPTEE_JWT_RSA_MIN_BITS)
        return report ? fail(BPTEE_EVERIFY, "jwt: RSA key of %d bits is below the %d-bit minimum",
                             EVP_PKEY_get_bits(key), BPTEE_JWT_RSA_MIN_BITS)
                      : -1;
    if (algs[alg].curve &&
        (!EVP_PKEY_get_group_name(key, group, sizeof group, NULL) ||
         strcmp(group, algs[alg].curve)))
        return report ? fail(BPTEE_EVERIFY, "jwt: %s needs a %s key, the key is on %s",
                             algs[alg].name, algs[alg].curve, group[0] ? group : "another curve")
                      : -1;
    return 0;
}

int jwt_key_fits(enum jwt_alg alg, EVP_PKEY *key)
{
    return key_fits(alg, key, true);
}

/* Digests fetched once for the process: fetching by name on every verify (what
 * EVP_DigestVerifyInit does) is a tenth of an RSA-2048 verify. */
static EVP_MD *fetched[3];
static void fetch_digests(void)
{
    static const char *const names[3] = {"SHA256", "SHA384", "SHA512"};
    for (int i = 0; i < 3; i++)
        fetched[i] = EVP_MD_fetch(NULL, names[i], NULL);
}

static const EVP_MD *digest_of(enum jwt_alg alg)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, fetch_digests);
    const char *md = algs[alg].md;
    return !md ? NULL : fetched[!strcmp(md, "SHA256") ? 0 : !strcmp(md, "SHA384") ? 1 : 2];
}

/* A verify context for alg and key, set up once when the key set is read; each verify
 * duplicates it instead of setting one up again. */
static EVP_PKEY_CTX *prepare(enum jwt_alg alg, EVP_PKEY *key)
{
    const EVP_MD *md = digest_of(alg);
    EVP_PKEY_CTX *c = md ? EVP_PKEY_CTX_new_from_pkey(NULL, key, NULL) : NULL;
    bool rsa = algs[alg].type == EVP_PKEY_RSA;
    if (!c || EVP_PKEY_verify_init(c) != 1 ||
        (rsa && EVP_PKEY_CTX_set_rsa_padding(c, algs[alg].pss ? RSA_PKCS1_PSS_PADDING
                                                              : RSA_PKCS1_PADDING) <= 0) ||
        EVP_PKEY_CTX_set_signature_md(c, md) <= 0 ||
        (algs[alg].pss && (EVP_PKEY_CTX_set_rsa_mgf1_md(c, md) <= 0 ||
                           EVP_PKEY_CTX_set_rsa_pss_saltlen(c, RSA_PSS_SALTLEN_DIGEST) <= 0))) {
        EVP_PKEY_CTX_free(c);
        return NULL; /* verified the general way instead */
    }
    return c;
}

void jwt_key_prepare(EVP_PKEY *key, const char *only_alg, EVP_PKEY_CTX *out[ALG_COUNT])
{
    for (int a = 0; a < ALG_COUNT; a++)
        if (key && (!only_alg || !strcmp(only_alg, algs[a].name)) &&
            key_fits((enum jwt_alg)a, key, false) == 0)
            out[a] = prepare((enum jwt_alg)a, key);
    ERR_clear_error();
}

/* JWS ECDSA signatures are r ‖ s; OpenSSL verifies DER. */
static int ecdsa_der(const uint8_t *raw, size_t coord, unsigned char **der, size_t *der_len)
{
    ECDSA_SIG *sig = ECDSA_SIG_new();
    BIGNUM *r = BN_bin2bn(raw, (int)coord, NULL), *s = BN_bin2bn(raw + coord, (int)coord, NULL);
    if (!sig || !r || !s || !ECDSA_SIG_set0(sig, r, s)) {
        ECDSA_SIG_free(sig);
        BN_free(r);
        BN_free(s);
        return fail_openssl(BPTEE_ENOMEM, "jwt: signature");
    }
    *der = NULL;
    int n = i2d_ECDSA_SIG(sig, der);
    ECDSA_SIG_free(sig);
    if (n <= 0)
        return fail_openssl(BPTEE_ENOMEM, "jwt: signature");
    *der_len = (size_t)n;
    return 0;
}

static int verify_init(enum jwt_alg alg, EVP_PKEY *key, EVP_MD_CTX *ctx)
{
    EVP_PKEY_CTX *pctx = NULL;
    if (EVP_DigestVerifyInit_ex(ctx, &pctx, algs[alg].md, NULL, NULL, key, NULL) != 1)
        return 0;
    if (algs[alg].pss)
        return EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) > 0 &&
               EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) > 0;
    return 1;
}

/* With a prepared context: the digest, then the signature over it. */
static int verify_prepared(enum jwt_alg alg, EVP_PKEY_CTX *prepared, const unsigned char *sig,
                           size_t sig_len, const struct jwt_parts *p)
{
    unsigned char dgst[EVP_MAX_MD_SIZE];
    unsigned int dlen = 0;
    EVP_PKEY_CTX *c = NULL;
    int rc = 0;
    if (EVP_Digest(p->signing_input, p->signing_len, dgst, &dlen, digest_of(alg), NULL) != 1 ||
        !(c = EVP_PKEY_CTX_dup(prepared)))
        rc = fail_openssl(BPTEE_ECRYPTO, "jwt: %s verifier", algs[alg].name);
    else if (EVP_PKEY_verify(c, sig, sig_len, dgst, dlen) != 1)
        rc = fail_openssl(BPTEE_EVERIFY, "jwt: %s signature does not verify with the key "
                                         "selected by kid",
                          algs[alg].name);
    EVP_PKEY_CTX_free(c);
    return rc;
}

static int verify_general(enum jwt_alg alg, EVP_PKEY *key, const unsigned char *sig,
                          size_t sig_len, const struct jwt_parts *p)
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    int rc = 0;
    if (!ctx || !verify_init(alg, key, ctx))
        rc = fail_openssl(BPTEE_ECRYPTO, "jwt: %s verifier", algs[alg].name);
    else if (EVP_DigestVerify(ctx, sig, sig_len, (const unsigned char *)p->signing_input,
                              p->signing_len) != 1)
        rc = fail_openssl(BPTEE_EVERIFY, "jwt: %s signature does not verify with the key "
                                         "selected by kid",
                          algs[alg].name);
    EVP_MD_CTX_free(ctx);
    return rc;
}

int jwt_sig_verify(enum jwt_alg alg, EVP_PKEY *key, EVP_PKEY_CTX *prepared,
                   const struct jwt_parts *p)
{
    const unsigned char *sig = p->sig;
    size_t sig_len = p->sig_len;
    unsigned char *der = NULL;
    int rc = 0;
    if (algs[alg].coord) {
        if (p->sig_len != 2 * algs[alg].coord)
            return fail(BPTEE_EVERIFY, "jwt: %s signature is %zu bytes, not %zu", algs[alg].name,
                        p->sig_len, 2 * algs[alg].coord);
        if ((rc = ecdsa_der(p->sig, algs[alg].coord, &der, &sig_len)) < 0)
            return rc;
        sig = der;
    }
    rc = prepared ? verify_prepared(alg, prepared, sig, sig_len, p)
                  : verify_general(alg, key, sig, sig_len, p);
    OPENSSL_free(der);
    return rc;
}
