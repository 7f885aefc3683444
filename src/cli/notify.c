// SPDX-License-Identifier: Apache-2.0
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-daemon.h>

#include "cli/notify.h"

int cli_notify_ready(const char *status)
{
    /* A newline would start another assignment in the message (say, MAINPID=). */
    if (status && strchr(status, '\n'))
        return -EINVAL;
    if (!secure_getenv("NOTIFY_SOCKET"))
        return 0;
    int r = status ? sd_notifyf(0, "READY=1\nSTATUS=%s", status) : sd_notify(0, "READY=1");
    return r < 0 ? r : 0;
}
