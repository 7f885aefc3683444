// SPDX-License-Identifier: Apache-2.0
/* Holding a result's job identity to the policy's "results" section. */
#include <stdio.h>
#include <string.h>

#include "result/result_policy.h"
#include "result/result_private.h"
#include "util/error.h"

static bool digest_listed(uint8_t (*list)[32], size_t n, const uint8_t d[32])
{
    for (size_t i = 0; i < n; i++)
        if (memcmp(list[i], d, 32) == 0)
            return true;
    return false;
}

static void hex(char out[65], const uint8_t d[32])
{
    for (int i = 0; i < 32; i++)
        snprintf(out + 2 * i, 3, "%02x", d[i]);
}

int result_policy_check(const struct bptee_result_policy *p, const struct bptee_result_meta *m)
{
    char h[65];
    if (!(p->kinds & 1u << m->kind))
        return fail(BPTEE_EPOLICY, "results.attestation: a %s result is not allowed",
                    m->kind == BPTEE_RESULT_FRESH ? "fresh" : "signed");
    if (p->has_job_ids) {
        size_t i = 0;
        while (i < p->n_job_ids && strcmp(p->job_ids[i], m->job_id))
            i++;
        if (i == p->n_job_ids)
            return fail(BPTEE_EPOLICY, "results.job_ids: job id '%s' is not allowed", m->job_id);
    }
    if (p->has_binaries && !digest_listed(p->binaries, p->n_binaries, m->binary)) {
        hex(h, m->binary);
        return fail(BPTEE_EPOLICY, "results.binary_sha256: job binary %s is not allowed", h);
    }
    if (p->has_argvs && !digest_listed(p->argvs, p->n_argvs, m->argv)) {
        hex(h, m->argv);
        return fail(BPTEE_EPOLICY, "results.argv_sha256: argv digest %s is not allowed", h);
    }
    return 0;
}
