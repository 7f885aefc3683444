// SPDX-License-Identifier: Apache-2.0
#include <stdarg.h>
#include <stdio.h>

#include <bptee.h>

#include "cli/cli.h"

int cli_error(const char *what, int code)
{
    const char *why = bptee_last_error();
    fprintf(stderr, "bptee: %s: %s\n", what, why[0] ? why : bptee_strerror(code));
    return 1;
}

int cli_usage_error(const char *fmt, ...)
{
    va_list ap;
    fputs("bptee: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    return 2;
}
