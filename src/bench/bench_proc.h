/* SPDX-License-Identifier: Apache-2.0 */
/* For the benchmarks that run children (bench_preload, bench_fdpass): reaping, the burst's go
 * pipe, and removing the run's directory. Each program keeps its own die(); these return what
 * went wrong instead. */
#ifndef BPTEE_BENCH_PROC_H
#define BPTEE_BENCH_PROC_H

#include <errno.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* Set by a SIGINT, SIGTERM or SIGHUP once bench_catch_signals ran. */
static volatile sig_atomic_t bench_interrupted;

static inline void bench_on_signal(int sig)
{
    bench_interrupted = sig;
}

/* Without SA_RESTART: a blocked read or wait returns EINTR, and the run fails through its
 * die(), which stops the children and removes the run's directory. */
static inline void bench_catch_signals(void)
{
    struct sigaction sa = {.sa_handler = bench_on_signal};
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
}

/* Signal *pid (if any) and reap it. */
static inline void bench_reap(pid_t *pid, int sig)
{
    if (*pid > 0 && kill(*pid, sig) == 0)
        while (waitpid(*pid, NULL, 0) < 0 && errno == EINTR)
            ;
    *pid = 0;
}

/* Reap *pid; 0 only for exit status 0, else why (a caught signal ends the wait with
 * "interrupted"). */
static inline int bench_wait_ok(pid_t *pid, char *why, size_t cap)
{
    int status = 0, rc;
    while ((rc = waitpid(*pid, &status, 0)) < 0 && errno == EINTR && !bench_interrupted)
        ;
    if (bench_interrupted || rc < 0) {
        snprintf(why, cap, "%s", bench_interrupted ? "interrupted" : strerror(errno));
        return -1;
    }
    *pid = 0;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        snprintf(why, cap, "failed (status 0x%x)", (unsigned)status);
        return -1;
    }
    return 0;
}

/* A burst's child says it is ready (one byte on its result pipe, stdout: its start-up is over,
 * so it does not compete with the others' timed work), then waits until the parent closes the
 * go pipe's write end (go: the read end's number): all start together. */
static inline int bench_wait_go(const char *go)
{
    char c = 'r';
    int fd = atoi(go);
    if (write(STDOUT_FILENO, &c, 1) != 1)
        return -1;
    while (read(fd, &c, 1) < 0 && errno == EINTR)
        ;
    close(fd);
    return 0;
}

static inline int bench_remove_entry(const char *path, const struct stat *st, int flag,
                                     struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    remove(path);
    return 0;
}

/* The run's directory and everything in it. */
static inline void bench_remove_tree(const char *dir)
{
    nftw(dir, bench_remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

#endif
