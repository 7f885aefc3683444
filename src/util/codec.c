// SPDX-License-Identifier: Apache-2.0
#include <openssl/evp.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "util/codec.h"
#include "util/error.h"

char *hex_encode(const uint8_t *bin, size_t len)
{
    char *s = malloc(len * 2 + 1);
    if (s)
        sodium_bin2hex(s, len * 2 + 1, bin, len);
    return s;
}

int hex_decode_exact(const char *hex, uint8_t *out, size_t want, const char *what)
{
    size_t n = strlen(hex), got = 0;
    const char *end = NULL;
    if (n != want * 2)
        return fail(BPTEE_EPARSE, "%s: expected %zu hex characters, got %zu", what, want * 2, n);
    if (sodium_hex2bin(out, want, hex, n, NULL, &got, &end) != 0 || got != want || *end != '\0')
        return fail(BPTEE_EPARSE, "%s: not a hex string", what);
    return 0;
}

int hex_decode_alloc(const char *hex, uint8_t **out, size_t *len, const char *what)
{
    size_t n = strlen(hex);
    if (n % 2)
        return fail(BPTEE_EPARSE, "%s: odd number of hex characters", what);
    uint8_t *buf = malloc(n / 2 + 1);
    if (!buf)
        return fail(BPTEE_ENOMEM, "%s: out of memory", what);
    int r = hex_decode_exact(hex, buf, n / 2, what);
    if (r < 0) {
        free(buf);
        return r;
    }
    *out = buf;
    *len = n / 2;
    return 0;
}

char *b64_encode(const uint8_t *bin, size_t len)
{
    size_t n = sodium_base64_encoded_len(len, sodium_base64_VARIANT_ORIGINAL);
    char *s = malloc(n);
    if (s)
        sodium_bin2base64(s, n, bin, len, sodium_base64_VARIANT_ORIGINAL);
    return s;
}

int b64_decode_alloc(const char *b64, size_t b64_len, uint8_t **out, size_t *len,
                     const char *what)
{
    static const int variants[] = {
        sodium_base64_VARIANT_ORIGINAL, sodium_base64_VARIANT_ORIGINAL_NO_PADDING,
        sodium_base64_VARIANT_URLSAFE, sodium_base64_VARIANT_URLSAFE_NO_PADDING};
    uint8_t *buf = malloc(b64_len / 4 * 3 + 3);
    if (!buf)
        return fail(BPTEE_ENOMEM, "%s: out of memory", what);
    for (size_t i = 0; i < sizeof variants / sizeof variants[0]; i++) {
        size_t got = 0;
        const char *end = NULL;
        if (sodium_base642bin(buf, b64_len / 4 * 3 + 3, b64, b64_len, NULL, &got, &end,
                              variants[i]) == 0 &&
            end == b64 + b64_len) {
            *out = buf;
            *len = got;
            return 0;
        }
    }
    free(buf);
    return fail(BPTEE_EPARSE, "%s: not valid base64", what);
}

static void digest(const EVP_MD *md, const void *data, size_t len, uint8_t *out)
{
    unsigned int n = 0;
    /* One-shot EVP_Digest only fails on allocation failure; a zeroed digest then never
     * matches anything a verifier expects, so callers fail closed. */
    if (!EVP_Digest(data, len, out, &n, md, NULL))
        memset(out, 0, (size_t)EVP_MD_get_size(md));
}

void sha256(const void *data, size_t len, uint8_t out[32])
{
    digest(EVP_sha256(), data, len, out);
}
void sha384(const void *data, size_t len, uint8_t out[48])
{
    digest(EVP_sha384(), data, len, out);
}
void sha512(const void *data, size_t len, uint8_t out[64])
{
    digest(EVP_sha512(), data, len, out);
}
