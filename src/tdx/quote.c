// SPDX-License-Identifier: Apache-2.0
/* Parsing a DCAP quote: header, (v5) body descriptor, TD body, then the ECDSA signature data
 * whose certification data (type 6) holds the QE report, its signature, the QE authentication
 * data and (type 5) the PEM PCK chain. Every length is checked against what is left before it
 * is used; bytes after the signature data are a producer's buffer padding and are ignored. */
#include "tdx/internal.h"
#include "util/error.h"

static int parse_header(struct cursor *c, size_t len, struct bptee_tdx_quote *q)
{
    q->version = cursor_le16(c);
    q->att_key_type = cursor_le16(c);
    q->tee_type = cursor_le32(c);
    q->reserved1 = cursor_le16(c);
    q->reserved2 = cursor_le16(c);
    cursor_bytes(c, q->qe_vendor_id, 16);
    cursor_bytes(c, q->user_data, 20);
    if (c->bad)
        return fail(BPTEE_EPARSE, "tdx: quote of %zu bytes is shorter than its %d-byte header",
                    len, BPTEE_TDX_HEADER_SIZE);
    if (q->version != 4 && q->version != 5)
        return fail(BPTEE_EUNSUPPORTED, "tdx: quote version %u is not supported (4 or 5)",
                    q->version);
    if (q->att_key_type != BPTEE_TDX_ATT_KEY_ECDSA_P256)
        return fail(BPTEE_EUNSUPPORTED, "tdx: attestation key type %u is not supported (2: "
                                        "ECDSA-256-with-P-256)",
                    q->att_key_type);
    if (q->tee_type != BPTEE_TDX_TEE_TYPE)
        return fail(BPTEE_EUNSUPPORTED, "tdx: TEE type 0x%x is not TDX (0x81)", q->tee_type);
    return 0;
}

/* v4 bodies are TD 1.0; v5 says which body follows and how long it is. */
static int parse_body_type(struct cursor *c, struct bptee_tdx_quote *q, size_t *body_size)
{
    if (q->version == 4) {
        q->body_type = BPTEE_TDX_BODY_TD10;
        *body_size = BPTEE_TDX_BODY_TD10_SIZE;
        return 0;
    }
    q->body_type = cursor_le16(c);
    uint32_t size = cursor_le32(c);
    if (c->bad)
        return fail(BPTEE_EPARSE, "tdx: quote: v5 body descriptor is truncated");
    if (q->body_type == BPTEE_TDX_BODY_SGX)
        return fail(BPTEE_EUNSUPPORTED, "tdx: quote body type 1 (SGX enclave) is not a TD");
    if (q->body_type != BPTEE_TDX_BODY_TD10 && q->body_type != BPTEE_TDX_BODY_TD15)
        return fail(BPTEE_EPARSE, "tdx: quote body type %u is unknown (2: TD 1.0, 3: TD 1.5)",
                    q->body_type);
    *body_size = q->body_type == BPTEE_TDX_BODY_TD10 ? BPTEE_TDX_BODY_TD10_SIZE
                                                     : BPTEE_TDX_BODY_TD15_SIZE;
    if (size != *body_size)
        return fail(BPTEE_EPARSE, "tdx: quote body size %u does not match body type %u (%zu bytes)",
                    size, q->body_type, *body_size);
    return 0;
}

/* The type-5 certification data: the PCK chain must fill what is left exactly. */
static int parse_pck_chain(struct cursor *c, struct bptee_tdx_quote *q)
{
    q->inner_cert_data_type = cursor_le16(c);
    uint32_t size = cursor_le32(c);
    if (c->bad)
        return fail(BPTEE_EPARSE, "tdx: quote: QE certification data ends before the PCK chain");
    if (q->inner_cert_data_type != BPTEE_TDX_CERT_DATA_PCK_CHAIN)
        return fail(BPTEE_EUNSUPPORTED, "tdx: quote: inner certification data type %u is not "
                                        "supported (expected 5, PCK certificate chain)",
                    q->inner_cert_data_type);
    if (size != c->left)
        return fail(BPTEE_EPARSE, "tdx: quote: PCK chain size %u does not match the %zu bytes "
                                  "left in the certification data",
                    size, c->left);
    if (size == 0)
        return fail(BPTEE_EPARSE, "tdx: quote: the PCK chain is empty");
    q->pck_chain_len = size;
    cursor_take(c, size, &q->pck_chain);
    return 0;
}

/* The type-6 certification data: QE report, its signature, QE auth data, PCK chain. */
static int parse_qe_cert_data(struct cursor *c, struct bptee_tdx_quote *q)
{
    const uint8_t *raw = NULL;
    if (cursor_take(c, BPTEE_TDX_SGX_REPORT_SIZE, &raw)) {
        memcpy(q->qe_report_raw, raw, BPTEE_TDX_SGX_REPORT_SIZE);
        struct cursor rc = cursor_init(raw, BPTEE_TDX_SGX_REPORT_SIZE);
        tdx_sgx_report_read(&rc, &q->qe_report);
    }
    cursor_bytes(c, q->qe_report_signature, 64);
    q->qe_auth_data_len = cursor_le16(c);
    cursor_take(c, q->qe_auth_data_len, &q->qe_auth_data);
    if (c->bad)
        return fail(BPTEE_EPARSE, "tdx: quote: QE report certification data is truncated");
    return parse_pck_chain(c, q);
}

static int parse_sig_data(struct cursor *c, struct bptee_tdx_quote *q)
{
    cursor_bytes(c, q->signature, 64);
    cursor_bytes(c, q->attest_key, 64);
    q->cert_data_type = cursor_le16(c);
    uint32_t size = cursor_le32(c);
    if (c->bad)
        return fail(BPTEE_EPARSE, "tdx: quote: signature data is truncated before the "
                                  "certification data");
    if (q->cert_data_type != BPTEE_TDX_CERT_DATA_QE_REPORT)
        return fail(BPTEE_EUNSUPPORTED, "tdx: quote: certification data type %u is not "
                                        "supported (expected 6, QE report certification data)",
                    q->cert_data_type);
    if (size != c->left)
        return fail(BPTEE_EPARSE, "tdx: quote: certification data size %u does not match the "
                                  "%zu bytes left in the signature data",
                    size, c->left);
    return parse_qe_cert_data(c, q);
}

int bptee_tdx_quote_parse(const uint8_t *buf, size_t len, struct bptee_tdx_quote *out)
{
    if (!buf || !out)
        return fail(BPTEE_EINVAL, "tdx: quote parse: missing argument");
    if (len > BPTEE_TDX_QUOTE_MAX)
        return fail(BPTEE_ELIMIT, "tdx: quote of %zu bytes is larger than %u", len,
                    BPTEE_TDX_QUOTE_MAX);
    struct bptee_tdx_quote q;
    memset(&q, 0, sizeof q);
    struct cursor c = cursor_init(buf, len);
    size_t body_size = 0;
    int rc = parse_header(&c, len, &q);
    if (rc == 0)
        rc = parse_body_type(&c, &q, &body_size);
    if (rc < 0)
        return rc;
    if (c.left < body_size)
        return fail(BPTEE_EPARSE, "tdx: quote: the %zu-byte body runs past the end (%zu bytes "
                                  "left)",
                    body_size, c.left);
    tdx_body_read(&c, q.body_type, &q.body);
    q.signed_len = len - c.left;
    uint32_t sig_len = cursor_le32(&c);
    const uint8_t *sig = NULL;
    if (c.bad)
        return fail(BPTEE_EPARSE, "tdx: quote ends before the signature data length");
    if (!cursor_take(&c, sig_len, &sig))
        return fail(BPTEE_EPARSE, "tdx: quote: signature data length %u runs past the end (%zu "
                                  "bytes left)",
                    sig_len, c.left);
    struct cursor sc = cursor_init(sig, sig_len);
    if ((rc = parse_sig_data(&sc, &q)) < 0)
        return rc;
    q.quote_len = len - c.left;
    q.trailing_len = c.left;
    *out = q;
    return 0;
}

int bptee_tdx_quote_detect(const uint8_t *buf, size_t len)
{
    struct bptee_tdx_quote q;
    if (!buf)
        return 0;
    int rc = bptee_tdx_quote_parse(buf, len, &q);
    bptee_clear_error();
    return rc == 0;
}
