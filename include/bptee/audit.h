/* SPDX-License-Identifier: Apache-2.0 */
/* The agent's access log (issue #8): an append-only, hash-chained record of every provision,
 * rotation, revocation and refused write, and of every delivery of a secret to a job (name,
 * version, pid, uid, binary measurement, job id, time), never a secret's bytes. The agent keeps
 * it in memory (and optionally appends it to a file) and exports it signed by its attested
 * Ed25519 key with that key's evidence, so an owner can check offline which programs read
 * their secret. docs/formats.md ("Audit log") specifies the entry encoding, the chain and the
 * signed head. */
#ifndef BPTEE_AUDIT_H
#define BPTEE_AUDIT_H

#include <stdbool.h>

#include <bptee/agent.h>
#include <bptee/common.h>
#include <bptee/evidence.h>
#include <bptee/verify.h>

#define BPTEE_AUDIT_ENTRY_TAG "bptee-audit-entry-v1"
#define BPTEE_AUDIT_LOG_TAG "bptee-audit-log-v1"
#define BPTEE_AUDIT_FORMAT "bptee-audit-v1"
/* Longest detail text (printable ASCII) and encoded entry. */
#define BPTEE_AUDIT_DETAIL_MAX 512
#define BPTEE_AUDIT_ENTRY_MAX 1024
/* Largest exported document the verifier reads. */
#define BPTEE_AUDIT_JSON_MAX (64u << 20)

enum bptee_audit_event {
    BPTEE_AUDIT_START = 1,     /* the agent started (detail: its signing key) */
    BPTEE_AUDIT_PROVISION = 2, /* a secret stored under a new name */
    BPTEE_AUDIT_ROTATE = 3,    /* a higher version replaced a stored secret */
    BPTEE_AUDIT_REVOKE = 4,    /* a secret revoked and wiped */
    BPTEE_AUDIT_REFUSE = 5,    /* a provisioning or revocation refused (detail: why) */
    BPTEE_AUDIT_DELIVER = 6,   /* a secret handed to a job */
    BPTEE_AUDIT_DENY = 7,      /* a job refused a secret (detail: why) */
};

/* One entry. A plain struct: strings are borrowed; NULL or "" means absent. */
struct bptee_audit_entry {
    uint64_t seq;  /* 1, 2, ... (set by bptee_audit_log_append) */
    uint64_t time; /* Unix seconds (set by bptee_audit_log_append) */
    int event;     /* enum bptee_audit_event */
    const char *name;  /* the secret ("" only for START) */
    uint64_t version;  /* the secret's version, 0 when none applies */
    const char *owner; /* the owner that signed (or claimed to, for REFUSE) */
    bool has_peer;     /* DELIVER, DENY: the job process */
    int32_t pid;
    uint32_t uid;
    bool has_measurement;
    uint8_t measurement[32]; /* SHA-256 of the job's binary */
    const char *job_id;      /* as the job or its launcher declared it */
    const char *detail;      /* printable ASCII, at most BPTEE_AUDIT_DETAIL_MAX */
};

/* "start", "provision", ... (NULL if unknown) and back (BPTEE_EPARSE). */
BPTEE_API const char *bptee_audit_event_name(int event);
BPTEE_API int bptee_audit_event_parse(const char *name, int *event);
/* The entry's canonical bytes (docs/formats.md): fixed fields little-endian, then the four
 * strings each with a u16 LE length. BPTEE_EINVAL naming a field that breaks its rule. */
BPTEE_API int bptee_audit_entry_encode(const struct bptee_audit_entry *e, uint8_t *out, size_t cap, size_t *len);
/* next = SHA-256("bptee-audit-entry-v1" || 0x00 || prev || encoded entry). */
BPTEE_API void bptee_audit_chain_next(const uint8_t prev[32], const uint8_t *entry, size_t len, uint8_t next[32]);
/* The signed head: "bptee-audit-log-v1" || 0x00 || first_seq || count (u64 LE) || prev ||
 * head || nonce (32 bytes, zero when none): 131 bytes. */
BPTEE_API void bptee_audit_head_message(uint64_t first_seq, uint64_t count, const uint8_t prev[32], const uint8_t head[32], const uint8_t nonce[32], uint8_t out[131]);

/* ---- the log (thread-safe) */

struct bptee_audit_log;

/* Keep at most max_entries in memory (0: 16384); older ones leave memory (not the file), and
 * an export then starts later in the chain, with the chain value before its first entry. */
BPTEE_API int bptee_audit_log_new(size_t max_entries, struct bptee_audit_log **out);
BPTEE_API void bptee_audit_log_free(struct bptee_audit_log *log);
/* Also append every entry, one JSON line each, to path (O_APPEND | O_CREAT | O_CLOEXEC |
 * O_NOFOLLOW, mode 0600). An entry the file refuses is not logged at all (BPTEE_EIO), so the
 * memory and the file never disagree. */
BPTEE_API int bptee_audit_log_open_file(struct bptee_audit_log *log, const char *path);
/* Bound the file: before a line would take it past max_bytes (0: no bound; else at least
 * 64 KiB), PATH is renamed PATH.1 (PATH.1 to PATH.2, and so on up to PATH.keep; the oldest
 * falls off) and a new PATH begins with a header line naming the first entry's seq and the
 * chain value before it, so the chain runs on across the files (bptee_audit_file_verify).
 * A rotation that fails fails the append (the entry is not logged). */
#define BPTEE_AUDIT_FILE_KEEP_MAX 99
BPTEE_API int bptee_audit_log_set_file_limit(struct bptee_audit_log *log, uint64_t max_bytes, unsigned keep);
/* Append e (its seq and time are assigned here); *seq (may be NULL) receives its number. */
BPTEE_API int bptee_audit_log_append(struct bptee_audit_log *log, const struct bptee_audit_entry *e, uint64_t *seq);
/* Entries appended since the start (in memory or not). */
BPTEE_API uint64_t bptee_audit_log_count(struct bptee_audit_log *log);
/* The signed export (docs/formats.md): {"format", "first_seq", "count", "prev", "head",
 * "nonce", "entries", "signing_key", "signature", "attestation"}; nonce (32 bytes, may be NULL)
 * is signed with it. Released with bptee_free. */
BPTEE_API int bptee_audit_log_export(struct bptee_audit_log *log, struct bptee_signing_key *key, const uint8_t *nonce, char **out);

/* ---- verification (offline, by an owner) */

struct bptee_audit_verified {
    uint64_t first_seq, count;
    uint8_t signing_key[32];
    struct bptee_report *evidence; /* the signing key's verified report; bptee_report_free */
};

/* Verify an exported log: every entry's hash against its contents, the sequence (no gap, no
 * reordering), the chain up to the signed head, the signature by the signing key, and that key's
 * evidence under opts (bptee_signing_key_verify_evidence). nonce (32 bytes, may be NULL) must
 * be the one signed. BPTEE_EVERIFY naming the first thing that does not hold. out may be NULL. */
BPTEE_API int bptee_audit_verify(const char *json, size_t len, const struct bptee_verify_opts *opts, const uint8_t *nonce, struct bptee_audit_verified *out);

/* ---- the file log, across its rotated files */
struct bptee_audit_file_verified {
    uint64_t find_seq;             /* in: an entry of the newest chain to look up (0: none) */
    bool found;                    /* out: it is in the files ... */
    uint8_t found_hash[32];        /* ... with this chain value */
    size_t files;                  /* files read: PATH.N .. PATH.1, PATH */
    uint64_t entries;              /* entries in them */
    uint64_t first_seq, last_seq;  /* of the chain the newest file ends in */
    uint8_t head[32];              /* the chain value after its last entry */
    bool starts_at_beginning;      /* the oldest file kept starts at seq 1 */
};
/* Verify the file log at path and its rotated predecessors (path.1, path.2, ... while they
 * exist), oldest first: each line's hash against its entry, the sequence without gap, each
 * file's header against the file before it (its first seq and chain value), so nothing was
 * dropped, edited or reordered between files. A restarted agent begins a new chain (a start
 * entry at seq 1 after a zero chain value). BPTEE_EVERIFY naming the file and line. The file
 * carries no signature: compare head with a signed export's (bptee audit verify --log). */
BPTEE_API int bptee_audit_file_verify(const char *path, struct bptee_audit_file_verified *out);

#endif
