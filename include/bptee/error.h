/* SPDX-License-Identifier: Apache-2.0 */
/* Error model: functions return 0 or a negative BPTEE_E* code; the thread-local
 * bptee_last_error() holds the one-line human reason of the most recent failure. */
#ifndef BPTEE_ERROR_H
#define BPTEE_ERROR_H

#include <bptee/common.h>

enum bptee_error {
    BPTEE_OK = 0,
    BPTEE_EINVAL = -1,       /* invalid argument or configuration */
    BPTEE_EPARSE = -2,       /* malformed input bytes, JSON or text */
    BPTEE_EVERIFY = -3,      /* a signature, certificate chain or binding did not verify */
    BPTEE_EPOLICY = -4,      /* verified evidence rejected by the policy */
    BPTEE_EEXPIRED = -5,     /* too old, expired, or not yet valid */
    BPTEE_ENOTFOUND = -6,    /* no such session, secret, file or device */
    BPTEE_EIO = -7,          /* an operating-system or device call failed */
    BPTEE_EUNSUPPORTED = -8, /* a version, provider or feature bptee does not handle */
    BPTEE_ELIMIT = -9,       /* a size or count limit was reached */
    BPTEE_ECRYPTO = -10,     /* a cryptographic operation failed */
    BPTEE_ENOMEM = -11,      /* out of memory */
    BPTEE_EDENIED = -12,     /* the caller is not allowed to do this */
};

/* The code's name and meaning, e.g. "BPTEE_EVERIFY: verification failed"; never NULL. */
BPTEE_API const char *bptee_strerror(int code);

/* The one-line reason of this thread's most recent failure ("" when none); valid until the
 * next failing call on this thread. */
BPTEE_API const char *bptee_last_error(void);

/* Forget this thread's last error. */
BPTEE_API void bptee_clear_error(void);

#endif
