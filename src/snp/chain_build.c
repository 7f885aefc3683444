// SPDX-License-Identifier: Apache-2.0
/* Turning the gathered DER certificates into a verified chain: find the leaf, intermediate and
 * ARK (AMD's built-in ones fill what the caller left out), settle the product, decide whether
 * the ARK is trusted, then let OpenSSL verify the path. */
#include <openssl/err.h>
#include <openssl/x509v3.h>
#include <string.h>

#include "snp/internal.h"
#include "util/error.h"

struct parsed {
    X509 *leaf, *inter, *ark;
    X509 *owned[SNP_MAX_CHAIN + 1];
    size_t n_owned;
};

static void parsed_release(struct parsed *p)
{
    for (size_t i = 0; i < p->n_owned; i++)
        X509_free(p->owned[i]);
}

static int parse_der(struct parsed *ps, struct der d, const char *what, X509 **out)
{
    if ((*out = snp_builtin_find(d.p, d.n)) != NULL)
        return 0; /* AMD's own ASK/ASVK/ARK, parsed once at load */
    const unsigned char *p = d.p;
    X509 *x = d2i_X509(NULL, &p, (long)d.n);
    if (!x || p != d.p + d.n) {
        X509_free(x);
        return fail_openssl(BPTEE_EVERIFY, "snp: %s is not a DER X.509 certificate", what);
    }
    ps->owned[ps->n_owned++] = x;
    *out = x;
    return 0;
}

static bool self_signed(X509 *x)
{
    bool ss = X509_check_issued(x, x) == X509_V_OK;
    ERR_clear_error();
    return ss;
}

static bool has_ec_key(X509 *x)
{
    EVP_PKEY *k = X509_get0_pubkey(x);
    return k && EVP_PKEY_get_base_id(k) == EVP_PKEY_EC;
}

/* Sort the chain certificates into leaf (when not given apart), intermediate and ARK. */
static int classify(struct parsed *ps, const struct snp_inputs *in)
{
    int rc;
    if (in->leaf.n && (rc = parse_der(ps, in->leaf, "VCEK", &ps->leaf)) < 0)
        return rc;
    for (size_t i = 0; i < in->n_chain; i++) {
        X509 *x;
        if ((rc = parse_der(ps, in->chain[i], "chain certificate", &x)) < 0)
            return rc;
        X509 **slot = self_signed(x) ? &ps->ark : has_ec_key(x) ? &ps->leaf : &ps->inter;
        if (*slot)
            return fail(BPTEE_EVERIFY, "snp: certificate chain holds two %s certificates",
                        slot == &ps->ark ? "ARK" : slot == &ps->leaf ? "VCEK" : "ASK");
        *slot = x;
    }
    if (!ps->leaf)
        return fail(BPTEE_ENOTFOUND, "snp: no VCEK/VLEK given (a certificate table, --vcek or "
                                     "the evidence's certificates must carry it)");
    return 0;
}

int snp_product_resolve(const struct bptee_snp_report *r, const struct snp_leaf_info *li,
                        int ark_product, int *product)
{
    int by_cpuid = bptee_snp_report_product(r), p = by_cpuid;
    if (p == BPTEE_SNP_PRODUCT_UNKNOWN)
        p = li->product;
    else if (li->product != BPTEE_SNP_PRODUCT_UNKNOWN && li->product != p)
        return fail(BPTEE_EVERIFY, "snp: VCEK is for %s but the report's CPUID says %s",
                    bptee_snp_product_name(li->product), bptee_snp_product_name(p));
    if (p == BPTEE_SNP_PRODUCT_UNKNOWN)
        return fail(BPTEE_EVERIFY, "snp: cannot tell the product (no CPUID in the report, no "
                                   "productName or SEV-<product> issuer in the VCEK)");
    if (ark_product != BPTEE_SNP_PRODUCT_UNKNOWN && ark_product != p)
        return fail(BPTEE_EVERIFY, "snp: certificate chain ends in the %s ARK but the report is "
                                   "from %s",
                    bptee_snp_product_name(ark_product), bptee_snp_product_name(p));
    *product = p;
    return 0;
}

/* An intermediate named "SEV-<product>" or "SEV-VLEK-<product>" must be the report's. */
static int check_inter_product(X509 *inter, int product)
{
    char cn[64];
    int p = BPTEE_SNP_PRODUCT_UNKNOWN;
    if (X509_NAME_get_text_by_NID(X509_get_subject_name(inter), NID_commonName, cn, sizeof cn) <=
        0) {
        ERR_clear_error();
        return 0;
    }
    const char *dash = strrchr(cn, '-');
    if (strncmp(cn, "SEV-", 4) || !dash || bptee_snp_product_parse(dash + 1, &p) < 0)
        return 0; /* not an AMD-style name (a simulator's); the path check decides */
    if (p != product)
        return fail(BPTEE_EVERIFY, "snp: ASK is for %s but the report is from %s",
                    bptee_snp_product_name(p), bptee_snp_product_name(product));
    return 0;
}

/* Fill intermediate and ARK from the built-in roots where the caller gave none. */
static int fill_builtin(struct parsed *ps, int product, int signing_key)
{
    if (ps->inter && ps->ark)
        return 0;
    const struct snp_builtin *b;
    int rc = snp_builtin_get(product, !ps->inter && signing_key == BPTEE_SNP_KEY_VLEK, &b);
    if (rc < 0)
        return rc;
    if (!ps->ark)
        ps->ark = b->ark;
    if (!ps->inter)
        ps->inter = signing_key == BPTEE_SNP_KEY_VLEK ? b->asvk : b->ask;
    return 0;
}

static int check_leaf_key(X509 *leaf, EVP_PKEY **pkey)
{
    EVP_PKEY *k = X509_get_pubkey(leaf);
    char group[32] = "";
    size_t glen = 0;
    if (!k || EVP_PKEY_get_base_id(k) != EVP_PKEY_EC ||
        !EVP_PKEY_get_group_name(k, group, sizeof group, &glen) || strcmp(group, "secp384r1")) {
        EVP_PKEY_free(k);
        ERR_clear_error();
        return fail(BPTEE_EVERIFY, "snp: VCEK key is not an EC P-384 key");
    }
    *pkey = k;
    return 0;
}

static int establish(struct parsed *ps, const struct snp_inputs *in,
                     const struct bptee_snp_report *r, int signing_key,
                     const struct bptee_snp_verify_opts *o, struct snp_verified_chain *out)
{
    int rc, product = 0;
    bool simulated;
    if ((rc = classify(ps, in)) < 0 || (rc = snp_leaf_info_read(ps->leaf, &out->leaf)) < 0)
        return rc;
    int ark_product = BPTEE_SNP_PRODUCT_UNKNOWN;
    bool ark_given = ps->ark != NULL;
    if (ark_given && (rc = snp_chain_describe_ark(ps->ark, &out->chain)) < 0)
        return rc;
    if (ark_given)
        ark_product = out->chain.ark_product;
    if ((rc = snp_product_resolve(r, &out->leaf, ark_product, &product)) < 0 ||
        (rc = fill_builtin(ps, product, signing_key)) < 0 ||
        (!ark_given && (rc = snp_chain_describe_ark(ps->ark, &out->chain)) < 0) ||
        (rc = snp_trust_ark(&out->chain, o, &simulated)) < 0 ||
        (rc = check_inter_product(ps->inter, product)) < 0 ||
        (rc = snp_chain_verify(ps->leaf, ps->inter, ps->ark, o->at, &out->chain)) < 0)
        return rc;
    return check_leaf_key(ps->leaf, &out->pkey);
}

int snp_chain_establish(const struct snp_inputs *in, const struct bptee_snp_report *r,
                        int signing_key, const struct bptee_snp_verify_opts *o,
                        struct snp_verified_chain *out)
{
    struct parsed ps;
    memset(&ps, 0, sizeof ps);
    memset(out, 0, sizeof *out);
    int rc = establish(&ps, in, r, signing_key, o, out);
    parsed_release(&ps);
    return rc;
}
