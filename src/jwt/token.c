// SPDX-License-Identifier: Apache-2.0
/* JWS compact serialization: header.payload.signature, each strict base64url without padding,
 * header and payload JSON objects (duplicate keys refused: a second "alg" or "exp" must not
 * hide behind the first), validated by json_scan.c, which also finds the members the verifier
 * reads. */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "jwt/internal.h"
#include "util/error.h"
#include "util/json.h"

/* The header members the verifier reads, and the registered time claims of the payload. */
static const char *const header_names[JWT_HDR_COUNT] = {
    [JWT_HDR_ALG] = "alg", [JWT_HDR_KID] = "kid", [JWT_HDR_CRIT] = "crit", [JWT_HDR_X5C] = "x5c",
};
static const char *const claim_names[JWT_CLAIM_COUNT] = {
    [JWT_CLAIM_EXP] = "exp", [JWT_CLAIM_NBF] = "nbf", [JWT_CLAIM_IAT] = "iat",
};

/* One part decoded into dst (NUL-terminated when text), *len its decoded size. */
static int decode_part(const char *s, size_t len, const char *what, uint8_t *dst, size_t *out)
{
    if (jwt_b64url_into(s, len, dst, out) < 0)
        return fail(BPTEE_EPARSE, "jwt: %s is not base64url without padding", what);
    dst[*out] = '\0';
    return 0;
}

char *jwt_span_strdup(const struct json_span *sp)
{
    if (!sp->escaped)
        return strndup(sp->p, sp->len);
    /* rare: let jansson decode the escapes; the quotes around the span are in the text */
    json_error_t e;
    json_t *j = json_loadb(sp->p - 1, sp->len + 2, JSON_DECODE_ANY, &e);
    char *out = json_is_string(j) ? strdup(json_string_value(j)) : NULL;
    json_decref(j);
    return out;
}

void jwt_parts_release(struct jwt_parts *p)
{
    free(p->payload_text); /* the one buffer holding every decoded part */
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
    size_t hl = (size_t)(d1 - t), pl = (size_t)(d2 - d1 - 1), sl = len - (size_t)(d2 + 1 - t);
    /* payload first: the buffer is what the caller gets back as the payload text */
    uint8_t *buf = malloc(pl / 4 * 3 + hl / 4 * 3 + sl / 4 * 3 + 9);
    if (!buf)
        return fail(BPTEE_ENOMEM, "jwt: out of memory");
    p->payload_text = (char *)buf;
    p->signing_input = t;
    p->signing_len = (size_t)(d2 - t);
    int rc = decode_part(d1 + 1, pl, "payload", buf, &p->payload_len);
    p->header_text = (char *)buf + p->payload_len + 1;
    if (rc == 0)
        rc = decode_part(t, hl, "header", (uint8_t *)p->header_text, &p->header_len);
    p->sig = (uint8_t *)p->header_text + p->header_len + 1;
    if (rc == 0)
        rc = decode_part(d2 + 1, sl, "signature", p->sig, &p->sig_len);
    if (rc == 0)
        rc = jwt_json_scan(p->header_text, p->header_len, "header", header_names, p->header,
                           JWT_HDR_COUNT);
    if (rc == 0)
        rc = jwt_json_scan(p->payload_text, p->payload_len, "payload", claim_names, p->claims,
                           JWT_CLAIM_COUNT);
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
    int is = rc == 0 && p.header[JWT_HDR_ALG].kind == 's';
    if (rc == 0)
        jwt_parts_release(&p);
    return is;
}

int bptee_jwt_decode(const uint8_t *token, size_t len, char **header_json, char **payload_json)
{
    if (!token || !header_json || !payload_json)
        return fail(BPTEE_EINVAL, "jwt: missing argument");
    struct jwt_parts p;
    json_t *h = NULL, *c = NULL;
    int rc = jwt_split(token, len, &p);
    if (rc < 0)
        return rc;
    if ((rc = json_parse_capped(p.header_text, p.header_len, BPTEE_JWT_MAX, "jwt: header", &h)) ==
            0 &&
        (rc = json_parse_capped(p.payload_text, p.payload_len, BPTEE_JWT_MAX, "jwt: payload",
                                &c)) == 0) {
        *header_json = json_to_string(h, 1);
        *payload_json = json_to_string(c, 1);
        if (!*header_json || !*payload_json) {
            free(*header_json);
            free(*payload_json);
            rc = fail(BPTEE_ENOMEM, "jwt: out of memory");
        }
    }
    json_decref(h);
    json_decref(c);
    jwt_parts_release(&p);
    return rc;
}
