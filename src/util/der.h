/* SPDX-License-Identifier: Apache-2.0 */
/* A strict DER reader over struct cursor, for fast paths only: one-byte tags, definite lengths
 * in their shortest form and of at most two bytes (64 KiB). Anything else fails; a caller then
 * hands the input to OpenSSL's full decoder, which decides. */
#ifndef BPTEE_UTIL_DER_H
#define BPTEE_UTIL_DER_H

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
    uint8_t tag = cursor_u8(c), l0 = cursor_u8(c);
    size_t len = l0;
    if (l0 == 0x81) {
        len = cursor_u8(c);
        c->bad |= len < 0x80;
    } else if (l0 == 0x82) {
        len = (size_t)cursor_u8(c) << 8;
        len |= cursor_u8(c);
        c->bad |= len < 0x100;
    } else {
        c->bad |= l0 >= 0x80;
    }
    if (c->bad || (tag & 0x1f) == 0x1f || !cursor_take(c, len, &out->val)) {
        c->bad = true;
        return false;
    }
    out->tag = tag;
    out->len = len;
    out->tlv = start;
    out->tlv_len = (size_t)(c->p - start);
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
