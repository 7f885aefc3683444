// SPDX-License-Identifier: Apache-2.0
/* Azure vTPM evidence verified whole by bptee_verify_report (container, HCL binding, SEV-SNP
 * report with its chain cached, the sev_snp policy, AK, quote with nonce and PCR digest, the
 * key-binding rule on the qualifying data) against its floor: the two signatures it cannot
 * avoid, one bare P-384 verify of the report and one bare RSA-2048 verify of the quote, in the
 * same run. The evidence is simulated (the simulator's VCEK signs the HCL report, a fresh
 * RSA-2048 key plays the AK), built here as `bptee attest --provider azure-snp` writes it. */
#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bptee.h>

#include "bench/bench.h"

#define ROUNDS 3

struct fixture {
    struct bptee_report *ev;
    struct bptee_policy *policy;
    EVP_PKEY *vcek, *ak;
    uint8_t *hcl, attest[256], qsig[512], snp_sig[128], pcrs[24][32];
    size_t hcl_len, attest_len, qsig_len, snp_sig_len;
};

static void die(const char *what)
{
    fprintf(stderr, "bench: %s: %s\n", what, bptee_last_error());
    exit(1);
}

/* TPMS_ATTEST of a quote over SHA-256 PCRs 0..23 with 64 zero bytes of qualifying data. */
static void make_attest(struct fixture *f)
{
    static const uint8_t head[] = {0xff, 0x54, 0x43, 0x47, 0x80, 0x18, 0, 4, 'n', 'a', 'm', 'e',
                                   0,    64};
    static const uint8_t sel[] = {0, 0, 0, 1, 0, 0x0b, 3, 0xff, 0xff, 0xff, 0, 32};
    uint8_t *p = f->attest;
    memcpy(p, head, sizeof head);
    p += sizeof head;
    memset(p, 0, 64 + 17 + 8); /* qualifying data, clock info, firmware version */
    p += 64 + 17 + 8;
    memcpy(p, sel, sizeof sel);
    p += sizeof sel;
    for (int i = 0; i < 24; i++)
        memset(f->pcrs[i], i, 32);
    EVP_Digest(f->pcrs, sizeof f->pcrs, p, NULL, EVP_sha256(), NULL);
    f->attest_len = (size_t)(p + 32 - f->attest);
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    f->qsig_len = sizeof f->qsig;
    if (!ctx || EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL, f->ak) != 1 ||
        EVP_DigestSign(ctx, f->qsig, &f->qsig_len, f->attest, f->attest_len) != 1)
        die("quote signature");
    EVP_MD_CTX_free(ctx);
}

static void add_cert(struct fixture *f, struct bptee_sim *sim, int kind, const char *name)
{
    const uint8_t *der;
    size_t len;
    if (bptee_sim_cert(sim, kind, &der, &len) < 0 ||
        bptee_report_add_certificate(f->ev, name, der, len) < 0)
        die("certificate");
    if (kind == BPTEE_SNP_CERT_VCEK) {
        X509 *x = d2i_X509(NULL, &der, (long)len);
        f->vcek = x ? X509_get_pubkey(x) : NULL;
        X509_free(x);
    }
}

/* The floor's P-384 input: the report's (r, s), little-endian in the report, as DER. */
static void snp_signature(struct fixture *f)
{
    const uint8_t *r = f->hcl + BPTEE_AZURE_HCL_HW_OFFSET;
    ECDSA_SIG *sig = ECDSA_SIG_new();
    BIGNUM *bn_r = BN_lebin2bn(r + BPTEE_SNP_SIG_R_OFFSET, 72, NULL);
    BIGNUM *bn_s = BN_lebin2bn(r + BPTEE_SNP_SIG_S_OFFSET, 72, NULL);
    unsigned char *out = f->snp_sig;
    if (!sig || !bn_r || !bn_s || !ECDSA_SIG_set0(sig, bn_r, bn_s))
        die("report signature");
    f->snp_sig_len = (size_t)i2d_ECDSA_SIG(sig, &out);
    ECDSA_SIG_free(sig);
}

static void setup(struct fixture *f, const char *state)
{
    struct bptee_sim *sim = NULL;
    unsigned char *spki = NULL;
    uint8_t *bytes = NULL, fp[32];
    size_t len = 0;
    char policy[512], hex[65];
    f->ak = EVP_RSA_gen(2048);
    int n = f->ak ? i2d_PUBKEY(f->ak, &spki) : -1;
    if (n <= 0 || bptee_sim_open(state, NULL, &sim) < 0 ||
        bptee_sim_azure_hcl(sim, spki, (size_t)n, 0, &f->hcl, &f->hcl_len) < 0)
        die("simulated HCL report");
    OPENSSL_free(spki);
    make_attest(f);
    snp_signature(f);
    struct bptee_azure_evidence ev = {
        .hcl = f->hcl, .hcl_len = f->hcl_len,
        .quote = {f->attest, f->attest_len, f->qsig, f->qsig_len, f->pcrs[0], 24}};
    if (bptee_azure_evidence_serialize(&ev, &bytes, &len) < 0 || bptee_report_new(&f->ev) < 0 ||
        bptee_report_set_provider(f->ev, BPTEE_PROVIDER_AZURE_SNP) < 0 ||
        bptee_report_set_format(f->ev, BPTEE_FORMAT_SEV_SNP_REPORT) < 0 ||
        bptee_report_set_evidence(f->ev, bytes, len) < 0)
        die("evidence");
    bptee_free(bytes);
    add_cert(f, sim, BPTEE_SNP_CERT_VCEK, "vcek");
    add_cert(f, sim, BPTEE_SNP_CERT_ASK, "ask");
    add_cert(f, sim, BPTEE_SNP_CERT_ARK, "ark");
    bptee_sim_ark_fingerprint(sim, fp);
    bptee_sim_free(sim);
    for (int i = 0; i < 32; i++)
        snprintf(hex + 2 * i, 3, "%02x", fp[i]);
    snprintf(policy, sizeof policy,
             "{\"sev_snp\": {\"allow_simulation\": true, \"trusted_roots\": [\"%s\"], "
             "\"report_data\": \"%0128d\"}}",
             hex, 0);
    if (bptee_policy_parse(policy, strlen(policy), &f->policy) < 0)
        die("policy");
}

static int verify_chain(const struct fixture *f)
{
    BPTEE_OPTS(bptee_verify_opts, o, .policy = f->policy);
    struct bptee_report *out = NULL;
    int rc = bptee_verify_report(f->ev, &o, &out);
    bptee_report_free(out);
    return rc;
}

static int bare_one(EVP_PKEY *k, const EVP_MD *md, const uint8_t *sig, size_t sig_len,
                    const uint8_t *msg, size_t len)
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    int ok = ctx && EVP_DigestVerifyInit(ctx, NULL, md, NULL, k) == 1 &&
             EVP_DigestVerify(ctx, sig, sig_len, msg, len) == 1;
    EVP_MD_CTX_free(ctx);
    return ok ? 0 : -1;
}

static int verify_bare(const struct fixture *f)
{
    const uint8_t *report = f->hcl + BPTEE_AZURE_HCL_HW_OFFSET;
    int rc = bare_one(f->vcek, EVP_sha384(), f->snp_sig, f->snp_sig_len, report,
                      BPTEE_SNP_SIGNED_SIZE);
    return rc ? rc : bare_one(f->ak, EVP_sha256(), f->qsig, f->qsig_len, f->attest,
                              f->attest_len);
}

int main(void)
{
    /* The simulator's state is kept in the build directory: its chain is made once. */
    const char *build = secure_getenv("BPTEE_BUILD") ? secure_getenv("BPTEE_BUILD") : "build";
    char state[1024];
    snprintf(state, sizeof state, "%s/bench-azure-sim", build);
    struct fixture f = {0};
    setup(&f, state);
    if (verify_chain(&f) != 0 || verify_bare(&f) != 0) /* also fills the chain cache */
        die("the simulated Azure evidence does not verify");
    double chain, bare;
    BENCH_PAIR(ROUNDS, chain, verify_chain(&f), bare, verify_bare(&f));
    printf("azure_evidence_verify: %.0f /s\n", chain);
    printf("p384_plus_rsa2048_verify_bare: %.0f /s\n", bare);
    printf("azure_evidence_vs_signatures: %.3f ratio\n", chain / bare);
    bptee_report_free(f.ev);
    bptee_policy_free(f.policy);
    EVP_PKEY_free(f.vcek);
    EVP_PKEY_free(f.ak);
    bptee_free(f.hcl);
    return 0;
}
