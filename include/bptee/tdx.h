/* SPDX-License-Identifier: Apache-2.0 */
/* Intel TDX: DCAP quotes (v4, v5 with TD 1.0 / TD 1.5 bodies), the TDREPORT of
 * /dev/tdx_guest, the PCK certificate's SGX extensions, verification against the pinned Intel
 * SGX Root CA with optional collateral (TCB info, QE identity, CRLs) and TCB evaluation, a
 * policy for the "tdx" section of a verification policy, and the simulated TDX platform.
 * docs/tdx.md describes the formats, the verification steps and the TCB rule. */
#ifndef BPTEE_TDX_H
#define BPTEE_TDX_H

#include <bptee/common.h>
#include <bptee/evidence.h>

#define BPTEE_TDX_HEADER_SIZE 48
#define BPTEE_TDX_BODY_TD10_SIZE 584
#define BPTEE_TDX_BODY_TD15_SIZE 648
#define BPTEE_TDX_SGX_REPORT_SIZE 384 /* the QE report: an SGX REPORT BODY */
#define BPTEE_TDX_TDREPORT_SIZE 1024
#define BPTEE_TDX_REPORTDATA_SIZE 64
#define BPTEE_TDX_QUOTE_MAX (1u << 20) /* largest quote accepted */

#define BPTEE_TDX_TEE_TYPE 0x81u
#define BPTEE_TDX_ATT_KEY_ECDSA_P256 2u
#define BPTEE_TDX_CERT_DATA_PCK_CHAIN 5u
#define BPTEE_TDX_CERT_DATA_QE_REPORT 6u

/* v5 body descriptor types (a v4 quote's body is always TD 1.0). */
enum bptee_tdx_body_type {
    BPTEE_TDX_BODY_SGX = 1, /* SGX enclave report: not a TD, not supported */
    BPTEE_TDX_BODY_TD10 = 2,
    BPTEE_TDX_BODY_TD15 = 3,
};

/* TD_ATTRIBUTES bits. */
#define BPTEE_TDX_ATTR_DEBUG (1ull << 0)
#define BPTEE_TDX_ATTR_SEPT_VE_DISABLE (1ull << 28)
#define BPTEE_TDX_ATTR_PKS (1ull << 30)
#define BPTEE_TDX_ATTR_KL (1ull << 31)
#define BPTEE_TDX_ATTR_PERFMON (1ull << 63)

/* The TD quote body (TD 1.0; the two TD 1.5 fields are zero in a TD 1.0 body). */
struct bptee_tdx_body {
    uint8_t tee_tcb_svn[16]; /* [0] module SVN, [1] module major version, [2] late ucode */
    uint8_t mrseam[48];
    uint8_t mrsignerseam[48];
    uint64_t seam_attributes;
    uint64_t td_attributes;
    uint64_t xfam;
    uint8_t mrtd[48];
    uint8_t mrconfigid[48];
    uint8_t mrowner[48];
    uint8_t mrownerconfig[48];
    uint8_t rtmr[4][48];
    uint8_t report_data[64];
    uint8_t tee_tcb_svn2[16]; /* TD 1.5 */
    uint8_t mrservicetd[48];  /* TD 1.5 */
};

/* An SGX REPORT BODY (the QE report); reserved ranges kept so serialization is exact. */
struct bptee_tdx_sgx_report {
    uint8_t cpusvn[16];
    uint32_t miscselect;
    uint8_t reserved1[28];
    uint8_t attributes[16];
    uint8_t mrenclave[32];
    uint8_t reserved2[32];
    uint8_t mrsigner[32];
    uint8_t reserved3[96];
    uint16_t isvprodid;
    uint16_t isvsvn;
    uint8_t reserved4[60];
    uint8_t report_data[64];
};

/* A parsed quote. qe_auth_data and pck_chain point into the parsed buffer (valid while it
 * is); for serializing, the caller points them at its own bytes. */
struct bptee_tdx_quote {
    uint16_t version;      /* 4 or 5 */
    uint16_t att_key_type; /* 2: ECDSA-256-with-P-256 */
    uint32_t tee_type;     /* 0x81: TDX */
    uint16_t reserved1;    /* v3's QE SVN; 0 */
    uint16_t reserved2;    /* v3's PCE SVN; 0 */
    uint8_t qe_vendor_id[16];
    uint8_t user_data[20];
    uint16_t body_type; /* BPTEE_TDX_BODY_TD10 or _TD15 (v4: TD10) */
    struct bptee_tdx_body body;
    uint8_t signature[64];     /* r || s big-endian, by the attestation key */
    uint8_t attest_key[64];    /* raw x || y */
    uint16_t cert_data_type;   /* 6 */
    struct bptee_tdx_sgx_report qe_report;
    uint8_t qe_report_raw[BPTEE_TDX_SGX_REPORT_SIZE]; /* the exact signed bytes (parse only) */
    uint8_t qe_report_signature[64]; /* r || s, by the PCK key */
    const uint8_t *qe_auth_data;
    size_t qe_auth_data_len; /* at most 65535 */
    uint16_t inner_cert_data_type; /* 5 */
    const uint8_t *pck_chain;      /* PEM leaf, CA, root; may end in NUL bytes */
    size_t pck_chain_len;
    /* Set by parsing and serializing. */
    size_t signed_len;   /* header (+ v5 descriptor) + body: the bytes the signature covers */
    size_t quote_len;    /* bytes up to the end of the signature data */
    size_t trailing_len; /* bytes after it (producers' fixed-size buffers), ignored */
};

/* A TDREPORT_STRUCT as TDX_CMD_GET_REPORT0 returns it (MAC'd by the CPU, not signed). */
struct bptee_tdx_tdreport {
    uint8_t report_type[4]; /* type 0x81, subtype, version, reserved */
    uint8_t cpusvn[16];
    uint8_t tee_tcb_info_hash[48];
    uint8_t tee_info_hash[48];
    uint8_t report_data[64];
    uint8_t mac[32];
    uint8_t tcb_info_valid[8];
    uint8_t tee_tcb_svn[16];
    uint8_t mrseam[48];
    uint8_t mrsignerseam[48];
    uint64_t seam_attributes;
    uint8_t tee_tcb_svn2[16];
    uint64_t td_attributes;
    uint64_t xfam;
    uint8_t mrtd[48];
    uint8_t mrconfigid[48];
    uint8_t mrowner[48];
    uint8_t mrownerconfig[48];
    uint8_t rtmr[4][48];
    uint8_t servtd_hash[48];
};

/* The SGX extensions of a PCK certificate (OID 1.2.840.113741.1.13.1). */
struct bptee_tdx_pck_ext {
    uint8_t ppid[16];
    uint8_t comp_svn[16]; /* SGX TCB components 1..16 */
    uint16_t pcesvn;
    uint8_t cpusvn[16];
    uint8_t pceid[2];
    uint8_t fmspc[6];
    int sgx_type; /* 0 standard, 1 scalable, 2 scalable with integrity; -1 absent */
};

/* Parse a quote (v4, or v5 with a TD body) with every length checked, certification data type
 * 6 wrapping type 5; bytes after the signature data are counted in trailing_len and ignored.
 * BPTEE_EPARSE / BPTEE_EUNSUPPORTED naming the field. */
BPTEE_API int bptee_tdx_quote_parse(const uint8_t *buf, size_t len, struct bptee_tdx_quote *out);

/* Write q in the exact binary layout (version 4, or 5 with q->body_type) into a buffer
 * released with bptee_free; sets q->signed_len and q->quote_len. */
BPTEE_API int bptee_tdx_quote_serialize(struct bptee_tdx_quote *q, uint8_t **out, size_t *out_len);

/* Every field of a quote as a JSON object (for `bptee inspect`), released with bptee_free. */
BPTEE_API int bptee_tdx_quote_to_json(const uint8_t *buf, size_t len, char **json_out);

/* 1 when buf parses as a TDX quote, else 0 (for telling input kinds apart). */
BPTEE_API int bptee_tdx_quote_detect(const uint8_t *buf, size_t len);

/* TDREPORT (exactly 1024 bytes) to fields and back; out_len must be >= 1024. */
BPTEE_API int bptee_tdx_tdreport_parse(const uint8_t *buf, size_t len, struct bptee_tdx_tdreport *out);
BPTEE_API int bptee_tdx_tdreport_serialize(const struct bptee_tdx_tdreport *r, uint8_t *out, size_t out_len);
BPTEE_API int bptee_tdx_tdreport_to_json(const uint8_t *buf, size_t len, char **json_out);

/* The SGX extensions of a DER PCK certificate, read with OpenSSL's ASN.1 decoder. */
BPTEE_API int bptee_tdx_pck_ext_parse(const uint8_t *der, size_t der_len, struct bptee_tdx_pck_ext *out);

/* Environment override of the TDX guest device path. */
#define BPTEE_TDX_ENV_GUEST_PATH "BPTEE_TDX_GUEST_PATH"

/* TDX_CMD_GET_REPORT0 on device (NULL: $BPTEE_TDX_GUEST_PATH, else /dev/tdx_guest) over
 * report_data (at most 64 bytes, zero-padded); out_len must be >= 1024. */
BPTEE_API int bptee_tdx_guest_report0(const char *device, const uint8_t *report_data, size_t report_data_len, uint8_t *out, size_t out_len);

/* TCB statuses of Intel's collateral, worst last. */
enum bptee_tdx_tcb_status {
    BPTEE_TDX_TCB_NOT_EVALUATED = 0, /* no collateral given */
    BPTEE_TDX_TCB_UP_TO_DATE = 1,
    BPTEE_TDX_TCB_SW_HARDENING_NEEDED = 2,
    BPTEE_TDX_TCB_CONFIGURATION_NEEDED = 3,
    BPTEE_TDX_TCB_CONFIGURATION_AND_SW_HARDENING_NEEDED = 4,
    BPTEE_TDX_TCB_OUT_OF_DATE = 5,
    BPTEE_TDX_TCB_OUT_OF_DATE_CONFIGURATION_NEEDED = 6,
    BPTEE_TDX_TCB_REVOKED = 7,
};
#define BPTEE_TDX_TCB_STATUS_COUNT 8

/* "UpToDate", "SWHardeningNeeded", ... as Intel spells them ("NotEvaluated" for 0); NULL if
 * unknown. The parser accepts exactly those spellings. */
BPTEE_API const char *bptee_tdx_tcb_status_name(int status);
BPTEE_API int bptee_tdx_tcb_status_parse(const char *name, int *status);

/* Collateral from Intel PCS (or a PCCS), as files: parsed when set, verified with each quote
 * at the collateral time. */
enum bptee_tdx_collateral_kind {
    BPTEE_TDX_COLL_TCB_INFO = 1,      /* {"tcbInfo":{...},"signature":"hex"} as served */
    BPTEE_TDX_COLL_QE_IDENTITY = 2,   /* {"enclaveIdentity":{...},"signature":"hex"} */
    BPTEE_TDX_COLL_SIGNING_CHAIN = 3, /* PEM: Intel SGX TCB Signing (+ root) */
    BPTEE_TDX_COLL_ROOT_CRL = 4,      /* DER or PEM CRL of the root CA */
    BPTEE_TDX_COLL_PCK_CRL = 5,       /* DER or PEM CRL of the PCK Platform/Processor CA */
};
#define BPTEE_TDX_COLLATERAL_MAX (1u << 20) /* largest collateral file */

struct bptee_tdx_collateral;
BPTEE_API int bptee_tdx_collateral_new(struct bptee_tdx_collateral **out);
BPTEE_API void bptee_tdx_collateral_free(struct bptee_tdx_collateral *c);
/* Set (copy in) or replace one piece; parsed now (BPTEE_EPARSE naming it), verified later. */
BPTEE_API int bptee_tdx_collateral_set(struct bptee_tdx_collateral *c, int kind, const uint8_t *data, size_t len);
BPTEE_API int bptee_tdx_collateral_load(struct bptee_tdx_collateral *c, int kind, const char *path);
/* Load the files of a directory by their PCS names: tcb_info.json, qe_identity.json,
 * tcb_signing_chain.pem, root_crl.der, pck_crl.der (each optional; at least one present). */
BPTEE_API int bptee_tdx_collateral_load_dir(struct bptee_tdx_collateral *c, const char *dir);

struct bptee_tdx_verify_opts {
    size_t sz;
    int64_t at; /* verification time of the quote's PCK chain, unix seconds; 0 = now */
    /* A PEM PCK chain (leaf, CA, root) overriding the one the quote carries. */
    const uint8_t *pck_chain;
    size_t pck_chain_len;
    /* Optional collateral; without it the TCB status is NOT_EVALUATED. */
    const struct bptee_tdx_collateral *collateral;
    int64_t collateral_at; /* time collateral validity is judged at; 0 = at */
    /* SHA-256 (DER) fingerprints of roots trusted besides Intel's; evidence chained to one is
     * reported as simulated. */
    const uint8_t (*trusted_roots)[32];
    size_t n_trusted_roots;
    /* Trust a root whose subject O is BPTEE_SIM_ORG (the local simulator); simulated. */
    int allow_simulation;
};

/* What verification established. */
struct bptee_tdx_verified {
    struct bptee_tdx_quote quote; /* pointers into the verified buffer */
    struct bptee_tdx_pck_ext pck;
    int simulated;
    uint8_t root_sha256[32];
    int64_t chain_not_before, chain_not_after;
    /* TCB evaluation (collateral given): the final status and its parts; docs/tdx.md. */
    int tcb_status;          /* enum bptee_tdx_tcb_status */
    int platform_tcb_status; /* the matching tcbLevel of TCB info */
    int module_tcb_status;   /* TDX module identity level; NOT_EVALUATED when TEE_TCB_SVN[1] == 0 */
    int qe_tcb_status;       /* QE identity level; NOT_EVALUATED without QE identity */
    char tcb_date[24];       /* the platform level's tcbDate */
    char advisory_ids[2048]; /* the platform level's advisoryIDs, space-separated */
};

/* Verify quote[len]: header, PCK chain to the pinned Intel SGX Root CA (cached), QE report
 * signature by the PCK key, the QE's binding of the attestation key, the quote signature, and
 * with collateral: its signatures, CRLs, QE identity and the TCB status. BPTEE_EVERIFY
 * (signatures, chain, binding, TCB level), BPTEE_EEXPIRED (validity), BPTEE_EPOLICY
 * (simulated evidence not allowed), BPTEE_EPARSE / BPTEE_EUNSUPPORTED. */
BPTEE_API int bptee_tdx_verify(const uint8_t *quote, size_t len, const struct bptee_tdx_verify_opts *opts, struct bptee_tdx_verified *out);

/* Forget every cached verified PCK chain, attestation key and verified collateral. */
BPTEE_API void bptee_tdx_cache_clear(void);

/* The "tdx" section of a verification policy (docs/tdx.md); unknown keys are errors. */
struct bptee_tdx_policy;
/* Parse the section object's JSON text ("{}" is the default: no debug, no simulation). */
BPTEE_API int bptee_tdx_policy_parse(const char *json, size_t len, struct bptee_tdx_policy **out);
BPTEE_API void bptee_tdx_policy_free(struct bptee_tdx_policy *p);
/* Apply the policy (NULL: the default) to verified evidence: BPTEE_EPOLICY naming the check,
 * BPTEE_EVERIFY for a report_data binding mismatch. */
BPTEE_API int bptee_tdx_policy_check(const struct bptee_tdx_policy *p, const struct bptee_tdx_verified *v);
/* Whether the policy allows simulation / its trusted roots, for building verify options. */
BPTEE_API int bptee_tdx_policy_allow_simulation(const struct bptee_tdx_policy *p);
BPTEE_API size_t bptee_tdx_policy_trusted_roots(const struct bptee_tdx_policy *p, const uint8_t (**roots)[32]);

/* The evidence model's report for a verified quote: provider intel_tdx, format tdx_quote,
 * measurement sha384 of MRTD, debug_mode, user_data = REPORTDATA, the x25519 binding when
 * the policy checked one, simulated, and custom claims (rtmrs, tee_tcb_svn, fmspc,
 * tcb_status, ...). policy may be NULL. */
BPTEE_API int bptee_tdx_report_fill(struct bptee_report *r, const struct bptee_tdx_verified *v, const struct bptee_tdx_policy *policy);

/* Evidence (not verified) for a raw quote: provider intel_tdx, format tdx_quote, the quote as
 * evidence, simulated set when its PCK chain names BPTEE_SIM_ORG, issued_at left to the caller. */
BPTEE_API int bptee_tdx_evidence_from_quote(const uint8_t *quote, size_t len, struct bptee_report **out);

/* bptee_tdx_verify on the evidence's quote (trusted roots and simulation taken from the
 * policy, not from opts), bptee_tdx_policy_check, then a new verified report (issued_at,
 * evidence and certificates copied from the evidence). policy NULL: the default policy. */
BPTEE_API int bptee_tdx_verify_evidence(const struct bptee_report *evidence, const struct bptee_tdx_verify_opts *opts, const struct bptee_tdx_policy *policy, struct bptee_report **out);

/* --- Simulated TDX (src/sim/tdx_*.c): never trusted unless a policy says so. ----------- */

struct bptee_tdx_sim;

/* The simulated TD's launch parameters. Zero fields take the defaults; fill with
 * BPTEE_OPTS(bptee_tdx_sim_opts, o, ...). */
struct bptee_tdx_sim_opts {
    size_t sz;
    uint16_t version;             /* quote version 4 or 5 (0: 4) */
    uint16_t body_type;           /* v5: BPTEE_TDX_BODY_TD10 or _TD15 (0: TD15) */
    const uint8_t *mrtd;          /* 48 bytes (NULL: SHA-384 of "bptee simulated TD") */
    const uint8_t (*rtmr)[48];    /* 4 x 48 bytes (NULL: zero) */
    const uint8_t *mrconfigid;    /* 48 bytes (NULL: zero) */
    const uint8_t *mrowner;       /* 48 bytes (NULL: zero) */
    const uint8_t *mrownerconfig; /* 48 bytes (NULL: zero) */
    uint64_t td_attributes;       /* 0: SEPT_VE_DISABLE; debug only when asked */
    uint64_t xfam;                /* 0: 0x61ae7 */
};

/* The default simulated TDX state directory: bptee_sim_default_state_dir() with "-tdx"
 * appended (the SEV-SNP simulator owns its directory). Released with bptee_free. */
BPTEE_API int bptee_tdx_sim_default_state_dir(char **out);

/* Open the simulated TDX platform in state_dir (NULL: the default), generating it on first
 * use: a P-256 simulation root -> PCK platform CA -> PCK leaf with SGX extensions, a TCB
 * signing certificate, the QE's attestation key and its QE report (directory 0700, files
 * 0600, published atomically). opts may be NULL. */
BPTEE_API int bptee_tdx_sim_open(const char *state_dir, const struct bptee_tdx_sim_opts *opts, struct bptee_tdx_sim **out);
BPTEE_API void bptee_tdx_sim_free(struct bptee_tdx_sim *sim);

/* A TDREPORT over report_data (at most 64 bytes, zero-padded), as TDX_CMD_GET_REPORT0 would
 * return; out_len >= 1024. The MAC is an HMAC-SHA-256 under the state's secret MAC key. */
BPTEE_API int bptee_tdx_sim_tdreport(struct bptee_tdx_sim *sim, const uint8_t *report_data, size_t report_data_len, uint8_t *out, size_t out_len);

/* A signed quote over report_data, as configfs-tsm's outblob (provider tdx_guest) returns it;
 * *out is released with bptee_free. */
BPTEE_API int bptee_tdx_sim_quote(struct bptee_tdx_sim *sim, const uint8_t *report_data, size_t report_data_len, uint8_t **out, size_t *out_len);

/* SHA-256 of the simulation root's DER (what a policy's trusted_roots names). */
BPTEE_API int bptee_tdx_sim_root_fingerprint(const struct bptee_tdx_sim *sim, uint8_t out[32]);

/* Simulated collateral for the simulated platform (kind: enum bptee_tdx_collateral_kind),
 * signed like Intel's, issued at issue_time (0: now) for 30 days: a TCB info with one level
 * matching the platform with the given status (0: UpToDate), the QE identity, the TCB signing
 * chain, the root CRL and the PCK CA CRL (revoking the PCK when revoke_pck). Released with
 * bptee_free. */
struct bptee_tdx_sim_collateral_opts {
    size_t sz;
    int64_t issue_time;
    int tcb_status;
    int revoke_pck;
};
BPTEE_API int bptee_tdx_sim_collateral(const struct bptee_tdx_sim *sim, int kind, const struct bptee_tdx_sim_collateral_opts *opts, uint8_t **out, size_t *out_len);

#endif
