// SPDX-License-Identifier: Apache-2.0
/* The built-in AMD roots: each product's certificates parsed once, when evidence first needs
 * that product (a Milan report never pays for parsing Genoa's and Turin's RSA-4096 keys; the
 * ASVK only when a VLEK signed: OpenSSL 3.0 spends ~0.12 ms decoding each such key), and
 * each ARK checked against the fingerprint AMD's KDS publishes before anything trusts it, so a
 * corrupted copy fails closed. Callers usually hand in these very certificates (KDS's
 * cert_chain): snp_builtin_find gives the copy parsed here instead (util/known_certs.h). */
#include <openssl/pem.h>
#include <pthread.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "snp/internal.h"
#include "util/error.h"
#include "util/known_certs.h"

#define N_PRODUCTS (BPTEE_SNP_PRODUCT_TURIN + 1)
#define N_CERTS 3 /* ARK, ASK, ASVK */
/* Enough of a PEM text (its header line and first base64 line) to tell which product's
 * certificates it may be; known_certs_at_pem then compares the whole text. */
#define PEM_PREFIX 92

struct root_src {
    const char *pem[N_CERTS]; /* ARK, ASK, ASVK */
    uint8_t ark_sha256[32];
};

/* Fingerprints as published in go-sev-guest's verify/trust and AMD KDS. */
static const struct root_src sources[] = {
    [BPTEE_SNP_PRODUCT_MILAN] = {{snp_ark_milan_pem, snp_ask_milan_pem, snp_asvk_milan_pem},
                                 {0x69, 0xd0, 0x63, 0xb4, 0x53, 0x44, 0xd2, 0x6a, 0x2e, 0x94, 0xe1,
                                  0xf4, 0x21, 0x0d, 0xe4, 0x9e, 0xf5, 0x55, 0x30, 0x82, 0x87, 0xd4,
                                  0xc1, 0x74, 0x44, 0x5c, 0x95, 0x63, 0x9a, 0x54, 0x0b, 0xcd}},
    [BPTEE_SNP_PRODUCT_GENOA] = {{snp_ark_genoa_pem, snp_ask_genoa_pem, snp_asvk_genoa_pem},
                                 {0x4c, 0x65, 0x98, 0xd1, 0x9c, 0x18, 0x71, 0x9c, 0x5d, 0xfd, 0x4a,
                                  0x7d, 0x33, 0x5f, 0x67, 0x4e, 0x5b, 0xfe, 0x1d, 0x8f, 0x80, 0x0c,
                                  0xea, 0x2c, 0xf2, 0x70, 0xc1, 0x0d, 0x10, 0x3d, 0xb2, 0xf1}},
    [BPTEE_SNP_PRODUCT_TURIN] = {{snp_ark_turin_pem, snp_ask_turin_pem, snp_asvk_turin_pem},
                                 {0x1f, 0x08, 0x41, 0x61, 0xa4, 0x4b, 0xb6, 0xd9, 0x37, 0x78, 0xa9,
                                  0x04, 0x87, 0x7d, 0x48, 0x19, 0xca, 0xfa, 0x5d, 0x05, 0xef, 0x41,
                                  0x93, 0xb2, 0xde, 0xd9, 0xdd, 0x9c, 0x73, 0xdd, 0x3f, 0x6a}},
};

struct product_state {
    struct snp_builtin b;
    int rc;
    char reason[256];
    atomic_bool ready; /* b.ark may be read without the once: set after a successful load */
    struct known_cert items[N_CERTS - 1];
    struct known_certs known; /* ARK, ASK */
    int asvk_rc; /* the ASVK, loaded apart (b.asvk) */
    char asvk_reason[256];
    struct known_cert asvk_item;
    struct known_certs asvk_known;
};
static struct product_state products[N_PRODUCTS];

/* Each certificate's DER straight from its base64 (no X.509 parsing), only to tell which
 * product a caller's certificate belongs to; what is returned is always the parsed copy. */
struct raw_der {
    uint8_t *p;
    size_t n;
};
static struct raw_der raw[N_PRODUCTS][N_CERTS];
static pthread_once_t raw_once = PTHREAD_ONCE_INIT;

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
    struct product_state *st = &products[p];
    struct snp_builtin *b = &st->b;
    const char *name = bptee_snp_product_name(p);
    b->ark = pem_cert(s->pem[0]);
    b->ask = pem_cert(s->pem[1]);
    if (!b->ark || !b->ask)
        return fail_openssl(BPTEE_ECRYPTO, "snp: built-in %s certificates do not parse", name);
    unsigned len = 0;
    if (!X509_digest(b->ark, EVP_sha256(), b->ark_sha256, &len) || len != 32)
        return fail_openssl(BPTEE_ECRYPTO, "snp: cannot digest the built-in %s ARK", name);
    if (memcmp(b->ark_sha256, s->ark_sha256, 32) != 0)
        return fail(BPTEE_EVERIFY, "snp: built-in %s ARK does not match its pinned fingerprint",
                    name);
    st->known = (struct known_certs){.items = st->items, .cap = N_CERTS - 1};
    int rc = known_certs_add(&st->known, b->ark, "snp");
    return rc == 0 ? known_certs_add(&st->known, b->ask, "snp") : rc;
}

/* Only after load_product succeeded: the ASVK is trusted through the ARK's chain check. */
static int load_asvk(int p)
{
    struct product_state *st = &products[p];
    if (!(st->b.asvk = pem_cert(sources[p].pem[2])))
        return fail_openssl(BPTEE_ECRYPTO, "snp: built-in %s ASVK does not parse",
                            bptee_snp_product_name(p));
    st->asvk_known = (struct known_certs){.items = &st->asvk_item, .cap = 1};
    return known_certs_add(&st->asvk_known, st->b.asvk, "snp");
}

static void load_one(int p)
{
    struct product_state *st = &products[p];
    st->rc = load_product(p);
    if (st->rc < 0)
        snprintf(st->reason, sizeof st->reason, "%s", bptee_last_error());
    else
        atomic_store_explicit(&st->ready, true, memory_order_release);
}

static void load_asvk_one(int p)
{
    struct product_state *st = &products[p];
    st->asvk_rc = load_asvk(p);
    if (st->asvk_rc < 0)
        snprintf(st->asvk_reason, sizeof st->asvk_reason, "%s", bptee_last_error());
}

/* pthread_once takes no argument: one pair of loaders per product. */
#define PRODUCT_LOADERS(name, p)                                                                   \
    static void load_##name(void) { load_one(p); }                                                 \
    static void load_asvk_##name(void) { load_asvk_one(p); }
PRODUCT_LOADERS(milan, BPTEE_SNP_PRODUCT_MILAN)
PRODUCT_LOADERS(genoa, BPTEE_SNP_PRODUCT_GENOA)
PRODUCT_LOADERS(turin, BPTEE_SNP_PRODUCT_TURIN)
#undef PRODUCT_LOADERS

static pthread_once_t load_once[N_PRODUCTS] = {PTHREAD_ONCE_INIT, PTHREAD_ONCE_INIT,
                                               PTHREAD_ONCE_INIT, PTHREAD_ONCE_INIT};
static pthread_once_t asvk_once[N_PRODUCTS] = {PTHREAD_ONCE_INIT, PTHREAD_ONCE_INIT,
                                               PTHREAD_ONCE_INIT, PTHREAD_ONCE_INIT};
static void (*const loaders[N_PRODUCTS])(void) = {
    [BPTEE_SNP_PRODUCT_MILAN] = load_milan,
    [BPTEE_SNP_PRODUCT_GENOA] = load_genoa,
    [BPTEE_SNP_PRODUCT_TURIN] = load_turin,
};
static void (*const asvk_loaders[N_PRODUCTS])(void) = {
    [BPTEE_SNP_PRODUCT_MILAN] = load_asvk_milan,
    [BPTEE_SNP_PRODUCT_GENOA] = load_asvk_genoa,
    [BPTEE_SNP_PRODUCT_TURIN] = load_asvk_turin,
};
_Static_assert(N_PRODUCTS == 4, "loaders and onces for each product");

/* Load product p's ARK and ASK (once), and its ASVK too when asked; 0, or the load's failure
 * with the reason set. */
static int ensure(int p, bool asvk)
{
    struct product_state *st = &products[p];
    pthread_once(&load_once[p], loaders[p]);
    if (st->rc < 0)
        return fail(st->rc, "%s", st->reason);
    if (!asvk)
        return 0;
    pthread_once(&asvk_once[p], asvk_loaders[p]);
    return st->asvk_rc < 0 ? fail(st->asvk_rc, "%s", st->asvk_reason) : 0;
}

/* Product p's known set holding certificate c (0 ARK, 1 ASK, 2 ASVK), loaded; NULL when its
 * load failed. */
static const struct known_certs *known_of(int p, int c)
{
    if (ensure(p, c == 2) < 0)
        return NULL;
    return c == 2 ? &products[p].asvk_known : &products[p].known;
}

/* The base64 body of a PEM text, decoded; a text that does not decode is left out (its
 * product still loads, and fails closed, when evidence needs it). */
static void raw_decode(const char *pem, struct raw_der *out)
{
    const char *body = strchr(pem, '\n'), *end = strstr(pem, "-----END");
    size_t cap = strlen(pem);
    uint8_t *buf = body && end && end > body ? malloc(cap) : NULL;
    size_t n = 0;
    if (buf && sodium_base642bin(buf, cap, body + 1, (size_t)(end - body - 1), "\n", &n, NULL,
                                 sodium_base64_VARIANT_ORIGINAL) == 0) {
        *out = (struct raw_der){buf, n};
        return;
    }
    free(buf);
}

static void raw_all(void)
{
    for (int p = BPTEE_SNP_PRODUCT_MILAN; p < N_PRODUCTS; p++)
        for (int c = 0; c < N_CERTS; c++)
            raw_decode(sources[p].pem[c], &raw[p][c]);
}

int snp_builtin_get(int product, bool asvk, const struct snp_builtin **out)
{
    if (product < BPTEE_SNP_PRODUCT_MILAN || product >= N_PRODUCTS)
        return fail(BPTEE_EUNSUPPORTED, "snp: no built-in roots for product %d", product);
    int rc = ensure(product, asvk);
    if (rc < 0)
        return rc;
    *out = &products[product].b;
    return 0;
}

int snp_builtin_product_of(const uint8_t fp[32])
{
    for (int p = BPTEE_SNP_PRODUCT_MILAN; p < N_PRODUCTS; p++)
        if (!memcmp(sources[p].ark_sha256, fp, 32))
            return ensure(p, false) == 0 ? p : BPTEE_SNP_PRODUCT_UNKNOWN;
    return BPTEE_SNP_PRODUCT_UNKNOWN;
}

X509 *snp_builtin_find(const uint8_t *der, size_t len)
{
    pthread_once(&raw_once, raw_all);
    for (int p = BPTEE_SNP_PRODUCT_MILAN; p < N_PRODUCTS; p++)
        for (int c = 0; c < N_CERTS; c++)
            if (raw[p][c].n == len && !memcmp(raw[p][c].p, der, len)) {
                const struct known_certs *k = known_of(p, c);
                return k ? known_certs_find(k, der, len) : NULL;
            }
    return NULL;
}

const struct known_cert *snp_builtin_at_pem(const uint8_t *text, size_t len, size_t *used)
{
    size_t ws = 0;
    while (ws < len && (text[ws] == ' ' || text[ws] == '\t' || text[ws] == '\r' ||
                        text[ws] == '\n'))
        ws++;
    for (int p = BPTEE_SNP_PRODUCT_MILAN; p < N_PRODUCTS; p++)
        for (int c = 0; c < N_CERTS; c++) {
            size_t n = strnlen(sources[p].pem[c], PEM_PREFIX);
            const struct known_certs *set;
            if (n > len - ws || memcmp(text + ws, sources[p].pem[c], n) != 0 ||
                !(set = known_of(p, c)))
                continue;
            const struct known_cert *k = known_certs_at_pem(set, text, len, used);
            if (k)
                return k;
        }
    return NULL;
}

bool snp_builtin_ark_sha256(X509 *ark, uint8_t out[32])
{
    for (int p = BPTEE_SNP_PRODUCT_MILAN; p < N_PRODUCTS; p++) {
        const struct product_state *st = &products[p];
        if (atomic_load_explicit(&st->ready, memory_order_acquire) && st->b.ark == ark) {
            memcpy(out, st->b.ark_sha256, 32);
            return true;
        }
    }
    return false;
}
