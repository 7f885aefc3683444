// SPDX-License-Identifier: Apache-2.0
/* The Azure vTPM evidence container: the HCL report exactly as the NV index held it, then the
 * quote in the container Azure's tooling writes. Lengths are u64le as in that container, so one
 * reader style covers the whole thing; each is bounded before anything is read past it. */
#include <stdlib.h>
#include <string.h>

#include <bptee/azure.h>

#include "util/bytes.h"
#include "util/error.h"

int bptee_azure_evidence_parse(const uint8_t *b, size_t len, struct bptee_azure_evidence *ev)
{
    if (!b || !ev)
        return fail(BPTEE_EINVAL, "azure: missing argument");
    memset(ev, 0, sizeof *ev);
    if (len > BPTEE_AZURE_EVIDENCE_MAX)
        return fail(BPTEE_EPARSE, "azure: evidence of %zu bytes (at most %u)", len,
                    (unsigned)BPTEE_AZURE_EVIDENCE_MAX);
    if (len < 8)
        return fail(BPTEE_EPARSE, "azure: evidence truncated before the HCL report's length");
    uint64_t hcl_len = load_le64(b);
    if (hcl_len > BPTEE_AZURE_HCL_MAX || hcl_len > len - 8)
        return fail(BPTEE_EPARSE, "azure: evidence's HCL report length %llu out of range",
                    (unsigned long long)hcl_len);
    ev->hcl = b + 8;
    ev->hcl_len = (size_t)hcl_len;
    int rc = bptee_tpm_quote_parse(b + 8 + hcl_len, len - 8 - (size_t)hcl_len, &ev->quote);
    return rc < 0 ? fail_prefix(rc, "azure: evidence's quote") : 0;
}

int bptee_azure_evidence_serialize(const struct bptee_azure_evidence *ev, uint8_t **out,
                                   size_t *out_len)
{
    if (!ev || !out || !out_len || !ev->hcl || !ev->quote.attest || !ev->quote.sig ||
        (ev->quote.n_pcrs && !ev->quote.pcrs))
        return fail(BPTEE_EINVAL, "azure: missing argument");
    const struct bptee_tpm_quote *q = &ev->quote;
    if (ev->hcl_len > BPTEE_AZURE_HCL_MAX || q->sig_len > BPTEE_TPM_QUOTE_MAX ||
        q->attest_len > BPTEE_TPM_QUOTE_MAX || q->n_pcrs > BPTEE_TPM_PCRS)
        return fail(BPTEE_EINVAL, "azure: evidence part too large to serialize");
    size_t n = 8 + ev->hcl_len + 8 + q->sig_len + 8 + q->attest_len + 8 + 32 * q->n_pcrs;
    uint8_t *buf = malloc(n);
    if (!buf)
        return fail(BPTEE_ENOMEM, "azure: out of memory");
    struct writer w = {buf, n, false};
    put_le64(&w, ev->hcl_len);
    put_bytes(&w, ev->hcl, ev->hcl_len);
    put_le64(&w, q->sig_len);
    put_bytes(&w, q->sig, q->sig_len);
    put_le64(&w, q->attest_len);
    put_bytes(&w, q->attest, q->attest_len);
    put_le64(&w, q->n_pcrs);
    put_bytes(&w, q->pcrs, 32 * q->n_pcrs);
    *out = buf;
    *out_len = n;
    return 0;
}
