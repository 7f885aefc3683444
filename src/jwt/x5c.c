// SPDX-License-Identifier: Apache-2.0
/* A key's x5c chain: each certificate signed by the next, the last by itself, every one valid
 * at the verification time. The set itself is the trust anchor (the caller pinned it); the
 * chain only has to be what it claims to be. */
#include <openssl/x509v3.h>

#include "jwt/internal.h"
#include "util/error.h"
#include "util/x509.h"

int jwk_x5c_check(const struct jwk *k, int64_t at)
{
    int n = k->x5c ? sk_X509_num(k->x5c) : 0;
    for (int i = 0; i < n; i++) {
        X509 *c = sk_X509_value(k->x5c, i);
        X509 *issuer = i + 1 < n ? sk_X509_value(k->x5c, i + 1) : c;
        if (at < x509_time_unix(X509_get0_notBefore(c)) ||
            at > x509_time_unix(X509_get0_notAfter(c)))
            return fail(BPTEE_EEXPIRED, "jwt: x5c[%d] of key '%s' is not valid at the "
                                        "verification time",
                        i, k->kid ? k->kid : "");
        if (X509_check_issued(issuer, c) != X509_V_OK ||
            X509_verify(c, X509_get0_pubkey(issuer)) != 1)
            return fail_openssl(BPTEE_EVERIFY, "jwt: x5c[%d] of key '%s' is not signed by %s", i,
                                k->kid ? k->kid : "", i + 1 < n ? "the next certificate"
                                                                : "itself");
    }
    return 0;
}
