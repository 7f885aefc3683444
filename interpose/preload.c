// SPDX-License-Identifier: Apache-2.0
/* libbptee-preload.so: the LD_PRELOAD interposer. It links libc alone (DESIGN.md contract 9).
 * For now it only announces itself when the operator asks for debug output; the secret paths
 * and result attestation arrive with the interposer issue. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

__attribute__((constructor)) static void bptee_preload_init(void)
{
    const char *debug = secure_getenv("BPTEE_PRELOAD_DEBUG");
    if (debug && debug[0] == '1') {
        static const char msg[] = "bptee: preload loaded\n";
        ssize_t w = write(STDERR_FILENO, msg, sizeof msg - 1);
        (void)w;
    }
}
