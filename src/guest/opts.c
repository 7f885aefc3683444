// SPDX-License-Identifier: Apache-2.0
/* Options, paths, and which source evidence comes from. Explicit choices are honoured exactly:
 * sev-snp and tdx never fall back to the simulator; only auto may, and the caller is told. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "guest/guest_private.h"
#include "util/codec.h"
#include "util/error.h"

const char *bptee_guest_source_name(int source)
{
    switch (source) {
    case BPTEE_GUEST_SOURCE_TSM:
        return "configfs-tsm";
    case BPTEE_GUEST_SOURCE_IOCTL:
        return "sev-guest";
    case BPTEE_GUEST_SOURCE_SIM:
        return "simulator";
    case BPTEE_GUEST_SOURCE_VTPM:
        return "vtpm";
    default:
        return NULL;
    }
}

const char *guest_pick(const char *opt, const char *env, const char *def)
{
    if (opt && opt[0])
        return opt;
    const char *e = secure_getenv(env);
    return e && e[0] ? e : def;
}

int guest_resolve(const struct bptee_guest_opts *opts, struct guest_cfg *g)
{
    /* A caller built against an older header passes a smaller struct: the rest is zero. */
    struct bptee_guest_opts o = {.sz = sizeof o};
    if (opts) {
        if (opts->sz < sizeof opts->sz + sizeof opts->provider)
            return fail(BPTEE_EINVAL, "guest: options struct too small (sz %zu)", opts->sz);
        memcpy(&o, opts, opts->sz < sizeof o ? opts->sz : sizeof o);
    }
    if (o.provider != BPTEE_EVIDENCE_PROVIDER_AUTO && o.provider != BPTEE_EVIDENCE_PROVIDER_SIM &&
        o.provider != BPTEE_EVIDENCE_PROVIDER_SEV_SNP && o.provider != BPTEE_EVIDENCE_PROVIDER_TDX &&
        o.provider != BPTEE_EVIDENCE_PROVIDER_AZURE_SNP)
        return fail(BPTEE_EUNSUPPORTED,
                    "guest: evidence provider %d is not supported here "
                    "(auto, sev-snp, tdx, sim or azure-snp)",
                    o.provider);
    if (o.sim_tee != 0 && o.sim_tee != BPTEE_EVIDENCE_PROVIDER_SEV_SNP &&
        o.sim_tee != BPTEE_EVIDENCE_PROVIDER_TDX)
        return fail(BPTEE_EINVAL, "guest: the simulator plays sev-snp or tdx, not provider %d",
                    o.sim_tee);
    bool sim_tdx = o.sim_tee == BPTEE_EVIDENCE_PROVIDER_TDX;
    if (o.set_vmpl && o.vmpl > 3)
        return fail(BPTEE_EINVAL, "guest: VMPL %u is out of range (0 to 3)", o.vmpl);
    memset(g, 0, sizeof *g);
    int rc = guest_resolve_azure(&o, g);
    if (rc < 0)
        return rc;
    /* A VMPL is SEV-SNP's notion; a TD has no privilege level to ask for. */
    if (o.set_vmpl && (o.provider == BPTEE_EVIDENCE_PROVIDER_TDX ||
                       (o.provider == BPTEE_EVIDENCE_PROVIDER_SIM && sim_tdx)))
        return fail(BPTEE_EINVAL, "guest: a VMPL applies to SEV-SNP only, not to TDX");
    g->provider = o.provider;
    g->tsm_path =
        guest_pick(o.tsm_path, BPTEE_GUEST_ENV_TSM_PATH, BPTEE_CONFIG_DEFAULT_TSM_REPORT_PATH);
    g->device =
        guest_pick(o.device, BPTEE_GUEST_ENV_SEV_GUEST_PATH, BPTEE_CONFIG_DEFAULT_SEV_GUEST_PATH);
    g->tdx_device = guest_pick(o.tdx_device, BPTEE_GUEST_ENV_TDX_GUEST_PATH,
                               BPTEE_CONFIG_DEFAULT_TDX_GUEST_PATH);
    g->sim_tdx = sim_tdx;
    g->state_dir = o.state_dir && o.state_dir[0] ? o.state_dir : NULL;
    g->set_vmpl = o.set_vmpl;
    g->vmpl = o.vmpl;
    g->attempts = o.max_attempts ? o.max_attempts : GUEST_DEFAULT_ATTEMPTS;
    g->backoff_ms = o.backoff_ms ? o.backoff_ms : GUEST_DEFAULT_BACKOFF_MS;
    return 0;
}

void guest_backoff(const struct guest_cfg *g, unsigned attempt)
{
    unsigned long ms = g->backoff_ms;
    for (unsigned i = 1; i < attempt && ms < GUEST_MAX_BACKOFF_MS; i++)
        ms *= 2;
    if (ms > GUEST_MAX_BACKOFF_MS)
        ms = GUEST_MAX_BACKOFF_MS;
    struct timespec ts = {.tv_sec = (time_t)(ms / 1000), .tv_nsec = (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}

static bool is_dir(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

/* The device node is a character device on hardware; emulations may present a regular file. */
static bool exists(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && !S_ISDIR(st.st_mode);
}

/* /dev/tdx_guest alone: the TD can make a TDREPORT, but only a quote is verifiable elsewhere. */
static int tdx_device_only(const struct guest_cfg *g, bool need_device)
{
    if (need_device)
        return fail(BPTEE_EUNSUPPORTED, "guest: %s is a TDX guest device: TDX has no derived-key "
                                        "interface (derived keys are SEV-SNP's)",
                    g->tdx_device);
    return fail(BPTEE_EUNSUPPORTED,
                "guest: only %s is present (no configfs-tsm at %s): its TDREPORT is MAC'd for "
                "this CPU and cannot be verified remotely; a quote needs the TD quoting enclave, "
                "which Linux reaches through configfs-tsm (Linux >= 6.7, provider tdx_guest, a "
                "quote generation service on the host)",
                g->tdx_device, g->tsm_path);
}

static int not_found(const struct guest_cfg *g, bool need_device)
{
    if (need_device)
        return fail(BPTEE_ENOTFOUND,
                    "guest: no SEV-SNP guest device at %s (derived keys need "
                    "/dev/sev-guest; set --device or %s)",
                    g->device, BPTEE_GUEST_ENV_SEV_GUEST_PATH);
    if (g->provider == BPTEE_EVIDENCE_PROVIDER_TDX)
        return fail(BPTEE_ENOTFOUND,
                    "guest: no TDX guest interface: %s and %s do not exist "
                    "(set the paths or %s / %s; provider tdx never simulates)",
                    g->tsm_path, g->tdx_device, BPTEE_GUEST_ENV_TSM_PATH,
                    BPTEE_GUEST_ENV_TDX_GUEST_PATH);
    return fail(BPTEE_ENOTFOUND,
                "guest: no SEV-SNP guest interface: %s and %s do not exist "
                "(set the paths or %s / %s; provider sev-snp never simulates)",
                g->tsm_path, g->device, BPTEE_GUEST_ENV_TSM_PATH, BPTEE_GUEST_ENV_SEV_GUEST_PATH);
}

int guest_select(const struct guest_cfg *g, bool need_device, int *source)
{
    int p = g->provider;
    if (p == BPTEE_EVIDENCE_PROVIDER_AZURE_SNP)
        return guest_select_azure(g, need_device, source);
    if (p == BPTEE_EVIDENCE_PROVIDER_SIM) {
        *source = BPTEE_GUEST_SOURCE_SIM;
        return 0;
    }
    if (!need_device && is_dir(g->tsm_path)) {
        *source = BPTEE_GUEST_SOURCE_TSM;
        return 0;
    }
    if (p != BPTEE_EVIDENCE_PROVIDER_TDX && exists(g->device)) {
        *source = BPTEE_GUEST_SOURCE_IOCTL;
        return 0;
    }
    /* TDX hardware without a way to quote is an error, never a reason to simulate. */
    if (p != BPTEE_EVIDENCE_PROVIDER_SEV_SNP && exists(g->tdx_device))
        return tdx_device_only(g, need_device);
    if (p == BPTEE_EVIDENCE_PROVIDER_AUTO) {
        *source = BPTEE_GUEST_SOURCE_SIM;
        return 0;
    }
    return not_found(g, need_device);
}

int bptee_guest_select(const struct bptee_guest_opts *opts, int *source)
{
    if (!source)
        return fail(BPTEE_EINVAL, "guest: select: missing argument");
    struct guest_cfg g;
    int r = guest_resolve(opts, &g);
    return r < 0 ? r : guest_select(&g, false, source);
}

int bptee_guest_opts_from_config(const struct bptee_config *cfg, struct bptee_guest_opts *o)
{
    if (!cfg || !o || o->sz < sizeof *o)
        return fail(BPTEE_EINVAL, "guest: options from config: missing argument or old struct");
    o->provider = (int)bptee_config_evidence_provider(cfg);
    if (o->provider == BPTEE_EVIDENCE_PROVIDER_SIM_TDX) { /* "sim-tdx": the simulator as TDX */
        o->provider = BPTEE_EVIDENCE_PROVIDER_SIM;
        o->sim_tee = BPTEE_EVIDENCE_PROVIDER_TDX;
    }
    o->state_dir = bptee_config_sim_state_dir(cfg);
    const char *tsm = bptee_config_tsm_report_path(cfg);
    const char *dev = bptee_config_sev_guest_path(cfg);
    const char *tdx = bptee_config_tdx_guest_path(cfg);
    o->tsm_path = tsm && strcmp(tsm, BPTEE_CONFIG_DEFAULT_TSM_REPORT_PATH) ? tsm : NULL;
    o->device = dev && strcmp(dev, BPTEE_CONFIG_DEFAULT_SEV_GUEST_PATH) ? dev : NULL;
    o->tdx_device = tdx && strcmp(tdx, BPTEE_CONFIG_DEFAULT_TDX_GUEST_PATH) ? tdx : NULL;
    return 0;
}

int guest_report_data(const uint8_t *rd, size_t len, uint8_t out[64])
{
    if (!rd && len)
        return fail(BPTEE_EINVAL, "guest: report data: missing argument");
    if (len > 64)
        return fail(BPTEE_EINVAL, "guest: report data is %zu bytes (at most 64)", len);
    memset(out, 0, 64);
    if (len)
        memcpy(out, rd, len);
    return 0;
}

int bptee_guest_key_binding(const uint8_t *nonce, size_t nonce_len, const uint8_t *public_key,
                            size_t public_key_len, uint8_t out[64])
{
    if (!nonce || !public_key || !out)
        return fail(BPTEE_EINVAL, "guest: key binding: missing argument");
    if (nonce_len != 32)
        return fail(BPTEE_EINVAL, "guest: key binding: nonce is %zu bytes (must be 32)", nonce_len);
    if (public_key_len != 32)
        return fail(BPTEE_EINVAL,
                    "guest: key binding: X25519 public key is %zu bytes (must be "
                    "32)",
                    public_key_len);
    uint8_t buf[64];
    memcpy(buf, nonce, 32);
    memcpy(buf + 32, public_key, 32);
    sha512(buf, sizeof buf, out);
    return 0;
}

/* SEV firmware status codes (linux/psp-sev.h) a guest request can come back with. */
const char *guest_fw_status_name(uint32_t status)
{
    switch (status) {
    case 0x01:
        return "INVALID_PLATFORM_STATE";
    case 0x02:
        return "INVALID_GUEST_STATE";
    case 0x04:
        return "INVALID_LENGTH";
    case 0x07:
        return "POLICY_FAILURE";
    case 0x09:
        return "INVALID_ADDRESS";
    case 0x0a:
        return "BAD_SIGNATURE";
    case 0x10:
        return "INVALID_GUEST";
    case 0x11:
        return "INVALID_COMMAND";
    case 0x15:
        return "UNSUPPORTED";
    case 0x16:
        return "INVALID_PARAM";
    case 0x17:
        return "RESOURCE_LIMIT";
    case 0x18:
        return "SECURE_DATA_INVALID";
    case 0x21:
        return "BAD_SVN";
    case 0x27:
        return "INVALID_KEY";
    default:
        return NULL;
    }
}
