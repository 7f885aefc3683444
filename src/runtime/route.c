// SPDX-License-Identifier: Apache-2.0
/* Where a job runs, by the config's mode (docs/routing.md): every decision carries a one-line
 * reason so `bptee run` can say why a job did or did not get a TEE. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <bptee/runtime.h>

#include "util/error.h"

__attribute__((format(printf, 3, 4))) static int
decide(struct bptee_route_decision *out, int route, const char *fmt, ...)
{
    va_list ap;
    out->route = route;
    va_start(ap, fmt);
    vsnprintf(out->reason, sizeof out->reason, fmt, ap);
    va_end(ap);
    return 0;
}

static int route_hybrid(const char *job_id, const struct bptee_route_opts *o,
                        struct bptee_route_decision *out)
{
    if (!o || !o->routing)
        return fail(BPTEE_EINVAL, "mode hybrid: no routing file loaded");
    int required = 1;
    int listed = bptee_routing_lookup(o->routing, job_id, &required);
    if (listed < 0)
        return listed;
    const char *value = required ? "true" : "false";
    if (listed)
        return decide(out, required ? BPTEE_ROUTE_TEE : BPTEE_ROUTE_PLAIN,
                      "hybrid: routing lists job '%s' with tee_required %s", job_id, value);
    return decide(out, required ? BPTEE_ROUTE_TEE : BPTEE_ROUTE_PLAIN,
                  "hybrid: job '%s' is not listed; the routing default is tee_required %s",
                  job_id, value);
}

static int route_auto(const struct bptee_config *cfg, const struct bptee_route_opts *o,
                      struct bptee_route_decision *out)
{
    char why[160];
    int provider = -1;
    int rc = bptee_detect_provider(o ? o->detect : NULL, &provider, why, sizeof why);
    if (rc < 0)
        return rc;
    struct bptee_provider_selector sel;
    bptee_config_provider_selector(cfg, &sel);
    int required = bptee_config_requirement(cfg) == BPTEE_TEE_REQUIREMENT_REQUIRED;
    if (rc == 1 && bptee_provider_selector_accepts(&sel, provider)) {
        out->provider = provider;
        return decide(out, BPTEE_ROUTE_TEE, "auto: detected %s (%s)",
                      bptee_provider_name(provider), why);
    }
    if (rc == 1 && required)
        return fail(BPTEE_EDENIED, "TEE required but the detected %s is not in the config's "
                                   "provider_selector", bptee_provider_name(provider));
    if (required)
        return fail(BPTEE_EDENIED, "TEE required but no TEE hardware detected");
    if (rc == 1)
        return decide(out, BPTEE_ROUTE_PLAIN, "auto: detected %s, which the config's "
                      "provider_selector does not accept; running without a TEE",
                      bptee_provider_name(provider));
    return decide(out, BPTEE_ROUTE_PLAIN, "auto: no TEE hardware detected; running without "
                  "a TEE");
}

int bptee_route_job(const struct bptee_config *cfg, const char *job_id,
                    const struct bptee_route_opts *opts, struct bptee_route_decision *out)
{
    if (!cfg || !job_id || !out)
        return fail(BPTEE_EINVAL, "route: missing argument");
    memset(out, 0, sizeof *out);
    out->provider = -1;
    switch (bptee_config_mode(cfg)) {
    case BPTEE_TEE_MODE_DISABLED:
        return decide(out, BPTEE_ROUTE_PLAIN, "mode disabled: no job runs in a TEE");
    case BPTEE_TEE_MODE_DIRECT:
        return decide(out, BPTEE_ROUTE_TEE, "mode direct: every job runs in the TEE");
    case BPTEE_TEE_MODE_HYBRID:
        return route_hybrid(job_id, opts, out);
    case BPTEE_TEE_MODE_AUTO:
        return route_auto(cfg, opts, out);
    case BPTEE_TEE_MODE_REMOTE:
        return fail(BPTEE_EUNSUPPORTED, "mode remote: no remote backend configured");
    default:
        return fail(BPTEE_EINVAL, "route: unknown mode %d", (int)bptee_config_mode(cfg));
    }
}
