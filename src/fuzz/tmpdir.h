/* SPDX-License-Identifier: Apache-2.0 */
/* A private temporary folder for a fuzz target (a simulator's state, a socket), removed with
 * everything in it when the run ends, so runs leave nothing behind in /tmp. */
#ifndef BPTEE_FUZZ_TMPDIR_H
#define BPTEE_FUZZ_TMPDIR_H

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char fuzz_tmpdir_path[64];

static int fuzz_tmpdir_remove_one(const char *path, const struct stat *st, int type,
                                  struct FTW *ftw)
{
    (void)st, (void)type, (void)ftw;
    remove(path);
    return 0;
}

static void fuzz_tmpdir_remove(void)
{
    nftw(fuzz_tmpdir_path, fuzz_tmpdir_remove_one, 8, FTW_DEPTH | FTW_PHYS);
}

/* Make /tmp/bptee-fuzz-NAME-XXXXXX once; its path, or NULL. */
static inline const char *fuzz_tmpdir(const char *name)
{
    if (fuzz_tmpdir_path[0])
        return fuzz_tmpdir_path;
    snprintf(fuzz_tmpdir_path, sizeof fuzz_tmpdir_path, "/tmp/bptee-fuzz-%s-XXXXXX", name);
    if (!mkdtemp(fuzz_tmpdir_path)) {
        fuzz_tmpdir_path[0] = '\0';
        return NULL;
    }
    atexit(fuzz_tmpdir_remove);
    return fuzz_tmpdir_path;
}

#endif
