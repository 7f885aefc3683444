// SPDX-License-Identifier: Apache-2.0
/* libFuzzer target for signed owner requests: the POST /v1/secrets body and the DELETE
 * /v1/secrets/NAME body. Any input fails cleanly or parses; a parsed signed body yields its
 * payload digest and the message the owner signed, whose signature a key that did not make it
 * never verifies; a parsed revocation survives to_json -> from_json unchanged. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bptee.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void die(const char *what)
{
    fprintf(stderr, "fuzz_owner_request: %s: %s\n", what, bptee_last_error());
    abort();
}

static void provision_body(const uint8_t *data, size_t size)
{
    static const uint8_t stranger[32] = {1}; /* not a key anyone signed with */
    struct bptee_provision_request *req = NULL;
    if (bptee_provision_request_from_json((const char *)data, size, &req) < 0)
        return;
    struct bptee_owner_request r = {.op = BPTEE_OWNER_OP_PROVISION,
                                    .session_id = req->payload->session_id,
                                    .owner = req->owner,
                                    .name = req->name,
                                    .version = req->version};
    uint8_t msg[BPTEE_OWNER_REQUEST_MAX];
    size_t len = 0;
    if (bptee_sealed_payload_digest(req->payload, r.payload_digest) < 0)
        die("a parsed payload has no digest");
    if (req->owner && bptee_owner_request_message(&r, msg, sizeof msg, &len) == 0 &&
        (len > sizeof msg || bptee_owner_request_verify(stranger, req->signature, &r) == 0))
        die("a signature verified with a key that never signed");
    bptee_provision_request_free(req);
}

static void revoke_body(const uint8_t *data, size_t size)
{
    struct bptee_revoke_request *req = NULL, *again = NULL;
    char *first = NULL, *second = NULL;
    if (bptee_revoke_request_from_json((const char *)data, size, &req) < 0)
        return;
    if (bptee_revoke_request_to_json(req, &first) < 0)
        die("a parsed revocation does not serialize");
    if (bptee_revoke_request_from_json(first, strlen(first), &again) < 0 ||
        bptee_revoke_request_to_json(again, &second) < 0 || strcmp(first, second) != 0)
        die("round trip changed the revocation");
    bptee_free(first);
    bptee_free(second);
    bptee_revoke_request_free(again);
    bptee_revoke_request_free(req);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    provision_body(data, size);
    revoke_body(data, size);
    return 0;
}
