// SPDX-License-Identifier: Apache-2.0
/* TeeRequirements JSON: {"requirement": ..., "providers": ..., "min_attestation_age_secs": N},
 * "providers" defaulting to "any" and the age omitted when unset (null reads as unset). */
#include "config/config_private.h"
#include "util/error.h"
#include "util/json.h"

static const char W[] = "tee requirements";

static int read_requirements(json_t *root, struct bptee_tee_requirements *r)
{
    json_t *v;
    int req, rc;
    if (!json_is_object(root))
        return fail(BPTEE_EPARSE, "%s: expected a JSON object, got an array", W);
    if (!(v = json_object_get(root, "requirement")))
        return jmissing(W, "requirement");
    if ((rc = jread_enum(v, W, "requirement", &requirement_table, &req)) < 0)
        return rc;
    bptee_tee_requirements_init(r, req);
    if ((v = json_object_get(root, "providers")) &&
        (rc = jread_selector(v, W, "providers", &r->providers, NULL)) < 0)
        return rc;
    v = json_object_get(root, "min_attestation_age_secs");
    if (v && !json_is_null(v)) {
        if ((rc = jread_u64(v, W, "min_attestation_age_secs", &r->min_attestation_age_secs)) < 0)
            return rc;
        r->has_min_attestation_age = true;
    }
    return 0;
}

int bptee_tee_requirements_from_json(const char *json, size_t len,
                                     struct bptee_tee_requirements *out)
{
    static const char *const int_paths[] = {"min_attestation_age_secs", NULL};
    struct bptee_tee_requirements r;
    json_t *root = NULL;
    if (!out)
        return fail(BPTEE_EINVAL, "%s: missing argument", W);
    int rc = jparse(json, len, W, int_paths, &root);
    if (rc < 0)
        return rc;
    rc = read_requirements(root, &r);
    json_decref(root);
    if (rc == 0)
        *out = r;
    return rc;
}

int bptee_tee_requirements_to_json(const struct bptee_tee_requirements *r, char **out)
{
    if (!r || !out)
        return fail(BPTEE_EINVAL, "%s: missing argument", W);
    const char *req = enum_name(&requirement_table, r->requirement);
    if (!req)
        return fail(BPTEE_EINVAL, "%s: requirement %d is out of range", W, (int)r->requirement);
    if (!r->providers.any && (r->providers.allow & ~PROVIDER_MASK_ALL))
        return fail(BPTEE_EINVAL, "%s: provider allow bits name no provider", W);
    if (r->has_min_attestation_age && r->min_attestation_age_secs > BPTEE_CONFIG_INT_MAX)
        return fail(BPTEE_EINVAL, "%s: min_attestation_age_secs exceeds the maximum %llu", W,
                    BPTEE_CONFIG_INT_MAX);
    json_t *j =
        json_pack("{s:s, s:o}", "requirement", req, "providers", selector_to_json(&r->providers, NULL));
    if (j && r->has_min_attestation_age)
        json_object_set_new(j, "min_attestation_age_secs",
                            json_integer((json_int_t)r->min_attestation_age_secs));
    char *s = j ? json_to_string(j, 0) : NULL;
    json_decref(j);
    if (!s)
        return fail(BPTEE_ENOMEM, "%s: cannot serialize (out of memory)", W);
    *out = s;
    return 0;
}
