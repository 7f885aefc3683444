// SPDX-License-Identifier: Apache-2.0
/* Getters and setters of the config object. Setters check ranges only; the rules between
 * fields are bptee_config_validate's, as blueprint-tee leaves its fields public. */
#include <stdlib.h>
#include <string.h>

#include "config/config_private.h"
#include "util/error.h"

#define GETTER(type, name, field)                                                                  \
    type bptee_config_##name(const struct bptee_config *cfg)                                       \
    {                                                                                              \
        return cfg->field;                                                                         \
    }

GETTER(enum bptee_tee_requirement, requirement, requirement)
GETTER(enum bptee_tee_mode, mode, mode)
GETTER(uint64_t, max_attestation_age_secs, max_attestation_age_secs)
GETTER(enum bptee_secret_injection, secret_injection, secret_injection)
GETTER(enum bptee_attestation_freshness, attestation_freshness, freshness)
GETTER(enum bptee_public_key_policy, public_key_policy, public_key_policy)
GETTER(const char *, hybrid_policy_file, policy_file)
GETTER(enum bptee_evidence_provider, evidence_provider, evidence_provider)
GETTER(const char *, tsm_report_path, tsm_report_path)
GETTER(const char *, sev_guest_path, sev_guest_path)
GETTER(const char *, tdx_guest_path, tdx_guest_path)
GETTER(const char *, sim_state_dir, sim_state_dir)
GETTER(const char *, owners_json, owners_json)

void bptee_config_provider_selector(const struct bptee_config *cfg,
                                    struct bptee_provider_selector *out)
{
    *out = cfg->selector;
}

void bptee_config_key_exchange(const struct bptee_config *cfg,
                               struct bptee_key_exchange_config *out)
{
    *out = cfg->key_exchange;
}

#define ENUM_SETTER(name, field, table)                                                            \
    int bptee_config_set_##name(struct bptee_config *cfg, int value)                               \
    {                                                                                              \
        if (!cfg)                                                                                  \
            return fail(BPTEE_EINVAL, "config: missing argument");                                 \
        if (!enum_name(&table, value))                                                             \
            return fail(BPTEE_EINVAL, "config: %s %d is out of range", table.what, value);         \
        cfg->field = value;                                                                        \
        return 0;                                                                                  \
    }

ENUM_SETTER(requirement, requirement, requirement_table)
ENUM_SETTER(mode, mode, mode_table)
ENUM_SETTER(secret_injection, secret_injection, injection_table)
ENUM_SETTER(attestation_freshness, freshness, freshness_table)
ENUM_SETTER(public_key_policy, public_key_policy, key_policy_table)
ENUM_SETTER(evidence_provider, evidence_provider, evidence_table)

int bptee_config_set_provider_selector(struct bptee_config *cfg,
                                       const struct bptee_provider_selector *sel)
{
    if (!cfg || !sel)
        return fail(BPTEE_EINVAL, "config: missing argument");
    if (sel->allow & ~PROVIDER_MASK_ALL)
        return fail(BPTEE_EINVAL, "config: provider selector allow bits 0x%x name no provider",
                    (unsigned)(sel->allow & ~PROVIDER_MASK_ALL));
    cfg->selector = *sel;
    cfg->selector_order.n = 0; /* a bit set has no order of its own */
    if (sel->any)
        cfg->selector.allow = 0; /* "any" carries no list; keep equal configs equal */
    return 0;
}

static int check_int(uint64_t v, const char *what)
{
    if (v > BPTEE_CONFIG_INT_MAX)
        return fail(BPTEE_EINVAL, "config: %s %llu exceeds the maximum %llu", what,
                    (unsigned long long)v, BPTEE_CONFIG_INT_MAX);
    return 0;
}

int bptee_config_set_key_exchange(struct bptee_config *cfg,
                                  const struct bptee_key_exchange_config *kx)
{
    if (!cfg || !kx)
        return fail(BPTEE_EINVAL, "config: missing argument");
    int r = check_int(kx->session_ttl_secs, "key_exchange.session_ttl_secs");
    if (r == 0)
        r = check_int(kx->max_sessions, "key_exchange.max_sessions");
    if (r == 0)
        cfg->key_exchange = *kx;
    return r;
}

int bptee_config_set_max_attestation_age_secs(struct bptee_config *cfg, uint64_t secs)
{
    if (!cfg)
        return fail(BPTEE_EINVAL, "config: missing argument");
    int r = check_int(secs, "max_attestation_age_secs");
    if (r == 0)
        cfg->max_attestation_age_secs = secs;
    return r;
}

#define PATH_SETTER(name, field, dflt, what, allow_empty)                                          \
    int bptee_config_set_##name(struct bptee_config *cfg, const char *path)                        \
    {                                                                                              \
        if (!cfg)                                                                                  \
            return fail(BPTEE_EINVAL, "config: missing argument");                                 \
        return config_set_path(&cfg->field, path, dflt, what, allow_empty);                        \
    }

/* blueprint-tee accepts any PathBuf, the empty one included; bptee's own paths must name
 * something. */
PATH_SETTER(hybrid_policy_file, policy_file, BPTEE_CONFIG_DEFAULT_POLICY_FILE, "policy_file", 1)
PATH_SETTER(tsm_report_path, tsm_report_path, BPTEE_CONFIG_DEFAULT_TSM_REPORT_PATH,
            "bptee.tsm_report_path", 0)
PATH_SETTER(sev_guest_path, sev_guest_path, BPTEE_CONFIG_DEFAULT_SEV_GUEST_PATH,
            "bptee.sev_guest_path", 0)
PATH_SETTER(tdx_guest_path, tdx_guest_path, BPTEE_CONFIG_DEFAULT_TDX_GUEST_PATH,
            "bptee.tdx_guest_path", 0)
PATH_SETTER(sim_state_dir, sim_state_dir, NULL, "bptee.sim_state_dir", 0)

int bptee_config_set_owners_json(struct bptee_config *cfg, const char *json)
{
    json_t *v = NULL;
    if (!cfg)
        return fail(BPTEE_EINVAL, "config: missing argument");
    if (!json) {
        free(cfg->owners_json);
        cfg->owners_json = NULL;
        return 0;
    }
    json_error_t e;
    v = json_loads(json, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &e);
    if (!v)
        return fail(BPTEE_EPARSE, "config: \"bptee.owners\": line %d column %d: %s", e.line,
                    e.column, e.text);
    int r = config_set_owners(&cfg->owners_json, v, "config: \"bptee.owners\"");
    json_decref(v);
    return r;
}
