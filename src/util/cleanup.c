// SPDX-License-Identifier: Apache-2.0
#include <errno.h>
#include <stdio.h>
#include <unistd.h>

#include "util/cleanup.h"

void cleanup_freep(void *p)
{
    free(*(void **)p);
}

void cleanup_closep(const int *fd)
{
    safe_close(*fd);
}

void cleanup_fclosep(void *f)
{
    FILE *fp = *(FILE **)f;
    if (fp)
        fclose(fp);
}

void safe_close(int fd)
{
    if (fd < 0)
        return;
    int saved = errno;
    close(fd);
    errno = saved;
}
