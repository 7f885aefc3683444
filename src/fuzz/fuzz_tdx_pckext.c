// SPDX-License-Identifier: Apache-2.0
/* libFuzzer target for the PCK certificate's SGX extension parser: the input as one DER
 * certificate, and as text holding a PEM certificate anywhere (so quotes, whose PCK chain is
 * PEM, seed it). Either fails cleanly or yields the extensions. */
#include <openssl/err.h>
#include <openssl/pem.h>
#include <stdlib.h>
#include <string.h>

#include <bptee.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The PEM certificate starting at its "-----BEGIN" marker: in a quote the marker follows binary
 * bytes on the same "line", where OpenSSL's PEM reader would not see it and would skip to the
 * next certificate of the chain (the intermediate, which has no SGX extension). */
static void from_pem(const uint8_t *data, size_t size)
{
    static const char marker[] = "-----BEGIN CERTIFICATE-----";
    const uint8_t *begin = memmem(data, size, marker, sizeof marker - 1);
    if (!begin)
        return;
    size -= (size_t)(begin - data);
    data = begin;
    BIO *b = BIO_new_mem_buf(data, (int)size);
    X509 *x = b ? PEM_read_bio_X509(b, NULL, NULL, NULL) : NULL;
    unsigned char *der = NULL;
    int n = x ? i2d_X509(x, &der) : -1;
    struct bptee_tdx_pck_ext ext;
    if (n > 0)
        (void)bptee_tdx_pck_ext_parse(der, (size_t)n, &ext);
    OPENSSL_free(der);
    X509_free(x);
    BIO_free(b);
    ERR_clear_error();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct bptee_tdx_pck_ext ext;
    if (size == 0 || size > (1u << 20))
        return 0;
    (void)bptee_tdx_pck_ext_parse(data, size, &ext);
    from_pem(data, size);
    return 0;
}
