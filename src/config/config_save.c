// SPDX-License-Identifier: Apache-2.0
/* Saving a config: every key, in blueprint-tee's serialization order, then "bptee". A config
 * that would not load again is refused rather than written. */
#include <stdlib.h>
#include <string.h>

#include <bptee/io.h>

#include "config/config_private.h"
#include "util/error.h"
#include "util/json.h"

static json_t *key_exchange_to_json(const struct bptee_key_exchange_config *kx)
{
    return json_pack("{s:I, s:I, s:b}", "session_ttl_secs", (json_int_t)kx->session_ttl_secs,
                     "max_sessions", (json_int_t)kx->max_sessions, "on_chain_verification",
                     kx->on_chain_verification);
}

static json_t *bptee_to_json(const struct bptee_config *cfg)
{
    json_t *sim = cfg->sim_state_dir ? json_string(cfg->sim_state_dir) : json_null();
    json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:o}", "evidence_provider",
                          enum_name(&evidence_table, cfg->evidence_provider), "tsm_report_path",
                          cfg->tsm_report_path, "sev_guest_path", cfg->sev_guest_path,
                          "tdx_guest_path", cfg->tdx_guest_path, "sim_state_dir", sim);
    /* Owners only when configured: a config without them saves as it did before. */
    if (o && cfg->owners_json &&
        json_object_set_new(o, "owners", json_loads(cfg->owners_json, JSON_DECODE_ANY, NULL))) {
        json_decref(o);
        return NULL;
    }
    return o;
}

/* json_pack with "o" takes ownership of the nested values even when it fails. */
static json_t *config_to_json(const struct bptee_config *cfg)
{
    return json_pack("{s:s, s:s, s:o, s:o, s:I, s:s, s:s, s:s, s:{s:s}, s:o}", "requirement",
                     enum_name(&requirement_table, cfg->requirement), "mode",
                     enum_name(&mode_table, cfg->mode), "provider_selector",
                     selector_to_json(&cfg->selector, &cfg->selector_order), "key_exchange",
                     key_exchange_to_json(&cfg->key_exchange), "max_attestation_age_secs",
                     (json_int_t)cfg->max_attestation_age_secs, "secret_injection",
                     enum_name(&injection_table, cfg->secret_injection), "attestation_freshness",
                     enum_name(&freshness_table, cfg->freshness), "public_key_policy",
                     enum_name(&key_policy_table, cfg->public_key_policy), "hybrid_routing_source",
                     "policy_file", cfg->policy_file, "bptee", bptee_to_json(cfg));
}

int bptee_config_save(const struct bptee_config *cfg, unsigned flags, char **out)
{
    if (!cfg || !out)
        return fail(BPTEE_EINVAL, "config: missing argument");
    if (flags & ~BPTEE_CONFIG_SAVE_PRETTY)
        return fail(BPTEE_EINVAL, "config: unknown save flags 0x%x", flags);
    int r = config_check_rules(cfg);
    if (r < 0)
        return r;
    json_t *j = config_to_json(cfg);
    char *s = j ? json_to_string(j, (flags & BPTEE_CONFIG_SAVE_PRETTY) != 0) : NULL;
    json_decref(j);
    if (!s)
        return fail(BPTEE_ENOMEM, "config: cannot serialize (out of memory)");
    *out = s;
    return 0;
}

int bptee_config_save_file(const struct bptee_config *cfg, const char *path, unsigned flags)
{
    char *s = NULL;
    if (!path)
        return fail(BPTEE_EINVAL, "config: missing argument");
    int r = bptee_config_save(cfg, flags, &s);
    if (r < 0)
        return r;
    size_t n = strlen(s);
    char *line = realloc(s, n + 2);
    if (!line) {
        free(s);
        return fail(BPTEE_ENOMEM, "config: out of memory");
    }
    memcpy(line + n, "\n", 2);
    r = bptee_write_file(path, line, n + 1, 0644);
    free(line);
    return r;
}
