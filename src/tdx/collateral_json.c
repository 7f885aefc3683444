// SPDX-License-Identifier: Apache-2.0
/* Intel's signed collateral: {"tcbInfo": {...}, "signature": "hex"} (or "enclaveIdentity"). The
 * signature covers the exact bytes of the inner JSON value as served, so the value's byte span
 * is located in the raw text (after jansson has validated the whole document) and both the
 * signature check and the evaluation use exactly those bytes; nothing is re-serialized. */
#include <stdio.h>
#include <stdlib.h>

#include "tdx/internal.h"
#include "util/codec.h"
#include "util/error.h"
#include "util/json.h"

struct scan {
    const char *s;
    size_t len, i;
};

static void skip_ws(struct scan *sc)
{
    while (sc->i < sc->len && (sc->s[sc->i] == ' ' || sc->s[sc->i] == '\t' ||
                               sc->s[sc->i] == '\n' || sc->s[sc->i] == '\r'))
        sc->i++;
}

/* At an opening quote: move past the closing one. */
static bool skip_string(struct scan *sc)
{
    for (sc->i++; sc->i < sc->len; sc->i++) {
        if (sc->s[sc->i] == '\\')
            sc->i++;
        else if (sc->s[sc->i] == '"') {
            sc->i++;
            return true;
        }
    }
    return false;
}

/* Move past one JSON value: a string, a nested object/array, or a scalar. */
static bool skip_value(struct scan *sc)
{
    if (sc->i >= sc->len)
        return false;
    if (sc->s[sc->i] == '"')
        return skip_string(sc);
    if (sc->s[sc->i] != '{' && sc->s[sc->i] != '[') {
        while (sc->i < sc->len && !strchr(",}] \t\r\n", sc->s[sc->i]))
            sc->i++;
        return true;
    }
    size_t depth = 0;
    while (sc->i < sc->len) {
        char ch = sc->s[sc->i];
        if (ch == '"') {
            if (!skip_string(sc))
                return false;
            continue;
        }
        sc->i++;
        if (ch == '{' || ch == '[')
            depth++;
        else if ((ch == '}' || ch == ']') && --depth == 0)
            return true;
    }
    return false;
}

static bool expect(struct scan *sc, char ch)
{
    skip_ws(sc);
    if (sc->i >= sc->len || sc->s[sc->i] != ch)
        return false;
    sc->i++;
    return true;
}

int tdx_json_value_span(const char *text, size_t len, const char *key, size_t *off, size_t *vlen)
{
    struct scan sc = {.s = text, .len = len};
    size_t klen = strlen(key);
    bool found = false;
    if (!expect(&sc, '{'))
        return fail(BPTEE_EPARSE, "tdx: collateral is not a JSON object");
    skip_ws(&sc);
    if (sc.i < len && sc.s[sc.i] == '}')
        sc.i = len; /* empty object: nothing to find */
    while (sc.i < len) {
        skip_ws(&sc);
        size_t k0 = sc.i;
        if (sc.i >= len || sc.s[sc.i] != '"' || !skip_string(&sc))
            return fail(BPTEE_EPARSE, "tdx: collateral: malformed member at byte %zu", k0);
        /* An escaped spelling of the key never matches: then the key is "missing", and the
         * caller fails closed. */
        bool match = sc.i - k0 - 2 == klen && !memcmp(text + k0 + 1, key, klen);
        if (!expect(&sc, ':'))
            return fail(BPTEE_EPARSE, "tdx: collateral: malformed member at byte %zu", k0);
        skip_ws(&sc);
        size_t v0 = sc.i;
        if (!skip_value(&sc))
            return fail(BPTEE_EPARSE, "tdx: collateral: malformed value at byte %zu", v0);
        if (match) {
            if (found)
                return fail(BPTEE_EPARSE, "tdx: collateral: \"%s\" appears twice", key);
            found = true;
            *off = v0;
            *vlen = sc.i - v0;
        }
        if (expect(&sc, '}'))
            break;
        if (!expect(&sc, ','))
            return fail(BPTEE_EPARSE, "tdx: collateral: expected ',' or '}' at byte %zu", sc.i);
    }
    if (!found)
        return fail(BPTEE_EPARSE, "tdx: collateral: no \"%s\" member in the raw text", key);
    return 0;
}

static int read_signature(const json_t *doc, const char *what, uint8_t sig[64])
{
    const json_t *s = json_object_get(doc, "signature");
    char where[64];
    snprintf(where, sizeof where, "tdx: %s: signature", what);
    if (!json_is_string(s))
        return fail(BPTEE_EPARSE, "%s: expected a hex string", where);
    return hex_decode_exact(json_string_value(s), sig, 64, where);
}

int tdx_signed_json_parse(const uint8_t *data, size_t len, const char *key, const char *what,
                          struct tdx_signed_json *out)
{
    memset(out, 0, sizeof *out);
    json_t *doc = NULL;
    char label[64];
    snprintf(label, sizeof label, "tdx: %s", what);
    int rc = json_parse_capped((const char *)data, len, BPTEE_TDX_COLLATERAL_MAX, label, &doc);
    if (rc < 0)
        return rc;
    if (!json_is_object(json_object_get(doc, key)))
        rc = fail(BPTEE_EPARSE, "tdx: %s: \"%s\" is missing or not an object", what, key);
    if (rc == 0)
        rc = read_signature(doc, what, out->signature);
    json_decref(doc);
    if (rc == 0)
        rc = tdx_json_value_span((const char *)data, len, key, &out->body_off, &out->body_len);
    if (rc < 0)
        return rc;
    json_error_t err;
    out->body = json_loadb((const char *)data + out->body_off, out->body_len,
                           JSON_REJECT_DUPLICATES, &err);
    if (!json_is_object(out->body)) {
        json_decref(out->body);
        out->body = NULL;
        return fail(BPTEE_EPARSE, "tdx: %s: the signed \"%s\" bytes are not one JSON object", what,
                    key);
    }
    out->raw = malloc(len);
    if (!out->raw) {
        tdx_signed_json_release(out);
        return fail(BPTEE_ENOMEM, "tdx: out of memory");
    }
    memcpy(out->raw, data, len);
    out->raw_len = len;
    return 0;
}

void tdx_signed_json_release(struct tdx_signed_json *s)
{
    json_decref(s->body);
    free(s->raw);
    memset(s, 0, sizeof *s);
}
