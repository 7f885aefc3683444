// SPDX-License-Identifier: Apache-2.0
/* The endorsement key must be the one for this chip at this TCB: its SPL extensions equal the
 * report's REPORTED_TCB components and its hwID equals CHIP_ID. */
#include <string.h>

#include "snp/internal.h"
#include "util/bytes.h"
#include "util/error.h"

static int check_spl(const struct snp_leaf_info *li, int which, const char *name, int value)
{
    if (li->spl[which] < 0)
        return fail(BPTEE_EVERIFY, "snp: VCEK lacks the %s extension", name);
    if (li->spl[which] != value)
        return fail(BPTEE_EVERIFY, "snp: VCEK %s %d does not match REPORTED_TCB (%d)", name,
                    li->spl[which], value);
    return 0;
}

static int check_tcb(const struct snp_leaf_info *li, const struct bptee_snp_report *r,
                     int product)
{
    struct bptee_snp_tcb t;
    int rc = bptee_snp_tcb_decode(r->reported_tcb, product, &t);
    if (rc < 0)
        return rc;
    if ((rc = check_spl(li, SPL_BL, "blSPL", t.bootloader)) < 0 ||
        (rc = check_spl(li, SPL_TEE, "teeSPL", t.tee)) < 0 ||
        (rc = check_spl(li, SPL_SNP, "snpSPL", t.snp)) < 0 ||
        (rc = check_spl(li, SPL_UCODE, "ucodeSPL", t.microcode)) < 0)
        return rc;
    if (product == BPTEE_SNP_PRODUCT_TURIN)
        return check_spl(li, SPL_FMC, "fmcSPL", t.fmc);
    return 0;
}

static int check_hwid(const struct snp_leaf_info *li, const struct bptee_snp_report *r,
                      int product, int signing_key)
{
    if (signing_key == BPTEE_SNP_KEY_VLEK)
        return 0; /* a VLEK is per cloud provider, not per chip */
    /* A chip id masked by the platform (MASK_CHIP_ID) is all zero and cannot be bound; the
     * VCEK signature still ties the report to one chip. */
    if (all_zero(r->chip_id, sizeof r->chip_id))
        return 0;
    size_t want = product == BPTEE_SNP_PRODUCT_TURIN ? 8 : 64;
    if (li->hwid_len == 0)
        return fail(BPTEE_EVERIFY, "snp: VCEK lacks the hwID extension");
    if (li->hwid_len != want)
        return fail(BPTEE_EVERIFY, "snp: VCEK hwID is %zu bytes, %s uses %zu", li->hwid_len,
                    bptee_snp_product_name(product), want);
    if (memcmp(li->hwid, r->chip_id, want) != 0)
        return fail(BPTEE_EVERIFY, "snp: VCEK hwID does not match CHIP_ID");
    return 0;
}

int snp_leaf_check(const struct snp_leaf_info *li, const struct bptee_snp_report *r, int product,
                   int signing_key)
{
    int rc = check_tcb(li, r, product);
    return rc < 0 ? rc : check_hwid(li, r, product, signing_key);
}
