// SPDX-License-Identifier: Apache-2.0
/* X.509 helpers shared by the verifiers: times, the simulation marker, validity windows, and
 * X509_STORE verification at a caller-given time. */
#include <openssl/err.h>
#include <string.h>
#include <time.h>

#include <bptee/sim.h>

#include "util/error.h"
#include "util/x509.h"

int64_t x509_time_unix(const ASN1_TIME *t)
{
    struct tm tm;
    if (!t || !ASN1_TIME_to_tm(t, &tm))
        return 0;
    return (int64_t)timegm(&tm);
}

bool x509_name_is_sim(const X509_NAME *n)
{
    size_t want = strlen(BPTEE_SIM_ORG);
    for (int i = -1; (i = X509_NAME_get_index_by_NID(n, NID_organizationName, i)) >= 0;) {
        const ASN1_STRING *s = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(n, i));
        if ((size_t)ASN1_STRING_length(s) == want &&
            !memcmp(ASN1_STRING_get0_data(s), BPTEE_SIM_ORG, want))
            return true;
    }
    return false;
}

void x509_validity_window(X509 *const *certs, size_t n, int64_t *not_before, int64_t *not_after)
{
    *not_before = INT64_MIN;
    *not_after = INT64_MAX;
    for (size_t i = 0; i < n; i++) {
        int64_t nb = x509_time_unix(X509_get0_notBefore(certs[i]));
        int64_t na = x509_time_unix(X509_get0_notAfter(certs[i]));
        if (nb > *not_before)
            *not_before = nb;
        if (na < *not_after)
            *not_after = na;
    }
}

int x509_store_error(const char *mod, X509_STORE_CTX *ctx, const char *const *names, size_t n_names,
                     const char *when)
{
    int err = X509_STORE_CTX_get_error(ctx), depth = X509_STORE_CTX_get_error_depth(ctx);
    const char *who = depth >= 0 && (size_t)depth < n_names ? names[depth] : "certificate";
    ERR_clear_error();
    if (err == X509_V_ERR_CERT_HAS_EXPIRED)
        return fail(BPTEE_EEXPIRED, "%s: %s has expired at the %s time", mod, who, when);
    if (err == X509_V_ERR_CERT_NOT_YET_VALID)
        return fail(BPTEE_EEXPIRED, "%s: %s is not yet valid at the %s time", mod, who, when);
    return fail(BPTEE_EVERIFY, "%s: certificate chain: %s: %s", mod, who,
                X509_verify_cert_error_string(err));
}

int x509_verify_at(const char *mod, X509 *leaf, X509 *inter, X509 *anchor, int64_t at,
                   const char *const names[3], STACK_OF(X509) **path)
{
    X509_STORE *store = X509_STORE_new();
    X509_STORE_CTX *ctx = X509_STORE_CTX_new();
    STACK_OF(X509) *untrusted = sk_X509_new_null();
    int rc = 0;
    *path = NULL;
    if (!store || !ctx || !untrusted || !X509_STORE_add_cert(store, anchor) ||
        !sk_X509_push(untrusted, inter) || !X509_STORE_CTX_init(ctx, store, leaf, untrusted)) {
        rc = fail_openssl(BPTEE_ECRYPTO, "%s: certificate store", mod);
        goto out;
    }
    X509_VERIFY_PARAM *vp = X509_STORE_CTX_get0_param(ctx);
    X509_VERIFY_PARAM_set_time(vp, (time_t)at); /* sets X509_V_FLAG_USE_CHECK_TIME */
    X509_VERIFY_PARAM_set_flags(vp, X509_V_FLAG_CHECK_SS_SIGNATURE);
    if (X509_verify_cert(ctx) != 1)
        rc = x509_store_error(mod, ctx, names, 3, "verification");
    else if (!(*path = X509_STORE_CTX_get1_chain(ctx)))
        rc = fail_openssl(BPTEE_ENOMEM, "%s: out of memory", mod);
out:
    sk_X509_free(untrusted);
    X509_STORE_CTX_free(ctx);
    X509_STORE_free(store);
    return rc;
}
