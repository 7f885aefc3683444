// SPDX-License-Identifier: Apache-2.0
/* A job that reads a file through stdio, as sha256sum or openssl do (fopen/fopen64/freopen,
 * then fread: no open() of its own). Built -O2 -D_FORTIFY_SOURCE=2.
 *   job_fopen fopen|fopen64|freopen PATH [MODE]
 * prints the file's bytes on stdout; on failure prints "errno=NAME" on stdout and exits 1.
 * Exits 3 if a successful call changed errno. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#define SENTINEL 4242

static int fail(void)
{
    printf("errno=%s\n", strerrorname_np(errno));
    return 1;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: job_fopen fopen|fopen64|freopen PATH [MODE]\n");
        return 2;
    }
    const char *how = argv[1], *path = argv[2], *mode = argc > 3 ? argv[3] : "r";
    FILE *f;
    errno = SENTINEL;
    if (!strcmp(how, "fopen"))
        f = fopen(path, mode);
    else if (!strcmp(how, "fopen64"))
        f = fopen64(path, mode);
    else
        f = freopen(path, mode, stdin);
    if (!f)
        return fail();
    if (errno != SENTINEL)
        return 3;
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0)
        fwrite(buf, 1, n, stdout);
    if (ferror(f))
        return fail();
    fclose(f);
    return 0;
}
