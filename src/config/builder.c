// SPDX-License-Identifier: Apache-2.0
/* TeeConfigBuilder: chosen fields over the defaults; build() derives secret injection from the
 * mode, so a built config cannot break rule 2, and applies rule 1. */
#include <stdlib.h>

#include "config/config_private.h"
#include "util/error.h"

int bptee_config_builder_new(struct bptee_config_builder **out)
{
    if (!out)
        return fail(BPTEE_EINVAL, "config builder: missing argument");
    struct bptee_config_builder *b = malloc(sizeof *b);
    if (!b)
        return fail(BPTEE_ENOMEM, "config builder: out of memory");
    int r = config_init_defaults(&b->cfg);
    if (r < 0) {
        free(b);
        return r;
    }
    *out = b;
    return 0;
}

void bptee_config_builder_free(struct bptee_config_builder *b)
{
    if (!b)
        return;
    config_release(&b->cfg);
    free(b);
}

/* The builder's setters are the config's (same checks), minus secret_injection. */
#define BUILDER_SETTER(name, type)                                                                 \
    int bptee_config_builder_##name(struct bptee_config_builder *b, type value)                    \
    {                                                                                              \
        if (!b)                                                                                    \
            return fail(BPTEE_EINVAL, "config builder: missing argument");                         \
        return bptee_config_set_##name(&b->cfg, value);                                            \
    }

BUILDER_SETTER(requirement, int)
BUILDER_SETTER(mode, int)
BUILDER_SETTER(provider_selector, const struct bptee_provider_selector *)
BUILDER_SETTER(key_exchange, const struct bptee_key_exchange_config *)
BUILDER_SETTER(max_attestation_age_secs, uint64_t)
BUILDER_SETTER(attestation_freshness, int)
BUILDER_SETTER(public_key_policy, int)
BUILDER_SETTER(hybrid_policy_file, const char *)

int bptee_config_builder_allow_providers(struct bptee_config_builder *b, const int *providers,
                                         size_t n)
{
    struct bptee_provider_selector sel;
    if (!b)
        return fail(BPTEE_EINVAL, "config builder: missing argument");
    int r = bptee_provider_selector_allow_list(providers, n, &sel);
    if (r < 0)
        return r;
    b->cfg.selector = sel;
    b->cfg.selector_order.n = 0;
    for (size_t i = 0; i < n; i++)
        selector_order_add(&b->cfg.selector_order, providers[i]);
    return 0;
}

int bptee_config_builder_build(const struct bptee_config_builder *b, struct bptee_config **out)
{
    if (!b || !out)
        return fail(BPTEE_EINVAL, "config builder: missing argument");
    int r = config_check_rule1(&b->cfg);
    if (r < 0)
        return r;
    struct bptee_config *cfg = malloc(sizeof *cfg);
    if (!cfg)
        return fail(BPTEE_ENOMEM, "config builder: out of memory");
    r = config_copy(cfg, &b->cfg);
    if (r < 0) {
        free(cfg);
        return r;
    }
    cfg->secret_injection = config_derived_injection(cfg->mode);
    *out = cfg;
    return 0;
}
