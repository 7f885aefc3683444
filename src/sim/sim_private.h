/* SPDX-License-Identifier: Apache-2.0 */
/* The simulator's state, shared by its source files (not part of the API). */
#ifndef BPTEE_SIM_PRIVATE_H
#define BPTEE_SIM_PRIVATE_H

#include <openssl/evp.h>
#include <stdint.h>

#include <bptee/sim.h>
#include <bptee/snp.h>

#define SIM_ROOT_KEY_SIZE 32
#define SIM_CHIP_ID_SIZE 64
#define SIM_NCERTS (BPTEE_SNP_CERT_ARK + 1) /* indexed by enum bptee_snp_cert_kind */

/* The simulated platform: firmware 1.55.35 on a Milan B1 (family 0x19, model 0x01). */
#define SIM_FW_MAJOR 1
#define SIM_FW_MINOR 55
#define SIM_FW_BUILD 35
#define SIM_CPUID_FAMILY 0x19
#define SIM_CPUID_MODEL 0x01
#define SIM_CPUID_STEPPING 0x01
/* PLATFORM_INFO: SMT enabled, ECC enabled, alias check (BadRAM) complete, as on GCP's Milan. */
#define SIM_PLATFORM_INFO 0x25ull

struct bptee_sim {
    /* Platform, from the state directory. */
    uint8_t *der[SIM_NCERTS];
    size_t der_len[SIM_NCERTS];
    EVP_PKEY *vcek_key;
    uint8_t *root_key; /* SIM_ROOT_KEY_SIZE bytes, sodium_malloc'd */
    uint8_t chip_id[SIM_CHIP_ID_SIZE];
    uint64_t tcb;
    /* The simulated guest, from bptee_sim_opts. */
    uint32_t version;
    uint64_t policy;
    uint8_t measurement[48];
    uint8_t host_data[32];
    uint8_t family_id[16];
    uint8_t image_id[16];
    uint32_t guest_svn;
    uint8_t report_id[32]; /* per simulated guest, as firmware assigns one per launch */
};

/* A freshly generated platform, before it is written to the state directory. */
struct sim_platform {
    uint8_t *der[SIM_NCERTS];
    size_t der_len[SIM_NCERTS];
    char *vcek_key_pem;
    size_t vcek_key_pem_len;
    uint8_t chip_id[SIM_CHIP_ID_SIZE];
    uint64_t tcb;
};

/* certs.c: the ARK -> ASK -> VCEK chain with AMD's extensions, a chip id and a TCB. */
int sim_platform_generate(struct sim_platform *p);
void sim_platform_release(struct sim_platform *p);

/* state.c: load sim's platform from dir, generating and publishing it first if absent. */
int sim_state_load_or_create(const char *dir, struct bptee_sim *sim);

/* state_io.c: the files of a state directory. */
int sim_state_write(int dfd, const struct sim_platform *p, const uint8_t *root_key);
int sim_state_read(int dfd, const char *dir, struct bptee_sim *sim);

#endif
