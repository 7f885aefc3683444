/* SPDX-License-Identifier: Apache-2.0 */
/* AWS Nitro Enclaves attestation documents: a COSE_Sign1 (tagged or not) whose payload is a
 * CBOR map, signed ES384 by a leaf certificate that chains through the document's cabundle to
 * the pinned AWS Nitro Enclaves Root-G1. docs/nitro.md describes the checks. */
#ifndef BPTEE_NITRO_H
#define BPTEE_NITRO_H

#include <bptee/common.h>

#define BPTEE_NITRO_DOC_MAX (64u << 10) /* largest document accepted */
#define BPTEE_NITRO_PCR_COUNT 32
#define BPTEE_NITRO_PCR_MAX 64          /* bytes of a SHA-512 PCR */
#define BPTEE_NITRO_CABUNDLE_MAX 16
#define BPTEE_NITRO_CERT_MAX 1024       /* AWS CDDL: certificate and cabundle entries 1..1024 */
#define BPTEE_NITRO_FIELD_MAX 1024      /* public_key, user_data, nonce */
#define BPTEE_NITRO_MODULE_ID_MAX 256
#define BPTEE_NITRO_ALG_ES384 (-35)     /* the only COSE algorithm accepted */

/* SHA-256 of the DER of AWS Nitro Enclaves Root-G1, the one built-in root. */
#define BPTEE_NITRO_ROOT_G1_SHA256                                                               \
    "641a0321a3e244efe456463195d606317ed7cdcc3c1756e09893f3c68f79bb5b"

/* Bytes owned by the document they belong to. */
struct bptee_nitro_bytes {
    const uint8_t *data;
    size_t len;
};

/* A decoded document. Optional fields have their has_ flag; absent and CBOR null are alike. */
struct bptee_nitro_document {
    int tagged;                                 /* COSE tag 18 was present */
    struct bptee_nitro_bytes protected_header;  /* the exact bytes the signature covers */
    struct bptee_nitro_bytes payload;
    struct bptee_nitro_bytes signature;         /* r ‖ s, 96 bytes */
    char module_id[BPTEE_NITRO_MODULE_ID_MAX + 1];
    char digest[8];                             /* "SHA256", "SHA384" or "SHA512" */
    size_t pcr_len;                             /* 32, 48 or 64 per digest */
    uint64_t timestamp_ms;
    uint32_t pcr_present;                       /* bit i: PCR i is in the document */
    uint8_t pcrs[BPTEE_NITRO_PCR_COUNT][BPTEE_NITRO_PCR_MAX];
    struct bptee_nitro_bytes certificate;       /* DER leaf */
    struct bptee_nitro_bytes cabundle[BPTEE_NITRO_CABUNDLE_MAX]; /* DER, root first */
    size_t n_cabundle;
    int has_public_key, has_user_data, has_nonce;
    struct bptee_nitro_bytes public_key, user_data, nonce;
    /* Set by bptee_nitro_verify only. */
    uint8_t root_sha256[32]; /* the root the chain ended in */
    int foreign_root;        /* 1: a root the caller trusted, not AWS Nitro Root-G1 */
};

/* Decode a document: COSE_Sign1 structure and the payload map by key, every field's type and
 * length checked (digest name, PCR sizes for that digest, certificate sizes, duplicate or
 * unknown keys). Nothing is verified. Released with bptee_nitro_document_free. */
BPTEE_API int bptee_nitro_document_parse(const uint8_t *data, size_t len, struct bptee_nitro_document **out);
BPTEE_API void bptee_nitro_document_free(struct bptee_nitro_document *doc);

/* 1 when data looks like a COSE_Sign1 (tag 18 or an array of four, starting with a byte
 * string), the sniffing `bptee verify` does before parsing; 0 otherwise. */
BPTEE_API int bptee_nitro_detect(const uint8_t *data, size_t len);

struct bptee_nitro_verify_opts {
    size_t sz;
    int64_t at; /* certificate validity time, unix seconds; 0 = the document's timestamp */
    /* SHA-256 DER fingerprints of further roots to trust (test CAs, emulators); evidence
     * chained to one has foreign_root set. AWS Nitro Root-G1 needs no listing. */
    const uint8_t (*trusted_roots)[32];
    size_t n_trusted_roots;
};

/* Decode, then verify: cabundle[0] is a trusted root (by fingerprint, not because it is
 * there), cabundle[i] signs cabundle[i+1] and the last signs the leaf (CA constraints, path
 * length and key usage checked, validity at opts->at), the leaf is a P-384 key valid at the
 * document's timestamp, and the COSE ES384 signature over the Sig_structure rebuilt from the
 * original protected-header and payload bytes. BPTEE_EPARSE (malformed), BPTEE_EVERIFY
 * (signature, chain, root), BPTEE_EEXPIRED (validity). */
BPTEE_API int bptee_nitro_verify(const uint8_t *data, size_t len, const struct bptee_nitro_verify_opts *opts, struct bptee_nitro_document **out);

#endif
