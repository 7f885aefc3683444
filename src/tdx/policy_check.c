// SPDX-License-Identifier: Apache-2.0
/* Applying the "tdx" section to a quote whose signatures and chain have verified. Checks run in
 * a fixed order (simulation, debug, registers, TEE_TCB_SVN, TCB status, report data) so the
 * reason names the first rule broken. */
#include <stdlib.h>

#include "tdx/internal.h"
#include "tdx/policy.h"
#include "util/codec.h"
#include "util/error.h"

static const uint8_t *register_of(const struct bptee_tdx_body *b, int mr)
{
    switch (mr) {
    case MR_MRTD: return b->mrtd;
    case MR_RTMR0: return b->rtmr[0];
    case MR_RTMR1: return b->rtmr[1];
    case MR_RTMR2: return b->rtmr[2];
    case MR_RTMR3: return b->rtmr[3];
    case MR_MRCONFIGID: return b->mrconfigid;
    case MR_MROWNER: return b->mrowner;
    default: return b->mrownerconfig;
    }
}

static int check_registers(const struct bptee_tdx_policy *p, const struct bptee_tdx_body *b)
{
    for (int mr = 0; mr < MR_COUNT; mr++) {
        const struct tdx_values *want = &p->mr[mr];
        const uint8_t *have = register_of(b, mr);
        bool ok = !want->set;
        for (size_t i = 0; i < want->n && !ok; i++)
            ok = !memcmp(want->v[i], have, 48);
        if (ok)
            continue;
        char *hex = hex_encode(have, 48);
        int rc = fail(BPTEE_EPOLICY, "policy: tdx: %s %s is not in tdx.%s", tdx_mr_names[mr],
                      hex ? hex : "?", tdx_mr_names[mr]);
        free(hex);
        return rc;
    }
    return 0;
}

static int check_simulation(const struct bptee_tdx_policy *p, const struct bptee_tdx_verified *v)
{
    if (!v->simulated || p->allow_simulation)
        return 0;
    for (size_t i = 0; i < p->n_trusted_roots; i++)
        if (!memcmp(p->trusted_roots[i], v->root_sha256, 32))
            return 0;
    return fail(BPTEE_EPOLICY, "policy: tdx: simulated evidence (policy does not allow "
                               "simulation)");
}

static int check_tcb(const struct bptee_tdx_policy *p, const struct bptee_tdx_verified *v)
{
    const uint8_t *svn = v->quote.body.tee_tcb_svn;
    for (int i = 0; p->has_min_svn && i < 16; i++)
        if (svn[i] < p->min_svn[i])
            return fail(BPTEE_EPOLICY, "policy: tdx: TEE_TCB_SVN[%d] %u is below "
                                       "tdx.min_tee_tcb_svn %u",
                        i, svn[i], p->min_svn[i]);
    if (v->tcb_status == BPTEE_TDX_TCB_NOT_EVALUATED) {
        if (p->has_statuses || p->require_collateral)
            return fail(BPTEE_EPOLICY, "policy: tdx: the TCB status was not evaluated (no "
                                       "collateral) but the policy requires it");
        return 0;
    }
    if (v->tcb_status < 0 || v->tcb_status >= BPTEE_TDX_TCB_STATUS_COUNT ||
        !(p->status_mask & (1u << v->tcb_status)))
        return fail(BPTEE_EPOLICY, "policy: tdx: TCB status %s is not accepted%s",
                    bptee_tdx_tcb_status_name(v->tcb_status) ? bptee_tdx_tcb_status_name(v->tcb_status) : "?",
                    p->has_statuses ? " (tdx.tcb_statuses)" : " by default (set tdx.tcb_statuses)");
    return 0;
}

/* REPORTDATA binds the quote to the verifier's challenge; a mismatch is a binding failure. */
static int check_report_data(const struct bptee_tdx_policy *p, const uint8_t rd[64])
{
    if (p->rd_rule == TDX_RD_EXACT && memcmp(p->report_data, rd, 64) != 0)
        return fail(BPTEE_EVERIFY, "tdx: REPORTDATA does not match the policy's report_data");
    if (p->rd_rule != TDX_RD_X25519)
        return 0;
    uint8_t msg[64], want[64];
    memcpy(msg, p->nonce, 32);
    memcpy(msg + 32, p->public_key, 32);
    sha512(msg, sizeof msg, want);
    if (memcmp(want, rd, 64) != 0)
        return fail(BPTEE_EVERIFY, "tdx: REPORTDATA is not SHA-512(nonce || public_key) of the "
                                   "policy's x25519_binding");
    return 0;
}

int bptee_tdx_policy_check(const struct bptee_tdx_policy *p, const struct bptee_tdx_verified *v)
{
    struct bptee_tdx_policy def;
    if (!v)
        return fail(BPTEE_EINVAL, "policy: tdx: missing argument");
    if (!p) {
        tdx_policy_init(&def);
        p = &def;
    }
    const struct bptee_tdx_body *b = &v->quote.body;
    int rc = check_simulation(p, v);
    if (rc == 0 && (b->td_attributes & BPTEE_TDX_ATTR_DEBUG) && !p->allow_debug)
        rc = fail(BPTEE_EPOLICY, "policy: tdx: TD_ATTRIBUTES.DEBUG is set: debug mode TDs are "
                                 "not permitted (allow_debug is false)");
    if (rc == 0)
        rc = check_registers(p, b);
    if (rc == 0)
        rc = check_tcb(p, v);
    if (rc == 0)
        rc = check_report_data(p, b->report_data);
    return rc;
}
