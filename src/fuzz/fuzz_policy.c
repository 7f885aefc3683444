// SPDX-License-Identifier: Apache-2.0
/* libFuzzer: the verification-policy JSON reader, every section of it (docs/policy.md): the
 * input is tried as a whole policy (the examples of docs/ seed it), and, its first byte
 * choosing a section's key, the rest as that key's value spliced into a policy, so the value
 * readers of "sev_snp", "tdx", "nitro", "azure_maa", "gcp_confidential" and "results" are
 * reached without the fuzzer first having to discover their key names. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bptee/verify.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const keys[][2] = {
    {"sev_snp", "measurements"},    {"sev_snp", "allow_debug"},
    {"sev_snp", "min_tcb"},         {"sev_snp", "min_firmware"},
    {"sev_snp", "vmpls"},           {"sev_snp", "report_data"},
    {"sev_snp", "signing_keys"},    {"sev_snp", "allow_simulation"},
    {"sev_snp", "trusted_roots"},   {"tdx", "mrtd"},
    {"tdx", "rtmr0"},               {"tdx", "mrconfigid"},
    {"tdx", "allow_debug"},         {"tdx", "min_tee_tcb_svn"},
    {"tdx", "tcb_statuses"},        {"tdx", "require_collateral"},
    {"tdx", "report_data"},         {"tdx", "allow_simulation"},
    {"tdx", "trusted_roots"},       {"nitro", "allow_debug"},
    {"nitro", "nonce"},             {"nitro", "user_data"},
    {"nitro", "public_key"},        {"nitro", "trusted_roots"},
    {"nitro", "pcr0"},              {"azure_maa", "issuers"},
    {"azure_maa", "audience"},      {"azure_maa", "attestation_types"},
    {"azure_maa", "leeway_secs"},   {"gcp_confidential", "image_digest"},
    {"gcp_confidential", "nonce"},  {"gcp_confidential", "allow_debug"},
    {NULL, "max_age_secs"},         {NULL, "results"},
};
#define N_KEYS (sizeof keys / sizeof keys[0])

static void parse(const char *text, size_t len)
{
    struct bptee_policy *p = NULL;
    if (bptee_policy_parse(text, len, &p) == 0)
        bptee_policy_free(p);
}

/* {"section":{"key":VALUE}}, or {"key":VALUE} for a top-level key. */
static void spliced(size_t k, const uint8_t *value, size_t len)
{
    size_t cap = len + 64;
    char *doc = malloc(cap);
    if (!doc)
        return;
    int n = keys[k][0] ? snprintf(doc, cap, "{\"%s\":{\"%s\":", keys[k][0], keys[k][1])
                       : snprintf(doc, cap, "{\"%s\":", keys[k][1]);
    memcpy(doc + n, value, len);
    size_t end = (size_t)n + len;
    doc[end++] = '}';
    if (keys[k][0])
        doc[end++] = '}';
    parse(doc, end);
    free(doc);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0 || size > 4096)
        return 0;
    parse((const char *)data, size);
    spliced(data[0] % N_KEYS, data + 1, size - 1);
    return 0;
}
