// SPDX-License-Identifier: Apache-2.0
/* SEV-SNP report verification against its physical floors, measured in the same run:
 * - with the certificate chain cached: a bare OpenSSL P-384 ECDSA verify of the same bytes with
 *   the same key;
 * - cold (every cache cleared before each call, as for a fresh `bptee verify` process or a new
 *   platform): that verify plus the chain's three RSA-4096 PSS verifies (VCEK by the ASK, ASK
 *   by the ARK, the ARK's own), each a bare OpenSSL verify of the certificate's signed bytes.
 * Real vector (trustee Milan v2) at the vector's verification time, 2026-01-01. */
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bptee.h>

#include "bench/bench.h"
#include "bench/bench_certs.h"

#define AT_2026_01_01 1767225600
#define ROUNDS 5 /* alternating rounds; medians are reported */

struct fixture {
    uint8_t *report, *vcek, *chain;
    size_t report_len, vcek_len, chain_len;
    EVP_PKEY *pkey;
    uint8_t sig[128];
    size_t sig_len;
    struct cert_sig links[3]; /* VCEK by ASK, ASK by ARK, ARK by itself */
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

/* The chain floor's inputs: the three certificate signatures, prepared once. */
static void chain_inputs(struct fixture *f)
{
    const unsigned char *p = f->vcek;
    X509 *vcek = d2i_X509(NULL, &p, (long)f->vcek_len), *ask_ark[2] = {NULL, NULL};
    if (!vcek || cert_pem_read(f->chain, f->chain_len, ask_ark, 2) != 2)
        cert_sig_die("VCEK, ASK or ARK");
    cert_sig_prepare(vcek, ask_ark[0], EVP_sha384(), 48, &f->links[0]);
    cert_sig_prepare(ask_ark[0], ask_ark[1], EVP_sha384(), 48, &f->links[1]);
    cert_sig_prepare(ask_ark[1], ask_ark[1], EVP_sha384(), 48, &f->links[2]);
    X509_free(vcek);
    X509_free(ask_ark[0]);
    X509_free(ask_ark[1]);
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

static int verify_snp_cold(const struct fixture *f)
{
    bptee_snp_cache_clear();
    return verify_snp(f);
}

static int verify_bare_full_chain(const struct fixture *f)
{
    return cert_sigs_verify(f->links, 3) < 0 ? -1 : verify_bare(f);
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
    chain_inputs(&f);
    if (verify_snp(&f) != 0 || verify_bare_full_chain(&f) != 0) { /* also fills the cache */
        fprintf(stderr, "bench: the vector does not verify: %s\n", bptee_last_error());
        return 1;
    }
    struct bench_vs cached, cold;
    BENCH_VS(ROUNDS, cached, verify_snp(&f), verify_bare(&f));
    bench_vs_print("snp_verify_cached", "p384_verify_bare", "snp_verify_vs_p384", cached);
    BENCH_VS(ROUNDS, cold, verify_snp_cold(&f), verify_bare_full_chain(&f));
    bench_vs_print("snp_verify_cold", "p384_rsa4096x3_verify_bare", "snp_verify_cold_vs_chain",
                   cold);
    for (int i = 0; i < 3; i++)
        cert_sig_release(&f.links[i]);
    EVP_PKEY_free(f.pkey);
    bptee_free(f.report);
    bptee_free(f.vcek);
    bptee_free(f.chain);
    return 0;
}
