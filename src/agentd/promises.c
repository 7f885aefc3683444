// SPDX-License-Identifier: Apache-2.0
/* What the config promises, kept by the agent (docs/agent.md, "What the config promises"):
 *  - "requirement": "required" with a provider allow list: the agent refuses to start unless
 *    its evidence comes from hardware of a listed provider. The simulator is a provider of its
 *    own that no allow list can name (blueprint-tee's providers are hardware and clouds), so
 *    it never passes for amd_sev_snp or intel_tdx whatever format it imitates; only
 *    "provider_selector": "any" lets a required config run on it (and the agent says so).
 *  - "max_attestation_age_secs": the signing key's evidence the agent presents is never older
 *    than that: the main loop re-attests at half the age, and a request that would present
 *    evidence past it re-attests first. (An offer's evidence is fresh for each session.) */
#include <stdio.h>
#include <time.h>

#include "agentd/daemon.h"

int agent_check_provider(struct agent *a)
{
    struct bptee_provider_selector sel;
    bool simulated = a->source == BPTEE_GUEST_SOURCE_SIM;
    const char *what = simulated ? "the simulator" : bptee_provider_name(a->provider);
    bptee_config_provider_selector(a->cfg, &sel);
    if (sel.any)
        return 0;
    if (!simulated && bptee_provider_selector_accepts(&sel, a->provider))
        return 0;
    if (bptee_config_requirement(a->cfg) == BPTEE_TEE_REQUIREMENT_REQUIRED) {
        fprintf(stderr,
                "bptee: agent: config: \"requirement\": \"required\" and provider_selector's "
                "allow list does not hold %s, where this agent's evidence comes from%s; "
                "refusing to start\n",
                what ? what : "its provider",
                simulated ? " (the simulator is never a listed provider)" : "");
        return -1;
    }
    agent_log("WARNING: the config's provider_selector does not allow %s, where this agent's "
              "evidence comes from (\"requirement\": \"preferred\": starting anyway)",
              what ? what : "its provider");
    return 0;
}

/* The age at which the key is re-attested ahead of time: half the maximum, so what is
 * presented stays within it between two passes of the main loop. */
static uint64_t refresh_age(const struct agent *a)
{
    uint64_t max = bptee_config_max_attestation_age_secs(a->cfg);
    return max / 2;
}

int agent_key_evidence_fresh(struct agent *a, bool ahead)
{
    uint64_t max = bptee_config_max_attestation_age_secs(a->cfg);
    uint64_t now = (uint64_t)time(NULL);
    uint64_t at = __atomic_load_n(&a->key_attested_at, __ATOMIC_RELAXED);
    uint64_t age = now > at ? now - at : 0;
    if (age < (ahead ? refresh_age(a) : max))
        return 0;
    int rc = agent_refresh_key(a);
    if (rc < 0) {
        agent_log("signing key re-attestation failed: %s", bptee_last_error());
        return rc;
    }
    agent_log("signing key re-attested: its evidence was %llu s old (max_attestation_age_secs "
              "%llu)", (unsigned long long)age, (unsigned long long)max);
    return 0;
}

int agent_poll_ms(const struct agent *a, int interval_ms)
{
    uint64_t half = refresh_age(a);
    if (half * 1000 < (uint64_t)interval_ms)
        return half ? (int)(half * 1000) : 1000;
    return interval_ms;
}
