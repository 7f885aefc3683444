/* SPDX-License-Identifier: Apache-2.0 */
/* The jwt module's private pieces. */
#ifndef BPTEE_JWT_INTERNAL_H
#define BPTEE_JWT_INTERNAL_H

#include <jansson.h>
#include <stdbool.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include <bptee/jwt.h>

enum jwt_alg { ALG_RS256, ALG_RS384, ALG_RS512, ALG_PS256, ALG_PS384, ALG_PS512, ALG_ES256,
               ALG_ES384, ALG_EDDSA, ALG_COUNT };

struct jwk {
    char *kid;            /* NULL: none */
    char *alg;            /* the key's own "alg", NULL: none */
    EVP_PKEY *pkey;       /* NULL when the type is unsupported */
    char unusable[96];    /* set: not for verifying tokens (type, use, key_ops), reason here */
    STACK_OF(X509) *x5c;  /* NULL: none; [0] holds pkey */
};

struct bptee_jwks {
    struct jwk keys[BPTEE_JWKS_KEYS_MAX];
    size_t n;
};

/* jwk.c: one key of a set, from its JSON object (n/e, crv/x/y, x5c). Fails only on malformed
 * input; a well-formed key of a type bptee cannot use is returned unusable. */
int jwk_read(const json_t *obj, size_t index, struct jwk *out);
void jwk_release(struct jwk *k);

/* x5c.c: the key's certificate chain intact (each signed by the next, the last by itself)
 * and valid at `at`. */
int jwk_x5c_check(const struct jwk *k, int64_t at);

/* token.c: a token split and decoded; parts point into the token. */
struct jwt_parts {
    const char *signing_input; /* header "." payload, the bytes the signature covers */
    size_t signing_len;
    json_t *header, *payload;
    char *payload_text; /* the decoded payload, NUL-terminated */
    size_t payload_len;
    uint8_t *sig;
    size_t sig_len;
};
int jwt_split(const uint8_t *token, size_t len, struct jwt_parts *p);
void jwt_parts_release(struct jwt_parts *p);
/* Strict base64url without padding (what JWS requires). */
int jwt_b64url(const char *s, size_t len, uint8_t **out, size_t *out_len, const char *what);

/* sig.c: the alg named in a header, and the signature check with a key fit for it. */
int jwt_alg_parse(const char *name, enum jwt_alg *alg);
const char *jwt_alg_name(enum jwt_alg alg);
int jwt_key_fits(enum jwt_alg alg, EVP_PKEY *key);
int jwt_sig_verify(enum jwt_alg alg, EVP_PKEY *key, const struct jwt_parts *p);

#endif
