// SPDX-License-Identifier: Apache-2.0
/* TPM2 quotes (TPM 2.0 Part 2: TPMS_ATTEST with TPMS_QUOTE_INFO, big-endian), signed
 * RSASSA-PKCS1-v1_5 SHA-256 by the attestation key, and the container Azure's tooling writes
 * them in. Read through a bounds-checked cursor; nothing may follow the quote info. */
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <string.h>

#include <bptee/azure.h>

#include "azure/internal.h"
#include "util/bytes.h"
#include "util/codec.h"
#include "util/error.h"

#define TPM_GENERATED 0xff544347u
#define TPM_ST_ATTEST_QUOTE 0x8018u
#define TPM_ALG_SHA256 0x000bu

struct be {
    const uint8_t *p;
    size_t left;
};

static bool take(struct be *c, size_t n, const uint8_t **out)
{
    if (c->left < n)
        return false;
    if (out)
        *out = c->p;
    c->p += n;
    c->left -= n;
    return true;
}

static bool be_u(struct be *c, size_t n, uint64_t *v)
{
    const uint8_t *p;
    if (!take(c, n, &p))
        return false;
    *v = 0;
    for (size_t i = 0; i < n; i++)
        *v = *v << 8 | p[i];
    return true;
}

static bool tpm2b(struct be *c, const uint8_t **data, uint64_t *len)
{
    return be_u(c, 2, len) && take(c, (size_t)*len, data);
}

static int le_len(const uint8_t *b, size_t len, size_t *off, size_t max, size_t *out)
{
    if (len - *off < 8)
        return fail(BPTEE_EPARSE, "tpm: quote container truncated");
    uint64_t v = load_le64(b + *off);
    *off += 8;
    if (v > max || v > len - *off)
        return fail(BPTEE_EPARSE, "tpm: quote container length %llu out of range",
                    (unsigned long long)v);
    *out = (size_t)v;
    return 0;
}

int bptee_tpm_quote_parse(const uint8_t *b, size_t len, struct bptee_tpm_quote *q)
{
    size_t off = 0, n = 0;
    if (!b || !q)
        return fail(BPTEE_EINVAL, "tpm: missing argument");
    memset(q, 0, sizeof *q);
    int rc = le_len(b, len, &off, BPTEE_TPM_QUOTE_MAX, &q->sig_len);
    q->sig = b + off;
    if (rc == 0) {
        off += q->sig_len;
        rc = le_len(b, len, &off, BPTEE_TPM_QUOTE_MAX, &q->attest_len);
    }
    q->attest = b + off;
    if (rc == 0) {
        off += q->attest_len;
        rc = le_len(b, len, &off, (size_t)BPTEE_TPM_PCRS * 32, &n);
    }
    if (rc == 0 && (n > BPTEE_TPM_PCRS || n * 32 != len - off))
        rc = fail(BPTEE_EPARSE, "tpm: the container's %zu PCR values do not fill its end", n);
    q->pcrs = b + off;
    q->n_pcrs = n;
    return rc;
}

struct quote_info {
    const uint8_t *extra;
    uint64_t extra_len;
    uint32_t sha256_mask; /* PCRs selected in the SHA-256 bank */
    const uint8_t *digest;
    uint64_t digest_len;
};

static int attest_parse(const uint8_t *a, size_t len, struct quote_info *qi)
{
    struct be c = {a, len};
    uint64_t magic, type, count, skip;
    const uint8_t *unused;
    memset(qi, 0, sizeof *qi);
    if (!be_u(&c, 4, &magic) || magic != TPM_GENERATED || !be_u(&c, 2, &type) ||
        type != TPM_ST_ATTEST_QUOTE)
        return fail(BPTEE_EPARSE, "tpm: not a TPM-generated quote (TPMS_ATTEST magic and type)");
    if (!tpm2b(&c, &unused, &skip) || !tpm2b(&c, &qi->extra, &qi->extra_len) ||
        !take(&c, 17 + 8, NULL) || !be_u(&c, 4, &count) || count == 0 || count > 4)
        return fail(BPTEE_EPARSE, "tpm: TPMS_ATTEST truncated or malformed");
    for (uint64_t i = 0; i < count; i++) {
        uint64_t alg, size;
        const uint8_t *sel;
        if (!be_u(&c, 2, &alg) || !be_u(&c, 1, &size) || size > 4 || !take(&c, size, &sel))
            return fail(BPTEE_EPARSE, "tpm: PCR selection malformed");
        for (uint64_t k = 0; k < size && alg == TPM_ALG_SHA256; k++)
            qi->sha256_mask |= (uint32_t)sel[k] << (8 * k);
        if (alg != TPM_ALG_SHA256 && size)
            qi->sha256_mask |= 1u << 31; /* another bank: the digest cannot be recomputed here */
    }
    if (!tpm2b(&c, &qi->digest, &qi->digest_len) || c.left != 0)
        return fail(BPTEE_EPARSE, "tpm: pcrDigest missing or bytes after the quote info");
    return 0;
}

/* DER SubjectPublicKeyInfo, or PEM (told apart up front: a failed OpenSSL 3 decode costs as
 * much as a successful one). */
EVP_PKEY *azure_ak_read(const uint8_t *ak, size_t len)
{
    if (len > 10 && !memcmp(ak, "-----BEGIN", 10)) {
        BIO *b = BIO_new_mem_buf(ak, (int)len);
        EVP_PKEY *k = b ? PEM_read_bio_PUBKEY(b, NULL, NULL, NULL) : NULL;
        BIO_free(b);
        return k;
    }
    const unsigned char *p = ak;
    EVP_PKEY *k = d2i_PUBKEY(NULL, &p, (long)len);
    if (k && p != ak + len) {
        EVP_PKEY_free(k);
        k = NULL;
    }
    return k;
}

static int pcr_digest(const struct bptee_tpm_quote *q, const struct quote_info *qi)
{
    if (qi->sha256_mask >> 31 || qi->digest_len != 32)
        return fail(BPTEE_EVERIFY, "tpm: the quote's PCR selection is not SHA-256 only");
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    uint8_t d[32];
    int ok = ctx && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) == 1;
    for (size_t i = 0; ok && i < BPTEE_TPM_PCRS; i++) {
        if (!(qi->sha256_mask & (1u << i)))
            continue;
        ok = i < q->n_pcrs && EVP_DigestUpdate(ctx, q->pcrs + 32 * i, 32) == 1;
    }
    ok = ok && EVP_DigestFinal_ex(ctx, d, NULL) == 1;
    EVP_MD_CTX_free(ctx);
    if (!ok)
        return fail(BPTEE_EVERIFY, "tpm: a selected PCR value is missing");
    return memcmp(d, qi->digest, 32) ? fail(BPTEE_EVERIFY, "tpm: pcrDigest does not match the "
                                                           "PCR values")
                                     : 0;
}

int bptee_tpm_quote_extra_data(const struct bptee_tpm_quote *q, const uint8_t **extra,
                               size_t *extra_len)
{
    struct quote_info qi;
    if (!q || !q->attest || !extra || !extra_len)
        return fail(BPTEE_EINVAL, "tpm: missing argument");
    int rc = attest_parse(q->attest, q->attest_len, &qi);
    if (rc < 0)
        return rc;
    *extra = qi.extra;
    *extra_len = (size_t)qi.extra_len;
    return 0;
}

int bptee_tpm_quote_verify(const struct bptee_tpm_quote *q, const uint8_t *ak, size_t ak_len,
                           const uint8_t *nonce, size_t nonce_len)
{
    if (!q || !q->attest || !q->sig || !ak || (nonce_len && !nonce))
        return fail(BPTEE_EINVAL, "tpm: missing argument");
    EVP_PKEY *k = azure_ak_read(ak, ak_len);
    int rc = azure_quote_verify_key(q, k, nonce, nonce_len);
    EVP_PKEY_free(k);
    return rc;
}

int azure_quote_verify_key(const struct bptee_tpm_quote *q, EVP_PKEY *k, const uint8_t *nonce,
                           size_t nonce_len)
{
    struct quote_info qi;
    if (!q || !q->attest || !q->sig || (nonce_len && !nonce))
        return fail(BPTEE_EINVAL, "tpm: missing argument");
    if (!k || EVP_PKEY_get_base_id(k) != EVP_PKEY_RSA)
        return fail_openssl(BPTEE_EPARSE, "tpm: the AK is not an RSA public key");
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    int rc = 0;
    if (!ctx || EVP_DigestVerifyInit(ctx, NULL, EVP_sha256(), NULL, k) != 1)
        rc = fail_openssl(BPTEE_ECRYPTO, "tpm: verifier");
    else if (EVP_DigestVerify(ctx, q->sig, q->sig_len, q->attest, q->attest_len) != 1)
        rc = fail_openssl(BPTEE_EVERIFY, "tpm: quote signature does not verify with the AK");
    EVP_MD_CTX_free(ctx);
    if (rc == 0)
        rc = attest_parse(q->attest, q->attest_len, &qi);
    if (rc == 0 && (qi.extra_len != nonce_len || (nonce_len && memcmp(qi.extra, nonce, nonce_len))))
        rc = fail(BPTEE_EVERIFY, "tpm: the quote's extraData is not the nonce");
    if (rc == 0 && q->pcrs)
        rc = pcr_digest(q, &qi);
    return rc;
}
