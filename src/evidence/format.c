// SPDX-License-Identifier: Apache-2.0
#include <string.h>

#include <bptee/evidence.h>

#include "util/error.h"

static const char *const format_names[BPTEE_FORMAT_COUNT] = {
    [BPTEE_FORMAT_NITRO_DOCUMENT] = "nitro_document",
    [BPTEE_FORMAT_TDX_QUOTE] = "tdx_quote",
    [BPTEE_FORMAT_SEV_SNP_REPORT] = "sev_snp_report",
    [BPTEE_FORMAT_AZURE_MAA_TOKEN] = "azure_maa_token",
    [BPTEE_FORMAT_GCP_CONFIDENTIAL_TOKEN] = "gcp_confidential_token",
    [BPTEE_FORMAT_MOCK] = "mock",
};

const char *bptee_format_name(int format)
{
    if (format < 0 || format >= BPTEE_FORMAT_COUNT)
        return NULL;
    return format_names[format];
}

int bptee_format_parse(const char *name, int *format)
{
    if (!name || !format)
        return fail(BPTEE_EINVAL, "format: missing argument");
    for (int i = 0; i < BPTEE_FORMAT_COUNT; i++)
        if (!strcmp(name, format_names[i])) {
            *format = i;
            return 0;
        }
    return fail(BPTEE_EPARSE,
                "unknown format '%s' (expected nitro_document, tdx_quote, sev_snp_report, "
                "azure_maa_token, gcp_confidential_token or mock)",
                name);
}
