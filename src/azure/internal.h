/* SPDX-License-Identifier: Apache-2.0 */
/* The azure module's helpers shared with the simulator (private). */
#ifndef BPTEE_AZURE_INTERNAL_H
#define BPTEE_AZURE_INTERNAL_H

#include <openssl/evp.h>
#include <stddef.h>
#include <stdint.h>

/* An AK as DER SubjectPublicKeyInfo (nothing after it) or PEM; NULL if neither. */
EVP_PKEY *azure_ak_read(const uint8_t *ak, size_t len);

/* bptee_azure_hcl_ak and bptee_tpm_quote_verify with the key as OpenSSL holds it: the
 * verifier skips encoding the AK to DER and decoding it again (OpenSSL 3's decoders cost as
 * much as the RSA verify itself). */
struct bptee_azure_hcl;
struct bptee_tpm_quote;
int azure_hcl_ak_key(const struct bptee_azure_hcl *hcl, EVP_PKEY **out);
int azure_quote_verify_key(const struct bptee_tpm_quote *q, EVP_PKEY *k, const uint8_t *nonce,
                           size_t nonce_len);

#endif
