// SPDX-License-Identifier: Apache-2.0
/* The Intel SGX Root CA (P-256, self-signed, 2018-05-21 to 2049-12-31): Intel's public root and
 * the one trust anchor of every PCK and TCB signing chain. Loaded once and checked against its
 * pinned SHA-256 (DER) fingerprint 44a0196b...74d3 before anything trusts it. */
#include <openssl/err.h>
#include <openssl/pem.h>
#include <pthread.h>
#include <stdio.h>

#include "tdx/internal.h"
#include "util/error.h"

const char tdx_intel_root_pem[] =
    "-----BEGIN CERTIFICATE-----\n"
    "MIICjzCCAjSgAwIBAgIUImUM1lqdNInzg7SVUr9QGzknBqwwCgYIKoZIzj0EAwIw\n"
    "aDEaMBgGA1UEAwwRSW50ZWwgU0dYIFJvb3QgQ0ExGjAYBgNVBAoMEUludGVsIENv\n"
    "cnBvcmF0aW9uMRQwEgYDVQQHDAtTYW50YSBDbGFyYTELMAkGA1UECAwCQ0ExCzAJ\n"
    "BgNVBAYTAlVTMB4XDTE4MDUyMTEwNDUxMFoXDTQ5MTIzMTIzNTk1OVowaDEaMBgG\n"
    "A1UEAwwRSW50ZWwgU0dYIFJvb3QgQ0ExGjAYBgNVBAoMEUludGVsIENvcnBvcmF0\n"
    "aW9uMRQwEgYDVQQHDAtTYW50YSBDbGFyYTELMAkGA1UECAwCQ0ExCzAJBgNVBAYT\n"
    "AlVTMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEC6nEwMDIYZOj/iPWsCzaEKi7\n"
    "1OiOSLRFhWGjbnBVJfVnkY4u3IjkDYYL0MxO4mqsyYjlBalTVYxFP2sJBK5zlKOB\n"
    "uzCBuDAfBgNVHSMEGDAWgBQiZQzWWp00ifODtJVSv1AbOScGrDBSBgNVHR8ESzBJ\n"
    "MEegRaBDhkFodHRwczovL2NlcnRpZmljYXRlcy50cnVzdGVkc2VydmljZXMuaW50\n"
    "ZWwuY29tL0ludGVsU0dYUm9vdENBLmRlcjAdBgNVHQ4EFgQUImUM1lqdNInzg7SV\n"
    "Ur9QGzknBqwwDgYDVR0PAQH/BAQDAgEGMBIGA1UdEwEB/wQIMAYBAf8CAQEwCgYI\n"
    "KoZIzj0EAwIDSQAwRgIhAOW/5QkR+S9CiSDcNoowLuPRLsWGf/Yi7GSX94BgwTwg\n"
    "AiEA4J0lrHoMs+Xo5o/sX6O9QWxHRAvZUGOdRQ7cvqRXaqI=\n"
    "-----END CERTIFICATE-----\n";

const uint8_t tdx_intel_root_sha256[32] = {
    0x44, 0xa0, 0x19, 0x6b, 0x2b, 0x99, 0xf8, 0x89, 0xb8, 0xe1, 0x49, 0xe9, 0x5b, 0x80, 0x7a, 0x35,
    0x0e, 0x74, 0x24, 0x96, 0x43, 0x99, 0xe8, 0x85, 0xa7, 0xcb, 0xb8, 0xcc, 0xfa, 0xb6, 0x74, 0xd3,
};

static X509 *intel_root;
static int load_rc;
static char load_reason[256];
static pthread_once_t load_once = PTHREAD_ONCE_INIT;

static int load(void)
{
    BIO *b = BIO_new_mem_buf(tdx_intel_root_pem, -1);
    intel_root = b ? PEM_read_bio_X509(b, NULL, NULL, NULL) : NULL;
    BIO_free(b);
    if (!intel_root)
        return fail_openssl(BPTEE_ECRYPTO, "tdx: the built-in Intel SGX Root CA does not parse");
    uint8_t fp[32];
    unsigned len = 0;
    if (!X509_digest(intel_root, EVP_sha256(), fp, &len) || len != 32)
        return fail_openssl(BPTEE_ECRYPTO, "tdx: cannot digest the Intel SGX Root CA");
    if (memcmp(fp, tdx_intel_root_sha256, 32) != 0)
        return fail(BPTEE_EVERIFY, "tdx: the built-in Intel SGX Root CA does not match its "
                                   "pinned fingerprint");
    return 0;
}

static void load_once_fn(void)
{
    load_rc = load();
    if (load_rc < 0) {
        snprintf(load_reason, sizeof load_reason, "%s", bptee_last_error());
        X509_free(intel_root);
        intel_root = NULL;
    }
}

int tdx_intel_root(X509 **out)
{
    pthread_once(&load_once, load_once_fn);
    if (load_rc < 0)
        return fail(load_rc, "%s", load_reason);
    *out = intel_root;
    return 0;
}
