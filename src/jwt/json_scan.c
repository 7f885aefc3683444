// SPDX-License-Identifier: Apache-2.0
/* A validating JSON scanner for token headers and payloads: it checks a whole document against
 * RFC 8259 and hands back where the few top-level members the verifier needs lie, without
 * building a tree. Building one (jansson) cost twice the RSA verify itself on a 4 KiB Azure
 * token, and the verifier reads three numbers of it; the caller that wants every claim parses
 * the verified payload once, afterwards.
 *
 * It is never more lenient than jansson with JSON_REJECT_DUPLICATES (src/fuzz/fuzz_jwt_json.c
 * checks that on every input it accepts): strict UTF-8 (no overlong forms, no surrogates),
 * no control characters in strings, no \u0000, escapes and surrogate pairs well formed,
 * integers within int64, reals finite, duplicate member names refused at every depth. Stricter
 * where tokens never go: member names with escapes (a "\u0065xp" is how a second "exp" would
 * hide), nesting beyond JSON_SCAN_DEPTH, more than JSON_SCAN_KEYS names open at once. */
#include <locale.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "jwt/internal.h"
#include "util/error.h"

#define ONES 0x0101010101010101ULL
#define HIGHS 0x8080808080808080ULL

struct scan {
    const uint8_t *start, *p, *end;
    const char *what, *err;
    const char *const *names;
    struct json_span *spans;
    size_t n_names, n_keys;
    struct { const uint8_t *p; size_t len; } keys[JSON_SCAN_KEYS];
};

static int bad(struct scan *s, const char *why)
{
    s->err = why;
    return -1;
}

static void skip_ws(struct scan *s)
{
    while (s->p < s->end && (*s->p == ' ' || *s->p == '\n' || *s->p == '\r' || *s->p == '\t'))
        s->p++;
}

/* Non-zero when one of 8 bytes is '"', '\\', a control character or not ASCII (bit tricks
 * with no false negatives: a zero word means all 8 bytes are plain string content). */
static uint64_t special8(const uint8_t *p)
{
    uint64_t x, q, b;
    memcpy(&x, p, 8);
    q = x ^ (ONES * '"');
    b = x ^ (ONES * '\\');
    return (((q - ONES) & ~q) | ((b - ONES) & ~b) | ((x - ONES * 0x20) & ~x) | x) & HIGHS;
}

/* Past the plain string content ahead, 8 bytes at a time, onto the next special byte: the
 * lowest flagged byte of a word is always a true one (a borrow only ever flags bytes above). */
static void skip_plain(struct scan *s)
{
    while (s->end - s->p >= 8) {
        uint64_t m = special8(s->p);
#if defined(__GNUC__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
        if (m) {
            s->p += (unsigned)__builtin_ctzll(m) / 8;
            return;
        }
#else
        if (m)
            return;
#endif
        s->p += 8;
    }
}

/* One UTF-8 sequence starting with a byte >= 0x80: its length, 0 when invalid. */
static size_t utf8_seq(const uint8_t *p, const uint8_t *end)
{
    uint32_t cp;
    size_t n;
    if (p[0] >= 0xc2 && p[0] <= 0xdf)
        n = 2, cp = p[0] & 0x1f;
    else if (p[0] >= 0xe0 && p[0] <= 0xef)
        n = 3, cp = p[0] & 0x0f;
    else if (p[0] >= 0xf0 && p[0] <= 0xf4)
        n = 4, cp = p[0] & 0x07;
    else
        return 0;
    if ((size_t)(end - p) < n)
        return 0;
    for (size_t i = 1; i < n; i++) {
        if ((p[i] & 0xc0) != 0x80)
            return 0;
        cp = cp << 6 | (p[i] & 0x3f);
    }
    if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) || cp > 0x10ffff ||
        (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return n;
}

static int hex4(const uint8_t *p, const uint8_t *end, unsigned *v)
{
    *v = 0;
    if (end - p < 4)
        return -1;
    for (int i = 0; i < 4; i++) {
        uint8_t c = p[i];
        unsigned d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
                                                 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : 16;
        if (d == 16)
            return -1;
        *v = *v << 4 | d;
    }
    return 0;
}

/* After a backslash: one escape, a surrogate pair whole. */
static int escape(struct scan *s)
{
    unsigned v, lo;
    uint8_t c = s->p + 1 < s->end ? s->p[1] : 0;
    if (c && strchr("\"\\/bfnrt", c)) {
        s->p += 2;
        return 0;
    }
    if (c != 'u' || hex4(s->p + 2, s->end, &v) < 0)
        return bad(s, "invalid escape in a string");
    s->p += 6;
    if (v == 0)
        return bad(s, "\\u0000 in a string");
    if (v >= 0xdc00 && v <= 0xdfff)
        return bad(s, "lone low surrogate in a string");
    if (v >= 0xd800 && v <= 0xdbff) {
        if (s->end - s->p < 6 || s->p[0] != '\\' || s->p[1] != 'u' ||
            hex4(s->p + 2, s->end, &lo) < 0 || lo < 0xdc00 || lo > 0xdfff)
            return bad(s, "high surrogate without its low half in a string");
        s->p += 6;
    }
    return 0;
}

/* A string from its opening quote; the span is its content, undecoded. */
static int string(struct scan *s, struct json_span *out)
{
    const uint8_t *begin = ++s->p;
    bool escaped = false;
    for (;;) {
        skip_plain(s);
        if (s->p >= s->end)
            return bad(s, "unterminated string");
        uint8_t c = *s->p;
        size_t n;
        if (c == '"')
            break;
        if (c == '\\') {
            escaped = true;
            if (escape(s) < 0)
                return -1;
        } else if (c < 0x20) {
            return bad(s, "control character in a string");
        } else if (c < 0x80) {
            s->p++;
        } else if ((n = utf8_seq(s->p, s->end))) {
            s->p += n;
        } else {
            return bad(s, "invalid UTF-8 in a string");
        }
    }
    *out = (struct json_span){(const char *)begin, (size_t)(s->p - begin), 's', escaped};
    s->p++;
    return 0;
}

static locale_t c_locale;
static void c_locale_init(void)
{
    c_locale = newlocale(LC_ALL_MASK, "C", (locale_t)0);
}

/* The reals jansson would refuse: those that overflow a double. strtod_l reads exactly the
 * lexeme already checked (it stops where the JSON grammar did), in the C locale. */
double json_scan_real(const char *p)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, c_locale_init);
    return c_locale ? strtod_l(p, NULL, c_locale) : HUGE_VAL;
}

static int digits(struct scan *s)
{
    const uint8_t *b = s->p;
    while (s->p < s->end && *s->p >= '0' && *s->p <= '9')
        s->p++;
    return s->p > b ? 0 : -1;
}

static int number(struct scan *s, struct json_span *out)
{
    const uint8_t *b = s->p;
    bool real = false;
    if (*s->p == '-')
        s->p++;
    if (s->p < s->end && *s->p == '0')
        s->p++;
    else if (s->p >= s->end || *s->p < '1' || *s->p > '9' || digits(s) < 0)
        return bad(s, "invalid number");
    if (s->p < s->end && *s->p == '.') {
        real = true;
        s->p++;
        if (digits(s) < 0)
            return bad(s, "invalid number");
    }
    if (s->p < s->end && (*s->p == 'e' || *s->p == 'E')) {
        real = true;
        s->p++;
        if (s->p < s->end && (*s->p == '+' || *s->p == '-'))
            s->p++;
        if (digits(s) < 0)
            return bad(s, "invalid number");
    }
    *out = (struct json_span){(const char *)b, (size_t)(s->p - b), real ? 'r' : 'i', false};
    int64_t v;
    if (s->p >= s->end) /* a number is never last: strtod_l below must stop inside the text */
        return bad(s, "unexpected end");
    if (!real && json_scan_int(out, &v) < 0)
        return bad(s, "integer out of range");
    if (real && isinf(json_scan_real(out->p)))
        return bad(s, "real number overflow");
    return 0;
}

int json_scan_int(const struct json_span *sp, int64_t *out)
{
    bool neg = sp->len && sp->p[0] == '-';
    uint64_t v = 0, limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    for (size_t i = neg; i < sp->len; i++) {
        unsigned d = (unsigned)(sp->p[i] - '0');
        if (d > 9 || v > (limit - d) / 10)
            return -1;
        v = v * 10 + d;
    }
    *out = neg ? (int64_t)(0 - v) : (int64_t)v;
    return 0;
}

static int value(struct scan *s, int depth, struct json_span *out);

static int name(struct scan *s, size_t first_key, int depth, struct json_span *k)
{
    if (s->p >= s->end || *s->p != '"')
        return bad(s, "expected a member name");
    if (string(s, k) < 0)
        return -1;
    if (k->escaped)
        return bad(s, "member name with an escape");
    for (size_t i = first_key; i < s->n_keys; i++)
        if (s->keys[i].len == k->len && !memcmp(s->keys[i].p, k->p, k->len))
            return bad(s, "duplicate member name");
    if (s->n_keys == JSON_SCAN_KEYS)
        return bad(s, "too many member names");
    s->keys[s->n_keys].p = (const uint8_t *)k->p;
    s->keys[s->n_keys++].len = k->len;
    for (size_t i = 0; depth == 1 && i < s->n_names; i++)
        if (strlen(s->names[i]) == k->len && !memcmp(s->names[i], k->p, k->len))
            return (int)i;
    return -2; /* not a name asked for */
}

/* Objects and arrays share their loop: members are separated by commas, end with the bracket. */
static int container(struct scan *s, int depth)
{
    bool object = *s->p == '{';
    uint8_t close = object ? '}' : ']';
    size_t first_key = s->n_keys;
    struct json_span k, v;
    if (depth > JSON_SCAN_DEPTH)
        return bad(s, "nested too deeply");
    s->p++;
    skip_ws(s);
    if (s->p < s->end && *s->p == close) {
        s->p++;
        return 0;
    }
    for (;;) {
        int want = -2;
        skip_ws(s);
        if (object) {
            if ((want = name(s, first_key, depth, &k)) == -1)
                return -1;
            skip_ws(s);
            if (s->p >= s->end || *s->p++ != ':')
                return bad(s, "expected ':'");
            skip_ws(s);
        }
        if (value(s, depth, &v) < 0)
            return -1;
        if (want >= 0)
            s->spans[want] = v;
        skip_ws(s);
        if (s->p < s->end && *s->p == ',') {
            s->p++;
            continue;
        }
        if (s->p < s->end && *s->p == close)
            break;
        return bad(s, object ? "expected ',' or '}'" : "expected ',' or ']'");
    }
    s->p++;
    s->n_keys = first_key; /* names of a closed object no longer clash with anything */
    return 0;
}

static int literal(struct scan *s, const char *word, char kind, struct json_span *out)
{
    size_t n = strlen(word);
    if ((size_t)(s->end - s->p) < n || memcmp(s->p, word, n))
        return bad(s, "invalid literal");
    *out = (struct json_span){(const char *)s->p, n, kind, false};
    s->p += n;
    return 0;
}

static int value(struct scan *s, int depth, struct json_span *out)
{
    const uint8_t *b = s->p;
    if (s->p >= s->end)
        return bad(s, "unexpected end");
    switch (*s->p) {
    case '"': return string(s, out);
    case '{':
    case '[':
        if (container(s, depth + 1) < 0)
            return -1;
        *out = (struct json_span){(const char *)b, (size_t)(s->p - b), (char)*b, false};
        return 0;
    case 't': return literal(s, "true", 't', out);
    case 'f': return literal(s, "false", 'f', out);
    case 'n': return literal(s, "null", 'z', out);
    default:
        if (*s->p == '-' || (*s->p >= '0' && *s->p <= '9'))
            return number(s, out);
        return bad(s, "unexpected character");
    }
}

static int trailing(struct scan *s)
{
    skip_ws(s);
    return s->p == s->end ? 0 : bad(s, "text after the object");
}

int jwt_json_scan(const char *text, size_t len, const char *what, const char *const *names,
                  struct json_span *spans, size_t n_names)
{
    struct scan *s = malloc(sizeof *s);
    if (!s)
        return fail(BPTEE_ENOMEM, "jwt: out of memory");
    /* field by field: zeroing the key table would cost more than scanning a token */
    s->start = s->p = (const uint8_t *)text;
    s->end = s->start + len;
    s->what = what;
    s->err = NULL;
    s->names = names;
    s->spans = spans;
    s->n_names = n_names;
    s->n_keys = 0;
    memset(spans, 0, n_names * sizeof *spans);
    skip_ws(s);
    int rc = 0;
    if (s->p >= s->end || *s->p != '{')
        rc = fail(BPTEE_EPARSE, "jwt: %s is not a JSON object", what);
    else if (container(s, 1) < 0 || trailing(s) < 0)
        rc = fail(BPTEE_EPARSE, "jwt: %s: byte %zu: %s", what, (size_t)(s->p - s->start),
                  s->err);
    free(s);
    return rc;
}
