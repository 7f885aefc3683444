// SPDX-License-Identifier: Apache-2.0
/* The AMD certificate chain: every signature RSASSA-PSS (SHA-384, MGF1-SHA-384, salt 48), the
 * ARK as the only trust anchor, the ASK/ASVK untrusted, validity at the caller's time. No
 * X509_V_FLAG_X509_STRICT: genuine VCEKs have serial 0 and no AKID. */
#include <openssl/err.h>
#include <openssl/rsa.h>
#include <openssl/x509v3.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <bptee/sim.h>

#include "snp/internal.h"
#include "util/codec.h"
#include "util/error.h"

static const char *const depth_names[] = {"VCEK", "ASK", "ARK"};

int64_t snp_asn1_time_unix(const ASN1_TIME *t)
{
    struct tm tm;
    if (!t || !ASN1_TIME_to_tm(t, &tm))
        return 0;
    return (int64_t)timegm(&tm);
}

static bool hash_is_sha384(const X509_ALGOR *a)
{
    return a && OBJ_obj2nid(a->algorithm) == NID_sha384;
}

/* MGF1's parameter is the AlgorithmIdentifier of its hash. */
static bool mgf1_is_sha384(const X509_ALGOR *mgf)
{
    if (!mgf || OBJ_obj2nid(mgf->algorithm) != NID_mgf1 || !mgf->parameter ||
        mgf->parameter->type != V_ASN1_SEQUENCE)
        return false;
    const ASN1_STRING *seq = mgf->parameter->value.sequence;
    const unsigned char *p = seq->data;
    X509_ALGOR *h = d2i_X509_ALGOR(NULL, &p, seq->length);
    bool ok = h && p == seq->data + seq->length && hash_is_sha384(h);
    X509_ALGOR_free(h);
    return ok;
}

static bool pss_params_ok(const RSA_PSS_PARAMS *pss)
{
    return hash_is_sha384(pss->hashAlgorithm) && mgf1_is_sha384(pss->maskGenAlgorithm) &&
           pss->saltLength && ASN1_INTEGER_get(pss->saltLength) == 48 &&
           (!pss->trailerField || ASN1_INTEGER_get(pss->trailerField) == 1);
}

static int check_pss(const X509 *x, int depth)
{
    const X509_ALGOR *alg = NULL;
    const ASN1_OBJECT *obj = NULL;
    const void *pval = NULL;
    int ptype = 0;
    X509_get0_signature(NULL, &alg, x);
    X509_ALGOR_get0(&obj, &ptype, &pval, alg);
    bool ok = false;
    if (OBJ_obj2nid(obj) == NID_rsassaPss && ptype == V_ASN1_SEQUENCE) {
        const ASN1_STRING *seq = pval;
        const unsigned char *p = seq->data;
        RSA_PSS_PARAMS *pss = d2i_RSA_PSS_PARAMS(NULL, &p, seq->length);
        ok = pss && p == seq->data + seq->length && pss_params_ok(pss);
        RSA_PSS_PARAMS_free(pss);
    }
    ERR_clear_error();
    if (!ok)
        return fail(BPTEE_EVERIFY,
                    "snp: %s signature is not RSASSA-PSS with SHA-384, MGF1-SHA-384, salt 48",
                    depth_names[depth]);
    return 0;
}

static int x509_error(X509_STORE_CTX *ctx)
{
    int err = X509_STORE_CTX_get_error(ctx), depth = X509_STORE_CTX_get_error_depth(ctx);
    const char *who = depth >= 0 && depth <= 2 ? depth_names[depth] : "certificate";
    ERR_clear_error();
    if (err == X509_V_ERR_CERT_HAS_EXPIRED)
        return fail(BPTEE_EEXPIRED, "snp: %s has expired at the verification time", who);
    if (err == X509_V_ERR_CERT_NOT_YET_VALID)
        return fail(BPTEE_EEXPIRED, "snp: %s is not yet valid at the verification time", who);
    return fail(BPTEE_EVERIFY, "snp: certificate chain: %s: %s", who,
                X509_verify_cert_error_string(err));
}

static int run_store(X509 *leaf, X509 *inter, X509 *ark, int64_t at)
{
    X509_STORE *store = X509_STORE_new();
    X509_STORE_CTX *ctx = X509_STORE_CTX_new();
    STACK_OF(X509) *untrusted = sk_X509_new_null();
    int rc = BPTEE_ECRYPTO;
    if (!store || !ctx || !untrusted || !X509_STORE_add_cert(store, ark) ||
        !sk_X509_push(untrusted, inter) || !X509_STORE_CTX_init(ctx, store, leaf, untrusted)) {
        rc = fail_openssl(BPTEE_ECRYPTO, "snp: certificate store");
        goto out;
    }
    X509_VERIFY_PARAM *vp = X509_STORE_CTX_get0_param(ctx);
    X509_VERIFY_PARAM_set_time(vp, (time_t)at); /* sets X509_V_FLAG_USE_CHECK_TIME */
    X509_VERIFY_PARAM_set_flags(vp, X509_V_FLAG_CHECK_SS_SIGNATURE);
    if (X509_verify_cert(ctx) != 1) {
        rc = x509_error(ctx);
        goto out;
    }
    /* The path must be exactly leaf -> given intermediate -> pinned ARK. */
    STACK_OF(X509) *path = X509_STORE_CTX_get0_chain(ctx);
    if (sk_X509_num(path) != 3 || sk_X509_value(path, 1) != inter || sk_X509_value(path, 2) != ark)
        rc = fail(BPTEE_EVERIFY, "snp: certificate chain is not VCEK -> ASK -> ARK");
    else
        rc = 0;
out:
    sk_X509_free(untrusted);
    X509_STORE_CTX_free(ctx);
    X509_STORE_free(store);
    return rc;
}

static bool subject_is_sim(X509 *x)
{
    X509_NAME *n = X509_get_subject_name(x);
    for (int i = -1; (i = X509_NAME_get_index_by_NID(n, NID_organizationName, i)) >= 0;) {
        const ASN1_STRING *s = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(n, i));
        size_t len = strlen(BPTEE_SIM_ORG);
        if ((size_t)ASN1_STRING_length(s) == len &&
            !memcmp(ASN1_STRING_get0_data(s), BPTEE_SIM_ORG, len))
            return true;
    }
    return false;
}

static void validity_window(X509 *const certs[3], struct snp_chain *out)
{
    out->not_before = INT64_MIN;
    out->not_after = INT64_MAX;
    for (int i = 0; i < 3; i++) {
        int64_t nb = snp_asn1_time_unix(X509_get0_notBefore(certs[i]));
        int64_t na = snp_asn1_time_unix(X509_get0_notAfter(certs[i]));
        if (nb > out->not_before)
            out->not_before = nb;
        if (na < out->not_after)
            out->not_after = na;
    }
}

int snp_chain_describe_ark(X509 *ark, struct snp_chain *out)
{
    unsigned len = 0;
    if (!X509_digest(ark, EVP_sha256(), out->ark_sha256, &len) || len != 32)
        return fail_openssl(BPTEE_ECRYPTO, "snp: cannot digest the ARK");
    out->ark_product = snp_builtin_product_of(out->ark_sha256);
    out->ark_sim_org = subject_is_sim(ark);
    return 0;
}

int snp_chain_verify(X509 *leaf, X509 *inter, X509 *ark, int64_t at, struct snp_chain *out)
{
    X509 *const certs[3] = {leaf, inter, ark};
    int rc;
    for (int i = 0; i < 3; i++)
        if ((rc = check_pss(certs[i], i)) < 0)
            return rc;
    if ((rc = run_store(leaf, inter, ark, at)) < 0)
        return rc;
    validity_window(certs, out);
    return 0;
}

int snp_trust_ark(const struct snp_chain *c, const struct bptee_snp_verify_opts *o,
                  bool *simulated)
{
    *simulated = false;
    if (c->ark_product != BPTEE_SNP_PRODUCT_UNKNOWN)
        return 0;
    *simulated = true;
    for (size_t i = 0; i < o->n_trusted_roots; i++)
        if (!memcmp(o->trusted_roots[i], c->ark_sha256, 32))
            return 0;
    if (c->ark_sim_org && o->allow_simulation)
        return 0;
    if (c->ark_sim_org)
        return fail(BPTEE_EPOLICY, "simulated evidence (policy does not allow simulation)");
    char *hex = hex_encode(c->ark_sha256, 32);
    int rc = fail(BPTEE_EVERIFY, "snp: ARK sha256:%s is not a pinned AMD root nor a trusted root",
                  hex ? hex : "?");
    free(hex);
    return rc;
}
