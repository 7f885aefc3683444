/* SPDX-License-Identifier: Apache-2.0 */
/* The parsed "results" policy section (private to the result module). */
#ifndef BPTEE_RESULT_POLICY_H
#define BPTEE_RESULT_POLICY_H

#include <jansson.h>
#include <stdbool.h>

#include <bptee/result.h>

#define RESULT_POLICY_LIST_MAX 4096

struct bptee_result_policy {
    bool has_job_ids, has_binaries, has_argvs;
    char **job_ids;
    size_t n_job_ids;
    uint8_t (*binaries)[32];
    size_t n_binaries;
    uint8_t (*argvs)[32];
    size_t n_argvs;
    unsigned kinds; /* bit per enum bptee_result_kind */
};

int result_policy_read(const json_t *v, struct bptee_result_policy **out);
/* 0 when the policy admits the result's identity and kind; BPTEE_EPOLICY naming what not. */
int result_policy_check(const struct bptee_result_policy *p, const struct bptee_result_meta *m);

#endif
