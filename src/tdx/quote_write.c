// SPDX-License-Identifier: Apache-2.0
/* Writing a quote in the exact DCAP layout (the simulator's quotes, round-trip tests). The
 * certification data types are always 6 wrapping 5: the only form bptee reads. */
#include <stdint.h>
#include <stdlib.h>

#include "tdx/internal.h"
#include "util/error.h"

static int check_shape(const struct bptee_tdx_quote *q, size_t *body_size)
{
    if (q->version != 4 && q->version != 5)
        return fail(BPTEE_EINVAL, "tdx: serialize: quote version %u (4 or 5)", q->version);
    int type = q->version == 4 ? BPTEE_TDX_BODY_TD10 : q->body_type;
    if (type != BPTEE_TDX_BODY_TD10 && type != BPTEE_TDX_BODY_TD15)
        return fail(BPTEE_EINVAL, "tdx: serialize: body type %u (2 or 3)", q->body_type);
    *body_size = type == BPTEE_TDX_BODY_TD10 ? BPTEE_TDX_BODY_TD10_SIZE : BPTEE_TDX_BODY_TD15_SIZE;
    if (q->qe_auth_data_len > UINT16_MAX || (q->qe_auth_data_len && !q->qe_auth_data))
        return fail(BPTEE_EINVAL, "tdx: serialize: QE auth data of %zu bytes", q->qe_auth_data_len);
    if (!q->pck_chain || q->pck_chain_len == 0 || q->pck_chain_len > BPTEE_TDX_QUOTE_MAX)
        return fail(BPTEE_EINVAL, "tdx: serialize: PCK chain of %zu bytes", q->pck_chain_len);
    return 0;
}

int bptee_tdx_quote_serialize(struct bptee_tdx_quote *q, uint8_t **out, size_t *out_len)
{
    if (!q || !out || !out_len)
        return fail(BPTEE_EINVAL, "tdx: serialize: missing argument");
    size_t body_size = 0;
    int rc = check_shape(q, &body_size);
    if (rc < 0)
        return rc;
    int type = q->version == 4 ? BPTEE_TDX_BODY_TD10 : q->body_type;
    size_t signed_len = BPTEE_TDX_HEADER_SIZE + (q->version == 5 ? 6 : 0) + body_size;
    size_t cert_len = BPTEE_TDX_SGX_REPORT_SIZE + 64 + 2 + q->qe_auth_data_len + 6 +
                      q->pck_chain_len;
    size_t sig_len = 64 + 64 + 6 + cert_len;
    size_t total = signed_len + 4 + sig_len;
    uint8_t *buf = malloc(total);
    if (!buf)
        return fail(BPTEE_ENOMEM, "tdx: out of memory");
    struct writer w = {.p = buf, .left = total};
    put_le16(&w, q->version);
    put_le16(&w, q->att_key_type);
    put_le32(&w, q->tee_type);
    put_le16(&w, q->reserved1);
    put_le16(&w, q->reserved2);
    put_bytes(&w, q->qe_vendor_id, 16);
    put_bytes(&w, q->user_data, 20);
    if (q->version == 5) {
        put_le16(&w, (uint16_t)type);
        put_le32(&w, (uint32_t)body_size);
    }
    tdx_body_write(&w, type, &q->body);
    put_le32(&w, (uint32_t)sig_len);
    put_bytes(&w, q->signature, 64);
    put_bytes(&w, q->attest_key, 64);
    put_le16(&w, BPTEE_TDX_CERT_DATA_QE_REPORT);
    put_le32(&w, (uint32_t)cert_len);
    tdx_sgx_report_write(&w, &q->qe_report);
    put_bytes(&w, q->qe_report_signature, 64);
    put_le16(&w, (uint16_t)q->qe_auth_data_len);
    put_bytes(&w, q->qe_auth_data, q->qe_auth_data_len);
    put_le16(&w, BPTEE_TDX_CERT_DATA_PCK_CHAIN);
    put_le32(&w, (uint32_t)q->pck_chain_len);
    put_bytes(&w, q->pck_chain, q->pck_chain_len);
    if (w.bad || w.left != 0) {
        free(buf);
        return fail(BPTEE_EINVAL, "tdx: serialize: internal size mismatch");
    }
    q->body_type = (uint16_t)type;
    q->cert_data_type = BPTEE_TDX_CERT_DATA_QE_REPORT;
    q->inner_cert_data_type = BPTEE_TDX_CERT_DATA_PCK_CHAIN;
    q->signed_len = signed_len;
    q->quote_len = total;
    q->trailing_len = 0;
    *out = buf;
    *out_len = total;
    return 0;
}
