// SPDX-License-Identifier: Apache-2.0
/* The config object: defaults, copies, getters, setters and blueprint-tee's two rules. */
#include <stdlib.h>
#include <string.h>

#include "config/config_private.h"
#include "util/error.h"

static const char rule1_msg[] = "TEE requirement is Required but mode is Disabled";
static const char rule2_msg[] = "TEE-enabled configs must use SealedOnly secret injection";

int config_set_path(char **slot, const char *path, const char *dflt, const char *what,
                    int allow_empty)
{
    const char *src = path ? path : dflt;
    if (src && !*src && !allow_empty)
        return fail(BPTEE_EINVAL, "config: %s must not be empty", what);
    char *copy = NULL;
    if (src && !(copy = strdup(src)))
        return fail(BPTEE_ENOMEM, "config: out of memory");
    free(*slot);
    *slot = copy;
    return 0;
}

int config_init_defaults(struct bptee_config *cfg)
{
    *cfg = (struct bptee_config){
        .requirement = BPTEE_TEE_REQUIREMENT_PREFERRED,
        .mode = BPTEE_TEE_MODE_AUTO,
        .max_attestation_age_secs = BPTEE_CONFIG_DEFAULT_MAX_ATTESTATION_AGE_SECS,
        .secret_injection = BPTEE_SECRET_INJECTION_ENV_OR_SEALED,
        .freshness = BPTEE_ATTESTATION_FRESHNESS_PROVISION_TIME_ONLY,
        .public_key_policy = BPTEE_PUBLIC_KEY_POLICY_REQUIRED,
        .evidence_provider = BPTEE_EVIDENCE_PROVIDER_AUTO,
    };
    bptee_provider_selector_any(&cfg->selector);
    bptee_key_exchange_config_default(&cfg->key_exchange);
    cfg->policy_file = strdup(BPTEE_CONFIG_DEFAULT_POLICY_FILE);
    cfg->tsm_report_path = strdup(BPTEE_CONFIG_DEFAULT_TSM_REPORT_PATH);
    cfg->sev_guest_path = strdup(BPTEE_CONFIG_DEFAULT_SEV_GUEST_PATH);
    cfg->tdx_guest_path = strdup(BPTEE_CONFIG_DEFAULT_TDX_GUEST_PATH);
    if (!cfg->policy_file || !cfg->tsm_report_path || !cfg->sev_guest_path ||
        !cfg->tdx_guest_path) {
        config_release(cfg);
        return fail(BPTEE_ENOMEM, "config: out of memory");
    }
    return 0;
}

void config_release(struct bptee_config *cfg)
{
    free(cfg->policy_file);
    free(cfg->tsm_report_path);
    free(cfg->sev_guest_path);
    free(cfg->tdx_guest_path);
    free(cfg->sim_state_dir);
    free(cfg->owners_json);
    cfg->owners_json = NULL;
    cfg->policy_file = cfg->tsm_report_path = cfg->sev_guest_path = cfg->tdx_guest_path = NULL;
    cfg->sim_state_dir = NULL;
}

int config_copy(struct bptee_config *dst, const struct bptee_config *src)
{
    *dst = *src;
    dst->policy_file = strdup(src->policy_file);
    dst->tsm_report_path = strdup(src->tsm_report_path);
    dst->sev_guest_path = strdup(src->sev_guest_path);
    dst->tdx_guest_path = strdup(src->tdx_guest_path);
    dst->sim_state_dir = src->sim_state_dir ? strdup(src->sim_state_dir) : NULL;
    dst->owners_json = src->owners_json ? strdup(src->owners_json) : NULL;
    if (!dst->policy_file || !dst->tsm_report_path || !dst->sev_guest_path ||
        !dst->tdx_guest_path || (src->sim_state_dir && !dst->sim_state_dir) ||
        (src->owners_json && !dst->owners_json)) {
        config_release(dst);
        return fail(BPTEE_ENOMEM, "config: out of memory");
    }
    return 0;
}

int bptee_config_new(struct bptee_config **out)
{
    if (!out)
        return fail(BPTEE_EINVAL, "config: missing argument");
    struct bptee_config *cfg = malloc(sizeof *cfg);
    if (!cfg)
        return fail(BPTEE_ENOMEM, "config: out of memory");
    int r = config_init_defaults(cfg);
    if (r < 0) {
        free(cfg);
        return r;
    }
    *out = cfg;
    return 0;
}

void bptee_config_free(struct bptee_config *cfg)
{
    if (!cfg)
        return;
    config_release(cfg);
    free(cfg);
}

int bptee_config_dup(const struct bptee_config *cfg, struct bptee_config **out)
{
    if (!cfg || !out)
        return fail(BPTEE_EINVAL, "config: missing argument");
    struct bptee_config *copy = malloc(sizeof *copy);
    if (!copy)
        return fail(BPTEE_ENOMEM, "config: out of memory");
    int r = config_copy(copy, cfg);
    if (r < 0) {
        free(copy);
        return r;
    }
    *out = copy;
    return 0;
}

enum bptee_secret_injection config_derived_injection(enum bptee_tee_mode mode)
{
    return mode == BPTEE_TEE_MODE_AUTO || mode == BPTEE_TEE_MODE_DISABLED
               ? BPTEE_SECRET_INJECTION_ENV_OR_SEALED
               : BPTEE_SECRET_INJECTION_SEALED_ONLY;
}

int config_check_rule1(const struct bptee_config *cfg)
{
    if (cfg->requirement == BPTEE_TEE_REQUIREMENT_REQUIRED && cfg->mode == BPTEE_TEE_MODE_DISABLED)
        return fail(BPTEE_EINVAL, "tee config error: %s", rule1_msg);
    return 0;
}

int config_check_rules(const struct bptee_config *cfg)
{
    int r = config_check_rule1(cfg);
    if (r < 0)
        return r;
    /* Auto stays exempt, as in blueprint-tee: its default config is auto + env_or_sealed. */
    if (cfg->mode != BPTEE_TEE_MODE_DISABLED && cfg->mode != BPTEE_TEE_MODE_AUTO &&
        cfg->secret_injection != BPTEE_SECRET_INJECTION_SEALED_ONLY)
        return fail(BPTEE_EINVAL, "tee config error: %s", rule2_msg);
    return 0;
}

int bptee_config_validate(const struct bptee_config *cfg)
{
    if (!cfg)
        return fail(BPTEE_EINVAL, "config: missing argument");
    return config_check_rules(cfg);
}

int bptee_config_is_enabled(const struct bptee_config *cfg)
{
    return cfg->mode != BPTEE_TEE_MODE_DISABLED;
}

enum bptee_lifecycle_policy bptee_config_lifecycle_policy(const struct bptee_config *cfg)
{
    return bptee_config_is_enabled(cfg) ? BPTEE_LIFECYCLE_CLOUD_MANAGED : BPTEE_LIFECYCLE_CONTAINER;
}
