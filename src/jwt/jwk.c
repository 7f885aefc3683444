// SPDX-License-Identifier: Apache-2.0
/* One JSON Web Key (RFC 7517/7518/8037) into an OpenSSL public key: RSA from n and e, EC from
 * crv, x and y (coordinates of exactly the curve's size, the point checked on the curve), OKP
 * Ed25519 from x, or the first certificate of x5c. When both x5c and n/e (or x/y) are given
 * they must be the same key. A key marked for another use ("use" other than "sig", "key_ops"
 * without "verify") or of an unknown or symmetric type is kept but unusable. */
#include <openssl/core_names.h>
#include <openssl/param_build.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jwt/internal.h"
#include "util/codec.h"
#include "util/error.h"

static int b64_member(const json_t *obj, const char *key, size_t idx, uint8_t **out, size_t *len)
{
    const json_t *v = json_object_get(obj, key);
    char what[48];
    snprintf(what, sizeof what, "JWKS key %zu \"%s\"", idx, key);
    if (!json_is_string(v))
        return fail(BPTEE_EPARSE, "jwt: %s is missing or not a string", what);
    return jwt_b64url(json_string_value(v), json_string_length(v), out, len, what);
}

static EVP_PKEY *from_params(const char *type, OSSL_PARAM_BLD *bld)
{
    OSSL_PARAM *params = OSSL_PARAM_BLD_to_param(bld);
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, type, NULL);
    EVP_PKEY *k = NULL;
    if (!params || !ctx || EVP_PKEY_fromdata_init(ctx) != 1 ||
        EVP_PKEY_fromdata(ctx, &k, EVP_PKEY_PUBLIC_KEY, params) != 1)
        k = NULL;
    EVP_PKEY_CTX_free(ctx);
    OSSL_PARAM_free(params);
    return k;
}

static int rsa_key(const json_t *obj, size_t idx, EVP_PKEY **out)
{
    uint8_t *n = NULL, *e = NULL;
    size_t nl = 0, el = 0;
    int rc = b64_member(obj, "n", idx, &n, &nl);
    if (rc == 0)
        rc = b64_member(obj, "e", idx, &e, &el);
    BIGNUM *bn = rc == 0 ? BN_bin2bn(n, (int)nl, NULL) : NULL;
    BIGNUM *be = rc == 0 ? BN_bin2bn(e, (int)el, NULL) : NULL;
    OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
    if (rc == 0 && (!bn || !be || !bld || !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, bn) ||
                    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, be) ||
                    !(*out = from_params("RSA", bld))))
        rc = fail_openssl(BPTEE_EPARSE, "jwt: JWKS key %zu is not a valid RSA key", idx);
    OSSL_PARAM_BLD_free(bld);
    BN_free(bn);
    BN_free(be);
    free(n);
    free(e);
    return rc;
}

static int ec_key(const json_t *obj, size_t idx, const char *crv, EVP_PKEY **out)
{
    const char *group = !strcmp(crv, "P-256") ? "prime256v1" : "secp384r1";
    size_t size = !strcmp(crv, "P-256") ? 32 : 48, xl = 0, yl = 0;
    uint8_t *x = NULL, *y = NULL, pub[1 + 2 * 48];
    int rc = b64_member(obj, "x", idx, &x, &xl);
    if (rc == 0)
        rc = b64_member(obj, "y", idx, &y, &yl);
    if (rc == 0 && (xl != size || yl != size))
        rc = fail(BPTEE_EPARSE, "jwt: JWKS key %zu: %s coordinates must be %zu bytes", idx, crv,
                  size);
    OSSL_PARAM_BLD *bld = rc == 0 ? OSSL_PARAM_BLD_new() : NULL;
    if (rc == 0) {
        pub[0] = 0x04;
        memcpy(pub + 1, x, size);
        memcpy(pub + 1 + size, y, size);
        if (!bld || !OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, group, 0) ||
            !OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, pub, 1 + 2 * size) ||
            !(*out = from_params("EC", bld)))
            rc = fail_openssl(BPTEE_EPARSE, "jwt: JWKS key %zu is not a point on %s", idx, crv);
    }
    OSSL_PARAM_BLD_free(bld);
    free(x);
    free(y);
    return rc;
}

static int okp_key(const json_t *obj, size_t idx, EVP_PKEY **out)
{
    uint8_t *x = NULL;
    size_t xl = 0;
    int rc = b64_member(obj, "x", idx, &x, &xl);
    if (rc == 0 && (xl != 32 || !(*out = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, x,
                                                                      32))))
        rc = fail_openssl(BPTEE_EPARSE, "jwt: JWKS key %zu is not an Ed25519 key", idx);
    free(x);
    return rc;
}

static int key_material(const json_t *obj, size_t idx, const char *kty, struct jwk *k)
{
    const char *crv = json_string_value(json_object_get(obj, "crv"));
    bool has_direct = json_object_get(obj, "n") || json_object_get(obj, "x");
    if (!strcmp(kty, "RSA") && has_direct)
        return rsa_key(obj, idx, &k->pkey);
    if (!strcmp(kty, "EC") && crv && (!strcmp(crv, "P-256") || !strcmp(crv, "P-384")))
        return ec_key(obj, idx, crv, &k->pkey);
    if (!strcmp(kty, "OKP") && crv && !strcmp(crv, "Ed25519"))
        return okp_key(obj, idx, &k->pkey);
    if (!strcmp(kty, "RSA") && k->x5c)
        return 0; /* the key comes from x5c */
    snprintf(k->unusable, sizeof k->unusable, "key type %.8s%s%.16s is not supported", kty,
             crv ? " " : "", crv ? crv : "");
    return 0;
}

static void usage_checks(const json_t *obj, struct jwk *k)
{
    const json_t *use = json_object_get(obj, "use"), *ops = json_object_get(obj, "key_ops");
    if (use && (!json_is_string(use) || strcmp(json_string_value(use), "sig")))
        snprintf(k->unusable, sizeof k->unusable, "its \"use\" is not \"sig\"");
    if (ops) {
        bool verify = false;
        for (size_t i = 0; json_is_array(ops) && i < json_array_size(ops); i++)
            verify |= json_is_string(json_array_get(ops, i)) &&
                      !strcmp(json_string_value(json_array_get(ops, i)), "verify");
        if (!verify)
            snprintf(k->unusable, sizeof k->unusable, "its key_ops do not include \"verify\"");
    }
}

/* The x5c leaf's key and the direct key, when both are given, must agree. */
static int x5c_key(size_t idx, struct jwk *k)
{
    EVP_PKEY *cert_key = X509_get0_pubkey(sk_X509_value(k->x5c, 0));
    if (!cert_key)
        return fail_openssl(BPTEE_EPARSE, "jwt: JWKS key %zu: x5c[0] has no usable key", idx);
    if (k->pkey)
        return EVP_PKEY_eq(k->pkey, cert_key) == 1
                   ? 0
                   : fail(BPTEE_EPARSE, "jwt: JWKS key %zu: x5c[0] carries another key", idx);
    if (!EVP_PKEY_up_ref(cert_key))
        return fail_openssl(BPTEE_ENOMEM, "jwt: out of memory");
    k->pkey = cert_key;
    return 0;
}

static int str_member(const json_t *obj, const char *key, size_t idx, char **out)
{
    const json_t *v = json_object_get(obj, key);
    if (!v)
        return 0;
    if (!json_is_string(v))
        return fail(BPTEE_EPARSE, "jwt: JWKS key %zu: \"%s\" is not a string", idx, key);
    return (*out = strdup(json_string_value(v))) ? 0 : fail(BPTEE_ENOMEM, "jwt: out of memory");
}

int jwk_read(const json_t *obj, size_t idx, struct jwk *k)
{
    memset(k, 0, sizeof *k);
    const char *kty = json_string_value(json_object_get(obj, "kty"));
    if (!json_is_object(obj) || !kty)
        return fail(BPTEE_EPARSE, "jwt: JWKS key %zu is not an object with a \"kty\"", idx);
    int rc = str_member(obj, "kid", idx, &k->kid);
    if (rc == 0)
        rc = str_member(obj, "alg", idx, &k->alg);
    const json_t *x5c = json_object_get(obj, "x5c");
    char what[32];
    snprintf(what, sizeof what, "JWKS key %zu", idx);
    if (rc == 0 && x5c)
        rc = jwt_x5c_read(x5c, what, &k->x5c);
    if (rc == 0)
        rc = key_material(obj, idx, kty, k);
    if (rc == 0 && k->x5c && !k->unusable[0])
        rc = x5c_key(idx, k);
    if (rc == 0)
        usage_checks(obj, k);
    if (rc == 0 && k->pkey && !k->unusable[0])
        jwt_key_prepare(k->pkey, k->alg, k->prepared);
    if (rc < 0)
        jwk_release(k);
    return rc;
}

void jwk_release(struct jwk *k)
{
    free(k->kid);
    free(k->alg);
    EVP_PKEY_free(k->pkey);
    sk_X509_pop_free(k->x5c, X509_free);
    for (int a = 0; a < ALG_COUNT; a++)
        EVP_PKEY_CTX_free(k->prepared[a]);
    memset(k, 0, sizeof *k);
}
