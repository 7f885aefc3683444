/* SPDX-License-Identifier: Apache-2.0 */
/* Versioned option structs (private): every public options struct begins with `size_t sz`
 * (the caller's sizeof) and an int64_t, so older and newer callers can be told apart. */
#ifndef BPTEE_UTIL_OPTS_H
#define BPTEE_UTIL_OPTS_H

#include <stddef.h>

/* Copy the caller's options into out (out_size bytes): an older caller's shorter struct
 * leaves the new fields zero; a newer caller's longer one is refused unless its extra fields
 * are zero (unknown options cannot be honoured). Errors begin with `what` ("snp: verify"). */
int opts_copy(const void *in, void *out, size_t out_size, const char *what);

#endif
