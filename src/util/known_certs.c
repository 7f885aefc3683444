// SPDX-License-Identifier: Apache-2.0
/* Known certificates by exact DER or PEM text (see known_certs.h). The sets are filled once, under each
 * module's pthread_once, and only read afterwards, so lookups need no lock. */
#include <openssl/pem.h>
#include <stdlib.h>
#include <string.h>

#include "util/error.h"
#include "util/known_certs.h"

/* The certificate as PEM_write_X509 writes it, in a malloc'd buffer. */
static char *pem_text(X509 *x, size_t *len)
{
    BIO *b = BIO_new(BIO_s_mem());
    char *data = NULL, *copy = NULL;
    long n = b && PEM_write_bio_X509(b, x) ? BIO_get_mem_data(b, &data) : 0;
    if (n > 0 && (copy = malloc((size_t)n)) != NULL) {
        memcpy(copy, data, (size_t)n);
        *len = (size_t)n;
    }
    BIO_free(b);
    return copy;
}

int known_certs_add(struct known_certs *k, X509 *x, const char *mod)
{
    unsigned char *der = NULL;
    size_t pem_len = 0;
    int len = i2d_X509(x, &der);
    char *pem = len > 0 ? pem_text(x, &pem_len) : NULL;
    if (!pem || k->n >= k->cap) {
        OPENSSL_free(der);
        free(pem);
        return fail_openssl(BPTEE_ECRYPTO, "%s: cannot remember a built-in certificate", mod);
    }
    k->items[k->n++] = (struct known_cert){
        .cert = x, .der = der, .len = (size_t)len, .pem = pem, .pem_len = pem_len};
    return 0;
}

X509 *known_certs_find(const struct known_certs *k, const uint8_t *der, size_t len)
{
    for (size_t i = 0; i < k->n; i++)
        if (k->items[i].len == len && !memcmp(k->items[i].der, der, len))
            return k->items[i].cert;
    return NULL;
}

const struct known_cert *known_certs_at_pem(const struct known_certs *k, const uint8_t *text,
                                            size_t len, size_t *used)
{
    size_t ws = 0;
    while (ws < len && (text[ws] == ' ' || text[ws] == '\t' || text[ws] == '\r' ||
                        text[ws] == '\n'))
        ws++;
    for (size_t i = 0; i < k->n; i++)
        if (k->items[i].pem_len <= len - ws && !memcmp(text + ws, k->items[i].pem,
                                                       k->items[i].pem_len)) {
            *used = ws + k->items[i].pem_len;
            return &k->items[i];
        }
    return NULL;
}
