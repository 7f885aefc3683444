/* SPDX-License-Identifier: Apache-2.0 */
/* The in-memory secret store (DESIGN.md contract 2): named secrets in guarded, locked memory
 * that core dumps exclude (sodium_malloc), wiped when replaced, revoked, removed or freed;
 * never written to disk or the environment, never put in an error string. Jobs receive a
 * secret as a sealed, read-only memfd (which can travel by SCM_RIGHTS).
 *
 * Each secret has a version that only grows, an optional allow list of peers (binary
 * measurements as hex SHA-256, and uids), and may be revoked: a revoked secret keeps its name
 * and version (so an older version cannot be replayed in) but no bytes, and every read of it
 * fails with BPTEE_EDENIED "secret revoked: NAME". Every function is thread-safe. */
#ifndef BPTEE_SECRETS_H
#define BPTEE_SECRETS_H

#include <bptee/common.h>

/* Secret names: 1..128 characters from [A-Za-z0-9._-], not "." or ".." (they become file
 * names under the job's secrets directory). */
#define BPTEE_SECRET_NAME_MAX 128
/* Largest secret, end to end (docs/agent.md, "Limits"): the store holds it, `bptee provision`
 * reads it, and POST /v1/secrets carries it sealed in base64 (BPTEE_PROVISION_BODY_MAX). One
 * MiB: keys, certificates and passwords fit many times over, while the agent keeps every
 * secret in locked memory and buffers bodies of concurrent uploads. */
#define BPTEE_SECRET_MAX_SIZE (1u << 20)
/* Longest owner id recorded with a secret (BPTEE_OWNER_ID_MAX). */
#define BPTEE_SECRET_OWNER_MAX 64
/* Longest allow lists. */
#define BPTEE_SECRET_ALLOW_MAX 64

/* Options for bptee_secret_store_put (BPTEE_OPTS). */
struct bptee_secret_put_opts {
    size_t sz;
    /* 0: one more than the stored version (1 for a new name). Otherwise it must be greater
     * than the stored version (also a revoked one): BPTEE_EDENIED if not. */
    uint64_t version;
    /* Binary measurements allowed to read it (64 hex digits each, any case); none = any. */
    const char *const *allow_measurements;
    size_t n_allow_measurements;
    /* uids allowed to read it; none = any. */
    const uint32_t *allow_uids;
    size_t n_allow_uids;
    /* The owner id that wrote this version (NULL: none, e.g. unsigned provisioning). */
    const char *owner;
};

/* What the store knows about a secret besides its bytes. */
struct bptee_secret_info {
    uint64_t version;
    size_t size; /* 0 when revoked */
    int revoked;
    size_t n_allow_measurements;
    size_t n_allow_uids;
};

struct bptee_secret_store;

/* The version page (docs/protocol.md): BPTEE_SECRET_PAGE_SLOTS native-endian 64-bit
 * words, one per secret name. A word is the name's version; with BPTEE_SECRET_PAGE_REVOKED set
 * it was revoked at that version; BPTEE_SECRET_PAGE_GONE: removed, or the agent stopped. */
#define BPTEE_SECRET_PAGE_SLOTS 4096u
#define BPTEE_SECRET_PAGE_REVOKED (UINT64_C(1) << 63)
#define BPTEE_SECRET_PAGE_GONE UINT64_MAX
#define BPTEE_SECRET_NO_SLOT UINT32_MAX

/* One delivery of a secret to a job (bptee_secret_store_deliver). */
struct bptee_secret_delivery {
    int fd;           /* sealed read-only memfd, a new open file description (own offset) */
    uint64_t version; /* the version it holds */
    uint64_t size;    /* its bytes */
    uint32_t slot;    /* the name's word in the version page, BPTEE_SECRET_NO_SLOT if none */
};

BPTEE_API int bptee_secret_store_new(struct bptee_secret_store **out);
/* Wipes every secret. NULL is a no-op. */
BPTEE_API void bptee_secret_store_free(struct bptee_secret_store *st);
/* Store a copy of data under name, replacing (and wiping) an older version. opts may be NULL. */
BPTEE_API int bptee_secret_store_put(struct bptee_secret_store *st, const char *name, const uint8_t *data, size_t len, const struct bptee_secret_put_opts *opts);
/* Forget a secret entirely (wiped; its version is forgotten too). BPTEE_ENOTFOUND. */
BPTEE_API int bptee_secret_store_remove(struct bptee_secret_store *st, const char *name);
/* Wipe a secret's bytes and mark it revoked; a put with a greater version replaces it. */
BPTEE_API int bptee_secret_store_revoke(struct bptee_secret_store *st, const char *name);
/* The same as a versioned write: version 0 is one more than the stored version, otherwise it
 * must be greater (BPTEE_EDENIED, the secret left as it was); the revoked entry keeps that
 * version, so neither the revocation nor anything older can be replayed afterwards. owner
 * (may be NULL) is recorded as for a put. BPTEE_ENOTFOUND for an unknown name. */
BPTEE_API int bptee_secret_store_revoke_at(struct bptee_secret_store *st, const char *name, uint64_t version, const char *owner);
/* The owner id recorded with the stored version ("" when none) into out (cap bytes, at least
 * BPTEE_SECRET_OWNER_MAX + 1). */
BPTEE_API int bptee_secret_store_owner(struct bptee_secret_store *st, const char *name, char *out, size_t cap);
BPTEE_API int bptee_secret_store_info(struct bptee_secret_store *st, const char *name, struct bptee_secret_info *out);
/* Copy a secret's bytes into out (cap bytes). *len receives its size; a short cap is
 * BPTEE_ELIMIT with *len set, so a caller can size its buffer and retry. */
BPTEE_API int bptee_secret_store_get(struct bptee_secret_store *st, const char *name, uint8_t *out, size_t cap, size_t *len);
/* May a peer (its binary's measurement as hex SHA-256, or NULL when unknown, and its uid)
 * read the secret? 0 if so; BPTEE_EDENIED with the reason (which names the peer, never the
 * secret's bytes); BPTEE_ENOTFOUND; revoked is BPTEE_EDENIED "secret revoked: NAME". */
BPTEE_API int bptee_secret_store_check_peer(struct bptee_secret_store *st, const char *name, const char *measurement, uint32_t uid);
/* The secret as a sealed read-only memfd (see bptee_secret_memfd), after check_peer passes;
 * the check and the copy happen under one lock, so a revoke cannot slip between them. The
 * memfd is labelled "bptee:NAME@VERSION" (/proc/PID/fd shows "/memfd:bptee:NAME@VERSION"), so a
 * holder can tell which version it has. */
BPTEE_API int bptee_secret_store_memfd(struct bptee_secret_store *st, const char *name, const char *measurement, uint32_t uid, int *fd);
/* The same, also giving the version the memfd holds (read under the same lock). */
BPTEE_API int bptee_secret_store_memfd_version(struct bptee_secret_store *st, const char *name, const char *measurement, uint32_t uid, int *fd, uint64_t *version);
/* The same as one delivery: the memfd (made once per version and reopened read-only for each
 * delivery), its version and size, and the name's slot in the version page. */
BPTEE_API int bptee_secret_store_deliver(struct bptee_secret_store *st, const char *name, const char *measurement, uint32_t uid, struct bptee_secret_delivery *out);
/* A new read-only descriptor of the version page (the caller closes it) and its slot count;
 * BPTEE_EUNSUPPORTED when the store has no page. */
BPTEE_API int bptee_secret_store_page(struct bptee_secret_store *st, int *fd, size_t *slots);
/* Number of names held (revoked ones included). */
BPTEE_API size_t bptee_secret_store_count(struct bptee_secret_store *st);
/* Metadata of every secret as a JSON array of {"name","version","size","revoked"}, sorted by
 * name, released with bptee_free. Never the bytes. */
BPTEE_API int bptee_secret_store_list_json(struct bptee_secret_store *st, char **out);

/* A memfd holding data, sealed with F_SEAL_WRITE|F_SEAL_GROW|F_SEAL_SHRINK|F_SEAL_SEAL and
 * reopened read-only (O_RDONLY|O_CLOEXEC), offset 0. label names it in /proc (memfd:LABEL). */
BPTEE_API int bptee_secret_memfd(const char *label, const uint8_t *data, size_t len, int *fd);
/* Make this process non-dumpable (prctl PR_SET_DUMPABLE 0): no core dump, no ptrace attach
 * or /proc/PID/mem reads by other processes of the same user. */
BPTEE_API int bptee_secret_make_nondumpable(void);

#endif
