// SPDX-License-Identifier: Apache-2.0
/* libFuzzer: the interposer's check whether the job's main binary is a Go program
 * (interpose/goexe.c), which reads that ELF file's headers, section names and notes before the
 * job runs. The input is written to a memfd and read through its /proc/self/fd path, as the
 * interposer reads /proc/self/exe. Seeds: a C binary and a Go binary of the system
 * (fuzz_preload_goexe.options keeps inputs to their first 64 KiB, where the headers and the
 * Go note lie). */
#include <sys/mman.h>

#include "preload_support.h"
#include "../../interpose/goexe.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[40];
    int fd = memfd_create("elf", MFD_CLOEXEC);
    if (fd < 0)
        abort();
    if (size > 0 && write(fd, data, size) != (ssize_t)size)
        abort();
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    (void)bp_exe_is_go(path);
    close(fd);
    return 0;
}
