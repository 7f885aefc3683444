// SPDX-License-Identifier: Apache-2.0
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>

#include <bptee/common.h>

/* libsodium must be initialised before any of its calls; doing it when the library loads means
 * no API function can be reached first. sodium_init only fails when no entropy source exists,
 * and then nothing bptee does would be safe. */
__attribute__((constructor)) static void bptee_library_init(void)
{
    if (sodium_init() < 0) {
        fputs("bptee: libsodium could not be initialised (no entropy source)\n", stderr);
        abort();
    }
}

const char *bptee_version(void)
{
    return BPTEE_VERSION;
}
