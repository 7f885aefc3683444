// SPDX-License-Identifier: Apache-2.0
/* Strict JSON readers for the policy file's sections: each error names the key path
 * ("sev_snp.vmpls[1]", "tdx.mrtd[0]"). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/codec.h"
#include "util/error.h"
#include "util/json.h"
#include "verify/policy_json.h"

int pj_check_keys(const json_t *obj, const char *path, const char *const *allowed)
{
    if (!json_is_object(obj))
        return fail(BPTEE_EPARSE, "policy: %s: expected an object", path);
    const char *key = json_unknown_key(obj, allowed);
    if (key)
        return fail(BPTEE_EPARSE, "policy: unknown key '%s%s%s'", path[0] ? path : "",
                    path[0] ? "." : "", key);
    return 0;
}

int pj_bool(const json_t *v, const char *path, bool *out)
{
    if (!json_is_boolean(v))
        return fail(BPTEE_EPARSE, "policy: %s: expected true or false", path);
    *out = json_is_true(v);
    return 0;
}

int pj_int(const json_t *v, const char *path, int64_t min, int64_t max, int64_t *out)
{
    if (!json_is_integer(v) || json_integer_value(v) < min || json_integer_value(v) > max)
        return fail(BPTEE_EPARSE, "policy: %s: expected an integer %lld..%lld", path,
                    (long long)min, (long long)max);
    *out = json_integer_value(v);
    return 0;
}

/* Exactly len bytes of hex, optionally after "prefix:" (e.g. "sha384:"). */
int pj_hex(const json_t *v, const char *path, const char *prefix, uint8_t *out, size_t len)
{
    char what[160];
    if (!json_is_string(v))
        return fail(BPTEE_EPARSE, "policy: %s: expected a hex string", path);
    const char *s = json_string_value(v);
    size_t pl = prefix ? strlen(prefix) : 0;
    if (pl && !strncmp(s, prefix, pl) && s[pl] == ':')
        s += pl + 1;
    snprintf(what, sizeof what, "policy: %s", path);
    return hex_decode_exact(s, out, len, what);
}

int pj_array(const json_t *v, const char *path, size_t *n)
{
    if (!json_is_array(v))
        return fail(BPTEE_EPARSE, "policy: %s: expected an array", path);
    *n = json_array_size(v);
    if (*n > POLICY_LIST_MAX)
        return fail(BPTEE_ELIMIT, "policy: %s: more than %d entries", path, POLICY_LIST_MAX);
    return 0;
}

/* A list of fixed-size hex digests ("measurements", "trusted_roots"). */
int pj_digests(const json_t *v, const char *path, const char *prefix, size_t size,
                        uint8_t **out, size_t *n)
{
    int rc = pj_array(v, path, n);
    if (rc < 0)
        return rc;
    *out = calloc(*n ? *n : 1, size);
    if (!*out)
        return fail(BPTEE_ENOMEM, "policy: out of memory");
    for (size_t i = 0; i < *n; i++) {
        char item[64];
        snprintf(item, sizeof item, "%s[%zu]", path, i);
        if ((rc = pj_hex(json_array_get(v, i), item, prefix, *out + i * size, size)) < 0)
            return rc;
    }
    return 0;
}

int pj_hex_alloc(const json_t *v, const char *path, size_t max, uint8_t **out, size_t *len)
{
    char what[160];
    if (!json_is_string(v))
        return fail(BPTEE_EPARSE, "policy: %s: expected a hex string", path);
    snprintf(what, sizeof what, "policy: %s", path);
    size_t hl = json_string_length(v);
    if (hl == 0) {
        *len = 0;
        return (*out = malloc(1)) ? 0 : fail(BPTEE_ENOMEM, "policy: out of memory");
    }
    if (hl / 2 > max)
        return fail(BPTEE_EPARSE, "policy: %s: more than %zu bytes", path, max);
    return hex_decode_alloc(json_string_value(v), out, len, what);
}
