// SPDX-License-Identifier: Apache-2.0
/* A simulated Azure HCL report (docs/azure.md), as the paravisor writes it into the vTPM's NV
 * index: header, a simulated SEV-SNP report whose REPORT_DATA is SHA-256 of the runtime data,
 * request data, and runtime-data JSON carrying the given AK as "HCLAkPub". It lets the guest's
 * vTPM path be tested end to end against a software TPM holding a real AK. */
#include <openssl/core_names.h>
#include <openssl/x509.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include <bptee/azure.h>

#include "azure/internal.h"
#include "sim/sim_private.h"
#include "util/bytes.h"
#include "util/codec.h"
#include "util/error.h"
#include "util/json.h"

#define HCL_NV_SIZE 2048 /* Azure's NV index holds 2048 bytes on SEV-SNP CVMs */

static json_t *b64url_param(const EVP_PKEY *k, const char *name)
{
    BIGNUM *bn = NULL;
    unsigned char buf[1024];
    char text[sodium_base64_ENCODED_LEN(sizeof buf, sodium_base64_VARIANT_URLSAFE_NO_PADDING)];
    if (EVP_PKEY_get_bn_param(k, name, &bn) != 1)
        return NULL;
    int n = BN_num_bytes(bn);
    json_t *j = NULL;
    if (n > 0 && n <= (int)sizeof buf && BN_bn2bin(bn, buf) == n) {
        sodium_bin2base64(text, sizeof text, buf, (size_t)n,
                          sodium_base64_VARIANT_URLSAFE_NO_PADDING);
        j = json_string(text);
    }
    BN_free(bn);
    return j;
}

/* {"keys":[{"kid":"HCLAkPub",...}],"vm-configuration":{...},"user-data":"00..."} as Azure
 * writes it (compact). */
static int runtime_json(const uint8_t *ak, size_t ak_len, char **out)
{
    EVP_PKEY *k = azure_ak_read(ak, ak_len);
    if (!k || EVP_PKEY_get_base_id(k) != EVP_PKEY_RSA) {
        EVP_PKEY_free(k);
        return fail(BPTEE_EINVAL, "sim: the AK is not an RSA public key (PEM or DER "
                                  "SubjectPublicKeyInfo)");
    }
    char user_data[129];
    memset(user_data, '0', 128);
    user_data[128] = '\0';
    json_t *j = json_pack("{s:[{s:s,s:s,s:[s],s:o?,s:o?}],s:{s:b,s:b,s:b,s:b,s:s},s:s}", "keys",
                          "kid", "HCLAkPub", "kty", "RSA", "key_ops", "sign", "n",
                          b64url_param(k, OSSL_PKEY_PARAM_RSA_N), "e",
                          b64url_param(k, OSSL_PKEY_PARAM_RSA_E), "vm-configuration",
                          "console-enabled", 0, "secure-boot", 1, "tpm-enabled", 1,
                          "tpm-persisted", 1, "vmUniqueId", "bptee-simulated-azure-cvm",
                          "user-data", user_data);
    EVP_PKEY_free(k);
    const json_t *key = j ? json_array_get(json_object_get(j, "keys"), 0) : NULL;
    if (!key || !json_object_get(key, "n") || !json_object_get(key, "e")) {
        json_decref(j);
        return fail(BPTEE_ENOMEM, "sim: cannot build the HCL runtime data");
    }
    *out = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(j);
    return *out ? 0 : fail(BPTEE_ENOMEM, "sim: out of memory");
}

int bptee_sim_azure_hcl(struct bptee_sim *sim, const uint8_t *ak, size_t ak_len, uint32_t vmpl,
                        uint8_t **out, size_t *out_len)
{
    if (!sim || !ak || !out || !out_len)
        return fail(BPTEE_EINVAL, "sim: azure hcl: missing argument");
    char *rt = NULL;
    int rc = runtime_json(ak, ak_len, &rt);
    if (rc < 0)
        return rc;
    size_t rt_len = strlen(rt), used = BPTEE_AZURE_HCL_RUNTIME_OFFSET + rt_len;
    size_t n = used < HCL_NV_SIZE ? HCL_NV_SIZE : used;
    uint8_t rd[64] = {0};
    uint8_t *buf = calloc(1, n);
    if (!buf) {
        free(rt);
        return fail(BPTEE_ENOMEM, "sim: out of memory");
    }
    sha256(rt, rt_len, rd);
    rc = bptee_sim_report(sim, rd, sizeof rd, vmpl, buf + BPTEE_AZURE_HCL_HW_OFFSET,
                          BPTEE_AZURE_HCL_HW_SIZE);
    struct writer w = {buf, n, false};
    put_bytes(&w, "HCLA", 4);
    put_le32(&w, 1);                     /* header version */
    put_le32(&w, (uint32_t)used);        /* report_size */
    put_le32(&w, 2);                     /* request type */
    put_le32(&w, 0);                     /* status */
    w = (struct writer){buf + BPTEE_AZURE_HCL_REQ_OFFSET, n - BPTEE_AZURE_HCL_REQ_OFFSET, false};
    put_le32(&w, (uint32_t)(20 + rt_len)); /* data_size */
    put_le32(&w, 1);                       /* version */
    put_le32(&w, BPTEE_AZURE_REPORT_SNP);
    put_le32(&w, 1); /* hash type SHA-256 */
    put_le32(&w, (uint32_t)rt_len);
    put_bytes(&w, rt, rt_len);
    free(rt);
    if (rc < 0) {
        free(buf);
        return rc;
    }
    *out = buf;
    *out_len = n;
    return 0;
}
