/* SPDX-License-Identifier: Apache-2.0 */
/* Sealed-secret key exchange, wire-compatible with blueprint-tee: one-time X25519 sessions
 * with a TTL, the auth service that holds them, sealing (scheme v1 exactly as blueprint-tee,
 * scheme v2 with a KDF over both keys and the session id as associated data), the wire types
 * as JSON, and the key binding REPORT_DATA = SHA-512(nonce || public key).
 * docs/exchange.md specifies the protocol byte for byte.
 *
 * Errors carry blueprint-tee's texts: "key exchange failed: session not found: ID",
 * "sealed secret error: nonce must be 12 bytes", ... No function ever prints a private key. */
#ifndef BPTEE_EXCHANGE_H
#define BPTEE_EXCHANGE_H

#include <stdbool.h>

#include <bptee/common.h>
#include <bptee/evidence.h>

#define BPTEE_X25519_KEY_LEN 32
#define BPTEE_SEAL_NONCE_LEN 12
#define BPTEE_SEAL_TAG_LEN 16
/* A session id is 16 random bytes in lowercase hex; buffers for it hold 33 bytes. */
#define BPTEE_SESSION_ID_SIZE 33
/* Lowercase hex SHA-256 and its NUL. */
#define BPTEE_DIGEST_HEX_SIZE 65
/* The key-binding nonce carried in a KeyExchangeRequest (64 hex digits) and REPORT_DATA. */
#define BPTEE_BINDING_NONCE_LEN 32
#define BPTEE_REPORT_DATA_LEN 64
/* Largest wire JSON document the parsers read (byte arrays cost ~4 bytes a byte). */
#define BPTEE_WIRE_JSON_MAX (8u << 20)
/* Longest session id a wire document may carry (ours are 32 characters). */
#define BPTEE_WIRE_SESSION_ID_MAX 256

/* Sealing schemes. The payload's "scheme" field selects one; absent means v1. */
enum bptee_seal_scheme {
    BPTEE_SEAL_V1 = 1, /* blueprint-tee: key = SHA-256(X25519), no associated data */
    BPTEE_SEAL_V2 = 2, /* HKDF-SHA-256 over both keys, session id as associated data */
};

/* *_to_json flags. Byte fields are JSON integer arrays (what blueprint-tee's serde reads)
 * unless BASE64 asks for base64 strings (smaller; bptee readers accept both). */
#define BPTEE_WIRE_JSON_PRETTY (1u << 0)
#define BPTEE_WIRE_JSON_BASE64 (1u << 1)

/* ---- wire types (plain structs; *_from_json allocates, *_free releases fields and struct) */

/* KeyExchangeRequest {nonce?}: the client's freshness nonce, any string on the wire; bptee
 * agents expect 64 hex digits (see bptee_key_exchange_request_nonce). */
struct bptee_key_exchange_request {
    char *nonce; /* NULL when absent ("nonce" omitted) */
};

/* KeyExchangeResponse {session_id, public_key_hex, attestation} plus bptee's optional
 * "nonce" (64 hex digits: the nonce bound into REPORT_DATA, so a client that sent none can
 * still check the binding). */
struct bptee_key_exchange_response {
    char *session_id;
    uint8_t public_key[BPTEE_X25519_KEY_LEN];
    struct bptee_report *attestation; /* owned; required for to_json */
    bool has_nonce;
    uint8_t nonce[BPTEE_BINDING_NONCE_LEN];
};

/* SealedSecretPayload. A NULL nonce or ephemeral key means the field is absent (old
 * payloads); non-NULL with a wrong length is present and wrong. */
struct bptee_sealed_payload {
    char *session_id;
    uint8_t *ciphertext; /* plaintext + 16-byte tag */
    size_t ciphertext_len;
    uint8_t *nonce;
    size_t nonce_len;
    uint8_t *ephemeral_public_key;
    size_t ephemeral_public_key_len;
    int scheme; /* enum bptee_seal_scheme; "scheme" is written only for v2 */
};

/* SealedSecretResult {success, attestation_digest, key_fingerprint}. */
struct bptee_sealed_secret_result {
    bool success;
    char *attestation_digest;
    char *key_fingerprint;
};

BPTEE_API int bptee_key_exchange_request_from_json(const char *json, size_t len, struct bptee_key_exchange_request **out);
BPTEE_API int bptee_key_exchange_request_to_json(const struct bptee_key_exchange_request *req, unsigned flags, char **out);
BPTEE_API void bptee_key_exchange_request_free(struct bptee_key_exchange_request *req);
/* The binding nonce a request asks for: its 64 hex digits decoded, or 32 fresh random bytes
 * when the request has none (or req is NULL). BPTEE_EPARSE if the nonce is not 64 hex. */
BPTEE_API int bptee_key_exchange_request_nonce(const struct bptee_key_exchange_request *req, uint8_t nonce[32]);

BPTEE_API int bptee_key_exchange_response_from_json(const char *json, size_t len, struct bptee_key_exchange_response **out);
BPTEE_API int bptee_key_exchange_response_to_json(const struct bptee_key_exchange_response *resp, unsigned flags, char **out);
BPTEE_API void bptee_key_exchange_response_free(struct bptee_key_exchange_response *resp);

BPTEE_API int bptee_sealed_payload_from_json(const char *json, size_t len, struct bptee_sealed_payload **out);
BPTEE_API int bptee_sealed_payload_to_json(const struct bptee_sealed_payload *p, unsigned flags, char **out);
BPTEE_API void bptee_sealed_payload_free(struct bptee_sealed_payload *p);

BPTEE_API int bptee_sealed_secret_result_from_json(const char *json, size_t len, struct bptee_sealed_secret_result **out);
BPTEE_API int bptee_sealed_secret_result_to_json(const struct bptee_sealed_secret_result *r, unsigned flags, char **out);
BPTEE_API void bptee_sealed_secret_result_free(struct bptee_sealed_secret_result *r);

/* "v1"/"v2" (NULL if unknown), and the reverse (BPTEE_EPARSE naming the value). */
BPTEE_API const char *bptee_seal_scheme_name(int scheme);
BPTEE_API int bptee_seal_scheme_parse(const char *name, int *scheme);

/* ---- sealing (client side) and opening */

/* Seal plaintext to a TEE session's public key (key_len must be 32: "TEE public key must be
 * 32 bytes") with a fresh ephemeral key and nonce. v2 binds session_id as associated data.
 * Release *out with bptee_sealed_payload_free. */
BPTEE_API int bptee_seal(int scheme, const char *session_id, const uint8_t *plaintext, size_t len, const uint8_t *tee_public_key, size_t key_len, struct bptee_sealed_payload **out);
/* The same with the caller's ephemeral secret and nonce: for test vectors and interop checks
 * only (reusing either with the same TEE key destroys confidentiality). */
BPTEE_API int bptee_seal_deterministic(int scheme, const char *session_id, const uint8_t *plaintext, size_t len, const uint8_t *tee_public_key, size_t key_len, const uint8_t ephemeral_secret[32], const uint8_t nonce[12], struct bptee_sealed_payload **out);
/* Open a payload with a TEE private key; session_id is the id v2 authenticates (the
 * session's own, not the payload's label). Writes ciphertext_len - 16 bytes to out (cap must
 * be at least that: BPTEE_ELIMIT otherwise); put it in memory you wipe. Checks, in
 * blueprint-tee's order: ephemeral key present, 32 bytes, nonce present, 12 bytes, then
 * decryption ("decryption failed: invalid ciphertext or key"). */
BPTEE_API int bptee_open_with_key(const uint8_t tee_secret[32], const char *session_id, const struct bptee_sealed_payload *p, uint8_t *out, size_t cap, size_t *out_len);

/* ---- sessions (KeyExchangeSession): one-time ephemeral X25519 keys with a TTL */

struct bptee_session;

/* A fresh key pair; the private key lives in guarded, locked memory (sodium_malloc), readable
 * only while in use, wiped by bptee_session_free. */
BPTEE_API int bptee_session_new(uint64_t ttl_secs, struct bptee_session **out);
BPTEE_API void bptee_session_free(struct bptee_session *s);
/* 32 lowercase hex characters. */
BPTEE_API const char *bptee_session_id(const struct bptee_session *s);
/* 32 bytes. */
BPTEE_API const uint8_t *bptee_session_public_key(const struct bptee_session *s);
/* Unix seconds at creation. */
BPTEE_API uint64_t bptee_session_created_at(const struct bptee_session *s);
BPTEE_API uint64_t bptee_session_ttl_secs(const struct bptee_session *s);
/* 1 when now - created_at > ttl (strict, whole seconds: ttl 0 expires after 1 s), else 0. */
BPTEE_API int bptee_session_is_expired(const struct bptee_session *s);
/* ttl - elapsed seconds, 0 once past. */
BPTEE_API uint64_t bptee_session_remaining_ttl(const struct bptee_session *s);
/* Lowercase hex SHA-256 of the public key into out[BPTEE_DIGEST_HEX_SIZE]. */
BPTEE_API void bptee_session_public_key_digest(const struct bptee_session *s, char *out);
/* Open a payload sealed to this session (as bptee_open_with_key; expiry and the payload's
 * session_id label are the service's business, as in blueprint-tee). */
BPTEE_API int bptee_session_open(const struct bptee_session *s, const struct bptee_sealed_payload *p, uint8_t *out, size_t cap, size_t *out_len);

/* ---- the auth service (TeeAuthService): holds sessions; every function is thread-safe */

struct bptee_auth_service;

/* max_sessions 0 makes every create fail, as in blueprint-tee. */
BPTEE_API int bptee_auth_service_new(uint64_t session_ttl_secs, uint64_t max_sessions, struct bptee_auth_service **out);
/* Wipes every session it still holds. NULL is a no-op. */
BPTEE_API void bptee_auth_service_free(struct bptee_auth_service *svc);
/* Evict expired sessions, then create one: id into session_id[BPTEE_SESSION_ID_SIZE], its
 * public key into public_key[32]. BPTEE_ELIMIT "maximum session limit reached (N)". */
BPTEE_API int bptee_auth_service_create_session(struct bptee_auth_service *svc, char *session_id, uint8_t *public_key);
/* The public key of a live session (not removed). BPTEE_ENOTFOUND / BPTEE_EEXPIRED. */
BPTEE_API int bptee_auth_service_public_key(struct bptee_auth_service *svc, const char *session_id, uint8_t *public_key);
/* Take the session out (one-time): the caller owns *out. An expired session is removed and
 * BPTEE_EEXPIRED "session expired: ID"; unknown ids BPTEE_ENOTFOUND "session not found: ID". */
BPTEE_API int bptee_auth_service_consume(struct bptee_auth_service *svc, const char *session_id, struct bptee_session **out);
/* Consume the payload's session and open the payload with it; the session is gone whether
 * or not opening succeeds. The optional key_fingerprint[BPTEE_DIGEST_HEX_SIZE] receives the
 * session's public_key_digest for the SealedSecretResult. */
BPTEE_API int bptee_auth_service_open(struct bptee_auth_service *svc, const struct bptee_sealed_payload *p, uint8_t *out, size_t cap, size_t *out_len, char *key_fingerprint);
/* Sessions not expired (expired ones are counted out, not evicted). */
BPTEE_API size_t bptee_auth_service_active_count(struct bptee_auth_service *svc);
/* Evict and wipe expired sessions; returns how many. Call it periodically. */
BPTEE_API size_t bptee_auth_service_cleanup(struct bptee_auth_service *svc);
BPTEE_API uint64_t bptee_auth_service_session_ttl_secs(const struct bptee_auth_service *svc);
BPTEE_API uint64_t bptee_auth_service_max_sessions(const struct bptee_auth_service *svc);

/* ---- key binding (DESIGN.md contract 3): REPORT_DATA = SHA-512(nonce[32] || key[32]) */

BPTEE_API void bptee_key_binding_report_data(const uint8_t nonce[32], const uint8_t public_key[32], uint8_t report_data[64]);
/* 0 when report_data binds (nonce, key); BPTEE_EVERIFY otherwise. */
BPTEE_API int bptee_key_binding_check(const uint8_t report_data[64], const uint8_t nonce[32], const uint8_t public_key[32]);
/* Record the binding in a report: public_key, key_type "x25519", binding_digest = lowercase
 * hex of the 64-byte REPORT_DATA. */
BPTEE_API int bptee_key_binding_attach(struct bptee_report *r, const uint8_t nonce[32], const uint8_t public_key[32]);
/* 0 when the report's public-key binding names exactly this x25519 key and nonce (the three
 * fields as attach writes them); BPTEE_EVERIFY naming the field that differs. The evidence's
 * own REPORT_DATA is checked with bptee_key_binding_check by whoever verifies the evidence. */
BPTEE_API int bptee_key_binding_check_report(const struct bptee_report *r, const uint8_t nonce[32], const uint8_t public_key[32]);

#endif
