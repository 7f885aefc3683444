// SPDX-License-Identifier: Apache-2.0
/* Azure vTPM evidence without the hardware report's own check (benchmarked by
 * bench_snp_verify): HCL report parse and runtime-data binding, AK extraction from the runtime
 * JSON, and a TPM2 quote verified with nonce and PCR digest, against its floor: one bare
 * OpenSSL RSA-2048 PKCS#1 v1.5 SHA-256 verify of the same quote. Real vectors (the archived
 * quote is signed by akpub.pem, not by the HCL report's AK, so that key verifies it here). */
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <stdlib.h>

#include <bptee.h>

#include "bench/bench.h"

#define ROUNDS 3

struct fixture {
    uint8_t *hcl, *quote, *ak;
    size_t hcl_len, quote_len, ak_len;
    struct bptee_tpm_quote q;
    EVP_PKEY *pkey;
};

static uint8_t *load(const char *vectors, const char *rel, size_t *len)
{
    char path[1024];
    uint8_t *data = NULL;
    snprintf(path, sizeof path, "%s/azure-cvm/%s", vectors, rel);
    if (bptee_read_file(path, 1u << 20, &data, len) < 0) {
        fprintf(stderr, "bench: %s\n", bptee_last_error());
        exit(1);
    }
    return data;
}

static int verify_azure(const struct fixture *f)
{
    struct bptee_azure_hcl h;
    uint8_t *spki = NULL;
    size_t spki_len = 0;
    int rc = bptee_azure_hcl_parse(f->hcl, f->hcl_len, &h);
    if (rc == 0)
        rc = bptee_azure_hcl_ak(&h, &spki, &spki_len);
    bptee_free(spki);
    if (rc == 0)
        rc = bptee_tpm_quote_verify(&f->q, f->ak, f->ak_len, (const uint8_t *)"challenge", 9);
    return rc;
}

static int verify_bare(const struct fixture *f)
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    int ok = ctx && EVP_DigestVerifyInit(ctx, NULL, EVP_sha256(), NULL, f->pkey) == 1 &&
             EVP_DigestVerify(ctx, f->q.sig, f->q.sig_len, f->q.attest, f->q.attest_len) == 1;
    EVP_MD_CTX_free(ctx);
    return ok ? 0 : -1;
}

int main(void)
{
    const char *vectors = secure_getenv("BPTEE_VECTORS") ? secure_getenv("BPTEE_VECTORS") : "../shared/vectors";
    struct fixture f = {0};
    f.hcl = load(vectors, "hcl-report-snp.bin", &f.hcl_len);
    f.quote = load(vectors, "quote.bin", &f.quote_len);
    f.ak = load(vectors, "akpub.pem", &f.ak_len);
    BIO *b = BIO_new_mem_buf(f.ak, (int)f.ak_len);
    f.pkey = b ? PEM_read_bio_PUBKEY(b, NULL, NULL, NULL) : NULL;
    BIO_free(b);
    if (!f.pkey || bptee_tpm_quote_parse(f.quote, f.quote_len, &f.q) < 0 ||
        verify_azure(&f) != 0 || verify_bare(&f) != 0) {
        fprintf(stderr, "bench: the vectors do not verify: %s\n", bptee_last_error());
        return 1;
    }
    double az, bare;
    BENCH_PAIR(ROUNDS, az, verify_azure(&f), bare, verify_bare(&f));
    printf("azure_hcl_ak_quote: %.0f /s\n", az);
    printf("rsa2048_quote_verify_bare: %.0f /s\n", bare);
    printf("azure_hcl_quote_vs_rsa2048: %.3f ratio\n", az / bare);
    EVP_PKEY_free(f.pkey);
    bptee_free(f.hcl);
    bptee_free(f.quote);
    bptee_free(f.ak);
    return 0;
}
