// SPDX-License-Identifier: Apache-2.0
/* Gathering the endorsement certificates from the caller's inputs as DER byte ranges (PEM is
 * only base64-decoded here, and AMD's own certificates not even that; X.509 parsing waits
 * until the chain cache has missed). */
#include <openssl/err.h>
#include <openssl/pem.h>
#include <string.h>

#include "snp/internal.h"
#include "util/error.h"
#include "util/known_certs.h"

static bool looks_pem(const uint8_t *p, size_t n)
{
    static const char tag[] = "-----BEGIN ";
    while (n && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n'))
        p++, n--;
    return n >= sizeof tag - 1 && !memcmp(p, tag, sizeof tag - 1);
}

static int keep_owned(struct snp_inputs *in, uint8_t *data)
{
    if (in->n_owned >= sizeof in->owned / sizeof in->owned[0]) {
        OPENSSL_free(data);
        return fail(BPTEE_ELIMIT, "snp: too many certificates (at most %d in a chain)",
                    SNP_MAX_CHAIN);
    }
    in->owned[in->n_owned++] = data;
    return 0;
}

/* The PEM block at the start of p as a DER range, and in *used how far it reaches (0: no more
 * blocks). AMD's own certificates, in the exact text KDS serves, are known without decoding. */
static int next_block(struct snp_inputs *in, const uint8_t *p, size_t n, const char *what,
                      struct der *d, size_t *used)
{
    const struct known_cert *k = snp_builtin_at_pem(p, n, used);
    if (k) {
        *d = (struct der){k->der, k->len};
        return 0;
    }
    char *name = NULL, *header = NULL;
    unsigned char *data = NULL;
    long len = 0;
    BIO *b = BIO_new_mem_buf(p, (int)n);
    *used = 0;
    if (!b)
        return fail(BPTEE_ENOMEM, "%s: cannot read", what);
    if (!PEM_read_bio(b, &name, &header, &data, &len)) {
        ERR_clear_error(); /* the end of the text reads as "no start line" */
        BIO_free(b);
        return 0;
    }
    *used = n - (size_t)BIO_pending(b);
    BIO_free(b);
    bool cert = !strcmp(name, "CERTIFICATE");
    OPENSSL_free(name);
    OPENSSL_free(header);
    if (!cert || len <= 0) {
        OPENSSL_free(data);
        return fail(BPTEE_EPARSE, "%s: PEM block is not a CERTIFICATE", what);
    }
    *d = (struct der){data, (size_t)len};
    return keep_owned(in, data);
}

/* Every CERTIFICATE block of a PEM text as DER ranges (at most max). */
static int pem_blocks(struct snp_inputs *in, const uint8_t *p, size_t n, const char *what,
                      struct der *out, size_t max, size_t *count)
{
    if (n > INT32_MAX)
        return fail(BPTEE_ENOMEM, "%s: cannot read", what);
    int rc = 0;
    *count = 0;
    for (size_t off = 0, used = 0; rc == 0 && off < n; off += used) {
        struct der d;
        if ((rc = next_block(in, p + off, n - off, what, &d, &used)) < 0 || used == 0)
            break;
        if (*count >= max)
            rc = fail(BPTEE_ELIMIT, "%s: more than %zu certificates", what, max);
        else
            out[(*count)++] = d;
    }
    if (rc == 0 && *count == 0)
        rc = fail(BPTEE_EPARSE, "%s: no PEM certificate found", what);
    return rc;
}

static int gather_one(struct snp_inputs *in, const uint8_t *p, size_t n, const char *what)
{
    size_t count = 0;
    if (!looks_pem(p, n)) {
        in->leaf = (struct der){p, n};
        return 0;
    }
    int rc = pem_blocks(in, p, n, what, &in->leaf, 1, &count);
    return rc;
}

static int gather_chain(struct snp_inputs *in, const uint8_t *p, size_t n)
{
    size_t count = 0;
    if (!looks_pem(p, n)) {
        in->chain[0] = (struct der){p, n};
        in->n_chain = 1;
        return 0;
    }
    int rc = pem_blocks(in, p, n, "snp: certificate chain", in->chain, SNP_MAX_CHAIN, &count);
    in->n_chain = count;
    return rc;
}

static int gather_table(struct snp_inputs *in, const struct bptee_snp_verify_opts *o,
                        int signing_key)
{
    struct bptee_snp_cert certs[BPTEE_SNP_CERTTABLE_MAX];
    size_t n = 0;
    int rc = bptee_snp_certtable_parse(o->certtable, o->certtable_len, certs,
                                       BPTEE_SNP_CERTTABLE_MAX, &n);
    if (rc < 0)
        return rc;
    int want = signing_key == BPTEE_SNP_KEY_VLEK ? BPTEE_SNP_CERT_VLEK : BPTEE_SNP_CERT_VCEK;
    bool use_chain = o->chain_len == 0;
    for (size_t i = 0; i < n; i++) {
        struct der d = {certs[i].der, certs[i].der_len};
        if (certs[i].kind == want && !o->vcek_len)
            in->leaf = d;
        else if (use_chain && (certs[i].kind == BPTEE_SNP_CERT_ASK ||
                               certs[i].kind == BPTEE_SNP_CERT_ARK)) {
            if (in->n_chain >= SNP_MAX_CHAIN)
                return fail(BPTEE_ELIMIT, "snp: certificate table: too many certificates");
            in->chain[in->n_chain++] = d;
        }
    }
    return 0;
}

int snp_inputs_gather(const struct bptee_snp_verify_opts *o, int signing_key,
                      struct snp_inputs *in)
{
    memset(in, 0, sizeof *in);
    int rc = 0;
    if (o->vcek_len && (rc = gather_one(in, o->vcek, o->vcek_len, "snp: VCEK")) < 0)
        return rc;
    if (o->chain_len && (rc = gather_chain(in, o->chain, o->chain_len)) < 0)
        return rc;
    if (o->certtable_len && (rc = gather_table(in, o, signing_key)) < 0)
        return rc;
    return 0;
}

void snp_inputs_release(struct snp_inputs *in)
{
    for (size_t i = 0; i < in->n_owned; i++)
        OPENSSL_free(in->owned[i]);
    in->n_owned = 0;
}
