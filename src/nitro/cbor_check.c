// SPDX-License-Identifier: Apache-2.0
/* A pass over untrusted CBOR before libcbor builds items from it. cbor_load allocates an array
 * or map for the count its header declares, so four bytes could ask for gigabytes; here every
 * declared count must fit in the bytes that remain (each entry takes at least one byte), and
 * indefinite lengths, which the NSM never writes, are refused. */
#include "nitro/internal.h"
#include "util/error.h"

struct walk {
    size_t remaining; /* bytes after the current header, an upper bound for any count */
    int bad;
};

static void array_start(void *ctx, size_t n)
{
    struct walk *w = ctx;
    if (n > w->remaining)
        w->bad = 1;
}

static void map_start(void *ctx, size_t n)
{
    struct walk *w = ctx;
    if (n > w->remaining / 2)
        w->bad = 1;
}

static void indefinite(void *ctx)
{
    ((struct walk *)ctx)->bad = 1;
}

int nitro_cbor_check(const uint8_t *data, size_t len, const char *what)
{
    struct cbor_callbacks cb = cbor_empty_callbacks;
    cb.array_start = array_start;
    cb.map_start = map_start;
    cb.indef_array_start = indefinite;
    cb.indef_map_start = indefinite;
    cb.byte_string_start = indefinite;
    cb.string_start = indefinite;
    struct walk w = {0};
    for (size_t pos = 0; pos < len;) {
        w.remaining = len - pos;
        struct cbor_decoder_result r = cbor_stream_decode(data + pos, len - pos, &cb, &w);
        if (r.status != CBOR_DECODER_FINISHED || r.read == 0)
            return fail(BPTEE_EPARSE, "nitro: %s is truncated or not CBOR (byte %zu)", what, pos);
        w.remaining -= r.read;
        if (w.bad)
            return fail(BPTEE_EPARSE, "nitro: %s declares more entries than it has bytes, or an "
                                      "indefinite length (byte %zu)",
                        what, pos);
        pos += r.read;
    }
    return 0;
}
