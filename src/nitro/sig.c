// SPDX-License-Identifier: Apache-2.0
/* The COSE_Sign1 signature: ES384 over Sig_structure = ["Signature1", protected, h'', payload],
 * rebuilt from the original protected-header and payload bytes (never re-encoded from the
 * decoded map), with the raw r ‖ s signature turned into the DER OpenSSL verifies. */
#include <openssl/ecdsa.h>
#include <openssl/evp.h>

#include "nitro/internal.h"
#include "util/error.h"

static int sig_der(const struct bptee_nitro_bytes *raw, unsigned char **der, int *der_len)
{
    ECDSA_SIG *sig = ECDSA_SIG_new();
    BIGNUM *r = BN_bin2bn(raw->data, 48, NULL), *s = BN_bin2bn(raw->data + 48, 48, NULL);
    if (!sig || !r || !s || !ECDSA_SIG_set0(sig, r, s)) {
        ECDSA_SIG_free(sig);
        BN_free(r);
        BN_free(s);
        return fail_openssl(BPTEE_ENOMEM, "nitro: signature");
    }
    *der = NULL;
    *der_len = i2d_ECDSA_SIG(sig, der);
    ECDSA_SIG_free(sig);
    return *der_len > 0 ? 0 : fail_openssl(BPTEE_ENOMEM, "nitro: signature");
}

static int update_bstr(EVP_MD_CTX *ctx, const struct bptee_nitro_bytes *b)
{
    unsigned char head[9];
    size_t n = cbor_encode_bytestring_start(b->len, head, sizeof head);
    return n && EVP_DigestVerifyUpdate(ctx, head, n) == 1 &&
           (b->len == 0 || EVP_DigestVerifyUpdate(ctx, b->data, b->len) == 1);
}

int nitro_sig_verify(const struct bptee_nitro_document *doc, EVP_PKEY *key)
{
    static const unsigned char context[] = {0x84, 0x6a, 'S', 'i', 'g', 'n', 'a', 't', 'u', 'r',
                                            'e', '1'};
    static const struct bptee_nitro_bytes no_aad = {NULL, 0};
    unsigned char *der = NULL;
    int der_len = 0, rc = sig_der(&doc->signature, &der, &der_len);
    if (rc < 0)
        return rc;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    if (!ctx || EVP_DigestVerifyInit(ctx, NULL, EVP_sha384(), NULL, key) != 1 ||
        EVP_DigestVerifyUpdate(ctx, context, sizeof context) != 1 ||
        !update_bstr(ctx, &doc->protected_header) || !update_bstr(ctx, &no_aad) ||
        !update_bstr(ctx, &doc->payload))
        rc = fail_openssl(BPTEE_ECRYPTO, "nitro: signature digest");
    else if (EVP_DigestVerifyFinal(ctx, der, (size_t)der_len) != 1)
        rc = fail_openssl(BPTEE_EVERIFY, "nitro: COSE_Sign1 signature does not verify with the "
                                         "leaf key");
    EVP_MD_CTX_free(ctx);
    OPENSSL_free(der);
    return rc;
}
