// SPDX-License-Identifier: Apache-2.0
/* Reading a report from JSON as blueprint-tee's serde derive does (required keys, optional
 * ones, unknown keys ignored), plus base64 byte fields and bptee's extensions. Every error
 * names the field's path. */
#include <stdio.h>
#include <stdlib.h>

#include "evidence/report.h"
#include "util/cleanup.h"
#include "util/error.h"
#include "util/json.h"

static int need(const json_t *obj, const char *key, const char *path, json_t **out)
{
    *out = json_object_get(obj, key);
    return *out ? 0 : fail(BPTEE_EPARSE, "report: %s: missing", path);
}

/* type JSON_TRUE stands for "a boolean", either value. */
static int want_type(const json_t *v, json_type type, const char *what, const char *path)
{
    if (json_typeof(v) == type || (type == JSON_TRUE && json_is_boolean(v)))
        return 0;
    return fail(BPTEE_EPARSE, "report: %s: expected %s, got %s", path, what, json_type_name(v));
}

static int read_text(const json_t *v, const char *path, char **out)
{
    int rc = want_type(v, JSON_STRING, "a string", path);
    if (rc < 0)
        return rc;
    free(*out);
    *out = NULL;
    return text_dup(json_string_value(v), path, out);
}

static int required_text(const json_t *obj, const char *key, const char *path, char **out)
{
    json_t *v;
    int rc = need(obj, key, path, &v);
    return rc < 0 ? rc : read_text(v, path, out);
}

/* serde's Option: an absent key and null both mean None. */
static int optional_text(const json_t *obj, const char *key, const char *path, char **out)
{
    json_t *v = json_object_get(obj, key);
    return !v || json_is_null(v) ? 0 : read_text(v, path, out);
}

static int read_name(const json_t *obj, const char *key, int (*parse)(const char *, int *),
                     int *out)
{
    json_t *v;
    int rc = need(obj, key, key, &v);
    if (rc == 0)
        rc = want_type(v, JSON_STRING, "a string", key);
    if (rc < 0)
        return rc;
    /* The value goes into the error line; keep that line one line. */
    for (const char *p = json_string_value(v); *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            return fail(BPTEE_EPARSE, "report: %s: unknown value (control characters)", key);
    rc = parse(json_string_value(v), out);
    return rc < 0 ? fail_prefix(rc, "report: %s", key) : 0;
}

static int load_issued_at(struct bptee_report *r, const json_t *o)
{
    json_t *v;
    int rc = need(o, "issued_at_unix", "issued_at_unix", &v);
    if (rc < 0)
        return rc;
    if (!json_is_integer(v) || json_integer_value(v) < 0)
        return fail(BPTEE_EPARSE, "report: issued_at_unix: expected a non-negative integer, got %s",
                    json_is_integer(v) ? "a negative one" : json_type_name(v));
    r->issued_at = (uint64_t)json_integer_value(v);
    return 0;
}

static int load_measurement(struct bptee_report *r, const json_t *o)
{
    json_t *m;
    int rc = need(o, "measurement", "measurement", &m);
    if (rc == 0)
        rc = want_type(m, JSON_OBJECT, "an object", "measurement");
    if (rc == 0)
        rc = required_text(m, "algorithm", "measurement.algorithm", &r->mea_alg);
    if (rc == 0)
        rc = required_text(m, "digest", "measurement.digest", &r->mea_digest);
    return rc;
}

static int load_binding(struct bptee_report *r, const json_t *o)
{
    json_t *b = json_object_get(o, "public_key_binding"), *pk;
    if (!b || json_is_null(b))
        return 0;
    int rc = want_type(b, JSON_OBJECT, "an object or null", "public_key_binding");
    if (rc == 0)
        rc = need(b, "public_key", "public_key_binding.public_key", &pk);
    if (rc == 0)
        rc = json_to_bytes(pk, "public_key_binding.public_key", &r->public_key);
    if (rc == 0)
        rc = required_text(b, "key_type", "public_key_binding.key_type", &r->key_type);
    if (rc == 0)
        rc = required_text(b, "binding_digest", "public_key_binding.binding_digest",
                           &r->binding_digest);
    r->has_binding = rc == 0;
    return rc;
}

static int load_boot(struct claims *c, const json_t *a)
{
    char path[64];
    int rc = want_type(a, JSON_ARRAY, "an array of strings", "claims.boot_measurements");
    if (rc < 0)
        return rc;
    c->boot = calloc(json_array_size(a) + 1, sizeof *c->boot);
    if (!c->boot)
        return fail(BPTEE_ENOMEM, "report: claims.boot_measurements: out of memory");
    for (; c->n_boot < json_array_size(a); c->n_boot++) {
        snprintf(path, sizeof path, "claims.boot_measurements[%zu]", c->n_boot);
        if ((rc = read_text(json_array_get(a, c->n_boot), path, &c->boot[c->n_boot])) < 0)
            return rc;
    }
    return 0;
}

static int load_claim_values(struct claims *c, const json_t *o)
{
    json_t *v;
    int rc = 0;
    if ((v = json_object_get(o, "debug_mode")) &&
        (rc = want_type(v, JSON_TRUE, "a boolean", "claims.debug_mode")) == 0)
        c->debug_mode = json_is_true(v);
    if (rc == 0 && (v = json_object_get(o, "boot_measurements")))
        rc = load_boot(c, v);
    v = json_object_get(o, "user_data");
    if (rc == 0 && v && !json_is_null(v)) {
        rc = json_to_bytes(v, "claims.user_data", &c->user_data);
        c->has_user_data = rc == 0;
    }
    if (rc == 0 && (v = json_object_get(o, "custom")) &&
        (rc = want_type(v, JSON_OBJECT, "an object", "claims.custom")) == 0) {
        json_decref(c->custom);
        c->custom = json_incref(v);
    }
    return rc;
}

static int load_claims(struct bptee_report *r, const json_t *o)
{
    struct claims *c = &r->claims;
    json_t *cl;
    int rc = need(o, "claims", "claims", &cl);
    if (rc == 0)
        rc = want_type(cl, JSON_OBJECT, "an object", "claims");
    if (rc == 0)
        rc = optional_text(cl, "platform_version", "claims.platform_version", &c->platform_version);
    if (rc == 0)
        rc = optional_text(cl, "signer_id", "claims.signer_id", &c->signer_id);
    if (rc == 0)
        rc = optional_text(cl, "product_id", "claims.product_id", &c->product_id);
    return rc < 0 ? rc : load_claim_values(c, cl);
}

static int load_cert(struct bptee_report *r, const json_t *c, size_t i)
{
    char path[64];
    _cleanup_free_ char *kind = NULL;
    struct bytes der = {0};
    json_t *v;
    snprintf(path, sizeof path, "certificates[%zu]", i);
    int rc = want_type(c, JSON_OBJECT, "an object", path);
    snprintf(path, sizeof path, "certificates[%zu].kind", i);
    if (rc == 0 && (rc = required_text(c, "kind", path, &kind)) == 0 && !*kind)
        rc = fail(BPTEE_EPARSE, "report: %s: empty", path);
    snprintf(path, sizeof path, "certificates[%zu].der", i);
    if (rc == 0 && (rc = need(c, "der", path, &v)) == 0 && (rc = json_to_bytes(v, path, &der)) == 0)
        rc = bptee_report_add_certificate(r, kind, der.data, der.len);
    bytes_clear(&der);
    return rc;
}

static int load_extensions(struct bptee_report *r, const json_t *o)
{
    json_t *v = json_object_get(o, "simulated");
    int rc = 0;
    if (v && (rc = want_type(v, JSON_TRUE, "a boolean", "simulated")) == 0)
        r->simulated = json_is_true(v);
    if (rc < 0 || !(v = json_object_get(o, "certificates")))
        return rc;
    if ((rc = want_type(v, JSON_ARRAY, "an array", "certificates")) < 0)
        return rc;
    for (size_t i = 0; rc == 0 && i < json_array_size(v); i++)
        rc = load_cert(r, json_array_get(v, i), i);
    return rc;
}

static int load_fields(struct bptee_report *r, const json_t *o)
{
    json_t *ev;
    int rc;
    if ((rc = read_name(o, "provider", bptee_provider_parse, &r->provider)) < 0 ||
        (rc = read_name(o, "format", bptee_format_parse, &r->format)) < 0 ||
        (rc = load_issued_at(r, o)) < 0 || (rc = load_measurement(r, o)) < 0 ||
        (rc = load_binding(r, o)) < 0 || (rc = load_claims(r, o)) < 0 ||
        (rc = need(o, "evidence", "evidence", &ev)) < 0 ||
        (rc = json_to_bytes(ev, "evidence", &r->evidence)) < 0)
        return rc;
    return load_extensions(r, o);
}

int bptee_report_load_json(const char *json, size_t len, struct bptee_report **out)
{
    _cleanup_json_ json_t *root = NULL;
    struct bptee_report *r = NULL;
    if (!json || !out)
        return fail(BPTEE_EINVAL, "report: missing argument");
    int rc = json_parse_capped(json, len, BPTEE_REPORT_JSON_MAX, "report", &root);
    if (rc < 0)
        return rc;
    if (!json_is_object(root))
        return fail(BPTEE_EPARSE, "report: expected a JSON object, got %s", json_type_name(root));
    if ((rc = bptee_report_new(&r)) < 0)
        return rc;
    if ((rc = load_fields(r, root)) < 0) {
        bptee_report_free(r);
        return rc;
    }
    *out = r;
    return 0;
}
