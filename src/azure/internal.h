/* SPDX-License-Identifier: Apache-2.0 */
/* The azure module's helpers shared with the simulator (private). */
#ifndef BPTEE_AZURE_INTERNAL_H
#define BPTEE_AZURE_INTERNAL_H

#include <openssl/evp.h>
#include <stddef.h>
#include <stdint.h>

/* An AK as DER SubjectPublicKeyInfo (nothing after it) or PEM; NULL if neither. */
EVP_PKEY *azure_ak_read(const uint8_t *ak, size_t len);

#endif
