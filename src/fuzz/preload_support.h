/* SPDX-License-Identifier: Apache-2.0 */
/* The interposer's parsers, compiled into a fuzz target as they are (interpose/ is not edited
 * for fuzzing): spec.c (the hand-down variables) and paths.c, which it normalises paths with,
 * are included whole, so a target can also reset the static storage spec.c fills once per
 * process. init.c stays out: its constructor would take this process over (resolve the libc
 * originals, read and scrub BPTEE_* variables); of it these files need only bp_errname, which
 * is repeated here as init.c has it. Include this header once per target. */
#ifndef BPTEE_FUZZ_PRELOAD_SUPPORT_H
#define BPTEE_FUZZ_PRELOAD_SUPPORT_H

#include <sys/syscall.h>

#include "../../interpose/paths.c"
#include "../../interpose/spec.c"

const char *bp_errname(int err)
{
    const char *s = strerrordesc_np(err);
    return s ? s : "unknown error";
}

int bp_raw_openat(int dirfd, const char *path, int flags, mode_t mode)
{
    return (int)syscall(SYS_openat, dirfd, path, flags, mode);
}

/* Forget every declaration, as a fresh process would start. */
static inline void preload_spec_reset(void)
{
    memset(&bp_cfg, 0, sizeof bp_cfg);
    arena_used = 0;
}

#endif
