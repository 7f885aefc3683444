/* SPDX-License-Identifier: Apache-2.0 */
/* The in-TEE agent's library side (`bptee agent` is the daemon over it):
 *  - the attested signing key (DESIGN.md contract 4): an Ed25519 key made at start, its public
 *    key bound into evidence as REPORT_DATA = SHA-512("bptee-signing-key-v1" || 0x00 || key);
 *  - job result signatures over (result digest, binary measurement, argv digest, job id);
 *  - the job socket protocol (docs/protocol.md): a line codec, and the client and server I/O
 *    that carries secret memfds by SCM_RIGHTS;
 *  - peer identification: SO_PEERCRED and the ELF measurement (SHA-256 of /proc/PID/exe);
 *  - the provisioning wire: the POST /v1/secrets body, and the client's checks of an offer
 *    (evidence, key binding, nonce) and of the SealedSecretResult.
 * docs/formats.md ("Attested signing key", "Job result signature") specifies the layouts. */
#ifndef BPTEE_AGENT_H
#define BPTEE_AGENT_H

#include <stdbool.h>
#include <sys/types.h>

#include <bptee/common.h>
#include <bptee/evidence.h>
#include <bptee/exchange.h>
#include <bptee/guest.h>
#include <bptee/secrets.h>
#include <bptee/verify.h>

#define BPTEE_ED25519_PUBLIC_KEY_LEN 32
#define BPTEE_ED25519_SIGNATURE_LEN 64
/* Domain tags (ASCII, no NUL; a 0x00 byte follows each in the signed or hashed layout). */
#define BPTEE_SIGNING_KEY_TAG "bptee-signing-key-v1"
#define BPTEE_JOB_RESULT_TAG "bptee-job-result-v1"
/* Job ids: 1..128 characters from [A-Za-z0-9._:@+-]. */
#define BPTEE_JOB_ID_MAX 128

/* ---- the attested signing key */

struct bptee_signing_key;

/* A fresh Ed25519 key pair; the secret half lives in guarded, locked, read-only memory
 * (sodium_malloc), wiped by bptee_signing_key_free. No evidence until attest. */
BPTEE_API int bptee_signing_key_new(struct bptee_signing_key **out);
BPTEE_API void bptee_signing_key_free(struct bptee_signing_key *k);
BPTEE_API void bptee_signing_key_public(const struct bptee_signing_key *k, uint8_t public_key[32]);
/* REPORT_DATA = SHA-512("bptee-signing-key-v1" || 0x00 || public_key). */
BPTEE_API void bptee_signing_key_report_data(const uint8_t public_key[32], uint8_t report_data[64]);
/* Obtain evidence over the key's REPORT_DATA (bptee_guest_attest) and keep it, replacing any
 * earlier evidence; the report's public-key binding records key_type "ed25519", the key and
 * binding_digest = hex(REPORT_DATA). *source (may be NULL): enum bptee_guest_source. */
BPTEE_API int bptee_signing_key_attest(struct bptee_signing_key *k, const struct bptee_guest_opts *opts, int *source);
/* The current evidence as report JSON (flags BPTEE_REPORT_JSON_*), released with bptee_free;
 * BPTEE_ENOTFOUND before the first attest. Safe while another thread re-attests. */
BPTEE_API int bptee_signing_key_evidence_json(struct bptee_signing_key *k, unsigned flags, char **out);
/* Lowercase hex SHA-256 of the current evidence bytes into out[BPTEE_DIGEST_HEX_SIZE]. */
BPTEE_API int bptee_signing_key_evidence_digest(struct bptee_signing_key *k, char *out);
/* Ed25519 signature (detached, 64 bytes) over msg. Thread-safe. */
BPTEE_API int bptee_signing_key_sign(const struct bptee_signing_key *k, const uint8_t *msg, size_t len, uint8_t sig[64]);
/* Verify signing-key evidence under opts (bptee_verify_report) and check that its REPORT_DATA
 * binds the Ed25519 key its public-key binding names. On success public_key receives the key
 * and *verified (may be NULL) the verified report. BPTEE_EVERIFY naming what does not bind. */
BPTEE_API int bptee_signing_key_verify_evidence(const struct bptee_report *evidence, const struct bptee_verify_opts *opts, uint8_t public_key[32], struct bptee_report **verified);

/* ---- job result signatures (DESIGN.md contract 8) */

/* 0 if job_id is 1..BPTEE_JOB_ID_MAX characters from [A-Za-z0-9._:@+-]; BPTEE_EINVAL. */
BPTEE_API int bptee_job_id_check(const char *job_id);
/* SHA-256 over each argument followed by one 0x00 byte (what /proc/PID/cmdline holds). */
BPTEE_API void bptee_job_argv_digest(const char *const *argv, size_t argc, uint8_t out[32]);
/* The signed message: "bptee-job-result-v1" || 0x00 || result_sha256 || measurement ||
 * argv_sha256 || job id (its bytes, no terminator): 116 + strlen(job_id) bytes. */
BPTEE_API int bptee_job_result_message(const uint8_t result_sha256[32], const uint8_t measurement[32], const uint8_t argv_sha256[32], const char *job_id, uint8_t *out, size_t cap, size_t *len);
BPTEE_API int bptee_job_result_sign(const struct bptee_signing_key *k, const uint8_t result_sha256[32], const uint8_t measurement[32], const uint8_t argv_sha256[32], const char *job_id, uint8_t sig[64]);
/* 0 when sig is the key's signature over that message; BPTEE_EVERIFY otherwise. */
BPTEE_API int bptee_job_result_verify(const uint8_t public_key[32], const uint8_t sig[64], const uint8_t result_sha256[32], const uint8_t measurement[32], const uint8_t argv_sha256[32], const char *job_id);

/* ---- peers of the job socket */

struct bptee_peer {
    int32_t pid;
    uint32_t uid;
    uint32_t gid;
    bool measured;                               /* false: the binary could not be read */
    uint8_t measurement[32];                     /* SHA-256 of the peer's /proc/PID/exe */
    char measurement_hex[BPTEE_DIGEST_HEX_SIZE]; /* "" when not measured */
};

/* SHA-256 of /proc/PID/exe (bptee_elf_measure's value for the peer's binary), cached by
 * (device, inode, size, mtime, ctime) so a binary is hashed once while it is unchanged (once
 * its ctime is 2 s old: a younger file is hashed every time). */
BPTEE_API int bptee_peer_measure_pid(int32_t pid, uint8_t out[32]);
/* SHA-256 of /proc/PID/cmdline (the argv digest of a running process). */
BPTEE_API int bptee_peer_measure_cmdline(int32_t pid, uint8_t out[32]);
/* Who is on the other end of a unix socket: SO_PEERCRED, then the binary's measurement. A
 * binary that cannot be read leaves measured false (the reason in bptee_last_error) and is
 * not an error; a peer that exits while being measured is BPTEE_EDENIED. */
BPTEE_API int bptee_peer_identify(int sock, struct bptee_peer *out);

/* ---- the job socket protocol (docs/protocol.md) */

/* Longest line either side sends, newline included. */
#define BPTEE_JOB_LINE_MAX 512
/* Longest evidence JSON an ATTEST reply carries. */
#define BPTEE_JOB_ATTEST_MAX (1u << 20)

enum bptee_job_cmd {
    BPTEE_JOB_PING = 1,    /* "PING" -> "OK <protocol version>" */
    BPTEE_JOB_SECRET = 2,  /* "SECRET <name> [<for>]" -> "OK <size> <version>" + memfd */
    BPTEE_JOB_SIGN = 3,    /* "SIGN <job-id> <result> <argv|-> [<for>]" -> "OK <s> <m> <r> <a>" */
    BPTEE_JOB_ATTEST = 4,  /* "ATTEST" -> "OK <length> <public-key-hex>" + JSON */
    BPTEE_JOB_REFRESH = 5, /* "REFRESH": re-attest the signing key, reply as ATTEST */
    BPTEE_JOB_VERSION = 6, /* "VERSION <name> [<for>]" -> "OK <version>" (no descriptor) */
    BPTEE_JOB_RESULT = 7,  /* "RESULT <job-id>" + result file and directory fds -> "OK" */
    BPTEE_JOB_REGISTER = 8, /* "JOB <job-id> <measurement>": this connection keeps the job */
    BPTEE_JOB_WATCH = 9,   /* "WATCH" -> "OK", then only pushes (CHANGED, REVOKED) and ACKs */
    BPTEE_JOB_GRANT = 10,  /* "GRANT <job-id> <pid> <name>..." -> "OK" */
    BPTEE_JOB_ACK = 11,    /* "ACK <name> <version>": a keeper's answer to a push (no reply) */
};
#define BPTEE_JOB_PROTOCOL_VERSION 1

struct bptee_job_request {
    int cmd;                              /* enum bptee_job_cmd */
    char name[BPTEE_SECRET_NAME_MAX + 1]; /* SECRET, VERSION */
    /* SIGN; SECRET: the optional "job=<id>" word, for the audit log ("" when absent) */
    char job_id[BPTEE_JOB_ID_MAX + 1];
    uint8_t result_sha256[32];            /* SIGN */
    bool has_argv_sha256;                 /* SIGN: false ("-") = the agent reads the cmdline */
    uint8_t argv_sha256[32];
    /* SECRET, SIGN: on behalf of the binary with this measurement; the agent honours it only
     * from a peer running the agent's own binary (`bptee run` launching a job). */
    bool has_for_measurement;
    uint8_t for_measurement[32];
    /* SECRET: the optional last word "slot": also send the version page and the name's slot */
    bool want_slot;
    /* JOB: job_id and (has_for_measurement) for_measurement. GRANT: job_id, the root pid and
     * the names, as they stood on the line (single spaces, NUL-terminated). */
    int32_t pid;
    size_t n_names;
    char names[BPTEE_JOB_LINE_MAX];
    uint64_t version; /* ACK (and name): the version acknowledged, 0 for a REVOKED */
};

struct bptee_job_reply {
    int cmd;                             /* the request it answers */
    int error;                           /* 0 for OK, else the BPTEE_E* code of "ERR" */
    char reason[BPTEE_JOB_LINE_MAX];     /* ERR: printable ASCII, one line */
    uint64_t size, version;              /* SECRET; VERSION: version only */
    uint8_t signature[64];               /* SIGN */
    uint8_t measurement[32];             /* SIGN: the peer binary's measurement */
    uint8_t result_sha256[32];           /* SIGN */
    uint8_t argv_sha256[32];             /* SIGN */
    uint64_t length;                     /* ATTEST, REFRESH: JSON bytes after the line */
    uint8_t public_key[32];              /* ATTEST, REFRESH */
    uint32_t protocol;                   /* PING */
    bool has_slot;                       /* SECRET asked with "slot": "OK <size> <ver> <slot>" */
    uint32_t slot;                       /* the name's word in the version page */
};

/* Parse one request line (len bytes, ending in its single "\n"). BPTEE_EPARSE naming the
 * field; unknown commands BPTEE_EUNSUPPORTED. */
BPTEE_API int bptee_job_request_parse(const char *line, size_t len, struct bptee_job_request *out);
BPTEE_API int bptee_job_request_format(const struct bptee_job_request *req, char *out, size_t cap, size_t *len);
/* Parse the reply line to a cmd request ("OK ..." or "ERR <kind> <reason>"). */
BPTEE_API int bptee_job_reply_parse(int cmd, const char *line, size_t len, struct bptee_job_reply *out);
/* Format r (r->error != 0 formats "ERR"; its reason is cut at the first unprintable byte). */
BPTEE_API int bptee_job_reply_format(const struct bptee_job_reply *r, char *out, size_t cap, size_t *len);
/* The ERR kind word of a BPTEE_E* code ("denied", "notfound", ...) and back (unknown words
 * map to BPTEE_EIO). */
BPTEE_API const char *bptee_job_error_kind(int code);
BPTEE_API int bptee_job_error_code(const char *kind);

/* Pushes, agent -> keeper, on a connection that sent JOB then WATCH (docs/protocol.md):
 * "CHANGED <name> <size> <version>" + the new memfd, or "REVOKED <name> <kind> <reason>". */
enum bptee_job_push_kind {
    BPTEE_JOB_PUSH_CHANGED = 1,
    BPTEE_JOB_PUSH_REVOKED = 2,
};

struct bptee_job_push {
    int kind; /* enum bptee_job_push_kind */
    char name[BPTEE_SECRET_NAME_MAX + 1];
    uint64_t size, version;          /* CHANGED */
    int error;                       /* REVOKED: the BPTEE_E* code of <kind> */
    char reason[BPTEE_JOB_LINE_MAX]; /* REVOKED: printable ASCII, one line */
};

BPTEE_API int bptee_job_push_parse(const char *line, size_t len, struct bptee_job_push *out);
BPTEE_API int bptee_job_push_format(const struct bptee_job_push *p, char *out, size_t cap, size_t *len);

/* Socket I/O. Lines are read without reading past their "\n" (so JSON that follows stays in
 * the socket); *passed_fd (may be NULL: any fd received is closed) gets a descriptor that came
 * with the line by SCM_RIGHTS, or -1. BPTEE_ENOTFOUND on a clean end of stream before any
 * byte, BPTEE_ELIMIT on a line longer than cap. */
BPTEE_API int bptee_job_read_line(int fd, char *buf, size_t cap, size_t *len, int *passed_fd);
/* Most descriptors one line carries (RESULT: the result file and its directory). */
#define BPTEE_JOB_FDS_MAX 2
/* bptee_job_read_line keeping up to BPTEE_JOB_FDS_MAX descriptors in fds (unfilled ones -1;
 * fds NULL closes them all). */
BPTEE_API int bptee_job_read_line_fds(int fd, char *buf, size_t cap, size_t *len, int fds[BPTEE_JOB_FDS_MAX]);
/* Send data with pass_fd (>= 0) attached by SCM_RIGHTS, or none (-1). */
BPTEE_API int bptee_job_send(int fd, const void *data, size_t len, int pass_fd);
/* Send data with n_fds descriptors (at most 4) attached by SCM_RIGHTS to its first byte. */
BPTEE_API int bptee_job_send_fds(int fd, const void *data, size_t len, const int *fds, size_t n_fds);
/* Connect to the agent's socket (SOCK_CLOEXEC). */
BPTEE_API int bptee_job_connect(const char *path, int *fd);
/* Client calls over a connected socket. An ERR reply returns its code with "agent: REASON". */
BPTEE_API int bptee_job_secret(int fd, const char *name, int *memfd, uint64_t *size, uint64_t *version);
/* argv_sha256 NULL asks the agent to digest the caller's /proc/PID/cmdline. */
BPTEE_API int bptee_job_sign(int fd, const char *job_id, const uint8_t result_sha256[32], const uint8_t *argv_sha256, struct bptee_job_reply *out);
/* The same on behalf of a job binary (measurement), for a launcher running the agent's own
 * binary: it fetches secrets before exec and signs results it captured after the job exited.
 * A delegated SIGN needs the argv digest. Any other peer is refused (BPTEE_EDENIED). */
BPTEE_API int bptee_job_secret_for(int fd, const char *name, const uint8_t measurement[32], int *memfd, uint64_t *size, uint64_t *version);
/* bptee_job_secret_for with the job's id, recorded with the delivery in the agent's access log
 * (job_id NULL: none). */
BPTEE_API int bptee_job_secret_for_job(int fd, const char *name, const uint8_t measurement[32], const char *job_id, int *memfd, uint64_t *size, uint64_t *version);
/* bptee_job_secret_for_job asking with "slot": *page_fd gets the agent's read-only version
 * page (close it) and *slot the name's word in it, or -1 when the agent sent no page. */
BPTEE_API int bptee_job_secret_slot_for_job(int fd, const char *name, const uint8_t measurement[32], const char *job_id, int *memfd, uint64_t *size, uint64_t *version, int *page_fd, uint32_t *slot);
BPTEE_API int bptee_job_sign_for(int fd, const char *job_id, const uint8_t result_sha256[32], const uint8_t argv_sha256[32], const uint8_t measurement[32], struct bptee_job_reply *out);
/* VERSION: the stored version of a secret the caller may read, without its bytes (a job that
 * holds a copy asks whether it is still the current one). BPTEE_EDENIED "secret revoked: NAME"
 * once revoked. */
BPTEE_API int bptee_job_version(int fd, const char *name, uint64_t *version);
/* JOB: make this connection the keeper of job job_id, whose binary has measurement (from a
 * peer running the agent's own binary). SECRET for the job's secrets then follow on it
 * (bptee_job_secret_for_job with the same id and measurement). */
BPTEE_API int bptee_job_register(int fd, const char *job_id, const uint8_t measurement[32]);
/* WATCH, after bptee_job_register: from now on the connection carries pushes only. */
BPTEE_API int bptee_job_watch(int fd);
/* Wait for the next push (no timeout: the agent closing the connection is BPTEE_ENOTFOUND).
 * *memfd gets CHANGED's new memfd (-1 for REVOKED). Answer each with bptee_job_ack once the
 * job's view holds the change. */
BPTEE_API int bptee_job_push_read(int fd, struct bptee_job_push *out, int *memfd);
/* "ACK <name> <version>" (version 0 for a REVOKED). */
BPTEE_API int bptee_job_ack(int fd, const char *name, uint64_t version);
/* GRANT: register the process tree rooted at pid as job job_id, for the n names (sent in as
 * many GRANT lines as they need; a peer running the agent's own binary only). The grant ends
 * when that process exits. */
BPTEE_API int bptee_job_grant(int sock, const char *job_id, pid_t pid, const char *const *names, size_t n);

/* ATTEST (refresh 0) or REFRESH: the signing key's evidence JSON (bptee_free) and its key. */
BPTEE_API int bptee_job_attest(int fd, int refresh, char **json, size_t *len, uint8_t public_key[32]);

/* ---- provisioning (POST /v1/secrets and the client's checks) */

/* Room in a POST /v1/secrets body for everything but the ciphertext: name, keys, nonce,
 * session id, owner, signature, allow lists (64 measurements of 64 hex digits, 64 uids) and
 * JSON punctuation, with room to spare for whitespace. */
#define BPTEE_PROVISION_JSON_OVERHEAD (64u << 10)
/* Largest POST /v1/secrets, /v1/sessions or DELETE body the agent reads: a secret of
 * BPTEE_SECRET_MAX_SIZE sealed (its 16-byte tag added) as padded base64, plus the rest of the
 * request. (Byte fields as JSON integer arrays, blueprint-tee's form, take up to four bytes
 * a byte: that form carries secrets up to about a quarter of the maximum.) */
#define BPTEE_PROVISION_BODY_MAX                                                                   \
    (((BPTEE_SECRET_MAX_SIZE + 16u + 2u) / 3u) * 4u + BPTEE_PROVISION_JSON_OVERHEAD)

/* The POST /v1/secrets body: {"name", "payload": SealedSecretPayload, "version"?,
 * "allow"?: {"measurements"?: [hex], "uids"?: [int]}, "owner"?, "signature"?}. Unknown keys
 * are refused, so fields added later can never be silently ignored by an older agent. A
 * signed request (issue #8, docs/formats.md "Owner requests") has "owner", "signature" (64
 * bytes, 128 hex digits or base64) and "version", all three or none of the first two. */
struct bptee_provision_request {
    char *name;
    struct bptee_sealed_payload *payload;
    uint64_t version; /* 0 when absent */
    char **allow_measurements; /* lowercase hex, 64 digits each */
    size_t n_allow_measurements;
    uint32_t *allow_uids;
    size_t n_allow_uids;
    char *owner; /* the signing owner's id; NULL when unsigned */
    bool has_signature;
    uint8_t signature[64];
};

BPTEE_API int bptee_provision_request_from_json(const char *json, size_t len, struct bptee_provision_request **out);
/* flags BPTEE_WIRE_JSON_* (the payload's byte fields). */
BPTEE_API int bptee_provision_request_to_json(const struct bptee_provision_request *req, unsigned flags, char **out);
BPTEE_API void bptee_provision_request_free(struct bptee_provision_request *req);

/* The DELETE /v1/secrets/NAME body (a revocation): {"owner"?, "session_id"?, "version"?,
 * "signature"?}; an empty body is a request with none of them. A signed revocation has all
 * four; its signature covers operation REVOKE (docs/formats.md, "Owner requests"). */
struct bptee_revoke_request {
    char *owner;      /* NULL when unsigned */
    char *session_id; /* the session whose offer the owner verified; NULL when absent */
    uint64_t version; /* 0 when absent */
    bool has_signature;
    uint8_t signature[64];
};

BPTEE_API int bptee_revoke_request_from_json(const char *json, size_t len, struct bptee_revoke_request **out);
BPTEE_API int bptee_revoke_request_to_json(const struct bptee_revoke_request *req, char **out);
BPTEE_API void bptee_revoke_request_free(struct bptee_revoke_request *req);

/* A key-exchange offer the client has verified. */
struct bptee_offer;

/* Verify a KeyExchangeResponse: its attestation under opts (bptee_verify_report), then that
 * the verified REPORT_DATA is SHA-512(nonce || public_key_hex) and that the report's
 * public-key binding says the same. nonce: the one the client sent (32 bytes), or NULL to take
 * the response's "nonce" field (an offer without one is then refused). */
BPTEE_API int bptee_offer_verify(const char *json, size_t len, const uint8_t *nonce, const struct bptee_verify_opts *opts, struct bptee_offer **out);
BPTEE_API void bptee_offer_free(struct bptee_offer *o);
BPTEE_API const char *bptee_offer_session_id(const struct bptee_offer *o);
BPTEE_API const uint8_t *bptee_offer_public_key(const struct bptee_offer *o);
/* Lowercase hex SHA-256 of the offer's evidence (what SealedSecretResult must echo). */
BPTEE_API const char *bptee_offer_evidence_digest(const struct bptee_offer *o);
BPTEE_API const struct bptee_report *bptee_offer_report(const struct bptee_offer *o);
/* Check a SealedSecretResult against the offer: success true, attestation_digest the offer's
 * evidence digest, key_fingerprint SHA-256 of its key. BPTEE_EVERIFY naming the mismatch. */
BPTEE_API int bptee_offer_check_result(const struct bptee_offer *o, const char *json, size_t len);

#endif
