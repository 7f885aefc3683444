/* SPDX-License-Identifier: Apache-2.0 */
/* Strict DER elements over struct cursor, for fast paths only. OpenSSL's ASN1_get_object reads
 * each header (tag, class, length); on top of it only what DER adds is required: one-byte
 * tags, definite lengths in their shortest form, at most 64 KiB. Anything else fails; a caller
 * then hands the input to OpenSSL's full decoder, which decides. */
#ifndef BPTEE_UTIL_DER_H
#define BPTEE_UTIL_DER_H

#include <limits.h>
#include <openssl/asn1.h>
#include <openssl/err.h>

#include "util/bytes.h"

struct der_item {
    const uint8_t *tlv; /* the whole element: tag, length, value */
    size_t tlv_len;
    const uint8_t *val;
    size_t len;
    uint8_t tag;
};

/* The next element, whatever its tag; false (and the cursor bad) when it is not strict DER or
 * does not fit in what is left. */
static inline bool der_any(struct cursor *c, struct der_item *out)
{
    const uint8_t *start = c->p;
    const unsigned char *p = start;
    long len = 0;
    int tag = 0, cls = 0;
    size_t left = c->bad ? 0 : c->left;
    int ret = 0x80;
    if (left) {
        ERR_set_mark(); /* a header OpenSSL refuses leaves no error behind: the full path decides */
        ret = ASN1_get_object(&p, &len, &tag, &cls, left > LONG_MAX ? LONG_MAX : (long)left);
        ERR_pop_to_mark();
    }
    size_t hdr = (size_t)(p - start);
    /* the shortest header for len: DER's only length form */
    size_t want = len < 0x80 ? 2 : len < 0x100 ? 3 : 4;
    if ((ret & 0x80) || (ret & 0x01) || tag >= 0x1f || len < 0 || len >= 0x10000 ||
        hdr != want || !cursor_take(c, hdr, &out->tlv) ||
        !cursor_take(c, (size_t)len, &out->val)) {
        c->bad = true;
        return false;
    }
    out->tag = (uint8_t)(cls | (ret & V_ASN1_CONSTRUCTED) | tag);
    out->len = (size_t)len;
    out->tlv = start;
    out->tlv_len = hdr + (size_t)len;
    return true;
}

/* The next element, which must have this tag. */
static inline bool der_next(struct cursor *c, uint8_t tag, struct der_item *out)
{
    if (der_any(c, out) && out->tag == tag)
        return true;
    c->bad = true;
    return false;
}

/* The next bytes, which must be exactly these (a fixed encoding such as an algorithm). */
static inline bool der_expect(struct cursor *c, const uint8_t *want, size_t n)
{
    const uint8_t *p;
    if (cursor_take(c, n, &p) && !memcmp(p, want, n))
        return true;
    c->bad = true;
    return false;
}

#endif
