// SPDX-License-Identifier: Apache-2.0
/* The secrets endpoints (docs/agent.md): POST /v1/secrets stores or rotates a sealed secret,
 * DELETE /v1/secrets/NAME revokes one, GET /v1/secrets/NAME says which version is stored (never
 * the bytes). Writes are admitted by owners.c (owner signature, rights, version) before
 * anything is opened or changed; a refused write keeps the stored value. Every request that
 * names a session uses it up, whatever its outcome: one try per offer. */
#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agentd/daemon.h"

void agent_burn_session(struct agent *a, const char *session_id)
{
    struct bptee_session *s = NULL;
    char digest[BPTEE_DIGEST_HEX_SIZE];
    if (!session_id)
        return;
    agent_offers_take(a->offers, session_id, digest);
    if (bptee_auth_service_consume(a->auth, session_id, &s) == 0)
        bptee_session_free(s);
}

static void result_reply(struct api_reply *out, const char *digest, const char *fingerprint)
{
    struct bptee_sealed_secret_result r = {.success = true,
                                           .attestation_digest = (char *)digest,
                                           .key_fingerprint = (char *)fingerprint};
    char *json = NULL;
    if (bptee_sealed_secret_result_to_json(&r, 0, &json) < 0)
        return api_fail_reply(out, 500, NULL);
    out->status = 200;
    out->body = json;
}

/* The version a write lands at: the one it names, else one more than the stored one. */
static uint64_t next_version(uint64_t named, bool existed, uint64_t stored)
{
    return named ? named : existed ? stored + 1 : 1;
}

/* Fail closed: a write goes on record before it happens, and does not happen when it cannot
 * go on record (a full disk, an unwritable --audit-log): the owner hears so, the stored value
 * stays. A write the store then refuses (a concurrent one got there first) is recorded as
 * refused right after. */
static int record_first(struct agent *a, const struct bptee_audit_entry *e,
                        struct api_reply *out)
{
    char msg[700];
    if (agent_audit(a, e) == 0)
        return 0;
    snprintf(msg, sizeof msg, "%s of %s refused: the access log cannot record it (%s); nothing "
             "was changed", e->event == BPTEE_AUDIT_REVOKE ? "revocation" : "write", e->name,
             bptee_last_error());
    api_error(out, 503, msg);
    return -1;
}

/* Put the opened plaintext on record and in the store. */
static int store_secret(struct agent *a, const struct bptee_provision_request *req,
                        const struct owner_write *w, const uint8_t *data, size_t len,
                        struct api_reply *out)
{
    struct bptee_secret_info before;
    bool existed = bptee_secret_store_info(a->store, req->name, &before) == 0;
    BPTEE_OPTS(bptee_secret_put_opts, o,
               .version = next_version(req->version, existed, existed ? before.version : 0),
               .allow_measurements = (const char *const *)req->allow_measurements,
               .n_allow_measurements = req->n_allow_measurements, .allow_uids = req->allow_uids,
               .n_allow_uids = req->n_allow_uids, .owner = req->owner);
    struct bptee_audit_entry e = {.event = existed ? BPTEE_AUDIT_ROTATE : BPTEE_AUDIT_PROVISION,
                                  .name = req->name, .version = o.version, .owner = req->owner,
                                  .detail = req->owner ? NULL : "unsigned (owners open)"};
    int rc = 0;
    if (len > BPTEE_SECRET_MAX_SIZE) { /* refused before anything is recorded as done */
        char msg[300];
        snprintf(msg, sizeof msg, "secret %s: %zu bytes exceeds the %u-byte limit", req->name,
                 len, BPTEE_SECRET_MAX_SIZE);
        api_error(out, 413, msg);
        owners_refused(a, w, msg);
        return -1;
    }
    if (record_first(a, &e, out) < 0)
        return -1;
    if ((rc = bptee_secret_store_put(a->store, req->name, data, len, &o)) < 0) {
        api_fail_reply(out, api_status_of(rc), NULL);
        owners_refused(a, w, bptee_last_error());
        return rc;
    }
    agent_log("secret %s %s (version %llu%s%s%s)", req->name, existed ? "rotated" : "stored",
              (unsigned long long)o.version, req->owner ? ", owner " : "",
              req->owner ? req->owner : "",
              req->n_allow_measurements || req->n_allow_uids ? ", allow list" : "");
    if (existed)
        watch_notify(a, req->name); /* keepers of jobs holding it update their views first */
    return 0;
}

static void open_and_store(struct agent *a, const struct bptee_provision_request *req,
                           const struct owner_write *w, struct api_reply *out)
{
    char fingerprint[BPTEE_DIGEST_HEX_SIZE], digest[BPTEE_DIGEST_HEX_SIZE] = "";
    size_t plain_len = 0, ct = req->payload->ciphertext_len;
    size_t cap = ct > BPTEE_SEAL_TAG_LEN ? ct - BPTEE_SEAL_TAG_LEN : 1;
    uint8_t *plain = sodium_malloc(cap); /* guarded, locked; wiped by sodium_free */
    if (!plain) {
        agent_burn_session(a, req->payload->session_id);
        return api_error(out, 500, "out of locked memory for the secret");
    }
    int rc = bptee_auth_service_open(a->auth, req->payload, plain, cap, &plain_len, fingerprint);
    /* the session is gone now, opened or not */
    agent_offers_take(a->offers, req->payload->session_id, digest);
    if (rc < 0) {
        api_fail_reply(out, api_status_of(rc), NULL);
        agent_log("secret %s refused: %s", req->name, bptee_last_error());
        owners_refused(a, w, bptee_last_error());
    } else if (store_secret(a, req, w, plain, plain_len, out) == 0) {
        result_reply(out, digest, fingerprint);
    }
    sodium_free(plain);
}

void api_secrets_post(struct agent *a, const char *body, size_t len, struct api_reply *out)
{
    struct bptee_provision_request *req = NULL;
    int rc = bptee_provision_request_from_json(body, len, &req);
    if (rc < 0)
        return api_fail_reply(out, rc == BPTEE_ELIMIT ? 413 : 400, NULL);
    struct owner_write w = {.op = BPTEE_OWNER_OP_PROVISION,
                            .name = req->name,
                            .session_id = req->payload->session_id,
                            .owner = req->owner,
                            .signature = req->has_signature ? req->signature : NULL,
                            .version = req->version};
    if (bptee_sealed_payload_digest(req->payload, w.payload_digest) < 0) {
        api_fail_reply(out, 400, NULL);
        agent_burn_session(a, w.session_id);
    } else if (owners_admit(a, &w, out) < 0) {
        agent_burn_session(a, w.session_id);
    } else {
        open_and_store(a, req, &w, out);
    }
    bptee_provision_request_free(req);
}

/* ---- /v1/secrets/NAME */

static void serve_metadata(struct agent *a, const char *name, struct api_reply *out)
{
    struct bptee_secret_info info;
    char owner[BPTEE_SECRET_OWNER_MAX + 1] = "";
    if (bptee_secret_store_info(a->store, name, &info) < 0 ||
        bptee_secret_store_owner(a->store, name, owner, sizeof owner) < 0)
        return api_fail_reply(out, 404, NULL);
    json_t *o = json_pack("{s:s, s:I, s:b}", "name", name, "version",
                          (json_int_t)(info.version > INT64_MAX ? INT64_MAX : info.version),
                          "revoked", info.revoked);
    if (o && owner[0])
        json_object_set_new(o, "owner", json_string(owner));
    out->body = o ? json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    json_decref(o);
    out->status = 200;
    if (!out->body)
        api_error(out, 500, "out of memory");
}

static void revoke_reply(struct api_reply *out, const char *name, uint64_t version)
{
    json_t *o = json_pack("{s:s, s:I, s:b}", "name", name, "version", (json_int_t)version,
                          "revoked", 1);
    out->body = o ? json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    json_decref(o);
    out->status = 200;
    if (!out->body)
        api_error(out, 500, "out of memory");
}

static void serve_revoke(struct agent *a, const char *name, const char *body, size_t len,
                         struct api_reply *out)
{
    struct bptee_revoke_request *req = NULL;
    struct bptee_secret_info info;
    int rc = bptee_revoke_request_from_json(body, len, &req);
    if (rc < 0)
        return api_fail_reply(out, rc == BPTEE_ELIMIT ? 413 : 400, NULL);
    struct owner_write w = {.op = BPTEE_OWNER_OP_REVOKE, .name = name,
                            .session_id = req->session_id, .owner = req->owner,
                            .signature = req->has_signature ? req->signature : NULL,
                            .version = req->version};
    rc = owners_admit(a, &w, out);
    agent_burn_session(a, req->session_id); /* admitted or not: one try per offer */
    struct bptee_audit_entry e = {.event = BPTEE_AUDIT_REVOKE, .name = name, .owner = req->owner,
                                  .detail = req->owner ? NULL : "unsigned (owners open)"};
    if (rc == 0 && bptee_secret_store_info(a->store, name, &info) == 0) {
        e.version = next_version(req->version, true, info.version);
        rc = record_first(a, &e, out);
    }
    if (rc == 0)
        rc = bptee_secret_store_revoke_at(a->store, name, e.version, req->owner);
    if (rc < 0 && !out->body) {
        api_fail_reply(out, api_status_of(rc), NULL);
        owners_refused(a, &w, bptee_last_error());
    }
    if (rc == 0 && bptee_secret_store_info(a->store, name, &info) == 0) {
        agent_log("secret %s revoked (version %llu%s%s); its bytes are wiped", name,
                  (unsigned long long)info.version, req->owner ? ", owner " : "",
                  req->owner ? req->owner : "");
        watch_notify(a, name); /* before the owner hears it is done */
        revoke_reply(out, name, info.version);
    }
    bptee_revoke_request_free(req);
}

void api_secret_item(struct agent *a, const char *method, const char *name, const char *body,
                     size_t len, struct api_reply *out)
{
    char what[200];
    size_t n = strlen(name);
    bool ok = n > 0 && n <= BPTEE_SECRET_NAME_MAX && strcmp(name, ".") && strcmp(name, "..") &&
              strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-") == n;
    if (!ok) {
        snprintf(what, sizeof what, "not a secret name: %.130s", name);
        return api_error(out, 404, what);
    }
    if (!strcmp(method, "GET"))
        serve_metadata(a, name, out);
    else
        serve_revoke(a, name, body, len, out);
}
