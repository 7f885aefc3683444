// SPDX-License-Identifier: Apache-2.0
/* Azure vTPM evidence (provider azure_snp, format sev_snp_report; docs/azure.md): the HCL
 * report's runtime data bound by REPORT_DATA, the SEV-SNP report by the snp path and the
 * policy's "sev_snp" section, the AK from the runtime data, and a TPM2 quote signed by that AK
 * over the PCR values it carries. On Azure REPORT_DATA is fixed by the paravisor (it binds the
 * runtime data), so the caller's 64 bytes -- a nonce, or a key binding -- travel as the quote's
 * qualifying data: that is what report_data rules and the output's user_data refer to. */
#include <stdlib.h>
#include <string.h>

#include <bptee/azure.h>

#include "azure/internal.h"
#include "util/codec.h"
#include "util/error.h"
#include "util/json.h"
#include "verify/internal.h"

struct azure_checked {
    struct bptee_snp_verified snp;
    const uint8_t *extra; /* the quote's qualifying data, verified */
    size_t extra_len;
};

static int check_hcl(const struct bptee_azure_evidence *ev, struct bptee_azure_hcl *hcl)
{
    int rc = bptee_azure_hcl_parse(ev->hcl, ev->hcl_len, hcl);
    if (rc == 0 && hcl->report_type != BPTEE_AZURE_REPORT_SNP)
        rc = fail(BPTEE_EUNSUPPORTED, "azure: a TDX HCL report carries a TDREPORT, MAC'd for "
                                      "the local CPU only: it is never evidence");
    return rc;
}

static int check_quote(const struct bptee_azure_evidence *ev, const struct bptee_azure_hcl *hcl,
                       struct azure_checked *c)
{
    EVP_PKEY *ak = NULL;
    int rc = azure_hcl_ak_key(hcl, &ak);
    if (rc == 0)
        rc = bptee_tpm_quote_extra_data(&ev->quote, &c->extra, &c->extra_len);
    if (rc == 0 && ev->quote.n_pcrs == 0)
        rc = fail(BPTEE_EVERIFY, "azure: the evidence carries no PCR values for its quote");
    if (rc == 0) /* the signature covers extraData, so it is checked against itself here */
        rc = azure_quote_verify_key(&ev->quote, ak, c->extra, c->extra_len);
    EVP_PKEY_free(ak);
    return rc;
}

static int check_binding(const struct snp_policy *p, const struct azure_checked *c)
{
    if (p->rd_rule == RD_ANY)
        return 0;
    if (c->extra_len != 64)
        return fail(BPTEE_EVERIFY, "azure: the TPM quote's qualifying data is %zu bytes, not "
                                   "the 64 the policy's report_data rule needs",
                    c->extra_len);
    return policy_report_data_check(p, c->extra, "azure: the TPM quote's qualifying data");
}

static int pcr_claims(struct bptee_report *r, const struct bptee_tpm_quote *q)
{
    json_t *arr = json_array();
    for (size_t i = 0; arr && i < q->n_pcrs; i++) {
        char *h = hex_encode(q->pcrs + 32 * i, 32);
        if (!h || json_array_append_new(arr, json_string(h)) < 0) {
            free(h);
            json_decref(arr);
            arr = NULL;
            break;
        }
        free(h);
    }
    char *text = arr ? json_dumps(arr, JSON_COMPACT) : NULL;
    json_decref(arr);
    int rc = text ? bptee_report_set_custom(r, "tpm_pcrs_sha256", text)
                  : fail(BPTEE_ENOMEM, "verify: out of memory");
    free(text);
    return rc;
}

static int fill(struct bptee_report *r, const struct snp_policy *p, const struct azure_checked *c,
                const struct bptee_tpm_quote *q)
{
    struct snp_policy hw = *p; /* REPORT_DATA is the runtime data's hash, not the caller's */
    hw.rd_rule = RD_ANY;
    int rc = snp_claims_fill(r, &c->snp, &hw);
    if (rc == 0)
        rc = bptee_report_set_user_data(r, c->extra, c->extra_len);
    if (rc == 0)
        rc = pcr_claims(r, q);
    if (rc == 0 && p->rd_rule == RD_X25519) {
        char *digest = hex_encode(c->extra, 64);
        rc = digest ? bptee_report_set_binding(r, p->public_key, 32, "x25519", digest)
                    : fail(BPTEE_ENOMEM, "verify: out of memory");
        free(digest);
    }
    return rc;
}

int verify_azure(const struct bptee_report *ev, const struct bptee_verify_opts *o,
                 const struct bptee_policy *p, struct bptee_report **out)
{
    size_t len = 0;
    const uint8_t *bytes = bptee_report_evidence(ev, &len);
    struct bptee_azure_evidence az;
    struct bptee_azure_hcl hcl;
    struct azure_checked c = {0};
    struct snp_policy hw = p->snp;
    hw.rd_rule = RD_ANY;
    if (!bytes || len == 0)
        return fail(BPTEE_EPARSE, "verify: evidence carries no Azure vTPM evidence");
    int rc = bptee_azure_evidence_parse(bytes, len, &az);
    if (rc < 0)
        return fail_prefix(rc, "verify: azure_snp evidence is no Azure vTPM container "
                               "(HCL report and TPM2 quote, docs/azure.md)");
    if (rc == 0)
        rc = check_hcl(&az, &hcl);
    if (rc == 0)
        rc = snp_verify_report(ev, hcl.hw_report, hcl.hw_report_len, o, p, &c.snp);
    if (rc == 0)
        rc = policy_snp_check(&hw, &c.snp);
    if (rc == 0)
        rc = check_quote(&az, &hcl, &c);
    if (rc == 0)
        rc = check_binding(&p->snp, &c);
    if (rc < 0)
        return rc;
    struct bptee_report *r = NULL;
    rc = snp_output_base(ev, BPTEE_PROVIDER_AZURE_SNP, &r);
    if (rc == 0)
        rc = fill(r, &p->snp, &c, &az.quote);
    if (rc < 0) {
        bptee_report_free(r);
        return rc;
    }
    *out = r;
    return 0;
}
