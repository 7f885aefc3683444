// SPDX-License-Identifier: Apache-2.0
/* Loading blueprint-tee's TeeConfig JSON: the keys and spellings serde reads, unknown keys
 * ignored, then the two rules. Our own settings live in the optional "bptee" object, read
 * strictly because a mistyped device path must not pass silently. */
#include <stdlib.h>
#include <string.h>

#include <bptee/io.h>
#include <bptee/owners.h>

#include "config/config_private.h"
#include "util/error.h"
#include "util/json.h"

static const char W[] = "config";

static const char *const int_paths[] = {
    "key_exchange.session_ttl_secs",
    "key_exchange.max_sessions",
    "max_attestation_age_secs",
    NULL,
};

/* An enum at key: 0 read, 1 absent (optional), <0 error. */
static int get_enum(json_t *obj, const char *key, const struct enum_table *t, bool required,
                    int *out)
{
    json_t *v = json_object_get(obj, key);
    if (!v)
        return required ? jmissing(W, key) : 1;
    return jread_enum(v, W, key, t, out);
}

static int read_key_exchange(json_t *v, struct bptee_key_exchange_config *kx)
{
    json_t *f;
    int r = jread_object(v, W, "key_exchange");
    bptee_key_exchange_config_default(kx); /* serde: every field has its own default */
    if (r == 0 && (f = json_object_get(v, "session_ttl_secs")))
        r = jread_u64(f, W, "key_exchange.session_ttl_secs", &kx->session_ttl_secs);
    if (r == 0 && (f = json_object_get(v, "max_sessions")))
        r = jread_u64(f, W, "key_exchange.max_sessions", &kx->max_sessions);
    if (r == 0 && (f = json_object_get(v, "on_chain_verification")))
        r = jread_bool(f, W, "key_exchange.on_chain_verification", &kx->on_chain_verification);
    return r;
}

/* HybridRoutingSource has one variant, PolicyFile(PathBuf): {"policy_file": "<path>"}. */
static int read_routing(json_t *v, struct bptee_config *cfg)
{
    static const char path[] = "hybrid_routing_source";
    const char *file = NULL;
    json_t *f = json_object_get(v, "policy_file");
    if (!json_is_object(v) || json_object_size(v) != 1 || !f)
        return fail(BPTEE_EPARSE, "%s: \"%s\": expected {\"policy_file\": \"<path>\"}, got %s%s", W,
                    path, json_is_object(v) ? "an object with other keys" : "",
                    json_is_object(v) ? "" : jtype_name(v));
    int r = jread_string(f, W, "hybrid_routing_source.policy_file", &file);
    return r < 0 ? r : config_set_path(&cfg->policy_file, file, NULL, path, 1);
}

static int read_bptee_path(json_t *v, const char *key, char **slot)
{
    char path[64];
    const char *s = NULL;
    snprintf(path, sizeof path, "bptee.%s", key);
    if (!strcmp(key, "sim_state_dir") && json_is_null(v))
        return config_set_path(slot, NULL, NULL, path, 0);
    if (!strcmp(key, "sim_state_dir") && !json_is_string(v))
        return fail(BPTEE_EPARSE, "%s: \"%s\": expected a string or null, got %s", W, path,
                    jtype_name(v));
    int r = jread_string(v, W, path, &s);
    if (r == 0 && !*s)
        return fail(BPTEE_EPARSE, "%s: \"%s\": must not be empty", W, path);
    return r < 0 ? r : config_set_path(slot, s, NULL, path, 0);
}

static int read_bptee(json_t *obj, struct bptee_config *cfg)
{
    const char *key;
    json_t *v;
    int r = jread_object(obj, W, "bptee");
    json_object_foreach(obj, key, v)
    {
        int e;
        if (r < 0)
            break;
        if (!strcmp(key, "evidence_provider")) {
            if ((r = jread_enum(v, W, "bptee.evidence_provider", &evidence_table, &e)) == 0)
                cfg->evidence_provider = e;
        } else if (!strcmp(key, "tsm_report_path"))
            r = read_bptee_path(v, key, &cfg->tsm_report_path);
        else if (!strcmp(key, "sev_guest_path"))
            r = read_bptee_path(v, key, &cfg->sev_guest_path);
        else if (!strcmp(key, "tdx_guest_path"))
            r = read_bptee_path(v, key, &cfg->tdx_guest_path);
        else if (!strcmp(key, "sim_state_dir"))
            r = read_bptee_path(v, key, &cfg->sim_state_dir);
        else if (!strcmp(key, "owners"))
            r = config_set_owners(&cfg->owners_json, v, "config: \"bptee.owners\"");
        else {
            char shown[64];
            quote_value(key, shown, sizeof shown);
            r = fail(BPTEE_EPARSE,
                     "%s: \"bptee.%s\": unknown key (expected evidence_provider, "
                     "tsm_report_path, sev_guest_path, tdx_guest_path, sim_state_dir or owners)",
                     W, shown);
        }
    }
    return r;
}

/* The blueprint-tee fields, in its declaration order. */
static int read_tee_fields(json_t *root, struct bptee_config *cfg)
{
    int req, mode, e, r;
    json_t *v;
    if ((r = get_enum(root, "requirement", &requirement_table, true, &req)) < 0 ||
        (r = get_enum(root, "mode", &mode_table, true, &mode)) < 0)
        return r;
    cfg->requirement = req;
    cfg->mode = mode;
    if (!(v = json_object_get(root, "provider_selector")))
        return jmissing(W, "provider_selector");
    if ((r = jread_selector(v, W, "provider_selector", &cfg->selector, &cfg->selector_order)) < 0)
        return r;
    if (!(v = json_object_get(root, "key_exchange")))
        return jmissing(W, "key_exchange");
    if ((r = read_key_exchange(v, &cfg->key_exchange)) < 0)
        return r;
    if ((v = json_object_get(root, "max_attestation_age_secs")) &&
        (r = jread_u64(v, W, "max_attestation_age_secs", &cfg->max_attestation_age_secs)) < 0)
        return r;
    /* Quirk 2, fixed: a missing secret_injection is the mode's, as the builder derives it. */
    cfg->secret_injection = config_derived_injection(cfg->mode);
    if ((r = get_enum(root, "secret_injection", &injection_table, false, &e)) < 0)
        return r;
    if (r == 0)
        cfg->secret_injection = e;
    if ((r = get_enum(root, "attestation_freshness", &freshness_table, false, &e)) < 0)
        return r;
    if (r == 0)
        cfg->freshness = e;
    if ((r = get_enum(root, "public_key_policy", &key_policy_table, false, &e)) < 0)
        return r;
    if (r == 0)
        cfg->public_key_policy = e;
    if ((v = json_object_get(root, "hybrid_routing_source")) && (r = read_routing(v, cfg)) < 0)
        return r;
    return 0;
}

static int read_config(json_t *root, struct bptee_config *cfg)
{
    json_t *v;
    int r;
    if (!json_is_object(root))
        return fail(BPTEE_EPARSE, "%s: expected a JSON object, got an array", W);
    if ((r = read_tee_fields(root, cfg)) < 0)
        return r;
    if ((v = json_object_get(root, "bptee")) && (r = read_bptee(v, cfg)) < 0)
        return r;
    return config_check_rules(cfg);
}

int bptee_config_load(const char *json, size_t len, struct bptee_config **out)
{
    json_t *root = NULL;
    if (!out)
        return fail(BPTEE_EINVAL, "%s: missing argument", W);
    int r = jparse(json, len, W, int_paths, &root);
    if (r < 0)
        return r;
    struct bptee_config *cfg = NULL;
    r = bptee_config_new(&cfg);
    if (r == 0)
        r = read_config(root, cfg);
    json_decref(root);
    if (r < 0) {
        bptee_config_free(cfg);
        return r;
    }
    *out = cfg;
    return 0;
}

int bptee_config_load_file(const char *path, struct bptee_config **out)
{
    uint8_t *data = NULL;
    size_t len = 0;
    if (!path || !out)
        return fail(BPTEE_EINVAL, "%s: missing argument", W);
    int r = bptee_read_file(path, BPTEE_CONFIG_MAX_SIZE, &data, &len);
    if (r < 0)
        return r; /* the reason names the file already */
    r = bptee_config_load((const char *)data, len, out);
    free(data);
    return r < 0 ? fail_prefix(r, "%s", path) : 0;
}

int config_set_owners(char **slot, json_t *value, const char *what)
{
    char *text = json_dumps(value, JSON_COMPACT | JSON_ENCODE_ANY | JSON_PRESERVE_ORDER);
    struct bptee_owners *o = NULL;
    if (!text)
        return fail(BPTEE_ENOMEM, "config: out of memory");
    int r = bptee_owners_from_json(text, strlen(text), &o);
    bptee_owners_free(o);
    if (r < 0) {
        free(text);
        return fail_prefix(BPTEE_EPARSE, "%s", what);
    }
    free(*slot);
    *slot = text;
    return 0;
}
