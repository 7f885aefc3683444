// SPDX-License-Identifier: Apache-2.0
/* The agent's HTTP JSON API (docs/agent.md): routing, error replies, and the key exchange's
 * POST /v1/sessions (an attested one-time key). The secrets endpoints are in secrets.c,
 * the read-only ones in info.c. Replies never carry secret bytes: error texts come from
 * the library, which never puts a secret in one. */
#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "agentd/daemon.h"

#define SECRET_ITEM "/v1/secrets/"

static const struct route {
    const char *path;
    const char *method;
} routes[] = {
    {"/v1/health", "GET"},      {"/v1/sessions", "POST"},   {"/v1/secrets", "POST"},
    {"/v1/attestation", "GET"}, {"/v1/signing-key", "GET"}, {"/v1/attestation/refresh", "POST"},
    {"/v1/audit", "GET"},
};

unsigned api_route(const char *url, const char *method, const char **allow)
{
    if (!strncmp(url, SECRET_ITEM, strlen(SECRET_ITEM)) && url[strlen(SECRET_ITEM)]) {
        *allow = "GET, DELETE";
        return !strcmp(method, "GET") || !strcmp(method, "DELETE") ? 0 : 405;
    }
    for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++) {
        if (strcmp(url, routes[i].path) != 0)
            continue;
        *allow = routes[i].method;
        return strcmp(method, routes[i].method) == 0 ? 0 : 405;
    }
    return 404;
}

/* A JSON string of message as far as it is printable ASCII, '?' for every other byte: error
 * texts quote what a client sent (a secret's name from the URL), which need not be UTF-8, and
 * jansson refuses a string that is not. */
static json_t *error_text(const char *message)
{
    json_t *s = json_string(message);
    if (s)
        return s;
    size_t n = strlen(message);
    char *clean = malloc(n + 1);
    if (!clean)
        return NULL;
    for (size_t i = 0; i <= n; i++)
        clean[i] = i == n ? '\0' : (message[i] >= 0x20 && message[i] < 0x7f) ? message[i] : '?';
    s = json_string(clean);
    free(clean);
    return s;
}

void api_error(struct api_reply *out, unsigned status, const char *message)
{
    json_t *o = json_pack("{s:o}", "error",
                          error_text(message && message[0] ? message : "internal error"));
    out->status = status;
    out->body = o ? json_dumps(o, JSON_COMPACT) : NULL;
    json_decref(o);
}

unsigned api_status_of(int code)
{
    switch (code) {
    case BPTEE_EPARSE:
    case BPTEE_EINVAL:
    case BPTEE_ECRYPTO:
    case BPTEE_EUNSUPPORTED:
        return 400;
    case BPTEE_EDENIED:
        return 403;
    case BPTEE_ENOTFOUND:
        return 404;
    case BPTEE_EEXPIRED:
        return 410;
    case BPTEE_ELIMIT:
        return 413;
    default:
        return 500;
    }
}

void api_fail_reply(struct api_reply *out, unsigned status, const char *what)
{
    char msg[1024];
    snprintf(msg, sizeof msg, "%s%s%s", what ? what : "", what ? ": " : "", bptee_last_error());
    api_error(out, status, msg);
}

int agent_attest(struct agent *a, const uint8_t *report_data, size_t len, struct bptee_report **out)
{
    pthread_mutex_lock(&a->attest_lock);
    int rc = bptee_guest_attest(&a->guest, report_data, len, out, NULL);
    pthread_mutex_unlock(&a->attest_lock);
    return rc;
}

int agent_refresh_key(struct agent *a)
{
    pthread_mutex_lock(&a->attest_lock);
    int rc = bptee_signing_key_attest(a->key, &a->guest, NULL);
    if (rc == 0)
        __atomic_store_n(&a->key_attested_at, (uint64_t)time(NULL), __ATOMIC_RELAXED);
    pthread_mutex_unlock(&a->attest_lock);
    return rc;
}

/* ---- POST /v1/sessions */

/* The nonce a KeyExchangeRequest asks for; an empty body is a request without one. */
static int request_nonce(const char *body, size_t len, uint8_t nonce[32])
{
    struct bptee_key_exchange_request *req = NULL;
    if (len > 0) {
        int rc = bptee_key_exchange_request_from_json(body, len, &req);
        if (rc < 0)
            return rc;
    }
    int rc = bptee_key_exchange_request_nonce(req, nonce);
    bptee_key_exchange_request_free(req);
    return rc;
}

/* The offer: the session's key bound into fresh evidence, REPORT_DATA = SHA-512(nonce||key). */
static int make_offer(struct agent *a, const char *sid, const uint8_t pk[32],
                      const uint8_t nonce[32], char **json, char *digest)
{
    uint8_t rd[BPTEE_REPORT_DATA_LEN];
    struct bptee_key_exchange_response resp = {.session_id = (char *)sid, .has_nonce = true};
    memcpy(resp.public_key, pk, 32);
    memcpy(resp.nonce, nonce, 32);
    bptee_key_binding_report_data(nonce, pk, rd);
    int rc = agent_attest(a, rd, sizeof rd, &resp.attestation);
    if (rc == 0)
        rc = bptee_key_binding_attach(resp.attestation, nonce, pk);
    if (rc == 0)
        rc = bptee_report_evidence_digest(resp.attestation, digest);
    if (rc == 0) /* byte fields as integer arrays: what blueprint-tee's serde reads */
        rc = bptee_key_exchange_response_to_json(&resp, 0, json);
    bptee_report_free(resp.attestation);
    return rc;
}

static void serve_sessions(struct agent *a, const char *body, size_t len, struct api_reply *out)
{
    uint8_t nonce[32], pk[32];
    char sid[BPTEE_SESSION_ID_SIZE], digest[BPTEE_DIGEST_HEX_SIZE];
    char *json = NULL;
    int rc = request_nonce(body, len, nonce);
    if (rc < 0)
        return api_fail_reply(out, 400, NULL);
    rc = bptee_auth_service_create_session(a->auth, sid, pk);
    if (rc < 0) /* the session limit: come back later */
        return api_fail_reply(out, rc == BPTEE_ELIMIT ? 429 : 500, NULL);
    rc = make_offer(a, sid, pk, nonce, &json, digest);
    if (rc < 0) {
        api_fail_reply(out, 500, "attestation failed");
        struct bptee_session *s = NULL; /* an offer nobody can verify must not stay usable */
        if (bptee_auth_service_consume(a->auth, sid, &s) == 0)
            bptee_session_free(s);
        return;
    }
    agent_offers_put(a->offers, sid, digest);
    agent_log("session %s offered (evidence %.16s...)", sid, digest);
    out->status = 200;
    out->body = json;
}

/* ---- dispatch */

void api_serve(struct agent *a, const char *method, const char *url, const struct api_query *q,
               const char *body, size_t len, struct api_reply *out)
{
    if (!strcmp(url, "/v1/sessions"))
        serve_sessions(a, body, len, out);
    else if (!strcmp(url, "/v1/secrets"))
        api_secrets_post(a, body, len, out);
    else if (!strncmp(url, SECRET_ITEM, strlen(SECRET_ITEM)))
        api_secret_item(a, method, url + strlen(SECRET_ITEM), body, len, out);
    else if (!strcmp(url, "/v1/audit"))
        api_audit(a, q, out);
    else
        api_info(a, url, q->nonce, out);
}
