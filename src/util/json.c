// SPDX-License-Identifier: Apache-2.0
#include <string.h>

#include "util/error.h"
#include "util/json.h"

int json_parse_capped(const char *buf, size_t len, size_t max, const char *what, json_t **out)
{
    json_error_t e;
    if (len > max)
        return fail(BPTEE_ELIMIT, "%s: %zu bytes exceeds the %zu-byte limit", what, len, max);
    json_t *j = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &e);
    if (!j)
        return fail(BPTEE_EPARSE, "%s: line %d column %d: %s", what, e.line, e.column, e.text);
    *out = j;
    return 0;
}

char *json_to_string(const json_t *j, int pretty)
{
    return json_dumps(j, JSON_PRESERVE_ORDER | (pretty ? JSON_INDENT(2) : JSON_COMPACT));
}

const char *json_unknown_key(const json_t *obj, const char *const *allowed)
{
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)obj, key, v)
    {
        size_t i = 0;
        while (allowed[i] && strcmp(allowed[i], key))
            i++;
        if (!allowed[i])
            return key;
    }
    return NULL;
}

void json_release(json_t **j)
{
    json_decref(*j);
}
