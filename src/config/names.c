// SPDX-License-Identifier: Apache-2.0
/* Enum spellings (blueprint-tee's serde names) and the small value types of the config. */
#include <stdio.h>
#include <string.h>

#include "config/config_private.h"
#include "util/error.h"

#define TABLE(var, label, ...)                                                                     \
    static const char *const var##_names[] = {__VA_ARGS__};                                        \
    const struct enum_table var = {label, var##_names,                                             \
                                   (int)(sizeof var##_names / sizeof var##_names[0])}

/* Indexed by the enum values of include/bptee/config.h and provider.h. */
TABLE(mode_table, "tee mode", "auto", "disabled", "direct", "remote", "hybrid");
TABLE(requirement_table, "tee requirement", "preferred", "required");
TABLE(injection_table, "secret injection", "env_or_sealed", "sealed_only");
TABLE(freshness_table, "attestation freshness", "provision_time_only");
TABLE(key_policy_table, "public key policy", "required", "optional");
TABLE(lifecycle_table, "lifecycle policy", "container", "cloud_managed");
TABLE(evidence_table, "evidence provider", "auto", "sev-snp", "tdx", "sim", "sim-tdx",
      "azure-snp");
TABLE(provider_table, "tee provider", "aws_nitro", "azure_snp", "gcp_confidential", "intel_tdx",
      "amd_sev_snp");

_Static_assert(BPTEE_PROVIDER_COUNT == 5, "provider_table lists every provider");

int enum_lookup(const struct enum_table *t, const char *name)
{
    for (int i = 0; i < t->count; i++)
        if (!strcmp(name, t->names[i]))
            return i;
    return -1;
}

const char *enum_name(const struct enum_table *t, int value)
{
    return value >= 0 && value < t->count ? t->names[value] : NULL;
}

void enum_expected(const struct enum_table *t, char *buf, size_t size)
{
    size_t n = 0;
    buf[0] = '\0';
    for (int i = 0; i < t->count && n < size; i++) {
        const char *sep = i == 0 ? "" : i == t->count - 1 ? " or " : ", ";
        int w = snprintf(buf + n, size - n, "%s%s", sep, t->names[i]);
        if (w < 0)
            break;
        n += (size_t)w;
    }
}

void quote_value(const char *s, char *buf, size_t size)
{
    const size_t keep = 48; /* enough to recognise a value, short enough for one line */
    size_t n = 0, i = 0;
    for (; s[i] && n + 4 < size && i < keep; i++)
        buf[n++] = (s[i] >= 0x20 && s[i] < 0x7f && s[i] != '"') ? s[i] : '?';
    if (s[i] && n + 4 < size) {
        memcpy(buf + n, "...", 3);
        n += 3;
    }
    buf[n] = '\0';
}

static int enum_parse(const struct enum_table *t, const char *name, int *out)
{
    char expected[160], shown[64];
    if (!name || !out)
        return fail(BPTEE_EINVAL, "%s: missing argument", t->what);
    int v = enum_lookup(t, name);
    if (v < 0) {
        enum_expected(t, expected, sizeof expected);
        quote_value(name, shown, sizeof shown);
        return fail(BPTEE_EPARSE, "%s: unknown value \"%s\" (expected %s)", t->what, shown,
                    expected);
    }
    *out = v;
    return 0;
}

#define NAME_PARSE(prefix, table)                                                                  \
    const char *prefix##_name(int v)                                                               \
    {                                                                                              \
        return enum_name(&table, v);                                                               \
    }                                                                                              \
    int prefix##_parse(const char *name, int *out)                                                 \
    {                                                                                              \
        return enum_parse(&table, name, out);                                                      \
    }

NAME_PARSE(bptee_tee_mode, mode_table)
NAME_PARSE(bptee_tee_requirement, requirement_table)
NAME_PARSE(bptee_secret_injection, injection_table)
NAME_PARSE(bptee_attestation_freshness, freshness_table)
NAME_PARSE(bptee_public_key_policy, key_policy_table)
NAME_PARSE(bptee_lifecycle_policy, lifecycle_table)
NAME_PARSE(bptee_evidence_provider, evidence_table)

void bptee_provider_selector_any(struct bptee_provider_selector *out)
{
    if (out)
        *out = (struct bptee_provider_selector){.any = true, .allow = 0};
}

int bptee_provider_selector_allow_list(const int *providers, size_t n,
                                       struct bptee_provider_selector *out)
{
    uint32_t mask = 0;
    if (!out || (n && !providers))
        return fail(BPTEE_EINVAL, "provider selector: missing argument");
    for (size_t i = 0; i < n; i++) {
        if (providers[i] < 0 || providers[i] >= BPTEE_PROVIDER_COUNT)
            return fail(BPTEE_EINVAL, "provider selector: provider %d at index %zu is unknown",
                        providers[i], i);
        mask |= 1u << providers[i];
    }
    *out = (struct bptee_provider_selector){.any = false, .allow = mask};
    return 0;
}

int bptee_provider_selector_accepts(const struct bptee_provider_selector *sel, int provider)
{
    if (!sel || provider < 0 || provider >= BPTEE_PROVIDER_COUNT)
        return 0;
    return sel->any || (sel->allow & (1u << provider)) != 0;
}

void bptee_key_exchange_config_default(struct bptee_key_exchange_config *out)
{
    if (out)
        *out = (struct bptee_key_exchange_config){
            .session_ttl_secs = BPTEE_CONFIG_DEFAULT_SESSION_TTL_SECS,
            .max_sessions = BPTEE_CONFIG_DEFAULT_MAX_SESSIONS,
            .on_chain_verification = true,
        };
}

int bptee_tee_requirements_init(struct bptee_tee_requirements *out, int requirement)
{
    if (!out)
        return fail(BPTEE_EINVAL, "tee requirements: missing argument");
    if (!enum_name(&requirement_table, requirement))
        return fail(BPTEE_EINVAL, "tee requirements: requirement %d is out of range", requirement);
    *out = (struct bptee_tee_requirements){.requirement = requirement};
    bptee_provider_selector_any(&out->providers);
    return 0;
}

int bptee_tee_requirements_is_required(const struct bptee_tee_requirements *r)
{
    return r && r->requirement == BPTEE_TEE_REQUIREMENT_REQUIRED;
}
