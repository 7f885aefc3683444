// SPDX-License-Identifier: Apache-2.0
/* The simulation's key hierarchy, shaped as AMD's: ARK (RSA-4096, self-signed) -> ASK
 * (RSA-4096) -> VCEK (EC P-384), every signature RSASSA-PSS SHA-384 / MGF1-SHA-384 / salt 48,
 * AMD's subject names but O = BPTEE_SIM_ORG, and the VCEK extensions a verifier checks
 * (product name, SPLs equal to REPORTED_TCB, hwID equal to CHIP_ID). The ARK and ASK private
 * keys are dropped once the chain is signed: nothing needs them afterwards, which is also why
 * they may be four-prime RSA (sim_rsa4096): the public keys and certificates are byte for byte
 * the shape of AMD's, only their generation is several times faster. */
#include <openssl/bio.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "sim/common.h"
#include "sim/sim_private.h"
#include "util/error.h"

#define WHO "sim" /* begins every error */
#define AMD_OID "1.3.6.1.4.1.3704.1."
#define ROOT_DAYS (25 * 365 + 6)  /* AMD ARKs and ASKs: 25 years */
#define VCEK_DAYS (7 * 365 + 2)   /* AMD VCEKs: 7 years */
#define BACKDATE_SECS (24 * 3600) /* tolerate clocks a day behind the generating one */

/* The simulated TCB (Milan layout), as on a current Milan firmware. */
static const struct bptee_snp_tcb sim_tcb = {
    .bootloader = 4, .tee = 0, .snp = 27, .microcode = 222};

static void x509_freep(X509 **x)
{
    X509_free(*x);
}
static void pkey_freep(EVP_PKEY **k)
{
    EVP_PKEY_free(*k);
}
#define _cleanup_x509_ __attribute__((cleanup(x509_freep)))
#define _cleanup_pkey_ __attribute__((cleanup(pkey_freep)))

/* AMD's RDN sequence (OU, C, L, ST, O, CN) with the simulation's organization. */
static int set_amd_name(X509_NAME *n, const char *cn)
{
    static const char *const fields[][2] = {
        {"OU", "Engineering"}, {"C", "US"},          {"L", "Santa Clara"},
        {"ST", "CA"},          {"O", BPTEE_SIM_ORG},
    };
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
        int type = strcmp(fields[i][0], "C") ? MBSTRING_UTF8 : MBSTRING_ASC;
        if (!X509_NAME_add_entry_by_txt(n, fields[i][0], type, (const unsigned char *)fields[i][1],
                                        -1, -1, 0))
            return fail_openssl(BPTEE_ECRYPTO, "sim: certificate name");
    }
    if (!X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_UTF8, (const unsigned char *)cn, -1, -1, 0))
        return fail_openssl(BPTEE_ECRYPTO, "sim: certificate name");
    return 0;
}

/* An unsigned v3 certificate for key, named cn, issued by issuer (NULL: self-issued). */
static int cert_new(const char *cn, long serial, long days, EVP_PKEY *key, X509 *issuer, X509 **out)
{
    _cleanup_x509_ X509 *x = X509_new();
    if (!x || !X509_set_version(x, X509_VERSION_3) ||
        !ASN1_INTEGER_set(X509_get_serialNumber(x), serial) ||
        !X509_gmtime_adj(X509_getm_notBefore(x), -BACKDATE_SECS) ||
        !X509_time_adj_ex(X509_getm_notAfter(x), (int)days, 0, NULL) || !X509_set_pubkey(x, key))
        return fail_openssl(BPTEE_ECRYPTO, "sim: %s certificate", cn);
    int r = set_amd_name(X509_get_subject_name(x), cn);
    if (r < 0)
        return r;
    X509_NAME *iname = issuer ? X509_get_subject_name(issuer) : X509_get_subject_name(x);
    if (!X509_set_issuer_name(x, iname))
        return fail_openssl(BPTEE_ECRYPTO, "sim: %s certificate issuer", cn);
    *out = x;
    x = NULL;
    return 0;
}

/* An extension whose value is the given bytes verbatim (AMD's hwID has no DER tag). */
static int add_raw_ext(X509 *x, const char *oid, const uint8_t *val, size_t len)
{
    ASN1_OBJECT *obj = OBJ_txt2obj(oid, 1);
    ASN1_OCTET_STRING *os = ASN1_OCTET_STRING_new();
    X509_EXTENSION *ext = NULL;
    int ok = obj && os && ASN1_OCTET_STRING_set(os, val, (int)len) &&
             (ext = X509_EXTENSION_create_by_OBJ(NULL, obj, 0, os)) && X509_add_ext(x, ext, -1);
    X509_EXTENSION_free(ext);
    ASN1_OCTET_STRING_free(os);
    ASN1_OBJECT_free(obj);
    return ok ? 0 : fail_openssl(BPTEE_ECRYPTO, "sim: VCEK extension %s", oid);
}

/* An extension holding a DER INTEGER (structVersion and the SPLs). */
static int add_int_ext(X509 *x, const char *oid, long v)
{
    ASN1_INTEGER *i = ASN1_INTEGER_new();
    unsigned char *der = NULL;
    int n = (i && ASN1_INTEGER_set(i, v)) ? i2d_ASN1_INTEGER(i, &der) : -1;
    ASN1_INTEGER_free(i);
    if (n <= 0)
        return fail_openssl(BPTEE_ECRYPTO, "sim: VCEK extension %s", oid);
    int r = add_raw_ext(x, oid, der, (size_t)n);
    OPENSSL_free(der);
    return r;
}

/* An extension holding a DER IA5String (productName). */
static int add_ia5_ext(X509 *x, const char *oid, const char *s)
{
    ASN1_IA5STRING *a = ASN1_IA5STRING_new();
    unsigned char *der = NULL;
    int n = (a && ASN1_STRING_set(a, s, -1)) ? i2d_ASN1_IA5STRING(a, &der) : -1;
    ASN1_IA5STRING_free(a);
    if (n <= 0)
        return fail_openssl(BPTEE_ECRYPTO, "sim: VCEK extension %s", oid);
    int r = add_raw_ext(x, oid, der, (size_t)n);
    OPENSSL_free(der);
    return r;
}

/* AMD's VCEK extensions in the order AMD's KDS writes them (reserved SPLs 4..7 are zero). */
static int add_vcek_exts(X509 *x, const uint8_t chip_id[SIM_CHIP_ID_SIZE])
{
    const struct {
        const char *oid;
        long v;
    } ints[] = {
        {AMD_OID "3.1", sim_tcb.bootloader},
        {AMD_OID "3.2", sim_tcb.tee},
        {AMD_OID "3.4", 0},
        {AMD_OID "3.5", 0},
        {AMD_OID "3.6", 0},
        {AMD_OID "3.7", 0},
        {AMD_OID "3.3", sim_tcb.snp},
        {AMD_OID "3.8", sim_tcb.microcode},
    };
    int r = add_int_ext(x, AMD_OID "1", 0);
    if (r == 0)
        r = add_ia5_ext(x, AMD_OID "2", "Milan-B0");
    for (size_t i = 0; r == 0 && i < sizeof ints / sizeof ints[0]; i++)
        r = add_int_ext(x, ints[i].oid, ints[i].v);
    if (r == 0)
        r = add_raw_ext(x, AMD_OID "4", chip_id, SIM_CHIP_ID_SIZE);
    return r;
}

/* Sign with RSASSA-PSS SHA-384, MGF1-SHA-384, salt 48: the parameters of every AMD chain. */
static int sign_pss(X509 *x, EVP_PKEY *issuer_key)
{
    EVP_MD_CTX *m = EVP_MD_CTX_new();
    EVP_PKEY_CTX *pctx = NULL;
    int ok = m && EVP_DigestSignInit(m, &pctx, EVP_sha384(), NULL, issuer_key) == 1 &&
             EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) == 1 &&
             EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, 48) == 1 &&
             EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, EVP_sha384()) == 1 && X509_sign_ctx(x, m) > 0;
    EVP_MD_CTX_free(m);
    return ok ? 0 : fail_openssl(BPTEE_ECRYPTO, "sim: RSA-PSS certificate signature");
}

static int make_ark(EVP_PKEY *key, X509 **out)
{
    int r = cert_new("ARK-Milan", 0x10000, ROOT_DAYS, key, NULL, out);
    if (r == 0)
        r = sim_add_conf_ext(WHO, *out, NULL, NID_key_usage, "critical,keyCertSign,cRLSign");
    if (r == 0)
        r = sim_add_conf_ext(WHO, *out, NULL, NID_subject_key_identifier, "hash");
    if (r == 0)
        r = sim_add_conf_ext(WHO, *out, NULL, NID_basic_constraints, "critical,CA:TRUE");
    return r == 0 ? sign_pss(*out, key) : r;
}

static int make_ask(EVP_PKEY *key, X509 *ark, EVP_PKEY *ark_key, X509 **out)
{
    int r = cert_new("SEV-Milan", 0x10001, ROOT_DAYS, key, ark, out);
    if (r == 0)
        r = sim_add_conf_ext(WHO, *out, ark, NID_subject_key_identifier, "hash");
    if (r == 0)
        r = sim_add_conf_ext(WHO, *out, ark, NID_authority_key_identifier, "keyid:always");
    if (r == 0)
        r = sim_add_conf_ext(WHO, *out, ark, NID_basic_constraints, "critical,CA:TRUE,pathlen:0");
    if (r == 0)
        r = sim_add_conf_ext(WHO, *out, ark, NID_key_usage, "critical,keyCertSign");
    return r == 0 ? sign_pss(*out, ark_key) : r;
}

/* VCEKs have serial number 0 and no key identifiers, as AMD issues them. */
static int make_vcek(EVP_PKEY *key, X509 *ask, EVP_PKEY *ask_key, const uint8_t *chip_id,
                     X509 **out)
{
    int r = cert_new("SEV-VCEK", 0, VCEK_DAYS, key, ask, out);
    if (r == 0)
        r = add_vcek_exts(*out, chip_id);
    return r == 0 ? sign_pss(*out, ask_key) : r;
}

/* An RSA-4096 key made of four 1024-bit primes (RFC 8017 multi-prime RSA) instead of two of
 * 2048 bits. The public key (n, e), the certificates and the PSS signatures are the same as
 * with two primes; finding four small primes takes ~0.4 s where two large ones take 1.5 s on
 * average and up to 8 s on a busy machine, which was all of a new simulated agent's start.
 * Used for the simulation's own ARK and ASK only: their private keys are never stored, and a
 * simulated root is never trusted unless a policy says so (docs/guest.md). */
static EVP_PKEY *sim_rsa4096(void)
{
    EVP_PKEY *key = NULL;
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
    if (!ctx || EVP_PKEY_keygen_init(ctx) != 1 || EVP_PKEY_CTX_set_rsa_keygen_bits(ctx, 4096) != 1 ||
        EVP_PKEY_CTX_set_rsa_keygen_primes(ctx, 4) != 1 || EVP_PKEY_keygen(ctx, &key) != 1) {
        EVP_PKEY_free(key);
        key = NULL;
    }
    EVP_PKEY_CTX_free(ctx);
    return key;
}

static int generate_chain(struct sim_platform *p)
{
    _cleanup_pkey_ EVP_PKEY *ark_key = sim_rsa4096();
    _cleanup_pkey_ EVP_PKEY *ask_key = sim_rsa4096();
    _cleanup_pkey_ EVP_PKEY *vcek_key = EVP_EC_gen("P-384");
    if (!ark_key || !ask_key || !vcek_key)
        return fail_openssl(BPTEE_ECRYPTO, "sim: key generation");
    _cleanup_x509_ X509 *ark = NULL;
    _cleanup_x509_ X509 *ask = NULL;
    _cleanup_x509_ X509 *vcek = NULL;
    int r = make_ark(ark_key, &ark);
    if (r == 0)
        r = make_ask(ask_key, ark, ark_key, &ask);
    if (r == 0)
        r = make_vcek(vcek_key, ask, ask_key, p->chip_id, &vcek);
    if (r == 0)
        r = sim_cert_to_der(WHO, ark, &p->der[BPTEE_SNP_CERT_ARK], &p->der_len[BPTEE_SNP_CERT_ARK]);
    if (r == 0)
        r = sim_cert_to_der(WHO, ask, &p->der[BPTEE_SNP_CERT_ASK], &p->der_len[BPTEE_SNP_CERT_ASK]);
    if (r == 0)
        r = sim_cert_to_der(WHO, vcek, &p->der[BPTEE_SNP_CERT_VCEK],
                            &p->der_len[BPTEE_SNP_CERT_VCEK]);
    if (r == 0)
        r = sim_key_to_pem(WHO, "VCEK private key", vcek_key, &p->vcek_key_pem,
                           &p->vcek_key_pem_len);
    return r;
}

int sim_platform_generate(struct sim_platform *p)
{
    memset(p, 0, sizeof *p);
    randombytes_buf(p->chip_id, sizeof p->chip_id);
    int r = bptee_snp_tcb_encode(&sim_tcb, BPTEE_SNP_PRODUCT_MILAN, &p->tcb);
    if (r == 0)
        r = generate_chain(p);
    if (r < 0)
        sim_platform_release(p);
    return r;
}

void sim_platform_release(struct sim_platform *p)
{
    for (int k = 0; k < SIM_NCERTS; k++) {
        free(p->der[k]);
        p->der[k] = NULL;
    }
    sodium_free(p->vcek_key_pem); /* wipes */
    p->vcek_key_pem = NULL;
}
