// SPDX-License-Identifier: Apache-2.0
/* One agent per job socket. Probing the socket by connecting to it tells a live agent from a
 * stale file, but not once the file is gone: a second agent started on the same path while the
 * first still ran (its socket removed by a cleanup script or an operator) and took the path
 * over, and the two then each served half the jobs. So an agent holds an exclusive flock on
 * PATH.lock beside the socket for as long as it runs; the lock goes with the process however
 * it ends, so a crashed agent never blocks the next. The file itself stays (unlinking a lock
 * file while others may be opening it lets two processes hold "the" lock). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "agentd/daemon.h"

int socket_lock_take(const char *socket_path)
{
    char path[4096], holder[32] = "";
    if (snprintf(path, sizeof path, "%s.lock", socket_path) >= (int)sizeof path)
        return -1;
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY, 0600);
    if (fd < 0) {
        fprintf(stderr, "bptee: agent: --socket %s: cannot open its lock file %s: %s\n",
                socket_path, path, strerror(errno));
        return -1;
    }
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        ssize_t n = errno == EWOULDBLOCK ? pread(fd, holder, sizeof holder - 1, 0) : -1;
        holder[n > 0 ? strcspn(holder, "\n") : 0] = '\0';
        fprintf(stderr, "bptee: agent: --socket %s: another agent%s%s is running on it (it "
                "holds %s)\n", socket_path, holder[0] ? " pid " : "", holder, path);
        close(fd);
        return -1;
    }
    char pid[32];
    int len = snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
    if (ftruncate(fd, 0) != 0 || pwrite(fd, pid, (size_t)len, 0) != len)
        agent_log("job socket: cannot note the pid in %s: %s", path, strerror(errno));
    return fd;
}
