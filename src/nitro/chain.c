// SPDX-License-Identifier: Apache-2.0
/* The document's certificate chain: cabundle[0] must be a root the verifier trusts by
 * fingerprint (AWS Nitro Root-G1, or one the caller lists), cabundle[i] signs cabundle[i+1]
 * and the last signs the leaf. OpenSSL checks each issuer's CA flag, path length and
 * keyCertSign usage; the verified path must be exactly the bundle, so no certificate in it
 * goes unchecked. The root is pinned, so its self-signature is not what makes it trusted. */
#include <openssl/ec.h>
#include <openssl/x509v3.h>
#include <string.h>

#include "nitro/internal.h"
#include "util/codec.h"
#include "util/error.h"
#include "util/x509.h"

/* The anchor for cabundle[0]: the built-in root, or the caller's by fingerprint. */
static int root_of(struct bptee_nitro_document *doc, const struct bptee_nitro_verify_opts *o,
                   X509 **anchor, int *owned)
{
    X509 *aws;
    const uint8_t *aws_fp;
    int rc = nitro_root_get(&aws, &aws_fp);
    if (rc < 0)
        return rc;
    sha256(doc->cabundle[0].data, doc->cabundle[0].len, doc->root_sha256);
    if (!memcmp(doc->root_sha256, aws_fp, 32)) {
        *anchor = aws;
        *owned = 0;
        return 0;
    }
    for (size_t i = 0; i < o->n_trusted_roots; i++)
        if (!memcmp(doc->root_sha256, o->trusted_roots[i], 32)) {
            if (!(*anchor = nitro_cert_get(&doc->cabundle[0], "cabundle[0]")))
                return BPTEE_EVERIFY;
            *owned = 1;
            doc->foreign_root = 1;
            return 0;
        }
    return fail(BPTEE_EVERIFY, "nitro: cabundle[0] is not AWS Nitro Enclaves Root-G1 nor a "
                               "trusted root");
}

static int leaf_checks(X509 *leaf, const struct bptee_nitro_document *doc, EVP_PKEY **key)
{
    EVP_PKEY *k = X509_get0_pubkey(leaf);
    char group[32] = "";
    if (!k || EVP_PKEY_get_base_id(k) != EVP_PKEY_EC ||
        !EVP_PKEY_get_group_name(k, group, sizeof group, NULL) || strcmp(group, "secp384r1"))
        return fail(BPTEE_EVERIFY, "nitro: leaf key is not a P-384 key");
    if ((X509_get_extension_flags(leaf) & EXFLAG_KUSAGE) &&
        !(X509_get_key_usage(leaf) & KU_DIGITAL_SIGNATURE))
        return fail(BPTEE_EVERIFY, "nitro: leaf key usage does not permit signing");
    int64_t ts = (int64_t)(doc->timestamp_ms / 1000);
    if (ts < x509_time_unix(X509_get0_notBefore(leaf)) ||
        ts > x509_time_unix(X509_get0_notAfter(leaf)))
        return fail(BPTEE_EVERIFY, "nitro: document timestamp %lld lies outside the leaf "
                                   "certificate's validity",
                    (long long)ts);
    if (!EVP_PKEY_up_ref(k))
        return fail_openssl(BPTEE_ECRYPTO, "nitro: leaf key");
    *key = k;
    return 0;
}

/* The verified path must be leaf, cabundle[n-1], ..., cabundle[0]. */
static int path_is_bundle(STACK_OF(X509) *path, X509 *leaf, X509 *const *bundle, size_t n)
{
    if ((size_t)sk_X509_num(path) != n + 1 || X509_cmp(sk_X509_value(path, 0), leaf))
        return fail(BPTEE_EVERIFY, "nitro: the chain does not run through the whole cabundle");
    for (size_t i = 0; i < n; i++)
        if (X509_cmp(sk_X509_value(path, (int)(n - i)), bundle[i]))
            return fail(BPTEE_EVERIFY, "nitro: the chain does not follow the cabundle order");
    return 0;
}

static int store_verify(X509 *anchor, X509 *leaf, STACK_OF(X509) *untrusted, int64_t at,
                        STACK_OF(X509) **path)
{
    static const char *const names[] = {"leaf certificate", "instance CA", "zonal CA",
                                        "regional CA", "root"};
    X509_STORE *store = X509_STORE_new();
    X509_STORE_CTX *ctx = X509_STORE_CTX_new();
    int rc = 0;
    if (!store || !ctx || !X509_STORE_add_cert(store, anchor) ||
        !X509_STORE_CTX_init(ctx, store, leaf, untrusted)) {
        rc = fail_openssl(BPTEE_ECRYPTO, "nitro: certificate store");
        goto out;
    }
    X509_VERIFY_PARAM_set_time(X509_STORE_CTX_get0_param(ctx), (time_t)at);
    if (X509_verify_cert(ctx) != 1)
        rc = x509_store_error("nitro", ctx, names, sizeof names / sizeof names[0],
                              "verification");
    else if (!(*path = X509_STORE_CTX_get1_chain(ctx)))
        rc = fail_openssl(BPTEE_ENOMEM, "nitro: out of memory");
out:
    X509_STORE_CTX_free(ctx);
    X509_STORE_free(store);
    return rc;
}

int nitro_chain_verify(struct bptee_nitro_document *doc, const struct bptee_nitro_verify_opts *o,
                       EVP_PKEY **leaf_key)
{
    X509 *anchor = NULL, *leaf = NULL, *bundle[BPTEE_NITRO_CABUNDLE_MAX] = {0};
    STACK_OF(X509) *untrusted = sk_X509_new_null(), *path = NULL;
    int owned = 0, rc = untrusted ? 0 : fail(BPTEE_ENOMEM, "nitro: out of memory");
    if (rc == 0)
        rc = root_of(doc, o, &anchor, &owned);
    if (rc < 0)
        goto out;
    bundle[0] = anchor;
    for (size_t i = 1; i < doc->n_cabundle; i++) {
        if (!(bundle[i] = nitro_cert_get(&doc->cabundle[i], "a cabundle certificate")) ||
            !sk_X509_push(untrusted, bundle[i])) {
            rc = BPTEE_EVERIFY;
            goto out;
        }
    }
    if (!(leaf = nitro_cert_get(&doc->certificate, "the leaf certificate"))) {
        rc = BPTEE_EVERIFY;
        goto out;
    }
    int64_t at = o->at ? o->at : (int64_t)(doc->timestamp_ms / 1000);
    if ((rc = store_verify(anchor, leaf, untrusted, at, &path)) == 0 &&
        (rc = path_is_bundle(path, leaf, bundle, doc->n_cabundle)) == 0)
        rc = leaf_checks(leaf, doc, leaf_key);
out:
    sk_X509_pop_free(path, X509_free);
    sk_X509_free(untrusted);
    for (size_t i = 1; i < BPTEE_NITRO_CABUNDLE_MAX; i++)
        X509_free(bundle[i]);
    if (owned)
        X509_free(anchor);
    X509_free(leaf);
    return rc;
}
