// SPDX-License-Identifier: Apache-2.0
/* libFuzzer: the SEV-SNP report parser. Whatever parses must serialize back to the same bytes
 * (the layout is fixed and every reserved byte is checked as zero). */
#include <stdlib.h>
#include <string.h>

#include <bptee/snp.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct bptee_snp_report r;
    if (bptee_snp_report_parse(data, size, &r) != 0)
        return 0;
    uint8_t out[BPTEE_SNP_REPORT_SIZE];
    if (bptee_snp_report_serialize(&r, out, sizeof out) != 0 || memcmp(out, data, size) != 0)
        abort();
    struct bptee_snp_tcb t;
    bptee_snp_tcb_decode(r.reported_tcb, bptee_snp_report_product(&r) ? bptee_snp_report_product(&r)
                                                                      : BPTEE_SNP_PRODUCT_MILAN,
                         &t);
    return 0;
}
