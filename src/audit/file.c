// SPDX-License-Identifier: Apache-2.0
/* The --audit-log file, bounded by size. Each file starts with a header line,
 * {"format": "bptee-audit-file-v1", "first_seq": N, "prev": HEX}: the seq of its first entry
 * and the chain value before it. So when PATH is rotated to PATH.1 the chain does not break:
 * the new file says where it picks up, and bptee_audit_file_verify checks that it picks up
 * exactly where the file before it ended. Rotation runs under the log's lock, before the
 * line that would not fit is written; if it fails, that entry is not logged (fail closed). */
#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "audit/audit_private.h"
#include "util/error.h"
#include "util/file.h"

#define W "audit log"

static int write_header(int fd, uint64_t next_seq, const uint8_t prev[32])
{
    char hex[65], line[200];
    sodium_bin2hex(hex, sizeof hex, prev, 32);
    int n = snprintf(line, sizeof line,
                     "{\"format\":\"" AUDIT_FILE_FORMAT "\",\"first_seq\":%llu,\"prev\":\"%s\"}\n",
                     (unsigned long long)next_seq, hex);
    int rc = fd_write_all(fd, line, (size_t)n);
    return rc < 0 ? fail(BPTEE_EIO, W ": cannot write the file's header: %s", strerror(-rc)) : 0;
}

int audit_file_open(const char *path, uint64_t next_seq, const uint8_t prev[32])
{
    struct stat st;
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY, 0600);
    if (fd < 0)
        return fail(BPTEE_EIO, W ": %s: %s", path, strerror(errno));
    int rc = fstat(fd, &st) < 0 ? fail(BPTEE_EIO, W ": %s: %s", path, strerror(errno)) : 0;
    if (rc == 0 && st.st_size == 0)
        rc = write_header(fd, next_seq, prev);
    if (rc < 0) {
        close(fd);
        return rc;
    }
    return fd;
}

/* PATH.n for n >= 1, PATH for 0. */
static int numbered(char *out, size_t cap, const char *path, unsigned n)
{
    int len = n ? snprintf(out, cap, "%s.%u", path, n) : snprintf(out, cap, "%s", path);
    return len > 0 && (size_t)len < cap ? 0 : fail(BPTEE_EINVAL, W ": path too long: %s", path);
}

static int rotate(const char *path, unsigned keep)
{
    char from[4096], to[4096];
    for (unsigned n = keep; n >= 1; n--) { /* PATH.(keep-1) -> PATH.keep, ..., PATH -> PATH.1 */
        if (numbered(from, sizeof from, path, n - 1) < 0 || numbered(to, sizeof to, path, n) < 0)
            return BPTEE_EINVAL;
        if (rename(from, to) < 0 && errno != ENOENT)
            return fail(BPTEE_EIO, W ": rotating %s to %s: %s", from, to, strerror(errno));
    }
    return 0;
}

int audit_file_make_room(int *fd, const char *path, uint64_t max, unsigned keep, size_t need,
                         uint64_t next_seq, const uint8_t prev[32])
{
    struct stat st;
    if (fstat(*fd, &st) < 0)
        return fail(BPTEE_EIO, W ": %s: %s", path, strerror(errno));
    if ((uint64_t)st.st_size + need <= max)
        return 0;
    int rc = rotate(path, keep);
    if (rc < 0)
        return rc;
    int nfd = audit_file_open(path, next_seq, prev);
    if (nfd < 0)
        return nfd;
    close(*fd);
    *fd = nfd;
    return 0;
}
