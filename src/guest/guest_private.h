/* SPDX-License-Identifier: Apache-2.0 */
/* The guest module's shared internals: options resolved once (defaults, environment). */
#ifndef BPTEE_GUEST_PRIVATE_H
#define BPTEE_GUEST_PRIVATE_H

#include <stdbool.h>
#include <stdint.h>

#include <bptee/guest.h>
#include <bptee/snp.h>

#define GUEST_DEFAULT_ATTEMPTS 5
#define GUEST_DEFAULT_BACKOFF_MS 10
#define GUEST_MAX_BACKOFF_MS 2000

/* bptee_guest_opts with every default applied. Paths are borrowed (options or environment). */
struct guest_cfg {
    int provider; /* enum bptee_evidence_provider */
    const char *tsm_path;
    const char *device;
    const char *tdx_device;
    bool sim_tdx;          /* the simulator plays TDX (sim_tee) */
    const char *state_dir; /* NULL: the simulator's default */
    bool set_vmpl;
    uint32_t vmpl;
    unsigned attempts;
    unsigned backoff_ms;
    /* Provider azure-snp (attest_azure.c). */
    const char *tpm_tcti;
    uint32_t azure_nv_index;
    uint32_t azure_ak_handle;
    const char *azure_certs; /* NULL: carry no certificates */
};

int guest_resolve(const struct bptee_guest_opts *opts, struct guest_cfg *g);

/* The option if set, else the environment variable if set, else the default. */
const char *guest_pick(const char *opt, const char *env, const char *def);

/* attest_azure.c: the azure-snp settings of g (TCTI, NV index, AK handle, certificates); which
 * source it selects (the vTPM, never the simulator); its evidence over rd. */
int guest_resolve_azure(const struct bptee_guest_opts *o, struct guest_cfg *g);
int guest_select_azure(const struct guest_cfg *g, bool need_device, int *source);
int guest_azure_attest(const struct guest_cfg *g, const uint8_t rd[64], struct bptee_report **out);

/* attest.c: SEV-SNP claims (measurement, debug, firmware) of a parsed report, and a GHCB
 * certificate table's certificates onto rep (*simulated set if any is the simulator's). */
int guest_snp_claims(struct bptee_report *rep, const struct bptee_snp_report *p);
int guest_add_certtable(struct bptee_report *rep, const uint8_t *table, size_t len,
                        int *simulated);

/* Sleep before retry number `attempt` (1-based): backoff_ms doubling, capped. */
void guest_backoff(const struct guest_cfg *g, unsigned attempt);

/* The selection rules of bptee_guest_select; derived keys skip configfs-tsm (has none). */
int guest_select(const struct guest_cfg *g, bool need_device, int *source);

/* Copy report_data (<= 64 bytes) into a zero-padded 64-byte block. */
int guest_report_data(const uint8_t *rd, size_t len, uint8_t out[64]);

/* tsm.c: one configfs-tsm report from a provider in `accept` (bits TSM_SEV, TSM_TDX); kind says
 * which answered. SEV: out is the 1184-byte report, aux the certificate table (may be empty).
 * TDX: out is the quote, no aux. */
enum { TSM_SEV = 1u, TSM_TDX = 2u };
struct tsm_blobs {
    uint8_t *out, *aux;
    size_t out_len, aux_len;
    unsigned kind;
};
int guest_tsm_fetch(const struct guest_cfg *g, const uint8_t inblob[64], unsigned accept,
                    struct tsm_blobs *b);
void guest_tsm_release(struct tsm_blobs *b);

/* attest_tdx.c: the TDX simulator's quote over rd, and a quote as the evidence model's report. */
int guest_tdx_sim_quote(const struct guest_cfg *g, const uint8_t rd[64], uint8_t **quote,
                        size_t *len);
int guest_tdx_report(const uint8_t *quote, size_t len, int source, struct bptee_report **out);

/* Names of SEV firmware status codes (psp-sev.h), or NULL. */
const char *guest_fw_status_name(uint32_t status);

#endif
