// SPDX-License-Identifier: Apache-2.0
/* TDX quotes as evidence reports: wrapping a raw quote (what `attest` and the configfs-tsm
 * outblob produce), and verifying such a report under a "tdx" policy into a verified report. */
#include <openssl/err.h>

#include "tdx/internal.h"
#include "tdx/policy.h"
#include "util/error.h"
#include "util/x509.h"

/* 1 when any certificate of the quote's chain names the simulator; unparsable chains are not
 * simulated (verification will reject them anyway). */
static int chain_is_simulated(const struct bptee_tdx_quote *q)
{
    STACK_OF(X509) *sk = NULL;
    int sim = 0;
    if (tdx_pem_certs(q->pck_chain, q->pck_chain_len, "PCK chain", &sk) < 0) {
        bptee_clear_error();
        return 0;
    }
    for (int i = 0; i < sk_X509_num(sk) && !sim; i++) {
        X509 *x = sk_X509_value(sk, i);
        sim = x509_name_is_sim(X509_get_subject_name(x)) ||
              x509_name_is_sim(X509_get_issuer_name(x));
    }
    sk_X509_pop_free(sk, X509_free);
    return sim;
}

int bptee_tdx_evidence_from_quote(const uint8_t *quote, size_t len, struct bptee_report **out)
{
    if (!quote || !out)
        return fail(BPTEE_EINVAL, "tdx: evidence: missing argument");
    struct bptee_tdx_quote q;
    int rc = bptee_tdx_quote_parse(quote, len, &q);
    if (rc < 0)
        return rc;
    struct bptee_report *r = NULL;
    rc = bptee_report_new(&r);
    if (rc == 0)
        rc = bptee_report_set_provider(r, BPTEE_PROVIDER_INTEL_TDX);
    if (rc == 0)
        rc = bptee_report_set_format(r, BPTEE_FORMAT_TDX_QUOTE);
    if (rc == 0)
        rc = bptee_report_set_evidence(r, quote, len);
    if (rc == 0 && chain_is_simulated(&q))
        rc = bptee_report_set_simulated(r, 1);
    if (rc < 0) {
        bptee_report_free(r);
        return rc;
    }
    *out = r;
    return 0;
}

static int copy_certificates(const struct bptee_report *from, struct bptee_report *to)
{
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < bptee_report_certificate_count(from); i++) {
        const char *kind;
        const uint8_t *der;
        size_t der_len;
        rc = bptee_report_certificate(from, i, &kind, &der, &der_len);
        if (rc == 0)
            rc = bptee_report_add_certificate(to, kind, der, der_len);
    }
    return rc;
}

static int build_output(const struct bptee_report *ev, const struct bptee_tdx_verified *v,
                        const struct bptee_tdx_policy *p, struct bptee_report **out)
{
    struct bptee_report *r = NULL;
    size_t len = 0;
    const uint8_t *quote = bptee_report_evidence(ev, &len);
    int rc = bptee_report_new(&r);
    if (rc == 0)
        rc = bptee_report_set_issued_at(r, bptee_report_issued_at(ev));
    if (rc == 0)
        rc = bptee_report_set_evidence(r, quote, len);
    if (rc == 0)
        rc = copy_certificates(ev, r);
    if (rc == 0)
        rc = bptee_tdx_report_fill(r, v, p);
    if (rc < 0) {
        bptee_report_free(r);
        return rc;
    }
    *out = r;
    return 0;
}

int bptee_tdx_verify_evidence(const struct bptee_report *evidence,
                              const struct bptee_tdx_verify_opts *opts,
                              const struct bptee_tdx_policy *policy, struct bptee_report **out)
{
    if (!evidence || !opts || !out)
        return fail(BPTEE_EINVAL, "tdx: verify evidence: missing argument");
    if (opts->sz < sizeof(struct bptee_tdx_verify_opts))
        return fail(BPTEE_EINVAL, "tdx: verify options of an unknown size %zu", opts->sz);
    if (bptee_report_provider(evidence) != BPTEE_PROVIDER_INTEL_TDX ||
        bptee_report_format(evidence) != BPTEE_FORMAT_TDX_QUOTE)
        return fail(BPTEE_EUNSUPPORTED, "tdx: evidence is not an intel_tdx tdx_quote");
    size_t len = 0;
    const uint8_t *quote = bptee_report_evidence(evidence, &len);
    if (!quote || len == 0)
        return fail(BPTEE_EPARSE, "tdx: evidence carries no quote");
    /* Which non-Intel roots are trusted is the policy's decision alone. */
    struct bptee_tdx_verify_opts o = *opts;
    o.allow_simulation = policy && policy->allow_simulation;
    o.trusted_roots = policy ? (const uint8_t(*)[32])policy->trusted_roots : NULL;
    o.n_trusted_roots = policy ? policy->n_trusted_roots : 0;
    struct bptee_tdx_verified v;
    int rc = bptee_tdx_verify(quote, len, &o, &v);
    if (rc == 0)
        rc = bptee_tdx_policy_check(policy, &v);
    if (rc == 0)
        rc = build_output(evidence, &v, policy, out);
    return rc;
}
