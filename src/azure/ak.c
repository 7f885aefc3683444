// SPDX-License-Identifier: Apache-2.0
/* The vTPM attestation key from an HCL report's runtime data: {"keys": [{"kid": "HCLAkPub",
 * "kty": "RSA", "n": …, "e": …}, …], …}. The key is read by the jwt module's JWK reader; its
 * key_ops (Azure writes ["encrypt"] on some AKs) do not matter here, since the binding to the
 * hardware report is what makes it the AK. */
#include <openssl/x509.h>
#include <string.h>

#include <bptee/azure.h>

#include "azure/internal.h"
#include "jwt/internal.h"
#include "util/error.h"
#include "util/json.h"

static int ak_key(const json_t *keys, EVP_PKEY **out)
{
    const json_t *found = NULL;
    for (size_t i = 0; i < json_array_size(keys); i++) {
        const json_t *kid = json_object_get(json_array_get(keys, i), "kid");
        if (!json_is_string(kid) || strcmp(json_string_value(kid), "HCLAkPub"))
            continue;
        if (found)
            return fail(BPTEE_EPARSE, "azure: runtime data has two HCLAkPub keys");
        found = json_array_get(keys, i);
    }
    if (!found)
        return fail(BPTEE_EPARSE, "azure: runtime data has no HCLAkPub key");
    struct jwk k;
    int rc = jwk_read(found, 0, &k);
    if (rc < 0)
        return fail_prefix(rc, "azure: HCLAkPub");
    if (!k.pkey || EVP_PKEY_get_base_id(k.pkey) != EVP_PKEY_RSA) {
        jwk_release(&k);
        return fail(BPTEE_EPARSE, "azure: HCLAkPub is not an RSA key");
    }
    *out = k.pkey;
    k.pkey = NULL;
    jwk_release(&k);
    return 0;
}

int azure_hcl_ak_key(const struct bptee_azure_hcl *hcl, EVP_PKEY **out)
{
    if (!hcl || !out || !hcl->runtime)
        return fail(BPTEE_EINVAL, "azure: missing argument");
    _cleanup_json_ json_t *rt = NULL;
    int rc = json_parse_capped((const char *)hcl->runtime, hcl->runtime_len, BPTEE_AZURE_HCL_MAX,
                               "azure: runtime data", &rt);
    if (rc < 0)
        return rc;
    const json_t *keys = json_object_get(rt, "keys");
    if (!json_is_array(keys))
        return fail(BPTEE_EPARSE, "azure: runtime data has no keys array");
    return ak_key(keys, out);
}

int bptee_azure_hcl_ak(const struct bptee_azure_hcl *hcl, uint8_t **spki, size_t *spki_len)
{
    EVP_PKEY *k = NULL;
    if (!spki || !spki_len)
        return fail(BPTEE_EINVAL, "azure: missing argument");
    int rc = azure_hcl_ak_key(hcl, &k);
    if (rc < 0)
        return rc;
    unsigned char *der = NULL;
    int n = i2d_PUBKEY(k, &der);
    EVP_PKEY_free(k);
    if (n <= 0)
        return fail_openssl(BPTEE_ENOMEM, "azure: AK encoding");
    *spki = der;
    *spki_len = (size_t)n;
    return 0;
}
