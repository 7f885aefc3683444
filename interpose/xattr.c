// SPDX-License-Identifier: Apache-2.0
/* Extended attributes of a secret path: none. `ls -l` asks for the SELinux label
 * (lgetxattr through libselinux) and the POSIX ACL (getxattr) after statx, and reports an
 * error unless the file answers "no such attribute". */
#include <errno.h>
#include <fcntl.h>
#include <sys/xattr.h>

#include "preload.h"

static ssize_t enosys(void)
{
    errno = ENOSYS;
    return -1;
}

/* An unavailable secret fails closed here too; an available one has no attributes. */
static ssize_t secret_xattr(size_t idx, int listing)
{
    int saved = errno;
    struct bp_ref ref;
    if (bp_secret_acquire(idx, &ref) < 0)
        return -1;
    bp_secret_release(&ref);
    if (listing) {
        errno = saved;
        return 0;
    }
    errno = ENODATA;
    return -1;
}

#define XATTR_BODY(fn, path, listing, ...)                                                         \
    if (bp_unlikely(!bp_init()))                                                                   \
        return bp_real.fn ? bp_real.fn(__VA_ARGS__) : enosys();                                    \
    int idx = bp_path_match(AT_FDCWD, path);                                                       \
    if (idx < 0 || bp_cfg.view)                                                                    \
        return bp_real.fn ? bp_real.fn(__VA_ARGS__) : enosys();                                    \
    return secret_xattr((size_t)idx, listing)

BP_EXPORT ssize_t getxattr(const char *path, const char *name, void *value, size_t size)
{
    XATTR_BODY(getxattr, path, 0, path, name, value, size);
}

BP_EXPORT ssize_t lgetxattr(const char *path, const char *name, void *value, size_t size)
{
    XATTR_BODY(lgetxattr, path, 0, path, name, value, size);
}

BP_EXPORT ssize_t listxattr(const char *path, char *list, size_t size)
{
    XATTR_BODY(listxattr, path, 1, path, list, size);
}

BP_EXPORT ssize_t llistxattr(const char *path, char *list, size_t size)
{
    XATTR_BODY(llistxattr, path, 1, path, list, size);
}
