// SPDX-License-Identifier: Apache-2.0
/* Verification policy: a provider-neutral JSON document with one section per evidence kind
 * ("sev_snp", "tdx", "nitro", ...) and top-level limits. docs/policy.md is the reference. */
#include <stdlib.h>
#include <string.h>

#include "tdx/policy.h"
#include "util/error.h"
#include "util/file.h"
#include "util/json.h"
#include "verify/policy.h"

/* "results" belongs to result verification (src/result/), which reads it from the same file. */
static const char *const top_keys[] = {"max_age_secs", "sev_snp", "tdx", "nitro", "azure_maa", "gcp_confidential",
                                        "results", NULL};

int bptee_policy_bound_max_age(struct bptee_policy *p, uint64_t secs)
{
    if (!p)
        return fail(BPTEE_EINVAL, "policy: NULL");
    if (secs > INT64_MAX)
        return fail(BPTEE_EINVAL, "policy: a maximum age of %llu seconds is out of range",
                    (unsigned long long)secs);
    if (p->max_age_secs < 0 || (uint64_t)p->max_age_secs > secs)
        p->max_age_secs = (int64_t)secs;
    return 0;
}

void policy_init(struct bptee_policy *p)
{
    memset(p, 0, sizeof *p);
    p->max_age_secs = -1;
    policy_snp_init(&p->snp);
    policy_jwt_init(&p->azure, "azure_maa");
    policy_jwt_init(&p->gcp, "gcp_confidential");
}

static int policy_read(const json_t *root, struct bptee_policy *p)
{
    int rc = pj_check_keys(root, "", top_keys);
    if (rc < 0)
        return rc;
    const json_t *v = json_object_get(root, "max_age_secs");
    if (v && (rc = pj_int(v, "max_age_secs", 0, INT64_MAX, &p->max_age_secs)) < 0)
        return rc;
    v = json_object_get(root, "sev_snp");
    if (v && (rc = policy_snp_parse(v, &p->snp)) < 0)
        return rc;
    v = json_object_get(root, "nitro");
    if (v && (rc = policy_nitro_parse(v, &p->nitro)) < 0)
        return rc;
    v = json_object_get(root, "azure_maa");
    if (v && (rc = policy_jwt_parse(v, &p->azure)) < 0)
        return rc;
    v = json_object_get(root, "gcp_confidential");
    if (v && (rc = policy_jwt_parse(v, &p->gcp)) < 0)
        return rc;
    /* The tdx module owns its section's keys and checks; its errors are worded as ours. */
    v = json_object_get(root, "tdx");
    if (v && (rc = tdx_policy_from_json(v, &p->tdx)) < 0)
        return rc;
    return 0;
}

int bptee_policy_parse(const char *json, size_t len, struct bptee_policy **out)
{
    if (!json || !out)
        return fail(BPTEE_EINVAL, "policy: missing argument");
    _cleanup_json_ json_t *root = NULL;
    int rc = json_parse_capped(json, len, BPTEE_POLICY_JSON_MAX, "policy", &root);
    if (rc < 0)
        return rc;
    struct bptee_policy *p = malloc(sizeof *p);
    if (!p)
        return fail(BPTEE_ENOMEM, "policy: out of memory");
    policy_init(p);
    rc = policy_read(root, p);
    if (rc < 0) {
        bptee_policy_free(p);
        return rc;
    }
    *out = p;
    return 0;
}

int bptee_policy_load(const char *path, struct bptee_policy **out)
{
    if (!path || !out)
        return fail(BPTEE_EINVAL, "policy: missing argument");
    uint8_t *data = NULL;
    size_t len = 0;
    int rc = file_read_all(path, BPTEE_POLICY_JSON_MAX, &data, &len);
    if (rc < 0)
        return fail_prefix(rc, "policy");
    rc = bptee_policy_parse((const char *)data, len, out);
    free(data);
    if (rc < 0)
        return fail_prefix(rc, "%s", path);
    return 0;
}

void bptee_policy_free(struct bptee_policy *p)
{
    if (!p)
        return;
    policy_snp_release(&p->snp);
    policy_nitro_release(&p->nitro);
    policy_jwt_release(&p->azure);
    policy_jwt_release(&p->gcp);
    bptee_tdx_policy_free(p->tdx);
    free(p);
}
