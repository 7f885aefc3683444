// SPDX-License-Identifier: Apache-2.0
/* SEV-SNP evidence: the report and the certificates it came with (or the caller's), verified
 * by the snp module against AMD's roots, then held to the policy's "sev_snp" section. */
#include <stdlib.h>
#include <string.h>

#include "util/error.h"
#include "verify/internal.h"

static int kind_of(const char *name)
{
    if (!strcmp(name, "vcek"))
        return BPTEE_SNP_CERT_VCEK;
    if (!strcmp(name, "vlek"))
        return BPTEE_SNP_CERT_VLEK;
    if (!strcmp(name, "ask") || !strcmp(name, "asvk"))
        return BPTEE_SNP_CERT_ASK;
    if (!strcmp(name, "ark"))
        return BPTEE_SNP_CERT_ARK;
    return BPTEE_SNP_CERT_OTHER;
}

/* The evidence's certificates as a GHCB table, the form the snp verifier reads. */
static int table_from_evidence(const struct bptee_report *ev, uint8_t **table, size_t *len)
{
    struct bptee_snp_cert certs[BPTEE_SNP_CERTTABLE_MAX];
    size_t n = 0, count = bptee_report_certificate_count(ev);
    *table = NULL;
    *len = 0;
    for (size_t i = 0; i < count; i++) {
        const char *kind;
        const uint8_t *der;
        size_t der_len;
        int rc = bptee_report_certificate(ev, i, &kind, &der, &der_len);
        if (rc < 0)
            return rc;
        int k = kind_of(kind);
        if (k == BPTEE_SNP_CERT_OTHER)
            continue;
        if (n >= BPTEE_SNP_CERTTABLE_MAX)
            return fail(BPTEE_ELIMIT, "verify: evidence carries too many certificates");
        certs[n] = (struct bptee_snp_cert){.kind = k, .der = der, .der_len = der_len};
        n++;
    }
    return n ? bptee_snp_certtable_serialize(certs, n, table, len) : 0;
}

int snp_output_base(const struct bptee_report *ev, int provider, struct bptee_report **out)
{
    struct bptee_report *r = NULL;
    size_t ev_len = 0;
    const uint8_t *ev_bytes = bptee_report_evidence(ev, &ev_len);
    int rc = bptee_report_new(&r);
    if (rc == 0)
        rc = bptee_report_set_provider(r, provider);
    if (rc == 0)
        rc = bptee_report_set_format(r, BPTEE_FORMAT_SEV_SNP_REPORT);
    if (rc == 0)
        rc = bptee_report_set_issued_at(r, bptee_report_issued_at(ev));
    if (rc == 0)
        rc = bptee_report_set_evidence(r, ev_bytes, ev_len);
    for (size_t i = 0; rc == 0 && i < bptee_report_certificate_count(ev); i++) {
        const char *kind;
        const uint8_t *der;
        size_t der_len;
        rc = bptee_report_certificate(ev, i, &kind, &der, &der_len);
        if (rc == 0)
            rc = bptee_report_add_certificate(r, kind, der, der_len);
    }
    if (rc < 0) {
        bptee_report_free(r);
        return rc;
    }
    *out = r;
    return 0;
}

static int build_output(const struct bptee_report *ev, const struct bptee_snp_verified *v,
                        const struct snp_policy *p, struct bptee_report **out)
{
    struct bptee_report *r = NULL;
    int rc = snp_output_base(ev, BPTEE_PROVIDER_AMD_SEV_SNP, &r);
    if (rc == 0)
        rc = snp_claims_fill(r, v, p);
    if (rc < 0) {
        bptee_report_free(r);
        return rc;
    }
    *out = r;
    return 0;
}

int snp_verify_report(const struct bptee_report *ev, const uint8_t *report, size_t len,
                      const struct bptee_verify_opts *o, const struct bptee_policy *p,
                      struct bptee_snp_verified *v)
{
    uint8_t *table = NULL;
    size_t table_len = 0;
    int rc = table_from_evidence(ev, &table, &table_len);
    if (rc < 0)
        return rc;
    BPTEE_OPTS(bptee_snp_verify_opts, so, .at = o->at, .vcek = o->vcek, .vcek_len = o->vcek_len,
               .chain = o->chain, .chain_len = o->chain_len, .certtable = table,
               .certtable_len = table_len,
               .trusted_roots = (const uint8_t(*)[32])p->snp.trusted_roots,
               .n_trusted_roots = p->snp.n_trusted_roots,
               .allow_simulation = p->snp.allow_simulation);
    rc = bptee_snp_verify(report, len, &so, v);
    free(table);
    return rc;
}

int verify_snp(const struct bptee_report *ev, const struct bptee_verify_opts *o,
               const struct bptee_policy *p, struct bptee_report **out)
{
    size_t len = 0;
    const uint8_t *report = bptee_report_evidence(ev, &len);
    if (!report || len == 0)
        return fail(BPTEE_EPARSE, "verify: evidence carries no SEV-SNP report");
    struct bptee_snp_verified v;
    int rc = snp_verify_report(ev, report, len, o, p, &v);
    if (rc == 0)
        rc = policy_snp_check(&p->snp, &v);
    if (rc == 0)
        rc = build_output(ev, &v, &p->snp, out);
    return rc;
}
