// SPDX-License-Identifier: Apache-2.0
/* libFuzzer: the Azure vTPM evidence container as `bptee verify` walks it without the
 * hardware report's signature: the split, the HCL report and its binding, the AK from the
 * runtime data, the quote's qualifying data, and the quote verified with that AK. The seed is
 * evidence collected from swtpm, so a valid chain is where mutations start. */
#include <stdlib.h>

#include <bptee/azure.h>
#include <bptee/common.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct bptee_azure_evidence ev;
    struct bptee_azure_hcl h;
    const uint8_t *extra = NULL;
    size_t extra_len = 0;
    uint8_t *ak = NULL;
    size_t ak_len = 0;
    if (bptee_azure_evidence_parse(data, size, &ev) != 0)
        return 0;
    if (ev.hcl + ev.hcl_len > data + size || ev.quote.sig + ev.quote.sig_len > data + size)
        abort();
    if (bptee_azure_hcl_parse(ev.hcl, ev.hcl_len, &h) != 0 ||
        bptee_azure_hcl_ak(&h, &ak, &ak_len) != 0)
        return 0;
    if (bptee_tpm_quote_extra_data(&ev.quote, &extra, &extra_len) == 0)
        bptee_tpm_quote_verify(&ev.quote, ak, ak_len, extra, extra_len);
    free(ak);
    return 0;
}
