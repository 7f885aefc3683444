// SPDX-License-Identifier: Apache-2.0
/* The PCK chain: PCK leaf -> PCK Platform/Processor CA -> root, all ECDSA P-256 with SHA-256.
 * The root is decided first (the pinned Intel SGX Root CA, a caller-trusted root, or the
 * simulator's), then the path is verified with an X509_STORE holding only that root, at the
 * caller's time; no X509_V_FLAG_X509_STRICT (see attestation-formats.md §7). */
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <stdlib.h>

#include "tdx/internal.h"
#include "util/codec.h"
#include "util/error.h"
#include "util/x509.h"

#define PEM_CERTS_MAX 8

static const char *const pck_names[] = {"PCK certificate", "PCK CA", "root CA"};

/* The certificate whose PEM block starts the text, and in *used how far it reaches: Intel's
 * own (parsed once) when its text or its DER is one of them, else parsed here. NULL at the end
 * of the text (*used 0) or on an error, left on OpenSSL's queue for the caller to judge. */
static X509 *next_cert(const uint8_t *p, size_t n, size_t *used)
{
    X509 *x = tdx_known_cert_at_pem(p, n, used);
    if (x)
        return x;
    unsigned char *der = NULL;
    char *name = NULL;
    long len = 0;
    BIO *b = BIO_new_mem_buf(p, (int)n);
    *used = 0;
    if (!b || !PEM_bytes_read_bio(&der, &len, &name, PEM_STRING_X509, b, NULL, NULL)) {
        BIO_free(b);
        return NULL;
    }
    *used = n - (size_t)BIO_pending(b);
    BIO_free(b);
    if (!(x = tdx_known_cert(der, (size_t)len))) {
        const unsigned char *q = der;
        x = d2i_X509(NULL, &q, len);
    }
    OPENSSL_free(der);
    OPENSSL_free(name);
    return x;
}

int tdx_pem_certs(const uint8_t *pem, size_t len, const char *what, STACK_OF(X509) **out)
{
    while (len && pem[len - 1] == '\0') /* QGS hands the chain out NUL-terminated */
        len--;
    if (len == 0 || len > BPTEE_TDX_COLLATERAL_MAX)
        return fail(BPTEE_EPARSE, "tdx: %s is empty or too large", what);
    STACK_OF(X509) *sk = sk_X509_new_null();
    X509 *x = NULL;
    int rc = sk ? 0 : fail(BPTEE_ENOMEM, "tdx: out of memory");
    ERR_clear_error();
    for (size_t off = 0, used = 0; rc == 0 && (x = next_cert(pem + off, len - off, &used)) != NULL;
         off += used) {
        if (sk_X509_num(sk) >= PEM_CERTS_MAX || !sk_X509_push(sk, x)) {
            X509_free(x);
            rc = fail(BPTEE_ELIMIT, "tdx: %s has more than %d certificates", what, PEM_CERTS_MAX);
        }
    }
    unsigned long err = ERR_peek_last_error();
    /* Running out of certificates ends the loop with "no start line"; anything else is bad. */
    if (rc == 0 && ERR_GET_REASON(err) != PEM_R_NO_START_LINE && err != 0)
        rc = fail_openssl(BPTEE_EPARSE, "tdx: %s does not parse", what);
    if (rc == 0 && sk_X509_num(sk) == 0)
        rc = fail(BPTEE_EPARSE, "tdx: %s holds no PEM certificate", what);
    ERR_clear_error();
    if (rc < 0) {
        sk_X509_pop_free(sk, X509_free);
        return rc;
    }
    *out = sk;
    return 0;
}

/* Verify leaf -> ca -> root at `at` with root as the only trust anchor. */
static int run_store(X509 *leaf, X509 *ca, X509 *root, int64_t at)
{
    STACK_OF(X509) *path = NULL;
    int rc = x509_verify_at("tdx", leaf, ca, root, at, pck_names, &path);
    if (rc == 0 && (sk_X509_num(path) != 3 || X509_cmp(sk_X509_value(path, 1), ca) != 0 ||
                    X509_cmp(sk_X509_value(path, 2), root) != 0))
        rc = fail(BPTEE_EVERIFY, "tdx: PCK chain is not PCK -> PCK CA -> root");
    sk_X509_pop_free(path, X509_free);
    return rc;
}

static int check_p256(EVP_PKEY *k)
{
    char group[32];
    size_t n = 0;
    if (!k || EVP_PKEY_get_base_id(k) != EVP_PKEY_EC ||
        !EVP_PKEY_get_group_name(k, group, sizeof group, &n) || strcmp(group, "prime256v1") != 0) {
        ERR_clear_error();
        return fail(BPTEE_EVERIFY, "tdx: PCK certificate key is not ECDSA P-256");
    }
    return 0;
}

static int describe_root(X509 *root, struct tdx_chain *out)
{
    unsigned len = 32;
    X509 *intel = NULL;
    if (tdx_intel_root(&intel) == 0 && root == intel) /* fingerprint checked at load */
        memcpy(out->root_sha256, tdx_intel_root_sha256, 32);
    else if (!X509_digest(root, EVP_sha256(), out->root_sha256, &len) || len != 32)
        return fail_openssl(BPTEE_ECRYPTO, "tdx: cannot digest the root CA");
    out->root_is_intel = !memcmp(out->root_sha256, tdx_intel_root_sha256, 32);
    out->root_sim_org = x509_name_is_sim(X509_get_subject_name(root));
    return 0;
}

static int fill(X509 *leaf, X509 *ca, X509 *root, struct tdx_chain *out)
{
    X509 *const certs[3] = {leaf, ca, root};
    int rc = tdx_pck_ext_from_x509(leaf, &out->ext);
    if (rc < 0)
        return rc;
    x509_validity_window(certs, 3, &out->not_before, &out->not_after);
    unsigned len = 0;
    if (!X509_digest(ca, EVP_sha256(), out->ca_sha256, &len) || len != 32)
        return fail_openssl(BPTEE_ECRYPTO, "tdx: cannot digest the PCK CA");
    out->pck_key = X509_get_pubkey(leaf);
    out->pck_serial = ASN1_INTEGER_dup(X509_get0_serialNumber(leaf));
    out->ca_serial = ASN1_INTEGER_dup(X509_get0_serialNumber(ca));
    if (!out->pck_key || !out->pck_serial || !out->ca_serial || !X509_up_ref(ca) ||
        !X509_up_ref(root))
        return fail_openssl(BPTEE_ENOMEM, "tdx: out of memory");
    out->pck_ca = ca;
    out->root = root;
    return 0;
}

int tdx_chain_establish(const uint8_t *pem, size_t len, const struct bptee_tdx_verify_opts *o,
                        bool *simulated, struct tdx_chain *out)
{
    if (tdx_chain_fast(pem, len, o->at, out))
        return tdx_trust_root(out, o, simulated); /* Intel's root: trusted, not simulated */
    memset(out, 0, sizeof *out);
    STACK_OF(X509) *sk = NULL;
    int rc = tdx_pem_certs(pem, len, "PCK chain", &sk);
    if (rc < 0)
        return rc;
    int n = sk_X509_num(sk);
    X509 *root = NULL;
    if (n < 2 || n > 3)
        rc = fail(BPTEE_EVERIFY, "tdx: PCK chain has %d certificates (expected PCK, CA, root)",
                  n);
    else if (n == 3)
        root = sk_X509_value(sk, 2);
    else
        rc = tdx_intel_root(&root);
    if (rc == 0)
        rc = describe_root(root, out);
    /* Trust first: a chain to an unknown root is refused for that, whatever else is wrong. */
    if (rc == 0)
        rc = tdx_trust_root(out, o, simulated);
    if (rc == 0)
        rc = check_p256(X509_get0_pubkey(sk_X509_value(sk, 0)));
    if (rc == 0)
        rc = run_store(sk_X509_value(sk, 0), sk_X509_value(sk, 1), root, o->at);
    if (rc == 0)
        rc = fill(sk_X509_value(sk, 0), sk_X509_value(sk, 1), root, out);
    sk_X509_pop_free(sk, X509_free);
    if (rc < 0)
        tdx_chain_release(out);
    return rc;
}

void tdx_chain_release(struct tdx_chain *c)
{
    EVP_PKEY_free(c->pck_key);
    X509_free(c->pck_ca);
    X509_free(c->root);
    ASN1_INTEGER_free(c->pck_serial);
    ASN1_INTEGER_free(c->ca_serial);
    memset(c, 0, sizeof *c);
}

int tdx_chain_copy(const struct tdx_chain *src, struct tdx_chain *dst)
{
    *dst = *src;
    dst->pck_serial = ASN1_INTEGER_dup(src->pck_serial);
    dst->ca_serial = ASN1_INTEGER_dup(src->ca_serial);
    bool refs = EVP_PKEY_up_ref(src->pck_key) == 1;
    refs = (X509_up_ref(src->pck_ca) == 1) & refs;
    refs = (X509_up_ref(src->root) == 1) & refs;
    if (!refs || !dst->pck_serial || !dst->ca_serial) {
        ASN1_INTEGER_free(dst->pck_serial);
        ASN1_INTEGER_free(dst->ca_serial);
        memset(dst, 0, sizeof *dst);
        return fail(BPTEE_ENOMEM, "tdx: out of memory");
    }
    return 0;
}

int tdx_trust_root(const struct tdx_chain *c, const struct bptee_tdx_verify_opts *o,
                   bool *simulated)
{
    *simulated = false;
    if (c->root_is_intel)
        return 0;
    *simulated = true;
    for (size_t i = 0; i < o->n_trusted_roots; i++)
        if (!memcmp(o->trusted_roots[i], c->root_sha256, 32))
            return 0;
    if (c->root_sim_org && o->allow_simulation)
        return 0;
    if (c->root_sim_org)
        return fail(BPTEE_EPOLICY, "tdx: simulated evidence (policy does not allow simulation)");
    char *hex = hex_encode(c->root_sha256, 32);
    int rc = fail(BPTEE_EVERIFY, "tdx: PCK chain root sha256:%s is not the pinned Intel SGX Root "
                                 "CA nor a trusted root",
                  hex ? hex : "?");
    free(hex);
    return rc;
}
