// SPDX-License-Identifier: Apache-2.0
/* The TD QE identity (enclaveIdentity v2, id TD_QE): the QE report must come from Intel's TD
 * quoting enclave (MRSIGNER, ISVPRODID, MISCSELECT and ATTRIBUTES under their masks), and its
 * ISVSVN picks the QE's TCB level: the first level whose isvsvn it reaches. */
#include "tdx/internal.h"
#include "util/error.h"

#define WHAT "QE identity"

static int check_enclave(const json_t *body, const struct bptee_tdx_sgx_report *qe)
{
    uint8_t signer[32], misc[4], misc_mask[4], attr[16], attr_mask[16];
    int64_t prodid = 0;
    int rc = cj_hex(body, "mrsigner", WHAT, signer, 32);
    if (rc == 0)
        rc = cj_int(body, "isvprodid", WHAT, 65535, &prodid);
    if (rc == 0)
        rc = cj_hex(body, "miscselect", WHAT, misc, 4);
    if (rc == 0)
        rc = cj_hex(body, "miscselectMask", WHAT, misc_mask, 4);
    if (rc == 0)
        rc = cj_hex(body, "attributes", WHAT, attr, 16);
    if (rc == 0)
        rc = cj_hex(body, "attributesMask", WHAT, attr_mask, 16);
    if (rc < 0)
        return rc;
    if (memcmp(signer, qe->mrsigner, 32) != 0)
        return fail(BPTEE_EVERIFY, "tdx: QE report MRSIGNER is not the QE identity's");
    if (prodid != qe->isvprodid)
        return fail(BPTEE_EVERIFY, "tdx: QE report ISVPRODID %u is not the QE identity's %lld",
                    qe->isvprodid, (long long)prodid);
    /* MISCSELECT is written as a big-endian hex number. */
    uint32_t want = (uint32_t)misc[0] << 24 | (uint32_t)misc[1] << 16 | (uint32_t)misc[2] << 8 |
                    misc[3];
    uint32_t mask = (uint32_t)misc_mask[0] << 24 | (uint32_t)misc_mask[1] << 16 |
                    (uint32_t)misc_mask[2] << 8 | misc_mask[3];
    if ((qe->miscselect & mask) != want)
        return fail(BPTEE_EVERIFY, "tdx: QE report MISCSELECT does not match the QE identity");
    for (int i = 0; i < 16; i++)
        if ((qe->attributes[i] & attr_mask[i]) != attr[i])
            return fail(BPTEE_EVERIFY, "tdx: QE report ATTRIBUTES do not match the QE identity");
    return 0;
}

static int qe_level(const json_t *body, const struct bptee_tdx_sgx_report *qe, int *status)
{
    int rc = tdx_isvsvn_level(body, WHAT, 65535, qe->isvsvn, status);
    if (rc != 0)
        return rc < 0 ? rc : 0;
    return fail(BPTEE_EVERIFY, "tdx: QE ISVSVN %u is below every level of the QE identity",
                qe->isvsvn);
}

int tdx_qe_identity_check(const json_t *body, const struct bptee_tdx_sgx_report *qe,
                          int64_t at, int *status)
{
    int rc = tdx_check_id_version(body, WHAT, "TD_QE", 2);
    if (rc == 0)
        rc = tdx_check_dates(body, WHAT, at);
    if (rc == 0)
        rc = check_enclave(body, qe);
    if (rc == 0)
        rc = qe_level(body, qe, status);
    return rc;
}
