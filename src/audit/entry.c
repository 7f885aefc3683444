// SPDX-License-Identifier: Apache-2.0
/* Audit entries: their canonical bytes (what the chain hashes), the chain step, the signed head,
 * and the JSON form the agent exports and an owner reads back. The JSON is only a view: a
 * verifier re-encodes every entry and recomputes the chain, so the rules here make the mapping
 * one to one (an absent field and an empty one are the same bytes, hence empty strings are
 * never written and refused when read). */
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include <bptee/owners.h>

#include "audit/audit_private.h"
#include "util/bytes.h"
#include "util/codec.h"
#include "util/error.h"

#define W "audit entry"

static const char *const event_names[] = {NULL,      "start",  "provision", "rotate",
                                          "revoke",  "refuse", "deliver",   "deny"};
#define EVENT_COUNT (sizeof event_names / sizeof event_names[0])

const char *bptee_audit_event_name(int event)
{
    return event > 0 && (size_t)event < EVENT_COUNT ? event_names[event] : NULL;
}

int bptee_audit_event_parse(const char *name, int *event)
{
    for (size_t i = 1; name && i < EVENT_COUNT; i++)
        if (!strcmp(name, event_names[i])) {
            *event = (int)i;
            return 0;
        }
    return fail(BPTEE_EPARSE, W ": unknown event \"%.32s\"", name ? name : "");
}

static size_t slen(const char *s)
{
    return s ? strlen(s) : 0;
}

static bool name_ok(const char *s)
{
    size_t n = slen(s);
    if (n == 0 || n > 128 || !strcmp(s, ".") || !strcmp(s, ".."))
        return false;
    return strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-") == n;
}

static bool printable(const char *s)
{
    for (; s && *s; s++)
        if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
            return false;
    return true;
}

static int check_entry(const struct bptee_audit_entry *e)
{
    if (!bptee_audit_event_name(e->event))
        return fail(BPTEE_EINVAL, W ": unknown event %d", e->event);
    if (e->event == BPTEE_AUDIT_START ? slen(e->name) != 0 : !name_ok(e->name))
        return fail(BPTEE_EINVAL, W ": name: %s", e->event == BPTEE_AUDIT_START
                                                      ? "a start entry names no secret"
                                                      : "not a secret name");
    if (slen(e->owner) && bptee_owner_id_check(e->owner) < 0)
        return fail(BPTEE_EINVAL, W ": owner: not an owner id");
    if (slen(e->job_id) && bptee_job_id_check(e->job_id) < 0)
        return fail(BPTEE_EINVAL, W ": job_id: not a job id");
    if (slen(e->detail) > BPTEE_AUDIT_DETAIL_MAX || !printable(e->detail))
        return fail(BPTEE_EINVAL, W ": detail: more than %d bytes or not printable ASCII",
                    BPTEE_AUDIT_DETAIL_MAX);
    if (e->version > INT64_MAX || e->seq > INT64_MAX || e->time > INT64_MAX)
        return fail(BPTEE_EINVAL, W ": seq, time and version stop at 2^63 - 1 (JSON's range)");
    if (e->has_measurement && !e->has_peer)
        return fail(BPTEE_EINVAL, W ": a measurement needs a peer (pid, uid)");
    return 0;
}

static void put_str(uint8_t *out, size_t *at, const char *s)
{
    size_t n = slen(s);
    store_le16(out + *at, (uint16_t)n);
    if (n)
        memcpy(out + *at + 2, s, n);
    *at += 2 + n;
}

int bptee_audit_entry_encode(const struct bptee_audit_entry *e, uint8_t *out, size_t cap,
                             size_t *len)
{
    if (!e || !out || !len)
        return fail(BPTEE_EINVAL, W ": missing argument");
    int rc = check_entry(e);
    if (rc < 0)
        return rc;
    size_t need = 66 + 8 + slen(e->name) + slen(e->owner) + slen(e->job_id) + slen(e->detail);
    if (cap < need)
        return fail(BPTEE_ELIMIT, W ": needs %zu bytes, %zu given", need, cap);
    memset(out, 0, 66);
    store_le64(out, e->seq);
    store_le64(out + 8, e->time);
    out[16] = (uint8_t)e->event;
    out[17] = (uint8_t)((e->has_peer ? AUDIT_FLAG_PEER : 0) |
                        (e->has_measurement ? AUDIT_FLAG_MEASUREMENT : 0));
    store_le64(out + 18, e->version);
    if (e->has_peer) {
        store_le32(out + 26, (uint32_t)e->pid);
        store_le32(out + 30, e->uid);
    }
    if (e->has_measurement)
        memcpy(out + 34, e->measurement, 32);
    size_t at = 66;
    put_str(out, &at, e->name);
    put_str(out, &at, e->owner);
    put_str(out, &at, e->job_id);
    put_str(out, &at, e->detail);
    *len = at;
    return 0;
}

void bptee_audit_chain_next(const uint8_t prev[32], const uint8_t *entry, size_t len,
                            uint8_t next[32])
{
    static const char tag[] = BPTEE_AUDIT_ENTRY_TAG;
    crypto_hash_sha256_state st;
    crypto_hash_sha256_init(&st);
    crypto_hash_sha256_update(&st, (const uint8_t *)tag, sizeof tag); /* with its 0x00 */
    crypto_hash_sha256_update(&st, prev, 32);
    crypto_hash_sha256_update(&st, entry, len);
    crypto_hash_sha256_final(&st, next);
}

void bptee_audit_head_message(uint64_t first_seq, uint64_t count, const uint8_t prev[32],
                              const uint8_t head[32], const uint8_t nonce[32], uint8_t out[131])
{
    static const char tag[] = BPTEE_AUDIT_LOG_TAG;
    _Static_assert(AUDIT_HEAD_LEN == 131, "head message length");
    memcpy(out, tag, sizeof tag);
    size_t at = sizeof tag;
    store_le64(out + at, first_seq);
    store_le64(out + at + 8, count);
    memcpy(out + at + 16, prev, 32);
    memcpy(out + at + 48, head, 32);
    if (nonce)
        memcpy(out + at + 80, nonce, 32);
    else
        memset(out + at + 80, 0, 32);
}

static int set_str(json_t *o, const char *key, const char *s)
{
    return slen(s) ? json_object_set_new(o, key, json_string(s)) : 0;
}

json_t *audit_entry_to_json(const struct bptee_audit_entry *e, const uint8_t hash[32])
{
    char hex[65], m[65];
    json_t *o = json_pack("{s:I, s:I, s:s}", "seq", (json_int_t)e->seq, "time",
                          (json_int_t)e->time, "event", bptee_audit_event_name(e->event));
    int bad = !o || set_str(o, "name", e->name) ||
              json_object_set_new(o, "version", json_integer((json_int_t)e->version)) ||
              set_str(o, "owner", e->owner);
    if (!bad && e->has_peer)
        bad = json_object_set_new(o, "pid", json_integer(e->pid)) ||
              json_object_set_new(o, "uid", json_integer(e->uid));
    if (!bad && e->has_measurement) {
        sodium_bin2hex(m, sizeof m, e->measurement, 32);
        bad = json_object_set_new(o, "measurement", json_string(m));
    }
    sodium_bin2hex(hex, sizeof hex, hash, 32);
    if (!bad)
        bad = set_str(o, "job_id", e->job_id) || set_str(o, "detail", e->detail) ||
              json_object_set_new(o, "hash", json_string(hex));
    if (bad) {
        json_decref(o);
        return NULL;
    }
    return o;
}
