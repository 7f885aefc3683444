/* SPDX-License-Identifier: Apache-2.0 */
/* The parsed verification policy (private to the verify module). */
#ifndef BPTEE_VERIFY_POLICY_H
#define BPTEE_VERIFY_POLICY_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include <bptee/nitro.h>
#include <bptee/snp.h>
#include <bptee/tdx.h>
#include <bptee/verify.h>

#include "verify/policy_json.h"

enum tcb_part { TCB_BOOTLOADER, TCB_TEE, TCB_SNP, TCB_MICROCODE, TCB_FMC, TCB_PARTS };
enum report_data_rule { RD_ANY, RD_EXACT, RD_X25519 };

struct snp_policy {
    bool has_measurements; /* absent: any measurement */
    uint8_t (*measurements)[48];
    size_t n_measurements;
    bool allow_debug;
    int min_tcb[TCB_PARTS]; /* -1: no minimum */
    bool has_min_fw;
    uint8_t min_fw[3]; /* major, minor, build */
    bool has_vmpls;
    uint32_t vmpl_mask;
    enum report_data_rule rd_rule;
    uint8_t report_data[64];
    uint8_t nonce[32], public_key[32];
    unsigned signing_keys; /* bit per BPTEE_SNP_KEY_* */
    bool allow_simulation;
    uint8_t (*trusted_roots)[32];
    size_t n_trusted_roots;
};

/* The "nitro" section: AWS Nitro Enclaves documents. */
struct nitro_pcr_rule {
    uint8_t *vals; /* n values of len bytes each */
    size_t n, len;
};
struct nitro_bytes_rule {
    uint8_t *v; /* NULL: not pinned */
    size_t len;
};
struct nitro_policy {
    bool allow_debug;
    bool has_pcr[BPTEE_NITRO_PCR_COUNT];
    struct nitro_pcr_rule pcr[BPTEE_NITRO_PCR_COUNT];
    struct nitro_bytes_rule nonce, user_data, public_key;
    uint8_t (*trusted_roots)[32];
    size_t n_trusted_roots;
};

/* The "azure_maa" and "gcp_confidential" sections: claims of a verified JWT. */
struct jwt_policy {
    const char *section;   /* "azure_maa" or "gcp_confidential" */
    char **issuers;        /* NULL: the section's default issuers */
    size_t n_issuers;
    char *audience, *nonce, *image_digest, *launch_measurement, *compliance_status;
    char **attestation_types; /* NULL: any */
    size_t n_attestation_types;
    bool allow_debug;
    int64_t leeway_secs;   /* 0: BPTEE_JWT_LEEWAY_DEFAULT */
    char *jwks;            /* the key set's file or URL as written; NULL: the caller's */
    char jwks_key[32];     /* "<section>.jwks", how messages name it */
};

struct bptee_policy {
    int64_t max_age_secs; /* -1: no limit */
    struct snp_policy snp;
    struct nitro_policy nitro;
    struct jwt_policy azure, gcp;
    struct bptee_tdx_policy *tdx; /* the "tdx" section (src/tdx/policy.c); NULL: its default */
};

extern const char *const policy_tcb_names[TCB_PARTS];

/* policy.c: the default policy ("{}"): no debug, no simulation, anything else verified. */
void policy_init(struct bptee_policy *p);

/* policy_snp.c: read the "sev_snp" section. */
int policy_snp_parse(const json_t *obj, struct snp_policy *p);
void policy_snp_init(struct snp_policy *p);
void policy_snp_release(struct snp_policy *p);

/* policy_eval.c: apply the "sev_snp" section to verified evidence. */
int policy_snp_check(const struct snp_policy *p, const struct bptee_snp_verified *v);
/* The section's report_data rule applied to 64 bytes; `what` names them in the error. */
int policy_report_data_check(const struct snp_policy *p, const uint8_t rd[64], const char *what);

/* policy_nitro.c: the "nitro" section, read and applied to a verified document. */
int policy_nitro_parse(const json_t *obj, struct nitro_policy *p);
void policy_nitro_release(struct nitro_policy *p);
int policy_nitro_check(const struct nitro_policy *p, const struct bptee_nitro_document *doc);

/* policy_jwt.c: the JWT sections, read and applied to a verified token's payload. */
void policy_jwt_init(struct jwt_policy *p, const char *section);
int policy_jwt_parse(const json_t *obj, struct jwt_policy *p);
void policy_jwt_release(struct jwt_policy *p);
int policy_jwt_check(const struct jwt_policy *p, const json_t *claims, bool azure);
/* Whether the claims say debug: fails closed (no debug claim at all counts as debug). */
bool policy_jwt_debug(const json_t *claims, bool azure);

#endif
