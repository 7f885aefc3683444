// SPDX-License-Identifier: Apache-2.0
/* libFuzzer: the SealedSecretResult JSON parser (docs/exchange.md). Whatever parses
 * must write back out, and what it writes must parse again and write the same bytes, in both
 * byte encodings (integer arrays, base64). */
#include <stdlib.h>
#include <string.h>

#include <bptee/exchange.h>

static char *roundtrip(const char *json, size_t len, unsigned flags)
{
    struct bptee_sealed_secret_result *v = NULL;
    char *out = NULL;
    if (bptee_sealed_secret_result_from_json(json, len, &v) != 0)
        abort(); /* our own output must parse */
    if (bptee_sealed_secret_result_to_json(v, flags, &out) != 0)
        abort();
    bptee_sealed_secret_result_free(v);
    return out;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct bptee_sealed_secret_result *v = NULL;
    if (bptee_sealed_secret_result_from_json((const char *)data, size, &v) != 0)
        return 0;
    static const unsigned flags[] = {0, BPTEE_WIRE_JSON_BASE64 | BPTEE_WIRE_JSON_PRETTY};
    for (size_t i = 0; i < sizeof flags / sizeof flags[0]; i++) {
        char *first = NULL;
        if (bptee_sealed_secret_result_to_json(v, flags[i], &first) != 0)
            abort(); /* everything that parses can be written */
        char *again = roundtrip(first, strlen(first), flags[i]);
        if (strcmp(first, again) != 0)
            abort();
        free(first);
        free(again);
    }
    bptee_sealed_secret_result_free(v);
    return 0;
}
