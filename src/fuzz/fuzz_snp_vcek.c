// SPDX-License-Identifier: Apache-2.0
/* libFuzzer: what bptee reads from a VCEK/VLEK certificate's AMD extensions (productName, the
 * SPLs, hwID; src/snp/vcek.c) and its check of them against a report (leafcheck.c).
 *
 * Each input goes in two ways: as a whole certificate (DER or PEM, so the real VCEKs seed it),
 * and as the extension values themselves, spliced into a certificate made here, so the fuzzer
 * reaches the value readers without having to keep a whole X.509 structure intact. The splice
 * format: one byte saying which extensions are present (bit i: ext_oids[i]; bit 7: the issuer
 * names Genoa instead of Milan), then per present extension one length byte and that many
 * value bytes (cut short at the end of the input). */
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <string.h>

#include "snp/internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const ext_oids[] = {
    "1.3.6.1.4.1.3704.1.2",   /* productName */
    "1.3.6.1.4.1.3704.1.3.1", /* blSPL */
    "1.3.6.1.4.1.3704.1.3.2", /* teeSPL */
    "1.3.6.1.4.1.3704.1.3.3", /* snpSPL */
    "1.3.6.1.4.1.3704.1.3.8", /* ucodeSPL */
    "1.3.6.1.4.1.3704.1.3.9", /* fmcSPL */
    "1.3.6.1.4.1.3704.1.4",   /* hwID */
};
#define N_EXT (sizeof ext_oids / sizeof ext_oids[0])

/* Read the extensions and check them against an all-zero report, as VCEK and as VLEK. */
static void read_leaf(X509 *x)
{
    struct snp_leaf_info li;
    struct bptee_snp_report report;
    if (snp_leaf_info_read(x, &li) == 0) {
        memset(&report, 0, sizeof report);
        (void)snp_leaf_check(&li, &report, li.product, BPTEE_SNP_KEY_VCEK);
        (void)snp_leaf_check(&li, &report, li.product, BPTEE_SNP_KEY_VLEK);
    }
    ERR_clear_error();
}

static void whole_certificate(const uint8_t *data, size_t size)
{
    const unsigned char *p = data;
    X509 *x = d2i_X509(NULL, &p, (long)size);
    if (!x) {
        BIO *b = BIO_new_mem_buf(data, (int)size);
        x = b ? PEM_read_bio_X509(b, NULL, NULL, NULL) : NULL;
        BIO_free(b);
    }
    if (x)
        read_leaf(x);
    X509_free(x);
    ERR_clear_error();
}

/* The extensions' OIDs as objects, made once. */
static ASN1_OBJECT *ext_obj(size_t i)
{
    static ASN1_OBJECT *objs[N_EXT];
    if (!objs[i] && !(objs[i] = OBJ_txt2obj(ext_oids[i], 1)))
        abort();
    return objs[i];
}

/* Extension i holding val[len] verbatim, as AMD's own extensions hold their DER values. */
static int add_ext(X509 *x, size_t i, const uint8_t *val, size_t len)
{
    ASN1_OCTET_STRING *value = ASN1_OCTET_STRING_new();
    X509_EXTENSION *ext = value && ASN1_OCTET_STRING_set(value, val, (int)len)
                              ? X509_EXTENSION_create_by_OBJ(NULL, ext_obj(i), 0, value)
                              : NULL;
    int rc = ext && X509_add_ext(x, ext, -1) ? 0 : -1;
    X509_EXTENSION_free(ext);
    ASN1_OCTET_STRING_free(value);
    return rc;
}

static void spliced_extensions(const uint8_t *data, size_t size)
{
    if (size == 0)
        return;
    unsigned present = data[0];
    size_t at = 1;
    X509 *x = X509_new();
    X509_NAME *issuer = X509_NAME_new();
    const char *cn = present & 0x80 ? "SEV-Genoa" : "SEV-Milan";
    if (!x || !issuer ||
        !X509_NAME_add_entry_by_txt(issuer, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1,
                                    -1, 0) ||
        !X509_set_issuer_name(x, issuer))
        goto out;
    for (size_t i = 0; i < N_EXT; i++) {
        if (!(present & (1u << i)))
            continue;
        size_t len = at < size ? data[at++] : 0;
        if (len > size - at)
            len = size - at;
        if (add_ext(x, i, data + at, len) < 0)
            goto out;
        at += len;
    }
    read_leaf(x);
out:
    X509_NAME_free(issuer);
    X509_free(x);
    ERR_clear_error();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 65536)
        return 0;
    whole_certificate(data, size);
    spliced_extensions(data, size);
    return 0;
}
