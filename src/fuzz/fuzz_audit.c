// SPDX-License-Identifier: Apache-2.0
/* libFuzzer target for the audit log an owner verifies offline: any input fails cleanly in
 * bptee_audit_verify (no policy trusts an unknown root, so nothing verifies), and every entry
 * that reads back strictly re-encodes and writes out as the very same JSON object: there is
 * exactly one way to read an entry, so an edit cannot hide behind a second spelling. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>

#include <bptee.h>

#include "audit/audit_private.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void die(const char *what)
{
    fprintf(stderr, "fuzz_audit: %s: %s\n", what, bptee_last_error());
    abort();
}

static void entries(const uint8_t *data, size_t size)
{
    json_t *root = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, NULL), *e;
    size_t i;
    json_array_foreach(json_object_get(root, "entries"), i, e)
    {
        struct bptee_audit_entry entry;
        uint8_t hash[32], bytes[BPTEE_AUDIT_ENTRY_MAX];
        size_t len = 0;
        if (audit_entry_from_json(e, i, &entry, hash) < 0 ||
            bptee_audit_entry_encode(&entry, bytes, sizeof bytes, &len) < 0)
            continue;
        json_t *again = audit_entry_to_json(&entry, hash);
        if (!again || !json_equal(again, e))
            die("an entry reads back as another JSON object");
        json_decref(again);
    }
    json_decref(root);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    BPTEE_OPTS(bptee_verify_opts, vo);
    if (bptee_audit_verify((const char *)data, size, &vo, NULL, NULL) == 0)
        die("a log verified without a trusted root");
    entries(data, size);
    return 0;
}
