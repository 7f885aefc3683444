// SPDX-License-Identifier: Apache-2.0
/* Custom claims: a JSON object of arbitrary values, kept as jansson values and written with
 * sorted keys because blueprint-tee holds them in a BTreeMap. */
#include <stdlib.h>
#include <string.h>

#include "evidence/report.h"
#include "util/error.h"
#include "util/json.h"

static int cmp_keys(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static json_t *sorted_object(const json_t *obj)
{
    size_t n = json_object_size(obj), i = 0;
    const char **keys = malloc((n ? n : 1) * sizeof *keys);
    json_t *copy = json_object();
    const char *k;
    json_t *v;
    if (!keys || !copy)
        goto fail;
    json_object_foreach((json_t *)obj, k, v) keys[i++] = k;
    qsort(keys, n, sizeof *keys, cmp_keys);
    for (i = 0; i < n; i++)
        if (json_object_set_new(copy, keys[i], json_sorted_copy(json_object_get(obj, keys[i]))))
            goto fail;
    free(keys);
    return copy;
fail:
    free(keys);
    json_decref(copy);
    return NULL;
}

json_t *json_sorted_copy(const json_t *v)
{
    if (json_is_object(v))
        return sorted_object(v);
    if (!json_is_array(v))
        return json_deep_copy(v);
    json_t *copy = json_array();
    for (size_t i = 0; copy && i < json_array_size(v); i++)
        if (json_array_append_new(copy, json_sorted_copy(json_array_get(v, i)))) {
            json_decref(copy);
            return NULL;
        }
    return copy;
}

static int parse_value(const char *text, const char *key, json_t **out)
{
    json_error_t e;
    size_t len = strlen(text);
    if (len > BPTEE_REPORT_JSON_MAX)
        return fail(BPTEE_ELIMIT, "report: claims.custom.%s: %zu bytes exceeds the %u-byte limit",
                    key, len, BPTEE_REPORT_JSON_MAX);
    json_t *v = json_loadb(text, len, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &e);
    if (!v)
        return fail(BPTEE_EPARSE, "report: claims.custom.%s: line %d column %d: %s", key, e.line,
                    e.column, e.text);
    *out = v;
    return 0;
}

int bptee_report_set_custom(struct bptee_report *r, const char *key, const char *json_value)
{
    json_t *v = NULL;
    if (!r || !key)
        return fail(BPTEE_EINVAL, "report: claims.custom: missing argument");
    if (!json_value) {
        json_object_del(r->claims.custom, key);
        return 0;
    }
    int rc = text_check(key, "report: claims.custom key");
    if (rc == 0)
        rc = parse_value(json_value, key, &v);
    if (rc < 0)
        return rc;
    /* jansson drops v when this fails. */
    if (json_object_set_new(r->claims.custom, key, v))
        return fail(BPTEE_ENOMEM, "report: claims.custom.%s: out of memory", key);
    return 0;
}

static int dump_sorted(const json_t *v, const char *what, char **out)
{
    json_t *sorted = json_sorted_copy(v);
    char *s = sorted ? json_dump_serde(sorted, 0) : NULL;
    json_decref(sorted);
    if (!s)
        return fail(BPTEE_ENOMEM, "%s: out of memory", what);
    *out = s;
    return 0;
}

int bptee_report_custom(const struct bptee_report *r, const char *key, char **json_out)
{
    if (json_out)
        *json_out = NULL;
    json_t *v = r && key ? json_object_get(r->claims.custom, key) : NULL;
    if (!v)
        return 0;
    if (json_out) {
        int rc = dump_sorted(v, "report: claims.custom", json_out);
        if (rc < 0)
            return rc;
    }
    return 1;
}

size_t bptee_report_custom_count(const struct bptee_report *r)
{
    return r ? json_object_size(r->claims.custom) : 0;
}

int bptee_report_custom_json(const struct bptee_report *r, char **json_out)
{
    if (!r || !json_out)
        return fail(BPTEE_EINVAL, "report: claims.custom: missing argument");
    return dump_sorted(r->claims.custom, "report: claims.custom", json_out);
}
