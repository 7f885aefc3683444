// SPDX-License-Identifier: Apache-2.0
/* Everything the CLI writes out goes through here: the files users name (-o, --certs) and
 * standard output, whose last buffered bytes are only written at exit. A write that fails
 * (a full disk, /dev/full, a closed pipe) is one line on stderr and a non-zero exit, never
 * a silent success. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdio_ext.h>
#include <string.h>

#include <bptee.h>

#include "cli/cli.h"

int cli_write_output(const char *what, const char *path, const void *data, size_t len)
{
    int rc = bptee_write_file(path, data, len, 0644);
    if (rc == 0)
        return 0;
    /* The library's reason names the path (or stdout) and the errno. */
    fprintf(stderr, "bptee: %s: %s\n", what, bptee_last_error());
    return 1;
}

int cli_close_stdout(int status)
{
    /* As gnulib's close_stdout: a stdout closed before we started (EBADF) is no error when
     * nothing was written to it. A flush that failed earlier keeps its bytes pending, so
     * flushing again finds the reason (ENOSPC) to report. */
    bool pending = __fpending(stdout) != 0;
    errno = 0;
    bool failed = fflush(stdout) != 0 || ferror(stdout);
    int err = errno;
    if (fclose(stdout) != 0 && !failed && (pending || errno != EBADF)) {
        failed = true;
        err = errno;
    }
    if (!failed)
        return status;
    if (err)
        fprintf(stderr, "bptee: write error on standard output: %s\n", strerror(err));
    else
        fputs("bptee: write error on standard output\n", stderr);
    return status ? status : 1;
}
