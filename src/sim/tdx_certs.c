// SPDX-License-Identifier: Apache-2.0
/* The simulated TDX key hierarchy, shaped as Intel's: a P-256 root (self-signed) issuing the
 * PCK Platform CA and the TCB signing certificate, the CA issuing the PCK certificate with the
 * SGX extensions, every signature ECDSA with SHA-256. Subject names are Intel's but O is
 * BPTEE_SIM_ORG on every certificate, so no verifier and no reader mistakes them for Intel's.
 * The attestation key (the QE's) is generated alongside. */
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>
#include <sodium.h>
#include <stdlib.h>

#include "sim/common.h"
#include "sim/tdx_sim.h"
#include "util/error.h"

#define WHO "sim: tdx" /* begins every error */
#define DAY (24L * 3600)
#define BACKDATE_SECS DAY /* tolerate clocks a day behind the generating one */

static const struct {
    const char *cn;
    long days;
    const char *basic, *usage;
} profiles[TDX_SIM_NCERTS] = {
    [TDX_SIM_ROOT] = {"Intel SGX Root CA", 25 * 365, "critical,CA:TRUE,pathlen:1",
                      "critical,keyCertSign,cRLSign"},
    [TDX_SIM_PCK_CA] = {"Intel SGX PCK Platform CA", 15 * 365, "critical,CA:TRUE,pathlen:0",
                        "critical,keyCertSign,cRLSign"},
    [TDX_SIM_PCK] = {"Intel SGX PCK Certificate", 7 * 365, "critical,CA:FALSE",
                     "critical,digitalSignature,nonRepudiation"},
    [TDX_SIM_SIGNER] = {"Intel SGX TCB Signing", 7 * 365, "critical,CA:FALSE",
                        "critical,digitalSignature,nonRepudiation"},
};
static const int issuer_of[TDX_SIM_NCERTS] = {
    [TDX_SIM_ROOT] = TDX_SIM_ROOT, [TDX_SIM_PCK_CA] = TDX_SIM_ROOT,
    [TDX_SIM_PCK] = TDX_SIM_PCK_CA, [TDX_SIM_SIGNER] = TDX_SIM_ROOT,
};

/* Intel's RDN sequence (CN, O, L, ST, C) with the simulation's organization. */
int tdx_sim_name(X509_NAME *n, const char *cn)
{
    const char *const fields[][2] = {
        {"CN", cn}, {"O", BPTEE_SIM_ORG}, {"L", "Santa Clara"}, {"ST", "CA"}, {"C", "US"},
    };
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
        int type = strcmp(fields[i][0], "C") ? MBSTRING_UTF8 : MBSTRING_ASC;
        if (!X509_NAME_add_entry_by_txt(n, fields[i][0], type,
                                        (const unsigned char *)fields[i][1], -1, -1, 0))
            return fail_openssl(BPTEE_ECRYPTO, "sim: tdx: certificate name");
    }
    return 0;
}

/* 16 random bytes, top bit clear: unique serials, so a CRL can name exactly one. */
int tdx_sim_random_serial(ASN1_INTEGER *serial)
{
    uint8_t b[16];
    randombytes_buf(b, sizeof b);
    b[0] = (uint8_t)((b[0] & 0x7f) | 0x01);
    BIGNUM *bn = BN_bin2bn(b, sizeof b, NULL);
    int ok = bn && BN_to_ASN1_INTEGER(bn, serial) != NULL;
    BN_free(bn);
    return ok ? 0 : fail_openssl(BPTEE_ECRYPTO, "sim: tdx: serial number");
}

static int add_exts(X509 *x, X509 *issuer, int which)
{
    int r = sim_add_conf_ext(WHO, x, issuer, NID_subject_key_identifier, "hash");
    if (r == 0)
        r = sim_add_conf_ext(WHO, x, issuer, NID_authority_key_identifier, "keyid:always");
    if (r == 0)
        r = sim_add_conf_ext(WHO, x, issuer, NID_key_usage, profiles[which].usage);
    if (r == 0)
        r = sim_add_conf_ext(WHO, x, issuer, NID_basic_constraints, profiles[which].basic);
    if (r == 0 && which == TDX_SIM_PCK)
        r = tdx_sim_add_sgx_ext(x);
    return r;
}

/* One certificate for key, issued by issuer (== x for the root) and signed with issuer_key. */
static int make_cert(int which, EVP_PKEY *key, X509 *issuer, EVP_PKEY *issuer_key, X509 **out)
{
    X509 *x = X509_new();
    int r = x ? 0 : fail(BPTEE_ENOMEM, "sim: tdx: out of memory");
    if (r == 0 && (!X509_set_version(x, X509_VERSION_3) ||
                   !X509_gmtime_adj(X509_getm_notBefore(x), -BACKDATE_SECS) ||
                   !X509_time_adj_ex(X509_getm_notAfter(x), (int)profiles[which].days, 0, NULL) ||
                   !X509_set_pubkey(x, key)))
        r = fail_openssl(BPTEE_ECRYPTO, "sim: tdx: %s", profiles[which].cn);
    if (r == 0)
        r = tdx_sim_random_serial(X509_get_serialNumber(x));
    if (r == 0)
        r = tdx_sim_name(X509_get_subject_name(x), profiles[which].cn);
    if (r == 0 && !X509_set_issuer_name(x, X509_get_subject_name(issuer ? issuer : x)))
        r = fail_openssl(BPTEE_ECRYPTO, "sim: tdx: issuer name");
    if (r == 0)
        r = add_exts(x, issuer ? issuer : x, which);
    if (r == 0 && X509_sign(x, issuer_key, EVP_sha256()) <= 0)
        r = fail_openssl(BPTEE_ECRYPTO, "sim: tdx: signing %s", profiles[which].cn);
    if (r < 0) {
        X509_free(x);
        return r;
    }
    *out = x;
    return 0;
}

int tdx_sim_platform_generate(struct tdx_sim_platform *p)
{
    EVP_PKEY *keys[TDX_SIM_NCERTS + 1] = {NULL};
    X509 *certs[TDX_SIM_NCERTS] = {NULL};
    int r = 0;
    memset(p, 0, sizeof *p);
    for (int i = 0; r == 0 && i <= TDX_SIM_NCERTS; i++)
        if (!(keys[i] = EVP_EC_gen("P-256")))
            r = fail_openssl(BPTEE_ECRYPTO, "sim: tdx: key generation");
    /* In issuing order: the root first, the PCK after its CA. */
    for (int i = 0; r == 0 && i < TDX_SIM_NCERTS; i++) {
        int is = issuer_of[i];
        r = make_cert(i, keys[i], i == TDX_SIM_ROOT ? NULL : certs[is], keys[is], &certs[i]);
    }
    for (int i = 0; r == 0 && i < TDX_SIM_NCERTS; i++)
        r = sim_cert_to_der(WHO, certs[i], &p->der[i], &p->der_len[i]);
    for (int i = 0; r == 0 && i <= TDX_SIM_NCERTS; i++)
        r = sim_key_to_pem(WHO, "private key", keys[i], &p->key_pem[i], &p->key_pem_len[i]);
    for (int i = 0; i <= TDX_SIM_NCERTS; i++) {
        EVP_PKEY_free(keys[i]);
        if (i < TDX_SIM_NCERTS)
            X509_free(certs[i]);
    }
    if (r < 0)
        tdx_sim_platform_release(p);
    return r;
}

void tdx_sim_platform_release(struct tdx_sim_platform *p)
{
    for (int i = 0; i <= TDX_SIM_NCERTS; i++) {
        if (i < TDX_SIM_NCERTS)
            free(p->der[i]);
        sodium_free(p->key_pem[i]); /* wipes */
    }
    memset(p, 0, sizeof *p);
}
