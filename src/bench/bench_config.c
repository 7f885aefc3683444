// SPDX-License-Identifier: Apache-2.0
/* Configs loaded per second from blueprint-tee's canonical JSON, against a bare jansson parse of
 * the same text in the same run (the floor: loading is that parse plus strict field reads). */
#include <jansson.h>
#include <stdio.h>

#include <bptee.h>

#include "bench/bench.h"

static const char canonical[] =
    "{\"requirement\":\"required\",\"mode\":\"direct\",\"provider_selector\":\"any\","
    "\"key_exchange\":{\"session_ttl_secs\":120,\"max_sessions\":10,"
    "\"on_chain_verification\":false},\"max_attestation_age_secs\":1800,"
    "\"secret_injection\":\"sealed_only\",\"attestation_freshness\":\"provision_time_only\","
    "\"public_key_policy\":\"required\","
    "\"hybrid_routing_source\":{\"policy_file\":\"/etc/tee/routing.json\"}}";

static int config_load_once(void)
{
    struct bptee_config *cfg = NULL;
    int r = bptee_config_load(canonical, sizeof canonical - 1, &cfg);
    bptee_config_free(cfg);
    return r;
}

static int jansson_load_once(void)
{
    json_t *j = json_loads(canonical, 0, NULL);
    json_decref(j);
    return j ? 0 : -1;
}

int main(void)
{
    double config_rate, jansson_rate;
    BENCH_RATE(config_rate, config_load_once());
    BENCH_RATE(jansson_rate, jansson_load_once());
    printf("config_load: %.0f /s\n", config_rate);
    printf("config_load_vs_jansson: %.2f ratio\n", config_rate / jansson_rate);
    return 0;
}
