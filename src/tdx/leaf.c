// SPDX-License-Identifier: Apache-2.0
/* The PCK certificate's fields, for the cold path's chain (chain_fast.c). d2i_X509 on OpenSSL
 * 3.0 runs the provider key decoder on the SubjectPublicKeyInfo, which costs more than the
 * certificate's signature check (85 of the 100 µs a PCK certificate takes to parse here); a PCK
 * key is always the same 91-byte P-256 SubjectPublicKeyInfo, so it is matched as those bytes
 * and imported from the point. The frame of the certificate is walked with a strict DER
 * reader (util/der.h); every field with content of its own is decoded by OpenSSL's decoder for
 * its type, exactly as d2i_X509 decodes it, and must consume its element exactly. */
#include <openssl/asn1.h>
#include <openssl/err.h>

#include "tdx/leaf.h"
#include "util/der.h"

/* [0] EXPLICIT INTEGER 2: version 3 */
static const uint8_t v3[] = {0xa0, 0x03, 0x02, 0x01, 0x02};
/* AlgorithmIdentifier ecdsa-with-SHA256 (1.2.840.10045.4.3.2), no parameters (RFC 5758) */
static const uint8_t ecdsa_sha256[] = {0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86,
                                       0x48, 0xce, 0x3d, 0x04, 0x03, 0x02};
/* SubjectPublicKeyInfo: id-ecPublicKey, prime256v1, BIT STRING of 66 bytes, no unused bits,
 * an uncompressed point (04); x || y follow */
static const uint8_t p256_spki[] = {0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48,
                                    0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a, 0x86, 0x48,
                                    0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00, 0x04};

/* Decoders over one element's bytes that must take all of them. */
#define D2I_EXACT(fn, item, out)                                                                   \
    do {                                                                                           \
        const unsigned char *q_ = (item).tlv;                                                      \
        (out) = fn(NULL, &q_, (long)(item).tlv_len);                                               \
        if (!(out) || q_ != (item).tlv + (item).tlv_len)                                           \
            return false;                                                                          \
    } while (0)

static bool read_validity(const struct der_item *validity, struct tdx_leaf *out)
{
    struct cursor c = cursor_init(validity->val, validity->len);
    struct der_item nb, na;
    if (!der_any(&c, &nb) || !der_any(&c, &na) || c.left)
        return false;
    D2I_EXACT(d2i_ASN1_TIME, nb, out->not_before);
    D2I_EXACT(d2i_ASN1_TIME, na, out->not_after);
    return true;
}

static bool read_tbs(const struct der_item *tbs, struct tdx_leaf *out)
{
    struct cursor c = cursor_init(tbs->val, tbs->len);
    struct der_item serial, issuer, validity, subject, wrap, exts;
    const uint8_t *point = NULL;
    if (!der_expect(&c, v3, sizeof v3) || !der_next(&c, V_ASN1_INTEGER, &serial) ||
        !der_expect(&c, ecdsa_sha256, sizeof ecdsa_sha256) ||
        !der_next(&c, V_ASN1_CONSTRUCTED | V_ASN1_SEQUENCE, &issuer) ||
        !der_next(&c, V_ASN1_CONSTRUCTED | V_ASN1_SEQUENCE, &validity) ||
        !der_next(&c, V_ASN1_CONSTRUCTED | V_ASN1_SEQUENCE, &subject) ||
        !der_expect(&c, p256_spki, sizeof p256_spki) || !cursor_take(&c, 64, &point) ||
        !der_next(&c, 0xa3, &wrap) || c.left)
        return false;
    struct cursor w = cursor_init(wrap.val, wrap.len);
    if (!der_next(&w, V_ASN1_CONSTRUCTED | V_ASN1_SEQUENCE, &exts) || w.left)
        return false;
    memcpy(out->point, point, 64);
    out->issuer = issuer.tlv;
    out->issuer_len = issuer.tlv_len;
    D2I_EXACT(d2i_ASN1_INTEGER, serial, out->serial);
    if (!read_validity(&validity, out))
        return false;
    D2I_EXACT(d2i_X509_NAME, subject, out->subject);
    D2I_EXACT(d2i_X509_EXTENSIONS, exts, out->exts);
    return true;
}

static bool read_cert(const uint8_t *der, size_t len, struct tdx_leaf *out)
{
    struct cursor c = cursor_init(der, len);
    struct der_item cert, tbs, sig;
    if (!der_next(&c, V_ASN1_CONSTRUCTED | V_ASN1_SEQUENCE, &cert) || c.left)
        return false;
    struct cursor cc = cursor_init(cert.val, cert.len);
    if (!der_next(&cc, V_ASN1_CONSTRUCTED | V_ASN1_SEQUENCE, &tbs) ||
        !der_expect(&cc, ecdsa_sha256, sizeof ecdsa_sha256) ||
        !der_next(&cc, V_ASN1_BIT_STRING, &sig) || cc.left)
        return false;
    if (sig.len < 2 || sig.val[0] != 0) /* no unused bits, something signed */
        return false;
    out->tbs = tbs.tlv;
    out->tbs_len = tbs.tlv_len;
    out->sig = sig.val + 1;
    out->sig_len = sig.len - 1;
    return read_tbs(&tbs, out);
}

int tdx_leaf_parse(const uint8_t *der, size_t len, struct tdx_leaf *out)
{
    memset(out, 0, sizeof *out);
    bool ok = der && read_cert(der, len, out);
    ERR_clear_error();
    if (!ok) {
        tdx_leaf_release(out);
        return -1;
    }
    return 0;
}

void tdx_leaf_release(struct tdx_leaf *l)
{
    ASN1_INTEGER_free(l->serial);
    ASN1_TIME_free(l->not_before);
    ASN1_TIME_free(l->not_after);
    X509_NAME_free(l->subject);
    sk_X509_EXTENSION_pop_free(l->exts, X509_EXTENSION_free);
    memset(l, 0, sizeof *l);
}
