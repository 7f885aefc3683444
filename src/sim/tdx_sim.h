/* SPDX-License-Identifier: Apache-2.0 */
/* The simulated TDX platform, shared by src/sim/tdx_*.c (not part of the API). */
#ifndef BPTEE_SIM_TDX_SIM_H
#define BPTEE_SIM_TDX_SIM_H

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <stdint.h>

#include <bptee/sim.h>
#include <bptee/tdx.h>

#define TDX_SIM_MAC_KEY_SIZE 32
#define TDX_SIM_QE_AUTH_SIZE 32

/* Certificates and keys of the platform, indexed alike. */
enum tdx_sim_cert {
    TDX_SIM_ROOT,    /* "Intel SGX Root CA" look-alike, self-signed */
    TDX_SIM_PCK_CA,  /* "Intel SGX PCK Platform CA" */
    TDX_SIM_PCK,     /* "Intel SGX PCK Certificate", with the SGX extensions */
    TDX_SIM_SIGNER,  /* "Intel SGX TCB Signing": signs the simulated collateral */
    TDX_SIM_NCERTS
};

/* The simulated platform's fixed TCB: what the PCK certifies and the TD quote body reports. */
struct tdx_sim_tcb {
    uint8_t fmspc[6];
    uint8_t pceid[2];
    uint8_t comp_svn[16];
    uint16_t pcesvn;
    uint8_t cpusvn[16];
    uint8_t tee_tcb_svn[16]; /* [1] > 0: a TDX 1.5 module, judged by identity TDX_01 */
    uint8_t mrseam[48];
    uint16_t qe_isvsvn;
};
extern const struct tdx_sim_tcb tdx_sim_tcb;
/* The simulated TD QE (its MRSIGNER is Intel's TD QE signer, as a verifier expects). */
extern const uint8_t tdx_sim_qe_mrsigner[32];
#define TDX_SIM_QE_ISVPRODID 2

struct bptee_tdx_sim {
    uint8_t *der[TDX_SIM_NCERTS];
    size_t der_len[TDX_SIM_NCERTS];
    EVP_PKEY *key[TDX_SIM_NCERTS];
    EVP_PKEY *attest_key;
    uint8_t attest_xy[64];
    uint8_t *mac_key; /* sodium_malloc'd */
    char *pck_chain;  /* PEM leaf, CA, root, NUL-terminated as QGS hands it out */
    size_t pck_chain_len;
    struct bptee_tdx_sgx_report qe_report;
    uint8_t qe_report_signature[64];
    uint8_t qe_auth[TDX_SIM_QE_AUTH_SIZE];
    /* The simulated TD, from bptee_tdx_sim_opts. */
    uint16_t version, body_type;
    uint8_t mrtd[48], mrconfigid[48], mrowner[48], mrownerconfig[48];
    uint8_t rtmr[4][48];
    uint64_t td_attributes, xfam;
};

/* A freshly generated platform, before it is written to the state directory. */
struct tdx_sim_platform {
    uint8_t *der[TDX_SIM_NCERTS];
    size_t der_len[TDX_SIM_NCERTS];
    char *key_pem[TDX_SIM_NCERTS + 1]; /* + the attestation key; sodium_malloc'd */
    size_t key_pem_len[TDX_SIM_NCERTS + 1];
};

/* tdx_certs.c: the chain (root -> PCK CA -> PCK, root -> TCB signer) and the keys. */
int tdx_sim_platform_generate(struct tdx_sim_platform *p);
void tdx_sim_platform_release(struct tdx_sim_platform *p);
int tdx_sim_name(X509_NAME *n, const char *cn);
int tdx_sim_random_serial(ASN1_INTEGER *serial);

/* tdx_sgxext.c: the PCK's SGX extension, built with OpenSSL's ASN.1 types. */
int tdx_sim_add_sgx_ext(X509 *pck);

/* tdx_state.c / tdx_state_io.c: load the platform, generating and publishing it first. */
int tdx_sim_state_load_or_create(const char *dir, struct bptee_tdx_sim *sim);
int tdx_sim_state_write(int dfd, const struct tdx_sim_platform *p, const uint8_t *mac_key);
int tdx_sim_state_read(int dfd, const char *dir, struct bptee_tdx_sim *sim);

/* tdx_quote.c: ECDSA P-256 signatures as raw r || s, the QE report, TDREPORT and quote. */
int tdx_sim_sign(EVP_PKEY *key, const uint8_t *msg, size_t len, uint8_t sig[64]);
int tdx_sim_qe_setup(struct bptee_tdx_sim *sim);

#endif
