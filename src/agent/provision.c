// SPDX-License-Identifier: Apache-2.0
/* The POST /v1/secrets body: a secret's name, its SealedSecretPayload, an optional version, an
 * optional allow list of readers, and for a signed request the owner and the signature.
 * Unknown keys are refused: fields that later protocol versions add must never be ignored by
 * an agent that cannot check them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bptee/owners.h>

#include "agent/agent_private.h"
#include "util/cleanup.h"
#include "util/codec.h"
#include "util/error.h"
#include "util/json.h"

#define WHAT "provision request"
#define VERSION_MAX 9223372036854775807ull /* JSON readers stop at 2^63 - 1 */

void bptee_provision_request_free(struct bptee_provision_request *req)
{
    if (!req)
        return;
    free(req->name);
    bptee_sealed_payload_free(req->payload);
    for (size_t i = 0; i < req->n_allow_measurements; i++)
        free(req->allow_measurements[i]);
    free(req->allow_measurements);
    free(req->allow_uids);
    free(req->owner);
    free(req);
}

static int check_keys(const json_t *obj, const char *path, const char *const *allowed)
{
    const char *key = json_unknown_key(obj, allowed);
    return key ? fail(BPTEE_EPARSE, WHAT ": unknown key '%s%s'", path, key) : 0;
}

static int read_name(const json_t *obj, struct bptee_provision_request *req)
{
    const json_t *v = json_object_get(obj, "name");
    if (!v)
        return fail(BPTEE_EPARSE, WHAT ": name: required");
    if (!json_is_string(v))
        return fail(BPTEE_EPARSE, WHAT ": name: expected a string");
    int rc = agent_name_check(json_string_value(v), json_string_length(v), WHAT ": name");
    if (rc < 0)
        return rc;
    req->name = strdup(json_string_value(v));
    return req->name ? 0 : fail(BPTEE_ENOMEM, WHAT ": out of memory");
}

static int read_payload(const json_t *obj, struct bptee_provision_request *req)
{
    const json_t *v = json_object_get(obj, "payload");
    if (!v)
        return fail(BPTEE_EPARSE, WHAT ": payload: required");
    if (!json_is_object(v))
        return fail(BPTEE_EPARSE, WHAT ": payload: expected an object (SealedSecretPayload)");
    _cleanup_free_ char *text = json_dumps(v, JSON_COMPACT);
    if (!text)
        return fail(BPTEE_ENOMEM, WHAT ": payload: out of memory");
    int rc = bptee_sealed_payload_from_json(text, strlen(text), &req->payload);
    return rc < 0 ? fail_prefix(rc, WHAT ": payload") : 0;
}

static int read_version(const json_t *obj, struct bptee_provision_request *req)
{
    const json_t *v = json_object_get(obj, "version");
    if (!v)
        return 0;
    if (!json_is_integer(v) || json_integer_value(v) < 1)
        return fail(BPTEE_EPARSE, WHAT ": version: expected an integer 1 to %llu", VERSION_MAX);
    req->version = (uint64_t)json_integer_value(v);
    return 0;
}

static int read_measurements(const json_t *arr, struct bptee_provision_request *req)
{
    size_t n = json_array_size(arr);
    if (!json_is_array(arr) || n > BPTEE_SECRET_ALLOW_MAX)
        return fail(BPTEE_EPARSE,
                    WHAT ": allow.measurements: expected an array of at most %d "
                         "hex SHA-256 digests",
                    BPTEE_SECRET_ALLOW_MAX);
    req->allow_measurements = calloc(n ? n : 1, sizeof *req->allow_measurements);
    if (!req->allow_measurements)
        return fail(BPTEE_ENOMEM, WHAT ": out of memory");
    for (size_t i = 0; i < n; i++) {
        const json_t *e = json_array_get(arr, i);
        uint8_t digest[32];
        char what[64];
        snprintf(what, sizeof what, WHAT ": allow.measurements[%zu]", i);
        if (!json_is_string(e))
            return fail(BPTEE_EPARSE, "%s: expected a hex string", what);
        int rc = hex_decode_exact(json_string_value(e), digest, sizeof digest, what);
        if (rc < 0)
            return rc;
        req->allow_measurements[i] = hex_encode(digest, sizeof digest); /* lowercase */
        if (!req->allow_measurements[i])
            return fail(BPTEE_ENOMEM, WHAT ": out of memory");
        req->n_allow_measurements = i + 1;
    }
    return 0;
}

static int read_uids(const json_t *arr, struct bptee_provision_request *req)
{
    size_t n = json_array_size(arr);
    if (!json_is_array(arr) || n > BPTEE_SECRET_ALLOW_MAX)
        return fail(BPTEE_EPARSE, WHAT ": allow.uids: expected an array of at most %d uids",
                    BPTEE_SECRET_ALLOW_MAX);
    req->allow_uids = calloc(n ? n : 1, sizeof *req->allow_uids);
    if (!req->allow_uids)
        return fail(BPTEE_ENOMEM, WHAT ": out of memory");
    for (size_t i = 0; i < n; i++) {
        const json_t *e = json_array_get(arr, i);
        /* 2^32 - 1 is (uid_t)-1, "no user", never a peer's uid */
        if (!json_is_integer(e) || json_integer_value(e) < 0 ||
            json_integer_value(e) >= 4294967295LL)
            return fail(BPTEE_EPARSE,
                        WHAT ": allow.uids[%zu]: expected an integer 0 to "
                             "4294967294",
                        i);
        req->allow_uids[i] = (uint32_t)json_integer_value(e);
    }
    req->n_allow_uids = n;
    return 0;
}

static int read_allow(const json_t *obj, struct bptee_provision_request *req)
{
    static const char *const keys[] = {"measurements", "uids", NULL};
    const json_t *v = json_object_get(obj, "allow");
    if (!v)
        return 0;
    if (!json_is_object(v))
        return fail(BPTEE_EPARSE, WHAT ": allow: expected an object");
    int rc = check_keys(v, "allow.", keys);
    if (rc == 0 && json_object_get(v, "measurements"))
        rc = read_measurements(json_object_get(v, "measurements"), req);
    if (rc == 0 && json_object_get(v, "uids"))
        rc = read_uids(json_object_get(v, "uids"), req);
    return rc;
}

int bptee_provision_request_from_json(const char *json, size_t len,
                                      struct bptee_provision_request **out)
{
    static const char *const keys[] = {"name",  "payload", "version",   "allow",
                                       "owner", "signature", NULL};
    _cleanup_json_ json_t *obj = NULL;
    if (!json || !out)
        return fail(BPTEE_EINVAL, WHAT ": missing input or output");
    *out = NULL;
    int rc = json_parse_capped(json, len, BPTEE_PROVISION_BODY_MAX, WHAT, &obj);
    if (rc < 0)
        return rc;
    if (!json_is_object(obj))
        return fail(BPTEE_EPARSE, WHAT ": expected a JSON object");
    struct bptee_provision_request *req = calloc(1, sizeof *req);
    if (!req)
        return fail(BPTEE_ENOMEM, WHAT ": out of memory");
    rc = check_keys(obj, "", keys);
    if (rc == 0)
        rc = read_name(obj, req);
    if (rc == 0)
        rc = read_version(obj, req);
    if (rc == 0)
        rc = read_allow(obj, req);
    if (rc == 0)
        rc = agent_read_owner(obj, WHAT, &req->owner);
    if (rc == 0)
        rc = agent_read_signature(obj, WHAT, &req->has_signature, req->signature);
    if (rc == 0)
        rc = agent_check_signed(req->owner, req->has_signature, req->version, WHAT);
    if (rc == 0)
        rc = read_payload(obj, req);
    if (rc < 0) {
        bptee_provision_request_free(req);
        return rc;
    }
    *out = req;
    return 0;
}

static json_t *allow_json(const struct bptee_provision_request *req)
{
    json_t *allow = json_object(), *m = json_array(), *u = json_array();
    int bad = !allow || !m || !u;
    for (size_t i = 0; !bad && i < req->n_allow_measurements; i++)
        bad = json_array_append_new(m, json_string(req->allow_measurements[i])) != 0;
    for (size_t i = 0; !bad && i < req->n_allow_uids; i++)
        bad = json_array_append_new(u, json_integer(req->allow_uids[i])) != 0;
    if (!bad && req->n_allow_measurements)
        bad = json_object_set(allow, "measurements", m) != 0;
    if (!bad && req->n_allow_uids)
        bad = json_object_set(allow, "uids", u) != 0;
    json_decref(m);
    json_decref(u);
    if (bad) {
        json_decref(allow);
        return NULL;
    }
    return allow;
}

static int payload_json(const struct bptee_provision_request *req, unsigned flags, json_t **out)
{
    _cleanup_free_ char *text = NULL;
    int rc = bptee_sealed_payload_to_json(req->payload, flags & ~BPTEE_WIRE_JSON_PRETTY, &text);
    if (rc < 0)
        return fail_prefix(rc, WHAT ": payload");
    *out = json_loads(text, 0, NULL);
    return *out ? 0 : fail(BPTEE_ENOMEM, WHAT ": payload: out of memory");
}

int bptee_provision_request_to_json(const struct bptee_provision_request *req, unsigned flags,
                                    char **out)
{
    json_t *payload = NULL;
    if (!req || !req->name || !req->payload || !out)
        return fail(BPTEE_EINVAL, WHAT ": missing name, payload or output");
    int rc = agent_name_check(req->name, strlen(req->name), WHAT ": name");
    if (rc == 0 && req->version > VERSION_MAX)
        rc = fail(BPTEE_EINVAL, WHAT ": version above %llu", VERSION_MAX);
    if (rc == 0 && req->owner && bptee_owner_id_check(req->owner) < 0)
        rc = fail_prefix(BPTEE_EINVAL, WHAT);
    if (rc == 0)
        rc = agent_check_signed(req->owner, req->has_signature, req->version, WHAT);
    if (rc == 0)
        rc = payload_json(req, flags, &payload);
    if (rc < 0)
        return rc;
    _cleanup_json_ json_t *obj = json_object();
    if (!obj) {
        json_decref(payload);
        return fail(BPTEE_ENOMEM, WHAT ": out of memory");
    }
    int bad = json_object_set_new(obj, "name", json_string(req->name)) != 0 ||
              json_object_set_new(obj, "payload", payload) != 0;
    if (!bad && req->version)
        bad = json_object_set_new(obj, "version", json_integer((json_int_t)req->version)) != 0;
    if (!bad && (req->n_allow_measurements || req->n_allow_uids))
        bad = json_object_set_new(obj, "allow", allow_json(req)) != 0;
    if (!bad)
        bad = agent_write_owner(obj, req->owner, req->has_signature, req->signature) != 0;
    if (bad)
        return fail(BPTEE_ENOMEM, WHAT ": out of memory");
    *out = json_to_string(obj, (flags & BPTEE_WIRE_JSON_PRETTY) != 0);
    return *out ? 0 : fail(BPTEE_ENOMEM, WHAT ": out of memory");
}
