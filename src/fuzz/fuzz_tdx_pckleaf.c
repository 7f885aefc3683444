// SPDX-License-Identifier: Apache-2.0
/* libFuzzer target for the PCK certificate reader of the cold verification path
 * (src/tdx/leaf.c): the input as one DER certificate, and the first PEM certificate anywhere
 * in it (so quotes, whose chain starts with the PCK certificate, seed it). Whatever the reader
 * accepts, OpenSSL's d2i_X509 must accept with the same values (pckleaf_check.h); a mismatch
 * aborts. */
#include <openssl/pem.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz/pckleaf_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(const uint8_t *der, size_t len)
{
    if (pckleaf_check(der, len) == PCKLEAF_MISMATCH)
        abort();
}

/* From the "-----BEGIN" marker on: in a quote it follows binary bytes on the same "line". */
static void from_pem(const uint8_t *data, size_t size)
{
    static const char marker[] = "-----BEGIN CERTIFICATE-----";
    const uint8_t *begin = memmem(data, size, marker, sizeof marker - 1);
    if (!begin)
        return;
    BIO *b = BIO_new_mem_buf(begin, (int)(size - (size_t)(begin - data)));
    unsigned char *der = NULL;
    char *name = NULL;
    long len = 0;
    if (b && PEM_bytes_read_bio(&der, &len, &name, PEM_STRING_X509, b, NULL, NULL))
        check(der, (size_t)len);
    OPENSSL_free(der);
    OPENSSL_free(name);
    BIO_free(b);
    ERR_clear_error();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0 || size > (1u << 20))
        return 0;
    check(data, size);
    from_pem(data, size);
    return 0;
}
