// SPDX-License-Identifier: Apache-2.0
/* Writing a report as JSON, in the key order and with the omissions of blueprint-tee's serde
 * derive, then bptee's extensions (only when set, so its reader can ignore them). */
#include <stdlib.h>

#include "evidence/report.h"
#include "util/error.h"
#include "util/json.h"

/* Takes ownership of v; a NULL v (failed constructor) fails the whole document. */
static int put(json_t *obj, const char *key, json_t *v)
{
    return v ? json_object_set_new(obj, key, v) : -1;
}

static json_t *measurement_json(const struct bptee_report *r)
{
    json_t *m = json_object();
    if (m && (put(m, "algorithm", json_string(r->mea_alg)) ||
              put(m, "digest", json_string(r->mea_digest)))) {
        json_decref(m);
        return NULL;
    }
    return m;
}

static json_t *binding_json(const struct bptee_report *r, unsigned flags)
{
    if (!r->has_binding)
        return json_null(); /* serde writes None as null: the field has no skip attribute */
    json_t *b = json_object();
    if (b && (put(b, "public_key", json_from_bytes(&r->public_key, flags)) ||
              put(b, "key_type", json_string(r->key_type)) ||
              put(b, "binding_digest", json_string(r->binding_digest)))) {
        json_decref(b);
        return NULL;
    }
    return b;
}

static json_t *boot_json(const struct claims *c)
{
    json_t *a = json_array();
    for (size_t i = 0; a && i < c->n_boot; i++)
        if (json_array_append_new(a, json_string(c->boot[i]))) {
            json_decref(a);
            return NULL;
        }
    return a;
}

static int put_claims(json_t *o, const struct claims *c, unsigned flags)
{
    if ((c->platform_version && put(o, "platform_version", json_string(c->platform_version))) ||
        put(o, "debug_mode", json_boolean(c->debug_mode)) ||
        (c->n_boot && put(o, "boot_measurements", boot_json(c))) ||
        (c->signer_id && put(o, "signer_id", json_string(c->signer_id))) ||
        (c->product_id && put(o, "product_id", json_string(c->product_id))) ||
        (c->has_user_data && put(o, "user_data", json_from_bytes(&c->user_data, flags))) ||
        (json_object_size(c->custom) && put(o, "custom", json_sorted_copy(c->custom))))
        return -1;
    return 0;
}

static json_t *claims_json(const struct claims *c, unsigned flags)
{
    json_t *o = json_object();
    if (o && put_claims(o, c, flags)) {
        json_decref(o);
        return NULL;
    }
    return o;
}

static json_t *certs_json(const struct bptee_report *r, unsigned flags)
{
    json_t *a = json_array();
    for (size_t i = 0; a && i < r->n_certs; i++) {
        json_t *c = json_object();
        /* Appended first so that a itself owns c on every path. */
        if (!c || json_array_append_new(a, c) || put(c, "kind", json_string(r->certs[i].kind)) ||
            put(c, "der", json_from_bytes(&r->certs[i].der, flags))) {
            json_decref(a);
            return NULL;
        }
    }
    return a;
}

static int put_report(json_t *o, const struct bptee_report *r, unsigned flags)
{
    if (put(o, "provider", json_string(bptee_provider_name(r->provider))) ||
        put(o, "format", json_string(bptee_format_name(r->format))) ||
        put(o, "issued_at_unix", json_integer((json_int_t)r->issued_at)) ||
        put(o, "measurement", measurement_json(r)) ||
        put(o, "public_key_binding", binding_json(r, flags)) ||
        put(o, "claims", claims_json(&r->claims, flags)) ||
        put(o, "evidence", json_from_bytes(&r->evidence, flags)) ||
        (r->simulated && put(o, "simulated", json_true())) ||
        (r->n_certs && put(o, "certificates", certs_json(r, flags))))
        return -1;
    return 0;
}

static int check_complete(const struct bptee_report *r)
{
    if (r->provider < 0)
        return fail(BPTEE_EINVAL, "report: provider: not set");
    if (r->format < 0)
        return fail(BPTEE_EINVAL, "report: format: not set");
    if (!r->mea_alg)
        return fail(BPTEE_EINVAL, "report: measurement: not set");
    return 0;
}

int bptee_report_save_json(const struct bptee_report *r, unsigned flags, char **json_out)
{
    if (!r || !json_out)
        return fail(BPTEE_EINVAL, "report: missing argument");
    if (flags & ~(BPTEE_REPORT_JSON_BYTE_ARRAYS | BPTEE_REPORT_JSON_PRETTY))
        return fail(BPTEE_EINVAL, "report: unknown flags 0x%x", flags);
    int rc = check_complete(r);
    if (rc < 0)
        return rc;
    _cleanup_json_ json_t *o = json_object();
    char *s = o && put_report(o, r, flags) == 0 ? json_dump_serde(o, flags) : NULL;
    if (!s)
        return fail(BPTEE_ENOMEM, "report: out of memory writing JSON");
    *json_out = s;
    return 0;
}
