/* SPDX-License-Identifier: Apache-2.0 */
/* A strict RFC 8259 validator for whole result documents. jansson builds a tree (~18 ms for a
 * 1 MiB document) where injecting a "tee" member only needs to know that the bytes are one
 * JSON value, whether it is an object, and where its top-level members lie; this scanner
 * checks exactly the grammar (UTF-8, escapes, surrogate pairs, numbers, nesting) without
 * building anything. It is at least as strict as jansson on what it accepts (it refuses
 * "\u0000" and invalid UTF-8 as jansson does), so a document it accepts stays readable by
 * jansson-based consumers. */
#ifndef BPTEE_RESULT_JSCAN_H
#define BPTEE_RESULT_JSCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Deepest nesting accepted (jansson's own limit is 2048). */
#define JSCAN_MAX_DEPTH 1024

struct jscan_result {
    bool is_object;        /* the document's value is an object */
    size_t open;           /* offset of its '{' */
    size_t close;          /* offset of its closing '}' */
    size_t members;        /* top-level members */
    size_t tee_count;      /* top-level members whose key decodes to "tee" */
    /* The last top-level member whose key is "tee": */
    size_t tee_sep;        /* offset of the ',' before it, or of its key when it is first */
    size_t tee_key;        /* offset of the '"' opening its key */
    size_t tee_value;      /* offset of its value's first byte */
    size_t tee_value_end;  /* one past its value's last byte */
    bool tee_is_last;      /* it is the last member */
    bool tee_first;        /* it is the first member (no ',' before it) */
};

/* Validate data[0..len) as one JSON value surrounded by optional whitespace. On failure
 * BPTEE_EPARSE "WHAT: byte N: reason". */
int jscan_document(const uint8_t *data, size_t len, const char *what, struct jscan_result *out);

#endif
