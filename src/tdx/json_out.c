// SPDX-License-Identifier: Apache-2.0
/* Readable JSON views of a quote and a TDREPORT (`bptee inspect`): every field, bytes as
 * lowercase hex, 64-bit attribute words as "0x..." strings, decoded TD_ATTRIBUTES bits. */
#include <stdio.h>
#include <stdlib.h>

#include "tdx/internal.h"
#include "util/codec.h"
#include "util/error.h"
#include "util/json.h"

json_t *tdx_hex_json(const uint8_t *p, size_t n)
{
    char *h = hex_encode(p, n);
    json_t *j = h ? json_string(h) : NULL;
    free(h);
    return j;
}

json_t *tdx_u64_json(uint64_t v)
{
    char s[24];
    snprintf(s, sizeof s, "0x%016llx", (unsigned long long)v);
    return json_string(s);
}

static json_t *attributes_json(uint64_t a)
{
    return json_pack("{s:o,s:b,s:b,s:b,s:b,s:b}", "raw", tdx_u64_json(a), "debug",
                     !!(a & BPTEE_TDX_ATTR_DEBUG), "sept_ve_disable",
                     !!(a & BPTEE_TDX_ATTR_SEPT_VE_DISABLE), "pks", !!(a & BPTEE_TDX_ATTR_PKS),
                     "kl", !!(a & BPTEE_TDX_ATTR_KL), "perfmon", !!(a & BPTEE_TDX_ATTR_PERFMON));
}

static json_t *rtmrs_json(const uint8_t rtmr[4][48])
{
    return json_pack("[o,o,o,o]", tdx_hex_json(rtmr[0], 48), tdx_hex_json(rtmr[1], 48),
                     tdx_hex_json(rtmr[2], 48), tdx_hex_json(rtmr[3], 48));
}

json_t *tdx_body_json(const struct bptee_tdx_body *b, int body_type)
{
    json_t *j = json_pack("{s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o}", "tee_tcb_svn",
                          tdx_hex_json(b->tee_tcb_svn, 16), "mrseam", tdx_hex_json(b->mrseam, 48),
                          "mrsignerseam", tdx_hex_json(b->mrsignerseam, 48), "seam_attributes",
                          tdx_u64_json(b->seam_attributes), "td_attributes",
                          attributes_json(b->td_attributes), "xfam", tdx_u64_json(b->xfam),
                          "mrtd", tdx_hex_json(b->mrtd, 48), "mrconfigid",
                          tdx_hex_json(b->mrconfigid, 48), "mrowner", tdx_hex_json(b->mrowner, 48),
                          "mrownerconfig", tdx_hex_json(b->mrownerconfig, 48), "rtmrs",
                          rtmrs_json(b->rtmr), "report_data", tdx_hex_json(b->report_data, 64));
    if (j && body_type == BPTEE_TDX_BODY_TD15 &&
        (json_object_set_new(j, "tee_tcb_svn2", tdx_hex_json(b->tee_tcb_svn2, 16)) < 0 ||
         json_object_set_new(j, "mrservicetd", tdx_hex_json(b->mrservicetd, 48)) < 0)) {
        json_decref(j);
        return NULL;
    }
    return j;
}

static json_t *qe_report_json(const struct bptee_tdx_sgx_report *r)
{
    return json_pack("{s:o,s:I,s:o,s:o,s:o,s:i,s:i,s:o}", "cpusvn", tdx_hex_json(r->cpusvn, 16),
                     "miscselect", (json_int_t)r->miscselect, "attributes",
                     tdx_hex_json(r->attributes, 16), "mrenclave", tdx_hex_json(r->mrenclave, 32),
                     "mrsigner", tdx_hex_json(r->mrsigner, 32), "isvprodid", r->isvprodid,
                     "isvsvn", r->isvsvn, "report_data", tdx_hex_json(r->report_data, 64));
}

/* The PEM text without its NUL padding; NULL if it is not text JSON can carry. */
static json_t *pem_json(const struct bptee_tdx_quote *q)
{
    size_t n = q->pck_chain_len;
    while (n && q->pck_chain[n - 1] == '\0')
        n--;
    return json_stringn((const char *)q->pck_chain, n);
}

static json_t *quote_json(const struct bptee_tdx_quote *q, json_t *pem)
{
    static const char *const body_names[] = {[2] = "td10", [3] = "td15"};
    json_t *header = json_pack(
        "{s:i,s:i,s:I,s:o,s:o}", "version", q->version, "att_key_type", q->att_key_type,
        "tee_type", (json_int_t)q->tee_type, "qe_vendor_id", tdx_hex_json(q->qe_vendor_id, 16),
        "user_data", tdx_hex_json(q->user_data, 20));
    json_t *sig = json_pack(
        "{s:o,s:o,s:i,s:o,s:o,s:o,s:i,s:o,s:I}", "signature", tdx_hex_json(q->signature, 64),
        "attest_key", tdx_hex_json(q->attest_key, 64), "cert_data_type", q->cert_data_type,
        "qe_report", qe_report_json(&q->qe_report), "qe_report_signature",
        tdx_hex_json(q->qe_report_signature, 64), "qe_auth_data",
        tdx_hex_json(q->qe_auth_data, q->qe_auth_data_len), "inner_cert_data_type",
        q->inner_cert_data_type, "pck_chain_pem", pem, "pck_chain_len",
        (json_int_t)q->pck_chain_len);
    return json_pack("{s:o,s:s,s:o,s:o,s:I,s:I}", "header", header, "body_type",
                     body_names[q->body_type], "body", tdx_body_json(&q->body, q->body_type),
                     "signature_data", sig, "quote_len", (json_int_t)q->quote_len,
                     "trailing_len", (json_int_t)q->trailing_len);
}

int tdx_json_out(json_t *j, char **out)
{
    if (!j)
        return fail(BPTEE_ENOMEM, "tdx: cannot build the JSON view");
    *out = json_to_string(j, 1);
    json_decref(j);
    return *out ? 0 : fail(BPTEE_ENOMEM, "tdx: out of memory");
}

int bptee_tdx_quote_to_json(const uint8_t *buf, size_t len, char **json_out)
{
    if (!json_out)
        return fail(BPTEE_EINVAL, "tdx: quote to JSON: missing argument");
    struct bptee_tdx_quote q;
    int rc = bptee_tdx_quote_parse(buf, len, &q);
    if (rc < 0)
        return rc;
    json_t *pem = pem_json(&q);
    if (!pem)
        return fail(BPTEE_EPARSE, "tdx: the quote's PCK chain is not UTF-8 text");
    return tdx_json_out(quote_json(&q, pem), json_out);
}

int bptee_tdx_tdreport_to_json(const uint8_t *buf, size_t len, char **json_out)
{
    if (!json_out)
        return fail(BPTEE_EINVAL, "tdx: TDREPORT to JSON: missing argument");
    struct bptee_tdx_tdreport r;
    int rc = bptee_tdx_tdreport_parse(buf, len, &r);
    if (rc < 0)
        return rc;
    json_t *j = json_pack(
        "{s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o}",
        "report_type", tdx_hex_json(r.report_type, 4), "cpusvn", tdx_hex_json(r.cpusvn, 16),
        "tee_tcb_info_hash", tdx_hex_json(r.tee_tcb_info_hash, 48), "tee_info_hash",
        tdx_hex_json(r.tee_info_hash, 48), "report_data", tdx_hex_json(r.report_data, 64), "mac",
        tdx_hex_json(r.mac, 32), "tcb_info_valid", tdx_hex_json(r.tcb_info_valid, 8),
        "tee_tcb_svn", tdx_hex_json(r.tee_tcb_svn, 16), "mrseam", tdx_hex_json(r.mrseam, 48),
        "mrsignerseam", tdx_hex_json(r.mrsignerseam, 48), "seam_attributes",
        tdx_u64_json(r.seam_attributes), "tee_tcb_svn2", tdx_hex_json(r.tee_tcb_svn2, 16),
        "td_attributes", attributes_json(r.td_attributes), "xfam", tdx_u64_json(r.xfam), "mrtd",
        tdx_hex_json(r.mrtd, 48), "mrconfigid", tdx_hex_json(r.mrconfigid, 48), "mrowner",
        tdx_hex_json(r.mrowner, 48), "mrownerconfig", tdx_hex_json(r.mrownerconfig, 48), "rtmrs",
        rtmrs_json(r.rtmr), "servtd_hash", tdx_hex_json(r.servtd_hash, 48));
    return tdx_json_out(j, json_out);
}
