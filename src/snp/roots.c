// SPDX-License-Identifier: Apache-2.0
/* The built-in AMD roots: parsed once, and each ARK checked against the fingerprint AMD's
 * KDS publishes before anything trusts it, so a corrupted copy fails closed. Callers usually
 * hand in these very certificates (KDS's cert_chain): snp_builtin_find gives the copy parsed
 * here instead (util/known_certs.h). */
#include <openssl/pem.h>
#include <pthread.h>
#include <string.h>

#include "snp/internal.h"
#include "util/error.h"
#include "util/known_certs.h"

#define N_PRODUCTS (BPTEE_SNP_PRODUCT_TURIN + 1)

struct root_src {
    const char *ark, *ask, *asvk;
    uint8_t ark_sha256[32];
};

/* Fingerprints as published in go-sev-guest's verify/trust and AMD KDS. */
static const struct root_src sources[] = {
    [BPTEE_SNP_PRODUCT_MILAN] = {snp_ark_milan_pem, snp_ask_milan_pem, snp_asvk_milan_pem,
                                 {0x69, 0xd0, 0x63, 0xb4, 0x53, 0x44, 0xd2, 0x6a, 0x2e, 0x94, 0xe1,
                                  0xf4, 0x21, 0x0d, 0xe4, 0x9e, 0xf5, 0x55, 0x30, 0x82, 0x87, 0xd4,
                                  0xc1, 0x74, 0x44, 0x5c, 0x95, 0x63, 0x9a, 0x54, 0x0b, 0xcd}},
    [BPTEE_SNP_PRODUCT_GENOA] = {snp_ark_genoa_pem, snp_ask_genoa_pem, snp_asvk_genoa_pem,
                                 {0x4c, 0x65, 0x98, 0xd1, 0x9c, 0x18, 0x71, 0x9c, 0x5d, 0xfd, 0x4a,
                                  0x7d, 0x33, 0x5f, 0x67, 0x4e, 0x5b, 0xfe, 0x1d, 0x8f, 0x80, 0x0c,
                                  0xea, 0x2c, 0xf2, 0x70, 0xc1, 0x0d, 0x10, 0x3d, 0xb2, 0xf1}},
    [BPTEE_SNP_PRODUCT_TURIN] = {snp_ark_turin_pem, snp_ask_turin_pem, snp_asvk_turin_pem,
                                 {0x1f, 0x08, 0x41, 0x61, 0xa4, 0x4b, 0xb6, 0xd9, 0x37, 0x78, 0xa9,
                                  0x04, 0x87, 0x7d, 0x48, 0x19, 0xca, 0xfa, 0x5d, 0x05, 0xef, 0x41,
                                  0x93, 0xb2, 0xde, 0xd9, 0xdd, 0x9c, 0x73, 0xdd, 0x3f, 0x6a}},
};

static struct snp_builtin builtins[N_PRODUCTS];
static int load_rc;
static char load_reason[256];
static pthread_once_t load_once = PTHREAD_ONCE_INIT;

/* Each built-in certificate's exact DER and PEM, to recognise a caller's copy of it. */
static struct known_cert known_items[N_PRODUCTS * 3];
static struct known_certs known = {.items = known_items, .cap = N_PRODUCTS * 3};

static X509 *pem_cert(const char *pem)
{
    BIO *b = BIO_new_mem_buf(pem, -1);
    if (!b)
        return NULL;
    X509 *x = PEM_read_bio_X509(b, NULL, NULL, NULL);
    BIO_free(b);
    return x;
}

static int load_product(int p)
{
    const struct root_src *s = &sources[p];
    struct snp_builtin *b = &builtins[p];
    const char *name = bptee_snp_product_name(p);
    b->ark = pem_cert(s->ark);
    b->ask = pem_cert(s->ask);
    b->asvk = pem_cert(s->asvk);
    if (!b->ark || !b->ask || !b->asvk)
        return fail_openssl(BPTEE_ECRYPTO, "snp: built-in %s certificates do not parse", name);
    unsigned len = 0;
    if (!X509_digest(b->ark, EVP_sha256(), b->ark_sha256, &len) || len != 32)
        return fail_openssl(BPTEE_ECRYPTO, "snp: cannot digest the built-in %s ARK", name);
    if (memcmp(b->ark_sha256, s->ark_sha256, 32) != 0)
        return fail(BPTEE_EVERIFY, "snp: built-in %s ARK does not match its pinned fingerprint",
                    name);
    int rc = known_certs_add(&known, b->ark, "snp");
    if (rc == 0)
        rc = known_certs_add(&known, b->ask, "snp");
    if (rc == 0)
        rc = known_certs_add(&known, b->asvk, "snp");
    return rc;
}

static void load_all(void)
{
    for (int p = BPTEE_SNP_PRODUCT_MILAN; p < N_PRODUCTS; p++) {
        load_rc = load_product(p);
        if (load_rc < 0) {
            snprintf(load_reason, sizeof load_reason, "%s", bptee_last_error());
            return;
        }
    }
}

int snp_builtin_get(int product, const struct snp_builtin **out)
{
    pthread_once(&load_once, load_all);
    if (load_rc < 0)
        return fail(load_rc, "%s", load_reason);
    if (product < BPTEE_SNP_PRODUCT_MILAN || product >= N_PRODUCTS)
        return fail(BPTEE_EUNSUPPORTED, "snp: no built-in roots for product %d", product);
    *out = &builtins[product];
    return 0;
}

int snp_builtin_product_of(const uint8_t fp[32])
{
    pthread_once(&load_once, load_all);
    if (load_rc < 0)
        return BPTEE_SNP_PRODUCT_UNKNOWN;
    for (int p = BPTEE_SNP_PRODUCT_MILAN; p < N_PRODUCTS; p++)
        if (!memcmp(builtins[p].ark_sha256, fp, 32))
            return p;
    return BPTEE_SNP_PRODUCT_UNKNOWN;
}

X509 *snp_builtin_find(const uint8_t *der, size_t len)
{
    pthread_once(&load_once, load_all);
    return load_rc < 0 ? NULL : known_certs_find(&known, der, len);
}

const struct known_cert *snp_builtin_at_pem(const uint8_t *text, size_t len, size_t *used)
{
    pthread_once(&load_once, load_all);
    return load_rc < 0 ? NULL : known_certs_at_pem(&known, text, len, used);
}

bool snp_builtin_ark_sha256(X509 *ark, uint8_t out[32])
{
    pthread_once(&load_once, load_all);
    for (int p = BPTEE_SNP_PRODUCT_MILAN; load_rc == 0 && p < N_PRODUCTS; p++)
        if (builtins[p].ark == ark) {
            memcpy(out, builtins[p].ark_sha256, 32);
            return true;
        }
    return false;
}
