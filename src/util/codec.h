/* SPDX-License-Identifier: Apache-2.0 */
/* Hex and base64 (over libsodium) and one-shot digests (over OpenSSL EVP). */
#ifndef BPTEE_UTIL_CODEC_H
#define BPTEE_UTIL_CODEC_H

#include <stddef.h>
#include <stdint.h>

/* Lowercase hex of bin into a malloc'd string (NULL on out of memory). */
char *hex_encode(const uint8_t *bin, size_t len);

/* Decode hex (either case, no separators) of exactly want bytes; the error names `what`. */
int hex_decode_exact(const char *hex, uint8_t *out, size_t want, const char *what);

/* Decode hex of any length into a malloc'd buffer. */
int hex_decode_alloc(const char *hex, uint8_t **out, size_t *len, const char *what);

/* Standard base64 with padding, malloc'd (NULL on out of memory). */
char *b64_encode(const uint8_t *bin, size_t len);

/* Decode standard or URL-safe base64, padded or not, into a malloc'd buffer. */
int b64_decode_alloc(const char *b64, size_t b64_len, uint8_t **out, size_t *len,
                     const char *what);

void sha256(const void *data, size_t len, uint8_t out[32]);
void sha384(const void *data, size_t len, uint8_t out[48]);
void sha512(const void *data, size_t len, uint8_t out[64]);

#endif
