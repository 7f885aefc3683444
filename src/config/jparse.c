// SPDX-License-Identifier: Apache-2.0
/* Parsing a config document: capped, duplicate keys rejected, and an integer too large for
 * jansson blamed on the field that holds it rather than on a line and column. */
#include <string.h>

#include "config/config_private.h"
#include "util/error.h"

/* The value at a dotted path ("key_exchange.max_sessions"), or NULL. */
static json_t *value_at(json_t *root, const char *path)
{
    char seg[64];
    json_t *v = root;
    while (v && *path) {
        size_t n = strcspn(path, ".");
        if (n >= sizeof seg)
            return NULL;
        memcpy(seg, path, n);
        seg[n] = '\0';
        v = json_is_object(v) ? json_object_get(v, seg) : NULL;
        path += n + (path[n] == '.');
    }
    return v;
}

/* jansson refused an integer out of its range; parse again reading integers as doubles and
 * look for it among the fields we know. Returns 0 when it is not in one of them. */
static int blame_big_int(const char *buf, size_t len, const char *what,
                         const char *const *int_paths)
{
    json_error_t e;
    json_t *root = json_loadb(buf, len, JSON_REJECT_DUPLICATES | JSON_DECODE_INT_AS_REAL, &e);
    int r = 0;
    for (size_t i = 0; root && int_paths[i] && r == 0; i++) {
        json_t *v = value_at(root, int_paths[i]);
        if (!json_is_real(v))
            continue;
        double d = json_real_value(v);
        if (d >= 9223372036854775808.0)
            r = fail(BPTEE_EPARSE, "%s: \"%s\": integer too large (maximum %llu)", what,
                     int_paths[i], BPTEE_CONFIG_INT_MAX);
        else if (d < -9223372036854775808.0)
            r = fail(BPTEE_EPARSE, "%s: \"%s\": negative integer (expected 0 to %llu)", what,
                     int_paths[i], BPTEE_CONFIG_INT_MAX);
    }
    json_decref(root);
    return r;
}

int jparse(const char *buf, size_t len, const char *what, const char *const *int_paths,
           json_t **out)
{
    json_error_t e;
    if (!buf && len)
        return fail(BPTEE_EINVAL, "%s: missing input", what);
    if (len > BPTEE_CONFIG_MAX_SIZE)
        return fail(BPTEE_ELIMIT, "%s: %zu bytes exceeds the %u-byte limit", what, len,
                    BPTEE_CONFIG_MAX_SIZE);
    json_t *j = json_loadb(buf ? buf : "", len, JSON_REJECT_DUPLICATES, &e);
    if (j) {
        *out = j;
        return 0;
    }
    if (json_error_code(&e) == json_error_numeric_overflow && int_paths) {
        int r = blame_big_int(buf, len, what, int_paths);
        if (r < 0)
            return r;
    }
    return fail(BPTEE_EPARSE, "%s: line %d column %d: %s", what, e.line, e.column, e.text);
}
