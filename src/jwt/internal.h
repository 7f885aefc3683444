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
    EVP_PKEY_CTX *prepared[ALG_COUNT]; /* verify contexts for the algs the key fits */
};

struct bptee_jwks {
    struct jwk keys[BPTEE_JWKS_KEYS_MAX];
    size_t n;
};

/* jwk.c: one key of a set, from its JSON object (n/e, crv/x/y, x5c). Fails only on malformed
 * input; a well-formed key of a type bptee cannot use is returned unusable. */
int jwk_read(const json_t *obj, size_t index, struct jwk *out);
void jwk_release(struct jwk *k);

/* x5c.c: an x5c array read (what names its place in errors); a key's chain intact (each
 * signed by the next, the last by itself) and valid at `at`; a header's chain leading to one of
 * the pinned roots (PEM bundle or DER) at `at`; a certificate's validity at t. */
int jwt_x5c_read(const json_t *arr, const char *what, STACK_OF(X509) **out);
int jwk_x5c_check(const struct jwk *k, int64_t at);
int jwt_x5c_pinned(STACK_OF(X509) *chain, const uint8_t *roots, size_t roots_len, int64_t at);
bool jwt_cert_valid_at(X509 *c, int64_t t);

/* b64url.c: strict base64url without padding into out (room for len / 4 * 3 + 2 bytes); -1
 * when it is not that. */
int jwt_b64url_into(const char *s, size_t len, uint8_t *out, size_t *out_len);

/* json_scan.c: validate a JSON object (as strict as jansson with JSON_REJECT_DUPLICATES, and
 * stricter where tokens never go) and find its top-level members named in names[0..n): each
 * spans[i] is the member's value, kind 0 when absent. A string's span is its content between
 * the quotes, undecoded (escaped tells whether it holds escapes). */
#define JSON_SCAN_DEPTH 32
#define JSON_SCAN_KEYS 512
struct json_span {
    const char *p;
    size_t len;
    char kind; /* 's' string, 'i' integer, 'r' real, '{', '[', 't', 'f', 'z' null; 0 absent */
    bool escaped;
};
int jwt_json_scan(const char *text, size_t len, const char *what, const char *const *names,
                  struct json_span *spans, size_t n_names);
/* An 'i' span as int64 (-1 when out of range); an 'r' span as a double (HUGE_VAL on overflow;
 * the text must go on past the span, as it does inside a scanned object). */
int json_scan_int(const struct json_span *sp, int64_t *out);
double json_scan_real(const char *p);

/* token.c: a token split, decoded into one buffer, both JSON parts validated. */
enum { JWT_HDR_ALG, JWT_HDR_KID, JWT_HDR_CRIT, JWT_HDR_X5C, JWT_HDR_COUNT };
enum { JWT_CLAIM_EXP, JWT_CLAIM_NBF, JWT_CLAIM_IAT, JWT_CLAIM_COUNT };
struct jwt_parts {
    const char *signing_input; /* header "." payload, the bytes the signature covers */
    size_t signing_len;
    char *payload_text;        /* decoded, NUL-terminated; owns the buffer of all three */
    size_t payload_len;
    char *header_text;         /* decoded, NUL-terminated */
    size_t header_len;
    uint8_t *sig;
    size_t sig_len;
    struct json_span header[JWT_HDR_COUNT], claims[JWT_CLAIM_COUNT];
};
int jwt_split(const uint8_t *token, size_t len, struct jwt_parts *p);
void jwt_parts_release(struct jwt_parts *p);
/* Strict base64url without padding (what JWS requires), into a new buffer. */
int jwt_b64url(const char *s, size_t len, uint8_t **out, size_t *out_len, const char *what);
/* A string span's value, escapes decoded (NULL: out of memory); free() it. */
char *jwt_span_strdup(const struct json_span *sp);

/* sig.c: the alg named in a header, and the signature check with a key fit for it. */
int jwt_alg_parse(const char *name, enum jwt_alg *alg);
const char *jwt_alg_name(enum jwt_alg alg);
int jwt_key_fits(enum jwt_alg alg, EVP_PKEY *key);
/* Verify contexts for every alg the key fits (only_alg: just that one), NULL where none. */
void jwt_key_prepare(EVP_PKEY *key, const char *only_alg, EVP_PKEY_CTX *out[ALG_COUNT]);
/* prepared: from jwt_key_prepare, or NULL to set the verifier up from key. */
int jwt_sig_verify(enum jwt_alg alg, EVP_PKEY *key, EVP_PKEY_CTX *prepared,
                   const struct jwt_parts *p);

#endif
