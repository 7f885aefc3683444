// SPDX-License-Identifier: Apache-2.0
/* TDX quote verification with the PCK chain cached, against its physical floor: the two bare
 * OpenSSL P-256 ECDSA verifies every quote needs (QE report by the PCK key, quote by the
 * attestation key), over the same bytes with the same keys, in the same run. Real vector
 * (phala, v4) at its verification time, 2026-02-03. */
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bptee.h>

#include "bench/bench.h"

#define AT_2026_02_03 1770076800
#define ROUNDS 3 /* alternate the two loops and keep each one's best, to damp noise */

struct fixture {
    uint8_t *quote;
    size_t quote_len;
    struct bptee_tdx_quote q;
    EVP_PKEY *pck, *ak;
    uint8_t qe_sig[80], sig[80];
    size_t qe_sig_len, sig_len;
};

static void die(const char *what)
{
    fprintf(stderr, "bench: %s: %s\n", what, bptee_last_error());
    exit(1);
}

static size_t der_sig(const uint8_t rs[64], uint8_t *out)
{
    ECDSA_SIG *sig = ECDSA_SIG_new();
    BIGNUM *r = BN_bin2bn(rs, 32, NULL), *s = BN_bin2bn(rs + 32, 32, NULL);
    if (!sig || !r || !s || !ECDSA_SIG_set0(sig, r, s))
        die("signature");
    unsigned char *p = out;
    size_t n = (size_t)i2d_ECDSA_SIG(sig, &p);
    ECDSA_SIG_free(sig);
    return n;
}

static EVP_PKEY *raw_key(const uint8_t xy[64])
{
    uint8_t sec1[65] = {0x04};
    char group[] = "prime256v1";
    memcpy(sec1 + 1, xy, 64);
    OSSL_PARAM params[] = {
        OSSL_PARAM_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, group, 0),
        OSSL_PARAM_octet_string(OSSL_PKEY_PARAM_PUB_KEY, sec1, sizeof sec1),
        OSSL_PARAM_END,
    };
    EVP_PKEY *k = NULL;
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
    if (!ctx || EVP_PKEY_fromdata_init(ctx) != 1 ||
        EVP_PKEY_fromdata(ctx, &k, EVP_PKEY_PUBLIC_KEY, params) != 1)
        die("attestation key");
    EVP_PKEY_CTX_free(ctx);
    return k;
}

/* The floor's inputs: both keys and both signatures as DER. */
static void bare_inputs(struct fixture *f)
{
    if (bptee_tdx_quote_parse(f->quote, f->quote_len, &f->q) < 0)
        die("quote");
    BIO *b = BIO_new_mem_buf(f->q.pck_chain, (int)f->q.pck_chain_len);
    X509 *leaf = b ? PEM_read_bio_X509(b, NULL, NULL, NULL) : NULL;
    if (!leaf || !(f->pck = X509_get_pubkey(leaf)))
        die("PCK certificate");
    X509_free(leaf);
    BIO_free(b);
    f->ak = raw_key(f->q.attest_key);
    f->qe_sig_len = der_sig(f->q.qe_report_signature, f->qe_sig);
    f->sig_len = der_sig(f->q.signature, f->sig);
}

static int verify_tdx(const struct fixture *f)
{
    BPTEE_OPTS(bptee_tdx_verify_opts, o, .at = AT_2026_02_03);
    struct bptee_tdx_verified v;
    return bptee_tdx_verify(f->quote, f->quote_len, &o, &v);
}

static int verify_one(EVP_PKEY *k, const uint8_t *sig, size_t sig_len, const uint8_t *msg,
                      size_t len)
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    int ok = ctx && EVP_DigestVerifyInit(ctx, NULL, EVP_sha256(), NULL, k) == 1 &&
             EVP_DigestVerify(ctx, sig, sig_len, msg, len) == 1;
    EVP_MD_CTX_free(ctx);
    return ok ? 0 : -1;
}

static int verify_bare_x2(const struct fixture *f)
{
    /* The QE report is the 384 bytes after the signature data's keys and type/size words. */
    const uint8_t *qe = f->quote + f->q.signed_len + 4 + 128 + 6;
    if (verify_one(f->pck, f->qe_sig, f->qe_sig_len, qe, BPTEE_TDX_SGX_REPORT_SIZE) < 0)
        return -1;
    return verify_one(f->ak, f->sig, f->sig_len, f->quote, f->q.signed_len);
}

int main(void)
{
    const char *vectors = secure_getenv("BPTEE_VECTORS") ? secure_getenv("BPTEE_VECTORS") : "../shared/vectors";
    char path[1024];
    snprintf(path, sizeof path, "%s/tdx/quote-v4-phala.dat", vectors);
    struct fixture f = {0};
    if (bptee_read_file(path, 1u << 20, &f.quote, &f.quote_len) < 0)
        die(path);
    bare_inputs(&f);
    if (verify_tdx(&f) != 0 || verify_bare_x2(&f) != 0)
        die("the vector does not verify");
    double best_tdx = 0, best_bare = 0, r;
    for (int i = 0; i < ROUNDS; i++) {
        BENCH_RATE(r, verify_tdx(&f));
        best_tdx = r > best_tdx ? r : best_tdx;
        BENCH_RATE(r, verify_bare_x2(&f));
        best_bare = r > best_bare ? r : best_bare;
    }
    printf("tdx_verify_cached: %.0f /s\n", best_tdx);
    printf("p256_verify_x2_bare: %.0f /s\n", best_bare);
    printf("tdx_verify_vs_2xp256: %.2f ratio\n", best_tdx / best_bare);
    EVP_PKEY_free(f.pck);
    EVP_PKEY_free(f.ak);
    bptee_free(f.quote);
    return 0;
}
