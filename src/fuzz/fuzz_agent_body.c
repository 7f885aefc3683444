// SPDX-License-Identifier: Apache-2.0
/* libFuzzer target for the agent's HTTP request bodies. POST /v1/secrets: any input fails
 * cleanly or parses, and a parsed request survives to_json -> from_json -> to_json unchanged
 * (integer arrays and base64 alike). POST /v1/sessions: the same bytes as a KeyExchangeRequest
 * and the nonce the agent would bind (64 hex digits, or a fresh one when absent). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bptee.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void die(const char *what)
{
    fprintf(stderr, "fuzz_agent_body: %s: %s\n", what, bptee_last_error());
    abort();
}

static char *dump(const struct bptee_provision_request *req, unsigned flags)
{
    char *s = NULL;
    if (bptee_provision_request_to_json(req, flags, &s) < 0)
        die("a parsed request does not serialize");
    return s;
}

static void secrets_body(const uint8_t *data, size_t size)
{
    struct bptee_provision_request *req = NULL, *again = NULL;
    if (bptee_provision_request_from_json((const char *)data, size, &req) < 0)
        return;
    for (unsigned flags = 0; flags <= BPTEE_WIRE_JSON_BASE64; flags += BPTEE_WIRE_JSON_BASE64) {
        char *first = dump(req, flags);
        if (bptee_provision_request_from_json(first, strlen(first), &again) < 0)
            die("serialized request does not parse");
        char *second = dump(again, flags);
        if (strcmp(first, second) != 0)
            die("round trip changed the request");
        bptee_provision_request_free(again);
        bptee_free(first);
        bptee_free(second);
    }
    bptee_provision_request_free(req);
}

static void sessions_body(const uint8_t *data, size_t size)
{
    struct bptee_key_exchange_request *req = NULL;
    uint8_t nonce[32];
    if (bptee_key_exchange_request_from_json((const char *)data, size, &req) < 0)
        return;
    int rc = bptee_key_exchange_request_nonce(req, nonce);
    if (rc < 0 && (!req->nonce || rc != BPTEE_EPARSE))
        die("nonce extraction failed other than on a malformed nonce");
    bptee_key_exchange_request_free(req);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    secrets_body(data, size);
    sessions_body(data, size);
    return 0;
}
