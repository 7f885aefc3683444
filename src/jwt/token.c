// SPDX-License-Identifier: Apache-2.0
/* JWS compact serialization: header.payload.signature, each strict base64url without padding,
 * header and payload JSON objects (duplicate keys refused: a second "alg" or "exp" must not
 * hide behind the first). */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "jwt/internal.h"
#include "util/error.h"
#include "util/json.h"

int jwt_b64url(const char *s, size_t len, uint8_t **out, size_t *out_len, const char *what)
{
    uint8_t *buf = malloc(len / 4 * 3 + 3);
    const char *end = NULL;
    if (!buf)
        return fail(BPTEE_ENOMEM, "jwt: out of memory");
    if (sodium_base642bin(buf, len / 4 * 3 + 3, s, len, NULL, out_len, &end,
                          sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
        end != s + len) {
        free(buf);
        return fail(BPTEE_EPARSE, "jwt: %s is not base64url without padding", what);
    }
    *out = buf;
    return 0;
}

static int json_part(const char *s, size_t len, const char *what, json_t **out)
{
    uint8_t *raw = NULL;
    size_t n = 0;
    int rc = jwt_b64url(s, len, &raw, &n, what);
    if (rc < 0)
        return rc;
    char label[32];
    snprintf(label, sizeof label, "jwt: %s", what);
    rc = json_parse_capped((const char *)raw, n, BPTEE_JWT_MAX, label, out);
    free(raw);
    if (rc == 0 && !json_is_object(*out)) {
        json_decref(*out);
        *out = NULL;
        return fail(BPTEE_EPARSE, "jwt: %s is not a JSON object", what);
    }
    return rc;
}

void jwt_parts_release(struct jwt_parts *p)
{
    json_decref(p->header);
    json_decref(p->payload);
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
    int rc = json_part(t, (size_t)(d1 - t), "header", &p->header);
    if (rc == 0)
        rc = json_part(d1 + 1, (size_t)(d2 - d1 - 1), "payload", &p->payload);
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
