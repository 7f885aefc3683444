// SPDX-License-Identifier: Apache-2.0
/* JWS signature algorithms (RFC 7518, RFC 8037) with OpenSSL EVP. Only asymmetric ones exist
 * here: "none" and the HMAC family are refused by name, so a public key can never be used as
 * an HMAC secret, and a key must be of the type (and curve) its alg needs. */
#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <openssl/rsa.h>
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

int jwt_key_fits(enum jwt_alg alg, EVP_PKEY *key)
{
    char group[32] = "";
    if (EVP_PKEY_get_base_id(key) != algs[alg].type)
        return fail(BPTEE_EVERIFY, "jwt: the key selected by kid is not of the type %s needs",
                    algs[alg].name);
    if (algs[alg].type == EVP_PKEY_RSA && EVP_PKEY_get_bits(key) < BPTEE_JWT_RSA_MIN_BITS)
        return fail(BPTEE_EVERIFY, "jwt: RSA key of %d bits is below the %d-bit minimum",
                    EVP_PKEY_get_bits(key), BPTEE_JWT_RSA_MIN_BITS);
    if (algs[alg].curve &&
        (!EVP_PKEY_get_group_name(key, group, sizeof group, NULL) ||
         strcmp(group, algs[alg].curve)))
        return fail(BPTEE_EVERIFY, "jwt: %s needs a %s key, the key is on %s", algs[alg].name,
                    algs[alg].curve, group[0] ? group : "another curve");
    return 0;
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

int jwt_sig_verify(enum jwt_alg alg, EVP_PKEY *key, const struct jwt_parts *p)
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
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    if (!ctx || !verify_init(alg, key, ctx))
        rc = fail_openssl(BPTEE_ECRYPTO, "jwt: %s verifier", algs[alg].name);
    else if (EVP_DigestVerify(ctx, sig, sig_len, (const unsigned char *)p->signing_input,
                              p->signing_len) != 1)
        rc = fail_openssl(BPTEE_EVERIFY, "jwt: %s signature does not verify with the key "
                                         "selected by kid",
                          algs[alg].name);
    EVP_MD_CTX_free(ctx);
    OPENSSL_free(der);
    return rc;
}
