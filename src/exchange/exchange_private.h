/* SPDX-License-Identifier: Apache-2.0 */
/* What the exchange module's source files share (private to the module). */
#ifndef BPTEE_EXCHANGE_PRIVATE_H
#define BPTEE_EXCHANGE_PRIVATE_H

#include <jansson.h>

#include <bptee/exchange.h>

/* blueprint-tee's TeeError prefixes, so our reasons read as its Display strings do. */
#define KX_PREFIX "key exchange failed: "
#define SEAL_PREFIX "sealed secret error: "

/* The v2 domain tag (13 ASCII bytes, no NUL); docs/exchange.md. */
#define SEAL_V2_TAG "bptee-seal-v2"
#define SEAL_V2_TAG_LEN 13

struct bptee_session {
    char id[BPTEE_SESSION_ID_SIZE];
    uint8_t public_key[BPTEE_X25519_KEY_LEN];
    uint8_t *secret; /* sodium_malloc'd, PROT_NONE except while in use */
    uint64_t created_at;
    uint64_t ttl_secs;
};

/* keypage.c: a guarded, locked, non-dumped page for one 32-byte X25519 secret, readable and
 * writable when got (NULL when out of memory); put takes it back writable, wipes it and keeps it
 * PROT_NONE for the next secret. */
#define KX_KEY_PAGE_SIZE 32
uint8_t *kx_key_page_get(void);
void kx_key_page_put(uint8_t *p);

/* Open p with a session already taken out of its service, then free the session: the key page
 * is unprotected once for both. */
int kx_session_open_and_free(struct bptee_session *s, const struct bptee_sealed_payload *p,
                             uint8_t *out, size_t cap, size_t *out_len);

/* Unix seconds now (0 if the clock fails, as blueprint-tee's unwrap_or_default). */
uint64_t kx_now(void);
/* 1 if a session created at created_at with ttl is expired at now (strict, saturating). */
int kx_expired(uint64_t created_at, uint64_t ttl, uint64_t now);

/* Copy an untrusted id into out (cap bytes) for an error line: at most 64 characters,
 * anything outside printable ASCII shown as '?', so a reason stays one line. */
void kx_printable_id(const char *id, char *out, size_t cap);

/* Open p with the TEE key pair (tee_public is what v2's KDF binds); bptee_open_with_key
 * derives the public half, sessions pass the one they keep. */
int seal_open_core(const uint8_t tee_secret[32], const uint8_t tee_public[32],
                   const char *session_id, const struct bptee_sealed_payload *p, uint8_t *out,
                   size_t cap, size_t *out_len);

/* ---- JSON field helpers for the wire types; `what` is the type's name for errors */

/* Byte fields: integer arrays, or base64 with BPTEE_WIRE_JSON_BASE64. NULL on ENOMEM. */
json_t *wire_bytes_to_json(const uint8_t *data, size_t len, unsigned flags);
/* Read an integer array (each 0..255) or a base64 string into a malloc'd buffer (never
 * NULL, even when empty). Errors: "WHAT: FIELD: ...". */
int wire_bytes_from_json(const json_t *v, const char *what, const char *field, uint8_t **out,
                         size_t *len);
/* A required string field (copied); missing → "WHAT: missing field `FIELD`". */
int wire_string(const json_t *obj, const char *what, const char *field, size_t max, char **out);
/* An optional string field: *out NULL when absent or null. */
int wire_opt_string(const json_t *obj, const char *what, const char *field, size_t max,
                    char **out);
/* Parse the document as a JSON object (capped, duplicates rejected). */
int wire_parse_object(const char *json, size_t len, const char *what, json_t **out);
/* Serialize obj (consumed) into a malloc'd string; ENOMEM names what. */
int wire_dump(json_t *obj, unsigned flags, const char *what, char **out);

#endif
