/* SPDX-License-Identifier: Apache-2.0 */
/* Explicit-endian loads and stores, a bounds-checked read cursor for untrusted bytes, and its
 * writing twin. */
#ifndef BPTEE_UTIL_BYTES_H
#define BPTEE_UTIL_BYTES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

static inline uint16_t load_le16(const uint8_t *p)
{
    return (uint16_t)(p[0] | (uint16_t)p[1] << 8);
}
static inline uint32_t load_le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static inline uint64_t load_le64(const uint8_t *p)
{
    return (uint64_t)load_le32(p) | (uint64_t)load_le32(p + 4) << 32;
}
static inline void store_le16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}
static inline void store_le32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}
static inline void store_le64(uint8_t *p, uint64_t v)
{
    store_le32(p, (uint32_t)v);
    store_le32(p + 4, (uint32_t)(v >> 32));
}

/* A read cursor: every read checks the bytes left and fails (returns false) instead of reading
 * past the end; once failed it stays failed, so a sequence of reads needs one check. */
struct cursor {
    const uint8_t *p;
    size_t left;
    bool bad;
};

static inline struct cursor cursor_init(const uint8_t *p, size_t len)
{
    return (struct cursor){.p = p, .left = len, .bad = false};
}
static inline bool cursor_take(struct cursor *c, size_t n, const uint8_t **out)
{
    if (c->bad || n > c->left) {
        c->bad = true;
        return false;
    }
    *out = c->p;
    c->p += n;
    c->left -= n;
    return true;
}
static inline bool cursor_bytes(struct cursor *c, void *dst, size_t n)
{
    const uint8_t *s;
    if (!cursor_take(c, n, &s))
        return false;
    memcpy(dst, s, n);
    return true;
}
static inline bool cursor_skip(struct cursor *c, size_t n)
{
    const uint8_t *s;
    return cursor_take(c, n, &s);
}
static inline uint8_t cursor_u8(struct cursor *c)
{
    const uint8_t *s;
    return cursor_take(c, 1, &s) ? s[0] : 0;
}
static inline uint16_t cursor_le16(struct cursor *c)
{
    const uint8_t *s;
    return cursor_take(c, 2, &s) ? load_le16(s) : 0;
}
static inline uint32_t cursor_le32(struct cursor *c)
{
    const uint8_t *s;
    return cursor_take(c, 4, &s) ? load_le32(s) : 0;
}
static inline uint64_t cursor_le64(struct cursor *c)
{
    const uint8_t *s;
    return cursor_take(c, 8, &s) ? load_le64(s) : 0;
}

/* A write cursor, the serializing twin of struct cursor: every write checks the room left and
 * marks the writer bad instead of writing past the end; once bad it stays bad. */
struct writer {
    uint8_t *p;
    size_t left;
    bool bad;
};
static inline uint8_t *writer_take(struct writer *w, size_t n)
{
    if (w->bad || n > w->left) {
        w->bad = true;
        return NULL;
    }
    uint8_t *p = w->p;
    w->p += n;
    w->left -= n;
    return p;
}
static inline void put_bytes(struct writer *w, const void *src, size_t n)
{
    uint8_t *p = writer_take(w, n);
    if (p && n)
        memcpy(p, src, n);
}
static inline void put_zero(struct writer *w, size_t n)
{
    uint8_t *p = writer_take(w, n);
    if (p && n)
        memset(p, 0, n);
}
static inline void put_u8(struct writer *w, uint8_t v)
{
    put_bytes(w, &v, 1);
}
static inline void put_le16(struct writer *w, uint16_t v)
{
    uint8_t b[2];
    store_le16(b, v);
    put_bytes(w, b, 2);
}
static inline void put_le32(struct writer *w, uint32_t v)
{
    uint8_t b[4];
    store_le32(b, v);
    put_bytes(w, b, 4);
}
static inline void put_le64(struct writer *w, uint64_t v)
{
    uint8_t b[8];
    store_le64(b, v);
    put_bytes(w, b, 8);
}

static inline bool all_zero(const uint8_t *p, size_t n)
{
    uint8_t acc = 0;
    for (size_t i = 0; i < n; i++)
        acc |= p[i];
    return acc == 0;
}

#endif
