/* SPDX-License-Identifier: Apache-2.0 */
/* JWT attestation tokens (Azure Attestation, GCP Confidential Space): JWS compact tokens
 * verified with OpenSSL against a JSON Web Key Set the caller provides. Asymmetric algorithms
 * only (RS256/384/512, PS256/384/512, ES256/384, EdDSA); "none" and HMAC are refused, never
 * tried. docs/jwt.md describes the checks. */
#ifndef BPTEE_JWT_H
#define BPTEE_JWT_H

#include <bptee/common.h>

#define BPTEE_JWT_MAX (64u << 10)   /* largest token accepted */
#define BPTEE_JWKS_MAX (256u << 10) /* largest key set accepted */
#define BPTEE_JWKS_KEYS_MAX 64
#define BPTEE_JWT_LEEWAY_DEFAULT 60 /* seconds of clock skew allowed on exp, nbf and iat */
#define BPTEE_JWT_LEEWAY_MAX 300
#define BPTEE_JWT_RSA_MIN_BITS 2048

/* A parsed key set (opaque). Keys of a type bptee does not verify with ("oct", unknown kty)
 * are kept as unusable, so selecting one by kid fails with its reason. */
struct bptee_jwks;

BPTEE_API int bptee_jwks_parse(const char *json, size_t len, struct bptee_jwks **out);
/* An empty or unreadable file is an error (BPTEE_EIO, BPTEE_EPARSE), never an empty set. */
BPTEE_API int bptee_jwks_load(const char *path, struct bptee_jwks **out);
BPTEE_API void bptee_jwks_free(struct bptee_jwks *jwks);
BPTEE_API size_t bptee_jwks_count(const struct bptee_jwks *jwks);

/* 1 when text looks like a JWS compact token (three base64url parts, a JSON header with
 * "alg"); 0 otherwise. Nothing is verified. */
BPTEE_API int bptee_jwt_detect(const uint8_t *data, size_t len);

/* Header and payload as JSON text (each released with bptee_free), decoded but not verified:
 * for inspecting. */
BPTEE_API int bptee_jwt_decode(const uint8_t *token, size_t len, char **header_json, char **payload_json);

struct bptee_jwt_verify_opts {
    size_t sz;
    int64_t at;                    /* verification time, unix seconds; 0 = now */
    const struct bptee_jwks *jwks; /* required */
    int64_t leeway_secs;           /* 0 = BPTEE_JWT_LEEWAY_DEFAULT; at most BPTEE_JWT_LEEWAY_MAX */
    /* Roots pinned for a token whose header carries an x5c chain (PEM bundle or one DER
     * certificate); such a token is refused without them. */
    const uint8_t *x5c_roots;
    size_t x5c_roots_len;
};

/* Verify a token: the header's alg is an asymmetric one, its kid selects exactly one usable key
 * of that type (and of that alg when the key names one), an x5c chain on the key is intact and
 * valid at `at` and carries the same key, the signature verifies, exp is present and not past,
 * nbf and iat are not in the future (each with the leeway). A header x5c chain must lead to one
 * of x5c_roots at `at`; its leaf's key then signs (and must be the key kid selects when a jwks
 * is given, which is optional then). The certificate that carries the signing key must have been
 * valid at iat. On success *payload_json is the payload (bptee_free). BPTEE_EPARSE,
 * BPTEE_EVERIFY (alg, key, chain, signature), BPTEE_ENOTFOUND (no key with that kid),
 * BPTEE_EEXPIRED (exp, nbf, iat, certificate validity). */
BPTEE_API int bptee_jwt_verify(const uint8_t *token, size_t len, const struct bptee_jwt_verify_opts *opts, char **payload_json);

#endif
