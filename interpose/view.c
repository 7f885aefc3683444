// SPDX-License-Identifier: Apache-2.0
/* View mode (BPTEE_SECRET_VIEW=1): `bptee run` has made each declared path a real read-only
 * file in the job's own mount namespace, so the kernel serves it to every binary and this
 * library serves nothing. Every call goes to libc with the caller's arguments; when one on a
 * declared path fails as a voided view file does (EACCES: revoked; ENOENT: never granted, or
 * the agent is gone), the job still gets the one line that says why, once, errno untouched. */
#include <errno.h>

#include "preload.h"

int bp_view_note(size_t idx, int rc)
{
    int err = errno;
    struct bp_secret *s = &bp_cfg.secrets[idx];
    if (rc < 0 && (err == EACCES || err == ENOENT) &&
        !__atomic_exchange_n(&s->reported, 1, __ATOMIC_ACQ_REL)) {
        bp_write_line("bptee: secret '%s' (%s): not available (revoked, not granted, or the "
                      "agent is gone)",
                      s->name, s->path);
        errno = err;
    }
    return rc;
}

FILE *bp_view_note_file(size_t idx, FILE *f)
{
    if (!f)
        bp_view_note(idx, -1);
    return f;
}
