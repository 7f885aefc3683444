// SPDX-License-Identifier: Apache-2.0
/* Results of jobs started with LD_PRELOAD by hand (DESIGN.md contract 9): when the job declares
 * a result file (BPTEE_RESULT_FILE, with BPTEE_JOB_ID and BPTEE_AGENT_SOCKET), an on_exit
 * handler hands the file and its directory to the agent at a successful exit (status 0 only:
 * glibc gives on_exit the status; a signal or _exit runs no handler), and the agent attests it
 * as `bptee run` would. All crypto and JSON stay in the agent: this is plain libc. A failure is
 * one stderr line; the exit status is never changed. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "preload.h"

static char result_path[PATH_MAX];
/* The process that declared the result: a fork child that exits 0 runs the handler too, and
 * must not attest a result its parent may still be writing. */
static pid_t result_pid;

static void result_at_exit(int status, void *arg)
{
    char dir[PATH_MAX], reason[320];
    (void)arg;
    if (status != 0 || getpid() != result_pid)
        return;
    int saved = errno;
    fflush(NULL); /* stdio streams on the result file are flushed after the handlers */
    strcpy(dir, result_path);
    char *slash = strrchr(dir, '/');
    slash[slash == dir ? 1 : 0] = '\0'; /* "/name" lives in "/" */
    int file = bp_raw_openat(AT_FDCWD, result_path, O_RDWR | O_CLOEXEC | O_NOFOLLOW, 0);
    int dfd = file < 0 ? -1 : bp_raw_openat(AT_FDCWD, dir, O_PATH | O_DIRECTORY | O_CLOEXEC, 0);
    if (file < 0 || dfd < 0)
        snprintf(reason, sizeof reason, "cannot open %s: %s", file < 0 ? "it" : "its directory",
                 bp_errname(errno));
    if (file >= 0 && dfd >= 0 &&
        bp_agent_result(bp_cfg.socket, bp_cfg.job_id, file, dfd, reason, sizeof reason) == 0)
        reason[0] = '\0';
    if (reason[0])
        bp_write_line("bptee: result '%s' of job %s not attested: %s", result_path,
                      bp_cfg.job_id, reason);
    if (file >= 0)
        close(file);
    if (dfd >= 0)
        close(dfd);
    errno = saved;
}

void bp_result_init(void)
{
    const char *file = secure_getenv("BPTEE_RESULT_FILE");
    char cwd[PATH_MAX];
    if (!file || !*file)
        return;
    /* Only this process owns the result: no child, preloaded or not, sees the declaration. */
    int ok = bp_cfg.job_id[0] && bp_cfg.socket[0];
    int absolute = file[0] == '/';
    if (ok && !absolute && !getcwd(cwd, sizeof cwd))
        ok = 0;
    if (ok)
        ok = snprintf(result_path, sizeof result_path, "%s%s%s", absolute ? "" : cwd,
                      absolute ? "" : "/", file) < (int)sizeof result_path;
    if (!ok) {
        bp_write_line("bptee: BPTEE_RESULT_FILE needs BPTEE_JOB_ID (a valid job id), "
                      "BPTEE_AGENT_SOCKET and a path that fits: the result will not be "
                      "attested");
    } else {
        result_pid = getpid();
        if (on_exit(result_at_exit, NULL) != 0)
            bp_write_line("bptee: result: on_exit failed: the result will not be attested");
    }
    unsetenv("BPTEE_RESULT_FILE");
}
