/* SPDX-License-Identifier: Apache-2.0 */
/* The TEE configuration: blueprint-tee's TeeConfig (mode, requirement, provider selector,
 * key exchange, secret injection, ...) with the same defaults, validation and JSON, plus the
 * bptee-only settings (where evidence comes from) in an optional "bptee" object that
 * blueprint-tee ignores. docs/config.md is the schema. */
#ifndef BPTEE_CONFIG_H
#define BPTEE_CONFIG_H

#include <stdbool.h>

#include <bptee/common.h>
#include <bptee/provider.h>

/* How the TEE is used. Every mode but DISABLED counts as enabled (AUTO included). */
enum bptee_tee_mode {
    BPTEE_TEE_MODE_AUTO = 0, /* default */
    BPTEE_TEE_MODE_DISABLED = 1,
    BPTEE_TEE_MODE_DIRECT = 2,
    BPTEE_TEE_MODE_REMOTE = 3,
    BPTEE_TEE_MODE_HYBRID = 4,
};

enum bptee_tee_requirement {
    BPTEE_TEE_REQUIREMENT_PREFERRED = 0, /* default */
    BPTEE_TEE_REQUIREMENT_REQUIRED = 1,
};

enum bptee_secret_injection {
    BPTEE_SECRET_INJECTION_ENV_OR_SEALED = 0, /* default (and derived for auto, disabled) */
    BPTEE_SECRET_INJECTION_SEALED_ONLY = 1,   /* derived for direct, remote, hybrid */
};

enum bptee_attestation_freshness {
    BPTEE_ATTESTATION_FRESHNESS_PROVISION_TIME_ONLY = 0, /* the only value */
};

enum bptee_public_key_policy {
    BPTEE_PUBLIC_KEY_POLICY_REQUIRED = 0, /* default */
    BPTEE_PUBLIC_KEY_POLICY_OPTIONAL = 1,
};

enum bptee_lifecycle_policy {
    BPTEE_LIFECYCLE_CONTAINER = 0,
    BPTEE_LIFECYCLE_CLOUD_MANAGED = 1,
};

/* Where bptee obtains evidence (the "bptee" object; not part of blueprint-tee). */
enum bptee_evidence_provider {
    BPTEE_EVIDENCE_PROVIDER_AUTO = 0, /* default: hardware found at run time */
    BPTEE_EVIDENCE_PROVIDER_SEV_SNP = 1,
    BPTEE_EVIDENCE_PROVIDER_TDX = 2,
    BPTEE_EVIDENCE_PROVIDER_SIM = 3,
    /* "sim-tdx": the simulator playing TDX (bptee_guest_opts_from_config maps it to provider
     * SIM with sim_tee TDX). */
    BPTEE_EVIDENCE_PROVIDER_SIM_TDX = 4,
    /* "azure-snp": an Azure confidential VM's vTPM (HCL report + TPM2 quote; docs/azure.md). */
    BPTEE_EVIDENCE_PROVIDER_AZURE_SNP = 5,
};

/* Integers in the config are unsigned and at most this (jansson's range); larger values are
 * rejected with an error naming the field. */
#define BPTEE_CONFIG_INT_MAX 9223372036854775807ull
/* Config documents larger than this are refused unread. */
#define BPTEE_CONFIG_MAX_SIZE (1u << 20)
/* bptee_config_save flags. */
#define BPTEE_CONFIG_SAVE_PRETTY 1u

/* Defaults (blueprint-tee's). */
#define BPTEE_CONFIG_DEFAULT_SESSION_TTL_SECS 300
#define BPTEE_CONFIG_DEFAULT_MAX_SESSIONS 64
#define BPTEE_CONFIG_DEFAULT_MAX_ATTESTATION_AGE_SECS 3600
#define BPTEE_CONFIG_DEFAULT_POLICY_FILE "/etc/tee/routing.json"
#define BPTEE_CONFIG_DEFAULT_TSM_REPORT_PATH "/sys/kernel/config/tsm/report"
#define BPTEE_CONFIG_DEFAULT_SEV_GUEST_PATH "/dev/sev-guest"
#define BPTEE_CONFIG_DEFAULT_TDX_GUEST_PATH "/dev/tdx_guest"

/* TeeProviderSelector: any provider, or those in an allow list. The allow list is a set of
 * (1u << enum bptee_provider) bits; an empty list accepts nothing. */
struct bptee_provider_selector {
    bool any;
    uint32_t allow;
};

/* TeeKeyExchangeConfig. Defaults 300 s, 64 sessions, on-chain verification on. */
struct bptee_key_exchange_config {
    uint64_t session_ttl_secs;
    uint64_t max_sessions;
    bool on_chain_verification;
};

/* TeeRequirements (what a job asks of its TEE). has_min_attestation_age says whether
 * min_attestation_age_secs is set; despite the name it is the MAXIMUM acceptable age. */
struct bptee_tee_requirements {
    enum bptee_tee_requirement requirement;
    struct bptee_provider_selector providers;
    bool has_min_attestation_age;
    uint64_t min_attestation_age_secs;
};

struct bptee_config;
struct bptee_config_builder;

/* Enum spellings, exactly as blueprint-tee serializes them ("direct", "sealed_only", ...).
 * _name returns NULL for a value out of range; _parse fails with BPTEE_EPARSE naming the
 * value and the accepted spellings. */
BPTEE_API const char *bptee_tee_mode_name(int mode);
BPTEE_API int bptee_tee_mode_parse(const char *name, int *mode);
BPTEE_API const char *bptee_tee_requirement_name(int requirement);
BPTEE_API int bptee_tee_requirement_parse(const char *name, int *requirement);
BPTEE_API const char *bptee_secret_injection_name(int policy);
BPTEE_API int bptee_secret_injection_parse(const char *name, int *policy);
BPTEE_API const char *bptee_attestation_freshness_name(int policy);
BPTEE_API int bptee_attestation_freshness_parse(const char *name, int *policy);
BPTEE_API const char *bptee_public_key_policy_name(int policy);
BPTEE_API int bptee_public_key_policy_parse(const char *name, int *policy);
BPTEE_API const char *bptee_lifecycle_policy_name(int policy);
BPTEE_API int bptee_lifecycle_policy_parse(const char *name, int *policy);
BPTEE_API const char *bptee_evidence_provider_name(int provider);
BPTEE_API int bptee_evidence_provider_parse(const char *name, int *provider);

/* Provider selectors. allow_list builds one from n providers (duplicates collapse). */
BPTEE_API void bptee_provider_selector_any(struct bptee_provider_selector *out);
BPTEE_API int bptee_provider_selector_allow_list(const int *providers, size_t n, struct bptee_provider_selector *out);
/* 1 if sel accepts provider, else 0 (also for an unknown provider). */
BPTEE_API int bptee_provider_selector_accepts(const struct bptee_provider_selector *sel, int provider);

BPTEE_API void bptee_key_exchange_config_default(struct bptee_key_exchange_config *out);

/* TeeRequirements: init sets requirement with providers any and no age; JSON as blueprint-tee
 * ("requirement" required, "providers" default "any", "min_attestation_age_secs" omitted
 * when unset). to_json returns a compact string released with bptee_free. */
BPTEE_API int bptee_tee_requirements_init(struct bptee_tee_requirements *out, int requirement);
BPTEE_API int bptee_tee_requirements_is_required(const struct bptee_tee_requirements *r);
BPTEE_API int bptee_tee_requirements_from_json(const char *json, size_t len, struct bptee_tee_requirements *out);
BPTEE_API int bptee_tee_requirements_to_json(const struct bptee_tee_requirements *r, char **out);

/* A config holding the defaults; release with bptee_config_free (NULL is a no-op). */
BPTEE_API int bptee_config_new(struct bptee_config **out);
BPTEE_API void bptee_config_free(struct bptee_config *cfg);
BPTEE_API int bptee_config_dup(const struct bptee_config *cfg, struct bptee_config **out);

/* Getters (cfg must not be NULL; strings stay valid until the field is set or cfg freed). */
BPTEE_API enum bptee_tee_requirement bptee_config_requirement(const struct bptee_config *cfg);
BPTEE_API enum bptee_tee_mode bptee_config_mode(const struct bptee_config *cfg);
BPTEE_API void bptee_config_provider_selector(const struct bptee_config *cfg, struct bptee_provider_selector *out);
BPTEE_API void bptee_config_key_exchange(const struct bptee_config *cfg, struct bptee_key_exchange_config *out);
BPTEE_API uint64_t bptee_config_max_attestation_age_secs(const struct bptee_config *cfg);
BPTEE_API enum bptee_secret_injection bptee_config_secret_injection(const struct bptee_config *cfg);
BPTEE_API enum bptee_attestation_freshness bptee_config_attestation_freshness(const struct bptee_config *cfg);
BPTEE_API enum bptee_public_key_policy bptee_config_public_key_policy(const struct bptee_config *cfg);
BPTEE_API const char *bptee_config_hybrid_policy_file(const struct bptee_config *cfg);
BPTEE_API enum bptee_evidence_provider bptee_config_evidence_provider(const struct bptee_config *cfg);
BPTEE_API const char *bptee_config_tsm_report_path(const struct bptee_config *cfg);
BPTEE_API const char *bptee_config_sev_guest_path(const struct bptee_config *cfg);
BPTEE_API const char *bptee_config_tdx_guest_path(const struct bptee_config *cfg);
/* NULL means the simulator's default state directory. */
BPTEE_API const char *bptee_config_sim_state_dir(const struct bptee_config *cfg);
/* The "bptee.owners" value (docs/agent.md, "Owners"): compact JSON, the string "open" or an
 * owners document (bptee_owners_from_json reads it); NULL when the config names no owners. */
BPTEE_API const char *bptee_config_owners_json(const struct bptee_config *cfg);

/* 1 unless the mode is disabled (auto counts as enabled, as in blueprint-tee). */
BPTEE_API int bptee_config_is_enabled(const struct bptee_config *cfg);
/* cloud_managed when enabled, container otherwise. */
BPTEE_API enum bptee_lifecycle_policy bptee_config_lifecycle_policy(const struct bptee_config *cfg);

/* Setters check ranges (BPTEE_EINVAL) but not the rules between fields: that is
 * bptee_config_validate's job, as with blueprint-tee's public fields. A NULL path restores
 * the default; bptee paths must not be empty. */
BPTEE_API int bptee_config_set_requirement(struct bptee_config *cfg, int requirement);
BPTEE_API int bptee_config_set_mode(struct bptee_config *cfg, int mode);
BPTEE_API int bptee_config_set_provider_selector(struct bptee_config *cfg, const struct bptee_provider_selector *sel);
BPTEE_API int bptee_config_set_key_exchange(struct bptee_config *cfg, const struct bptee_key_exchange_config *kx);
BPTEE_API int bptee_config_set_max_attestation_age_secs(struct bptee_config *cfg, uint64_t secs);
BPTEE_API int bptee_config_set_secret_injection(struct bptee_config *cfg, int policy);
BPTEE_API int bptee_config_set_attestation_freshness(struct bptee_config *cfg, int policy);
BPTEE_API int bptee_config_set_public_key_policy(struct bptee_config *cfg, int policy);
BPTEE_API int bptee_config_set_hybrid_policy_file(struct bptee_config *cfg, const char *path);
BPTEE_API int bptee_config_set_evidence_provider(struct bptee_config *cfg, int provider);
BPTEE_API int bptee_config_set_tsm_report_path(struct bptee_config *cfg, const char *path);
BPTEE_API int bptee_config_set_sev_guest_path(struct bptee_config *cfg, const char *path);
BPTEE_API int bptee_config_set_tdx_guest_path(struct bptee_config *cfg, const char *path);
BPTEE_API int bptee_config_set_sim_state_dir(struct bptee_config *cfg, const char *path);
/* Set "bptee.owners" from JSON text (checked with bptee_owners_from_json: BPTEE_EPARSE naming
 * the field); NULL removes it. */
BPTEE_API int bptee_config_set_owners_json(struct bptee_config *cfg, const char *json);

/* blueprint-tee's two rules, with its messages: BPTEE_EINVAL and "tee config error: TEE
 * requirement is Required but mode is Disabled" or "tee config error: TEE-enabled configs
 * must use SealedOnly secret injection". */
BPTEE_API int bptee_config_validate(const struct bptee_config *cfg);

/* Load blueprint-tee JSON (len bytes, at most BPTEE_CONFIG_MAX_SIZE) and validate it. Errors
 * name the field: config: "mode": unknown value "fast" (expected ...). A missing
 * "secret_injection" is derived from the mode (docs/config.md, quirk 2). */
BPTEE_API int bptee_config_load(const char *json, size_t len, struct bptee_config **out);
/* load_file reads path ("-": stdin); its reasons start with the path. */
BPTEE_API int bptee_config_load_file(const char *path, struct bptee_config **out);
/* All keys in blueprint-tee's order, then "bptee"; refuses a config that does not validate.
 * *out is released with bptee_free. save_file writes atomically, with a final newline. */
BPTEE_API int bptee_config_save(const struct bptee_config *cfg, unsigned flags, char **out);
BPTEE_API int bptee_config_save_file(const struct bptee_config *cfg, const char *path, unsigned flags);

/* TeeConfigBuilder: unset fields take the defaults; build() derives secret_injection from the
 * mode (sealed_only for direct, remote, hybrid) and applies rule 1. There is no setter for
 * secret_injection. A builder can build any number of configs. */
BPTEE_API int bptee_config_builder_new(struct bptee_config_builder **out);
BPTEE_API void bptee_config_builder_free(struct bptee_config_builder *b);
BPTEE_API int bptee_config_builder_requirement(struct bptee_config_builder *b, int requirement);
BPTEE_API int bptee_config_builder_mode(struct bptee_config_builder *b, int mode);
BPTEE_API int bptee_config_builder_provider_selector(struct bptee_config_builder *b, const struct bptee_provider_selector *sel);
BPTEE_API int bptee_config_builder_allow_providers(struct bptee_config_builder *b, const int *providers, size_t n);
BPTEE_API int bptee_config_builder_key_exchange(struct bptee_config_builder *b, const struct bptee_key_exchange_config *kx);
BPTEE_API int bptee_config_builder_max_attestation_age_secs(struct bptee_config_builder *b, uint64_t secs);
BPTEE_API int bptee_config_builder_attestation_freshness(struct bptee_config_builder *b, int policy);
BPTEE_API int bptee_config_builder_public_key_policy(struct bptee_config_builder *b, int policy);
BPTEE_API int bptee_config_builder_hybrid_policy_file(struct bptee_config_builder *b, const char *path);
BPTEE_API int bptee_config_builder_build(const struct bptee_config_builder *b, struct bptee_config **out);

#endif
