// SPDX-License-Identifier: Apache-2.0
/* Verifying an exported access log offline. Every entry is re-encoded from its fields and the
 * chain recomputed from the signed starting point, so an edited byte, a dropped, added or
 * reordered entry, or a head that is not the signed one is caught and named; the signature must
 * be the signing key's over that head, and the key must be bound into evidence that verifies
 * under the owner's policy (bptee_signing_key_verify_evidence). */
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "audit/audit_private.h"
#include "util/cleanup.h"
#include "util/codec.h"
#include "util/error.h"
#include "util/json.h"

#define W "audit"

struct doc {
    json_t *root, *entries;
    uint64_t first_seq, count;
    uint8_t prev[32], head[32], nonce[32], key[32], sig[64];
};

static int hex_field(json_t *root, const char *key, uint8_t *out, size_t n)
{
    char what[32];
    json_t *v = json_object_get(root, key);
    snprintf(what, sizeof what, W ": %s", key);
    if (!json_is_string(v))
        return fail(BPTEE_EPARSE, "%s: expected %zu hex digits", what, 2 * n);
    return hex_decode_exact(json_string_value(v), out, n, what) < 0
               ? fail(BPTEE_EPARSE, "%s: expected %zu hex digits", what, 2 * n)
               : 0;
}

static int u64_field(json_t *root, const char *key, uint64_t *out)
{
    json_t *v = json_object_get(root, key);
    if (!json_is_integer(v) || json_integer_value(v) < 0)
        return fail(BPTEE_EPARSE, W ": %s: expected a non-negative integer", key);
    *out = (uint64_t)json_integer_value(v);
    return 0;
}

static int read_doc(struct doc *d)
{
    static const char *const keys[] = {"format", "first_seq", "count", "prev", "head", "nonce",
                                       "entries", "signing_key", "signature", "attestation",
                                       NULL};
    const char *key;
    json_t *v;
    if (!json_is_object(d->root))
        return fail(BPTEE_EPARSE, W ": expected a JSON object (GET /v1/audit's answer)");
    json_object_foreach(d->root, key, v)
    {
        bool known = false;
        for (size_t i = 0; keys[i] && !known; i++)
            known = !strcmp(key, keys[i]);
        if (!known)
            return fail(BPTEE_EPARSE, W ": unknown key '%.64s'", key);
    }
    v = json_object_get(d->root, "format");
    if (!json_is_string(v) || strcmp(json_string_value(v), BPTEE_AUDIT_FORMAT) != 0)
        return fail(BPTEE_EPARSE, W ": format: expected \"%s\"", BPTEE_AUDIT_FORMAT);
    d->entries = json_object_get(d->root, "entries");
    if (!json_is_array(d->entries))
        return fail(BPTEE_EPARSE, W ": entries: expected an array");
    int rc = u64_field(d->root, "first_seq", &d->first_seq);
    if (rc == 0)
        rc = u64_field(d->root, "count", &d->count);
    if (rc == 0)
        rc = hex_field(d->root, "prev", d->prev, 32);
    if (rc == 0)
        rc = hex_field(d->root, "head", d->head, 32);
    if (rc == 0)
        rc = hex_field(d->root, "nonce", d->nonce, 32);
    if (rc == 0)
        rc = hex_field(d->root, "signing_key", d->key, 32);
    return rc < 0 ? rc : hex_field(d->root, "signature", d->sig, 64);
}

/* The signed head, checked first: everything after is measured against it. */
static int check_signature(const struct doc *d)
{
    uint8_t msg[AUDIT_HEAD_LEN];
    if (d->first_seq == 0)
        return fail(BPTEE_EVERIFY, W ": first_seq is 0 (sequence numbers start at 1)");
    bptee_audit_head_message(d->first_seq, d->count, d->prev, d->head, d->nonce, msg);
    if (crypto_sign_verify_detached(d->sig, msg, sizeof msg, d->key) != 0)
        return fail(BPTEE_EVERIFY, W ": the signature does not verify over the log's head "
                                   "(first_seq, count, prev, head, nonce) with signing_key");
    return 0;
}

static int check_entry(const struct doc *d, size_t i, uint8_t chain[32])
{
    struct bptee_audit_entry e;
    uint8_t stated[32], bytes[BPTEE_AUDIT_ENTRY_MAX], next[32];
    size_t len = 0;
    int rc = audit_entry_from_json(json_array_get(d->entries, i), i, &e, stated);
    if (rc < 0)
        return rc;
    if (e.seq != d->first_seq + i)
        return fail(BPTEE_EVERIFY,
                    W ": entries[%zu] has seq %llu, expected %llu (an entry is missing, added or "
                      "out of order)",
                    i, (unsigned long long)e.seq, (unsigned long long)(d->first_seq + i));
    if ((rc = bptee_audit_entry_encode(&e, bytes, sizeof bytes, &len)) < 0)
        return fail_prefix(BPTEE_EPARSE, W ": entries[%zu]", i);
    bptee_audit_chain_next(chain, bytes, len, next);
    if (sodium_memcmp(next, stated, 32) != 0)
        return fail(BPTEE_EVERIFY,
                    W ": entry seq %llu: its hash does not match its contents and the entry "
                      "before it (edited, dropped or reordered)",
                    (unsigned long long)e.seq);
    memcpy(chain, next, 32);
    return 0;
}

static int check_chain(const struct doc *d)
{
    uint8_t chain[32];
    size_t n = json_array_size(d->entries);
    if (n != d->count)
        return fail(BPTEE_EVERIFY, W ": %zu entries, the signed count is %llu", n,
                    (unsigned long long)d->count);
    memcpy(chain, d->prev, 32);
    for (size_t i = 0; i < n; i++) {
        int rc = check_entry(d, i, chain);
        if (rc < 0)
            return rc;
    }
    if (sodium_memcmp(chain, d->head, 32) != 0)
        return fail(BPTEE_EVERIFY, W ": the entries do not chain to the signed head");
    return 0;
}

static int check_evidence(const struct doc *d, const struct bptee_verify_opts *opts,
                          struct bptee_report **verified)
{
    struct bptee_report *ev = NULL;
    uint8_t bound[32];
    json_t *att = json_object_get(d->root, "attestation");
    _cleanup_free_ char *text = att ? json_dumps(att, JSON_COMPACT) : NULL;
    if (!text)
        return fail(BPTEE_EPARSE, W ": attestation: required (the signing key's evidence)");
    int rc = bptee_report_load_json(text, strlen(text), &ev);
    if (rc == 0)
        rc = bptee_signing_key_verify_evidence(ev, opts, bound, verified);
    bptee_report_free(ev);
    if (rc < 0)
        return fail_prefix(rc, W ": attestation");
    if (sodium_memcmp(bound, d->key, 32) != 0) {
        bptee_report_free(*verified);
        *verified = NULL;
        return fail(BPTEE_EVERIFY, W ": the evidence binds another key than signing_key");
    }
    return 0;
}

int bptee_audit_verify(const char *json, size_t len, const struct bptee_verify_opts *opts,
                       const uint8_t *nonce, struct bptee_audit_verified *out)
{
    struct doc d = {0};
    struct bptee_report *verified = NULL;
    if (!json)
        return fail(BPTEE_EINVAL, W ": missing input");
    int rc = json_parse_capped(json, len, BPTEE_AUDIT_JSON_MAX, W, &d.root);
    if (rc == 0)
        rc = read_doc(&d);
    if (rc == 0 && nonce && sodium_memcmp(nonce, d.nonce, 32) != 0)
        rc = fail(BPTEE_EVERIFY, W ": the log was signed for another nonce (not fresh)");
    if (rc == 0)
        rc = check_signature(&d);
    if (rc == 0)
        rc = check_chain(&d);
    if (rc == 0)
        rc = check_evidence(&d, opts, &verified);
    if (rc == 0 && out) {
        *out = (struct bptee_audit_verified){.first_seq = d.first_seq, .count = d.count,
                                             .evidence = verified};
        memcpy(out->signing_key, d.key, 32);
        verified = NULL;
    }
    bptee_report_free(verified);
    json_decref(d.root);
    return rc;
}
