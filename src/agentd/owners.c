// SPDX-License-Identifier: Apache-2.0
/* Who may write which secret (issue #8), and the access log. A write (provision, rotation,
 * revocation) is admitted only when the agent's owners config allows it: with owners, the
 * request must be signed by a known owner over this session's offer, the owner must have the
 * name, and the version must be above the stored one; with "owners": "open", unsigned v1
 * provisioning is accepted as blueprint-tee does; with no owners configured, nothing is.
 * Every refusal is answered 403 (or the session's own error) with its reason, and recorded. */
#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "agentd/daemon.h"

#define NO_OWNERS                                                                                  \
    "provisioning refused: this agent has no owners configured (set \"owners\" in the config's "  \
    "\"bptee\" object, or \"owners\": \"open\" to accept unsigned blueprint-tee provisioning; "    \
    "docs/agent.md)"

int agent_audit(struct agent *a, const struct bptee_audit_entry *e)
{
    int rc = bptee_audit_log_append(a->audit, e, NULL);
    if (rc < 0)
        agent_log("audit: cannot record a %s of %s: %s", bptee_audit_event_name(e->event),
                  e->name && e->name[0] ? e->name : "-", bptee_last_error());
    return rc;
}

/* A reason as the log may hold it: printable ASCII, within the detail limit. */
static void clean(const char *in, char *out, size_t cap)
{
    size_t i = 0;
    for (; in && in[i] && i + 1 < cap && i < BPTEE_AUDIT_DETAIL_MAX; i++)
        out[i] = in[i] >= 0x20 && in[i] < 0x7f ? in[i] : '?';
    out[i] = '\0';
}

void owners_refused(struct agent *a, const struct owner_write *w, const char *reason)
{
    char detail[BPTEE_AUDIT_DETAIL_MAX + 1];
    clean(reason, detail, sizeof detail);
    struct bptee_audit_entry e = {.event = BPTEE_AUDIT_REFUSE, .name = w->name,
                                  .version = w->version, .owner = w->owner, .detail = detail};
    agent_audit(a, &e);
}

static const char *op_name(int op)
{
    return op == BPTEE_OWNER_OP_REVOKE       ? "revocation of secret"
           : op == BPTEE_OWNER_OP_AUDIT_READ ? "reading of the access log as"
                                             : "provisioning of secret";
}

static int refuse(struct agent *a, const struct owner_write *w, unsigned status,
                  const char *reason, struct api_reply *out)
{
    api_error(out, status, reason);
    agent_log("%s %s refused: %s", op_name(w->op), w->name, reason);
    owners_refused(a, w, reason);
    return -1;
}

static int refuse_last(struct agent *a, const struct owner_write *w, unsigned status,
                       struct api_reply *out)
{
    char reason[600];
    snprintf(reason, sizeof reason, "%s", bptee_last_error());
    return refuse(a, w, status, reason, out);
}

/* The evidence digest of the session's offer. A session the agent did not offer (or that is
 * gone) is answered with the session's own error, as an unsigned request would see it. */
static int offer_digest(struct agent *a, const struct owner_write *w, uint8_t digest[32],
                        struct api_reply *out)
{
    char hex[BPTEE_DIGEST_HEX_SIZE] = "";
    if (!w->session_id)
        return refuse(a, w, 403, "a signed request needs \"session_id\"", out);
    /* Peek: the digest stays until the session is consumed. */
    if (!agent_offers_peek(a->offers, w->session_id, hex))
        return refuse(a, w, 403, "no offer is on record for this session", out);
    size_t n = 0;
    if (sodium_hex2bin(digest, 32, hex, strlen(hex), NULL, &n, NULL) != 0 || n != 32)
        return refuse(a, w, 500, "the offer's evidence digest is malformed", out);
    return 0;
}

static int check_signature(struct agent *a, const struct owner_write *w, struct api_reply *out)
{
    uint8_t pk[32];
    struct bptee_owner_request r = {.op = w->op, .session_id = w->session_id,
                                    .owner = w->owner, .name = w->name, .version = w->version};
    if (bptee_owners_public_key(a->owners, w->owner, pk) < 0)
        return refuse_last(a, w, 403, out);
    int rc = offer_digest(a, w, r.attestation_digest, out);
    if (rc < 0)
        return rc;
    memcpy(r.payload_digest, w->payload_digest, 32);
    if (bptee_owner_request_verify(pk, w->signature, &r) < 0)
        return refuse_last(a, w, 403, out);
    if (w->op != BPTEE_OWNER_OP_AUDIT_READ && /* every owner may read the log */
        bptee_owners_authorize(a->owners, w->owner, w->name) < 0)
        return refuse_last(a, w, 403, out);
    return 0;
}

/* Versions only grow: a request at or below the stored version is a replay or stale. */
static int check_version(struct agent *a, const struct owner_write *w, struct api_reply *out)
{
    struct bptee_secret_info info;
    char reason[400];
    if (bptee_secret_store_info(a->store, w->name, &info) < 0) {
        if (w->op == BPTEE_OWNER_OP_REVOKE)
            return refuse_last(a, w, 404, out);
        return 0;
    }
    if (w->op == BPTEE_OWNER_OP_REVOKE && !w->version)
        return 0; /* unsigned ("open"): the next version */
    if (!w->version)
        snprintf(reason, sizeof reason,
                 "secret %s exists at version %llu; provisioning it again needs a higher "
                 "\"version\" (the stored value is kept)",
                 w->name, (unsigned long long)info.version);
    else if (w->version <= info.version)
        snprintf(reason, sizeof reason,
                 "secret %s exists at version %llu; version %llu is not higher (a replayed or "
                 "stale request; the stored value is kept)",
                 w->name, (unsigned long long)info.version, (unsigned long long)w->version);
    else
        return 0;
    return refuse(a, w, 403, reason, out);
}

/* A session that is gone is answered as it always was (404, 410), before anything else. */
static int check_session(struct agent *a, const struct owner_write *w, struct api_reply *out)
{
    uint8_t pk[32];
    if (!w->session_id)
        return 0;
    int rc = bptee_auth_service_public_key(a->auth, w->session_id, pk);
    return rc < 0 ? refuse_last(a, w, rc == BPTEE_EEXPIRED ? 410 : 404, out) : 0;
}

int owners_admit(struct agent *a, const struct owner_write *w, struct api_reply *out)
{
    if (!a->owners)
        return refuse(a, w, 403, NO_OWNERS, out);
    if (check_session(a, w, out) < 0)
        return -1;
    if (bptee_owners_is_open(a->owners) && w->owner)
        return refuse(a, w, 403,
                      "this agent's owners are \"open\": it has no owner keys to check a "
                      "signature with (send the request unsigned, or configure owners)",
                      out);
    if (!bptee_owners_is_open(a->owners)) {
        if (!w->owner || !w->signature)
            return refuse(a, w, 403,
                          "unsigned request refused: this agent's secrets have owners; sign "
                          "it (\"owner\", \"signature\", \"version\"; docs/formats.md)",
                          out);
        int rc = check_signature(a, w, out);
        if (rc < 0)
            return rc;
    }
    return check_version(a, w, out);
}

#define AUDIT_NEEDS_SIGNATURE                                                                     \
    "reading the access log needs an owner's signature: ?session_id=&owner=&signature= over a "   \
    "fresh session (`bptee audit fetch --owner-key`; docs/agent.md, \"Audit\")"

/* Who may read the log: anyone when owners are "open" (anyone may write then, too); else an
 * owner's signed request over a session's offer, which the read uses up; with no owners
 * configured, nobody. */
static int admit_reader(struct agent *a, const struct api_query *q, struct api_reply *out)
{
    uint8_t sig[64];
    size_t n = 0;
    const char *end = NULL;
    struct owner_write w = {.op = BPTEE_OWNER_OP_AUDIT_READ, .name = BPTEE_OWNER_AUDIT_NAME,
                            .session_id = q->session_id, .owner = q->owner, .version = 1};
    if (a->owners && bptee_owners_is_open(a->owners))
        return 0;
    if (!a->owners)
        return refuse(a, &w, 403, "reading the access log needs an owner's signature, and this "
                                  "agent has no owners configured", out);
    if (!q->session_id || !q->owner || !q->signature)
        return refuse(a, &w, 403, AUDIT_NEEDS_SIGNATURE, out);
    if (strlen(q->signature) != 128 ||
        sodium_hex2bin(sig, sizeof sig, q->signature, 128, NULL, &n, &end) != 0 || *end)
        return refuse(a, &w, 400, "signature: expected 128 hex digits (64 bytes)", out);
    w.signature = sig;
    int rc = check_session(a, &w, out);
    if (rc == 0)
        rc = check_signature(a, &w, out);
    agent_burn_session(a, q->session_id); /* one try per offer */
    return rc;
}

void api_audit(struct agent *a, const struct api_query *q, struct api_reply *out)
{
    uint8_t n[32];
    size_t len = 0;
    const char *end = NULL, *nonce = q->nonce;
    if (nonce && (strlen(nonce) != 64 ||
                  sodium_hex2bin(n, sizeof n, nonce, 64, NULL, &len, &end) != 0 || *end))
        return api_error(out, 400, "nonce: expected 64 hex digits (32 bytes)");
    if (admit_reader(a, q, out) < 0)
        return;
    char *json = NULL;
    if (agent_key_evidence_fresh(a, false) < 0)
        return api_fail_reply(out, 500, "signing key re-attestation");
    if (bptee_audit_log_export(a->audit, a->key, nonce ? n : NULL, &json) < 0)
        return api_fail_reply(out, 500, "audit");
    out->status = 200;
    out->body = json;
}
