// SPDX-License-Identifier: Apache-2.0
/* Verifying collateral against the quote's verified PCK chain: the TCB signing certificate
 * chains to the same root (Intel's, or the trusted/simulated one), the TCB info and QE identity
 * signatures cover their exact served bytes, and the CRLs are signed by their issuers, current
 * at the collateral time, and do not list the PCK, its CA or the TCB signing certificate. */
#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "tdx/internal.h"
#include "util/error.h"
#include "util/x509.h"

#define SIGNER_CN "Intel SGX TCB Signing"

static const char *const signing_names[] = {"TCB signing certificate", "root CA"};

static int check_signer_name(X509 *x)
{
    char cn[128] = "";
    X509_NAME_get_text_by_NID(X509_get_subject_name(x), NID_commonName, cn, sizeof cn);
    ERR_clear_error();
    if (strcmp(cn, SIGNER_CN) != 0)
        return fail(BPTEE_EVERIFY, "tdx: collateral signer is \"%s\", not \"%s\"", cn, SIGNER_CN);
    return 0;
}

static int verify_signer(X509 *signer, X509 *root, int64_t at)
{
    X509_STORE *store = X509_STORE_new();
    X509_STORE_CTX *ctx = X509_STORE_CTX_new();
    int rc;
    if (!store || !ctx || !X509_STORE_add_cert(store, root) ||
        !X509_STORE_CTX_init(ctx, store, signer, NULL)) {
        rc = fail_openssl(BPTEE_ECRYPTO, "tdx: certificate store");
    } else {
        X509_VERIFY_PARAM_set_time(X509_STORE_CTX_get0_param(ctx), (time_t)at);
        if (X509_verify_cert(ctx) != 1)
            rc = x509_store_error("tdx", ctx, signing_names, 2, "collateral");
        else if (sk_X509_num(X509_STORE_CTX_get0_chain(ctx)) != 2)
            rc = fail(BPTEE_EVERIFY, "tdx: TCB signing certificate is not issued by the root CA");
        else
            rc = 0;
    }
    X509_STORE_CTX_free(ctx);
    X509_STORE_free(store);
    return rc;
}

/* The TCB signing certificate, verified at `at` under the PCK chain's root. */
static int signer_get(const struct bptee_tdx_collateral *c, const struct tdx_chain *chain,
                      int64_t at, X509 **out)
{
    if (!c->signing_chain)
        return fail(BPTEE_EINVAL, "tdx: collateral: TCB info or QE identity given without the "
                                  "TCB signing chain");
    int n = sk_X509_num(c->signing_chain);
    X509 *signer = sk_X509_value(c->signing_chain, 0);
    if (n > 2)
        return fail(BPTEE_EVERIFY, "tdx: TCB signing chain has %d certificates (signer, root)", n);
    if (n == 2 && X509_cmp(sk_X509_value(c->signing_chain, 1), chain->root) != 0)
        return fail(BPTEE_EVERIFY, "tdx: TCB signing chain is not rooted in the PCK chain's root "
                                   "CA");
    int rc = check_signer_name(signer);
    if (rc == 0)
        rc = verify_signer(signer, chain->root, at);
    if (rc == 0)
        *out = signer;
    return rc;
}

static int check_signed(const struct tdx_signed_json *s, X509 *signer, const char *what)
{
    int ok = tdx_p256_verify(X509_get0_pubkey(signer), s->signature, s->raw + s->body_off,
                             s->body_len);
    if (ok < 0)
        return ok;
    if (!ok)
        return fail(BPTEE_EVERIFY, "tdx: %s signature does not verify with the TCB signing key",
                    what);
    return 0;
}

struct revocable {
    const ASN1_INTEGER *serial;
    const char *name;
};

/* The CRL's issuer, signature and currency at `at`; its window narrows *nb..*na. */
static int check_crl(X509_CRL *crl, X509 *issuer, int64_t at, const char *what, int64_t *nb,
                     int64_t *na)
{
    if (X509_NAME_cmp(X509_CRL_get_issuer(crl), X509_get_subject_name(issuer)) != 0)
        return fail(BPTEE_EVERIFY, "tdx: %s is not issued by the certificate it applies to", what);
    int ok = X509_CRL_verify(crl, X509_get0_pubkey(issuer)) == 1;
    ERR_clear_error();
    if (!ok)
        return fail(BPTEE_EVERIFY, "tdx: %s signature does not verify", what);
    const ASN1_TIME *next_update = X509_CRL_get0_nextUpdate(crl);
    int64_t last = x509_time_unix(X509_CRL_get0_lastUpdate(crl));
    int64_t next = next_update ? x509_time_unix(next_update) : 0;
    if (at < last)
        return fail(BPTEE_EEXPIRED, "tdx: %s is not yet valid at the collateral time", what);
    if (!next_update || at > next)
        return fail(BPTEE_EEXPIRED, "tdx: %s has expired at the collateral time", what);
    *nb = last > *nb ? last : *nb;
    *na = next < *na ? next : *na;
    return 0;
}

static int check_revoked(X509_CRL *crl, const struct revocable *certs, size_t n, const char *what)
{
    for (size_t i = 0; i < n; i++) {
        X509_REVOKED *rev = NULL;
        if (certs[i].serial && X509_CRL_get0_by_serial(crl, &rev, certs[i].serial) == 1)
            return fail(BPTEE_EVERIFY, "tdx: %s is revoked by the %s", certs[i].name, what);
    }
    return 0;
}

int tdx_collateral_authenticate(const struct bptee_tdx_collateral *c,
                                const struct tdx_chain *chain, int64_t at,
                                int64_t *not_before, int64_t *not_after)
{
    X509 *signer = NULL;
    int rc = 0;
    *not_before = INT64_MIN;
    *not_after = INT64_MAX;
    if (c->has_tcb_info || c->has_qe_identity)
        rc = signer_get(c, chain, at, &signer);
    if (signer) {
        X509 *const certs[2] = {signer, chain->root};
        x509_validity_window(certs, 2, not_before, not_after);
    }
    if (rc == 0 && c->has_tcb_info)
        rc = check_signed(&c->tcb_info, signer, "TCB info");
    if (rc == 0 && c->has_qe_identity)
        rc = check_signed(&c->qe_identity, signer, "QE identity");
    if (rc == 0 && c->root_crl)
        rc = check_crl(c->root_crl, chain->root, at, "root CA CRL", not_before, not_after);
    if (rc == 0 && c->pck_crl)
        rc = check_crl(c->pck_crl, chain->pck_ca, at, "PCK CA CRL", not_before, not_after);
    return rc;
}

int tdx_collateral_check_revocation(const struct bptee_tdx_collateral *c,
                                    const struct tdx_chain *chain)
{
    int rc = 0;
    if (c->root_crl) {
        /* The TCB signing certificate was authenticated under this root; look it up as well. */
        X509 *signer = c->signing_chain ? sk_X509_value(c->signing_chain, 0) : NULL;
        const struct revocable certs[] = {
            {chain->ca_serial, "PCK CA"},
            {signer && (c->has_tcb_info || c->has_qe_identity) ? X509_get0_serialNumber(signer)
                                                              : NULL,
             "TCB signing certificate"},
        };
        rc = check_revoked(c->root_crl, certs, 2, "root CA CRL");
    }
    if (rc == 0 && c->pck_crl) {
        const struct revocable certs[] = {{chain->pck_serial, "PCK certificate"}};
        rc = check_revoked(c->pck_crl, certs, 1, "PCK CA CRL");
    }
    return rc;
}
