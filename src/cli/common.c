// SPDX-License-Identifier: Apache-2.0
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/rand.h>
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
 * OPENSSL_cleanup at exit only frees memory that the exit frees anyway.
 * OpenSSL's random generator (used here only to blind ECDSA verification's arithmetic) is
 * SP 800-90A Hash_DRBG over SHA-256 rather than its default CTR_DRBG over AES-256: both are
 * approved at 256-bit strength and seeded alike from the kernel, but building the CTR_DRBG means
 * building OpenSSL's table of every cipher first, ~0.45 ms, where SHA-256 is fetched anyway. */
void cli_crypto_init_local(void)
{
    OPENSSL_init_crypto(OPENSSL_INIT_NO_LOAD_CONFIG | OPENSSL_INIT_NO_ATEXIT, NULL);
    if (!RAND_set_DRBG_type(NULL, "HASH-DRBG", NULL, NULL, "SHA256"))
        ERR_clear_error(); /* a generator already running stays as it is */
}
