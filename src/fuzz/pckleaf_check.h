/* SPDX-License-Identifier: Apache-2.0 */
/* The differential check of the PCK certificate reader (src/tdx/leaf.c) against OpenSSL's
 * d2i_X509, shared by fuzz_tdx_pckleaf and the test helper python-tests/c/pckleaf_diff.c:
 * whatever the reader accepts (with an issuer name that parses) d2i_X509 must accept, whole,
 * with the same serial, times, names, key, extensions, signed bytes and signature. */
#ifndef BPTEE_FUZZ_PCKLEAF_CHECK_H
#define BPTEE_FUZZ_PCKLEAF_CHECK_H

#include <openssl/err.h>
#include <openssl/x509.h>
#include <stdbool.h>
#include <string.h>

#include "tdx/leaf.h"

enum pckleaf_verdict {
    PCKLEAF_BOTH_REJECT,   /* neither parses it */
    PCKLEAF_FULL_PATH,     /* OpenSSL parses it, the reader leaves it to OpenSSL */
    PCKLEAF_AGREE,         /* both parse it, to the same values */
    PCKLEAF_MISMATCH,      /* the reader accepts what OpenSSL rejects or reads otherwise */
};

static inline bool pckleaf_same_bytes(const void *a, size_t an, const void *b, size_t bn)
{
    return an == bn && (an == 0 || !memcmp(a, b, an));
}

static inline bool pckleaf_same_exts(const struct tdx_leaf *l, const X509 *x)
{
    const STACK_OF(X509_EXTENSION) *xe = X509_get0_extensions(x);
    int n = sk_X509_EXTENSION_num(l->exts);
    bool same = n == sk_X509_EXTENSION_num(xe);
    for (int i = 0; same && i < n; i++) {
        unsigned char *a = NULL, *b = NULL;
        int an = i2d_X509_EXTENSION(sk_X509_EXTENSION_value(l->exts, i), &a);
        int bn = i2d_X509_EXTENSION(sk_X509_EXTENSION_value(xe, i), &b);
        same = an > 0 && pckleaf_same_bytes(a, (size_t)an, b, (size_t)bn);
        OPENSSL_free(a);
        OPENSSL_free(b);
    }
    return same;
}

/* Signatures cover the bytes as given (X509_verify uses the encoding d2i_X509 kept): the
 * certificate OpenSSL holds must encode to the input, and the signed bytes be its first
 * element, right after the outer header. */
static inline bool pckleaf_same_tbs(const struct tdx_leaf *l, X509 *x, const uint8_t *der,
                                    size_t len)
{
    unsigned char *enc = NULL;
    int n = i2d_X509(x, &enc);
    size_t hdr = (size_t)(l->tbs - der);
    bool same = n > 0 && pckleaf_same_bytes(enc, (size_t)n, der, len) && l->tbs > der &&
                hdr <= 4 && hdr + l->tbs_len <= len;
    OPENSSL_free(enc);
    return same;
}

static inline bool pckleaf_same(const struct tdx_leaf *l, X509 *x, const uint8_t *der, size_t len)
{
    const unsigned char *issuer = NULL;
    size_t issuer_len = 0;
    const ASN1_BIT_STRING *sig = NULL;
    const ASN1_BIT_STRING *key = X509_get0_pubkey_bitstr(x);
    uint8_t point[65] = {0x04};
    memcpy(point + 1, l->point, 64);
    X509_get0_signature(&sig, NULL, x);
    bool same = X509_NAME_get0_der(X509_get_issuer_name(x), &issuer, &issuer_len) == 1 &&
                pckleaf_same_bytes(issuer, issuer_len, l->issuer, l->issuer_len) &&
                X509_NAME_cmp(X509_get_subject_name(x), l->subject) == 0 &&
                ASN1_INTEGER_cmp(X509_get0_serialNumber(x), l->serial) == 0 &&
                ASN1_STRING_cmp(X509_get0_notBefore(x), l->not_before) == 0 &&
                ASN1_STRING_cmp(X509_get0_notAfter(x), l->not_after) == 0 &&
                X509_get_version(x) == X509_VERSION_3 &&
                X509_get_signature_nid(x) == NID_ecdsa_with_SHA256 && key &&
                pckleaf_same_bytes(key->data, (size_t)key->length, point, 65) && sig &&
                pckleaf_same_bytes(sig->data, (size_t)sig->length, l->sig, l->sig_len) &&
                pckleaf_same_tbs(l, x, der, len) && pckleaf_same_exts(l, x);
    return same;
}

static inline enum pckleaf_verdict pckleaf_check(const uint8_t *der, size_t len)
{
    struct tdx_leaf l;
    const unsigned char *p = der;
    X509 *x = len <= 1u << 20 ? d2i_X509(NULL, &p, (long)len) : NULL;
    bool whole = x && p == der + len;
    enum pckleaf_verdict v = whole ? PCKLEAF_FULL_PATH : PCKLEAF_BOTH_REJECT;
    if (tdx_leaf_parse(der, len, &l) == 0) {
        const unsigned char *q = l.issuer;
        X509_NAME *issuer = d2i_X509_NAME(NULL, &q, (long)l.issuer_len);
        if (!issuer) /* the caller compares the issuer with a parsed name: never reached */
            v = whole ? PCKLEAF_FULL_PATH : PCKLEAF_BOTH_REJECT;
        else
            v = whole && pckleaf_same(&l, x, der, len) ? PCKLEAF_AGREE : PCKLEAF_MISMATCH;
        X509_NAME_free(issuer);
        tdx_leaf_release(&l);
    }
    X509_free(x);
    ERR_clear_error();
    return v;
}

#endif
