// SPDX-License-Identifier: Apache-2.0
/* JSON field helpers shared by the wire types. Byte fields follow serde's Vec<u8> (an array
 * of integers 0..255); base64 strings are accepted too. Unknown keys are ignored, as serde
 * does without deny_unknown_fields. */
#include <stdlib.h>
#include <string.h>

#include "exchange/exchange_private.h"
#include "util/codec.h"
#include "util/error.h"
#include "util/json.h"

json_t *wire_bytes_to_json(const uint8_t *data, size_t len, unsigned flags)
{
    if (flags & BPTEE_WIRE_JSON_BASE64) {
        char *s = b64_encode(data ? data : (const uint8_t *)"", len);
        json_t *j = s ? json_string(s) : NULL;
        free(s);
        return j;
    }
    json_t *arr = json_array();
    for (size_t i = 0; arr && i < len; i++) {
        if (json_array_append_new(arr, json_integer(data[i])) != 0) {
            json_decref(arr);
            return NULL;
        }
    }
    return arr;
}

static int bytes_from_array(const json_t *v, const char *what, const char *field, uint8_t **out,
                            size_t *len)
{
    size_t n = json_array_size(v);
    uint8_t *buf = malloc(n ? n : 1);
    if (!buf)
        return fail(BPTEE_ENOMEM, "%s: %s: out of memory", what, field);
    for (size_t i = 0; i < n; i++) {
        const json_t *e = json_array_get(v, i);
        if (!json_is_integer(e)) {
            free(buf);
            return fail(BPTEE_EPARSE, "%s: %s[%zu]: expected an integer 0..255, got %s", what,
                        field, i, json_is_real(e) ? "a real number" : "another JSON type");
        }
        json_int_t x = json_integer_value(e);
        if (x < 0 || x > 255) {
            free(buf);
            return fail(BPTEE_EPARSE, "%s: %s[%zu]: %lld is not a byte (0..255)", what, field, i,
                        (long long)x);
        }
        buf[i] = (uint8_t)x;
    }
    *out = buf;
    *len = n;
    return 0;
}

int wire_bytes_from_json(const json_t *v, const char *what, const char *field, uint8_t **out,
                         size_t *len)
{
    if (json_is_array(v))
        return bytes_from_array(v, what, field, out, len);
    if (!json_is_string(v))
        return fail(BPTEE_EPARSE, "%s: %s: expected an array of bytes or a base64 string", what,
                    field);
    size_t n = json_string_length(v);
    if (n == 0) { /* an empty string is zero bytes; libsodium wants at least one character */
        *out = malloc(1);
        *len = 0;
        return *out ? 0 : fail(BPTEE_ENOMEM, "%s: %s: out of memory", what, field);
    }
    int r = b64_decode_alloc(json_string_value(v), n, out, len, field);
    return r < 0 ? fail_prefix(r, "%s", what) : 0;
}

static int string_field(const json_t *obj, const char *what, const char *field, size_t max,
                        int required, char **out)
{
    const json_t *v = json_object_get(obj, field);
    *out = NULL;
    if (!v || json_is_null(v)) {
        if (!required)
            return 0;
        return fail(BPTEE_EPARSE, "%s: missing field `%s`", what, field);
    }
    if (!json_is_string(v))
        return fail(BPTEE_EPARSE, "%s: %s: expected a string", what, field);
    size_t n = json_string_length(v);
    if (n > max)
        return fail(BPTEE_ELIMIT, "%s: %s: %zu characters exceeds the limit of %zu", what, field,
                    n, max);
    if (memchr(json_string_value(v), '\0', n))
        return fail(BPTEE_EPARSE, "%s: %s: contains a NUL character", what, field);
    *out = strdup(json_string_value(v));
    return *out ? 0 : fail(BPTEE_ENOMEM, "%s: %s: out of memory", what, field);
}

int wire_string(const json_t *obj, const char *what, const char *field, size_t max, char **out)
{
    return string_field(obj, what, field, max, 1, out);
}

int wire_opt_string(const json_t *obj, const char *what, const char *field, size_t max,
                    char **out)
{
    return string_field(obj, what, field, max, 0, out);
}

int wire_parse_object(const char *json, size_t len, const char *what, json_t **out)
{
    json_t *j = NULL;
    if (!json && len)
        return fail(BPTEE_EINVAL, "%s: missing input", what);
    int r = json_parse_capped(json ? json : "", len, BPTEE_WIRE_JSON_MAX, what, &j);
    if (r < 0)
        return r;
    if (!json_is_object(j)) {
        json_decref(j);
        return fail(BPTEE_EPARSE, "%s: expected a JSON object", what);
    }
    *out = j;
    return 0;
}

int wire_dump(json_t *obj, unsigned flags, const char *what, char **out)
{
    char *s = obj ? json_to_string(obj, (flags & BPTEE_WIRE_JSON_PRETTY) != 0) : NULL;
    json_decref(obj);
    if (!s)
        return fail(BPTEE_ENOMEM, "%s: out of memory while writing JSON", what);
    *out = s;
    return 0;
}
