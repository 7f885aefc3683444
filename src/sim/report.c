// SPDX-License-Identifier: Apache-2.0
/* Simulated ATTESTATION_REPORTs: every field filled as firmware fills it for a Milan guest,
 * serialized in the exact layout and signed as the PSP signs (ECDSA P-384 with SHA-384 over
 * bytes 0x000..0x29F, R and S stored as 72-byte little-endian integers). */
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <string.h>

#include "sim/sim_private.h"
#include "util/error.h"

#define SIG_LE_SIZE 72

static void fill_report(const struct bptee_sim *sim, const uint8_t *report_data, size_t rd_len,
                        uint32_t vmpl, struct bptee_snp_report *r)
{
    memset(r, 0, sizeof *r);
    r->version = sim->version;
    r->guest_svn = sim->guest_svn;
    r->policy = sim->policy;
    memcpy(r->family_id, sim->family_id, sizeof r->family_id);
    memcpy(r->image_id, sim->image_id, sizeof r->image_id);
    r->vmpl = vmpl;
    r->signature_algo = 1;
    r->current_tcb = r->reported_tcb = r->committed_tcb = r->launch_tcb = sim->tcb;
    r->platform_info = SIM_PLATFORM_INFO;
    r->signer_info = BPTEE_SNP_KEY_VCEK << 2;
    if (rd_len)
        memcpy(r->report_data, report_data, rd_len);
    memcpy(r->measurement, sim->measurement, sizeof r->measurement);
    memcpy(r->host_data, sim->host_data, sizeof r->host_data);
    memcpy(r->report_id, sim->report_id, sizeof r->report_id);
    memset(r->report_id_ma, 0xff, sizeof r->report_id_ma); /* no migration agent */
    if (sim->version >= 3) {
        r->cpuid_fam_id = SIM_CPUID_FAMILY;
        r->cpuid_mod_id = SIM_CPUID_MODEL;
        r->cpuid_step = SIM_CPUID_STEPPING;
    }
    memcpy(r->chip_id, sim->chip_id, sizeof r->chip_id);
    r->current_major = r->committed_major = SIM_FW_MAJOR;
    r->current_minor = r->committed_minor = SIM_FW_MINOR;
    r->current_build = r->committed_build = SIM_FW_BUILD;
}

/* ECDSA over the signed region; the DER signature's R and S go into the report LE-padded. */
static int sign_report(EVP_PKEY *key, uint8_t *report)
{
    unsigned char der[160];
    size_t der_len = sizeof der;
    EVP_MD_CTX *m = EVP_MD_CTX_new();
    int ok = m && EVP_DigestSignInit(m, NULL, EVP_sha384(), NULL, key) == 1 &&
             EVP_DigestSign(m, der, &der_len, report, BPTEE_SNP_SIGNED_SIZE) == 1;
    EVP_MD_CTX_free(m);
    if (!ok)
        return fail_openssl(BPTEE_ECRYPTO, "sim: report signature");
    const unsigned char *p = der;
    ECDSA_SIG *sig = d2i_ECDSA_SIG(NULL, &p, (long)der_len);
    const BIGNUM *r = NULL, *s = NULL;
    if (sig)
        ECDSA_SIG_get0(sig, &r, &s);
    ok = sig && BN_bn2lebinpad(r, report + BPTEE_SNP_SIG_R_OFFSET, SIG_LE_SIZE) == SIG_LE_SIZE &&
         BN_bn2lebinpad(s, report + BPTEE_SNP_SIG_S_OFFSET, SIG_LE_SIZE) == SIG_LE_SIZE;
    ECDSA_SIG_free(sig);
    return ok ? 0 : fail_openssl(BPTEE_ECRYPTO, "sim: report signature encoding");
}

int bptee_sim_report(struct bptee_sim *sim, const uint8_t *report_data, size_t report_data_len,
                     uint32_t vmpl, uint8_t *out, size_t out_len)
{
    if (!sim || !out || (!report_data && report_data_len))
        return fail(BPTEE_EINVAL, "sim: report: missing argument");
    if (report_data_len > 64)
        return fail(BPTEE_EINVAL, "sim: report data is %zu bytes (at most 64)", report_data_len);
    if (vmpl > 3)
        return fail(BPTEE_EINVAL, "sim: VMPL %u is out of range (0 to 3)", vmpl);
    if (out_len < BPTEE_SNP_REPORT_SIZE)
        return fail(BPTEE_ELIMIT, "sim: report buffer of %zu bytes (need %d)", out_len,
                    BPTEE_SNP_REPORT_SIZE);
    struct bptee_snp_report r;
    fill_report(sim, report_data, report_data_len, vmpl, &r);
    int rc = bptee_snp_report_serialize(&r, out, out_len);
    if (rc < 0)
        return fail_prefix(rc, "sim");
    return sign_report(sim->vcek_key, out);
}
