// SPDX-License-Identifier: Apache-2.0
/* COSE_Sign1 (RFC 9052) as the NSM emits it: [protected bstr, unprotected map, payload bstr,
 * signature bstr], optionally behind tag 18. The protected header must say ES384 and nothing
 * else; the unprotected header is not signed, so nothing in it is believed. */
#include <stdlib.h>
#include <string.h>

#include "nitro/internal.h"
#include "util/error.h"

#define COSE_SIGN1_TAG 18
#define COSE_HEADER_ALG 1
#define ES384_SIG_SIZE 96

/* A definite byte string, borrowed from its item. */
static int bstr(const cbor_item_t *it, const char *what, struct bptee_nitro_bytes *out)
{
    if (!cbor_isa_bytestring(it) || !cbor_bytestring_is_definite(it))
        return fail(BPTEE_EPARSE, "nitro: %s is not a definite byte string", what);
    out->data = cbor_bytestring_handle(it);
    out->len = cbor_bytestring_length(it);
    return 0;
}

/* Load one whole CBOR item: trailing bytes are an error, not ignored. */
int nitro_cbor_load(const uint8_t *data, size_t len, const char *what, cbor_item_t **out)
{
    struct cbor_load_result res;
    int rc = nitro_cbor_check(data, len, what);
    if (rc < 0)
        return rc;
    *out = cbor_load(data, len, &res);
    if (!*out)
        return fail(BPTEE_EPARSE, "nitro: %s is not valid CBOR (error %d at byte %zu)", what,
                    (int)res.error.code, res.error.position);
    if (res.read != len) {
        cbor_decref(out);
        return fail(BPTEE_EPARSE, "nitro: %zu bytes after the %s", len - res.read, what);
    }
    return 0;
}

/* The protected header: exactly {1: -35}. */
static int protected_alg(struct nitro_doc *d)
{
    const struct bptee_nitro_bytes *ph = &d->doc.protected_header;
    int rc = nitro_cbor_load(ph->data, ph->len, "protected header", &d->protected_map);
    if (rc < 0)
        return rc;
    const cbor_item_t *m = d->protected_map;
    if (!cbor_isa_map(m) || cbor_map_size(m) != 1)
        return fail(BPTEE_EPARSE, "nitro: protected header is not a map with one entry (alg)");
    struct cbor_pair *p = cbor_map_handle(m);
    if (!cbor_isa_uint(p->key) || cbor_get_int(p->key) != COSE_HEADER_ALG)
        return fail(BPTEE_EPARSE, "nitro: protected header lacks alg");
    if (!cbor_isa_negint(p->value) || cbor_get_int(p->value) != 34) /* -1 - 34 = -35 */
        return fail(BPTEE_EVERIFY, "nitro: COSE alg is not ES384 (-35)");
    return 0;
}

int nitro_cose_decode(const uint8_t *data, size_t len, struct nitro_doc *d)
{
    if (len > BPTEE_NITRO_DOC_MAX)
        return fail(BPTEE_ELIMIT, "nitro: document of %zu bytes exceeds %u", len,
                    BPTEE_NITRO_DOC_MAX);
    /* Tag 18 is taken off by hand: libcbor 0.8 misreads a tag around an array. Any other
     * tag (or 18 in a longer encoding) leaves bytes that are no COSE_Sign1 array. */
    if (len > 0 && data[0] == 0xc0 + COSE_SIGN1_TAG) {
        d->doc.tagged = 1;
        data++;
        len--;
    }
    int rc = nitro_cbor_load(data, len, "COSE_Sign1", &d->cose);
    if (rc < 0)
        return rc;
    const cbor_item_t *top = d->cose;
    if (!cbor_isa_array(top) || !cbor_array_is_definite(top) || cbor_array_size(top) != 4)
        return fail(BPTEE_EPARSE, "nitro: not a COSE_Sign1 (an array of four)");
    cbor_item_t **a = cbor_array_handle(top);
    if ((rc = bstr(a[0], "protected header", &d->doc.protected_header)) < 0 ||
        (rc = bstr(a[2], "payload", &d->doc.payload)) < 0 ||
        (rc = bstr(a[3], "signature", &d->doc.signature)) < 0)
        return rc;
    if (!cbor_isa_map(a[1]))
        return fail(BPTEE_EPARSE, "nitro: unprotected header is not a map");
    if (d->doc.payload.len == 0)
        return fail(BPTEE_EPARSE, "nitro: COSE_Sign1 has no payload");
    if (d->doc.signature.len != ES384_SIG_SIZE)
        return fail(BPTEE_EPARSE, "nitro: signature is %zu bytes, ES384 needs %d",
                    d->doc.signature.len, ES384_SIG_SIZE);
    return protected_alg(d);
}

int bptee_nitro_detect(const uint8_t *data, size_t len)
{
    if (!data || len < 2)
        return 0;
    if (data[0] == 0xd2) { /* tag 18 */
        data++;
        len--;
    }
    /* array(4), then a byte string (major type 2) */
    return len >= 2 && data[0] == 0x84 && (data[1] >> 5) == 2;
}
