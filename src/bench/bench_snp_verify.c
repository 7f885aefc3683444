// SPDX-License-Identifier: Apache-2.0
/* SEV-SNP report verification with the certificate chain cached, against its physical floor:
 * a bare OpenSSL P-384 ECDSA verify of the same bytes with the same key in the same run. Real
 * vector (trustee Milan v2) at the vector's verification time, 2026-01-01. */
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bptee.h>

#include "bench/bench.h"

#define AT_2026_01_01 1767225600
#define ROUNDS 3 /* alternate the two loops and keep each one's best, to damp noise */

struct fixture {
    uint8_t *report, *vcek, *chain;
    size_t report_len, vcek_len, chain_len;
    EVP_PKEY *pkey;
    uint8_t sig[128];
    size_t sig_len;
};

static uint8_t *load(const char *dir, const char *name, size_t *len)
{
    char path[1024];
    uint8_t *data = NULL;
    snprintf(path, sizeof path, "%s/%s", dir, name);
    if (bptee_read_file(path, 1u << 20, &data, len) < 0) {
        fprintf(stderr, "bench: %s\n", bptee_last_error());
        exit(1);
    }
    return data;
}

/* The floor's inputs: the VCEK's key and the report signature as DER. */
static void bare_inputs(struct fixture *f)
{
    const unsigned char *p = f->vcek;
    X509 *x = d2i_X509(NULL, &p, (long)f->vcek_len);
    ECDSA_SIG *sig = ECDSA_SIG_new();
    BIGNUM *r = BN_lebin2bn(f->report + BPTEE_SNP_SIG_R_OFFSET, 72, NULL);
    BIGNUM *s = BN_lebin2bn(f->report + BPTEE_SNP_SIG_S_OFFSET, 72, NULL);
    if (!x || !sig || !r || !s || !ECDSA_SIG_set0(sig, r, s) || !(f->pkey = X509_get_pubkey(x))) {
        fprintf(stderr, "bench: cannot prepare the bare verify\n");
        exit(1);
    }
    unsigned char *out = f->sig;
    f->sig_len = (size_t)i2d_ECDSA_SIG(sig, &out);
    ECDSA_SIG_free(sig);
    X509_free(x);
}

static int verify_snp(const struct fixture *f)
{
    BPTEE_OPTS(bptee_snp_verify_opts, o, .at = AT_2026_01_01, .vcek = f->vcek,
               .vcek_len = f->vcek_len, .chain = f->chain, .chain_len = f->chain_len);
    struct bptee_snp_verified v;
    return bptee_snp_verify(f->report, f->report_len, &o, &v);
}

static int verify_bare(const struct fixture *f)
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    int ok = ctx && EVP_DigestVerifyInit(ctx, NULL, EVP_sha384(), NULL, f->pkey) == 1 &&
             EVP_DigestVerify(ctx, f->sig, f->sig_len, f->report, BPTEE_SNP_SIGNED_SIZE) == 1;
    EVP_MD_CTX_free(ctx);
    return ok ? 0 : -1;
}

int main(void)
{
    const char *vectors = secure_getenv("BPTEE_VECTORS") ? secure_getenv("BPTEE_VECTORS") : "../shared/vectors";
    char dir[900], roots[900];
    snprintf(dir, sizeof dir, "%s/sev-snp/trustee-milan-v2", vectors);
    snprintf(roots, sizeof roots, "%s/amd-roots", vectors);
    struct fixture f = {0};
    f.report = load(dir, "report.bin", &f.report_len);
    f.vcek = load(dir, "vcek.der", &f.vcek_len);
    f.chain = load(roots, "ask_ark_milan.pem", &f.chain_len);
    bare_inputs(&f);
    if (verify_snp(&f) != 0) { /* also fills the chain cache */
        fprintf(stderr, "bench: the vector does not verify: %s\n", bptee_last_error());
        return 1;
    }
    double cached = 0, bare = 0;
    for (int i = 0; i < ROUNDS; i++) {
        double a, b;
        BENCH_RATE(a, verify_snp(&f));
        BENCH_RATE(b, verify_bare(&f));
        cached = a > cached ? a : cached;
        bare = b > bare ? b : bare;
    }
    printf("snp_verify_cached: %.0f /s\n", cached);
    printf("p384_verify_bare: %.0f /s\n", bare);
    printf("snp_verify_vs_p384: %.3f ratio\n", cached / bare);
    EVP_PKEY_free(f.pkey);
    bptee_free(f.report);
    bptee_free(f.vcek);
    bptee_free(f.chain);
    return 0;
}
