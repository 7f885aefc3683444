// SPDX-License-Identifier: Apache-2.0
/* A long-running job for python-tests/test_view.py (built -static, so only the kernel-served
 * view can give it its secret): it opens and reads PATH again and again, printing one line a
 * read, "N HEX" or "N ERR strerror", with N counting up from 0. After each read it publishes N
 * in COUNTER (written aside and renamed, so the test never sees a half-written number): when
 * COUNTER says N, read N+1 may already have started, read N+2 has not. It stops when STOP
 * exists, or after MAX reads. usage: loopread PATH COUNTER STOP MAX */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static void publish(const char *counter, long n)
{
    char tmp[4096], num[32];
    snprintf(tmp, sizeof tmp, "%s.tmp", counter);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return;
    int len = snprintf(num, sizeof num, "%ld\n", n);
    if (write(fd, num, (size_t)len) != len) {
        close(fd);
        return;
    }
    close(fd);
    rename(tmp, counter);
}

int main(int argc, char **argv)
{
    if (argc != 5) {
        fprintf(stderr, "usage: loopread PATH COUNTER STOP MAX\n");
        return 2;
    }
    long max = atol(argv[4]);
    struct timespec pause = {0, 20 * 1000 * 1000};
    for (long n = 0; n < max && access(argv[3], F_OK) != 0; n++) {
        int fd = open(argv[1], O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
            printf("%ld ERR %s\n", n, strerror(errno));
        } else {
            unsigned char buf[4096];
            size_t len = 0;
            ssize_t got;
            while (len < sizeof buf && (got = read(fd, buf + len, sizeof buf - len)) > 0)
                len += (size_t)got;
            int err = got < 0 ? errno : 0;
            close(fd);
            if (err) {
                printf("%ld ERR %s\n", n, strerror(err));
            } else {
                printf("%ld ", n);
                for (size_t k = 0; k < len; k++)
                    printf("%02x", buf[k]);
                printf("\n");
            }
        }
        fflush(stdout);
        publish(argv[2], n);
        nanosleep(&pause, NULL);
    }
    return 0;
}
