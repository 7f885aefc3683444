/* SPDX-License-Identifier: Apache-2.0 */
/* The round-trip harness every wire message's fuzz target shares (docs/exchange.md): whatever
 * parses must write back out, and what it writes must parse again and write the same bytes, in
 * both byte encodings (integer arrays, base64). WIRE_ROUNDTRIP_FUZZER(name) defines
 * LLVMFuzzerTestOneInput over struct bptee_<name> and bptee_<name>_{from_json,to_json,free}. */
#ifndef BPTEE_FUZZ_WIRE_ROUNDTRIP_H
#define BPTEE_FUZZ_WIRE_ROUNDTRIP_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <bptee/exchange.h>

/* One message type's parser, writer and destructor, behind untyped pointers. */
struct wire_ops {
    int (*from_json)(const char *json, size_t len, void **out);
    int (*to_json)(const void *v, unsigned flags, char **out);
    void (*free)(void *v);
};

/* Parse our own output and write it again (abort: our output must parse and write). */
static inline char *wire_rewrite(const struct wire_ops *ops, const char *json, unsigned flags)
{
    void *v = NULL;
    char *out = NULL;
    if (ops->from_json(json, strlen(json), &v) != 0)
        abort(); /* our own output must parse */
    if (ops->to_json(v, flags, &out) != 0)
        abort();
    ops->free(v);
    return out;
}

static inline int wire_roundtrip(const struct wire_ops *ops, const uint8_t *data, size_t size)
{
    void *v = NULL;
    if (ops->from_json((const char *)data, size, &v) != 0)
        return 0;
    static const unsigned flags[] = {0, BPTEE_WIRE_JSON_BASE64 | BPTEE_WIRE_JSON_PRETTY};
    for (size_t i = 0; i < sizeof flags / sizeof flags[0]; i++) {
        char *first = NULL;
        if (ops->to_json(v, flags[i], &first) != 0)
            abort(); /* everything that parses can be written */
        char *again = wire_rewrite(ops, first, flags[i]);
        if (strcmp(first, again) != 0)
            abort();
        free(first);
        free(again);
    }
    ops->free(v);
    return 0;
}

/* Typed thunks for bptee_<name>_*, and the fuzzer entry point over them. */
#define WIRE_ROUNDTRIP_FUZZER(name)                                                                \
    static int from_json(const char *json, size_t len, void **out)                                 \
    {                                                                                              \
        struct bptee_##name *v = NULL;                                                             \
        int r = bptee_##name##_from_json(json, len, &v);                                           \
        *out = v;                                                                                  \
        return r;                                                                                  \
    }                                                                                              \
    static int to_json(const void *v, unsigned flags, char **out)                                  \
    {                                                                                              \
        return bptee_##name##_to_json(v, flags, out);                                              \
    }                                                                                              \
    static void free_value(void *v)                                                                \
    {                                                                                              \
        bptee_##name##_free(v);                                                                    \
    }                                                                                              \
    int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);                                  \
    int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)                                   \
    {                                                                                              \
        static const struct wire_ops ops = {from_json, to_json, free_value};                       \
        return wire_roundtrip(&ops, data, size);                                                   \
    }

#endif
