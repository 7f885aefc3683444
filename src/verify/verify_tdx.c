// SPDX-License-Identifier: Apache-2.0
/* Intel TDX evidence: the quote verified by the tdx module against Intel's root (or a root the
 * policy's "tdx" section trusts), with the caller's collateral, then held to that section. */
#include "verify/internal.h"

int verify_tdx(const struct bptee_report *ev, const struct bptee_verify_opts *o,
               const struct bptee_policy *p, struct bptee_report **out)
{
    /* Trusted roots and simulation come from the policy inside bptee_tdx_verify_evidence. */
    BPTEE_OPTS(bptee_tdx_verify_opts, to, .at = o->at, .pck_chain = o->chain,
               .pck_chain_len = o->chain_len, .collateral = o->tdx_collateral,
               .collateral_at = o->tdx_collateral_at);
    return bptee_tdx_verify_evidence(ev, &to, p->tdx, out);
}
