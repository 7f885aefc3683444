// SPDX-License-Identifier: Apache-2.0
/* libFuzzer: the Nitro document decoder (COSE_Sign1 and the payload map through libcbor) and
 * the whole verifier behind it. Whatever decodes must keep its fields inside their limits. */
#include <stdlib.h>
#include <string.h>

#include <bptee/nitro.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct bptee_nitro_document *doc = NULL;
    if (bptee_nitro_document_parse(data, size, &doc) == 0) {
        if (doc->signature.len != 96 || doc->n_cabundle == 0 ||
            doc->n_cabundle > BPTEE_NITRO_CABUNDLE_MAX || doc->certificate.len == 0 ||
            doc->certificate.len > BPTEE_NITRO_CERT_MAX ||
            (doc->pcr_len != 32 && doc->pcr_len != 48 && doc->pcr_len != 64) ||
            strlen(doc->module_id) == 0)
            abort();
        bptee_nitro_document_free(doc);
    }
    BPTEE_OPTS(bptee_nitro_verify_opts, o, .at = 0);
    if (bptee_nitro_verify(data, size, &o, &doc) == 0)
        bptee_nitro_document_free(doc);
    return 0;
}
