// SPDX-License-Identifier: Apache-2.0
/* Provider azure-snp: evidence from an Azure confidential VM's vTPM (docs/azure.md). The HCL
 * report comes from the NV index the paravisor fills, the quote from the AK whose public half
 * the report's runtime data carries, over SHA-256 PCRs 0..23 with the caller's 64 bytes as
 * qualifying data (REPORT_DATA is the paravisor's binding of the runtime data, so the caller's
 * nonce or key binding travels in the quote). What is collected is verified against the report's
 * own AK before it is handed out: a mismatched AK or a torn PCR read is caught here, with its
 * reason, instead of at a remote verifier. */
#include <errno.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <bptee/azure.h>
#include <bptee/evidence.h>
#include <bptee/io.h>
#include <bptee/sim.h>

#include "guest/guest_private.h"
#include "guest/vtpm.h"
#include "util/error.h"

#define PCR_TRIES 3 /* a PCR extended between the quote and the read: quote again */

struct collected {
    uint8_t *hcl, *ak;
    size_t hcl_len, ak_len;
    struct vtpm_quote q;
    uint8_t pcrs[VTPM_PCRS][32];
};

static void collected_release(struct collected *c)
{
    free(c->hcl);
    free(c->ak);
    vtpm_quote_release(&c->q);
}

static int handle_arg(const char *env, uint32_t def, uint32_t *out)
{
    const char *s = secure_getenv(env);
    if (!s || !s[0]) {
        *out = def;
        return 0;
    }
    char *end = NULL;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 0);
    if (errno || *end || v == 0 || v > UINT32_MAX || s[0] == '-')
        return fail(BPTEE_EINVAL, "guest: %s: not a TPM handle: '%s'", env, s);
    *out = (uint32_t)v;
    return 0;
}

int guest_resolve_azure(const struct bptee_guest_opts *o, struct guest_cfg *g)
{
    if (o->provider != BPTEE_EVIDENCE_PROVIDER_AZURE_SNP)
        return 0; /* another provider's run never fails over these settings */
    g->tpm_tcti = guest_pick(o->tpm_tcti, BPTEE_GUEST_ENV_TPM_TCTI, BPTEE_GUEST_DEFAULT_TPM_TCTI);
    g->azure_certs = guest_pick(o->azure_certs, BPTEE_GUEST_ENV_AZURE_CERTS, NULL);
    g->azure_nv_index = o->azure_nv_index;
    g->azure_ak_handle = o->azure_ak_handle;
    int rc = 0;
    if (!g->azure_nv_index)
        rc = handle_arg(BPTEE_GUEST_ENV_AZURE_NV_INDEX, BPTEE_GUEST_AZURE_NV_INDEX,
                        &g->azure_nv_index);
    if (rc == 0 && !g->azure_ak_handle)
        rc = handle_arg(BPTEE_GUEST_ENV_AZURE_AK_HANDLE, BPTEE_GUEST_AZURE_AK_HANDLE,
                        &g->azure_ak_handle);
    return rc;
}

int guest_select_azure(const struct guest_cfg *g, bool need_device, int *source)
{
    struct stat st;
    if (need_device)
        return fail(BPTEE_EUNSUPPORTED, "guest: provider azure-snp has no derived keys (the "
                                        "paravisor keeps /dev/sev-guest from the guest)");
    /* "device:PATH" names a node that must exist; a bare "device" leaves the choice to
     * tpm2-tss, and other TCTIs (swtpm, mssim) fail when opened if nothing answers. */
    const char *t = g->tpm_tcti, *dev = NULL;
    if (!strncmp(t, "device:", 7) && t[7])
        dev = t + 7;
    if (dev && stat(dev, &st) < 0)
        return fail(BPTEE_ENOTFOUND,
                    "guest: no vTPM at %s (set --tcti or %s; provider azure-snp never "
                    "simulates)",
                    dev, BPTEE_GUEST_ENV_TPM_TCTI);
    *source = BPTEE_GUEST_SOURCE_VTPM;
    return 0;
}

/* The TPM's AK must be the runtime data's, or no verifier would take its quotes. */
static int check_ak(const struct collected *c, EVP_PKEY *tpm_ak, uint32_t handle)
{
    const unsigned char *p = c->ak;
    EVP_PKEY *hcl_ak = d2i_PUBKEY(NULL, &p, (long)c->ak_len);
    int same = hcl_ak && EVP_PKEY_eq(hcl_ak, tpm_ak) == 1;
    EVP_PKEY_free(hcl_ak);
    return same ? 0
                : fail(BPTEE_EVERIFY, "guest: the AK at persistent handle 0x%08x is not the HCL "
                                      "report's HCLAkPub: its quotes would not verify",
                       handle);
}

static int read_hcl(const struct guest_cfg *g, struct vtpm *v, struct collected *c)
{
    struct bptee_azure_hcl h;
    int rc = vtpm_nv_read(v, g->azure_nv_index, &c->hcl, &c->hcl_len);
    if (rc < 0)
        return fail_prefix(rc, "guest: no HCL report (NV index 0x%08x)", g->azure_nv_index);
    rc = bptee_azure_hcl_parse(c->hcl, c->hcl_len, &h);
    if (rc < 0)
        return fail_prefix(rc, "guest: the HCL report in NV index 0x%08x", g->azure_nv_index);
    if (h.report_type != BPTEE_AZURE_REPORT_SNP)
        return fail(BPTEE_EUNSUPPORTED, "guest: the HCL report holds a TDREPORT (a TDX CVM): "
                                        "provider azure-snp collects SEV-SNP evidence only");
    return bptee_azure_hcl_ak(&h, &c->ak, &c->ak_len);
}

static struct bptee_tpm_quote as_quote(const struct collected *c, bool with_pcrs)
{
    return (struct bptee_tpm_quote){.attest = c->q.attest,
                                    .attest_len = c->q.attest_len,
                                    .sig = c->q.sig,
                                    .sig_len = c->q.sig_len,
                                    .pcrs = with_pcrs ? c->pcrs[0] : NULL,
                                    .n_pcrs = with_pcrs ? VTPM_PCRS : 0};
}

/* Quote, read the PCRs, and check both with the report's AK; quote again if a PCR moved. */
static int quote_pcrs(struct vtpm *v, ESYS_TR ak, const uint8_t rd[64], struct collected *c)
{
    int rc = 0;
    for (int attempt = 1; attempt <= PCR_TRIES; attempt++) {
        vtpm_quote_release(&c->q);
        struct bptee_tpm_quote bare, full;
        rc = vtpm_quote(v, ak, rd, 64, &c->q);
        if (rc == 0)
            rc = vtpm_pcrs(v, c->pcrs);
        if (rc < 0)
            return rc;
        bare = as_quote(c, false);
        if ((rc = bptee_tpm_quote_verify(&bare, c->ak, c->ak_len, rd, 64)) < 0)
            return fail_prefix(rc, "guest: the vTPM's quote");
        full = as_quote(c, true);
        if ((rc = bptee_tpm_quote_verify(&full, c->ak, c->ak_len, rd, 64)) == 0)
            return 0;
    }
    return fail_prefix(rc, "guest: the PCRs kept changing while quoted (%d tries)", PCR_TRIES);
}

static int collect(const struct guest_cfg *g, const uint8_t rd[64], struct collected *c)
{
    struct vtpm v;
    ESYS_TR ak = ESYS_TR_NONE;
    EVP_PKEY *tpm_ak = NULL;
    int rc = vtpm_open(&v, g->tpm_tcti);
    if (rc < 0)
        return rc;
    rc = read_hcl(g, &v, c);
    if (rc == 0)
        rc = vtpm_key(&v, g->azure_ak_handle, &ak, &tpm_ak);
    if (rc == 0)
        rc = check_ak(c, tpm_ak, g->azure_ak_handle);
    if (rc == 0)
        rc = quote_pcrs(&v, ak, rd, c);
    EVP_PKEY_free(tpm_ak);
    vtpm_close(&v);
    return rc;
}

/* The VCEK, ASK and ARK to carry: PEM in that order (Azure's THIM endpoint serves the VCEK
 * and then the chain), or a GHCB certificate table. */
static int add_certs(const char *path, struct bptee_report *rep, int *simulated)
{
    uint8_t *data = NULL;
    size_t len = 0;
    int rc = bptee_read_file(path, 1u << 20, &data, &len);
    if (rc < 0)
        return fail_prefix(rc, "guest: azure certificates");
    if (len < 10 || memcmp(data, "-----BEGIN", 10)) {
        rc = guest_add_certtable(rep, data, len, simulated);
        free(data);
        return rc < 0 ? fail_prefix(rc, "guest: azure certificates %s", path) : 0;
    }
    static const char *const kinds[] = {"vcek", "ask", "ark"};
    BIO *b = BIO_new_mem_buf(data, (int)len);
    size_t n = 0;
    X509 *x;
    while (rc == 0 && b && (x = PEM_read_bio_X509(b, NULL, NULL, NULL))) {
        unsigned char *der = NULL;
        int der_len = i2d_X509(x, &der);
        X509_free(x);
        if (n >= 3 || der_len <= 0)
            rc = fail(BPTEE_EPARSE, "guest: %s: expected the VCEK, ASK and ARK (3 PEM "
                                    "certificates)",
                      path);
        else if ((rc = bptee_report_add_certificate(rep, kinds[n++], der, (size_t)der_len)) == 0)
            *simulated |= bptee_sim_cert_is_simulated(der, (size_t)der_len);
        OPENSSL_free(der);
    }
    BIO_free(b);
    free(data);
    if (rc == 0 && n == 0)
        rc = fail(BPTEE_EPARSE, "guest: %s: no PEM certificate", path);
    return rc;
}

static int build(const struct guest_cfg *g, const struct collected *c, struct bptee_report *rep)
{
    struct bptee_snp_report snp;
    struct bptee_azure_evidence ev = {.hcl = c->hcl, .hcl_len = c->hcl_len,
                                      .quote = as_quote(c, true)};
    uint8_t *bytes = NULL;
    size_t len = 0;
    int simulated = 0;
    int rc = bptee_snp_report_parse(c->hcl + BPTEE_AZURE_HCL_HW_OFFSET, BPTEE_AZURE_HCL_HW_SIZE,
                                    &snp);
    if (rc == 0)
        rc = bptee_azure_evidence_serialize(&ev, &bytes, &len);
    if (rc == 0)
        rc = bptee_report_set_provider(rep, BPTEE_PROVIDER_AZURE_SNP);
    if (rc == 0)
        rc = bptee_report_set_format(rep, BPTEE_FORMAT_SEV_SNP_REPORT);
    if (rc == 0)
        rc = bptee_report_set_issued_at(rep, (uint64_t)time(NULL));
    if (rc == 0)
        rc = guest_snp_claims(rep, &snp);
    if (rc == 0)
        rc = bptee_report_set_evidence(rep, bytes, len);
    if (rc == 0 && g->azure_certs)
        rc = add_certs(g->azure_certs, rep, &simulated);
    if (rc == 0)
        rc = bptee_report_set_simulated(rep, simulated);
    free(bytes);
    return rc;
}

int guest_azure_attest(const struct guest_cfg *g, const uint8_t rd[64], struct bptee_report **out)
{
    struct collected c = {0};
    struct bptee_report *rep = NULL;
    int rc = collect(g, rd, &c);
    if (rc == 0)
        rc = bptee_report_new(&rep);
    if (rc == 0)
        rc = build(g, &c, rep);
    collected_release(&c);
    if (rc < 0) {
        bptee_report_free(rep);
        return rc;
    }
    *out = rep;
    return 0;
}
