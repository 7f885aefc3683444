/* SPDX-License-Identifier: Apache-2.0 */
/* SEV-SNP verification internals shared by the module's files (private). */
#ifndef BPTEE_SNP_INTERNAL_H
#define BPTEE_SNP_INTERNAL_H

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <stdbool.h>

#include <bptee/snp.h>

/* roots_pem.c: AMD's certificates, PEM. */
extern const char snp_ark_milan_pem[], snp_ask_milan_pem[], snp_asvk_milan_pem[];
extern const char snp_ark_genoa_pem[], snp_ask_genoa_pem[], snp_asvk_genoa_pem[];
extern const char snp_ark_turin_pem[], snp_ask_turin_pem[], snp_asvk_turin_pem[];

/* roots.c: the built-in roots of one product, loaded once and pinned by fingerprint. */
struct snp_builtin {
    X509 *ark, *ask, *asvk;
    uint8_t ark_sha256[32];
};
/* asvk: load the ASVK too (b->asvk is NULL until some call asked for it). */
int snp_builtin_get(int product, bool asvk, const struct snp_builtin **out);
/* The product whose built-in ARK has this fingerprint, or BPTEE_SNP_PRODUCT_UNKNOWN. */
int snp_builtin_product_of(const uint8_t fp[32]);
/* The built-in certificate (borrowed) whose DER is exactly these bytes, or NULL: parsing is
 * deterministic, so the copy parsed at load stands for the caller's; the chain's signatures are
 * still verified on every call. */
X509 *snp_builtin_find(const uint8_t *der, size_t len);
/* The built-in certificate whose PEM text starts text (after white space; *used: its extent),
 * or NULL: its DER is known without decoding the text. */
struct known_cert;
const struct known_cert *snp_builtin_at_pem(const uint8_t *text, size_t len, size_t *used);
/* The pinned fingerprint when ark is a built-in ARK (no digest to compute). */
bool snp_builtin_ark_sha256(X509 *ark, uint8_t out[32]);

/* certs.c: DER certificates gathered from the caller's inputs before anything is parsed, so
 * the chain cache can match on the exact bytes. */
#define SNP_MAX_CHAIN 4
struct der {
    const uint8_t *p;
    size_t n;
};
struct snp_inputs {
    struct der leaf;                /* VCEK or VLEK (n == 0: none given) */
    struct der chain[SNP_MAX_CHAIN]; /* ASK/ASVK/ARK in the order given */
    size_t n_chain;
    uint8_t *owned[SNP_MAX_CHAIN + 2]; /* decoded PEM buffers */
    size_t n_owned;
};
int snp_inputs_gather(const struct bptee_snp_verify_opts *o, int signing_key,
                      struct snp_inputs *in);
void snp_inputs_release(struct snp_inputs *in);

/* vcek.c: what the endorsement key certificate says about the chip. */
enum snp_spl { SPL_BL, SPL_TEE, SPL_SNP, SPL_UCODE, SPL_FMC, SPL_COUNT };
struct snp_leaf_info {
    int product;          /* from productName, else the issuer CN; UNKNOWN if neither */
    char product_name[32]; /* as written in the certificate */
    int spl[SPL_COUNT];   /* -1 when absent */
    uint8_t hwid[64];
    size_t hwid_len;      /* 0 when absent (VLEK) */
};
int snp_leaf_info_read(X509 *leaf, struct snp_leaf_info *out);
int snp_leaf_check(const struct snp_leaf_info *li, const struct bptee_snp_report *r, int product,
                   int signing_key);

/* chain.c: the result of verifying leaf -> intermediate -> ARK. */
struct snp_chain {
    uint8_t ark_sha256[32];
    bool ark_sim_org; /* ARK subject O == BPTEE_SIM_ORG */
    int ark_product;  /* built-in ARK's product, UNKNOWN for any other ARK */
    int64_t not_before, not_after;
};
/* Fingerprint, built-in product and simulation marker of an ARK. */
int snp_chain_describe_ark(X509 *ark, struct snp_chain *out);
/* Check the PSS parameters of all three, verify the path at `at`, fill the validity window. */
int snp_chain_verify(X509 *leaf, X509 *inter, X509 *ark, int64_t at, struct snp_chain *out);
/* Decide whether the ARK is trusted under opts; sets *simulated. */
int snp_trust_ark(const struct snp_chain *c, const struct bptee_snp_verify_opts *o,
                  bool *simulated);

/* chain_build.c: parse the inputs, find intermediate and ARK (built-in when not given),
 * verify, and read the leaf. On success *pkey holds a reference the caller frees. */
struct snp_verified_chain {
    EVP_PKEY *pkey;
    struct snp_leaf_info leaf;
    struct snp_chain chain;
};
int snp_chain_establish(const struct snp_inputs *in, const struct bptee_snp_report *r,
                        int signing_key, const struct bptee_snp_verify_opts *o,
                        struct snp_verified_chain *out);

/* The product the report is from: its CPUID (v3+) and the VCEK must agree, and a built-in
 * ARK must be that product's. */
int snp_product_resolve(const struct bptee_snp_report *r, const struct snp_leaf_info *li,
                        int ark_product, int *product);

/* cache.c: verified chains keyed by the exact input bytes and usable inside their window. */
bool snp_cache_lookup(const struct snp_inputs *in, int signing_key, int64_t at,
                      struct snp_verified_chain *out);
void snp_cache_store(const struct snp_inputs *in, int signing_key,
                     const struct snp_verified_chain *v);

/* sig.c: ECDSA P-384 over report[0:0x2A0] with the little-endian R and S. */
int snp_signature_verify(EVP_PKEY *pkey, const uint8_t *report);

#endif
