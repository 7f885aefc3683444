// SPDX-License-Identifier: Apache-2.0
/* Delivering a secret to a job: a memfd (memory only, never a file on disk) sealed so nobody
 * holding it can change, grow, shrink or unseal it, handed out read-only. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <bptee/secrets.h>

#include "util/cleanup.h"
#include "util/error.h"
#include "util/file.h"

/* memfd_create's name limit is 249 bytes; ours are short labels. */
#define LABEL_MAX 200
#define ALL_SEALS (F_SEAL_WRITE | F_SEAL_GROW | F_SEAL_SHRINK | F_SEAL_SEAL)

/* The write-sealed memfd reopened O_RDONLY, so even the descriptor's mode says read-only.
 * Without /proc (a bare chroot) the sealed descriptor itself is returned: the seals already
 * refuse every write, truncation and unsealing. */
static int reopen_read_only(int fd)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    int ro = open(path, O_RDONLY | O_CLOEXEC);
    if (ro < 0)
        return lseek(fd, 0, SEEK_SET) == 0 ? fd : -1;
    safe_close(fd);
    return ro;
}

int bptee_secret_memfd(const char *label, const uint8_t *data, size_t len, int *fd_out)
{
    if (!fd_out || (!data && len))
        return fail(BPTEE_EINVAL, "secret memfd: missing data or output");
    if (!label)
        label = "bptee-secret";
    if (strlen(label) > LABEL_MAX)
        return fail(BPTEE_EINVAL, "secret memfd: label longer than %d bytes", LABEL_MAX);
    int fd = memfd_create(label, MFD_CLOEXEC | MFD_ALLOW_SEALING);
    if (fd < 0)
        return fail(BPTEE_EIO, "secret memfd: memfd_create: %s", strerror(errno));
    int r = len ? fd_write_all(fd, data, len) : 0;
    if (r < 0) {
        safe_close(fd);
        return fail(BPTEE_EIO, "secret memfd: write: %s", strerror(-r));
    }
    if (fcntl(fd, F_ADD_SEALS, ALL_SEALS) != 0) {
        int e = errno;
        safe_close(fd);
        return fail(BPTEE_EIO, "secret memfd: F_ADD_SEALS: %s", strerror(e));
    }
    int ro = reopen_read_only(fd);
    if (ro < 0) {
        int e = errno;
        safe_close(fd);
        return fail(BPTEE_EIO, "secret memfd: cannot rewind: %s", strerror(e));
    }
    *fd_out = ro;
    return 0;
}

int bptee_secret_make_nondumpable(void)
{
    if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0)
        return fail(BPTEE_EIO, "secrets: prctl(PR_SET_DUMPABLE, 0): %s", strerror(errno));
    return 0;
}
