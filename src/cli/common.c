// SPDX-License-Identifier: Apache-2.0
#include <openssl/crypto.h>
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

/* The algorithms bptee verifies with are fixed in its code (ECDSA, RSA-PSS and SHA-2 from
 * OpenSSL's default provider) and checked by it, so openssl.cnf has nothing to give a command
 * that makes no TLS connection: what it can add are providers, engines and default properties,
 * modules that would then run inside the verifier. Reading it costs ~0.3 ms of a start. libssl
 * takes its system_default TLS settings from that file, hence "no TLS from here on": config
 * loading happens once per process, so a TLS client after this call would run without them.
 * OPENSSL_cleanup at exit only frees memory that the exit frees anyway. */
void cli_crypto_without_config(void)
{
    OPENSSL_init_crypto(OPENSSL_INIT_NO_LOAD_CONFIG | OPENSSL_INIT_NO_ATEXIT, NULL);
}
