// SPDX-License-Identifier: Apache-2.0
/* The DELETE /v1/secrets/NAME body: a revocation, signed like a provisioning (issue #8) but
 * over operation REVOKE and without a payload. The session it names is one the owner opened to
 * verify the agent's evidence; the agent consumes it, so a revocation cannot be replayed into
 * another session, and its version must be higher than the stored one, so not into the same
 * secret's future either. Strict like every body: unknown keys are refused. */
#include <stdlib.h>
#include <string.h>

#include <bptee/owners.h>

#include "agent/agent_private.h"
#include "util/cleanup.h"
#include "util/error.h"
#include "util/json.h"

#define WHAT "revoke request"
#define VERSION_MAX 9223372036854775807ull /* JSON readers stop at 2^63 - 1 */

void bptee_revoke_request_free(struct bptee_revoke_request *req)
{
    if (!req)
        return;
    free(req->owner);
    free(req->session_id);
    free(req);
}

static int read_session(const json_t *obj, struct bptee_revoke_request *req)
{
    const json_t *v = json_object_get(obj, "session_id");
    if (!v)
        return 0;
    size_t n = json_string_length(v);
    if (!json_is_string(v) || n == 0 || n > BPTEE_OWNER_SESSION_ID_MAX ||
        strlen(json_string_value(v)) != n)
        return fail(BPTEE_EPARSE, WHAT ": session_id: expected a string of 1 to %d characters",
                    BPTEE_OWNER_SESSION_ID_MAX);
    req->session_id = strdup(json_string_value(v));
    return req->session_id ? 0 : fail(BPTEE_ENOMEM, WHAT ": out of memory");
}

static int read_fields(const json_t *obj, struct bptee_revoke_request *req)
{
    static const char *const keys[] = {"owner", "session_id", "version", "signature", NULL};
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)obj, key, v)
    {
        bool known = false;
        for (size_t i = 0; keys[i] && !known; i++)
            known = !strcmp(key, keys[i]);
        if (!known)
            return fail(BPTEE_EPARSE, WHAT ": unknown key '%.64s'", key);
    }
    if ((v = json_object_get(obj, "version"))) {
        if (!json_is_integer(v) || json_integer_value(v) < 1)
            return fail(BPTEE_EPARSE, WHAT ": version: expected an integer 1 to %llu",
                        VERSION_MAX);
        req->version = (uint64_t)json_integer_value(v);
    }
    int rc = read_session(obj, req);
    if (rc == 0)
        rc = agent_read_owner(obj, WHAT, &req->owner);
    if (rc == 0)
        rc = agent_read_signature(obj, WHAT, &req->has_signature, req->signature);
    if (rc == 0)
        rc = agent_check_signed(req->owner, req->has_signature, req->version, WHAT);
    if (rc == 0 && req->owner && !req->session_id)
        rc = fail(BPTEE_EPARSE, WHAT ": session_id: required in a signed request");
    return rc;
}

int bptee_revoke_request_from_json(const char *json, size_t len, struct bptee_revoke_request **out)
{
    _cleanup_json_ json_t *obj = NULL;
    if ((!json && len) || !out)
        return fail(BPTEE_EINVAL, WHAT ": missing input or output");
    *out = NULL;
    struct bptee_revoke_request *req = calloc(1, sizeof *req);
    if (!req)
        return fail(BPTEE_ENOMEM, WHAT ": out of memory");
    int rc = 0;
    if (len > 0) { /* an empty body is a request without fields */
        rc = json_parse_capped(json, len, BPTEE_PROVISION_BODY_MAX, WHAT, &obj);
        if (rc == 0 && !json_is_object(obj))
            rc = fail(BPTEE_EPARSE, WHAT ": expected a JSON object");
        if (rc == 0)
            rc = read_fields(obj, req);
    }
    if (rc < 0) {
        bptee_revoke_request_free(req);
        return rc;
    }
    *out = req;
    return 0;
}

int bptee_revoke_request_to_json(const struct bptee_revoke_request *req, char **out)
{
    if (!req || !out)
        return fail(BPTEE_EINVAL, WHAT ": missing request or output");
    if (req->version > VERSION_MAX)
        return fail(BPTEE_EINVAL, WHAT ": version above %llu", VERSION_MAX);
    int rc = agent_check_signed(req->owner, req->has_signature, req->version, WHAT);
    if (rc < 0)
        return rc;
    _cleanup_json_ json_t *obj = json_object();
    int bad = !obj;
    if (!bad && req->session_id)
        bad = json_object_set_new(obj, "session_id", json_string(req->session_id)) != 0;
    if (!bad && req->version)
        bad = json_object_set_new(obj, "version", json_integer((json_int_t)req->version)) != 0;
    if (!bad)
        bad = agent_write_owner(obj, req->owner, req->has_signature, req->signature) != 0;
    *out = bad ? NULL : json_to_string(obj, 0);
    return *out ? 0 : fail(BPTEE_ENOMEM, WHAT ": out of memory");
}
