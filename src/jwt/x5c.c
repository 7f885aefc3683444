// SPDX-License-Identifier: Apache-2.0
/* x5c certificate chains (RFC 7515 §4.1.6: standard base64 DER, leaf first), in a key set's
 * entries and in a token's header.
 *
 * A key set's chain: each certificate signed by the next, the last by itself, every one valid
 * at the verification time. The set itself is the trust anchor (the caller pinned it); the
 * chain only has to be what it claims to be, and its leaf must carry the key (jwk.c).
 *
 * A header's chain is the token's own say-so, so it is trusted only when it leads to a root
 * the caller pinned (opts x5c_roots, `bptee verify --chain`); a root the chain carries is never
 * an anchor by itself. */
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>

#include "jwt/internal.h"
#include "util/codec.h"
#include "util/error.h"
#include "util/x509.h"

#define X5C_MAX 8

int jwt_x5c_read(const json_t *arr, const char *what, STACK_OF(X509) **out)
{
    if (!json_is_array(arr) || json_array_size(arr) == 0 || json_array_size(arr) > X5C_MAX)
        return fail(BPTEE_EPARSE, "jwt: %s: x5c is not an array of 1..%d certificates", what,
                    X5C_MAX);
    if (!(*out = sk_X509_new_null()))
        return fail(BPTEE_ENOMEM, "jwt: out of memory");
    for (size_t i = 0; i < json_array_size(arr); i++) {
        const json_t *c = json_array_get(arr, i);
        uint8_t *der = NULL;
        size_t len = 0;
        if (!json_is_string(c) || b64_decode_alloc(json_string_value(c), json_string_length(c),
                                                   &der, &len, "jwt: x5c") < 0)
            return fail(BPTEE_EPARSE, "jwt: %s: x5c[%zu] is not base64", what, i);
        const unsigned char *p = der;
        X509 *x = d2i_X509(NULL, &p, (long)len);
        int whole = x && p == der + len;
        free(der);
        if (!whole || !sk_X509_push(*out, x)) {
            X509_free(x);
            return fail_openssl(BPTEE_EPARSE, "jwt: %s: x5c[%zu] is not a DER certificate", what,
                                i);
        }
    }
    return 0;
}

int jwk_x5c_check(const struct jwk *k, int64_t at)
{
    int n = k->x5c ? sk_X509_num(k->x5c) : 0;
    for (int i = 0; i < n; i++) {
        X509 *c = sk_X509_value(k->x5c, i);
        X509 *issuer = i + 1 < n ? sk_X509_value(k->x5c, i + 1) : c;
        if (!jwt_cert_valid_at(c, at))
            return fail(BPTEE_EEXPIRED, "jwt: x5c[%d] of key '%s' is not valid at the "
                                        "verification time",
                        i, k->kid ? k->kid : "");
        if (X509_check_issued(issuer, c) != X509_V_OK ||
            X509_verify(c, X509_get0_pubkey(issuer)) != 1)
            return fail_openssl(BPTEE_EVERIFY, "jwt: x5c[%d] of key '%s' is not signed by %s", i,
                                k->kid ? k->kid : "", i + 1 < n ? "the next certificate"
                                                                : "itself");
    }
    return 0;
}

bool jwt_cert_valid_at(X509 *c, int64_t t)
{
    return t >= x509_time_unix(X509_get0_notBefore(c)) &&
           t <= x509_time_unix(X509_get0_notAfter(c));
}

/* The pinned roots: a PEM bundle, or one DER certificate. */
static int load_roots(const uint8_t *roots, size_t len, X509_STORE *store)
{
    BIO *b = BIO_new_mem_buf(roots, (int)len);
    X509 *x;
    int n = 0;
    while (b && (x = PEM_read_bio_X509(b, NULL, NULL, NULL))) {
        n += X509_STORE_add_cert(store, x) == 1;
        X509_free(x);
    }
    BIO_free(b);
    if (n == 0) {
        const unsigned char *p = roots;
        x = d2i_X509(NULL, &p, (long)len);
        if (x && p == roots + len)
            n += X509_STORE_add_cert(store, x) == 1;
        X509_free(x);
    }
    ERR_clear_error();
    return n ? 0 : fail(BPTEE_EPARSE, "jwt: the pinned roots are neither PEM certificates nor "
                                      "one DER certificate");
}

int jwt_x5c_pinned(STACK_OF(X509) *chain, const uint8_t *roots, size_t roots_len, int64_t at)
{
    static const char *const x5c_names[X5C_MAX] = {"x5c[0]", "x5c[1]", "x5c[2]", "x5c[3]",
                                                   "x5c[4]", "x5c[5]", "x5c[6]", "x5c[7]"};
    const char *names[X5C_MAX + 1];
    int n = sk_X509_num(chain);
    for (int i = 0; i <= X5C_MAX; i++) /* past the chain: the root came from the pin */
        names[i] = i < n ? x5c_names[i] : "the pinned root";
    if (!roots || !roots_len)
        return fail(BPTEE_EVERIFY, "jwt: the token's header carries an x5c chain but no root is "
                                   "pinned for it (give one: --chain FILE)");
    X509_STORE *store = X509_STORE_new();
    X509_STORE_CTX *ctx = X509_STORE_CTX_new();
    STACK_OF(X509) *untrusted = sk_X509_new_null();
    int rc = store && ctx && untrusted ? load_roots(roots, roots_len, store)
                                       : fail(BPTEE_ENOMEM, "jwt: out of memory");
    for (int i = 1; rc == 0 && i < sk_X509_num(chain); i++)
        if (!sk_X509_push(untrusted, sk_X509_value(chain, i)))
            rc = fail(BPTEE_ENOMEM, "jwt: out of memory");
    if (rc == 0 && !X509_STORE_CTX_init(ctx, store, sk_X509_value(chain, 0), untrusted))
        rc = fail_openssl(BPTEE_ECRYPTO, "jwt: certificate store");
    if (rc == 0) {
        X509_VERIFY_PARAM *vp = X509_STORE_CTX_get0_param(ctx);
        X509_VERIFY_PARAM_set_time(vp, (time_t)at);
        /* a pinned intermediate is an anchor too: pinning it is the caller's choice */
        X509_VERIFY_PARAM_set_flags(vp, X509_V_FLAG_PARTIAL_CHAIN |
                                            X509_V_FLAG_CHECK_SS_SIGNATURE);
        if (X509_verify_cert(ctx) != 1)
            rc = x509_store_error("jwt: header", ctx, names, X5C_MAX + 1, "verification");
    }
    sk_X509_free(untrusted);
    X509_STORE_CTX_free(ctx);
    X509_STORE_free(store);
    return rc;
}
