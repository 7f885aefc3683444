// SPDX-License-Identifier: Apache-2.0
/* libFuzzer target for the files `bptee run` reads before it runs anything: the hybrid routing
 * file, the job spec and the "results" policy section. Any input either fails cleanly or
 * parses, and everything a parsed object answers stays consistent. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bptee.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void die(const char *what)
{
    fprintf(stderr, "fuzz_routing: %s: %s\n", what, bptee_last_error());
    abort();
}

static void routing(const uint8_t *data, size_t size)
{
    struct bptee_routing *r = NULL;
    static const char *const ids[] = {"a", "job-1", "train", "x:y@z+1"};
    if (bptee_routing_parse((const char *)data, size, &r) < 0)
        return;
    for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++) {
        int req = -1;
        int listed = bptee_routing_lookup(r, ids[i], &req);
        if (listed < 0 || listed > 1 || (req != 0 && req != 1))
            die("routing lookup");
        if (listed && bptee_routing_job_count(r) == 0)
            die("a job listed in an empty routing file");
    }
    bptee_routing_free(r);
}

static void spec(const uint8_t *data, size_t size)
{
    struct bptee_job_spec *s = NULL;
    char *env = NULL, *side = NULL;
    if (bptee_job_spec_parse((const char *)data, size, &s) < 0)
        return;
    const char *id = bptee_job_spec_job_id(s);
    if (id && bptee_job_id_check(id) < 0)
        die("a parsed spec with an invalid job id");
    for (size_t i = 0; i < bptee_job_spec_secret_count(s); i++) {
        const char *name = NULL, *path = NULL;
        if (bptee_job_spec_secret(s, i, &name, &path) < 0 || !name || path[0] != '/')
            die("spec secret");
    }
    if (bptee_job_spec_secrets_env(s, &env) < 0 || bptee_job_spec_sidecar_path(s, &side) < 0)
        die("spec getters");
    if (bptee_job_spec_secret_count(s) == 0 && env[0])
        die("secrets env without secrets");
    bptee_free(env);
    bptee_free(side);
    bptee_job_spec_free(s);
}

static void results_policy(const uint8_t *data, size_t size)
{
    struct bptee_result_policy *p = NULL;
    if (bptee_result_policy_parse((const char *)data, size, &p) == 0)
        bptee_result_policy_free(p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    routing(data, size);
    spec(data, size);
    results_policy(data, size);
    return 0;
}
