/* SPDX-License-Identifier: Apache-2.0 */
/* Evidence from inside an AMD SEV-SNP guest or an Intel TDX trust domain: configfs-tsm
 * (Linux >= 6.7; provider sev_guest or tdx_guest) first, then the /dev/sev-guest ioctls
 * (SNP_GET_REPORT, SNP_GET_EXT_REPORT, SNP_GET_DERIVED_KEY), and the simulated TEE (SEV-SNP or
 * TDX) only where the caller allows it. docs/guest.md describes the order, the paths and their
 * environment overrides, the retries and the errors. */
#ifndef BPTEE_GUEST_H
#define BPTEE_GUEST_H

#include <stdbool.h>

#include <bptee/common.h>
#include <bptee/config.h>
#include <bptee/evidence.h>

/* Environment overrides of the device paths (used when the options leave them NULL). */
#define BPTEE_GUEST_ENV_TSM_PATH "BPTEE_TSM_PATH"
#define BPTEE_GUEST_ENV_SEV_GUEST_PATH "BPTEE_SEV_GUEST_PATH"
#define BPTEE_GUEST_ENV_TDX_GUEST_PATH "BPTEE_TDX_GUEST_PATH" /* = BPTEE_TDX_ENV_GUEST_PATH */
/* Provider azure-snp (docs/azure.md): tpm2-tss's TCTI configuration ("device:/dev/tpmrm0",
 * "swtpm:host=127.0.0.1,port=2321", ...), the HCL report's NV index and the AK's persistent
 * handle (hex or decimal), and a file of the VCEK, ASK and ARK to carry (PEM, VCEK first, or a
 * GHCB certificate table). */
#define BPTEE_GUEST_ENV_TPM_TCTI "BPTEE_TPM_TCTI"
#define BPTEE_GUEST_ENV_AZURE_NV_INDEX "BPTEE_AZURE_HCL_NV_INDEX"
#define BPTEE_GUEST_ENV_AZURE_AK_HANDLE "BPTEE_AZURE_AK_HANDLE"
#define BPTEE_GUEST_ENV_AZURE_CERTS "BPTEE_AZURE_CERTS"
#define BPTEE_GUEST_DEFAULT_TPM_TCTI "device:/dev/tpmrm0"
#define BPTEE_GUEST_AZURE_NV_INDEX 0x01400001u /* where Azure's paravisor puts the HCL report */
#define BPTEE_GUEST_AZURE_AK_HANDLE 0x81000003u /* Azure's vTPM attestation key */

/* Where evidence came from. */
enum bptee_guest_source {
    BPTEE_GUEST_SOURCE_TSM = 1,   /* configfs-tsm report instance */
    BPTEE_GUEST_SOURCE_IOCTL = 2, /* /dev/sev-guest (or /dev/tdx_guest for a TDREPORT) */
    BPTEE_GUEST_SOURCE_SIM = 3,   /* the simulated TEE, not hardware */
    BPTEE_GUEST_SOURCE_VTPM = 4,  /* an Azure CVM's vTPM through tpm2-tss (provider azure-snp) */
};

/* SNP_GET_DERIVED_KEY's request (MSG_KEY_REQ). */
#define BPTEE_GUEST_KEY_ROOT_VCEK 0u /* key derived from the chip's VCEK secret */
#define BPTEE_GUEST_KEY_ROOT_VMRK 1u /* key derived from the VM root key */
#define BPTEE_GUEST_KEY_FIELD_POLICY (1ull << 0)
#define BPTEE_GUEST_KEY_FIELD_IMAGE_ID (1ull << 1)
#define BPTEE_GUEST_KEY_FIELD_FAMILY_ID (1ull << 2)
#define BPTEE_GUEST_KEY_FIELD_MEASUREMENT (1ull << 3)
#define BPTEE_GUEST_KEY_FIELD_GUEST_SVN (1ull << 4)
#define BPTEE_GUEST_KEY_FIELD_TCB_VERSION (1ull << 5)
#define BPTEE_GUEST_KEY_FIELD_LAUNCH_MIT_VECTOR (1ull << 6)

struct bptee_guest_key_request {
    uint32_t root_key_select;    /* BPTEE_GUEST_KEY_ROOT_* */
    uint64_t guest_field_select; /* BPTEE_GUEST_KEY_FIELD_* bits mixed into the key */
    uint32_t vmpl;               /* always mixed in; >= the guest's own VMPL */
    uint32_t guest_svn;          /* mixed in if selected; <= the guest's SVN */
    uint64_t tcb_version;        /* mixed in if selected; <= the current TCB */
};

/* How to obtain evidence. Zero fields take the defaults; fill with
 * BPTEE_OPTS(bptee_guest_opts, o, ...). */
struct bptee_guest_opts {
    size_t sz;
    int provider;          /* enum bptee_evidence_provider: AUTO (default), SEV_SNP, TDX, SIM */
    const char *tsm_path;  /* NULL: $BPTEE_TSM_PATH, else /sys/kernel/config/tsm/report */
    const char *device;    /* NULL: $BPTEE_SEV_GUEST_PATH, else /dev/sev-guest */
    const char *state_dir; /* simulator state (NULL: bptee_sim_default_state_dir) */
    bool set_vmpl;         /* request vmpl (configfs-tsm privlevel); else the guest's own */
    uint32_t vmpl;
    unsigned max_attempts; /* tries when throttled or raced (0: 5) */
    unsigned backoff_ms;   /* first wait after a throttled try, doubling (0: 10 ms) */
    const char *tdx_device; /* NULL: $BPTEE_TDX_GUEST_PATH, else /dev/tdx_guest */
    /* Which TEE the simulator plays whenever it is the source: 0 or
     * BPTEE_EVIDENCE_PROVIDER_SEV_SNP (the default), or BPTEE_EVIDENCE_PROVIDER_TDX. The TDX
     * simulator keeps its state in state_dir with "-tdx" appended (NULL: its own default). */
    int sim_tee;
    /* Provider azure-snp: NULL or 0 take the environment (BPTEE_GUEST_ENV_TPM_TCTI, ...), then
     * the defaults (BPTEE_GUEST_DEFAULT_TPM_TCTI, Azure's NV index and AK handle, no
     * certificates). */
    const char *tpm_tcti;
    uint32_t azure_nv_index;
    uint32_t azure_ak_handle;
    const char *azure_certs;
};

/* "configfs-tsm", "sev-guest", "simulator", "vtpm"; NULL if unknown. */
BPTEE_API const char *bptee_guest_source_name(int source);

/* Fill o from a config's "bptee" object: evidence provider, simulator state directory, and the
 * device paths where they differ from the defaults (so the environment still overrides
 * defaults). Pointers are borrowed from cfg. */
BPTEE_API int bptee_guest_opts_from_config(const struct bptee_config *cfg, struct bptee_guest_opts *o);

/* Which source opts select right now: explicit SIM -> SIM; SEV_SNP -> configfs-tsm if its root
 * exists, else /dev/sev-guest if it exists, else BPTEE_ENOTFOUND (never the simulator); TDX ->
 * configfs-tsm, else BPTEE_EUNSUPPORTED when only /dev/tdx_guest exists (a TDREPORT is not
 * remotely verifiable; quotes come through configfs-tsm), else BPTEE_ENOTFOUND; AUTO -> the
 * SEV-SNP order, then the TDX one, falling back to SIM; AZURE_SNP -> the vTPM (never the
 * simulator), BPTEE_ENOTFOUND when its TCTI is a device that does not exist. */
BPTEE_API int bptee_guest_select(const struct bptee_guest_opts *opts, int *source);

/* Evidence over report_data (at most 64 bytes, zero-padded) from the selected source, as the
 * evidence model's report, issued_at now. SEV-SNP: provider amd_sev_snp, format
 * sev_snp_report, the SHA-384 MEASUREMENT, the raw report, the certificates of the GHCB table.
 * TDX: provider intel_tdx, format tdx_quote, measurement = MRTD, the raw quote (its PCK chain
 * inside). Azure vTPM: provider azure_snp, format sev_snp_report, the SEV-SNP report's claims,
 * the evidence container of bptee_azure_evidence_parse whose quote carries report_data as its
 * qualifying data (REPORT_DATA is the paravisor's), the certificates of azure_certs; it is
 * verified before it is returned. simulated is set when the simulator (or an emulation backed
 * by it) produced it.
 * *source (may be NULL) says where it came from: SIM under AUTO means no hardware was found. */
BPTEE_API int bptee_guest_attest(const struct bptee_guest_opts *opts, const uint8_t *report_data, size_t report_data_len, struct bptee_report **out, int *source);

/* A derived key (key_len 32) from the device, or the simulator under AUTO without one or under
 * SIM. configfs-tsm has no derived keys, so it is never the source; TDX has no such interface
 * (BPTEE_EUNSUPPORTED). */
BPTEE_API int bptee_guest_derived_key(const struct bptee_guest_opts *opts, const struct bptee_guest_key_request *req, uint8_t *key, size_t key_len, int *source);

/* One source each, no selection. The report is BPTEE_SNP_REPORT_SIZE bytes; *report, *aux and
 * *certs are released with bptee_free (aux/certs may come back NULL with length 0: the host
 * supplied no certificates). */
BPTEE_API int bptee_guest_tsm_report(const struct bptee_guest_opts *opts, const uint8_t *report_data, size_t report_data_len, uint8_t **report, size_t *report_len, uint8_t **aux, size_t *aux_len);
BPTEE_API int bptee_guest_sev_report(const struct bptee_guest_opts *opts, const uint8_t *report_data, size_t report_data_len, uint8_t **report, size_t *report_len);
BPTEE_API int bptee_guest_sev_ext_report(const struct bptee_guest_opts *opts, const uint8_t *report_data, size_t report_data_len, uint8_t **report, size_t *report_len, uint8_t **certs, size_t *certs_len);
/* configfs-tsm with provider tdx_guest: the quote the TD quoting enclave made over report_data;
 * *quote is released with bptee_free. Not verified (bptee_verify does that). */
BPTEE_API int bptee_guest_tdx_quote(const struct bptee_guest_opts *opts, const uint8_t *report_data, size_t report_data_len, uint8_t **quote, size_t *quote_len);
/* A 1024-byte TDREPORT: TDX_CMD_GET_REPORT0 on opts->tdx_device under provider TDX, or the TDX
 * simulator under SIM with sim_tee TDX; anything else is BPTEE_EUNSUPPORTED. It is MAC'd for
 * this CPU only: for local inspection, never remote verification. out_len >= 1024. */
BPTEE_API int bptee_guest_tdreport(const struct bptee_guest_opts *opts, const uint8_t *report_data, size_t report_data_len, uint8_t *out, size_t out_len, int *source);
BPTEE_API int bptee_guest_sev_derived_key(const struct bptee_guest_opts *opts, const struct bptee_guest_key_request *req, uint8_t *key, size_t key_len);

/* DESIGN.md contract 3: REPORT_DATA = SHA-512(nonce[32] || public_key[32]) for an X25519 key. */
BPTEE_API int bptee_guest_key_binding(const uint8_t *nonce, size_t nonce_len, const uint8_t *public_key, size_t public_key_len, uint8_t out[64]);

#endif
