/* SPDX-License-Identifier: Apache-2.0 */
/* The secret owner's side of the agent's HTTP API, shared by `bptee provision` and `bptee
 * revoke`: requests over libcurl, a verified offer (fresh nonce, evidence under the policy, key
 * binding), the stored version of a secret, and the owner's signature over a request
 * (docs/formats.md, "Owner requests"). Each function prints "bptee: CMD: ..." on failure and
 * returns 1; 0 on success. */
#ifndef BPTEE_CLI_OWNER_CLIENT_H
#define BPTEE_CLI_OWNER_CLIENT_H

#include <stdbool.h>
#include <stdint.h>

#include <bptee.h>

struct owner_client {
    const char *cmd;   /* "provision", "revoke": the prefix of messages */
    const char *agent; /* http://HOST:PORT */
    uint64_t timeout;  /* seconds per request */
    int64_t at;        /* verification time (0: now) */
    const struct bptee_policy *policy;
    struct bptee_owner_key *key; /* NULL: unsigned requests */
    const char *owner_id;
};

struct http_body {
    char *data;
    size_t len;
    bool too_large;
};

/* One request (json NULL: no body); *status is the HTTP status. */
int owner_http(const struct owner_client *c, const char *method, const char *path,
               const char *json, long *status, struct http_body *resp);
/* The same, insisting on 200 and naming the agent's {"error"} otherwise. */
int owner_http_ok(const struct owner_client *c, const char *what, const char *method,
                  const char *path, const char *json, struct http_body *resp);
/* POST /v1/sessions with a fresh nonce; the offer only if it verifies and binds the nonce. */
int owner_get_offer(const struct owner_client *c, const char *name, struct bptee_offer **offer);
/* GET /v1/secrets/NAME: the stored version (*exists false on 404). */
int owner_stored_version(const struct owner_client *c, const char *name, bool *exists,
                         uint64_t *version);
/* Sign op over (the offer's evidence digest and session, owner, name, version, payload digest
 * or none) into sig. */
int owner_sign(const struct owner_client *c, int op, const struct bptee_offer *offer,
               const char *name, uint64_t version, const struct bptee_sealed_payload *payload,
               uint8_t sig[64]);
/* --owner-key and --owner-id go together; load the key. */
int owner_load_key(struct owner_client *c, const char *key_path);

#endif
