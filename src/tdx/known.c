// SPDX-License-Identifier: Apache-2.0
/* Intel's certificates that nearly every PCK chain carries, parsed once: the Intel SGX Root CA
 * (roots.c, pinned) and the Intel SGX PCK Platform CA (2018-05-21 to 2033-05-21, SHA-256 (DER)
 * 22eb770dca215b60...). A chain holding these exact bytes, or their PEM text as PCS and QGS
 * serve it, gets these copies instead of being parsed again (util/known_certs.h). The Platform CA is not trusted for being here: it is
 * verified under the root on every chain, like any intermediate. (The PCK Processor CA, which
 * some platforms use instead, is not carried: its chains parse it as before.) */
#include <openssl/err.h>
#include <openssl/pem.h>
#include <pthread.h>

#include "tdx/internal.h"
#include "util/error.h"
#include "util/known_certs.h"

static const char platform_ca_pem[] =
    "-----BEGIN CERTIFICATE-----\n"
    "MIICljCCAj2gAwIBAgIVAJVvXc29G+HpQEnJ1PQzzgFXC95UMAoGCCqGSM49BAMC\n"
    "MGgxGjAYBgNVBAMMEUludGVsIFNHWCBSb290IENBMRowGAYDVQQKDBFJbnRlbCBD\n"
    "b3Jwb3JhdGlvbjEUMBIGA1UEBwwLU2FudGEgQ2xhcmExCzAJBgNVBAgMAkNBMQsw\n"
    "CQYDVQQGEwJVUzAeFw0xODA1MjExMDUwMTBaFw0zMzA1MjExMDUwMTBaMHAxIjAg\n"
    "BgNVBAMMGUludGVsIFNHWCBQQ0sgUGxhdGZvcm0gQ0ExGjAYBgNVBAoMEUludGVs\n"
    "IENvcnBvcmF0aW9uMRQwEgYDVQQHDAtTYW50YSBDbGFyYTELMAkGA1UECAwCQ0Ex\n"
    "CzAJBgNVBAYTAlVTMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAENSB/7t21lXSO\n"
    "2Cuzpxw74eJB72EyDGgW5rXCtx2tVTLq6hKk6z+UiRZCnqR7psOvgqFeSxlmTlJl\n"
    "eTmi2WYz3qOBuzCBuDAfBgNVHSMEGDAWgBQiZQzWWp00ifODtJVSv1AbOScGrDBS\n"
    "BgNVHR8ESzBJMEegRaBDhkFodHRwczovL2NlcnRpZmljYXRlcy50cnVzdGVkc2Vy\n"
    "dmljZXMuaW50ZWwuY29tL0ludGVsU0dYUm9vdENBLmRlcjAdBgNVHQ4EFgQUlW9d\n"
    "zb0b4elAScnU9DPOAVcL3lQwDgYDVR0PAQH/BAQDAgEGMBIGA1UdEwEB/wQIMAYB\n"
    "Af8CAQAwCgYIKoZIzj0EAwIDRwAwRAIgXsVki0w+i6VYGW3UF/22uaXe0YJDj1Ue\n"
    "nA+TjD1ai5cCICYb1SAmD5xkfTVpvo4UoyiSYxrDWLmUR4CI9NKyfPN+\n"
    "-----END CERTIFICATE-----\n"
    ;

static X509 *platform_ca;
static struct known_cert items[2];
static struct known_certs known = {.items = items, .cap = 2};
static pthread_once_t once = PTHREAD_ONCE_INIT;

/* Best effort: a certificate missing here is only parsed as any other would be. */
static void load(void)
{
    X509 *root = NULL;
    BIO *b = BIO_new_mem_buf(platform_ca_pem, -1);
    platform_ca = b ? PEM_read_bio_X509(b, NULL, NULL, NULL) : NULL;
    BIO_free(b);
    if (tdx_intel_root(&root) == 0)
        known_certs_add(&known, root, "tdx");
    if (platform_ca)
        known_certs_add(&known, platform_ca, "tdx");
    bptee_clear_error();
    ERR_clear_error();
}

X509 *tdx_known_cert(const uint8_t *der, size_t len)
{
    pthread_once(&once, load);
    X509 *x = known_certs_find(&known, der, len);
    return x && X509_up_ref(x) == 1 ? x : NULL;
}

X509 *tdx_known_cert_at_pem(const uint8_t *text, size_t len, size_t *used)
{
    pthread_once(&once, load);
    const struct known_cert *k = known_certs_at_pem(&known, text, len, used);
    return k && X509_up_ref(k->cert) == 1 ? k->cert : NULL;
}
