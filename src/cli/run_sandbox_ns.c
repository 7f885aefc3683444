// SPDX-License-Identifier: Apache-2.0
/* Working in the job's mount namespace from bptee run. The job's sandbox has a file system of
 * its own (a fresh /tmp, a read-only root), while bptee run must keep seeing the caller's: the
 * agent's socket may lie in the caller's /tmp, and the result and sidecar are written there.
 * So bptee run stays home and steps into the job's namespace only to change the secret view
 * (build, rotate, revoke), and straight back. setns resets the root and working directory to
 * the namespace's own, so both are saved and restored (a chroot's root is no namespace
 * root). Only a single-threaded process may do this, which bptee run is. */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/run.h"
#include "cli/run_sandbox.h"

static void close_all(struct run_nsjump *j)
{
    int *fds[] = {&j->home_ns, &j->home_root, &j->home_cwd, &j->job_ns, &j->job_root};
    for (size_t i = 0; i < sizeof fds / sizeof fds[0]; i++) {
        if (*fds[i] >= 0)
            close(*fds[i]);
        *fds[i] = -1;
    }
}

int run_nsjump_open(struct run_nsjump *j, int job_ns, int job_root)
{
    j->home_ns = open("/proc/self/ns/mnt", O_RDONLY | O_CLOEXEC);
    j->home_root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
    j->home_cwd = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
    j->job_ns = fcntl(job_ns, F_DUPFD_CLOEXEC, 3);
    j->job_root = fcntl(job_root, F_DUPFD_CLOEXEC, 3);
    if (j->home_ns < 0 || j->home_root < 0 || j->home_cwd < 0 || j->job_ns < 0 ||
        j->job_root < 0) {
        int e = errno;
        close_all(j);
        return run_say(-1, "sandbox: cannot hold the job's namespace: %s", strerror(e));
    }
    return 0;
}

static int jump(int ns, int root)
{
    return setns(ns, CLONE_NEWNS) == 0 && fchdir(root) == 0 && chroot(".") == 0 ? 0 : -1;
}

void run_nsjump_enter(const struct run_nsjump *j)
{
    if (jump(j->job_ns, j->job_root) == 0)
        return;
    /* The view can then not be changed: rather than leave a revoked secret readable, bptee
     * run stops, and the job (its parent-death signal set) with it. */
    run_say(0, "sandbox: cannot enter the job's namespace: %s", strerror(errno));
    _exit(RUN_EXIT_FAILURE);
}

void run_nsjump_leave(const struct run_nsjump *j)
{
    if (jump(j->home_ns, j->home_root) == 0 && fchdir(j->home_cwd) == 0)
        return;
    /* Stuck in the job's file system, bptee run would write the result where the job
     * writes: it stops, and the job (its parent-death signal set) with it. */
    run_say(0, "sandbox: cannot return from the job's namespace: %s", strerror(errno));
    _exit(RUN_EXIT_FAILURE);
}

void run_nsjump_close(struct run_nsjump *j)
{
    close_all(j);
}
