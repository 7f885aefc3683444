// SPDX-License-Identifier: Apache-2.0
/* The job spec (docs/results.md): which secrets a job reads at which paths, where its result
 * goes, where a sidecar is written, whether its children keep the interposer, and whether its
 * result is attested by fresh evidence. Parsed strictly: a typo must not drop a secret or an
 * attestation silently. */
#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bptee/agent.h>
#include <bptee/runtime.h>
#include <bptee/secrets.h>

#include "runtime/runtime_private.h"
#include "util/cleanup.h"
#include "util/error.h"
#include "util/file.h"
#include "util/json.h"

struct spec_secret {
    char *name, *path;
};

struct bptee_job_spec {
    char *job_id;
    struct spec_secret *secrets;
    size_t n_secrets;
    char *result_file; /* NULL: stdout */
    char *sidecar;
    char *user; /* NULL: a dynamic uid when run by root, else the caller's */
    bool inherit_preload, fresh;
    struct spec_sandbox sandbox; /* "sandbox" and "limits" */
};

void bptee_job_spec_free(struct bptee_job_spec *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->n_secrets; i++) {
        free(s->secrets[i].name);
        free(s->secrets[i].path);
    }
    free(s->secrets);
    free(s->job_id);
    free(s->result_file);
    free(s->sidecar);
    free(s->user);
    spec_sandbox_free(&s->sandbox);
    free(s);
}

int runtime_secret_name_ok(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > BPTEE_SECRET_NAME_MAX || !strcmp(s, ".") || !strcmp(s, ".."))
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-'))
            return 0;
    }
    return 1;
}

static int spec_string(const json_t *v, const char *field, char **out)
{
    if (!json_is_string(v) || json_string_length(v) == 0)
        return fail(BPTEE_EPARSE, "job spec: %s: expected a non-empty string", field);
    if (strlen(json_string_value(v)) != json_string_length(v))
        return fail(BPTEE_EPARSE, "job spec: %s: contains a NUL byte", field);
    *out = strdup(json_string_value(v));
    return *out ? 0 : fail(BPTEE_ENOMEM, "job spec: out of memory");
}

static int spec_bool(const json_t *v, const char *field, bool *out)
{
    if (!json_is_boolean(v))
        return fail(BPTEE_EPARSE, "job spec: %s: expected true or false", field);
    *out = json_is_true(v);
    return 0;
}

static int secret_path_check(const char *name, const char *path)
{
    size_t n = strlen(path);
    if (path[0] != '/')
        return fail(BPTEE_EPARSE, "job spec: secrets.%s: path must be absolute", name);
    if (n >= PATH_MAX || n < 2 || path[n - 1] == '/')
        return fail(BPTEE_EPARSE, "job spec: secrets.%s: path must name a file under /", name);
    return 0;
}

static int spec_secrets(const json_t *v, struct bptee_job_spec *s)
{
    if (!json_is_object(v))
        return fail(BPTEE_EPARSE, "job spec: secrets: expected an object {name: path}");
    size_t n = json_object_size(v);
    if (n > BPTEE_JOB_SECRETS_MAX)
        return fail(BPTEE_ELIMIT, "job spec: secrets: more than %d", BPTEE_JOB_SECRETS_MAX);
    s->secrets = calloc(n ? n : 1, sizeof *s->secrets);
    if (!s->secrets)
        return fail(BPTEE_ENOMEM, "job spec: out of memory");
    const char *name;
    const json_t *path;
    json_object_foreach((json_t *)v, name, path) {
        if (!runtime_secret_name_ok(name))
            return fail(BPTEE_EPARSE, "job spec: secrets: bad secret name '%.*s' (1 to %d of "
                                      "A-Z a-z 0-9 . _ -)", 64, name, BPTEE_SECRET_NAME_MAX);
        char field[BPTEE_SECRET_NAME_MAX + 16];
        snprintf(field, sizeof field, "secrets.%s", name);
        struct spec_secret *sec = &s->secrets[s->n_secrets];
        if (!(sec->name = strdup(name)))
            return fail(BPTEE_ENOMEM, "job spec: out of memory");
        s->n_secrets++;
        int rc = spec_string(path, field, &sec->path);
        if (rc < 0 || (rc = secret_path_check(name, sec->path)) < 0)
            return rc;
        for (size_t i = 0; i + 1 < s->n_secrets; i++)
            if (!strcmp(s->secrets[i].path, sec->path))
                return fail(BPTEE_EPARSE, "job spec: secrets.%s: path %s is already declared "
                                          "for %s", name, sec->path, s->secrets[i].name);
    }
    return 0;
}

static int spec_result(const json_t *v, struct bptee_job_spec *s)
{
    const json_t *out = json_object_get(v, "stdout"), *file = json_object_get(v, "file");
    if (!json_is_object(v) || json_object_size(v) != 1 || (!out && !file))
        return fail(BPTEE_EPARSE, "job spec: result: expected {\"stdout\": true} or "
                                  "{\"file\": PATH}");
    if (out) {
        if (!json_is_true(out))
            return fail(BPTEE_EPARSE, "job spec: result.stdout: must be true (give "
                                      "{\"file\": PATH} for a file result)");
        return 0;
    }
    return spec_string(file, "result.file", &s->result_file);
}

/* A user name as useradd accepts them (a leading letter or '_', then letters, digits, '_',
 * '-', '.'; at most 32), or a decimal uid. */
static int spec_user(const json_t *v, struct bptee_job_spec *s)
{
    int rc = spec_string(v, "user", &s->user);
    if (rc < 0)
        return rc;
    size_t n = strlen(s->user);
    bool digits = n > 0 && n <= 10 && strspn(s->user, "0123456789") == n;
    bool name = n > 0 && n <= 32 && (isalpha((unsigned char)s->user[0]) || s->user[0] == '_') &&
                strspn(s->user, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                "0123456789_-.") == n;
    if (!digits && !name)
        return fail(BPTEE_EPARSE, "job spec: user: expected a user name or a decimal uid");
    return 0;
}

static int spec_read(const json_t *root, struct bptee_job_spec *s)
{
    static const char *const keys[] = {"job_id", "secrets", "result", "sidecar",
                                       "inherit_preload", "fresh_attestation", "user",
                                       "sandbox", "limits", NULL};
    if (!json_is_object(root))
        return fail(BPTEE_EPARSE, "job spec: expected a JSON object");
    const char *key;
    const json_t *v;
    json_object_foreach((json_t *)root, key, v) {
        size_t i = 0;
        while (keys[i] && strcmp(keys[i], key))
            i++;
        if (!keys[i])
            return fail(BPTEE_EPARSE, "job spec: unknown key '%.64s' (expected job_id, "
                                      "secrets, result, sidecar, inherit_preload, "
                                      "fresh_attestation, user, sandbox, limits)", key);
        int rc = 0;
        if (i == 0 && (rc = spec_string(v, "job_id", &s->job_id)) == 0 &&
            (rc = bptee_job_id_check(s->job_id)) < 0)
            rc = fail_prefix(BPTEE_EPARSE, "job spec: job_id");
        if (i == 1)
            rc = spec_secrets(v, s);
        if (i == 2)
            rc = spec_result(v, s);
        if (i == 3)
            rc = spec_string(v, "sidecar", &s->sidecar);
        if (i == 4)
            rc = spec_bool(v, "inherit_preload", &s->inherit_preload);
        if (i == 5)
            rc = spec_bool(v, "fresh_attestation", &s->fresh);
        if (i == 6)
            rc = spec_user(v, s);
        if (i == 7)
            rc = spec_sandbox_parse(v, &s->sandbox);
        if (i == 8)
            rc = spec_limits_parse(v, &s->sandbox);
        if (rc < 0)
            return rc;
    }
    return 0;
}

int bptee_job_spec_parse(const char *json, size_t len, struct bptee_job_spec **out)
{
    if (!json || !out)
        return fail(BPTEE_EINVAL, "job spec: missing argument");
    _cleanup_json_ json_t *root = NULL;
    int rc = json_parse_capped(json, len, BPTEE_JOB_SPEC_MAX, "job spec", &root);
    if (rc < 0)
        return rc;
    struct bptee_job_spec *s = calloc(1, sizeof *s);
    if (!s)
        return fail(BPTEE_ENOMEM, "job spec: out of memory");
    if ((rc = spec_read(root, s)) < 0) {
        bptee_job_spec_free(s);
        return rc;
    }
    *out = s;
    return 0;
}

int bptee_job_spec_load(const char *path, struct bptee_job_spec **out)
{
    if (!path || !out)
        return fail(BPTEE_EINVAL, "job spec: missing argument");
    _cleanup_free_ uint8_t *data = NULL;
    size_t len = 0;
    int rc = file_read_all(path, BPTEE_JOB_SPEC_MAX, &data, &len);
    if (rc < 0)
        return fail_prefix(rc, "job spec");
    rc = bptee_job_spec_parse((const char *)data, len, out);
    return rc < 0 ? fail_prefix(rc, "%s", path) : 0;
}

const char *bptee_job_spec_job_id(const struct bptee_job_spec *s)
{
    return s ? s->job_id : NULL;
}

size_t bptee_job_spec_secret_count(const struct bptee_job_spec *s)
{
    return s ? s->n_secrets : 0;
}

int bptee_job_spec_secret(const struct bptee_job_spec *s, size_t i, const char **name,
                          const char **path)
{
    if (!s || i >= s->n_secrets)
        return fail(BPTEE_ENOTFOUND, "job spec: no secret %zu", i);
    if (name)
        *name = s->secrets[i].name;
    if (path)
        *path = s->secrets[i].path;
    return 0;
}

const char *bptee_job_spec_result_file(const struct bptee_job_spec *s)
{
    return s ? s->result_file : NULL;
}

int bptee_job_spec_sidecar_path(const struct bptee_job_spec *s, char **out)
{
    if (!s || !out)
        return fail(BPTEE_EINVAL, "job spec: missing argument");
    *out = NULL;
    if (s->sidecar)
        *out = strdup(s->sidecar);
    else if (s->result_file && asprintf(out, "%s.tee.json", s->result_file) < 0)
        *out = NULL;
    else if (!s->result_file)
        return 0;
    return *out ? 0 : fail(BPTEE_ENOMEM, "job spec: out of memory");
}

int bptee_job_spec_inherit_preload(const struct bptee_job_spec *s)
{
    return s && s->inherit_preload;
}

int bptee_job_spec_fresh_attestation(const struct bptee_job_spec *s)
{
    return s && s->fresh;
}

const struct spec_sandbox *spec_sandbox_of(const struct bptee_job_spec *s)
{
    return s ? &s->sandbox : NULL;
}

const char *bptee_job_spec_user(const struct bptee_job_spec *s)
{
    return s ? s->user : NULL;
}

/* Escape '\', ':' and '=' with '\' (docs/interposer.md, BPTEE_SECRETS). */
static char *escape_into(char *o, const char *s)
{
    for (; *s; s++) {
        if (*s == '\\' || *s == ':' || *s == '=')
            *o++ = '\\';
        *o++ = *s;
    }
    return o;
}

int bptee_job_spec_secrets_env(const struct bptee_job_spec *s, char **out)
{
    if (!s || !out)
        return fail(BPTEE_EINVAL, "job spec: missing argument");
    size_t cap = 1;
    for (size_t i = 0; i < s->n_secrets; i++)
        cap += 2 * (strlen(s->secrets[i].name) + strlen(s->secrets[i].path)) + 2;
    char *buf = malloc(cap), *o = buf;
    if (!buf)
        return fail(BPTEE_ENOMEM, "job spec: out of memory");
    for (size_t i = 0; i < s->n_secrets; i++) {
        if (i)
            *o++ = ':';
        o = escape_into(o, s->secrets[i].name);
        *o++ = '=';
        o = escape_into(o, s->secrets[i].path);
    }
    *o = '\0';
    *out = buf;
    return 0;
}
