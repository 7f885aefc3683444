// SPDX-License-Identifier: Apache-2.0
/* Nitro document verification with the full chain checked on every call (four certificate
 * signatures and the COSE signature), against its physical floor: five bare OpenSSL P-384
 * ECDSA verifies in the same run. Real document (2021-03-17) at its own timestamp. */
#include <openssl/ec.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>

#include <bptee.h>

#include "bench/bench.h"

#define ROUNDS 5 /* best of five: the machine is shared and a single round varies by a third */

struct fixture {
    uint8_t *doc;
    size_t doc_len;
    EVP_PKEY *pkey;
    unsigned char sig[128];
    size_t sig_len;
    unsigned char msg[64];
};

/* The floor's inputs: a P-384 key, and a signature over msg, made here. */
static void bare_inputs(struct fixture *f)
{
    EVP_PKEY_CTX *kc = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    f->sig_len = sizeof f->sig;
    if (!kc || EVP_PKEY_keygen_init(kc) != 1 ||
        EVP_PKEY_CTX_set_group_name(kc, "secp384r1") != 1 || EVP_PKEY_keygen(kc, &f->pkey) != 1 ||
        !ctx || EVP_DigestSignInit(ctx, NULL, EVP_sha384(), NULL, f->pkey) != 1 ||
        EVP_DigestSign(ctx, f->sig, &f->sig_len, f->msg, sizeof f->msg) != 1) {
        fprintf(stderr, "bench: cannot prepare the bare verify\n");
        exit(1);
    }
    EVP_MD_CTX_free(ctx);
    EVP_PKEY_CTX_free(kc);
}

static int verify_doc(const struct fixture *f)
{
    struct bptee_nitro_document *d = NULL;
    BPTEE_OPTS(bptee_nitro_verify_opts, o, .at = 0);
    int rc = bptee_nitro_verify(f->doc, f->doc_len, &o, &d);
    bptee_nitro_document_free(d);
    return rc;
}

static int verify_bare5(const struct fixture *f)
{
    for (int i = 0; i < 5; i++) {
        EVP_MD_CTX *ctx = EVP_MD_CTX_new();
        int ok = ctx && EVP_DigestVerifyInit(ctx, NULL, EVP_sha384(), NULL, f->pkey) == 1 &&
                 EVP_DigestVerify(ctx, f->sig, f->sig_len, f->msg, sizeof f->msg) == 1;
        EVP_MD_CTX_free(ctx);
        if (!ok)
            return -1;
    }
    return 0;
}

int main(void)
{
    const char *vectors = secure_getenv("BPTEE_VECTORS") ? secure_getenv("BPTEE_VECTORS") : "../shared/vectors";
    char path[1024];
    snprintf(path, sizeof path, "%s/nitro/sample_prod_doc_2021-03-17.bin", vectors);
    struct fixture f = {0};
    if (bptee_read_file(path, BPTEE_NITRO_DOC_MAX, &f.doc, &f.doc_len) < 0) {
        fprintf(stderr, "bench: %s\n", bptee_last_error());
        return 1;
    }
    bare_inputs(&f);
    if (verify_doc(&f) != 0) {
        fprintf(stderr, "bench: the vector does not verify: %s\n", bptee_last_error());
        return 1;
    }
    double docs, bare;
    BENCH_PAIR(ROUNDS, docs, verify_doc(&f), bare, verify_bare5(&f));
    printf("nitro_verify_full_chain: %.0f /s\n", docs);
    printf("p384_verify_bare_x5: %.0f /s\n", bare);
    printf("nitro_verify_vs_5xp384: %.3f ratio\n", docs / bare);
    EVP_PKEY_free(f.pkey);
    bptee_free(f.doc);
    return 0;
}
