/* SPDX-License-Identifier: Apache-2.0 */
/* Setting the thread-local error reason (private to the library). */
#ifndef BPTEE_UTIL_ERROR_H
#define BPTEE_UTIL_ERROR_H

#include <bptee/error.h>

/* Record the one-line reason and return code, so failures read `return fail(BPTEE_EPARSE, …)`. */
int fail(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Prefix the current reason with "what: " (adding context on the way out) and return code. */
int fail_prefix(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Put OpenSSL's most recent error (if any) after the reason and clear OpenSSL's queue. */
int fail_openssl(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
