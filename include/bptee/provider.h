/* SPDX-License-Identifier: Apache-2.0 */
/* TEE providers, spelled as blueprint-tee's TeeProvider serializes them. */
#ifndef BPTEE_PROVIDER_H
#define BPTEE_PROVIDER_H

#include <bptee/common.h>

/* Declaration order is blueprint-tee's Ord; values are bit positions for provider sets. */
enum bptee_provider {
    BPTEE_PROVIDER_AWS_NITRO = 0,
    BPTEE_PROVIDER_AZURE_SNP = 1,
    BPTEE_PROVIDER_GCP_CONFIDENTIAL = 2,
    BPTEE_PROVIDER_INTEL_TDX = 3,
    BPTEE_PROVIDER_AMD_SEV_SNP = 4,
};
#define BPTEE_PROVIDER_COUNT 5

/* "aws_nitro", "azure_snp", "gcp_confidential", "intel_tdx", "amd_sev_snp"; NULL if unknown. */
BPTEE_API const char *bptee_provider_name(int provider);

/* Parse a provider name (exact spelling); BPTEE_EPARSE naming the value otherwise. */
BPTEE_API int bptee_provider_parse(const char *name, int *provider);

#endif
