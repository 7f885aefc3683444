// SPDX-License-Identifier: Apache-2.0
/* The collateral object: each piece is parsed when it is set (so a malformed file is named at
 * once) and verified when a quote is verified against it, at the collateral time. */
#include <errno.h>
#include <limits.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "tdx/internal.h"
#include "util/error.h"
#include "util/file.h"

int bptee_tdx_collateral_new(struct bptee_tdx_collateral **out)
{
    if (!out)
        return fail(BPTEE_EINVAL, "tdx: collateral: missing argument");
    *out = calloc(1, sizeof **out);
    return *out ? 0 : fail(BPTEE_ENOMEM, "tdx: out of memory");
}

void bptee_tdx_collateral_free(struct bptee_tdx_collateral *c)
{
    if (!c)
        return;
    tdx_signed_json_release(&c->tcb_info);
    tdx_signed_json_release(&c->qe_identity);
    sk_X509_pop_free(c->signing_chain, X509_free);
    X509_CRL_free(c->root_crl);
    X509_CRL_free(c->pck_crl);
    free(c);
}

/* A CRL as DER, or PEM when the text starts like PEM. */
static int crl_parse(const uint8_t *data, size_t len, const char *what, X509_CRL **out)
{
    X509_CRL *crl = NULL;
    if (len > BPTEE_TDX_COLLATERAL_MAX)
        return fail(BPTEE_ELIMIT, "tdx: %s is larger than %u bytes", what,
                    BPTEE_TDX_COLLATERAL_MAX);
    if (len >= 10 && !memcmp(data, "-----BEGIN", 10)) {
        BIO *b = BIO_new_mem_buf(data, (int)len);
        crl = b ? PEM_read_bio_X509_CRL(b, NULL, NULL, NULL) : NULL;
        BIO_free(b);
    } else {
        const unsigned char *p = data;
        crl = d2i_X509_CRL(NULL, &p, (long)len);
        if (crl && p != data + len) {
            X509_CRL_free(crl);
            crl = NULL;
        }
    }
    if (!crl)
        return fail_openssl(BPTEE_EPARSE, "tdx: %s is not a DER or PEM CRL", what);
    ERR_clear_error();
    *out = crl;
    return 0;
}

static int set_crl(X509_CRL **slot, const uint8_t *data, size_t len, const char *what)
{
    X509_CRL *crl = NULL;
    int rc = crl_parse(data, len, what, &crl);
    if (rc == 0) {
        X509_CRL_free(*slot);
        *slot = crl;
    }
    return rc;
}

static int set_json(struct tdx_signed_json *slot, bool *has, const uint8_t *data, size_t len,
                    const char *key, const char *what)
{
    struct tdx_signed_json s;
    int rc = tdx_signed_json_parse(data, len, key, what, &s);
    if (rc == 0) {
        tdx_signed_json_release(slot);
        *slot = s;
        *has = true;
    }
    return rc;
}

static int set_piece(struct bptee_tdx_collateral *c, int kind, const uint8_t *data, size_t len)
{
    STACK_OF(X509) *sk = NULL;
    int rc;
    switch (kind) {
    case BPTEE_TDX_COLL_TCB_INFO:
        return set_json(&c->tcb_info, &c->has_tcb_info, data, len, "tcbInfo", "TCB info");
    case BPTEE_TDX_COLL_QE_IDENTITY:
        return set_json(&c->qe_identity, &c->has_qe_identity, data, len, "enclaveIdentity",
                        "QE identity");
    case BPTEE_TDX_COLL_SIGNING_CHAIN:
        if ((rc = tdx_pem_certs(data, len, "TCB signing chain", &sk)) < 0)
            return rc;
        sk_X509_pop_free(c->signing_chain, X509_free);
        c->signing_chain = sk;
        return 0;
    case BPTEE_TDX_COLL_ROOT_CRL: return set_crl(&c->root_crl, data, len, "root CA CRL");
    case BPTEE_TDX_COLL_PCK_CRL: return set_crl(&c->pck_crl, data, len, "PCK CA CRL");
    default: return fail(BPTEE_EINVAL, "tdx: collateral kind %d is unknown", kind);
    }
}

int bptee_tdx_collateral_set(struct bptee_tdx_collateral *c, int kind, const uint8_t *data,
                             size_t len)
{
    if (!c || (!data && len))
        return fail(BPTEE_EINVAL, "tdx: collateral: missing argument");
    /* The content digest the verified-collateral cache is keyed by (collateral_cache.c),
     * taken first: a piece is never in place without the digest of its bytes. */
    uint8_t digest[32];
    if (kind >= 0 && kind < TDX_COLL_KINDS &&
        !EVP_Digest(data, len, digest, NULL, EVP_sha256(), NULL))
        return fail_openssl(BPTEE_ECRYPTO, "tdx: collateral: SHA-256");
    int rc = set_piece(c, kind, data, len);
    if (rc < 0)
        return rc;
    memcpy(c->piece_sha256[kind], digest, 32);
    c->piece_set[kind] = true;
    return 0;
}

int bptee_tdx_collateral_load(struct bptee_tdx_collateral *c, int kind, const char *path)
{
    if (!c || !path)
        return fail(BPTEE_EINVAL, "tdx: collateral: missing argument");
    uint8_t *data = NULL;
    size_t len = 0;
    int rc = file_read_all(path, BPTEE_TDX_COLLATERAL_MAX, &data, &len);
    if (rc < 0)
        return fail_prefix(rc, "tdx: collateral %s", path);
    rc = bptee_tdx_collateral_set(c, kind, data, len);
    free(data);
    return rc < 0 ? fail_prefix(rc, "%s", path) : 0;
}

int bptee_tdx_collateral_load_dir(struct bptee_tdx_collateral *c, const char *dir)
{
    static const struct {
        int kind;
        const char *name;
    } files[] = {
        {BPTEE_TDX_COLL_TCB_INFO, "tcb_info.json"},
        {BPTEE_TDX_COLL_QE_IDENTITY, "qe_identity.json"},
        {BPTEE_TDX_COLL_SIGNING_CHAIN, "tcb_signing_chain.pem"},
        {BPTEE_TDX_COLL_ROOT_CRL, "root_crl.der"},
        {BPTEE_TDX_COLL_PCK_CRL, "pck_crl.der"},
    };
    if (!c || !dir)
        return fail(BPTEE_EINVAL, "tdx: collateral: missing argument");
    int loaded = 0;
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        char path[PATH_MAX];
        if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, files[i].name) >= sizeof path)
            return fail(BPTEE_EINVAL, "tdx: collateral directory path too long");
        if (access(path, F_OK) != 0 && errno == ENOENT)
            continue;
        int rc = bptee_tdx_collateral_load(c, files[i].kind, path);
        if (rc < 0)
            return rc;
        loaded++;
    }
    if (!loaded)
        return fail(BPTEE_ENOTFOUND, "tdx: collateral directory %s holds none of tcb_info.json, "
                                     "qe_identity.json, tcb_signing_chain.pem, root_crl.der, "
                                     "pck_crl.der",
                    dir);
    return 0;
}
