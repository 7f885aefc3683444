// SPDX-License-Identifier: Apache-2.0
/* TDREPORT_STRUCT (TDX module ABI, 1024 bytes): REPORTMACSTRUCT (256) || TEE_TCB_INFO (239,
 * padded to 256) || TDINFO (512). Read and written in one field order; reserved bytes are
 * written as zero. */
#include "tdx/internal.h"
#include "util/error.h"

static void read_mac_struct(struct cursor *c, struct bptee_tdx_tdreport *r)
{
    cursor_bytes(c, r->report_type, 4);
    cursor_skip(c, 12);
    cursor_bytes(c, r->cpusvn, 16);
    cursor_bytes(c, r->tee_tcb_info_hash, 48);
    cursor_bytes(c, r->tee_info_hash, 48);
    cursor_bytes(c, r->report_data, 64);
    cursor_skip(c, 32);
    cursor_bytes(c, r->mac, 32);
}

static void read_tee_tcb_info(struct cursor *c, struct bptee_tdx_tdreport *r)
{
    cursor_bytes(c, r->tcb_info_valid, 8);
    cursor_bytes(c, r->tee_tcb_svn, 16);
    cursor_bytes(c, r->mrseam, 48);
    cursor_bytes(c, r->mrsignerseam, 48);
    r->seam_attributes = cursor_le64(c);
    cursor_bytes(c, r->tee_tcb_svn2, 16);
    cursor_skip(c, 95 + 17);
}

static void read_td_info(struct cursor *c, struct bptee_tdx_tdreport *r)
{
    r->td_attributes = cursor_le64(c);
    r->xfam = cursor_le64(c);
    cursor_bytes(c, r->mrtd, 48);
    cursor_bytes(c, r->mrconfigid, 48);
    cursor_bytes(c, r->mrowner, 48);
    cursor_bytes(c, r->mrownerconfig, 48);
    for (int i = 0; i < 4; i++)
        cursor_bytes(c, r->rtmr[i], 48);
    cursor_bytes(c, r->servtd_hash, 48);
    cursor_skip(c, 64);
}

int bptee_tdx_tdreport_parse(const uint8_t *buf, size_t len, struct bptee_tdx_tdreport *out)
{
    if (!buf || !out)
        return fail(BPTEE_EINVAL, "tdx: TDREPORT parse: missing argument");
    if (len != BPTEE_TDX_TDREPORT_SIZE)
        return fail(BPTEE_EPARSE, "tdx: TDREPORT is %zu bytes, not %d", len,
                    BPTEE_TDX_TDREPORT_SIZE);
    struct bptee_tdx_tdreport r;
    memset(&r, 0, sizeof r);
    struct cursor c = cursor_init(buf, len);
    read_mac_struct(&c, &r);
    read_tee_tcb_info(&c, &r);
    read_td_info(&c, &r);
    if (c.bad || c.left != 0)
        return fail(BPTEE_EPARSE, "tdx: TDREPORT layout mismatch");
    if (r.report_type[0] != BPTEE_TDX_TEE_TYPE)
        return fail(BPTEE_EPARSE, "tdx: TDREPORT type 0x%02x is not TDX (0x81)",
                    r.report_type[0]);
    *out = r;
    return 0;
}

static void write_all(struct writer *w, const struct bptee_tdx_tdreport *r)
{
    static const uint8_t zero[112];
    put_bytes(w, r->report_type, 4);
    put_bytes(w, zero, 12);
    put_bytes(w, r->cpusvn, 16);
    put_bytes(w, r->tee_tcb_info_hash, 48);
    put_bytes(w, r->tee_info_hash, 48);
    put_bytes(w, r->report_data, 64);
    put_bytes(w, zero, 32);
    put_bytes(w, r->mac, 32);
    put_bytes(w, r->tcb_info_valid, 8);
    put_bytes(w, r->tee_tcb_svn, 16);
    put_bytes(w, r->mrseam, 48);
    put_bytes(w, r->mrsignerseam, 48);
    put_le64(w, r->seam_attributes);
    put_bytes(w, r->tee_tcb_svn2, 16);
    put_bytes(w, zero, 95 + 17);
    put_le64(w, r->td_attributes);
    put_le64(w, r->xfam);
    put_bytes(w, r->mrtd, 48);
    put_bytes(w, r->mrconfigid, 48);
    put_bytes(w, r->mrowner, 48);
    put_bytes(w, r->mrownerconfig, 48);
    for (int i = 0; i < 4; i++)
        put_bytes(w, r->rtmr[i], 48);
    put_bytes(w, r->servtd_hash, 48);
    put_bytes(w, zero, 64);
}

int bptee_tdx_tdreport_serialize(const struct bptee_tdx_tdreport *r, uint8_t *out,
                                 size_t out_len)
{
    if (!r || !out)
        return fail(BPTEE_EINVAL, "tdx: TDREPORT serialize: missing argument");
    if (out_len < BPTEE_TDX_TDREPORT_SIZE)
        return fail(BPTEE_EINVAL, "tdx: TDREPORT needs %d bytes, the buffer has %zu",
                    BPTEE_TDX_TDREPORT_SIZE, out_len);
    struct writer w = {.p = out, .left = BPTEE_TDX_TDREPORT_SIZE};
    write_all(&w, r);
    if (w.bad || w.left != 0)
        return fail(BPTEE_EINVAL, "tdx: TDREPORT layout mismatch");
    return 0;
}
