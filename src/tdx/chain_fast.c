// SPDX-License-Identifier: Apache-2.0
/* The PCK chain as nearly every quote carries it, verified without an X509 object for the PCK
 * certificate nor an X509_STORE: a PCK certificate (leaf.c) under one of Intel's CAs that the
 * library holds parsed (known.c), under the pinned Intel SGX Root CA. Each check that
 * X509_verify_cert makes on this chain is made here explicitly, on every call:
 * - the leaf's issuer is the CA's subject (the exact bytes), its authority key identifier
 *   matches the CA (X509_check_akid), the CA and the root are CAs allowed to sign
 *   (X509_check_ca), the CA is issued by the root (X509_check_issued), the root is
 *   self-signed and its path length admits the CA;
 * - no certificate has an invalid or unhandled critical extension: the leaf's extensions are
 *   those of a PCK certificate, each decoded as OpenSSL's extension cache decodes it, and any
 *   extension OpenSSL would judge beyond these sends the chain to the full path;
 * - all three are valid at the caller's time (X509_cmp_time, as the store compares);
 * - all three signatures: the leaf's by the CA over its TBSCertificate bytes, the CA's and
 *   the root's own with X509_verify.
 * Anything else, and every failure, is left to tdx_chain_establish's full path, which then
 * decides with the reason it always gave: this path only ever accepts what that one accepts. */
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "tdx/internal.h"
#include "tdx/leaf.h"
#include "util/error.h"
#include "util/x509.h"

struct parts {
    unsigned char *leaf_der;
    long leaf_len;
    X509 *ca, *root; /* owned references */
};

static bool only_space(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] != ' ' && p[i] != '\t' && p[i] != '\r' && p[i] != '\n')
            return false;
    return true;
}

/* A PEM leaf, then Intel's CA as known, then (or else the built-in) Intel's root as known, then
 * white space only: the same blocks, read the same way, as tdx_pem_certs reads them. */
static bool split(const uint8_t *pem, size_t len, struct parts *out)
{
    while (len && pem[len - 1] == '\0')
        len--;
    size_t used = 0, off = 0;
    X509 *known = len && len <= BPTEE_TDX_COLLATERAL_MAX ? tdx_known_cert_at_pem(pem, len, &used)
                                                           : NULL;
    if (known || len == 0 || len > BPTEE_TDX_COLLATERAL_MAX) {
        X509_free(known);
        return false;
    }
    BIO *b = BIO_new_mem_buf(pem, (int)len);
    char *name = NULL;
    bool ok = b && PEM_bytes_read_bio(&out->leaf_der, &out->leaf_len, &name, PEM_STRING_X509, b,
                                      NULL, NULL);
    off = ok ? len - (size_t)BIO_pending(b) : 0;
    BIO_free(b);
    OPENSSL_free(name);
    if (!ok || !(out->ca = tdx_known_cert_at_pem(pem + off, len - off, &used)))
        return false;
    off += used;
    if ((out->root = tdx_known_cert_at_pem(pem + off, len - off, &used)) != NULL)
        off += used;
    X509 *intel = NULL;
    if (!out->root && (tdx_intel_root(&intel) < 0 || X509_up_ref(intel) != 1))
        return false;
    if (!out->root)
        out->root = intel;
    else if (tdx_intel_root(&intel) < 0)
        return false;
    return out->root == intel && out->ca != intel && only_space(pem + off, len - off);
}

/* The CA and the root as X509_verify_cert judges the upper part of this chain. */
static bool upper_ok(X509 *ca, X509 *root)
{
    const uint32_t bad = EXFLAG_INVALID | EXFLAG_CRITICAL | EXFLAG_PROXY;
    long root_pathlen = X509_get_pathlen(root);
    return X509_check_ca(ca) == 1 && X509_check_ca(root) == 1 &&
           !(X509_get_extension_flags(ca) & bad) && !(X509_get_extension_flags(root) & bad) &&
           (X509_get_extension_flags(root) & EXFLAG_SS) &&
           (root_pathlen == -1 || root_pathlen >= 1) &&
           X509_get_ext_by_NID(ca, NID_name_constraints, -1) < 0 &&
           X509_get_ext_by_NID(root, NID_name_constraints, -1) < 0 &&
           X509_check_issued(root, ca) == X509_V_OK && EVP_PKEY_is_a(X509_get0_pubkey(ca), "EC");
}

static bool dps_ok(const CRL_DIST_POINTS *dps)
{
    for (int i = 0; i < sk_DIST_POINT_num(dps); i++) {
        const DIST_POINT *dp = sk_DIST_POINT_value(dps, i);
        if (!dp->distpoint || dp->distpoint->type != 0) /* a full name */
            return false;
    }
    return true;
}

/* One of the extensions OpenSSL's cache decodes, judged as the cache judges it. */
static bool ext_ok(int nid, X509_EXTENSION *e, X509 *ca)
{
    void *v = X509V3_EXT_d2i(e);
    bool ok = v != NULL;
    if (!ok)
        return false;
    if (nid == NID_basic_constraints) {
        ok = ((BASIC_CONSTRAINTS *)v)->pathlen == NULL;
        BASIC_CONSTRAINTS_free(v);
    } else if (nid == NID_key_usage) {
        const ASN1_BIT_STRING *ku = v;
        ok = ku->length > 0 && (ku->data[0] || (ku->length > 1 && ku->data[1]));
        ASN1_BIT_STRING_free(v);
    } else if (nid == NID_subject_key_identifier) {
        ASN1_OCTET_STRING_free(v);
    } else if (nid == NID_authority_key_identifier) {
        ok = X509_check_akid(ca, v) == X509_V_OK;
        AUTHORITY_KEYID_free(v);
    } else {
        ok = dps_ok(v);
        CRL_DIST_POINTS_free(v);
    }
    return ok;
}

static int ext_bit(int nid)
{
    switch (nid) {
    case NID_basic_constraints: return 1;
    case NID_key_usage: return 2;
    case NID_subject_key_identifier: return 4;
    case NID_authority_key_identifier: return 8;
    case NID_crl_distribution_points: return 16;
    case NID_undef: return 0; /* an OID OpenSSL does not know (the SGX extension): ignored */
    default: return -1;
    }
}

static bool leaf_exts_ok(const struct tdx_leaf *l, X509 *ca)
{
    int seen = 0;
    for (int i = 0; i < sk_X509_EXTENSION_num(l->exts); i++) {
        X509_EXTENSION *e = sk_X509_EXTENSION_value(l->exts, i);
        int nid = OBJ_obj2nid(X509_EXTENSION_get_object(e)), bit = ext_bit(nid);
        if (bit < 0 || (seen & bit) ||
            (X509_EXTENSION_get_critical(e) && !X509_supported_extension(e)))
            return false;
        seen |= bit;
        if (bit && !ext_ok(nid, e, ca))
            return false;
    }
    return true;
}

static bool current(const ASN1_TIME *nb, const ASN1_TIME *na, int64_t at)
{
    time_t t = (time_t)at;
    return X509_cmp_time(nb, &t) < 0 && X509_cmp_time(na, &t) > 0;
}

/* Everything but the signatures: the cheap checks go first, so a chain for the full path
 * costs little here. */
static bool leaf_ok(const struct tdx_leaf *l, X509 *ca, X509 *root, int64_t at)
{
    const unsigned char *subject = NULL;
    size_t subject_len = 0;
    X509_NAME *ca_name = X509_get_subject_name(ca);
    return X509_NAME_get0_der(ca_name, &subject, &subject_len) == 1 &&
           subject_len == l->issuer_len && !memcmp(subject, l->issuer, subject_len) &&
           X509_NAME_cmp(l->subject, ca_name) != 0 && upper_ok(ca, root) &&
           leaf_exts_ok(l, ca) && current(l->not_before, l->not_after, at) &&
           current(X509_get0_notBefore(ca), X509_get0_notAfter(ca), at) &&
           current(X509_get0_notBefore(root), X509_get0_notAfter(root), at);
}

static bool signatures_ok(const struct tdx_leaf *l, X509 *ca, X509 *root)
{
    EVP_PKEY *root_key = X509_get0_pubkey(root);
    EVP_PKEY *ca_key = X509_get0_pubkey(ca);
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    bool ok = ctx && EVP_DigestVerifyInit(ctx, NULL, EVP_sha256(), NULL, ca_key) == 1 &&
              EVP_DigestVerify(ctx, l->sig, l->sig_len, l->tbs, l->tbs_len) == 1;
    EVP_MD_CTX_free(ctx);
    return ok && root_key && X509_verify(ca, root_key) == 1 && X509_verify(root, root_key) == 1;
}

static bool fill(struct tdx_leaf *l, struct parts *p, struct tdx_chain *out)
{
    X509 *const upper[2] = {p->ca, p->root};
    unsigned len = 0;
    if (tdx_pck_ext_from_exts(l->exts, &out->ext) < 0 ||
        !X509_digest(p->ca, EVP_sha256(), out->ca_sha256, &len) || len != 32 ||
        !(out->pck_key = tdx_p256_key_import(l->point)) ||
        !(out->ca_serial = ASN1_INTEGER_dup(X509_get0_serialNumber(p->ca))))
        return false;
    x509_validity_window(upper, 2, &out->not_before, &out->not_after);
    int64_t nb = x509_time_unix(l->not_before), na = x509_time_unix(l->not_after);
    out->not_before = nb > out->not_before ? nb : out->not_before;
    out->not_after = na < out->not_after ? na : out->not_after;
    out->pck_serial = l->serial;
    l->serial = NULL;
    out->pck_ca = p->ca;
    out->root = p->root;
    p->ca = p->root = NULL;
    memcpy(out->root_sha256, tdx_intel_root_sha256, 32); /* the pinned root (split) */
    out->root_is_intel = true;
    out->root_sim_org = x509_name_is_sim(X509_get_subject_name(out->root));
    return true;
}

bool tdx_chain_fast(const uint8_t *pem, size_t len, int64_t at, struct tdx_chain *out)
{
    struct parts p = {0};
    struct tdx_leaf l;
    memset(out, 0, sizeof *out);
    bool ok = split(pem, len, &p) &&
              tdx_leaf_parse(p.leaf_der, (size_t)p.leaf_len, &l) == 0;
    if (ok) {
        ok = leaf_ok(&l, p.ca, p.root, at) && signatures_ok(&l, p.ca, p.root) &&
             fill(&l, &p, out);
        tdx_leaf_release(&l);
    }
    OPENSSL_free(p.leaf_der);
    X509_free(p.ca);
    X509_free(p.root);
    ERR_clear_error();
    if (!ok) {
        tdx_chain_release(out);
        bptee_clear_error();
    }
    return ok;
}
