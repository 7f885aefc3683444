// SPDX-License-Identifier: Apache-2.0
/* Strict base64url without padding (RFC 7515 §2), decoded in one pass through a lookup table:
 * a token's parts are public, so nothing calls for libsodium's constant-time decoder, and this
 * runs on every byte of every token (several times faster than translating the alphabet for
 * OpenSSL's EVP_DecodeBlock). Exactly one spelling per byte string: a length of 1 mod 4 and
 * set bits past the last byte are refused. */
#include <stdlib.h>
#include <string.h>

#include "jwt/internal.h"
#include "util/error.h"

#define BAD 0x40 /* outside the alphabet; the six value bits never reach it */

static const uint8_t dec[256] = {
#define B8 BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD
    B8, B8, B8, B8, B8,
    BAD, BAD, BAD, BAD, BAD, 62, BAD, BAD,                  /* '-' */
    52, 53, 54, 55, 56, 57, 58, 59, 60, 61, BAD, BAD, BAD, BAD, BAD, BAD, /* '0'..'9' */
    BAD, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14,
    15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, BAD, BAD, BAD, BAD, 63, /* 'A'..'Z', '_' */
    BAD, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40,
    41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, BAD, BAD, BAD, BAD, BAD, /* 'a'..'z' */
    B8, B8, B8, B8, B8, B8, B8, B8, B8, B8, B8, B8, B8, B8, B8, B8,
#undef B8
};

_Static_assert(sizeof dec == 256, "one entry per byte value");

int jwt_b64url_into(const char *s, size_t len, uint8_t *out, size_t *out_len)
{
    const uint8_t *in = (const uint8_t *)s;
    size_t full = len / 4, rem = len % 4, o = 0;
    unsigned bad = 0, spare = 0;
    if (rem == 1)
        return -1;
    for (size_t i = 0; i < full; i++, in += 4, o += 3) {
        unsigned a = dec[in[0]], b = dec[in[1]], c = dec[in[2]], d = dec[in[3]];
        bad |= a | b | c | d;
        uint32_t v = (uint32_t)a << 18 | (uint32_t)b << 12 | (uint32_t)c << 6 | d;
        out[o] = (uint8_t)(v >> 16);
        out[o + 1] = (uint8_t)(v >> 8);
        out[o + 2] = (uint8_t)v;
    }
    if (rem) {
        unsigned a = dec[in[0]], b = dec[in[1]], c = rem == 3 ? dec[in[2]] : 0;
        bad |= a | b | c;
        out[o++] = (uint8_t)(a << 2 | (b & 0x3f) >> 4);
        if (rem == 3)
            out[o++] = (uint8_t)((b & 0x0f) << 4 | (c & 0x3f) >> 2);
        /* the unused low bits of the last character must be zero */
        spare = rem == 2 ? (b & 0x0f) : (c & 0x03);
    }
    if ((bad & BAD) || spare)
        return -1;
    *out_len = o;
    return 0;
}

int jwt_b64url(const char *s, size_t len, uint8_t **out, size_t *out_len, const char *what)
{
    uint8_t *buf = malloc(len / 4 * 3 + 3);
    if (!buf)
        return fail(BPTEE_ENOMEM, "jwt: out of memory");
    if (jwt_b64url_into(s, len, buf, out_len) < 0) {
        free(buf);
        return fail(BPTEE_EPARSE, "jwt: %s is not base64url without padding", what);
    }
    *out = buf;
    return 0;
}
