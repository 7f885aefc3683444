// SPDX-License-Identifier: Apache-2.0
/* The HCL report in the vTPM's NV index: header, hardware report, request data, runtime data.
 * The hardware report's signature covers only the report itself, so every other field is
 * parsed strictly and the runtime data is hashed at exactly its declared length. */
#include <string.h>

#include <bptee/azure.h>

#include "util/bytes.h"
#include "util/codec.h"
#include "util/error.h"

#define SNP_REPORT_DATA 0x50
#define TDX_REPORT_DATA 128
#define TDREPORT_SIZE 1024
#define HASH_SHA256 1u

static int header(const uint8_t *b, size_t len, uint32_t *runtime_len)
{
    if (len < BPTEE_AZURE_HCL_RUNTIME_OFFSET || len > BPTEE_AZURE_HCL_MAX)
        return fail(BPTEE_EPARSE, "azure: HCL report of %zu bytes (%d..%u)", len,
                    BPTEE_AZURE_HCL_RUNTIME_OFFSET, BPTEE_AZURE_HCL_MAX);
    if (memcmp(b, "HCLA", 4))
        return fail(BPTEE_EPARSE, "azure: no HCLA magic");
    uint32_t version = load_le32(b + 4), size = load_le32(b + 8);
    const uint8_t *req = b + BPTEE_AZURE_HCL_REQ_OFFSET;
    *runtime_len = load_le32(req + 16);
    if (version != 1 && version != 2)
        return fail(BPTEE_EPARSE, "azure: HCL header version %u", version);
    if (load_le32(b + 12) != 2 || load_le32(b + 16) != 0 || !all_zero(b + 20, 12))
        return fail(BPTEE_EPARSE, "azure: HCL header request type, status or reserved bytes");
    if ((uint64_t)*runtime_len > len - BPTEE_AZURE_HCL_RUNTIME_OFFSET)
        return fail(BPTEE_EPARSE, "azure: runtime data of %u bytes runs past the report",
                    *runtime_len);
    if (size != BPTEE_AZURE_HCL_RUNTIME_OFFSET + *runtime_len ||
        load_le32(req) != 20 + *runtime_len)
        return fail(BPTEE_EPARSE, "azure: report_size or data_size disagrees with the runtime "
                                  "data size %u",
                    *runtime_len);
    if (load_le32(req + 4) != 1 || load_le32(req + 12) != HASH_SHA256)
        return fail(BPTEE_EPARSE, "azure: request data version or hash type is not 1 (SHA-256)");
    return 0;
}

int bptee_azure_hcl_parse(const uint8_t *b, size_t len, struct bptee_azure_hcl *out)
{
    uint32_t rt_len = 0;
    if (!b || !out)
        return fail(BPTEE_EINVAL, "azure: missing argument");
    memset(out, 0, sizeof *out);
    int rc = header(b, len, &rt_len);
    if (rc < 0)
        return rc;
    out->version = load_le32(b + 4);
    out->report_type = load_le32(b + BPTEE_AZURE_HCL_REQ_OFFSET + 8);
    out->hw_report = b + BPTEE_AZURE_HCL_HW_OFFSET;
    out->runtime = b + BPTEE_AZURE_HCL_RUNTIME_OFFSET;
    out->runtime_len = rt_len;
    if (out->report_type == BPTEE_AZURE_REPORT_SNP) {
        out->hw_report_len = BPTEE_AZURE_HCL_HW_SIZE;
        memcpy(out->report_data, out->hw_report + SNP_REPORT_DATA, 64);
    } else if (out->report_type == BPTEE_AZURE_REPORT_TDX) {
        out->hw_report_len = TDREPORT_SIZE;
        memcpy(out->report_data, out->hw_report + TDX_REPORT_DATA, 64);
        if (!all_zero(out->hw_report + TDREPORT_SIZE, BPTEE_AZURE_HCL_HW_SIZE - TDREPORT_SIZE))
            return fail(BPTEE_EPARSE, "azure: bytes after the TDREPORT are not zero");
    } else {
        return fail(BPTEE_EPARSE, "azure: report type %u is neither SEV-SNP (2) nor TDX (4)",
                    out->report_type);
    }
    if (!all_zero(out->runtime + rt_len, len - BPTEE_AZURE_HCL_RUNTIME_OFFSET - rt_len))
        return fail(BPTEE_EPARSE, "azure: bytes after the runtime data are not zero");
    uint8_t h[32];
    sha256(out->runtime, rt_len, h);
    if (memcmp(h, out->report_data, 32) || !all_zero(out->report_data + 32, 32))
        return fail(BPTEE_EVERIFY, "azure: REPORT_DATA is not SHA-256 of the runtime data "
                                   "followed by zeros");
    return 0;
}
