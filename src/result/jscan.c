// SPDX-License-Identifier: Apache-2.0
/* Strict JSON validation without building a tree (see jscan.h for why). Untrusted bytes: every
 * read is guarded by the scanner's bound, and nesting is capped. */
#include <string.h>

#include "result/jscan.h"
#include "util/error.h"

struct scan {
    const uint8_t *p;
    size_t n, i;
    int depth;
    const char *why; /* first error */
};

static int bad(struct scan *s, const char *why)
{
    if (!s->why)
        s->why = why;
    return -1;
}

/* Hot loops copy the cursor into locals: p[] is bytes, which may alias s->i, so working on
 * s->i directly would reload it after every read. */
static void ws(struct scan *s)
{
    const uint8_t *p = s->p;
    size_t i = s->i, n = s->n;
    while (i < n && (p[i] == ' ' || p[i] == '\n' || p[i] == '\t' || p[i] == '\r'))
        i++;
    s->i = i;
}

static int hexval(uint8_t c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c |= 0x20;
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Four hex digits after "\u" (s->i at the first). */
static int hex4(struct scan *s, uint32_t *cp)
{
    if (s->n - s->i < 4)
        return bad(s, "truncated \\u escape");
    uint32_t v = 0;
    for (int k = 0; k < 4; k++) {
        int h = hexval(s->p[s->i + (size_t)k]);
        if (h < 0)
            return bad(s, "bad hex digit in a \\u escape");
        v = v << 4 | (uint32_t)h;
    }
    s->i += 4;
    *cp = v;
    return 0;
}

/* After the backslash. */
static int escape(struct scan *s)
{
    if (s->i >= s->n)
        return bad(s, "unterminated string");
    uint8_t c = s->p[s->i++];
    if (strchr("\"\\/bfnrt", c) && c)
        return 0;
    if (c != 'u')
        return bad(s, "invalid escape");
    uint32_t cp, lo;
    if (hex4(s, &cp) < 0)
        return -1;
    if (cp == 0)
        return bad(s, "\\u0000 is not allowed");
    if (cp >= 0xDC00 && cp <= 0xDFFF)
        return bad(s, "lone low surrogate");
    if (cp < 0xD800 || cp > 0xDBFF)
        return 0;
    if (s->n - s->i < 2 || s->p[s->i] != '\\' || s->p[s->i + 1] != 'u')
        return bad(s, "high surrogate without its low half");
    s->i += 2;
    if (hex4(s, &lo) < 0)
        return -1;
    return lo >= 0xDC00 && lo <= 0xDFFF ? 0 : bad(s, "high surrogate without its low half");
}

/* One UTF-8 sequence of 2..4 bytes starting at s->i (RFC 3629: no overlongs, no surrogates,
 * nothing above U+10FFFF). */
static int utf8(struct scan *s)
{
    const uint8_t *p = s->p + s->i;
    size_t left = s->n - s->i, need;
    uint8_t lo = 0x80, hi = 0xBF, c = p[0];
    if (c >= 0xC2 && c <= 0xDF)
        need = 1;
    else if (c >= 0xE0 && c <= 0xEF) {
        need = 2;
        lo = c == 0xE0 ? 0xA0 : 0x80;
        hi = c == 0xED ? 0x9F : 0xBF;
    } else if (c >= 0xF0 && c <= 0xF4) {
        need = 3;
        lo = c == 0xF0 ? 0x90 : 0x80;
        hi = c == 0xF4 ? 0x8F : 0xBF;
    } else
        return bad(s, "invalid UTF-8");
    if (left <= need || p[1] < lo || p[1] > hi)
        return bad(s, "invalid UTF-8");
    for (size_t k = 2; k <= need; k++)
        if (p[k] < 0x80 || p[k] > 0xBF)
            return bad(s, "invalid UTF-8");
    s->i += need + 1;
    return 0;
}

/* A byte that stands for itself inside a string: printable ASCII but '"' and '\\'. */
static inline bool plain(uint8_t c)
{
    return (uint8_t)(c - 0x20) < 0x60 && c != '"' && c != '\\';
}

/* s->i at the opening quote. */
static int string(struct scan *s)
{
    s->i++;
    for (;;) {
        const uint8_t *p = s->p; /* the common case: plain ASCII */
        size_t i = s->i, n = s->n;
        while (i < n && plain(p[i]))
            i++;
        s->i = i;
        if (s->i >= s->n)
            return bad(s, "unterminated string");
        uint8_t c = s->p[s->i];
        if (c == '"') {
            s->i++;
            return 0;
        }
        if (c < 0x20)
            return bad(s, "control character in a string");
        int rc = c == '\\' ? (s->i++, escape(s)) : utf8(s);
        if (rc < 0)
            return rc;
    }
}

static size_t skip_digits(const uint8_t *p, size_t i, size_t n)
{
    while (i < n && p[i] >= '0' && p[i] <= '9')
        i++;
    return i;
}

/* -? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)? */
static int number(struct scan *s)
{
    const uint8_t *p = s->p;
    size_t n = s->n, i = s->i + (p[s->i] == '-'), k;
    const char *why = NULL;
    if ((k = skip_digits(p, i, n)) == i)
        why = "invalid number";
    else if (p[i] == '0' && k > i + 1)
        why = "invalid number: leading zero";
    i = k;
    if (!why && i < n && p[i] == '.') {
        if ((k = skip_digits(p, i + 1, n)) == i + 1)
            why = "invalid number: digits must follow '.'";
        i = k;
    }
    if (!why && i < n && (p[i] == 'e' || p[i] == 'E')) {
        i += 1 + (i + 1 < n && (p[i + 1] == '+' || p[i + 1] == '-'));
        if ((k = skip_digits(p, i, n)) == i)
            why = "invalid number: digits must follow the exponent";
        i = k;
    }
    s->i = i;
    return why ? bad(s, why) : 0;
}

static int literal(struct scan *s, const char *word)
{
    size_t k = strlen(word);
    if (s->n - s->i < k || memcmp(s->p + s->i, word, k) != 0)
        return bad(s, "invalid literal");
    s->i += k;
    return 0;
}

static int value(struct scan *s, struct jscan_result *top);

/* Does the (valid) string token p[a..b) (quotes included) decode to "tee"? */
static bool key_is_tee(const uint8_t *p, size_t a, size_t b)
{
    static const char tee[] = "tee";
    size_t k = 0;
    for (size_t i = a + 1; i + 1 < b; k++) {
        uint32_t cp = p[i];
        if (cp == '\\' && p[i + 1] == 'u') {
            cp = 0;
            for (int d = 0; d < 4; d++)
                cp = cp << 4 | (uint32_t)hexval(p[i + 2 + (size_t)d]);
            i += 6;
        } else {
            i += cp == '\\' ? 2 : 1; /* a short escape decodes to no letter of "tee" */
            if (cp == '\\')
                cp = 0;
        }
        if (k >= 3 || cp != (uint8_t)tee[k])
            return false;
    }
    return k == 3;
}

static void note_member(struct jscan_result *top, size_t sep, size_t key, size_t key_end,
                        size_t val, size_t val_end, const uint8_t *p)
{
    bool first = top->members == 0;
    top->members++;
    top->tee_is_last = false;
    if (!key_is_tee(p, key, key_end))
        return;
    top->tee_count++;
    top->tee_sep = first ? key : sep;
    top->tee_first = first;
    top->tee_key = key;
    top->tee_value = val;
    top->tee_value_end = val_end;
    top->tee_is_last = true;
}

/* s->i at '{'; top is non-NULL for the document's own object. */
static int object(struct scan *s, struct jscan_result *top)
{
    size_t sep = s->i;
    s->i++;
    ws(s);
    if (s->i < s->n && s->p[s->i] == '}')
        return s->i++, 0;
    for (;;) {
        if (s->i >= s->n || s->p[s->i] != '"')
            return bad(s, "expected a string key");
        size_t key = s->i;
        if (string(s) < 0)
            return -1;
        size_t key_end = s->i;
        ws(s);
        if (s->i >= s->n || s->p[s->i] != ':')
            return bad(s, "expected ':' after a key");
        s->i++;
        ws(s);
        size_t val = s->i;
        if (value(s, NULL) < 0)
            return -1;
        if (top)
            note_member(top, sep, key, key_end, val, s->i, s->p);
        ws(s);
        if (s->i < s->n && s->p[s->i] == '}')
            return s->i++, 0;
        if (s->i >= s->n || s->p[s->i] != ',')
            return bad(s, "expected ',' or '}' in an object");
        sep = s->i++;
        ws(s);
    }
}

static int array(struct scan *s)
{
    s->i++;
    ws(s);
    if (s->i < s->n && s->p[s->i] == ']')
        return s->i++, 0;
    for (;;) {
        if (value(s, NULL) < 0)
            return -1;
        ws(s);
        if (s->i < s->n && s->p[s->i] == ']')
            return s->i++, 0;
        if (s->i >= s->n || s->p[s->i] != ',')
            return bad(s, "expected ',' or ']' in an array");
        s->i++;
        ws(s);
    }
}

static int value(struct scan *s, struct jscan_result *top)
{
    if (s->i >= s->n)
        return bad(s, "expected a value");
    uint8_t c = s->p[s->i];
    if (c == '{' || c == '[') {
        if (++s->depth > JSCAN_MAX_DEPTH)
            return bad(s, "nested too deeply");
        int rc = c == '{' ? object(s, top) : array(s);
        s->depth--;
        return rc;
    }
    if (c == '"')
        return string(s);
    if (c == '-' || (c >= '0' && c <= '9'))
        return number(s);
    if (c == 't')
        return literal(s, "true");
    if (c == 'f')
        return literal(s, "false");
    if (c == 'n')
        return literal(s, "null");
    return bad(s, "expected a value");
}

int jscan_document(const uint8_t *data, size_t len, const char *what, struct jscan_result *out)
{
    struct scan s = {.p = data, .n = data ? len : 0};
    memset(out, 0, sizeof *out);
    ws(&s);
    bool obj = s.i < s.n && s.p[s.i] == '{';
    out->open = s.i;
    if (value(&s, obj ? out : NULL) == 0) {
        out->close = s.i - 1;
        ws(&s);
        if (s.i == s.n) {
            out->is_object = obj;
            return 0;
        }
        bad(&s, "trailing data after the JSON value");
    }
    return fail(BPTEE_EPARSE, "%s: byte %zu: %s", what, s.i, s.why);
}
