// SPDX-License-Identifier: Apache-2.0
/* `bptee inspect` for Intel TDX (docs/tdx.md): a DCAP quote's header, TD body and signature
 * data, and the TDREPORT of /dev/tdx_guest, one field per line. Nothing is verified. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <bptee.h>

#include "cli/inspect_tdx.h"

static const uint8_t intel_qe_vendor[16] = {0x93, 0x9a, 0x72, 0x33, 0xf7, 0x9c, 0x4c, 0xa9,
                                            0x94, 0x0a, 0x0d, 0xb3, 0x95, 0x7f, 0x06, 0x07};

static void hex_line(const char *name, const uint8_t *p, size_t n)
{
    printf("  %-22s ", name);
    for (size_t i = 0; i < n; i++)
        printf("%02x", p[i]);
    putchar('\n');
}

static const char *onoff(uint64_t v, uint64_t bit)
{
    return (v & bit) ? "on" : "off";
}

static void attributes_line(uint64_t a)
{
    printf("  %-22s 0x%016" PRIx64 " (DEBUG %s, SEPT_VE_DISABLE %s, PKS %s, KL %s, PERFMON %s)\n",
           "td_attributes", a, onoff(a, BPTEE_TDX_ATTR_DEBUG),
           onoff(a, BPTEE_TDX_ATTR_SEPT_VE_DISABLE), onoff(a, BPTEE_TDX_ATTR_PKS),
           onoff(a, BPTEE_TDX_ATTR_KL), onoff(a, BPTEE_TDX_ATTR_PERFMON));
}

static void rtmr_lines(const uint8_t rtmr[4][48])
{
    static const char *const names[4] = {"rtmr0", "rtmr1", "rtmr2", "rtmr3"};
    for (int i = 0; i < 4; i++)
        hex_line(names[i], rtmr[i], 48);
}

static void svn_line(const uint8_t svn[16])
{
    hex_line("tee_tcb_svn", svn, 16);
    if (svn[1] > 0) /* bytes 0 and 1 are the TDX module's SVN and major version */
        printf("  %-22s TDX module %u, SVN %u\n", "", svn[1], svn[0]);
}

static void header_lines(const struct bptee_tdx_quote *q)
{
    printf("  %-22s %u\n", "version", q->version);
    printf("  %-22s %u%s\n", "att_key_type", q->att_key_type,
           q->att_key_type == BPTEE_TDX_ATT_KEY_ECDSA_P256 ? " (ECDSA-256-with-P-256)" : "");
    printf("  %-22s 0x%x%s\n", "tee_type", q->tee_type,
           q->tee_type == BPTEE_TDX_TEE_TYPE ? " (TDX)" : "");
    hex_line("qe_vendor_id", q->qe_vendor_id, 16);
    if (!memcmp(q->qe_vendor_id, intel_qe_vendor, 16))
        printf("  %-22s Intel SGX/TDX quoting enclave\n", "");
    hex_line("user_data", q->user_data, 20);
}

static void body_lines(const struct bptee_tdx_body *b, int body_type)
{
    printf("TD report body (%s)\n", body_type == BPTEE_TDX_BODY_TD15 ? "TD 1.5" : "TD 1.0");
    svn_line(b->tee_tcb_svn);
    hex_line("mrseam", b->mrseam, 48);
    hex_line("mrsignerseam", b->mrsignerseam, 48);
    printf("  %-22s 0x%016" PRIx64 "\n", "seam_attributes", b->seam_attributes);
    attributes_line(b->td_attributes);
    printf("  %-22s 0x%016" PRIx64 "\n", "xfam", b->xfam);
    hex_line("mrtd", b->mrtd, 48);
    hex_line("mrconfigid", b->mrconfigid, 48);
    hex_line("mrowner", b->mrowner, 48);
    hex_line("mrownerconfig", b->mrownerconfig, 48);
    rtmr_lines(b->rtmr);
    hex_line("report_data", b->report_data, 64);
    if (body_type == BPTEE_TDX_BODY_TD15) {
        hex_line("tee_tcb_svn2", b->tee_tcb_svn2, 16);
        hex_line("mrservicetd", b->mrservicetd, 48);
    }
}

static void qe_report_lines(const struct bptee_tdx_sgx_report *r)
{
    printf("QE report (SGX report body, signed by the PCK key)\n");
    hex_line("cpusvn", r->cpusvn, 16);
    printf("  %-22s 0x%08x\n", "miscselect", r->miscselect);
    hex_line("attributes", r->attributes, 16);
    hex_line("mrenclave", r->mrenclave, 32);
    hex_line("mrsigner", r->mrsigner, 32);
    printf("  %-22s %u\n", "isvprodid", r->isvprodid);
    printf("  %-22s %u\n", "isvsvn", r->isvsvn);
    hex_line("report_data", r->report_data, 64);
}

static size_t count_certs(const uint8_t *pem, size_t len)
{
    static const char mark[] = "-----BEGIN CERTIFICATE-----";
    size_t n = 0;
    for (size_t i = 0; i + sizeof mark - 1 <= len; i++)
        if (!memcmp(pem + i, mark, sizeof mark - 1))
            n++;
    return n;
}

static void signature_lines(const struct bptee_tdx_quote *q)
{
    printf("signature data\n");
    hex_line("signature (r||s)", q->signature, 64);
    hex_line("attest_key (x||y)", q->attest_key, 64);
    printf("  %-22s %u (QE report certification data)\n", "cert_data_type", q->cert_data_type);
    hex_line("qe_report_signature", q->qe_report_signature, 64);
    printf("  %-22s %zu bytes\n", "qe_auth_data", q->qe_auth_data_len);
    if (q->qe_auth_data_len)
        hex_line("", q->qe_auth_data, q->qe_auth_data_len);
    printf("  %-22s %u (PCK certificate chain)\n", "inner_cert_data_type", q->inner_cert_data_type);
    printf("  %-22s %zu bytes of PEM, %zu certificates\n", "pck_chain", q->pck_chain_len,
           count_certs(q->pck_chain, q->pck_chain_len));
    qe_report_lines(&q->qe_report);
}

int inspect_tdx_quote(const uint8_t *quote, size_t len)
{
    struct bptee_tdx_quote q;
    int rc = bptee_tdx_quote_parse(quote, len, &q);
    if (rc < 0)
        return rc;
    printf("TDX quote v%u (%zu bytes", q.version, q.quote_len);
    if (q.trailing_len)
        printf(" + %zu trailing bytes, ignored", q.trailing_len);
    printf(")\n");
    header_lines(&q);
    body_lines(&q.body, q.body_type);
    signature_lines(&q);
    return 0;
}

static void tdreport_tcb_lines(const struct bptee_tdx_tdreport *r)
{
    printf("TEE_TCB_INFO\n");
    hex_line("valid", r->tcb_info_valid, 8);
    svn_line(r->tee_tcb_svn);
    hex_line("mrseam", r->mrseam, 48);
    hex_line("mrsignerseam", r->mrsignerseam, 48);
    printf("  %-22s 0x%016" PRIx64 "\n", "seam_attributes", r->seam_attributes);
    hex_line("tee_tcb_svn2", r->tee_tcb_svn2, 16);
}

static void tdreport_td_lines(const struct bptee_tdx_tdreport *r)
{
    printf("TDINFO\n");
    attributes_line(r->td_attributes);
    printf("  %-22s 0x%016" PRIx64 "\n", "xfam", r->xfam);
    hex_line("mrtd", r->mrtd, 48);
    hex_line("mrconfigid", r->mrconfigid, 48);
    hex_line("mrowner", r->mrowner, 48);
    hex_line("mrownerconfig", r->mrownerconfig, 48);
    rtmr_lines(r->rtmr);
    hex_line("servtd_hash", r->servtd_hash, 48);
}

int inspect_tdx_tdreport(const uint8_t *data, size_t len)
{
    struct bptee_tdx_tdreport r;
    if (len != BPTEE_TDX_TDREPORT_SIZE || bptee_tdx_tdreport_parse(data, len, &r) < 0) {
        bptee_clear_error();
        return 0;
    }
    printf("TDREPORT (%d bytes; MAC'd by the CPU for local use, not signed: not remotely "
           "verifiable)\nREPORTMACSTRUCT\n",
           BPTEE_TDX_TDREPORT_SIZE);
    hex_line("report_type", r.report_type, 4);
    hex_line("cpusvn", r.cpusvn, 16);
    hex_line("tee_tcb_info_hash", r.tee_tcb_info_hash, 48);
    hex_line("tee_info_hash", r.tee_info_hash, 48);
    hex_line("report_data", r.report_data, 64);
    hex_line("mac", r.mac, 32);
    tdreport_tcb_lines(&r);
    tdreport_td_lines(&r);
    return 1;
}
