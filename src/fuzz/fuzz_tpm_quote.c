// SPDX-License-Identifier: Apache-2.0
/* libFuzzer: the TPM2 quote container and TPMS_ATTEST reader, verified against a fixed AK
 * (the archived one), so the parse after the signature is reached only by valid signatures
 * and the container and signature paths by everything else. */
#include <stdlib.h>

#include <bptee/azure.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char ak[] =
                         "-----BEGIN PUBLIC KEY-----\n"
                         "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAh/zPnAAAQVXPyGWeKFj0\n"
                         "UmbmtufZK7yeoeLZn0GbA0VVyjh+BPybG/ZrsgXFF7aQsOyaW2OLaKeeFzXqy6v3\n"
                         "kCZRONtxLOXWlTSK2ytRrXvzJnjF86gqD4z9VkJ5GyWhPNI4P67+eJKu8iaHmSrP\n"
                         "WKAVJbJ9+YaZwP48E3Q0wQ1rZjRT8VVJNrjCAT0gRivoEqN5GZMrwIeCjddvs13/\n"
                         "A4pBc6+Na7ojQ8ljmF6I/dV9dvJWi/GsQXNgjjSjw2SgYdyuZts7syyuKx42idCJ\n"
                         "qxJb6Zmmjb6VWfoOo/cr5ZvjSeQFaBEVuAgP47fYLlhVjIQddKM/IDxW6fovr8OO\n"
                         "YwIDAQAB\n"
                         "-----END PUBLIC KEY-----\n";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct bptee_tpm_quote q;
    if (bptee_tpm_quote_parse(data, size, &q) != 0)
        return 0;
    if (q.attest + q.attest_len > data + size || q.n_pcrs > BPTEE_TPM_PCRS)
        abort();
    bptee_tpm_quote_verify(&q, (const uint8_t *)ak, sizeof ak - 1, (const uint8_t *)"challenge",
                           9);
    return 0;
}
