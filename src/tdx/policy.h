/* SPDX-License-Identifier: Apache-2.0 */
/* The parsed "tdx" policy section (private to the tdx module). */
#ifndef BPTEE_TDX_POLICY_H
#define BPTEE_TDX_POLICY_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include <bptee/tdx.h>

/* The 48-byte registers a policy can pin, in the order of tdx_mr_names. */
enum tdx_mr {
    MR_MRTD,
    MR_RTMR0,
    MR_RTMR1,
    MR_RTMR2,
    MR_RTMR3,
    MR_MRCONFIGID,
    MR_MROWNER,
    MR_MROWNERCONFIG,
    MR_COUNT
};
extern const char *const tdx_mr_names[MR_COUNT];

struct tdx_values {
    bool set; /* absent: any value */
    uint8_t (*v)[48];
    size_t n;
};

enum tdx_rd_rule { TDX_RD_ANY, TDX_RD_EXACT, TDX_RD_X25519 };

struct bptee_tdx_policy {
    struct tdx_values mr[MR_COUNT];
    bool allow_debug;
    bool has_min_svn;
    uint8_t min_svn[16];
    bool has_statuses; /* explicit tcb_statuses: collateral becomes required */
    unsigned status_mask;
    bool require_collateral;
    enum tdx_rd_rule rd_rule;
    uint8_t report_data[64];
    uint8_t nonce[32], public_key[32];
    bool allow_simulation;
    uint8_t (*trusted_roots)[32];
    size_t n_trusted_roots;
};

/* policy.c. tdx_policy_from_json reads the "tdx" object of a policy file (the verify module's
 * entry point for that section); errors name the key path, unknown keys are errors. */
int tdx_policy_from_json(const json_t *obj, struct bptee_tdx_policy **out);
void tdx_policy_init(struct bptee_tdx_policy *p);
void tdx_policy_release(struct bptee_tdx_policy *p);

#endif
