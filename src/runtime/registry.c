// SPDX-License-Identifier: Apache-2.0
/* The registry: backends found by provider and mode (docs/backends.md). Built by hand or from
 * blueprint-tee's TEE_BACKEND variable, and asked which backend a TEE job of a config runs on
 * here: the config's evidence provider or, under auto, what detection finds, accepted by the
 * config's provider selector, with a backend registered for it. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bptee/provider.h>

#include "runtime/runtime_private.h"
#include "util/error.h"

#define REGISTRY_MAX 16

struct bptee_registry {
    struct bptee_backend *backends[REGISTRY_MAX];
    size_t n;
};

int bptee_registry_new(struct bptee_registry **out)
{
    if (!out)
        return fail(BPTEE_EINVAL, "registry: missing output");
    *out = calloc(1, sizeof **out);
    return *out ? 0 : fail(BPTEE_ENOMEM, "registry: out of memory");
}

void bptee_registry_free(struct bptee_registry *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->n; i++)
        bptee_backend_free(r->backends[i]);
    free(r);
}

int bptee_registry_register(struct bptee_registry *r, struct bptee_backend *b)
{
    if (!r || !b) {
        bptee_backend_free(b);
        return fail(BPTEE_EINVAL, "registry: missing argument");
    }
    for (size_t i = 0; i < r->n; i++) {
        if (strcmp(r->backends[i]->name, b->name))
            continue;
        /* Freeing it would destroy deployments their holders still use. */
        if (r->backends[i]->deployments) {
            bptee_backend_free(b);
            return fail(BPTEE_EDENIED, "registry: backend %s still has deployments: destroy "
                        "them before replacing it", r->backends[i]->name);
        }
        bptee_backend_free(r->backends[i]);
        r->backends[i] = b;
        return 0;
    }
    if (r->n == REGISTRY_MAX) {
        bptee_backend_free(b);
        return fail(BPTEE_ELIMIT, "registry: more than %d backends", REGISTRY_MAX);
    }
    r->backends[r->n++] = b;
    return 0;
}

int bptee_registry_get(const struct bptee_registry *r, const char *name,
                       struct bptee_backend **out)
{
    if (!r || !name || !out)
        return fail(BPTEE_EINVAL, "registry: missing argument");
    for (size_t i = 0; i < r->n; i++) {
        if (!strcmp(r->backends[i]->name, name)) {
            *out = r->backends[i];
            return 0;
        }
    }
    return fail(BPTEE_ENOTFOUND, "no backend registered for '%.64s'", name);
}

size_t bptee_registry_count(const struct bptee_registry *r)
{
    return r ? r->n : 0;
}

struct bptee_backend *bptee_registry_at(const struct bptee_registry *r, size_t i)
{
    return r && i < r->n ? r->backends[i] : NULL;
}

/* "amd_sev_snp", or "amd_sev_snp on the simulator". */
static void provider_text(int provider, bool simulated, char *out, size_t cap)
{
    const char *name = bptee_provider_name(provider);
    snprintf(out, cap, "%s%s", name ? name : "an unknown provider",
             simulated ? " on the simulator" : "");
}

int bptee_registry_find(const struct bptee_registry *r, int mode, int provider, bool simulated,
                        struct bptee_backend **out)
{
    if (!r || !out)
        return fail(BPTEE_EINVAL, "registry: missing argument");
    for (size_t i = 0; i < r->n; i++) {
        const struct bptee_backend *b = r->backends[i];
        if (b->mode == mode && b->provider == provider && b->simulated == simulated) {
            *out = r->backends[i];
            return 0;
        }
    }
    char what[80];
    provider_text(provider, simulated, what, sizeof what);
    const char *m = bptee_tee_mode_name(mode);
    return fail(BPTEE_EUNSUPPORTED, "unsupported tee provider: no backend registered for %s%s%s",
                what, mode == BPTEE_TEE_MODE_DIRECT ? "" : " in mode ",
                mode == BPTEE_TEE_MODE_DIRECT ? "" : (m ? m : "?"));
}

/* ---- TEE_BACKEND */

#define VALID_BACKENDS                                                                        \
    "direct, direct-tdx, direct-sev-snp, direct-azure-snp, direct-sim, direct-sim-tdx, "      \
    "aws-nitro, gcp-confidential, azure-snp"

static const struct {
    const char *value;
    int provider;
    bool simulated;
} direct_values[] = {
    {"direct-sev-snp", BPTEE_PROVIDER_AMD_SEV_SNP, false},
    {"direct-tdx", BPTEE_PROVIDER_INTEL_TDX, false},
    {"direct-azure-snp", BPTEE_PROVIDER_AZURE_SNP, false},
    {"direct-sim", BPTEE_PROVIDER_AMD_SEV_SNP, true},
    {"direct-sim-tdx", BPTEE_PROVIDER_INTEL_TDX, true},
};

static int register_value(struct bptee_registry *r, const char *v,
                          const struct bptee_detect_opts *detect,
                          const struct bptee_guest_opts *guest)
{
    static const char *const clouds[] = {"aws-nitro", "gcp-confidential", "azure-snp"};
    int provider = -1;
    bool simulated = false, known = false;
    if (!strcmp(v, "direct")) {
        char why[160];
        int found = bptee_detect_provider(detect, &provider, why, sizeof why);
        if (found < 0)
            return found;
        if (!found)
            return fail(BPTEE_EUNSUPPORTED, "unsupported tee provider: TEE_BACKEND value "
                        "'direct': no TEE hardware detected (direct-sim runs on the "
                        "simulator)");
        known = true;
    }
    for (size_t i = 0; !known && i < sizeof direct_values / sizeof direct_values[0]; i++) {
        if (!strcmp(v, direct_values[i].value)) {
            provider = direct_values[i].provider;
            simulated = direct_values[i].simulated;
            known = true;
        }
    }
    for (size_t i = 0; !known && i < sizeof clouds / sizeof clouds[0]; i++)
        if (!strcmp(v, clouds[i]))
            return fail(BPTEE_EUNSUPPORTED, "unsupported tee provider: %s backend requested "
                        "but bptee builds no cloud backends (run bptee inside the "
                        "confidential VM, with a direct backend)", v);
    if (!known)
        return fail(BPTEE_EINVAL, "tee config error: unknown TEE_BACKEND value: '%.64s'; valid "
                    "options: " VALID_BACKENDS, v);
    struct bptee_backend *b = NULL;
    int rc = bptee_direct_backend_for(provider, simulated, guest, &b);
    return rc < 0 ? rc : bptee_registry_register(r, b);
}

static int parse_backends(struct bptee_registry *r, const char *value,
                          const struct bptee_detect_opts *detect,
                          const struct bptee_guest_opts *guest)
{
    for (const char *p = value;;) {
        const char *comma = strchr(p, ',');
        size_t n = comma ? (size_t)(comma - p) : strlen(p);
        while (n && isspace((unsigned char)*p)) /* Rust's trim: all ASCII white space */
            p++, n--;
        while (n && isspace((unsigned char)p[n - 1]))
            n--;
        char v[64];
        snprintf(v, sizeof v, "%.*s", (int)(n < sizeof v - 1 ? n : sizeof v - 1), p);
        for (char *q = v; *q; q++) /* shown in a one-line error */
            if (!isprint((unsigned char)*q))
                *q = '?';
        if (n >= sizeof v)
            return fail(BPTEE_EINVAL, "tee config error: unknown TEE_BACKEND value: '%s...'; "
                        "valid options: " VALID_BACKENDS, v);
        int rc = register_value(r, v, detect, guest);
        if (rc < 0)
            return rc;
        if (!comma)
            return 0;
        p = comma + 1;
    }
}

int bptee_registry_from_env(const char *value, const struct bptee_detect_opts *detect,
                            const struct bptee_guest_opts *guest, struct bptee_registry **out)
{
    if (!out)
        return fail(BPTEE_EINVAL, "registry: missing output");
    *out = NULL;
    if (!value)
        value = secure_getenv("TEE_BACKEND");
    struct bptee_registry *r = NULL;
    int rc = bptee_registry_new(&r);
    if (rc == 0 && value)
        rc = parse_backends(r, value, detect, guest);
    if (rc < 0) {
        bptee_registry_free(r);
        return rc;
    }
    *out = r;
    return 0;
}

/* ---- selection */

/* The local TEE cfg's jobs run on: its evidence provider, else what detection finds. */
static int local_tee(const struct bptee_config *cfg, const struct bptee_detect_opts *detect,
                     int *provider, bool *simulated, char *why, size_t cap)
{
    *simulated = false;
    switch (bptee_config_evidence_provider(cfg)) {
    case BPTEE_EVIDENCE_PROVIDER_SEV_SNP:
        *provider = BPTEE_PROVIDER_AMD_SEV_SNP;
        break;
    case BPTEE_EVIDENCE_PROVIDER_TDX:
        *provider = BPTEE_PROVIDER_INTEL_TDX;
        break;
    case BPTEE_EVIDENCE_PROVIDER_AZURE_SNP:
        *provider = BPTEE_PROVIDER_AZURE_SNP;
        break;
    case BPTEE_EVIDENCE_PROVIDER_SIM:
    case BPTEE_EVIDENCE_PROVIDER_SIM_TDX:
        *simulated = true;
        *provider = bptee_config_evidence_provider(cfg) == BPTEE_EVIDENCE_PROVIDER_SIM_TDX
                        ? BPTEE_PROVIDER_INTEL_TDX
                        : BPTEE_PROVIDER_AMD_SEV_SNP;
        break;
    default: {
        char found_why[160];
        int found = bptee_detect_provider(detect, provider, found_why, sizeof found_why);
        if (found < 0)
            return found;
        if (!found)
            return fail(BPTEE_EUNSUPPORTED, "unsupported tee provider: no TEE hardware "
                        "detected (the config's evidence_provider is auto)");
        snprintf(why, cap, "detected %s (%s)", bptee_provider_name(*provider), found_why);
        return 0;
    }
    }
    snprintf(why, cap, "the config's evidence_provider is %s",
             bptee_evidence_provider_name(bptee_config_evidence_provider(cfg)));
    return 0;
}

int bptee_registry_select(const struct bptee_registry *r, const struct bptee_config *cfg,
                          const struct bptee_detect_opts *detect, struct bptee_backend **out,
                          char *why, size_t why_cap)
{
    if (!r || !cfg || !out)
        return fail(BPTEE_EINVAL, "registry: missing argument");
    int mode = bptee_config_mode(cfg);
    if (mode == BPTEE_TEE_MODE_DISABLED)
        return fail(BPTEE_EINVAL, "mode disabled: no job runs in a TEE");
    if (mode == BPTEE_TEE_MODE_REMOTE)
        return fail(BPTEE_EUNSUPPORTED, "mode remote: no remote backend configured");
    int provider = -1;
    bool simulated = false;
    char how[240], what[80];
    int rc = local_tee(cfg, detect, &provider, &simulated, how, sizeof how);
    if (rc < 0)
        return rc;
    provider_text(provider, simulated, what, sizeof what);
    struct bptee_provider_selector sel;
    bptee_config_provider_selector(cfg, &sel);
    /* The simulator is a provider of its own no allow list names (as the agent's promises). */
    if (!sel.any && (simulated || !bptee_provider_selector_accepts(&sel, provider)))
        return fail(BPTEE_EDENIED, "the config's provider_selector does not allow %s, where "
                    "this job would run (%s)", what, how);
    /* Every local backend serves mode direct; hybrid and auto route TEE jobs to it. */
    if ((rc = bptee_registry_find(r, BPTEE_TEE_MODE_DIRECT, provider, simulated, out)) < 0)
        return rc;
    if (why && why_cap)
        snprintf(why, why_cap, "%s: %s; backend %s", what, how, (*out)->name);
    return 0;
}
