// SPDX-License-Identifier: Apache-2.0
/* The AMD certificate chain: every signature RSASSA-PSS (SHA-384, MGF1-SHA-384, salt 48), the
 * ARK as the only trust anchor, the ASK/ASVK untrusted, validity at the caller's time. No
 * X509_V_FLAG_X509_STRICT: genuine VCEKs have serial 0 and no AKID. */
#include <openssl/err.h>
#include <openssl/rsa.h>
#include <openssl/x509v3.h>
#include <stdlib.h>
#include <string.h>

#include "snp/internal.h"
#include "util/codec.h"
#include "util/error.h"
#include "util/x509.h"

static const char *const depth_names[] = {"VCEK", "ASK", "ARK"};

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

static int run_store(X509 *leaf, X509 *inter, X509 *ark, int64_t at)
{
    STACK_OF(X509) *path = NULL;
    int rc = x509_verify_at("snp", leaf, inter, ark, at, depth_names, &path);
    /* The path must be exactly leaf -> given intermediate -> pinned ARK. */
    if (rc == 0 && (sk_X509_num(path) != 3 || sk_X509_value(path, 1) != inter ||
                    sk_X509_value(path, 2) != ark))
        rc = fail(BPTEE_EVERIFY, "snp: certificate chain is not VCEK -> ASK -> ARK");
    sk_X509_pop_free(path, X509_free);
    return rc;
}

int snp_chain_describe_ark(X509 *ark, struct snp_chain *out)
{
    unsigned len = 32;
    if (!snp_builtin_ark_sha256(ark, out->ark_sha256) &&
        (!X509_digest(ark, EVP_sha256(), out->ark_sha256, &len) || len != 32))
        return fail_openssl(BPTEE_ECRYPTO, "snp: cannot digest the ARK");
    out->ark_product = snp_builtin_product_of(out->ark_sha256);
    out->ark_sim_org = x509_name_is_sim(X509_get_subject_name(ark));
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
    x509_validity_window(certs, 3, &out->not_before, &out->not_after);
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
