// SPDX-License-Identifier: Apache-2.0
/* Results of jobs started with LD_PRELOAD by hand (DESIGN.md contract 9): when the job declares
 * a result file (BPTEE_RESULT_FILE, with BPTEE_JOB_ID and BPTEE_AGENT_SOCKET), an on_exit
 * handler hands the file and its directory to the agent at a successful exit (status 0 only:
 * glibc gives on_exit the status; a signal or _exit runs no handler), and the agent attests it
 * as `bptee run` would, replacing the file atomically. All crypto and JSON stay in the agent:
 * this is plain libc. A job that exited 0 but whose result could not be attested must not
 * look like a success: one stderr line, and the process exits BP_RESULT_EXIT instead. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "preload.h"

/* The exit status of a job that exited 0 with a result that was not attested: 125, as
 * `bptee run` exits when it fails after its job (docs/interposer.md). */
#define BP_RESULT_EXIT 125

static char result_path[PATH_MAX];
/* Why the declaration itself cannot be honoured (told at a successful exit), or "". */
static char declare_error[160];
/* The process that declared the result: a fork child that exits 0 runs the handler too, and
 * must not attest a result its parent may still be writing. */
static pid_t result_pid;

/* Hand the file to the agent; "" in reason when it was attested. */
static void attest_result(char *reason, size_t cap)
{
    char dir[PATH_MAX];
    strcpy(dir, result_path);
    char *slash = strrchr(dir, '/');
    slash[slash == dir ? 1 : 0] = '\0'; /* "/name" lives in "/" */
    /* Read-only: the agent replaces the file by name, never writes through this descriptor.
     * O_NONBLOCK: a FIFO planted at the path must not hang the exit (it is refused). */
    int file = bp_raw_openat(AT_FDCWD, result_path,
                             O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOFOLLOW, 0);
    int dfd = file < 0 ? -1 : bp_raw_openat(AT_FDCWD, dir, O_PATH | O_DIRECTORY | O_CLOEXEC, 0);
    if (file < 0 && errno == ELOOP)
        snprintf(reason, cap, "it is a symbolic link (refused)");
    else if (file < 0 || dfd < 0)
        snprintf(reason, cap, "cannot open %s: %s", file < 0 ? "it" : "its directory",
                 bp_errname(errno));
    else if (bp_agent_result(bp_cfg.socket, bp_cfg.job_id, file, dfd, reason, cap) == 0)
        reason[0] = '\0';
    if (file >= 0)
        close(file);
    if (dfd >= 0)
        close(dfd);
}

static void result_at_exit(int status, void *arg)
{
    char reason[320];
    (void)arg;
    if (status != 0 || getpid() != result_pid)
        return;
    int saved = errno;
    fflush(NULL); /* stdio streams on the result file are flushed after the handlers */
    if (declare_error[0])
        snprintf(reason, sizeof reason, "%s", declare_error);
    else
        attest_result(reason, sizeof reason);
    errno = saved;
    if (!reason[0])
        return;
    bp_write_line("bptee: result '%s' of job %s not attested: %s (exit status %d)",
                  result_path, bp_cfg.job_id[0] ? bp_cfg.job_id : "?",
                  reason, BP_RESULT_EXIT);
    /* exit() cannot be called again from a handler; stdio is flushed above. Handlers that
     * were registered before ours (few: ours is registered while the job starts) are
     * skipped, as with any _exit. */
    _exit(BP_RESULT_EXIT);
}

void bp_result_init(void)
{
    const char *file = secure_getenv("BPTEE_RESULT_FILE");
    char cwd[PATH_MAX];
    if (!file || !*file)
        return;
    /* Only this process owns the result: no child, preloaded or not, sees the declaration. */
    int absolute = file[0] == '/';
    if (!bp_cfg.job_id[0] || !bp_cfg.socket[0])
        snprintf(declare_error, sizeof declare_error,
                 "BPTEE_RESULT_FILE needs BPTEE_JOB_ID (a valid job id) and BPTEE_AGENT_SOCKET");
    else if ((!absolute && !getcwd(cwd, sizeof cwd)) ||
             snprintf(result_path, sizeof result_path, "%s%s%s", absolute ? "" : cwd,
                      absolute ? "" : "/", file) >= (int)sizeof result_path)
        snprintf(declare_error, sizeof declare_error, "the path is too long");
    if (declare_error[0]) /* named as given in the line at exit */
        snprintf(result_path, sizeof result_path, "%s", file);
    result_pid = getpid();
    if (on_exit(result_at_exit, NULL) != 0)
        bp_write_line("bptee: result: on_exit failed: the result will not be attested");
    unsetenv("BPTEE_RESULT_FILE");
}
