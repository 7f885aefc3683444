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

#endif
