// SPDX-License-Identifier: Apache-2.0
/* JWS compact serialization: header.payload.signature, each strict base64url without padding,
 * header and payload JSON objects (duplicate keys refused: a second "alg" or "exp" must not
 * hide behind the first). */
#include <openssl/evp.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "jwt/internal.h"
#include "util/error.h"
#include "util/json.h"

/* The alphabet is checked here and the decoding done by OpenSSL's EVP_DecodeBlock, several
 * times faster than libsodium's constant-time decoder (tokens are public: nothing to hide);
 * the bits past the last byte must be zero, so each token has exactly one spelling. */
static int b64url_char(char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    return c == '-' ? 62 : c == '_' ? 63 : -1;
}

int jwt_b64url(const char *s, size_t len, uint8_t **out, size_t *out_len, const char *what)
{
    size_t rem = len % 4, pad = rem ? 4 - rem : 0;
    int last = len ? b64url_char(s[len - 1]) : 0;
    bool canonical = rem != 1 && (rem != 2 || (last & 0x0f) == 0) &&
                     (rem != 3 || (last & 0x03) == 0);
    char *std = malloc(len + pad + 1);
    uint8_t *buf = malloc((len + pad) / 4 * 3 + 1);
    if (!std || !buf) {
        free(std);
        free(buf);
        return fail(BPTEE_ENOMEM, "jwt: out of memory");
    }
    for (size_t i = 0; i < len && canonical; i++) {
        canonical = b64url_char(s[i]) >= 0;
        std[i] = s[i] == '-' ? '+' : s[i] == '_' ? '/' : s[i];
    }
    memset(std + len, '=', pad);
    int n = canonical ? EVP_DecodeBlock(buf, (const unsigned char *)std, (int)(len + pad)) : -1;
    free(std);
    if (n < 0 || (size_t)n < pad) {
        free(buf);
        return fail(BPTEE_EPARSE, "jwt: %s is not base64url without padding", what);
    }
    *out = buf;
    *out_len = (size_t)n - pad;
    return 0;
}

/* A part's JSON object; *text (when asked for) keeps the decoded bytes, NUL-terminated. */
static int json_part(const char *s, size_t len, const char *what, json_t **out, char **text,
                     size_t *text_len)
{
    uint8_t *raw = NULL;
    size_t n = 0;
    int rc = jwt_b64url(s, len, &raw, &n, what);
    if (rc < 0)
        return rc;
    char label[32];
    snprintf(label, sizeof label, "jwt: %s", what);
    rc = json_parse_capped((const char *)raw, n, BPTEE_JWT_MAX, label, out);
    if (rc == 0 && !json_is_object(*out)) {
        json_decref(*out);
        *out = NULL;
        rc = fail(BPTEE_EPARSE, "jwt: %s is not a JSON object", what);
    }
    if (rc == 0 && text) {
        raw[n] = '\0'; /* jwt_b64url leaves room: the padding's bytes at least */
        *text = (char *)raw;
        *text_len = n;
        return 0;
    }
    free(raw);
    return rc;
}

void jwt_parts_release(struct jwt_parts *p)
{
    json_decref(p->header);
    json_decref(p->payload);
    free(p->payload_text);
    free(p->sig);
    memset(p, 0, sizeof *p);
}

int jwt_split(const uint8_t *token, size_t len, struct jwt_parts *p)
{
    memset(p, 0, sizeof *p);
    while (len > 0 && (token[len - 1] == '\n' || token[len - 1] == '\r'))
        len--; /* a token file ends with a newline */
    if (len > BPTEE_JWT_MAX)
        return fail(BPTEE_ELIMIT, "jwt: token of %zu bytes exceeds %u", len, BPTEE_JWT_MAX);
    const char *t = (const char *)token;
    const char *d1 = memchr(t, '.', len);
    const char *d2 = d1 ? memchr(d1 + 1, '.', len - (size_t)(d1 + 1 - t)) : NULL;
    if (!d1 || !d2 || memchr(d2 + 1, '.', len - (size_t)(d2 + 1 - t)))
        return fail(BPTEE_EPARSE, "jwt: not three dot-separated parts (a JWE or JSON "
                                  "serialization is not accepted)");
    p->signing_input = t;
    p->signing_len = (size_t)(d2 - t);
    int rc = json_part(t, (size_t)(d1 - t), "header", &p->header, NULL, NULL);
    if (rc == 0)
        rc = json_part(d1 + 1, (size_t)(d2 - d1 - 1), "payload", &p->payload, &p->payload_text,
                       &p->payload_len);
    if (rc == 0)
        rc = jwt_b64url(d2 + 1, len - (size_t)(d2 + 1 - t), &p->sig, &p->sig_len, "signature");
    if (rc < 0)
        jwt_parts_release(p);
    return rc;
}

int bptee_jwt_detect(const uint8_t *data, size_t len)
{
    if (!data || len < 5 || len > BPTEE_JWT_MAX + 2 || data[0] != 'e') /* '{' encodes as "ey" */
        return 0;
    struct jwt_parts p;
    int rc = jwt_split(data, len, &p);
    bptee_clear_error();
    int is = rc == 0 && json_is_string(json_object_get(p.header, "alg"));
    if (rc == 0)
        jwt_parts_release(&p);
    return is;
}

int bptee_jwt_decode(const uint8_t *token, size_t len, char **header_json, char **payload_json)
{
    if (!token || !header_json || !payload_json)
        return fail(BPTEE_EINVAL, "jwt: missing argument");
    struct jwt_parts p;
    int rc = jwt_split(token, len, &p);
    if (rc < 0)
        return rc;
    *header_json = json_to_string(p.header, 1);
    *payload_json = json_to_string(p.payload, 1);
    jwt_parts_release(&p);
    if (!*header_json || !*payload_json) {
        free(*header_json);
        free(*payload_json);
        return fail(BPTEE_ENOMEM, "jwt: out of memory");
    }
    return 0;
}
