/* SPDX-License-Identifier: Apache-2.0 */
/* OpenSSL X.509 steps the SEV-SNP and TDX verifiers (and the simulators) take alike (private).
 * `mod` begins every error message ("snp", "tdx"), so each module keeps its own wording. */
#ifndef BPTEE_UTIL_X509_H
#define BPTEE_UTIL_X509_H

#include <openssl/x509.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Unix seconds of an ASN1_TIME; 0 when absent or unreadable. */
int64_t x509_time_unix(const ASN1_TIME *t);

/* Whether a name carries O = BPTEE_SIM_ORG: the mark of the simulators' certificates. */
bool x509_name_is_sim(const X509_NAME *n);

/* The window where all n certificates are valid: the latest notBefore, the earliest notAfter. */
void x509_validity_window(X509 *const *certs, size_t n, int64_t *not_before, int64_t *not_after);

/* Map an X509_verify_cert failure to a code and reason naming the certificate (names[depth])
 * and the time ("verification", "collateral") it was judged at. */
int x509_store_error(const char *mod, X509_STORE_CTX *ctx, const char *const *names, size_t n_names,
                     const char *when);

/* Verify leaf -> inter (untrusted) -> anchor (the only trust anchor) at `at`, self-signed
 * signatures checked, errors naming names[0..2]. On success *path is the verified chain (a new
 * reference, released with sk_X509_pop_free(path, X509_free)) for the caller's shape check. */
int x509_verify_at(const char *mod, X509 *leaf, X509 *inter, X509 *anchor, int64_t at,
                   const char *const names[3], STACK_OF(X509) **path);

#endif
