// SPDX-License-Identifier: Apache-2.0
/* The owners document: "open", or the owners' public keys and which of them may write which
 * secret names. Read strictly (an owners list that silently dropped a misspelled key would
 * fail open), looked up by the agent on every write. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "owners/owners_private.h"
#include "util/cleanup.h"
#include "util/codec.h"
#include "util/error.h"
#include "util/json.h"

#define W "owners"
#define NAME_MAX_LEN 128 /* BPTEE_SECRET_NAME_MAX */

int owner_id_char(int c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           c == '.' || c == '_' || c == '@' || c == '+' || c == '-';
}

int bptee_owner_id_check(const char *id)
{
    size_t n = id ? strlen(id) : 0;
    if (n == 0 || n > BPTEE_OWNER_ID_MAX)
        return fail(BPTEE_EINVAL, "owner id must have 1 to %d characters", BPTEE_OWNER_ID_MAX);
    for (size_t i = 0; i < n; i++)
        if (!owner_id_char((unsigned char)id[i]))
            return fail(BPTEE_EINVAL, "owner id: character %zu is not one of A-Z a-z 0-9 . _ @ + -",
                        i + 1);
    return 0;
}

void bptee_owners_free(struct bptee_owners *o)
{
    if (!o)
        return;
    for (size_t i = 0; i < o->n_rules; i++) {
        free(o->rules[i].pattern);
        free(o->rules[i].owners);
    }
    free(o->rules);
    free(o->owners);
    free(o);
}

static int check_keys(json_t *obj, const char *path, const char *const *allowed)
{
    const char *key = json_unknown_key(obj, allowed);
    return key ? fail(BPTEE_EPARSE, W ": unknown key '%s%.64s'", path, key) : 0;
}

/* 32 bytes as 64 hex digits or base64 (standard or URL-safe, padded or not). */
static int read_public_key(json_t *v, const char *what, uint8_t out[32])
{
    if (!json_is_string(v))
        return fail(BPTEE_EPARSE, "%s: expected a string (64 hex digits or base64)", what);
    const char *s = json_string_value(v);
    size_t n = json_string_length(v);
    if (n == 64 && strspn(s, "0123456789abcdefABCDEF") == 64)
        return hex_decode_exact(s, out, 32, what);
    _cleanup_free_ uint8_t *raw = NULL;
    size_t len = 0;
    if (b64_decode_alloc(s, n, &raw, &len, what) < 0 || len != 32)
        return fail(BPTEE_EPARSE, "%s: expected 32 bytes as 64 hex digits or base64", what);
    memcpy(out, raw, 32);
    return 0;
}

static int read_owner(json_t *e, size_t i, struct bptee_owners *o)
{
    static const char *const keys[] = {"id", "public_key", NULL};
    char what[64];
    snprintf(what, sizeof what, W ": owners[%zu]", i);
    if (!json_is_object(e))
        return fail(BPTEE_EPARSE, "%s: expected an object {\"id\", \"public_key\"}", what);
    char path[32];
    snprintf(path, sizeof path, "owners[%zu].", i);
    int rc = check_keys(e, path, keys);
    if (rc < 0)
        return rc;
    json_t *id = json_object_get(e, "id"), *pk = json_object_get(e, "public_key");
    if (!id || !pk)
        return fail(BPTEE_EPARSE, "%s: %s: required", what, id ? "public_key" : "id");
    if (!json_is_string(id) || bptee_owner_id_check(json_string_value(id)) < 0 ||
        strlen(json_string_value(id)) != json_string_length(id))
        return fail(BPTEE_EPARSE, "%s.id: expected 1 to %d of A-Z a-z 0-9 . _ @ + -", what,
                    BPTEE_OWNER_ID_MAX);
    for (size_t k = 0; k < o->n_owners; k++)
        if (!strcmp(o->owners[k].id, json_string_value(id)))
            return fail(BPTEE_EPARSE, "%s.id: owner '%s' is listed twice", what, o->owners[k].id);
    struct owner *ow = &o->owners[o->n_owners];
    /* bptee_owner_id_check bounded the id to BPTEE_OWNER_ID_MAX characters. */
    snprintf(ow->id, sizeof ow->id, "%s", json_string_value(id));
    char key_what[80];
    snprintf(key_what, sizeof key_what, "%s.public_key", what);
    if ((rc = read_public_key(pk, key_what, ow->public_key)) < 0)
        return rc;
    o->n_owners++;
    return 0;
}

static int read_owners(json_t *arr, struct bptee_owners *o)
{
    size_t i, n = json_array_size(arr);
    json_t *e;
    if (!json_is_array(arr) || n == 0 || n > BPTEE_OWNERS_MAX)
        return fail(BPTEE_EPARSE, W ": owners: expected an array of 1 to %d owners",
                    BPTEE_OWNERS_MAX);
    o->owners = calloc(n, sizeof *o->owners);
    if (!o->owners)
        return fail(BPTEE_ENOMEM, W ": out of memory");
    json_array_foreach(arr, i, e)
    {
        int rc = read_owner(e, i, o);
        if (rc < 0)
            return rc;
    }
    return 0;
}

static bool name_char(int c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           c == '.' || c == '_' || c == '-';
}

/* "NAME", "PREFIX*" or "*": the characters of secret names, a '*' only at the end. */
static int read_pattern(const char *key, struct owner_rule *r)
{
    size_t n = strlen(key);
    r->prefix = n > 0 && key[n - 1] == '*';
    size_t body = r->prefix ? n - 1 : n;
    bool ok = (r->prefix || body > 0) && body <= NAME_MAX_LEN;
    for (size_t i = 0; ok && i < body; i++)
        ok = name_char((unsigned char)key[i]);
    if (ok && !r->prefix)
        ok = strcmp(key, ".") && strcmp(key, "..");
    if (!ok)
        return fail(BPTEE_EPARSE,
                    W ": secrets: \"%.64s\": expected a secret name, a name prefix ending in "
                      "'*', or \"*\"",
                    key);
    r->pattern = strndup(key, body);
    return r->pattern ? 0 : fail(BPTEE_ENOMEM, W ": out of memory");
}

static int owner_index(const struct bptee_owners *o, const char *id, size_t *out)
{
    for (size_t i = 0; i < o->n_owners; i++)
        if (!strcmp(o->owners[i].id, id)) {
            *out = i;
            return 0;
        }
    return BPTEE_ENOTFOUND;
}

static int read_rule(const char *key, json_t *ids, struct bptee_owners *o)
{
    struct owner_rule *r = &o->rules[o->n_rules++];
    size_t i, n = json_array_size(ids);
    json_t *e;
    int rc = read_pattern(key, r);
    if (rc < 0)
        return rc;
    if (!json_is_array(ids) || n == 0 || n > BPTEE_OWNERS_MAX)
        return fail(BPTEE_EPARSE, W ": secrets.%.130s: expected an array of 1 to %d owner ids",
                    key, BPTEE_OWNERS_MAX);
    r->owners = calloc(n, sizeof *r->owners);
    if (!r->owners)
        return fail(BPTEE_ENOMEM, W ": out of memory");
    json_array_foreach(ids, i, e)
    {
        if (!json_is_string(e) || owner_index(o, json_string_value(e), &r->owners[i]) < 0)
            return fail(BPTEE_EPARSE, W ": secrets.%.130s[%zu]: not the id of a listed owner",
                        key, i);
        r->n_owners = i + 1;
    }
    return 0;
}

static int read_rules(json_t *obj, struct bptee_owners *o)
{
    const char *key;
    json_t *v;
    size_t n = json_object_size(obj);
    if (!json_is_object(obj) || n > BPTEE_OWNER_RULES_MAX)
        return fail(BPTEE_EPARSE, W ": secrets: expected an object of at most %d rules",
                    BPTEE_OWNER_RULES_MAX);
    o->rules = calloc(n ? n : 1, sizeof *o->rules);
    if (!o->rules)
        return fail(BPTEE_ENOMEM, W ": out of memory");
    json_object_foreach(obj, key, v)
    {
        int rc = read_rule(key, v, o);
        if (rc < 0)
            return rc;
    }
    return 0;
}

static int read_document(json_t *root, struct bptee_owners *o)
{
    static const char *const keys[] = {"owners", "secrets", NULL};
    if (json_is_string(root)) {
        if (strcmp(json_string_value(root), "open") != 0)
            return fail(BPTEE_EPARSE, W ": expected \"open\" or an object, got \"%.32s\"",
                        json_string_value(root));
        o->open = true;
        return 0;
    }
    if (!json_is_object(root))
        return fail(BPTEE_EPARSE, W ": expected \"open\" or an object {\"owners\", \"secrets\"}");
    int rc = check_keys(root, "", keys);
    if (rc == 0 && !json_object_get(root, "owners"))
        rc = fail(BPTEE_EPARSE, W ": owners: required");
    if (rc == 0 && !json_object_get(root, "secrets"))
        rc = fail(BPTEE_EPARSE, W ": secrets: required (which owners may write which names)");
    if (rc == 0)
        rc = read_owners(json_object_get(root, "owners"), o);
    return rc < 0 ? rc : read_rules(json_object_get(root, "secrets"), o);
}

int bptee_owners_from_json(const char *json, size_t len, struct bptee_owners **out)
{
    _cleanup_json_ json_t *root = NULL;
    if (!json || !out)
        return fail(BPTEE_EINVAL, W ": missing input or output");
    *out = NULL;
    json_error_t e;
    if (len > BPTEE_OWNERS_JSON_MAX)
        return fail(BPTEE_ELIMIT, W ": %zu bytes exceeds the %u-byte limit", len,
                    BPTEE_OWNERS_JSON_MAX);
    /* DECODE_ANY: the whole document may be the string "open". */
    root = json_loadb(json, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &e);
    if (!root)
        return fail(BPTEE_EPARSE, W ": line %d column %d: %s", e.line, e.column, e.text);
    int rc;
    struct bptee_owners *o = calloc(1, sizeof *o);
    if (!o)
        return fail(BPTEE_ENOMEM, W ": out of memory");
    if ((rc = read_document(root, o)) < 0) {
        bptee_owners_free(o);
        return rc;
    }
    *out = o;
    return 0;
}

int bptee_owners_is_open(const struct bptee_owners *o)
{
    return o && o->open;
}

size_t bptee_owners_count(const struct bptee_owners *o)
{
    return o ? o->n_owners : 0;
}

size_t bptee_owners_rule_count(const struct bptee_owners *o)
{
    return o ? o->n_rules : 0;
}

int bptee_owners_public_key(const struct bptee_owners *o, const char *id, uint8_t public_key[32])
{
    size_t i;
    if (!o || !id || !public_key)
        return fail(BPTEE_EINVAL, W ": missing argument");
    if (owner_index(o, id, &i) < 0)
        return fail(BPTEE_ENOTFOUND, "unknown owner '%.64s'", id);
    memcpy(public_key, o->owners[i].public_key, 32);
    return 0;
}

/* The rule that decides name: its exact rule, else the longest matching prefix. */
static const struct owner_rule *rule_for(const struct bptee_owners *o, const char *name)
{
    const struct owner_rule *best = NULL;
    size_t best_len = 0;
    for (size_t i = 0; i < o->n_rules; i++) {
        const struct owner_rule *r = &o->rules[i];
        size_t n = strlen(r->pattern);
        if (!r->prefix && !strcmp(r->pattern, name))
            return r;
        if (r->prefix && !strncmp(r->pattern, name, n) && (!best || n > best_len)) {
            best = r;
            best_len = n;
        }
    }
    return best;
}

int bptee_owners_authorize(const struct bptee_owners *o, const char *id, const char *name)
{
    if (!o || !id || !name)
        return fail(BPTEE_EINVAL, W ": missing argument");
    if (o->open)
        return 0;
    const struct owner_rule *r = rule_for(o, name);
    if (!r)
        return fail(BPTEE_EDENIED, "no owner may write secret %.128s (no rule in the owners "
                                   "config names it)", name);
    for (size_t i = 0; i < r->n_owners; i++)
        if (!strcmp(o->owners[r->owners[i]].id, id))
            return 0;
    return fail(BPTEE_EDENIED, "owner '%.64s' may not write secret %.128s (rule \"%.128s%s\")", id,
                name, r->pattern, r->prefix ? "*" : "");
}
