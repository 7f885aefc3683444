// SPDX-License-Identifier: Apache-2.0
/* bptee_snp_verify: report checks, endorsement chain (cached), then the report signature and
 * the VCEK's claims about this chip and TCB. Any failure rejects; nothing is partially true. */
#include <string.h>
#include <time.h>

#include "snp/internal.h"
#include "util/bytes.h"
#include "util/error.h"
#include "util/opts.h"

/* Copy the caller's options: an older caller's shorter struct leaves the new fields zero; a
 * newer caller's longer struct is refused unless its extra fields are zero (unknown options
 * cannot be honoured). */
static int copy_opts(const struct bptee_snp_verify_opts *in, struct bptee_snp_verify_opts *o)
{
    int rc = opts_copy(in, o, sizeof *o, "snp: verify");
    if (rc < 0)
        return rc;
    if ((o->vcek_len && !o->vcek) || (o->chain_len && !o->chain) ||
        (o->certtable_len && !o->certtable) || (o->n_trusted_roots && !o->trusted_roots))
        return fail(BPTEE_EINVAL, "snp: verify options: a length without its buffer");
    return 0;
}

static int chain_for(const struct snp_inputs *in, const struct bptee_snp_report *r, int key,
                     const struct bptee_snp_verify_opts *o, struct snp_verified_chain *v,
                     bool *simulated, int *product)
{
    int rc;
    if (snp_cache_lookup(in, key, o->at, v)) {
        /* Trust and product depend on this call's options and report, not the cache's. */
        if ((rc = snp_trust_ark(&v->chain, o, simulated)) < 0 ||
            (rc = snp_product_resolve(r, &v->leaf, v->chain.ark_product, product)) < 0)
            return rc;
        return 0;
    }
    if ((rc = snp_chain_establish(in, r, key, o, v)) < 0)
        return rc;
    snp_cache_store(in, key, v);
    if ((rc = snp_trust_ark(&v->chain, o, simulated)) < 0)
        return rc;
    return snp_product_resolve(r, &v->leaf, v->chain.ark_product, product);
}

static void fill_out(struct bptee_snp_verified *out, const struct bptee_snp_report *r,
                     const struct snp_verified_chain *v, int product, bool simulated)
{
    memset(out, 0, sizeof *out);
    out->report = *r;
    out->product = product;
    out->signing_key = (int)BPTEE_SNP_SIGNING_KEY(r->signer_info);
    bptee_snp_tcb_decode(r->reported_tcb, product, &out->reported_tcb);
    bptee_snp_tcb_decode(r->current_tcb, product, &out->current_tcb);
    bptee_snp_tcb_decode(r->committed_tcb, product, &out->committed_tcb);
    bptee_snp_tcb_decode(r->launch_tcb, product, &out->launch_tcb);
    out->simulated = simulated;
    memcpy(out->ark_sha256, v->chain.ark_sha256, 32);
    out->chain_not_before = v->chain.not_before;
    out->chain_not_after = v->chain.not_after;
}

static int verify(const uint8_t *report, size_t len, struct bptee_snp_verify_opts *o,
                  struct bptee_snp_verified *out)
{
    struct bptee_snp_report r;
    int rc = bptee_snp_report_parse(report, len, &r);
    if (rc < 0)
        return rc;
    int key = (int)BPTEE_SNP_SIGNING_KEY(r.signer_info);
    if (key == BPTEE_SNP_KEY_NONE)
        return fail(BPTEE_EVERIFY, "snp: report is not signed (SIGNING_KEY 7 = none)");
    struct snp_inputs in;
    struct snp_verified_chain v = {0};
    bool simulated = false;
    int product = 0;
    rc = snp_inputs_gather(o, key, &in);
    if (rc == 0)
        rc = chain_for(&in, &r, key, o, &v, &simulated, &product);
    snp_inputs_release(&in);
    if (rc == 0)
        rc = snp_signature_verify(v.pkey, report);
    if (rc == 0)
        rc = snp_leaf_check(&v.leaf, &r, product, key);
    if (rc == 0)
        fill_out(out, &r, &v, product, simulated);
    EVP_PKEY_free(v.pkey);
    return rc;
}

int bptee_snp_verify(const uint8_t *report, size_t len, const struct bptee_snp_verify_opts *opts,
                     struct bptee_snp_verified *out)
{
    if (!report || !opts || !out)
        return fail(BPTEE_EINVAL, "snp: verify: missing argument");
    struct bptee_snp_verify_opts o;
    int rc = copy_opts(opts, &o);
    if (rc < 0)
        return rc;
    if (o.at == 0)
        o.at = (int64_t)time(NULL);
    return verify(report, len, &o, out);
}
