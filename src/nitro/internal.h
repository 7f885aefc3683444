/* SPDX-License-Identifier: Apache-2.0 */
/* The nitro module's private pieces: the decoded document keeps the CBOR items its byte
 * fields point into. */
#ifndef BPTEE_NITRO_INTERNAL_H
#define BPTEE_NITRO_INTERNAL_H

#include <cbor.h>
#include <openssl/x509.h>

#include <bptee/nitro.h>

struct nitro_doc {
    struct bptee_nitro_document doc; /* first: the public view */
    cbor_item_t *cose, *payload, *protected_map;
    uint8_t pcr_size[BPTEE_NITRO_PCR_COUNT];
};

/* cbor_check.c: declared counts bounded by the input, no indefinite lengths. */
int nitro_cbor_check(const uint8_t *data, size_t len, const char *what);

/* cose.c: one whole CBOR item (checked first, trailing bytes refused). */
int nitro_cbor_load(const uint8_t *data, size_t len, const char *what, cbor_item_t **out);

/* cose.c: the COSE_Sign1 layer (structure, protected header, signature size). */
int nitro_cose_decode(const uint8_t *data, size_t len, struct nitro_doc *d);

/* payload.c: the payload map, by key. */
int nitro_payload_decode(struct nitro_doc *d);

/* root.c: AWS Nitro Enclaves Root-G1, parsed once and checked against its fingerprint. */
int nitro_root_get(X509 **root, const uint8_t **sha256);

/* certcache.c: a certificate parsed from exactly these DER bytes (a new reference), or NULL
 * with the reason set. */
X509 *nitro_cert_get(const struct bptee_nitro_bytes *b, const char *what);

/* chain.c: cabundle root trust and the chain to the leaf; *leaf_key is the leaf's P-384 key. */
int nitro_chain_verify(struct bptee_nitro_document *doc, const struct bptee_nitro_verify_opts *o,
                       EVP_PKEY **leaf_key);

/* sig.c: the ES384 signature over the rebuilt Sig_structure. */
int nitro_sig_verify(const struct bptee_nitro_document *doc, EVP_PKEY *key);

#endif
