// SPDX-License-Identifier: Apache-2.0
/* libFuzzer: the verification-policy JSON reader. The first byte picks whether the input is a
 * whole policy or the value of one "sev_snp" key spliced into a policy (so the value readers
 * are reached without the fuzzer first discovering the key names). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bptee/verify.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const keys[] = {
    "measurements", "allow_debug",  "min_tcb",          "min_firmware",  "vmpls",
    "report_data",  "signing_keys", "allow_simulation", "trusted_roots",
};
#define N_KEYS (sizeof keys / sizeof keys[0])

static void parse(const char *text, size_t len)
{
    struct bptee_policy *p = NULL;
    if (bptee_policy_parse(text, len, &p) == 0)
        bptee_policy_free(p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0 || size > 4096)
        return 0;
    size_t mode = data[0] % (N_KEYS + 1);
    if (mode == N_KEYS) {
        parse((const char *)data + 1, size - 1);
        return 0;
    }
    char *doc = malloc(size + 64);
    if (!doc)
        return 0;
    int n = snprintf(doc, size + 64, "{\"max_age_secs\":60,\"sev_snp\":{\"%s\":", keys[mode]);
    memcpy(doc + n, data + 1, size - 1);
    memcpy(doc + n + size - 1, "}}", 2);
    parse(doc, (size_t)n + size - 1 + 2);
    free(doc);
    return 0;
}
