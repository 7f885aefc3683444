/* SPDX-License-Identifier: Apache-2.0 */
/* Secret owners (issue #8): who may provision, rotate and revoke which secret.
 *  - the owners document of the agent's config ("bptee": {"owners": ...}): owner ids with their
 *    Ed25519 public keys, and per secret name or name prefix the owners that may write it; or
 *    the string "open" (blueprint-tee compatibility: unsigned v1 provisioning by anyone);
 *  - the signed owner request: an Ed25519 signature over (domain tag, operation, the offer's
 *    attestation digest, session id, owner id, secret name, version, sealed payload digest);
 *  - owner key files: `bptee owner keygen` writes them, loading refuses a file that group or
 *    others may read.
 * docs/formats.md ("Owner requests") specifies the signed layout byte for byte; docs/agent.md
 * the owners document. */
#ifndef BPTEE_OWNERS_H
#define BPTEE_OWNERS_H

#include <stdbool.h>

#include <bptee/common.h>
#include <bptee/exchange.h>

/* Owner ids: 1..64 characters from [A-Za-z0-9._@+-]. */
#define BPTEE_OWNER_ID_MAX 64
/* At most this many owners, rules, and owners per rule. */
#define BPTEE_OWNERS_MAX 64
#define BPTEE_OWNER_RULES_MAX 1024
/* Largest owners document read. */
#define BPTEE_OWNERS_JSON_MAX (1u << 20)
/* The signed request's domain tag (ASCII, no NUL; a 0x00 byte follows it in the layout). */
#define BPTEE_OWNER_REQUEST_TAG "bptee-owner-request-v1"
/* The sealed payload digest's domain tag. */
#define BPTEE_SEALED_PAYLOAD_TAG "bptee-sealed-payload-v1"
/* Longest signed request message (tag, 0x00, op, digest, three strings, version, digest). */
#define BPTEE_OWNER_REQUEST_MAX 600
/* Longest session id a signed request carries (ours are 32 characters). */
#define BPTEE_OWNER_SESSION_ID_MAX 255

/* The operation a signed request authorizes (one byte of the layout). */
enum bptee_owner_op {
    BPTEE_OWNER_OP_PROVISION = 1, /* POST /v1/secrets: store, or rotate to a higher version */
    BPTEE_OWNER_OP_REVOKE = 2,    /* DELETE /v1/secrets/NAME */
    /* GET /v1/audit: read the access log. Signed with name BPTEE_OWNER_AUDIT_NAME, version 1
     * and a zero payload digest; any owner of the agent may read it. */
    BPTEE_OWNER_OP_AUDIT_READ = 3,
};
#define BPTEE_OWNER_AUDIT_NAME "audit-log"

/* ---- the owners document */

struct bptee_owners;

/* Parse an owners document (at most BPTEE_OWNERS_JSON_MAX bytes): the JSON string "open", or
 * {"owners": [{"id", "public_key"}...], "secrets": {"NAME" | "PREFIX*" | "*": [ids]}}. Keys are
 * 32 bytes as 64 hex digits or base64. Strict: unknown keys, duplicate ids, rules naming
 * unknown owners and malformed names are BPTEE_EPARSE naming the field. */
BPTEE_API int bptee_owners_from_json(const char *json, size_t len, struct bptee_owners **out);
BPTEE_API void bptee_owners_free(struct bptee_owners *o);
/* 1 for "open" (no owner signature can be checked; anyone may write), else 0. */
BPTEE_API int bptee_owners_is_open(const struct bptee_owners *o);
BPTEE_API size_t bptee_owners_count(const struct bptee_owners *o);
BPTEE_API size_t bptee_owners_rule_count(const struct bptee_owners *o);
/* The public key of owner id; BPTEE_ENOTFOUND "unknown owner 'ID'". */
BPTEE_API int bptee_owners_public_key(const struct bptee_owners *o, const char *id, uint8_t public_key[32]);
/* May owner id write (provision, rotate, revoke) the secret name? The exact name's rule wins,
 * else the longest matching prefix rule; a name no rule matches is nobody's. 0, or
 * BPTEE_EDENIED with a reason naming the rule. */
BPTEE_API int bptee_owners_authorize(const struct bptee_owners *o, const char *id, const char *name);
/* 0 when id is a valid owner id; BPTEE_EINVAL naming the rule it breaks. */
BPTEE_API int bptee_owner_id_check(const char *id);

/* ---- signed owner requests (docs/formats.md, "Owner requests") */

/* What an owner signs. A plain struct: the caller fills every field. */
struct bptee_owner_request {
    int op;                        /* enum bptee_owner_op */
    uint8_t attestation_digest[32]; /* SHA-256 of the evidence of the offer the session came in */
    const char *session_id;        /* 1..255 characters */
    const char *owner;             /* owner id */
    const char *name;              /* secret name */
    uint64_t version;              /* >= 1 */
    uint8_t payload_digest[32];    /* bptee_sealed_payload_digest; zero for REVOKE */
};

/* The signed message: tag || 0x00 || op || attestation digest || u8 len || session id || u8
 * len || owner || u8 len || name || version (u64 LE) || payload digest. */
BPTEE_API int bptee_owner_request_message(const struct bptee_owner_request *r, uint8_t *out, size_t cap, size_t *len);
/* 0 when sig is public_key's signature over r's message; BPTEE_EVERIFY otherwise. */
BPTEE_API int bptee_owner_request_verify(const uint8_t public_key[32], const uint8_t sig[64], const struct bptee_owner_request *r);
/* SHA-256(tag || 0x00 || scheme || u32 LE len || ephemeral key || u32 LE len || nonce || u32 LE
 * len || ciphertext): what the owner's signature covers of a sealed payload. */
BPTEE_API int bptee_sealed_payload_digest(const struct bptee_sealed_payload *p, uint8_t out[32]);

/* ---- owner keys */

struct bptee_owner_key;

/* A fresh Ed25519 key pair; the secret half in guarded, locked memory (sodium_malloc). */
BPTEE_API int bptee_owner_key_generate(struct bptee_owner_key **out);
/* From a 32-byte RFC 8032 seed (test vectors). */
BPTEE_API int bptee_owner_key_from_seed(const uint8_t seed[32], struct bptee_owner_key **out);
BPTEE_API void bptee_owner_key_free(struct bptee_owner_key *k);
BPTEE_API void bptee_owner_key_public(const struct bptee_owner_key *k, uint8_t public_key[32]);
/* Write the private key file (mode 0600, atomically through a temporary file and rename; an
 * existing path is refused: BPTEE_EINVAL). */
BPTEE_API int bptee_owner_key_save(const struct bptee_owner_key *k, const char *path);
/* Read a private key file: opened O_NOFOLLOW, a regular file owned by the caller (or root) that
 * group and others cannot read or write (else BPTEE_EDENIED saying so). */
BPTEE_API int bptee_owner_key_load(const char *path, struct bptee_owner_key **out);
BPTEE_API int bptee_owner_request_sign(const struct bptee_owner_key *k, const struct bptee_owner_request *r, uint8_t sig[64]);

#endif
