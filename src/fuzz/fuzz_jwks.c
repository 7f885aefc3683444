// SPDX-License-Identifier: Apache-2.0
/* libFuzzer: the JWKS reader (JSON, base64url members, RSA/EC/OKP keys through OpenSSL, x5c
 * certificates). */
#include <stdlib.h>

#include <bptee/jwt.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct bptee_jwks *s = NULL;
    if (bptee_jwks_parse((const char *)data, size, &s) == 0) {
        if (bptee_jwks_count(s) == 0 || bptee_jwks_count(s) > BPTEE_JWKS_KEYS_MAX)
            abort();
        bptee_jwks_free(s);
    }
    return 0;
}
