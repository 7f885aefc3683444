// SPDX-License-Identifier: Apache-2.0
/* The TD quote body (TD 1.0: 584 bytes; TD 1.5: 648, with TEE_TCB_SVN2 and MRSERVICETD) and
 * the SGX REPORT BODY that the QE report is, read through a cursor and written through a
 * writer in the same field order, so parse and serialize cannot drift apart. */
#include "tdx/internal.h"

const uint8_t tdx_intel_qe_vendor_id[16] = {0x93, 0x9a, 0x72, 0x33, 0xf7, 0x9c, 0x4c, 0xa9,
                                            0x94, 0x0a, 0x0d, 0xb3, 0x95, 0x7f, 0x06, 0x07};

void tdx_body_read(struct cursor *c, int body_type, struct bptee_tdx_body *b)
{
    memset(b, 0, sizeof *b);
    cursor_bytes(c, b->tee_tcb_svn, 16);
    cursor_bytes(c, b->mrseam, 48);
    cursor_bytes(c, b->mrsignerseam, 48);
    b->seam_attributes = cursor_le64(c);
    b->td_attributes = cursor_le64(c);
    b->xfam = cursor_le64(c);
    cursor_bytes(c, b->mrtd, 48);
    cursor_bytes(c, b->mrconfigid, 48);
    cursor_bytes(c, b->mrowner, 48);
    cursor_bytes(c, b->mrownerconfig, 48);
    for (int i = 0; i < 4; i++)
        cursor_bytes(c, b->rtmr[i], 48);
    cursor_bytes(c, b->report_data, 64);
    if (body_type == BPTEE_TDX_BODY_TD15) {
        cursor_bytes(c, b->tee_tcb_svn2, 16);
        cursor_bytes(c, b->mrservicetd, 48);
    }
}

void tdx_body_write(struct writer *w, int body_type, const struct bptee_tdx_body *b)
{
    put_bytes(w, b->tee_tcb_svn, 16);
    put_bytes(w, b->mrseam, 48);
    put_bytes(w, b->mrsignerseam, 48);
    put_le64(w, b->seam_attributes);
    put_le64(w, b->td_attributes);
    put_le64(w, b->xfam);
    put_bytes(w, b->mrtd, 48);
    put_bytes(w, b->mrconfigid, 48);
    put_bytes(w, b->mrowner, 48);
    put_bytes(w, b->mrownerconfig, 48);
    for (int i = 0; i < 4; i++)
        put_bytes(w, b->rtmr[i], 48);
    put_bytes(w, b->report_data, 64);
    if (body_type == BPTEE_TDX_BODY_TD15) {
        put_bytes(w, b->tee_tcb_svn2, 16);
        put_bytes(w, b->mrservicetd, 48);
    }
}

void tdx_sgx_report_read(struct cursor *c, struct bptee_tdx_sgx_report *r)
{
    memset(r, 0, sizeof *r);
    cursor_bytes(c, r->cpusvn, 16);
    r->miscselect = cursor_le32(c);
    cursor_bytes(c, r->reserved1, sizeof r->reserved1);
    cursor_bytes(c, r->attributes, 16);
    cursor_bytes(c, r->mrenclave, 32);
    cursor_bytes(c, r->reserved2, sizeof r->reserved2);
    cursor_bytes(c, r->mrsigner, 32);
    cursor_bytes(c, r->reserved3, sizeof r->reserved3);
    r->isvprodid = cursor_le16(c);
    r->isvsvn = cursor_le16(c);
    cursor_bytes(c, r->reserved4, sizeof r->reserved4);
    cursor_bytes(c, r->report_data, 64);
}

void tdx_sgx_report_write(struct writer *w, const struct bptee_tdx_sgx_report *r)
{
    put_bytes(w, r->cpusvn, 16);
    put_le32(w, r->miscselect);
    put_bytes(w, r->reserved1, sizeof r->reserved1);
    put_bytes(w, r->attributes, 16);
    put_bytes(w, r->mrenclave, 32);
    put_bytes(w, r->reserved2, sizeof r->reserved2);
    put_bytes(w, r->mrsigner, 32);
    put_bytes(w, r->reserved3, sizeof r->reserved3);
    put_le16(w, r->isvprodid);
    put_le16(w, r->isvsvn);
    put_bytes(w, r->reserved4, sizeof r->reserved4);
    put_bytes(w, r->report_data, 64);
}
