// SPDX-License-Identifier: Apache-2.0
/* TDX quote verification against its physical floors, bare OpenSSL P-256 ECDSA verifies over
 * the same bytes with the same keys, in the same run:
 * - PCK chain cached: the two verifies every quote needs (QE report by the PCK key, quote by
 *   the attestation key);
 * - cold (every cache cleared before each call): those two plus the PCK chain's three (PCK by
 *   its CA, the CA by the root, the root's own);
 * - with Intel's collateral, once verified (TCB info, QE identity, CRLs; the TCB level is still
 *   evaluated on every call): the two quote verifies.
 * Real vectors at their verification time, 2026-02-03: phala (v4) alone; the SPR debug quote
 * with the SPR collateral, judged at the collateral's own date, 2023-06-20. */
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
#include "bench/bench_certs.h"

#define AT_2026_02_03 1770076800
#define AT_2023_06_20 1687251600
#define ROUNDS 5 /* alternating rounds; medians are reported */

struct fixture {
    uint8_t *quote;
    size_t quote_len;
    struct bptee_tdx_quote q;
    EVP_PKEY *pck, *ak;
    uint8_t qe_sig[80], sig[80];
    size_t qe_sig_len, sig_len;
    struct cert_sig links[3]; /* PCK by its CA, CA by the root, root by itself */
    struct bptee_tdx_collateral *collateral; /* NULL: the quote alone */
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

/* The floor's inputs: both keys and both signatures as DER, and the chain's signatures. */
static void bare_inputs(struct fixture *f)
{
    if (bptee_tdx_quote_parse(f->quote, f->quote_len, &f->q) < 0)
        die("quote");
    X509 *c[3] = {NULL, NULL, NULL};
    if (cert_pem_read(f->q.pck_chain, f->q.pck_chain_len, c, 3) != 3 ||
        !(f->pck = X509_get_pubkey(c[0])))
        die("PCK chain");
    for (int i = 0; i < 3; i++)
        cert_sig_prepare(c[i], c[i < 2 ? i + 1 : 2], EVP_sha256(), 0, &f->links[i]);
    for (int i = 0; i < 3; i++)
        X509_free(c[i]);
    f->ak = raw_key(f->q.attest_key);
    f->qe_sig_len = der_sig(f->q.qe_report_signature, f->qe_sig);
    f->sig_len = der_sig(f->q.signature, f->sig);
}

static int verify_tdx(const struct fixture *f)
{
    BPTEE_OPTS(bptee_tdx_verify_opts, o, .at = AT_2026_02_03, .collateral = f->collateral,
               .collateral_at = f->collateral ? AT_2023_06_20 : 0);
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

static int verify_tdx_cold(const struct fixture *f)
{
    bptee_tdx_cache_clear();
    return verify_tdx(f);
}

static int verify_bare_x5(const struct fixture *f)
{
    return cert_sigs_verify(f->links, 3) < 0 ? -1 : verify_bare_x2(f);
}

static void load_collateral(const char *vectors, struct fixture *f)
{
    static const char *const files[] = {
        [BPTEE_TDX_COLL_TCB_INFO] = "sample_tcbInfo_response",
        [BPTEE_TDX_COLL_QE_IDENTITY] = "sample_qeIdentity_response",
        [BPTEE_TDX_COLL_SIGNING_CHAIN] = "tcb_signing_chain.pem",
        [BPTEE_TDX_COLL_ROOT_CRL] = "rootcrl.der",
        [BPTEE_TDX_COLL_PCK_CRL] = "pckcrl",
    };
    char path[1024];
    if (bptee_tdx_collateral_new(&f->collateral) < 0)
        die("collateral");
    for (int kind = BPTEE_TDX_COLL_TCB_INFO; kind <= BPTEE_TDX_COLL_PCK_CRL; kind++) {
        snprintf(path, sizeof path, "%s/tdx/collateral/%s", vectors, files[kind]);
        if (bptee_tdx_collateral_load(f->collateral, kind, path) < 0)
            die(path);
    }
}

static void fixture_load(const char *vectors, const char *name, struct fixture *f)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/tdx/%s", vectors, name);
    if (bptee_read_file(path, 1u << 20, &f->quote, &f->quote_len) < 0)
        die(path);
    bare_inputs(f);
    if (verify_tdx(f) != 0 || verify_bare_x5(f) != 0)
        die("the vector does not verify");
}

static void fixture_release(struct fixture *f)
{
    for (int i = 0; i < 3; i++)
        cert_sig_release(&f->links[i]);
    EVP_PKEY_free(f->pck);
    EVP_PKEY_free(f->ak);
    bptee_tdx_collateral_free(f->collateral);
    bptee_free(f->quote);
}

int main(void)
{
    const char *vectors = secure_getenv("BPTEE_VECTORS") ? secure_getenv("BPTEE_VECTORS") : "../shared/vectors";
    struct fixture f = {0}, fc = {0};
    struct bench_vs cached, cold, coll;
    fixture_load(vectors, "quote-v4-phala.dat", &f);
    BENCH_VS(ROUNDS, cached, verify_tdx(&f), verify_bare_x2(&f));
    bench_vs_print("tdx_verify_cached", "p256_verify_x2_bare", "tdx_verify_vs_2xp256", cached);
    BENCH_VS(ROUNDS, cold, verify_tdx_cold(&f), verify_bare_x5(&f));
    bench_vs_print("tdx_verify_cold", "p256_verify_x5_bare", "tdx_verify_cold_vs_5xp256", cold);
    load_collateral(vectors, &fc);
    fixture_load(vectors, "quote-v4-spr-debug.dat", &fc); /* also verifies the collateral */
    BENCH_VS(ROUNDS, coll, verify_tdx(&fc), verify_bare_x2(&fc));
    bench_vs_print("tdx_verify_collateral", "p256_verify_x2_bare_spr",
                   "tdx_verify_collateral_vs_2xp256", coll);
    fixture_release(&f);
    fixture_release(&fc);
    return 0;
}
