// SPDX-License-Identifier: Apache-2.0
/* Strict JSON readers for the "tdx" policy section, worded as the rest of the policy file's
 * ("policy: unknown key 'tdx.allow_debgu'", "policy: tdx.mrtd[1]: expected ..."). */
#include <stdio.h>
#include <string.h>

#include "tdx/policy.h"
#include "util/codec.h"
#include "util/error.h"

int tp_check_keys(const json_t *obj, const char *path, const char *const *allowed)
{
    if (!json_is_object(obj))
        return fail(BPTEE_EPARSE, "policy: %s: expected an object", path);
    const char *key;
    json_t *val;
    json_object_foreach((json_t *)obj, key, val)
    {
        bool known = false;
        for (size_t i = 0; allowed[i] && !known; i++)
            known = !strcmp(key, allowed[i]);
        if (!known)
            return fail(BPTEE_EPARSE, "policy: unknown key '%s.%s'", path, key);
    }
    return 0;
}

int tp_bool(const json_t *v, const char *path, bool *out)
{
    if (!json_is_boolean(v))
        return fail(BPTEE_EPARSE, "policy: %s: expected true or false", path);
    *out = json_is_true(v);
    return 0;
}

/* Exactly len bytes of hex, optionally after "prefix:" (e.g. "sha384:"). */
int tp_hex(const json_t *v, const char *path, const char *prefix, uint8_t *out, size_t len)
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

int tp_array(const json_t *v, const char *path, size_t *n)
{
    if (!json_is_array(v))
        return fail(BPTEE_EPARSE, "policy: %s: expected an array", path);
    *n = json_array_size(v);
    if (*n > TDX_POLICY_LIST_MAX)
        return fail(BPTEE_ELIMIT, "policy: %s: more than %d entries", path, TDX_POLICY_LIST_MAX);
    return 0;
}
