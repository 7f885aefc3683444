// SPDX-License-Identifier: Apache-2.0
/* libFuzzer: the agent's HTTP API below libmicrohttpd (src/agentd): the routing (api_route),
 * then the endpoint (api_serve) with its query nonce (GET /v1/attestation?nonce=, GET
 * /v1/audit?nonce=) and its body, served by a real agent built in this process the way
 * `bptee agent` builds it: the simulated SEV-SNP TEE, open owners, an in-memory audit log.
 *
 * Input: "METHOD URL[?nonce=V&session_id=V&owner=V&signature=V]" on the first line, the
 * body after it. Every request must be answered with a status and a JSON body, as http.c
 * would send it. The agent is rebuilt every REBUILD_EVERY inputs so its sessions, secrets and
 * log stay small and runs stay comparable.
 *
 * A fuzzer cannot seal a secret to a key it never sees, so a body may name what an owner would
 * have got from the agent: "@SID@" is replaced by the id of a session the agent has just
 * offered, and "@PAYLOAD@" by a secret sealed to that session's key (SealedSecretPayload). So
 * provisioning, rotation and revocation run to their end with everything else from the input. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "agentd/daemon.h"
#include "fuzz/tmpdir.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define REBUILD_EVERY 256

static const char config_json[] =
    "{\"mode\":\"direct\",\"requirement\":\"preferred\",\"provider_selector\":\"any\","
    "\"secret_injection\":\"sealed_only\","
    "\"key_exchange\":{\"session_ttl_secs\":120,\"max_sessions\":16},"
    "\"bptee\":{\"evidence_provider\":\"sim\",\"owners\":\"open\"}}";

static void die(const char *what)
{
    fprintf(stderr, "fuzz_agent_api: %s: %s\n", what, bptee_last_error());
    abort();
}

/* What main.c's teardown frees (it is static there). */
static void agent_free(struct agent *a)
{
    bptee_auth_service_free(a->auth);
    bptee_secret_store_free(a->store);
    bptee_signing_key_free(a->key);
    bptee_owners_free(a->owners);
    bptee_audit_log_free(a->audit);
    agent_offers_free(a->offers);
    grants_free(a->grants);
    bptee_config_free(a->cfg);
    pthread_mutex_destroy(&a->attest_lock);
    memset(a, 0, sizeof *a);
}

/* What src/agentd/main.c's setup does, from the config above, without a socket or a port. */
static void agent_build(struct agent *a)
{
    struct bptee_key_exchange_config kx;
    char *evidence = NULL;
    struct bptee_report *r = NULL;
    const char *owners;
    memset(a, 0, sizeof *a);
    if (bptee_config_load(config_json, strlen(config_json), &a->cfg) < 0)
        die("config");
    a->guest = (struct bptee_guest_opts){.sz = sizeof a->guest};
    if (bptee_guest_opts_from_config(a->cfg, &a->guest) < 0)
        die("guest options");
    if (!(a->guest.state_dir = fuzz_tmpdir("agent")))
        die("state directory");
    bptee_config_key_exchange(a->cfg, &kx);
    owners = bptee_config_owners_json(a->cfg);
    if (bptee_guest_select(&a->guest, &a->source) < 0 ||
        bptee_auth_service_new(kx.session_ttl_secs, kx.max_sessions, &a->auth) < 0 ||
        bptee_secret_store_new(&a->store) < 0 || bptee_signing_key_new(&a->key) < 0 ||
        agent_offers_new(kx.session_ttl_secs, kx.max_sessions, &a->offers) < 0 ||
        grants_new(&a->grants) < 0 || pthread_mutex_init(&a->attest_lock, NULL) != 0 ||
        bptee_signing_key_attest(a->key, &a->guest, NULL) < 0 ||
        bptee_signing_key_evidence_json(a->key, 0, &evidence) < 0 ||
        bptee_report_load_json(evidence, strlen(evidence), &r) < 0 ||
        bptee_owners_from_json(owners, strlen(owners), &a->owners) < 0 ||
        bptee_audit_log_new(0, &a->audit) < 0)
        die("agent");
    a->provider = bptee_report_provider(r);
    bptee_report_free(r);
    bptee_free(evidence);
}

/* The reply as http.c would send it: a status, and a JSON object for a body. A reply without a
 * body would go out as 500 {"error":"out of memory"}, which nothing here should ever cause. */
static void check_reply(const struct api_reply *r)
{
    json_t *body = r->body ? json_loads(r->body, 0, NULL) : NULL;
    if (r->status < 200 || r->status > 599 || !json_is_object(body)) {
        fprintf(stderr, "fuzz_agent_api: status %u, body %s\n", r->status,
                r->body ? r->body : "(none)");
        abort();
    }
    json_decref(body);
}

/* An offer from the agent (POST /v1/sessions) and a secret sealed to its key, as an owner
 * would make them: the session id and the payload's JSON. */
static int owner_seals(struct agent *a, char **sid, char **payload)
{
    struct api_reply offer = {0};
    struct bptee_key_exchange_response *resp = NULL;
    struct bptee_sealed_payload *sealed = NULL;
    static const uint8_t secret[] = "s3cret";
    static const struct api_query none;
    api_serve(a, "POST", "/v1/sessions", &none, "", 0, &offer);
    int rc = offer.status == 200 && offer.body ? 0 : -1; /* 429: every session is taken */
    if (rc == 0 && bptee_key_exchange_response_from_json(offer.body, strlen(offer.body), &resp) < 0)
        die("the agent's offer does not parse");
    if (rc == 0 && (bptee_seal(BPTEE_SEAL_V2, resp->session_id, secret, sizeof secret - 1,
                               resp->public_key, sizeof resp->public_key, &sealed) < 0 ||
                    bptee_sealed_payload_to_json(sealed, 0, payload) < 0 ||
                    !(*sid = strdup(resp->session_id))))
        die("sealing to the agent's offer");
    bptee_sealed_payload_free(sealed);
    bptee_key_exchange_response_free(resp);
    free(offer.body);
    return rc;
}

/* text with every "@NAME@" replaced by value (a new string), or NULL without any. */
static char *replace_all(const char *text, const char *name, const char *value)
{
    size_t n = 0, nl = strlen(name), vl = strlen(value);
    for (const char *p = text; (p = strstr(p, name)); p += nl)
        n++;
    char *out = n ? malloc(strlen(text) + n * vl + 1) : NULL, *o = out;
    if (!out)
        return NULL;
    for (const char *p = text, *hit; *p; p = hit + nl) {
        if (!(hit = strstr(p, name))) {
            memcpy(o, p, strlen(p) + 1);
            break;
        }
        memcpy(o, p, (size_t)(hit - p));
        o += hit - p;
        memcpy(o, value, vl);
        o += vl;
        *o = '\0';
    }
    return out;
}

/* The body with the owner's placeholders filled in: body itself, or a new string in *owned. */
static const char *fill_placeholders(struct agent *a, const char *body, char **owned)
{
    char *sid = NULL, *payload = NULL, *with_payload;
    *owned = NULL;
    if ((!strstr(body, "@SID@") && !strstr(body, "@PAYLOAD@")) || owner_seals(a, &sid, &payload))
        return body;
    with_payload = replace_all(body, "@PAYLOAD@", payload);
    *owned = replace_all(with_payload ? with_payload : body, "@SID@", sid);
    if (!*owned)
        *owned = with_payload;
    else
        free(with_payload);
    free(sid);
    bptee_free(payload);
    return *owned ? *owned : body;
}

/* Split "METHOD URL[?ARG=VALUE&...]" (NUL-terminated, modified) into its parts; the query's
 * nonce, session_id, owner and signature fill *q as http.c fills it from the URL. */
static int request_line(char *line, const char **method, char **url, struct api_query *q)
{
    char *sp = strchr(line, ' '), *query;
    if (!sp)
        return -1;
    *sp = '\0';
    *method = line;
    *url = sp + 1;
    memset(q, 0, sizeof *q);
    if (!(query = strchr(*url, '?')))
        return 0;
    *query++ = '\0';
    for (char *arg = strtok(query, "&"); arg; arg = strtok(NULL, "&")) {
        char *eq = strchr(arg, '=');
        if (!eq)
            continue;
        *eq++ = '\0';
        if (!strcmp(arg, "nonce"))
            q->nonce = eq;
        else if (!strcmp(arg, "session_id"))
            q->session_id = eq;
        else if (!strcmp(arg, "owner"))
            q->owner = eq;
        else if (!strcmp(arg, "signature"))
            q->signature = eq;
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct agent a;
    static unsigned served;
    if (served++ % REBUILD_EVERY == 0) {
        if (served > 1)
            agent_free(&a);
        agent_build(&a);
    }
    if (size > 65536)
        return 0;
    char *text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    char *nl = memchr(text, '\n', size), *url;
    const char *method, *body = nl ? nl + 1 : "";
    struct api_query query;
    size_t len = nl ? size - (size_t)(nl + 1 - text) : 0;
    if (nl)
        *nl = '\0';
    if (request_line(text, &method, &url, &query) == 0) {
        struct api_reply reply = {0};
        char *filled = NULL;
        if (api_route(url, method, &reply.allow) == 0) {
            body = fill_placeholders(&a, body, &filled);
            api_serve(&a, method, url, &query, body, filled ? strlen(filled) : len, &reply);
            check_reply(&reply);
        }
        free(reply.body);
        free(filled);
    }
    free(text);
    return 0;
}
