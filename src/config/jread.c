// SPDX-License-Identifier: Apache-2.0
/* Strict readers for config JSON: each value must have exactly the type serde would accept,
 * and every failure names the field ("config: \"key_exchange.max_sessions\": ..."). */
#include <stdio.h>
#include <string.h>

#include "config/config_private.h"
#include "util/error.h"

const char *jtype_name(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT:
        return "object";
    case JSON_ARRAY:
        return "array";
    case JSON_STRING:
        return "string";
    case JSON_INTEGER:
        return "integer";
    case JSON_REAL:
        return "non-integer number";
    case JSON_TRUE:
    case JSON_FALSE:
        return "boolean";
    case JSON_NULL:
        return "null";
    }
    return "unknown";
}

static int wrong_type(const json_t *v, const char *what, const char *path, const char *expected)
{
    return fail(BPTEE_EPARSE, "%s: \"%s\": expected %s, got %s", what, path, expected,
                jtype_name(v));
}

int jmissing(const char *what, const char *path)
{
    return fail(BPTEE_EPARSE, "%s: \"%s\": required key is missing", what, path);
}

int jread_object(json_t *v, const char *what, const char *path)
{
    return json_is_object(v) ? 0 : wrong_type(v, what, path, "an object");
}

int jread_string(json_t *v, const char *what, const char *path, const char **out)
{
    if (!json_is_string(v))
        return wrong_type(v, what, path, "a string");
    *out = json_string_value(v);
    return 0;
}

int jread_bool(json_t *v, const char *what, const char *path, bool *out)
{
    if (!json_is_boolean(v))
        return wrong_type(v, what, path, "true or false");
    *out = json_is_true(v);
    return 0;
}

int jread_u64(json_t *v, const char *what, const char *path, uint64_t *out)
{
    if (!json_is_integer(v))
        return wrong_type(v, what, path, "a non-negative integer");
    json_int_t n = json_integer_value(v);
    if (n < 0)
        return fail(BPTEE_EPARSE, "%s: \"%s\": %lld is negative (expected 0 to %llu)", what, path,
                    (long long)n, BPTEE_CONFIG_INT_MAX);
    *out = (uint64_t)n;
    return 0;
}

static int unknown_value(const char *what, const char *path, const char *value,
                         const char *expected)
{
    char shown[64];
    quote_value(value, shown, sizeof shown);
    return fail(BPTEE_EPARSE, "%s: \"%s\": unknown value \"%s\" (expected %s)", what, path, shown,
                expected);
}

int jread_enum(json_t *v, const char *what, const char *path, const struct enum_table *t, int *out)
{
    const char *s = NULL;
    char expected[160];
    int r = jread_string(v, what, path, &s);
    if (r < 0)
        return r;
    int value = enum_lookup(t, s);
    if (value < 0) {
        enum_expected(t, expected, sizeof expected);
        return unknown_value(what, path, s, expected);
    }
    *out = value;
    return 0;
}

void selector_order_add(struct selector_order *order, int provider)
{
    for (uint8_t i = 0; i < order->n; i++)
        if (order->provider[i] == provider)
            return;
    if (order->n < BPTEE_PROVIDER_COUNT)
        order->provider[order->n++] = (uint8_t)provider;
}

static int read_allow_list(json_t *list, const char *what, const char *path, uint32_t *mask,
                           struct selector_order *order)
{
    char item[128];
    size_t i;
    json_t *v;
    snprintf(item, sizeof item, "%s.allow_list", path);
    if (!json_is_array(list))
        return wrong_type(list, what, item, "an array of providers");
    *mask = 0;
    json_array_foreach(list, i, v)
    {
        int p;
        snprintf(item, sizeof item, "%s.allow_list[%zu]", path, i);
        int r = jread_enum(v, what, item, &provider_table, &p);
        if (r < 0)
            return r;
        *mask |= 1u << p; /* a set: duplicates collapse, as "contains" treats them */
        if (order)
            selector_order_add(order, p);
    }
    return 0;
}

/* serde's externally tagged TeeProviderSelector: "any", {"any": null} or {"allow_list": [..]}. */
int jread_selector(json_t *v, const char *what, const char *path,
                   struct bptee_provider_selector *out, struct selector_order *order)
{
    if (order)
        order->n = 0;
    static const char shape[] = "\"any\" or {\"allow_list\": [...]}";
    if (json_is_string(v)) {
        if (strcmp(json_string_value(v), "any") != 0)
            return unknown_value(what, path, json_string_value(v), shape);
        bptee_provider_selector_any(out);
        return 0;
    }
    if (!json_is_object(v) || json_object_size(v) != 1)
        return wrong_type(v, what, path, "\"any\" or an object with the single key \"allow_list\"");
    const char *key = json_object_iter_key(json_object_iter(v));
    json_t *value = json_object_get(v, key);
    if (!strcmp(key, "any") && json_is_null(value)) {
        bptee_provider_selector_any(out);
        return 0;
    }
    if (strcmp(key, "allow_list") != 0) {
        char shown[64];
        quote_value(key, shown, sizeof shown);
        return fail(BPTEE_EPARSE, "%s: \"%s\": unknown variant \"%s\" (expected %s)", what, path,
                    shown, shape);
    }
    out->any = false;
    return read_allow_list(value, what, path, &out->allow, order);
}

json_t *selector_to_json(const struct bptee_provider_selector *sel,
                         const struct selector_order *order)
{
    if (sel->any)
        return json_string("any");
    json_t *list = json_array();
    uint32_t left = sel->allow;
    for (uint8_t i = 0; list && order && i < order->n; i++)
        if (left & (1u << order->provider[i])) {
            left &= ~(1u << order->provider[i]);
            json_array_append_new(list, json_string(enum_name(&provider_table, order->provider[i])));
        }
    for (int p = 0; list && p < BPTEE_PROVIDER_COUNT; p++)
        if (left & (1u << p))
            json_array_append_new(list, json_string(enum_name(&provider_table, p)));
    return list ? json_pack("{s:o}", "allow_list", list) : NULL;
}
