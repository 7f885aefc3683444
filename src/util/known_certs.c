// SPDX-License-Identifier: Apache-2.0
/* Known certificates by exact DER (see known_certs.h). The sets are filled once, under each
 * module's pthread_once, and only read afterwards, so lookups need no lock. */
#include <string.h>

#include "util/error.h"
#include "util/known_certs.h"

int known_certs_add(struct known_certs *k, X509 *x, const char *mod)
{
    unsigned char *der = NULL;
    int len = i2d_X509(x, &der);
    if (len <= 0 || k->n >= k->cap) {
        OPENSSL_free(der);
        return fail_openssl(BPTEE_ECRYPTO, "%s: cannot remember a built-in certificate", mod);
    }
    k->items[k->n++] = (struct known_cert){.cert = x, .der = der, .len = (size_t)len};
    return 0;
}

X509 *known_certs_find(const struct known_certs *k, const uint8_t *der, size_t len)
{
    for (size_t i = 0; i < k->n; i++)
        if (k->items[i].len == len && !memcmp(k->items[i].der, der, len))
            return k->items[i].cert;
    return NULL;
}
