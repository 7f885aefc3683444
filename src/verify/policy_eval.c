// SPDX-License-Identifier: Apache-2.0
/* Applying the "sev_snp" section to a report whose signature and chain have verified. */
#include <stdlib.h>
#include <string.h>

#include "util/codec.h"
#include "util/error.h"
#include "verify/policy.h"

static int check_measurement(const struct snp_policy *p, const struct bptee_snp_report *r)
{
    if (!p->has_measurements)
        return 0;
    for (size_t i = 0; i < p->n_measurements; i++)
        if (!memcmp(p->measurements[i], r->measurement, 48))
            return 0;
    char *hex = hex_encode(r->measurement, 48);
    int rc = fail(BPTEE_EPOLICY, "policy: sev_snp: measurement %s is not in measurements",
                  hex ? hex : "?");
    free(hex);
    return rc;
}

static int check_tcb(const struct snp_policy *p, const struct bptee_snp_verified *v)
{
    const struct bptee_snp_tcb *t = &v->reported_tcb;
    const int have[TCB_PARTS] = {t->bootloader, t->tee, t->snp, t->microcode, t->fmc};
    for (int i = 0; i < TCB_PARTS; i++) {
        /* Only Turin and later have an FMC; the minimum does not apply to older parts. */
        if (i == TCB_FMC && v->product != BPTEE_SNP_PRODUCT_TURIN)
            continue;
        if (p->min_tcb[i] >= 0 && have[i] < p->min_tcb[i])
            return fail(BPTEE_EPOLICY, "policy: sev_snp: REPORTED_TCB %s %d is below min_tcb.%s %d",
                        policy_tcb_names[i], have[i], policy_tcb_names[i], p->min_tcb[i]);
    }
    return 0;
}

static int check_firmware(const struct snp_policy *p, const struct bptee_snp_report *r)
{
    if (!p->has_min_fw)
        return 0;
    uint32_t have = (uint32_t)r->current_major << 16 | (uint32_t)r->current_minor << 8 |
                    r->current_build;
    uint32_t want = (uint32_t)p->min_fw[0] << 16 | (uint32_t)p->min_fw[1] << 8 | p->min_fw[2];
    if (have < want)
        return fail(BPTEE_EPOLICY, "policy: sev_snp: firmware %u.%u.%u is below min_firmware %u.%u.%u",
                    r->current_major, r->current_minor, r->current_build, p->min_fw[0],
                    p->min_fw[1], p->min_fw[2]);
    return 0;
}

/* REPORT_DATA binds the report to the verifier's challenge; a mismatch is a binding failure.
 * `what` names where the 64 bytes came from (Azure binds through the TPM quote instead). */
int policy_report_data_check(const struct snp_policy *p, const uint8_t rd[64], const char *what)
{
    uint8_t want[64];
    if (p->rd_rule == RD_ANY)
        return 0;
    if (p->rd_rule == RD_EXACT) {
        if (memcmp(p->report_data, rd, 64) != 0)
            return fail(BPTEE_EVERIFY, "%s does not match the policy's report_data", what);
        return 0;
    }
    uint8_t msg[64];
    memcpy(msg, p->nonce, 32);
    memcpy(msg + 32, p->public_key, 32);
    sha512(msg, sizeof msg, want);
    if (memcmp(want, rd, 64) != 0)
        return fail(BPTEE_EVERIFY, "%s is not SHA-512(nonce || public_key) of the policy's "
                                   "x25519_binding",
                    what);
    return 0;
}

int policy_snp_check(const struct snp_policy *p, const struct bptee_snp_verified *v)
{
    const struct bptee_snp_report *r = &v->report;
    int rc;
    if (!(p->signing_keys & (1u << v->signing_key)))
        return fail(BPTEE_EPOLICY, "policy: sev_snp: signing key %s is not in signing_keys",
                    v->signing_key == BPTEE_SNP_KEY_VLEK ? "vlek" : "vcek");
    if ((r->policy & BPTEE_SNP_POLICY_DEBUG) && !p->allow_debug)
        return fail(BPTEE_EPOLICY, "policy: sev_snp: guest POLICY.DEBUG is set (allow_debug is "
                                   "false)");
    if ((rc = check_measurement(p, r)) < 0)
        return rc;
    if (p->has_vmpls && (r->vmpl > 3 || !(p->vmpl_mask & (1u << r->vmpl))))
        return fail(BPTEE_EPOLICY, "policy: sev_snp: VMPL %u is not in vmpls", r->vmpl);
    if ((rc = check_tcb(p, v)) < 0 || (rc = check_firmware(p, r)) < 0)
        return rc;
    return policy_report_data_check(p, r->report_data, "snp: REPORT_DATA");
}
