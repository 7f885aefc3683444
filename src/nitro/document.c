// SPDX-License-Identifier: Apache-2.0
/* The module's entry points: decode a document, and verify one (chain, then signature). */
#include <stdlib.h>
#include <string.h>

#include "nitro/internal.h"
#include "util/bytes.h"
#include "util/error.h"
#include "util/opts.h"

void bptee_nitro_document_free(struct bptee_nitro_document *doc)
{
    if (!doc)
        return;
    struct nitro_doc *d = (struct nitro_doc *)doc;
    if (d->cose)
        cbor_decref(&d->cose);
    if (d->payload)
        cbor_decref(&d->payload);
    if (d->protected_map)
        cbor_decref(&d->protected_map);
    free(d);
}

int bptee_nitro_document_parse(const uint8_t *data, size_t len, struct bptee_nitro_document **out)
{
    if (!data || !out)
        return fail(BPTEE_EINVAL, "nitro: missing argument");
    struct nitro_doc *d = calloc(1, sizeof *d);
    if (!d)
        return fail(BPTEE_ENOMEM, "nitro: out of memory");
    int rc = nitro_cose_decode(data, len, d);
    if (rc == 0)
        rc = nitro_payload_decode(d);
    if (rc < 0) {
        bptee_nitro_document_free(&d->doc);
        return rc;
    }
    *out = &d->doc;
    return 0;
}

static int copy_opts(const struct bptee_nitro_verify_opts *in, struct bptee_nitro_verify_opts *o)
{
    memset(o, 0, sizeof *o);
    int rc = in ? opts_copy(in, o, sizeof *o, "nitro:") : 0;
    if (rc < 0)
        return rc;
    if (o->n_trusted_roots && !o->trusted_roots)
        return fail(BPTEE_EINVAL, "nitro: options: trusted_roots count without the list");
    return 0;
}

int bptee_nitro_verify(const uint8_t *data, size_t len, const struct bptee_nitro_verify_opts *opts,
                       struct bptee_nitro_document **out)
{
    struct bptee_nitro_verify_opts o;
    struct bptee_nitro_document *doc = NULL;
    EVP_PKEY *key = NULL;
    if (!out)
        return fail(BPTEE_EINVAL, "nitro: missing argument");
    int rc = copy_opts(opts, &o);
    if (rc == 0)
        rc = bptee_nitro_document_parse(data, len, &doc);
    if (rc == 0)
        rc = nitro_chain_verify(doc, &o, &key);
    if (rc == 0)
        rc = nitro_sig_verify(doc, key);
    EVP_PKEY_free(key);
    if (rc < 0) {
        bptee_nitro_document_free(doc);
        return rc;
    }
    *out = doc;
    return 0;
}
