// SPDX-License-Identifier: Apache-2.0
/* bptee_tdx_verify, in order: parse and check the header; the PCK chain (cached) to a trusted
 * root; the QE report signature by the PCK key; the attestation key as a P-256 point; the QE's
 * binding of that key (REPORTDATA = SHA-256(key || QE auth data) || 32 zero bytes); the quote
 * signature over header (|| v5 descriptor) || body; then, with collateral, its verification
 * (cached by content, collateral_cache.c) and the TCB evaluation. Any failure rejects; nothing is partially true. */
#include <openssl/evp.h>
#include <time.h>

#include "tdx/internal.h"
#include "util/error.h"

static int check_opts(const struct bptee_tdx_verify_opts *o)
{
    if (o->sz < sizeof(struct bptee_tdx_verify_opts))
        return fail(BPTEE_EINVAL, "tdx: verify options of an unknown size %zu", o->sz);
    if ((o->pck_chain_len && !o->pck_chain) || (o->n_trusted_roots && !o->trusted_roots))
        return fail(BPTEE_EINVAL, "tdx: verify options: a length without its buffer");
    return 0;
}

static int chain_for(const uint8_t *pem, size_t len, const struct bptee_tdx_verify_opts *o,
                     struct tdx_chain *c, bool *simulated)
{
    if (tdx_cache_lookup(pem, len, o->at, c)) {
        int rc = tdx_trust_root(c, o, simulated);
        if (rc < 0)
            tdx_chain_release(c);
        return rc;
    }
    int rc = tdx_chain_establish(pem, len, o, simulated, c);
    if (rc == 0)
        tdx_cache_store(pem, len, c);
    return rc;
}

static int check_binding(const struct bptee_tdx_quote *q)
{
    uint8_t digest[32];
    unsigned n = 0;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    int ok = ctx && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) == 1 &&
             EVP_DigestUpdate(ctx, q->attest_key, 64) == 1 &&
             EVP_DigestUpdate(ctx, q->qe_auth_data, q->qe_auth_data_len) == 1 &&
             EVP_DigestFinal_ex(ctx, digest, &n) == 1 && n == 32;
    EVP_MD_CTX_free(ctx);
    if (!ok)
        return fail_openssl(BPTEE_ECRYPTO, "tdx: SHA-256");
    if (memcmp(digest, q->qe_report.report_data, 32) != 0 ||
        !all_zero(q->qe_report.report_data + 32, 32))
        return fail(BPTEE_EVERIFY, "tdx: QE report REPORTDATA does not bind the attestation key");
    return 0;
}

static int check_signatures(const uint8_t *quote, const struct bptee_tdx_quote *q,
                            EVP_PKEY *pck_key)
{
    int ok = tdx_p256_verify(pck_key, q->qe_report_signature, q->qe_report_raw,
                             BPTEE_TDX_SGX_REPORT_SIZE);
    if (ok < 0)
        return ok;
    if (!ok)
        return fail(BPTEE_EVERIFY, "tdx: QE report signature does not verify with the PCK key");
    EVP_PKEY *ak = NULL;
    int rc = tdx_attest_key_get(q->attest_key, &ak);
    if (rc == 0)
        rc = check_binding(q);
    if (rc == 0 && (ok = tdx_p256_verify(ak, q->signature, quote, q->signed_len)) <= 0)
        rc = ok < 0 ? ok
                    : fail(BPTEE_EVERIFY, "tdx: quote signature does not verify with the "
                                          "attestation key");
    EVP_PKEY_free(ak);
    return rc;
}

static void fill_out(struct bptee_tdx_verified *out, const struct bptee_tdx_quote *q,
                     const struct tdx_chain *c, bool simulated)
{
    out->quote = *q;
    out->pck = c->ext;
    out->simulated = simulated;
    memcpy(out->root_sha256, c->root_sha256, 32);
    out->chain_not_before = c->not_before;
    out->chain_not_after = c->not_after;
}

static int verify(const uint8_t *quote, size_t len, const struct bptee_tdx_verify_opts *o,
                  struct bptee_tdx_verified *out)
{
    struct bptee_tdx_quote q;
    int rc = bptee_tdx_quote_parse(quote, len, &q);
    if (rc < 0)
        return rc;
    if (memcmp(q.qe_vendor_id, tdx_intel_qe_vendor_id, 16) != 0)
        return fail(BPTEE_EVERIFY, "tdx: QE vendor id is not Intel's quoting enclave");
    const uint8_t *pem = o->pck_chain ? o->pck_chain : q.pck_chain;
    size_t pem_len = o->pck_chain ? o->pck_chain_len : q.pck_chain_len;
    struct tdx_chain c;
    bool simulated = false;
    if ((rc = chain_for(pem, pem_len, o, &c, &simulated)) < 0)
        return rc;
    rc = check_signatures(quote, &q, c.pck_key);
    memset(out, 0, sizeof *out);
    if (rc == 0)
        fill_out(out, &q, &c, simulated);
    if (rc == 0 && o->collateral) {
        int64_t cat = o->collateral_at ? o->collateral_at : o->at;
        rc = tdx_collateral_verify(o->collateral, &c, cat);
        if (rc == 0)
            rc = tdx_tcb_evaluate(o->collateral, &q, &c.ext, cat, out);
    }
    tdx_chain_release(&c);
    return rc;
}

int bptee_tdx_verify(const uint8_t *quote, size_t len, const struct bptee_tdx_verify_opts *opts,
                     struct bptee_tdx_verified *out)
{
    if (!quote || !opts || !out)
        return fail(BPTEE_EINVAL, "tdx: verify: missing argument");
    int rc = check_opts(opts);
    if (rc < 0)
        return rc;
    struct bptee_tdx_verify_opts o = *opts;
    if (o.at == 0)
        o.at = (int64_t)time(NULL);
    return verify(quote, len, &o, out);
}
