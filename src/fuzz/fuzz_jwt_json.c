// SPDX-License-Identifier: Apache-2.0
/* libFuzzer: the token JSON scanner (src/jwt/json_scan.c) against jansson. Whatever the scanner
 * accepts, jansson with JSON_REJECT_DUPLICATES must accept too, as an object whose top-level
 * members are where the scanner says: the scanner may be stricter, never more lenient. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "jwt/internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const names[] = {"exp", "nbf", "iat", "alg"};
    struct json_span spans[4];
    char *text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    if (jwt_json_scan(text, size, "fuzz", names, spans, 4) == 0) {
        json_error_t e;
        json_t *j = json_loadb(text, size, JSON_REJECT_DUPLICATES, &e);
        if (!json_is_object(j))
            abort(); /* the scanner accepted what jansson refuses */
        for (int i = 0; i < 4; i++) {
            json_t *v = json_object_get(j, names[i]);
            int64_t n;
            if (!spans[i].kind != !v)
                abort();
            if (spans[i].kind == 'i' &&
                (json_scan_int(&spans[i], &n) < 0 || !json_is_integer(v) ||
                 json_integer_value(v) != n))
                abort();
            if (spans[i].kind == 's' && !spans[i].escaped &&
                (!json_is_string(v) || json_string_length(v) != spans[i].len ||
                 memcmp(json_string_value(v), spans[i].p, spans[i].len)))
                abort();
        }
        json_decref(j);
    }
    free(text);
    return 0;
}
