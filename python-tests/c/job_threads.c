// SPDX-License-Identifier: Apache-2.0
/* A multi-threaded job: THREADS threads each open PATH ITERS times, read it whole and compare
 * it with EXPECTED, alongside opens of an undeclared file (OTHER). With "fork", the main thread
 * reads PATH once, then forks children while the threads run (each child opens PATH itself,
 * from the memfd it inherited, while threads of the parent hold the lock); with "vfork", a
 * vfork child opens PATH before anything else has.
 *   job_threads PATH EXPECTED OTHER THREADS ITERS [fork|vfork]
 * Prints "ok" and exits 0 when every read matched; otherwise names the first mismatch. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *path, *expected, *other;
static int iters;
static int failures;

/* 0 when the file at p reads exactly want (NULL: anything readable). */
static int read_matches(const char *p, const char *want)
{
    char buf[8192];
    size_t used = 0;
    int fd = open(p, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    ssize_t n;
    while ((n = read(fd, buf + used, sizeof buf - used)) > 0)
        used += (size_t)n;
    close(fd);
    if (n < 0)
        return -1;
    return want && (used != strlen(want) || memcmp(buf, want, used) != 0) ? -1 : 0;
}

static void *worker(void *arg)
{
    (void)arg;
    for (int i = 0; i < iters; i++) {
        if (read_matches(path, expected) < 0 || read_matches(other, NULL) < 0) {
            __atomic_add_fetch(&failures, 1, __ATOMIC_RELAXED);
            return NULL;
        }
    }
    return NULL;
}

static int child_reads(void)
{
    return read_matches(path, expected) == 0 ? 0 : 1;
}

static int run_forks(int n)
{
    int bad = 0;
    for (int i = 0; i < n; i++) {
        pid_t pid = fork();
        if (pid == 0)
            _exit(child_reads());
        int st;
        if (pid < 0 || waitpid(pid, &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
            bad++;
    }
    return bad;
}

static int run_vfork(void)
{
    int st;
    pid_t pid = vfork();
    if (pid == 0)
        _exit(child_reads());
    if (pid < 0 || waitpid(pid, &st, 0) < 0 || !WIFEXITED(st))
        return 1;
    return WEXITSTATUS(st) != 0 || read_matches(path, expected) != 0;
}

int main(int argc, char **argv)
{
    if (argc < 6) {
        fprintf(stderr, "usage: job_threads PATH EXPECTED OTHER THREADS ITERS [fork|vfork]\n");
        return 2;
    }
    path = argv[1];
    expected = argv[2];
    other = argv[3];
    int nthreads = atoi(argv[4]);
    iters = atoi(argv[5]);
    const char *extra = argc > 6 ? argv[6] : "";
    if (nthreads < 1 || nthreads > 64 || iters < 1)
        return 2;
    if (!strcmp(extra, "vfork") && run_vfork() != 0) {
        printf("vfork child or parent read the wrong bytes\n");
        return 1;
    }
    if (!strcmp(extra, "fork") && read_matches(path, expected) != 0) {
        printf("first read failed\n");
        return 1;
    }
    pthread_t t[64];
    for (int i = 0; i < nthreads; i++)
        if (pthread_create(&t[i], NULL, worker, NULL) != 0)
            return 1;
    int bad_children = !strcmp(extra, "fork") ? run_forks(8) : 0;
    for (int i = 0; i < nthreads; i++)
        pthread_join(t[i], NULL);
    if (failures || bad_children) {
        printf("%d thread failure(s), %d child failure(s)\n", failures, bad_children);
        return 1;
    }
    printf("ok\n");
    return 0;
}
