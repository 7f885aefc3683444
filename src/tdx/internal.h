/* SPDX-License-Identifier: Apache-2.0 */
/* TDX internals shared by the module's files (private). */
#ifndef BPTEE_TDX_INTERNAL_H
#define BPTEE_TDX_INTERNAL_H

#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <stdbool.h>

#include <bptee/tdx.h>

#include "util/bytes.h"

/* Intel's QE vendor id, as every Intel QE (and the simulator) writes it. */
extern const uint8_t tdx_intel_qe_vendor_id[16];

/* quote_body.c: the TD quote body and the SGX report body. */
void tdx_body_read(struct cursor *c, int body_type, struct bptee_tdx_body *b);
void tdx_body_write(struct writer *w, int body_type, const struct bptee_tdx_body *b);
void tdx_sgx_report_read(struct cursor *c, struct bptee_tdx_sgx_report *r);
void tdx_sgx_report_write(struct writer *w, const struct bptee_tdx_sgx_report *r);

/* json_out.c: hex strings for the JSON views. */
json_t *tdx_hex_json(const uint8_t *p, size_t n);
json_t *tdx_u64_json(uint64_t v);
json_t *tdx_body_json(const struct bptee_tdx_body *b, int body_type);
int tdx_json_out(json_t *j, char **out);

/* sig.c: ECDSA P-256 with raw r || s and raw x || y public keys. */
int tdx_p256_key_from_raw(const uint8_t xy[64], EVP_PKEY **out);
/* The same, quiet: the key, or NULL when the point is not a valid P-256 point. */
EVP_PKEY *tdx_p256_key_import(const uint8_t xy[64]);
/* 1 valid, 0 invalid signature, negative on an internal error. */
int tdx_p256_verify(EVP_PKEY *key, const uint8_t sig[64], const uint8_t *msg, size_t len);
/* The attestation key, through a small cache of keys already imported. */
int tdx_attest_key_get(const uint8_t xy[64], EVP_PKEY **out);
void tdx_attest_key_cache_clear(void);

/* roots.c: the pinned Intel SGX Root CA. */
int tdx_intel_root(X509 **out); /* borrowed, loaded once, fingerprint checked */
extern const uint8_t tdx_intel_root_sha256[32];
extern const char tdx_intel_root_pem[];

/* known.c: Intel's certificate with exactly these DER bytes, parsed once (a new reference),
 * or NULL (util/known_certs.h). */
X509 *tdx_known_cert(const uint8_t *der, size_t len);
/* The same for the PEM block starting text (after white space), *used its extent. */
X509 *tdx_known_cert_at_pem(const uint8_t *text, size_t len, size_t *used);

/* pckext.c */
int tdx_pck_ext_from_x509(X509 *x, struct bptee_tdx_pck_ext *out);
/* The same from a certificate's extensions (the first SGX extension, as X509_get_ext_by_OBJ). */
int tdx_pck_ext_from_exts(const STACK_OF(X509_EXTENSION) *exts, struct bptee_tdx_pck_ext *out);

/* chain.c: the PCK chain, from PEM to a verified leaf key and its extensions. */
struct tdx_chain {
    EVP_PKEY *pck_key; /* owned reference */
    X509 *pck_ca;      /* owned: issuer of the PCK CRL */
    X509 *root;        /* owned */
    ASN1_INTEGER *pck_serial;
    ASN1_INTEGER *ca_serial;
    struct bptee_tdx_pck_ext ext;
    uint8_t root_sha256[32], ca_sha256[32];
    bool root_is_intel, root_sim_org;
    int64_t not_before, not_after;
};
/* Decide trust in the root under o (setting *simulated), then verify the path at o->at. */
int tdx_chain_establish(const uint8_t *pem, size_t len, const struct bptee_tdx_verify_opts *o,
                        bool *simulated, struct tdx_chain *out);
void tdx_chain_release(struct tdx_chain *c);
/* chain_fast.c: true when the chain is a PCK certificate under Intel's CA and root as the
 * library knows them and verifies at `at` (out filled, root trusted as Intel's); false leaves
 * the decision, and its reason, to tdx_chain_establish's full path. */
bool tdx_chain_fast(const uint8_t *pem, size_t len, int64_t at, struct tdx_chain *out);
int tdx_chain_copy(const struct tdx_chain *src, struct tdx_chain *dst);
/* Decide trust in the chain's root under the options; sets *simulated. */
int tdx_trust_root(const struct tdx_chain *c, const struct bptee_tdx_verify_opts *o,
                   bool *simulated);
/* PEM certificates (NUL padding tolerated) into a stack; BPTEE_EPARSE naming `what`. */
int tdx_pem_certs(const uint8_t *pem, size_t len, const char *what, STACK_OF(X509) **out);

/* cache.c: verified chains keyed by the exact PEM bytes, valid inside their window. */
bool tdx_cache_lookup(const uint8_t *pem, size_t len, int64_t at, struct tdx_chain *out);
void tdx_cache_store(const uint8_t *pem, size_t len, const struct tdx_chain *c);

/* collateral*.c: the parsed collateral. */
struct tdx_signed_json {
    uint8_t *raw; /* the whole response as given */
    size_t raw_len;
    size_t body_off, body_len; /* the exact bytes of the signed JSON value within raw */
    uint8_t signature[64];
    json_t *body; /* parsed from exactly those bytes */
};
#define TDX_COLL_KINDS (BPTEE_TDX_COLL_PCK_CRL + 1)
struct bptee_tdx_collateral {
    struct tdx_signed_json tcb_info, qe_identity;
    bool has_tcb_info, has_qe_identity;
    STACK_OF(X509) *signing_chain;
    X509_CRL *root_crl, *pck_crl;
    uint8_t piece_sha256[TDX_COLL_KINDS][32]; /* of each piece's bytes as set */
    bool piece_set[TDX_COLL_KINDS];
};
/* Locate the value of top-level key `key` in raw JSON text; BPTEE_EPARSE if absent. */
int tdx_json_value_span(const char *text, size_t len, const char *key, size_t *off,
                        size_t *vlen);
int tdx_signed_json_parse(const uint8_t *data, size_t len, const char *key, const char *what,
                          struct tdx_signed_json *out);
void tdx_signed_json_release(struct tdx_signed_json *s);

/* collateral_verify.c: what verifying collateral under a PCK chain's root and CA takes. The
 * TCB signing certificate to the root, the TCB info and QE identity signatures, the CRLs'
 * issuers, signatures and currency at `at`: 0 with the window where all of it holds. */
int tdx_collateral_authenticate(const struct bptee_tdx_collateral *c,
                                const struct tdx_chain *chain, int64_t at,
                                int64_t *not_before, int64_t *not_after);
/* The CRLs do not list the PCK, its CA or the TCB signing certificate. */
int tdx_collateral_check_revocation(const struct bptee_tdx_collateral *c,
                                    const struct tdx_chain *chain);

/* collateral_cache.c: authenticate through a cache keyed by the collateral's content digest
 * and the chain's root and PCK CA, answering only inside the window; revocation is checked on
 * every call. */
int tdx_collateral_verify(const struct bptee_tdx_collateral *c, const struct tdx_chain *chain,
                          int64_t at);
void tdx_collateral_cache_clear(void);

/* tcbeval.c: statuses, strict collateral readers (errors "tdx: WHAT.KEY: ..."), dates, and
 * the evaluation of a verified quote against verified collateral. */
int tdx_time_parse(const char *s, const char *what, int64_t *out);
int tdx_status_from_json(const json_t *level, const char *what, int *status);
int cj_str(const json_t *o, const char *key, const char *what, const char **out);
int cj_int(const json_t *o, const char *key, const char *what, int64_t max, int64_t *out);
int cj_hex(const json_t *o, const char *key, const char *what, uint8_t *out, size_t n);
int cj_array(const json_t *o, const char *key, const char *what, const json_t **out);
int tdx_check_dates(const json_t *body, const char *what, int64_t at);
/* body.id must be `id` and body.version `version` (QE identity, TCB info). */
int tdx_check_id_version(const json_t *body, const char *what, const char *id, int64_t version);
/* The status of the first of obj.tcbLevels whose tcb.isvsvn (0..max) `have` reaches: 1 with
 * *status set, or 0 when `have` is below every level. */
int tdx_isvsvn_level(const json_t *obj, const char *what, int64_t max, unsigned have, int *status);
int tdx_tcb_evaluate(const struct bptee_tdx_collateral *c, const struct bptee_tdx_quote *q,
                     const struct bptee_tdx_pck_ext *pck, int64_t at, struct bptee_tdx_verified *v);

/* tcbinfo.c / qeid.c */
int tdx_qe_identity_check(const json_t *body, const struct bptee_tdx_sgx_report *qe,
                          int64_t at, int *status);
int tdx_tcb_info_check(const json_t *body, const struct bptee_tdx_quote *q,
                       const struct bptee_tdx_pck_ext *pck, int64_t at,
                       struct bptee_tdx_verified *v);
int tdx_tcb_combine(int a, int b);

#endif
