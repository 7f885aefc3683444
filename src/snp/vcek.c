// SPDX-License-Identifier: Apache-2.0
/* AMD's VCEK/VLEK extensions (OID 1.3.6.1.4.1.3704.1.*), read with OpenSSL's ASN.1 decoders:
 * productName, the SPLs (DER INTEGERs) and hwID (raw chip id bytes, no DER tag). */
#include <openssl/asn1.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/x509v3.h>
#include <string.h>

#include "snp/internal.h"
#include "util/bytes.h"
#include "util/error.h"

#define AMD_OID "1.3.6.1.4.1.3704.1."

static const char *const spl_oids[SPL_COUNT] = {
    [SPL_BL] = AMD_OID "3.1",    [SPL_TEE] = AMD_OID "3.2",  [SPL_SNP] = AMD_OID "3.3",
    [SPL_UCODE] = AMD_OID "3.8", [SPL_FMC] = AMD_OID "3.9",
};
static const char *const spl_names[SPL_COUNT] = {
    [SPL_BL] = "blSPL",       [SPL_TEE] = "teeSPL", [SPL_SNP] = "snpSPL",
    [SPL_UCODE] = "ucodeSPL", [SPL_FMC] = "fmcSPL",
};

/* The extension's value bytes, or NULL (len 0) when the certificate lacks it. */
static int ext_value(X509 *x, const char *oid, const uint8_t **val, int *len)
{
    *val = NULL;
    *len = 0;
    ASN1_OBJECT *obj = OBJ_txt2obj(oid, 1);
    if (!obj)
        return fail_openssl(BPTEE_ECRYPTO, "snp: OID %s", oid);
    int idx = X509_get_ext_by_OBJ(x, obj, -1);
    if (idx >= 0 && X509_get_ext_by_OBJ(x, obj, idx) >= 0) {
        ASN1_OBJECT_free(obj);
        return fail(BPTEE_EVERIFY, "snp: VCEK repeats extension %s", oid);
    }
    ASN1_OBJECT_free(obj);
    if (idx < 0)
        return 0;
    ASN1_OCTET_STRING *os = X509_EXTENSION_get_data(X509_get_ext(x, idx));
    *val = ASN1_STRING_get0_data(os);
    *len = ASN1_STRING_length(os);
    return 0;
}

/* A whole DER value of any type; NULL unless the bytes are exactly one value. */
static ASN1_TYPE *der_value(const uint8_t *val, int len)
{
    const unsigned char *p = val;
    ASN1_TYPE *t = d2i_ASN1_TYPE(NULL, &p, len);
    if (t && p != val + len) {
        ASN1_TYPE_free(t);
        return NULL;
    }
    return t;
}

static int read_spl(X509 *x, int i, int *out)
{
    const uint8_t *val;
    int len, rc = ext_value(x, spl_oids[i], &val, &len);
    *out = -1;
    if (rc < 0 || !val)
        return rc;
    ASN1_TYPE *t = der_value(val, len);
    int64_t v = -1;
    if (!t || t->type != V_ASN1_INTEGER || !ASN1_INTEGER_get_int64(&v, t->value.integer) ||
        v < 0 || v > 255) {
        ASN1_TYPE_free(t);
        ERR_clear_error();
        return fail(BPTEE_EVERIFY, "snp: VCEK %s is not a DER INTEGER 0..255", spl_names[i]);
    }
    ASN1_TYPE_free(t);
    *out = (int)v;
    return 0;
}

static int read_product(X509 *x, struct snp_leaf_info *li)
{
    const uint8_t *val;
    int len, rc = ext_value(x, AMD_OID "2", &val, &len);
    if (rc < 0 || !val)
        return rc;
    ASN1_TYPE *t = der_value(val, len);
    if (!t || (t->type != V_ASN1_IA5STRING && t->type != V_ASN1_UTF8STRING) ||
        t->value.asn1_string->length >= (int)sizeof li->product_name) {
        ASN1_TYPE_free(t);
        ERR_clear_error();
        return fail(BPTEE_EVERIFY, "snp: VCEK productName is not a short IA5String");
    }
    memcpy(li->product_name, t->value.asn1_string->data, (size_t)t->value.asn1_string->length);
    li->product_name[t->value.asn1_string->length] = '\0';
    ASN1_TYPE_free(t);
    if (bptee_snp_product_parse(li->product_name, &li->product) < 0)
        return fail(BPTEE_EVERIFY, "snp: VCEK productName '%s' is not a known product",
                    li->product_name);
    return 0;
}

/* hwID is the raw chip id; go-sev-guest also accepts an OCTET STRING wrapping it. */
static int read_hwid(X509 *x, struct snp_leaf_info *li)
{
    const uint8_t *val;
    int len, rc = ext_value(x, AMD_OID "4", &val, &len);
    if (rc < 0 || !val)
        return rc;
    ASN1_TYPE *t = der_value(val, len);
    if (t && t->type == V_ASN1_OCTET_STRING &&
        (t->value.octet_string->length == 64 || t->value.octet_string->length == 8)) {
        len = t->value.octet_string->length;
        memcpy(li->hwid, t->value.octet_string->data, (size_t)len);
    } else if (len == 64 || len == 8) {
        memcpy(li->hwid, val, (size_t)len);
    } else {
        ASN1_TYPE_free(t);
        ERR_clear_error();
        return fail(BPTEE_EVERIFY, "snp: VCEK hwID is %d bytes (expected 64, or 8 on Turin)",
                    len);
    }
    ASN1_TYPE_free(t);
    ERR_clear_error();
    li->hwid_len = (size_t)len;
    return 0;
}

/* Product from the issuer CN: "SEV-Milan", "SEV-VLEK-Genoa", ... */
static int issuer_product(X509 *x)
{
    char cn[64];
    int product = BPTEE_SNP_PRODUCT_UNKNOWN;
    if (X509_NAME_get_text_by_NID(X509_get_issuer_name(x), NID_commonName, cn, sizeof cn) <= 0) {
        ERR_clear_error();
        return product;
    }
    const char *dash = strrchr(cn, '-');
    if (!strncmp(cn, "SEV-", 4) && dash && bptee_snp_product_parse(dash + 1, &product) < 0)
        product = BPTEE_SNP_PRODUCT_UNKNOWN;
    return product;
}

int snp_leaf_info_read(X509 *leaf, struct snp_leaf_info *li)
{
    memset(li, 0, sizeof *li);
    int rc = read_product(leaf, li);
    for (int i = 0; rc == 0 && i < SPL_COUNT; i++)
        rc = read_spl(leaf, i, &li->spl[i]);
    if (rc == 0)
        rc = read_hwid(leaf, li);
    if (rc < 0)
        return rc;
    int by_issuer = issuer_product(leaf);
    if (li->product == BPTEE_SNP_PRODUCT_UNKNOWN)
        li->product = by_issuer;
    else if (by_issuer != BPTEE_SNP_PRODUCT_UNKNOWN && by_issuer != li->product)
        return fail(BPTEE_EVERIFY, "snp: VCEK productName %s disagrees with its issuer (%s)",
                    li->product_name, bptee_snp_product_name(by_issuer));
    return 0;
}
