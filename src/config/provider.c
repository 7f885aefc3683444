// SPDX-License-Identifier: Apache-2.0
#include <string.h>

#include <bptee/provider.h>

#include "util/error.h"

static const char *const provider_names[BPTEE_PROVIDER_COUNT] = {
    [BPTEE_PROVIDER_AWS_NITRO] = "aws_nitro",
    [BPTEE_PROVIDER_AZURE_SNP] = "azure_snp",
    [BPTEE_PROVIDER_GCP_CONFIDENTIAL] = "gcp_confidential",
    [BPTEE_PROVIDER_INTEL_TDX] = "intel_tdx",
    [BPTEE_PROVIDER_AMD_SEV_SNP] = "amd_sev_snp",
};

const char *bptee_provider_name(int provider)
{
    if (provider < 0 || provider >= BPTEE_PROVIDER_COUNT)
        return NULL;
    return provider_names[provider];
}

int bptee_provider_parse(const char *name, int *provider)
{
    if (!name || !provider)
        return fail(BPTEE_EINVAL, "provider: missing argument");
    for (int i = 0; i < BPTEE_PROVIDER_COUNT; i++)
        if (!strcmp(name, provider_names[i])) {
            *provider = i;
            return 0;
        }
    return fail(BPTEE_EPARSE,
                "unknown provider '%s' (expected aws_nitro, azure_snp, gcp_confidential, "
                "intel_tdx or amd_sev_snp)",
                name);
}
