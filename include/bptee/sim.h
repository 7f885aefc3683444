/* SPDX-License-Identifier: Apache-2.0 */
/* The simulated TEE: evidence in the exact hardware formats, signed by a locally generated
 * simulation root. Never trusted unless a verification policy says so explicitly.
 *
 * A simulator keeps its platform in a state directory, generated once: an ARK (RSA-4096,
 * self-signed) -> ASK (RSA-4096) -> VCEK (EC P-384) chain signed with RSA-PSS SHA-384 as AMD's
 * is, a random chip id, a Milan TCB and a secret root key for derived keys. Every certificate
 * carries BPTEE_SIM_ORG. docs/guest.md describes it. */
#ifndef BPTEE_SIM_H
#define BPTEE_SIM_H

#include <bptee/common.h>
#include <bptee/guest.h>

/* Every certificate the simulator makes carries this subject organizationName, so any
 * verifier (and any human reading the chain) can tell simulated evidence from hardware. */
#define BPTEE_SIM_ORG "bptee simulated TEE - not hardware"

/* The simulated guest's default POLICY: SMT allowed, reserved bit 17, debug off. */
#define BPTEE_SIM_DEFAULT_POLICY 0x30000ull

struct bptee_sim;

/* Launch parameters of the simulated guest: what the hypervisor and the ID block would set.
 * Zero fields take the defaults. Fill with BPTEE_OPTS(bptee_sim_opts, o, ...). */
struct bptee_sim_opts {
    size_t sz;
    uint32_t version;           /* report VERSION 2, 3 or 5 (0: 5) */
    uint64_t policy;            /* guest POLICY (0: BPTEE_SIM_DEFAULT_POLICY) */
    const uint8_t *measurement; /* 48 bytes (NULL: SHA-384 of "bptee simulated guest") */
    const uint8_t *host_data;   /* 32 bytes (NULL: zero) */
    const uint8_t *family_id;   /* 16 bytes (NULL: zero) */
    const uint8_t *image_id;    /* 16 bytes (NULL: zero) */
    uint32_t guest_svn;
};

/* The default state directory: $XDG_STATE_HOME/bptee/sim, else ~/.local/state/bptee/sim.
 * *out is released with bptee_free. */
BPTEE_API int bptee_sim_default_state_dir(char **out);

/* Open the simulator whose state lives in state_dir (NULL: the default), generating the state
 * on first use (directory 0700, files 0600, created atomically so concurrent first uses agree
 * on one platform). opts may be NULL. Release with bptee_sim_free (NULL is a no-op). */
BPTEE_API int bptee_sim_open(const char *state_dir, const struct bptee_sim_opts *opts, struct bptee_sim **out);
BPTEE_API void bptee_sim_free(struct bptee_sim *sim);

/* A signed ATTESTATION_REPORT (BPTEE_SNP_REPORT_SIZE bytes into out) over report_data (at
 * most 64 bytes, zero-padded as the kernel pads a short inblob) at the requested VMPL (0..3).
 * Each call gets a fresh signature; the rest follows the guest's launch parameters. */
BPTEE_API int bptee_sim_report(struct bptee_sim *sim, const uint8_t *report_data, size_t report_data_len, uint32_t vmpl, uint8_t *out, size_t out_len);

/* The GHCB certificate table (VCEK, ASK, ARK) as SNP_GET_EXT_REPORT and configfs-tsm's auxblob
 * return it; *out is released with bptee_free. */
BPTEE_API int bptee_sim_certtable(const struct bptee_sim *sim, uint8_t **out, size_t *out_len);

/* One certificate (kind: enum bptee_snp_cert_kind VCEK, ASK or ARK) as DER, borrowed from sim. */
BPTEE_API int bptee_sim_cert(const struct bptee_sim *sim, int kind, const uint8_t **der, size_t *der_len);

/* SHA-256 of the simulation ARK's DER: the fingerprint a policy names to trust this simulator. */
BPTEE_API int bptee_sim_ark_fingerprint(const struct bptee_sim *sim, uint8_t out[32]);

/* The platform: chip id (64 bytes) and TCB_VERSION (Milan layout) the VCEK certifies. */
BPTEE_API int bptee_sim_chip_id(const struct bptee_sim *sim, uint8_t out[64]);
BPTEE_API uint64_t bptee_sim_tcb(const struct bptee_sim *sim);

/* SNP_GET_DERIVED_KEY's semantics: a 32-byte key from the state directory's secret root key,
 * bound to the request's root_key_select, VMPL and the guest fields it selects. As firmware
 * does, a guest_svn or TCB above the current one, a VMPL below the guest's, an unknown root or
 * field bit is refused (BPTEE_EINVAL naming it). key_len must be 32. */
BPTEE_API int bptee_sim_derived_key(const struct bptee_sim *sim, const struct bptee_guest_key_request *req, uint8_t *key, size_t key_len);

/* A simulated Azure HCL report (docs/azure.md) as the vTPM's NV index 0x01400001 holds it,
 * zero-padded to 2048 bytes: runtime data naming ak (an RSA public key, PEM or DER
 * SubjectPublicKeyInfo) as "HCLAkPub", bound by the REPORT_DATA of a simulated SEV-SNP report
 * at the given VMPL, signed by the simulated VCEK. *out is released with bptee_free. */
BPTEE_API int bptee_sim_azure_hcl(struct bptee_sim *sim, const uint8_t *ak, size_t ak_len, uint32_t vmpl, uint8_t **out, size_t *out_len);

/* 1 when the DER certificate's subject or issuer carries BPTEE_SIM_ORG, 0 when not (or when it
 * does not parse). */
BPTEE_API int bptee_sim_cert_is_simulated(const uint8_t *der, size_t der_len);

#endif
