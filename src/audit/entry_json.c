// SPDX-License-Identifier: Apache-2.0
/* Reading an exported entry back, strictly: every key known, every type exact, optional
 * strings never empty (an empty string would encode like an absent one, and two JSON texts
 * for one entry would let an edit hide). The caller re-encodes what is read and checks the
 * chain; this file only makes sure there is exactly one way to read each entry. */
#include <stdio.h>
#include <string.h>

#include "audit/audit_private.h"
#include "util/codec.h"
#include "util/error.h"

struct reader {
    json_t *obj;
    char where[48]; /* "audit: entries[N]" */
};

static int bad(const struct reader *r, const char *key, const char *expected)
{
    return fail(BPTEE_EPARSE, "%s.%s: expected %s", r->where, key, expected);
}

static int get_u64(const struct reader *r, const char *key, bool required, uint64_t *out,
                   bool *present)
{
    json_t *v = json_object_get(r->obj, key);
    if (present)
        *present = v != NULL;
    if (!v)
        return required ? fail(BPTEE_EPARSE, "%s.%s: required", r->where, key) : 0;
    if (!json_is_integer(v) || json_integer_value(v) < 0)
        return bad(r, key, "a non-negative integer");
    *out = (uint64_t)json_integer_value(v);
    return 0;
}

static int get_str(const struct reader *r, const char *key, const char **out)
{
    json_t *v = json_object_get(r->obj, key);
    *out = NULL;
    if (!v)
        return 0;
    if (!json_is_string(v) || json_string_length(v) == 0 ||
        strlen(json_string_value(v)) != json_string_length(v))
        return bad(r, key, "a non-empty string (omit the key when there is none)");
    *out = json_string_value(v);
    return 0;
}

/* 64 lowercase hex digits (as written: uppercase would be a second spelling). */
static int lower_hex32(const struct reader *r, const char *key, const char *s, uint8_t out[32])
{
    if (!s || strlen(s) != 64 || strspn(s, "0123456789abcdef") != 64 ||
        hex_decode_exact(s, out, 32, key) < 0)
        return bad(r, key, "64 lowercase hex digits");
    return 0;
}

static int check_keys(const struct reader *r)
{
    static const char *const keys[] = {"seq", "time", "event", "name", "version", "owner",
                                       "pid", "uid", "measurement", "job_id", "detail", "hash",
                                       NULL};
    const char *key;
    json_t *v;
    json_object_foreach(r->obj, key, v)
    {
        bool known = false;
        for (size_t i = 0; keys[i] && !known; i++)
            known = !strcmp(key, keys[i]);
        if (!known)
            return fail(BPTEE_EPARSE, "%s: unknown key '%.64s'", r->where, key);
    }
    return 0;
}

static int read_peer(const struct reader *r, struct bptee_audit_entry *e)
{
    uint64_t pid = 0, uid = 0;
    bool has_pid = false, has_uid = false;
    const char *m = NULL;
    int rc = get_u64(r, "pid", false, &pid, &has_pid);
    if (rc == 0)
        rc = get_u64(r, "uid", false, &uid, &has_uid);
    if (rc == 0)
        rc = get_str(r, "measurement", &m);
    if (rc < 0)
        return rc;
    if (has_pid != has_uid || (m && !has_pid))
        return fail(BPTEE_EPARSE, "%s: pid, uid (and measurement) go together", r->where);
    if (pid > INT32_MAX || uid > UINT32_MAX)
        return bad(r, has_pid && pid > INT32_MAX ? "pid" : "uid", "a pid or uid in range");
    e->has_peer = has_pid;
    e->pid = (int32_t)pid;
    e->uid = (uint32_t)uid;
    if (m && lower_hex32(r, "measurement", m, e->measurement) < 0)
        return BPTEE_EPARSE;
    e->has_measurement = m != NULL;
    return 0;
}

int audit_entry_from_json(json_t *obj, size_t index, struct bptee_audit_entry *e,
                          uint8_t hash[32])
{
    struct reader r = {.obj = obj};
    const char *event = NULL, *h = NULL;
    snprintf(r.where, sizeof r.where, "audit: entries[%zu]", index);
    memset(e, 0, sizeof *e);
    if (!json_is_object(obj))
        return fail(BPTEE_EPARSE, "%s: expected an object", r.where);
    int rc = check_keys(&r);
    if (rc == 0)
        rc = get_u64(&r, "seq", true, &e->seq, NULL);
    if (rc == 0)
        rc = get_u64(&r, "time", true, &e->time, NULL);
    if (rc == 0)
        rc = get_u64(&r, "version", true, &e->version, NULL);
    if (rc == 0 && (rc = get_str(&r, "event", &event)) == 0 &&
        (!event || bptee_audit_event_parse(event, &e->event) < 0))
        rc = bad(&r, "event", "start, provision, rotate, revoke, refuse, deliver or deny");
    if (rc == 0)
        rc = get_str(&r, "name", &e->name);
    if (rc == 0)
        rc = get_str(&r, "owner", &e->owner);
    if (rc == 0)
        rc = get_str(&r, "job_id", &e->job_id);
    if (rc == 0)
        rc = get_str(&r, "detail", &e->detail);
    if (rc == 0)
        rc = read_peer(&r, e);
    if (rc == 0 && (rc = get_str(&r, "hash", &h)) == 0)
        rc = lower_hex32(&r, "hash", h, hash);
    return rc;
}
