/* SPDX-License-Identifier: Apache-2.0 */
/* Azure confidential VMs without Azure Attestation: the vTPM's HCL report (a header, the
 * hardware report, and runtime data carrying the vTPM attestation key, bound by REPORT_DATA)
 * and TPM2 quotes signed by that key. docs/azure.md describes the layout and the checks. The
 * hardware report itself is verified by the snp module (bptee_snp_verify); a TDX HCL report
 * holds a TDREPORT, which only a quote can authenticate, so it is never accepted alone. */
#ifndef BPTEE_AZURE_H
#define BPTEE_AZURE_H

#include <bptee/common.h>

#define BPTEE_AZURE_HCL_MAX (64u << 10)
#define BPTEE_AZURE_HCL_HW_OFFSET 0x20
#define BPTEE_AZURE_HCL_HW_SIZE 1184
#define BPTEE_AZURE_HCL_REQ_OFFSET 0x4C0
#define BPTEE_AZURE_HCL_RUNTIME_OFFSET 0x4D4
#define BPTEE_AZURE_REPORT_SNP 2u
#define BPTEE_AZURE_REPORT_TDX 4u
#define BPTEE_TPM_QUOTE_MAX 4096 /* TPMS_ATTEST and signature each */
#define BPTEE_TPM_PCRS 24

/* A parsed HCL report; pointers borrow from the caller's buffer. */
struct bptee_azure_hcl {
    uint32_t version;     /* header version: 1 or 2 */
    uint32_t report_type; /* BPTEE_AZURE_REPORT_SNP or _TDX */
    const uint8_t *hw_report; /* 1184 bytes (SNP report) or 1024 (TDREPORT) */
    size_t hw_report_len;
    const uint8_t *runtime; /* runtime-data JSON, exactly variable_data_size bytes */
    size_t runtime_len;
    uint8_t report_data[64]; /* REPORT_DATA (SNP) or REPORTDATA (TDX) */
};

/* Parse strictly (magic "HCLA", report_size = 0x4D4 + runtime length, request type 2, status
 * 0, reserved bytes zero, data_size = 20 + runtime length, hash type SHA-256, report type SNP
 * or TDX, zero padding after the runtime data) and check the binding: SHA-256 of exactly the
 * runtime data equals REPORT_DATA[0..32] and REPORT_DATA[32..64] is zero. No signature covers
 * the header or request fields, hence the strictness. BPTEE_EPARSE, BPTEE_EVERIFY (binding). */
BPTEE_API int bptee_azure_hcl_parse(const uint8_t *buf, size_t len, struct bptee_azure_hcl *out);

/* The attestation key ("HCLAkPub", RSA) from the runtime data, as DER SubjectPublicKeyInfo
 * (bptee_free). The runtime data's JSON is parsed strictly (no duplicate keys). */
BPTEE_API int bptee_azure_hcl_ak(const struct bptee_azure_hcl *hcl, uint8_t **spki, size_t *spki_len);

/* A TPM2 quote: the TPMS_ATTEST bytes, the signature, and optionally the PCR values. */
struct bptee_tpm_quote {
    const uint8_t *attest;
    size_t attest_len;
    const uint8_t *sig;
    size_t sig_len;
    const uint8_t *pcrs; /* n_pcrs SHA-256 values of PCR0.., or NULL */
    size_t n_pcrs;
};

/* Read the container Azure's tooling writes (u64le sig_len ‖ sig ‖ u64le msg_len ‖ TPMS_ATTEST
 * ‖ u64le count ‖ count × 32-byte SHA-256 PCR values), borrowing from buf. */
BPTEE_API int bptee_tpm_quote_parse(const uint8_t *buf, size_t len, struct bptee_tpm_quote *out);

/* Verify a quote: RSASSA-PKCS1-v1_5 SHA-256 over TPMS_ATTEST with the AK (DER SPKI or PEM),
 * TPMS_ATTEST parsed strictly (magic, TPM_ST_ATTEST_QUOTE, nothing after the quote info),
 * extraData equal to nonce, and when q->pcrs is given the pcrDigest equal to SHA-256 of the
 * selected SHA-256 PCR values in order. BPTEE_EPARSE, BPTEE_EVERIFY. */
BPTEE_API int bptee_tpm_quote_verify(const struct bptee_tpm_quote *q, const uint8_t *ak, size_t ak_len, const uint8_t *nonce, size_t nonce_len);

/* The extraData (qualifying data) of a quote's TPMS_ATTEST, parsed strictly but NOT verified:
 * what to pass as bptee_tpm_quote_verify's nonce when the caller learns the nonce from the
 * quote and checks it afterwards (as the verifier does with a key binding). *extra borrows
 * from q->attest. BPTEE_EPARSE. */
BPTEE_API int bptee_tpm_quote_extra_data(const struct bptee_tpm_quote *q, const uint8_t **extra, size_t *extra_len);

/* Azure vTPM evidence, what `bptee attest --provider azure-snp` collects (docs/azure.md):
 * u64le hcl_len ‖ the HCL report as read from the NV index (hcl_len bytes) ‖ the quote
 * container of bptee_tpm_quote_parse. Pointers borrow from the parsed buffer. */
#define BPTEE_AZURE_EVIDENCE_MAX (BPTEE_AZURE_HCL_MAX + 3 * 8 + 2 * BPTEE_TPM_QUOTE_MAX + 32 * BPTEE_TPM_PCRS + 8)
struct bptee_azure_evidence {
    const uint8_t *hcl;
    size_t hcl_len;
    struct bptee_tpm_quote quote;
};

/* Split the container (every length bounded; the quote container must fill the end). Neither
 * part is verified. BPTEE_EPARSE. */
BPTEE_API int bptee_azure_evidence_parse(const uint8_t *buf, size_t len, struct bptee_azure_evidence *out);
/* Write the container (bptee_free): ev->quote.pcrs may be NULL with n_pcrs 0. */
BPTEE_API int bptee_azure_evidence_serialize(const struct bptee_azure_evidence *ev, uint8_t **out, size_t *out_len);

#endif
