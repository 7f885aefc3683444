// SPDX-License-Identifier: Apache-2.0
/* Versioned option structs, copied one way for every module. */
#include <stdint.h>
#include <string.h>

#include "util/bytes.h"
#include "util/error.h"
#include "util/opts.h"

int opts_copy(const void *in, void *out, size_t out_size, const char *what)
{
    size_t sz;
    memset(out, 0, out_size);
    memcpy(&sz, in, sizeof sz);
    if (sz < sizeof sz + sizeof(int64_t))
        return fail(BPTEE_EINVAL, "%s options too small (sz %zu)", what, sz);
    if (sz > out_size && !all_zero((const uint8_t *)in + out_size, sz - out_size))
        return fail(BPTEE_EINVAL, "%s options carry fields this library does not know", what);
    memcpy(out, in, sz < out_size ? sz : out_size);
    return 0;
}
