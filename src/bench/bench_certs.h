/* SPDX-License-Identifier: Apache-2.0 */
/* The floor of a certificate chain: each certificate's signature checked by a bare OpenSSL
 * verify over its to-be-signed bytes with its issuer's key, everything else (parsing, key
 * decoding, the signature's DER) prepared once outside the clock. */
#ifndef BPTEE_BENCH_CERTS_H
#define BPTEE_BENCH_CERTS_H

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>

struct cert_sig {
    unsigned char *tbs, *sig;
    size_t tbs_len, sig_len;
    EVP_PKEY *issuer_key;
    const EVP_MD *md;
    int pss_salt; /* RSASSA-PSS with MGF1 over md and this salt; 0 for ECDSA */
};

static inline void cert_sig_die(const char *what)
{
    fprintf(stderr, "bench: cannot prepare the chain floor: %s\n", what);
    exit(1);
}

/* X.509 certificates of a PEM text, in order, at most max; returns how many. */
static inline int cert_pem_read(const void *pem, size_t len, X509 **out, int max)
{
    BIO *b = BIO_new_mem_buf(pem, (int)len);
    int n = 0;
    while (b && n < max && (out[n] = PEM_read_bio_X509(b, NULL, NULL, NULL)) != NULL)
        n++;
    BIO_free(b);
    return n;
}

static inline void cert_sig_prepare(X509 *cert, X509 *issuer, const EVP_MD *md, int pss_salt,
                                    struct cert_sig *out)
{
    const ASN1_BIT_STRING *sig = NULL;
    unsigned char *p = NULL;
    int n = i2d_re_X509_tbs(cert, &p);
    X509_get0_signature(&sig, NULL, cert);
    if (n <= 0 || !sig || !(out->issuer_key = X509_get_pubkey(issuer)))
        cert_sig_die("certificate");
    out->tbs = p;
    out->tbs_len = (size_t)n;
    out->sig = OPENSSL_memdup(sig->data, (size_t)sig->length);
    out->sig_len = (size_t)sig->length;
    out->md = md;
    out->pss_salt = pss_salt;
}

static inline int cert_sig_verify(const struct cert_sig *s)
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    EVP_PKEY_CTX *pctx = NULL;
    int ok = ctx && EVP_DigestVerifyInit(ctx, &pctx, s->md, NULL, s->issuer_key) == 1;
    if (ok && s->pss_salt)
        ok = EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) == 1 &&
             EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, s->md) == 1 &&
             EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, s->pss_salt) == 1;
    ok = ok && EVP_DigestVerify(ctx, s->sig, s->sig_len, s->tbs, s->tbs_len) == 1;
    EVP_MD_CTX_free(ctx);
    return ok ? 0 : -1;
}

/* The n signatures of a chain, in order: 0, or -1 at the first that fails. */
static inline int cert_sigs_verify(const struct cert_sig *s, int n)
{
    for (int i = 0; i < n; i++)
        if (cert_sig_verify(&s[i]) < 0)
            return -1;
    return 0;
}

static inline void cert_sig_release(struct cert_sig *s)
{
    OPENSSL_free(s->tbs);
    OPENSSL_free(s->sig);
    EVP_PKEY_free(s->issuer_key);
}

#endif
