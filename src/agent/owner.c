// SPDX-License-Identifier: Apache-2.0
/* The owner fields that signed request bodies share (POST /v1/secrets, DELETE
 * /v1/secrets/NAME): who signs, the signature, and the shape rule that a signature never comes
 * without its owner or its version. The signature itself is checked by the agent, which alone
 * knows the session's attestation digest (bptee_owner_request_verify). */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include <bptee/owners.h>

#include "agent/agent_private.h"
#include "util/cleanup.h"
#include "util/codec.h"
#include "util/error.h"

int agent_read_owner(const json_t *obj, const char *what, char **owner)
{
    const json_t *v = json_object_get(obj, "owner");
    if (!v)
        return 0;
    if (!json_is_string(v) || strlen(json_string_value(v)) != json_string_length(v) ||
        bptee_owner_id_check(json_string_value(v)) < 0)
        return fail(BPTEE_EPARSE, "%s: owner: expected an owner id (1 to %d of A-Z a-z 0-9 . _ @ "
                                  "+ -)", what, BPTEE_OWNER_ID_MAX);
    *owner = strdup(json_string_value(v));
    return *owner ? 0 : fail(BPTEE_ENOMEM, "%s: out of memory", what);
}

int agent_read_signature(const json_t *obj, const char *what, bool *has, uint8_t sig[64])
{
    const json_t *v = json_object_get(obj, "signature");
    if (!v)
        return 0;
    if (!json_is_string(v))
        return fail(BPTEE_EPARSE, "%s: signature: expected 64 bytes as hex or base64", what);
    const char *s = json_string_value(v);
    size_t n = json_string_length(v);
    if (n == 128 && strspn(s, "0123456789abcdefABCDEF") == 128) {
        if (hex_decode_exact(s, sig, 64, "signature") < 0)
            return fail_prefix(BPTEE_EPARSE, "%s", what);
    } else {
        _cleanup_free_ uint8_t *raw = NULL;
        size_t len = 0;
        if (b64_decode_alloc(s, n, &raw, &len, "signature") < 0 || len != 64)
            return fail(BPTEE_EPARSE, "%s: signature: expected 64 bytes as 128 hex digits or "
                                      "base64", what);
        memcpy(sig, raw, 64);
    }
    *has = true;
    return 0;
}

int agent_check_signed(const char *owner, bool has_signature, uint64_t version, const char *what)
{
    if (owner && !has_signature)
        return fail(BPTEE_EPARSE, "%s: signature: required with \"owner\"", what);
    if (has_signature && !owner)
        return fail(BPTEE_EPARSE, "%s: owner: required with \"signature\"", what);
    if (owner && !version)
        return fail(BPTEE_EPARSE, "%s: version: required in a signed request", what);
    return 0;
}

int agent_write_owner(json_t *obj, const char *owner, bool has_signature, const uint8_t sig[64])
{
    char hex[129];
    if (owner && json_object_set_new(obj, "owner", json_string(owner)) != 0)
        return -1;
    if (!has_signature)
        return 0;
    sodium_bin2hex(hex, sizeof hex, sig, 64);
    return json_object_set_new(obj, "signature", json_string(hex)) != 0 ? -1 : 0;
}
