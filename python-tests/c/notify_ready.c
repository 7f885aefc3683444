// SPDX-License-Identifier: Apache-2.0
/* Calls cli_notify_ready (src/cli/notify.c) as the agent does once it is ready; prints its
 * return value. usage: notify_ready [STATUS] */
#include <stdio.h>

#include "cli/notify.h"

int main(int argc, char **argv)
{
    printf("%d\n", cli_notify_ready(argc > 1 ? argv[1] : NULL));
    return 0;
}
