// SPDX-License-Identifier: Apache-2.0
/* libFuzzer: the Azure HCL report parser (header, request data, binding) and the AK reader
 * over its runtime data. */
#include <stdlib.h>

#include <bptee/azure.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct bptee_azure_hcl h;
    if (bptee_azure_hcl_parse(data, size, &h) != 0)
        return 0;
    if (h.runtime < data || h.runtime + h.runtime_len > data + size)
        abort();
    uint8_t *spki = NULL;
    size_t n = 0;
    if (bptee_azure_hcl_ak(&h, &spki, &n) == 0)
        free(spki);
    return 0;
}
