// SPDX-License-Identifier: Apache-2.0
/* libFuzzer: the JWT reader (split, base64url, header and payload JSON) and the verifier behind
 * it, against a fixed key set holding one key of each type bptee verifies with. */
#include <stdlib.h>
#include <string.h>

#include <bptee/jwt.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char keyset[] =
    "{\"keys\":[{\"kty\":\"EC\",\"crv\":\"P-256\",\"kid\":\"k1\","
    "\"x\":\"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU\","
    "\"y\":\"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0\"},"
    "{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"kid\":\"k2\","
    "\"x\":\"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo\"}]}";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct bptee_jwks *jwks;
    if (!jwks && bptee_jwks_parse(keyset, sizeof keyset - 1, &jwks) != 0)
        abort();
    char *h = NULL, *p = NULL;
    if (bptee_jwt_decode(data, size, &h, &p) == 0) {
        if (!h || !p || h[0] != '{' || p[0] != '{')
            abort();
        free(h);
        free(p);
    }
    bptee_jwt_detect(data, size);
    BPTEE_OPTS(bptee_jwt_verify_opts, o, .at = 1767225600, .jwks = jwks);
    if (bptee_jwt_verify(data, size, &o, &p) == 0)
        free(p);
    return 0;
}
