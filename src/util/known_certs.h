/* SPDX-License-Identifier: Apache-2.0 */
/* Certificates the library carries (AMD's roots and intermediates, Intel's root and PCK CA),
 * parsed once, and recognised again by their exact DER (private). Evidence usually carries
 * these very certificates, and OpenSSL 3.0 spends more decoding a certificate's key than
 * verifying a signature with it; parsing is deterministic, so the copy parsed once stands for
 * the caller's. This saves parsing only: trust still comes from each module's pinned
 * fingerprints, and every signature of a chain is still verified on every call. */
#ifndef BPTEE_UTIL_KNOWN_CERTS_H
#define BPTEE_UTIL_KNOWN_CERTS_H

#include <openssl/x509.h>
#include <stddef.h>
#include <stdint.h>

struct known_cert {
    X509 *cert; /* borrowed from its module, which keeps it for the process */
    uint8_t *der;
    size_t len;
    char *pem; /* as PEM_write_X509 writes it: the text KDS, PCS and QGS serve */
    size_t pem_len;
};

struct known_certs {
    struct known_cert *items;
    size_t n, cap;
};

/* Remember x (its DER is encoded now); 0, or a negative code with the reason set. */
int known_certs_add(struct known_certs *k, X509 *x, const char *mod);
/* The known certificate with exactly these DER bytes (borrowed), or NULL. */
X509 *known_certs_find(const struct known_certs *k, const uint8_t *der, size_t len);
/* The known certificate whose PEM text starts the text (after white space), and in *used how
 * many bytes that takes; NULL when none does (the caller decodes the text as usual). */
const struct known_cert *known_certs_at_pem(const struct known_certs *k, const uint8_t *text,
                                            size_t len, size_t *used);

#endif
