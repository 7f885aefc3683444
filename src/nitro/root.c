// SPDX-License-Identifier: Apache-2.0
/* AWS Nitro Enclaves Root-G1 (CN=aws.nitro-enclaves, P-384, 2019-10-28..2049-10-28), from
 * https://aws-nitro-enclaves.amazonaws.com/AWS_NitroEnclaves_Root-G1.zip. Parsed once and
 * checked against the fingerprint AWS publishes before anything trusts it. */
#include <openssl/pem.h>
#include <pthread.h>
#include <string.h>

#include "nitro/internal.h"
#include "util/codec.h"
#include "util/error.h"

static const char root_g1_pem[] =
    "-----BEGIN CERTIFICATE-----\n"
    "MIICETCCAZagAwIBAgIRAPkxdWgbkK/hHUbMtOTn+FYwCgYIKoZIzj0EAwMwSTEL\n"
    "MAkGA1UEBhMCVVMxDzANBgNVBAoMBkFtYXpvbjEMMAoGA1UECwwDQVdTMRswGQYD\n"
    "VQQDDBJhd3Mubml0cm8tZW5jbGF2ZXMwHhcNMTkxMDI4MTMyODA1WhcNNDkxMDI4\n"
    "MTQyODA1WjBJMQswCQYDVQQGEwJVUzEPMA0GA1UECgwGQW1hem9uMQwwCgYDVQQL\n"
    "DANBV1MxGzAZBgNVBAMMEmF3cy5uaXRyby1lbmNsYXZlczB2MBAGByqGSM49AgEG\n"
    "BSuBBAAiA2IABPwCVOumCMHzaHDimtqQvkY4MpJzbolL//Zy2YlES1BR5TSksfbb\n"
    "48C8WBoyt7F2Bw7eEtaaP+ohG2bnUs990d0JX28TcPQXCEPZ3BABIeTPYwEoCWZE\n"
    "h8l5YoQwTcU/9KNCMEAwDwYDVR0TAQH/BAUwAwEB/zAdBgNVHQ4EFgQUkCW1DdkF\n"
    "R+eWw5b6cp3PmanfS5YwDgYDVR0PAQH/BAQDAgGGMAoGCCqGSM49BAMDA2kAMGYC\n"
    "MQCjfy+Rocm9Xue4YnwWmNJVA44fA0P5W2OpYow9OYCVRaEevL8uO1XYru5xtMPW\n"
    "rfMCMQCi85sWBbJwKKXdS6BptQFuZbT73o/gBh1qUxl/nNr12UO8Yfwr6wPLb+6N\n"
    "IwLz3/Y=\n"
    "-----END CERTIFICATE-----\n"
    ;

static X509 *root;
static uint8_t root_sha256[32];
static int load_rc;
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void load(void)
{
    uint8_t want[32];
    unsigned len = 0;
    BIO *b = BIO_new_mem_buf(root_g1_pem, -1);
    root = b ? PEM_read_bio_X509(b, NULL, NULL, NULL) : NULL;
    BIO_free(b);
    if (!root || !X509_digest(root, EVP_sha256(), root_sha256, &len) || len != 32 ||
        hex_decode_exact(BPTEE_NITRO_ROOT_G1_SHA256, want, 32, "nitro root") < 0 ||
        memcmp(want, root_sha256, 32) != 0)
        load_rc = BPTEE_ECRYPTO;
}

int nitro_root_get(X509 **out, const uint8_t **sha)
{
    pthread_once(&once, load);
    if (load_rc < 0)
        return fail(load_rc, "nitro: the built-in AWS Nitro root does not match its pinned "
                             "fingerprint");
    *out = root;
    *sha = root_sha256;
    return 0;
}
