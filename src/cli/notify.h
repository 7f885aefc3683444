/* SPDX-License-Identifier: Apache-2.0 */
/* Readiness for systemd (Type=notify units, docs/systemd/bptee-agent.service). */
#ifndef BPTEE_CLI_NOTIFY_H
#define BPTEE_CLI_NOTIFY_H

/* Tell the service manager that start-up is complete: "READY=1" and, when status is not NULL,
 * "STATUS=<status>" (one line, no newline) on $NOTIFY_SOCKET through libsystemd's sd_notify.
 * Returns 0 when sent or when NOTIFY_SOCKET is unset (not started by systemd), a negative errno
 * when the message could not be sent or status holds a newline. */
int cli_notify_ready(const char *status);

#endif
