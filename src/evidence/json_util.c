// SPDX-License-Identifier: Apache-2.0
/* JSON helpers for the report: byte fields in both spellings, type names for errors, and
 * output that matches serde_json byte for byte. */
#include <stdlib.h>
#include <string.h>

#include "evidence/report.h"
#include "util/codec.h"
#include "util/error.h"

const char *json_type_name(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT:
        return "an object";
    case JSON_ARRAY:
        return "an array";
    case JSON_STRING:
        return "a string";
    case JSON_INTEGER:
        return "an integer";
    case JSON_REAL:
        return "a real number";
    case JSON_TRUE:
    case JSON_FALSE:
        return "a boolean";
    default:
        return "null";
    }
}

static json_t *byte_array(const struct bytes *b)
{
    json_t *a = json_array();
    for (size_t i = 0; a && i < b->len; i++)
        if (json_array_append_new(a, json_integer(b->data[i]))) {
            json_decref(a);
            return NULL;
        }
    return a;
}

json_t *json_from_bytes(const struct bytes *b, unsigned flags)
{
    if (flags & BPTEE_REPORT_JSON_BYTE_ARRAYS)
        return byte_array(b);
    char *s = b64_encode(b->data ? b->data : (const uint8_t *)"", b->len);
    json_t *j = s ? json_string(s) : NULL;
    free(s);
    return j;
}

static int from_array(const json_t *a, const char *path, struct bytes *out)
{
    size_t n = json_array_size(a);
    uint8_t *buf = malloc(n + 1);
    if (!buf)
        return fail(BPTEE_ENOMEM, "report: %s: out of memory", path);
    for (size_t i = 0; i < n; i++) {
        const json_t *e = json_array_get(a, i);
        if (!json_is_integer(e) || json_integer_value(e) < 0 || json_integer_value(e) > 255) {
            free(buf);
            if (!json_is_integer(e))
                return fail(BPTEE_EPARSE, "report: %s[%zu]: expected a byte (0..255), got %s", path,
                            i, json_type_name(e));
            return fail(BPTEE_EPARSE, "report: %s[%zu]: %lld is not a byte (0..255)", path, i,
                        (long long)json_integer_value(e));
        }
        buf[i] = (uint8_t)json_integer_value(e);
    }
    free(out->data);
    out->data = buf;
    out->len = n;
    return 0;
}

static int from_base64(const json_t *s, const char *path, struct bytes *out)
{
    char what[160];
    uint8_t *buf = NULL;
    size_t len = 0;
    snprintf(what, sizeof what, "report: %s", path);
    int rc = b64_decode_alloc(json_string_value(s), json_string_length(s), &buf, &len, what);
    if (rc < 0)
        return rc;
    free(out->data);
    out->data = buf;
    out->len = len;
    return 0;
}

int json_to_bytes(const json_t *v, const char *path, struct bytes *out)
{
    if (json_is_array(v))
        return from_array(v, path, out);
    if (json_is_string(v))
        return from_base64(v, path, out);
    return fail(BPTEE_EPARSE, "report: %s: expected a byte array or a base64 string, got %s", path,
                v ? json_type_name(v) : "nothing");
}

/* jansson writes control characters as \u001F where serde_json writes \u001f. Outside
 * strings a JSON text has no backslash, and inside one "\\" is consumed as a pair, so this
 * walk only ever touches the hex digits of a \u escape. */
static void lowercase_unicode_escapes(char *s)
{
    for (size_t i = 0; s[i]; i++) {
        if (s[i] != '\\' || !s[i + 1])
            continue;
        if (s[++i] != 'u')
            continue;
        for (int k = 0; k < 4 && s[i + 1]; k++, i++)
            if (s[i + 1] >= 'A' && s[i + 1] <= 'F')
                s[i + 1] = (char)(s[i + 1] - 'A' + 'a');
    }
}

char *json_dump_serde(const json_t *v, unsigned flags)
{
    size_t f = JSON_PRESERVE_ORDER | JSON_ENCODE_ANY;
    f |= (flags & BPTEE_REPORT_JSON_PRETTY) ? JSON_INDENT(2) : JSON_COMPACT;
    char *s = json_dumps(v, f);
    if (s)
        lowercase_unicode_escapes(s);
    return s;
}
