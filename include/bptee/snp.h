/* SPDX-License-Identifier: Apache-2.0 */
/* AMD SEV-SNP: the ATTESTATION_REPORT (SEV-SNP firmware ABI), its bitfields and TCB versions,
 * and the GHCB certificate table that carries VCEK/VLEK/ASK/ARK beside a report. */
#ifndef BPTEE_SNP_H
#define BPTEE_SNP_H

#include <bptee/common.h>

#define BPTEE_SNP_REPORT_SIZE 1184
#define BPTEE_SNP_SIGNED_SIZE 0x2A0 /* bytes covered by the signature */

/* POLICY bits. */
#define BPTEE_SNP_POLICY_SMT (1ull << 16)
#define BPTEE_SNP_POLICY_RESERVED1 (1ull << 17) /* must be 1 */
#define BPTEE_SNP_POLICY_MIGRATE_MA (1ull << 18)
#define BPTEE_SNP_POLICY_DEBUG (1ull << 19)
#define BPTEE_SNP_POLICY_SINGLE_SOCKET (1ull << 20)

/* SIGNING_KEY values of the signer-info word (bits 4:2). */
enum bptee_snp_signing_key {
    BPTEE_SNP_KEY_VCEK = 0,
    BPTEE_SNP_KEY_VLEK = 1,
    BPTEE_SNP_KEY_NONE = 7,
};

enum bptee_snp_product {
    BPTEE_SNP_PRODUCT_UNKNOWN = 0,
    BPTEE_SNP_PRODUCT_MILAN = 1,
    BPTEE_SNP_PRODUCT_GENOA = 2,
    BPTEE_SNP_PRODUCT_TURIN = 3,
};

/* Every field of the report, decoded from little-endian; a plain struct callers read field by
 * field. signature_r/s keep the firmware's 72-byte little-endian layout. */
struct bptee_snp_report {
    uint32_t version;
    uint32_t guest_svn;
    uint64_t policy;
    uint8_t family_id[16];
    uint8_t image_id[16];
    uint32_t vmpl;
    uint32_t signature_algo;
    uint64_t current_tcb;
    uint64_t platform_info;
    uint32_t signer_info; /* bit0 AUTHOR_KEY_EN, bit1 MASK_CHIP_KEY, bits 4:2 SIGNING_KEY */
    uint8_t report_data[64];
    uint8_t measurement[48];
    uint8_t host_data[32];
    uint8_t id_key_digest[48];
    uint8_t author_key_digest[48];
    uint8_t report_id[32];
    uint8_t report_id_ma[32];
    uint64_t reported_tcb;
    uint8_t cpuid_fam_id; /* version >= 3 */
    uint8_t cpuid_mod_id;
    uint8_t cpuid_step;
    uint8_t chip_id[64];
    uint64_t committed_tcb;
    uint8_t current_build, current_minor, current_major;
    uint8_t committed_build, committed_minor, committed_major;
    uint64_t launch_tcb;
    uint64_t launch_mit_vector;  /* version >= 5 */
    uint64_t current_mit_vector; /* version >= 5 */
    uint8_t signature_r[72];
    uint8_t signature_s[72];
};

/* Byte offsets of the two signature integers (72-byte little-endian each). */
#define BPTEE_SNP_SIG_R_OFFSET 0x2A0
#define BPTEE_SNP_SIG_S_OFFSET 0x2E8

/* PLATFORM_INFO bits. */
#define BPTEE_SNP_PLATFORM_SMT_EN (1ull << 0)
#define BPTEE_SNP_PLATFORM_TSME_EN (1ull << 1)
#define BPTEE_SNP_PLATFORM_ECC_EN (1ull << 2)
#define BPTEE_SNP_PLATFORM_RAPL_DIS (1ull << 3)
#define BPTEE_SNP_PLATFORM_CIPHERTEXT_HIDING (1ull << 4)
#define BPTEE_SNP_PLATFORM_ALIAS_CHECK_COMPLETE (1ull << 5)
#define BPTEE_SNP_PLATFORM_TIO_EN (1ull << 7)

/* Further POLICY bits (bits 63:26 are MBZ). */
#define BPTEE_SNP_POLICY_CXL_ALLOW (1ull << 21)
#define BPTEE_SNP_POLICY_MEM_AES_256_XTS (1ull << 22)
#define BPTEE_SNP_POLICY_RAPL_DIS (1ull << 23)
#define BPTEE_SNP_POLICY_CIPHERTEXT_HIDING (1ull << 24)
#define BPTEE_SNP_POLICY_PAGE_SWAP_DISABLE (1ull << 25)

/* Signer-info word helpers. */
#define BPTEE_SNP_SIGNER_AUTHOR_KEY_EN (1u << 0)
#define BPTEE_SNP_SIGNER_MASK_CHIP_KEY (1u << 1)
#define BPTEE_SNP_SIGNING_KEY(signer_info) (((signer_info) >> 2) & 7u)

/* One TCB_VERSION decoded; fmc exists on Turin and later only (0 elsewhere). */
struct bptee_snp_tcb {
    uint8_t bootloader;
    uint8_t tee;
    uint8_t snp;
    uint8_t microcode;
    uint8_t fmc;
};

/* Kinds of certificate-table entries, by their GHCB GUID. */
enum bptee_snp_cert_kind {
    BPTEE_SNP_CERT_OTHER = 0, /* a GUID bptee does not know: kept, never used */
    BPTEE_SNP_CERT_VCEK = 1,
    BPTEE_SNP_CERT_VLEK = 2,
    BPTEE_SNP_CERT_ASK = 3,
    BPTEE_SNP_CERT_ARK = 4,
};

/* One certificate of a GHCB certificate table. After parsing, der points into the parsed
 * buffer (valid while that buffer is); for serializing, the caller sets guid (or leaves it
 * zero and sets kind) and der. */
struct bptee_snp_cert {
    uint8_t guid[16]; /* RFC 4122 text order, as in the table */
    int kind;         /* enum bptee_snp_cert_kind */
    const uint8_t *der;
    size_t der_len;
};

#define BPTEE_SNP_CERTTABLE_MAX 32 /* entries accepted in one table */

/* Parse the 1184-byte report with the checks of the firmware ABI: length, VERSION 2..5,
 * SIGNATURE_ALGO 1, every MBZ range zero, SIGNING_KEY 0 (VCEK), 1 (VLEK) or 7 (none; such a
 * report is rejected by verification). BPTEE_EPARSE / BPTEE_EUNSUPPORTED naming the field. */
BPTEE_API int bptee_snp_report_parse(const uint8_t *buf, size_t len, struct bptee_snp_report *out);

/* Write r in the exact 1184-byte layout (reserved bytes zero); out_len must be >= 1184. */
BPTEE_API int bptee_snp_report_serialize(const struct bptee_snp_report *r, uint8_t *out, size_t out_len);

/* The product a report names through its CPUID fields (version >= 3), else UNKNOWN. */
BPTEE_API int bptee_snp_report_product(const struct bptee_snp_report *r);

/* "Milan", "Genoa", "Turin" (NULL for unknown) and the inverse (case-insensitive, a stepping
 * suffix such as "Milan-B0" accepted); BPTEE_EPARSE for an unknown name. */
BPTEE_API const char *bptee_snp_product_name(int product);
BPTEE_API int bptee_snp_product_parse(const char *name, int *product);

/* Decode/encode a TCB_VERSION with the product's byte layout (Milan/Genoa vs Turin). */
BPTEE_API int bptee_snp_tcb_decode(uint64_t tcb, int product, struct bptee_snp_tcb *out);
BPTEE_API int bptee_snp_tcb_encode(const struct bptee_snp_tcb *tcb, int product, uint64_t *out);

/* Parse a GHCB certificate table (SNP_GET_EXT_REPORT certs buffer, configfs-tsm auxblob):
 * {GUID[16], u32 offset, u32 length} entries up to an all-zero one, offsets from the table
 * start. Fills at most max entries (der pointing into buf); *count gets the number. */
BPTEE_API int bptee_snp_certtable_parse(const uint8_t *buf, size_t len, struct bptee_snp_cert *certs, size_t max, size_t *count);

/* Build a certificate table from n entries (an entry with a zero guid gets its kind's GUID);
 * *out is released with bptee_free. */
BPTEE_API int bptee_snp_certtable_serialize(const struct bptee_snp_cert *certs, size_t n, uint8_t **out, size_t *out_len);

/* The GHCB GUID of a known kind (16 bytes, text order); BPTEE_EINVAL for OTHER. */
BPTEE_API int bptee_snp_cert_guid(int kind, uint8_t guid[16]);

/* Verification of a report against AMD's roots (or an explicitly trusted simulation root). */
struct bptee_snp_verify_opts {
    size_t sz;
    int64_t at; /* verification time, unix seconds; 0 = now */
    /* The VCEK (or VLEK), DER or PEM. Overrides one from the certificate table. */
    const uint8_t *vcek;
    size_t vcek_len;
    /* ASK/ASVK and/or ARK: a PEM bundle or one DER certificate (may also hold the VCEK). */
    const uint8_t *chain;
    size_t chain_len;
    /* A GHCB certificate table (SNP_GET_EXT_REPORT certs, configfs-tsm auxblob). */
    const uint8_t *certtable;
    size_t certtable_len;
    /* SHA-256 fingerprints (DER) of ARKs to trust besides AMD's built-in ones; evidence
     * chained to one is reported as simulated. */
    const uint8_t (*trusted_roots)[32];
    size_t n_trusted_roots;
    /* Trust an ARK whose subject O is BPTEE_SIM_ORG (the local simulator); simulated. */
    int allow_simulation;
};

/* What verification established. */
struct bptee_snp_verified {
    struct bptee_snp_report report;
    int product;     /* enum bptee_snp_product */
    int signing_key; /* BPTEE_SNP_KEY_VCEK or _VLEK */
    struct bptee_snp_tcb reported_tcb, current_tcb, committed_tcb, launch_tcb;
    int simulated;               /* chained to a root that is not AMD's */
    uint8_t ark_sha256[32];      /* the root the chain ends in */
    int64_t chain_not_before;    /* the window in which every certificate is valid */
    int64_t chain_not_after;
};

/* Verify report[len]: the firmware ABI checks, the VCEK/VLEK -> ASK/ASVK -> ARK chain
 * (RSA-PSS SHA-384, ARK pinned), the VCEK's productName/SPL/hwID against the report, and the
 * ECDSA P-384 signature. BPTEE_EVERIFY (signature, chain, binding), BPTEE_EEXPIRED (validity
 * at opts->at), BPTEE_EPOLICY (simulated evidence not allowed), BPTEE_EPARSE/EUNSUPPORTED.
 * Verified chains are cached, so later reports by the same VCEK cost one ECDSA verify. */
BPTEE_API int bptee_snp_verify(const uint8_t *report, size_t len, const struct bptee_snp_verify_opts *opts, struct bptee_snp_verified *out);

/* Forget every cached verified chain. */
BPTEE_API void bptee_snp_cache_clear(void);

#endif
