// SPDX-License-Identifier: Apache-2.0
/* The report signature: ECDSA P-384 with SHA-384 over report[0:0x2A0]. The firmware stores R
 * and S as 72-byte little-endian integers; OpenSSL wants a DER ECDSA-Sig-Value. */
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/err.h>

#include "snp/internal.h"
#include "util/error.h"

#define SIG_INT_LEN 72
#define DER_SIG_MAX 128

/* DER-encode (R, S); *der_len 0 when the integers are out of range for any signature. */
static int der_signature(const uint8_t *report, uint8_t *der, size_t *der_len)
{
    BIGNUM *r = BN_lebin2bn(report + BPTEE_SNP_SIG_R_OFFSET, SIG_INT_LEN, NULL);
    BIGNUM *s = BN_lebin2bn(report + BPTEE_SNP_SIG_S_OFFSET, SIG_INT_LEN, NULL);
    ECDSA_SIG *sig = ECDSA_SIG_new();
    if (!r || !s || !sig) {
        BN_free(r);
        BN_free(s);
        ECDSA_SIG_free(sig);
        return fail_openssl(BPTEE_ENOMEM, "snp: signature");
    }
    ECDSA_SIG_set0(sig, r, s); /* sig owns r and s now */
    int n = i2d_ECDSA_SIG(sig, NULL);
    *der_len = 0;
    if (n > 0 && n <= DER_SIG_MAX) {
        unsigned char *p = der;
        *der_len = (size_t)i2d_ECDSA_SIG(sig, &p);
    }
    ECDSA_SIG_free(sig);
    return 0;
}

int snp_signature_verify(EVP_PKEY *pkey, const uint8_t *report)
{
    uint8_t der[DER_SIG_MAX];
    size_t der_len = 0;
    int rc = der_signature(report, der, &der_len);
    if (rc < 0)
        return rc;
    if (der_len == 0)
        return fail(BPTEE_EVERIFY, "snp: report signature does not verify (R or S out of range)");
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    if (!ctx)
        return fail(BPTEE_ENOMEM, "snp: out of memory");
    int ok = EVP_DigestVerifyInit(ctx, NULL, EVP_sha384(), NULL, pkey) == 1 &&
             EVP_DigestVerify(ctx, der, der_len, report, BPTEE_SNP_SIGNED_SIZE) == 1;
    EVP_MD_CTX_free(ctx);
    ERR_clear_error();
    if (!ok)
        return fail(BPTEE_EVERIFY, "snp: report signature does not verify with the VCEK");
    return 0;
}
