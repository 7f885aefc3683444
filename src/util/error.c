// SPDX-License-Identifier: Apache-2.0
#include <openssl/err.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "util/error.h"

#define REASON_MAX 512

static __thread char last_reason[REASON_MAX];

const char *bptee_strerror(int code)
{
    switch (code) {
    case BPTEE_OK: return "BPTEE_OK: success";
    case BPTEE_EINVAL: return "BPTEE_EINVAL: invalid argument";
    case BPTEE_EPARSE: return "BPTEE_EPARSE: malformed input";
    case BPTEE_EVERIFY: return "BPTEE_EVERIFY: verification failed";
    case BPTEE_EPOLICY: return "BPTEE_EPOLICY: rejected by policy";
    case BPTEE_EEXPIRED: return "BPTEE_EEXPIRED: expired or not yet valid";
    case BPTEE_ENOTFOUND: return "BPTEE_ENOTFOUND: not found";
    case BPTEE_EIO: return "BPTEE_EIO: input/output error";
    case BPTEE_EUNSUPPORTED: return "BPTEE_EUNSUPPORTED: not supported";
    case BPTEE_ELIMIT: return "BPTEE_ELIMIT: limit reached";
    case BPTEE_ECRYPTO: return "BPTEE_ECRYPTO: cryptographic failure";
    case BPTEE_ENOMEM: return "BPTEE_ENOMEM: out of memory";
    case BPTEE_EDENIED: return "BPTEE_EDENIED: permission denied";
    default: return "BPTEE_E?: unknown error code";
    }
}

const char *bptee_last_error(void)
{
    return last_reason;
}

void bptee_clear_error(void)
{
    last_reason[0] = '\0';
}

int fail(int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(last_reason, sizeof last_reason, fmt, ap);
    va_end(ap);
    return code;
}

int fail_prefix(int code, const char *fmt, ...)
{
    char prefix[REASON_MAX], old[REASON_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    memcpy(old, last_reason, sizeof old);
    /* Truncation of an over-long reason is acceptable; it stays one line. */
    if (snprintf(last_reason, sizeof last_reason, "%s: %s", prefix, old) < 0)
        last_reason[0] = '\0';
    return code;
}

int fail_openssl(int code, const char *fmt, ...)
{
    char detail[256] = "";
    unsigned long e = ERR_peek_last_error();
    if (e)
        ERR_error_string_n(e, detail, sizeof detail);
    ERR_clear_error();
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(last_reason, sizeof last_reason, fmt, ap);
    va_end(ap);
    if (detail[0]) {
        size_t n = strlen(last_reason);
        if (snprintf(last_reason + n, sizeof last_reason - n, " (%s)", detail) < 0)
            last_reason[n] = '\0';
    }
    return code;
}
