/* SPDX-License-Identifier: Apache-2.0 */
/* A PCK certificate read without OpenSSL's X509 object (private; see leaf.c for why). */
#ifndef BPTEE_TDX_LEAF_H
#define BPTEE_TDX_LEAF_H

#include <openssl/x509.h>
#include <stdint.h>

struct tdx_leaf {
    const uint8_t *tbs; /* the signed TBSCertificate, within the DER given */
    size_t tbs_len;
    const uint8_t *sig; /* the ECDSA-Sig-Value (the BIT STRING's bytes) */
    size_t sig_len;
    const uint8_t *issuer; /* the issuer Name's DER, located, not parsed: the caller compares
                            * it with its CA's subject */
    size_t issuer_len;
    uint8_t point[64]; /* the P-256 public key, x || y */
    ASN1_INTEGER *serial;
    ASN1_TIME *not_before, *not_after;
    X509_NAME *subject;
    STACK_OF(X509_EXTENSION) *exts;
};

/* 0 when der is exactly one DER certificate of the PCK profile: version 3, ecdsa-with-SHA256
 * (parameters absent) inside and outside, a named-curve P-256 key as an uncompressed point,
 * extensions present, no unique ids. Else -1, nothing kept: the caller lets OpenSSL decide. The
 * fields OpenSSL would parse (serial, times, subject, extensions) are parsed by OpenSSL's own
 * decoders for those types, so what is accepted here, with an issuer that d2i_X509_NAME
 * accepts, d2i_X509 accepts with the same values. */
int tdx_leaf_parse(const uint8_t *der, size_t len, struct tdx_leaf *out);
void tdx_leaf_release(struct tdx_leaf *l);

#endif
