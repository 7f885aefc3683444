// SPDX-License-Identifier: Apache-2.0
/* libFuzzer target for TDX collateral: the input as each kind of collateral (TCB info and QE
 * identity JSON with the exact-bytes span search, PEM signing chain, DER/PEM CRLs), and every
 * TCB info / QE identity that parses evaluated against two fixed platforms (TEE_TCB_SVN[1] zero
 * and non-zero, so both index rules and the module identity path run). */
#include <stdlib.h>
#include <string.h>

#include <bptee.h>

#include "tdx/internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void evaluate(const struct bptee_tdx_collateral *c)
{
    static const uint8_t svns[2][16] = {{3, 0, 5}, {6, 1, 3}};
    struct bptee_tdx_quote q;
    struct bptee_tdx_pck_ext pck;
    struct bptee_tdx_verified v;
    memset(&q, 0, sizeof q);
    memset(&pck, 0, sizeof pck);
    memset(pck.comp_svn, 5, sizeof pck.comp_svn);
    pck.pcesvn = 11;
    memcpy(pck.fmspc, "\x50\x80\x6f\x00\x00\x00", 6);
    q.qe_report.isvsvn = 4;
    q.qe_report.isvprodid = 2;
    for (int i = 0; i < 2; i++) {
        memcpy(q.body.tee_tcb_svn, svns[i], 16);
        memset(&v, 0, sizeof v);
        (void)tdx_tcb_evaluate(c, &q, &pck, 1687251600 /* 2023-06-20 */, &v);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct bptee_tdx_collateral *c = NULL;
    if (bptee_tdx_collateral_new(&c) < 0)
        abort();
    int any = 0;
    for (int kind = BPTEE_TDX_COLL_TCB_INFO; kind <= BPTEE_TDX_COLL_PCK_CRL; kind++) {
        int ok = bptee_tdx_collateral_set(c, kind, data, size) == 0;
        any |= ok && kind <= BPTEE_TDX_COLL_QE_IDENTITY;
    }
    if (any)
        evaluate(c);
    bptee_tdx_collateral_free(c);
    return 0;
}
