// SPDX-License-Identifier: Apache-2.0
/* The "results" section of a verification policy: which jobs' results are acceptable. The
 * rest of the policy file is the evidence policy (bptee_policy_parse), whose parser refuses
 * unknown keys, so the section is taken out before the rest is handed to it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bptee/verify.h>

#include "result/result_policy.h"
#include "util/cleanup.h"
#include "util/codec.h"
#include "util/error.h"
#include "util/file.h"
#include "util/json.h"

#define WHAT "policy: results"

void bptee_result_policy_free(struct bptee_result_policy *p)
{
    if (!p)
        return;
    for (size_t i = 0; i < p->n_job_ids; i++)
        free(p->job_ids[i]);
    free(p->job_ids);
    free(p->binaries);
    free(p->argvs);
    free(p);
}

static int read_ids(const json_t *v, struct bptee_result_policy *p)
{
    if (!json_is_array(v) || json_array_size(v) > RESULT_POLICY_LIST_MAX)
        return fail(BPTEE_EPARSE, WHAT ".job_ids: expected an array of at most %d job ids",
                    RESULT_POLICY_LIST_MAX);
    p->has_job_ids = true;
    p->job_ids = calloc(json_array_size(v) + 1, sizeof *p->job_ids);
    if (!p->job_ids)
        return fail(BPTEE_ENOMEM, WHAT ": out of memory");
    for (size_t i = 0; i < json_array_size(v); i++) {
        const json_t *e = json_array_get(v, i);
        const char *s = json_is_string(e) ? json_string_value(e) : NULL;
        if (!s || bptee_job_id_check(s) < 0)
            return fail(BPTEE_EPARSE, WHAT ".job_ids[%zu]: expected a job id", i);
        if (!(p->job_ids[i] = strdup(s)))
            return fail(BPTEE_ENOMEM, WHAT ": out of memory");
        p->n_job_ids++;
    }
    return 0;
}

static int read_digests(const json_t *v, const char *key, uint8_t (**out)[32], size_t *n)
{
    if (!json_is_array(v) || json_array_size(v) > RESULT_POLICY_LIST_MAX)
        return fail(BPTEE_EPARSE, WHAT ".%s: expected an array of at most %d hex SHA-256 "
                                  "digests", key, RESULT_POLICY_LIST_MAX);
    *out = calloc(json_array_size(v) + 1, 32);
    if (!*out)
        return fail(BPTEE_ENOMEM, WHAT ": out of memory");
    for (size_t i = 0; i < json_array_size(v); i++) {
        const json_t *e = json_array_get(v, i);
        char what[64];
        snprintf(what, sizeof what, WHAT ".%s[%zu]", key, i);
        if (!json_is_string(e))
            return fail(BPTEE_EPARSE, "%s: expected 64 hex digits", what);
        int rc = hex_decode_exact(json_string_value(e), (*out)[i], 32, what);
        if (rc < 0)
            return rc;
        (*n)++;
    }
    return 0;
}

static int read_kinds(const json_t *v, struct bptee_result_policy *p)
{
    if (!json_is_array(v) || json_array_size(v) == 0)
        return fail(BPTEE_EPARSE, WHAT ".attestation: expected a non-empty array of \"signed\" "
                                  "and/or \"fresh\"");
    for (size_t i = 0; i < json_array_size(v); i++) {
        const char *s = json_string_value(json_array_get(v, i));
        if (s && !strcmp(s, "signed"))
            p->kinds |= 1u << BPTEE_RESULT_SIGNED;
        else if (s && !strcmp(s, "fresh"))
            p->kinds |= 1u << BPTEE_RESULT_FRESH;
        else
            return fail(BPTEE_EPARSE, WHAT ".attestation[%zu]: expected \"signed\" or "
                                      "\"fresh\"", i);
    }
    return 0;
}

int result_policy_read(const json_t *v, struct bptee_result_policy **out)
{
    if (!json_is_object(v))
        return fail(BPTEE_EPARSE, WHAT ": expected an object");
    struct bptee_result_policy *p = calloc(1, sizeof *p);
    if (!p)
        return fail(BPTEE_ENOMEM, WHAT ": out of memory");
    p->kinds = 1u << BPTEE_RESULT_SIGNED | 1u << BPTEE_RESULT_FRESH;
    const char *key;
    const json_t *e;
    int rc = 0;
    json_object_foreach((json_t *)v, key, e) {
        if (!strcmp(key, "job_ids"))
            rc = read_ids(e, p);
        else if (!strcmp(key, "binary_sha256"))
            rc = (p->has_binaries = true, read_digests(e, key, &p->binaries, &p->n_binaries));
        else if (!strcmp(key, "argv_sha256"))
            rc = (p->has_argvs = true, read_digests(e, key, &p->argvs, &p->n_argvs));
        else if (!strcmp(key, "attestation"))
            rc = (p->kinds = 0, read_kinds(e, p));
        else
            rc = fail(BPTEE_EPARSE, "policy: unknown key 'results.%.64s'", key);
        if (rc < 0)
            break;
    }
    if (rc < 0) {
        bptee_result_policy_free(p);
        return rc;
    }
    *out = p;
    return 0;
}

int bptee_result_policy_parse(const char *json, size_t len, struct bptee_result_policy **out)
{
    if (!json || !out)
        return fail(BPTEE_EINVAL, WHAT ": missing argument");
    _cleanup_json_ json_t *root = NULL;
    int rc = json_parse_capped(json, len, BPTEE_POLICY_JSON_MAX, "policy", &root);
    return rc < 0 ? rc : result_policy_read(root, out);
}

int bptee_result_policy_split(const char *json, size_t len, struct bptee_policy **evidence,
                              struct bptee_result_policy **results)
{
    if (!json)
        return fail(BPTEE_EINVAL, "policy: missing argument");
    _cleanup_json_ json_t *root = NULL;
    struct bptee_result_policy *rp = NULL;
    int rc = json_parse_capped(json, len, BPTEE_POLICY_JSON_MAX, "policy", &root);
    if (rc < 0)
        return rc;
    if (!json_is_object(root))
        return fail(BPTEE_EPARSE, "policy: expected a JSON object");
    const json_t *section = json_object_get(root, "results");
    if (section && (rc = result_policy_read(section, &rp)) < 0)
        return rc;
    json_object_del(root, "results");
    _cleanup_free_ char *rest = json_dumps(root, JSON_COMPACT);
    if (!rest) {
        bptee_result_policy_free(rp);
        return fail(BPTEE_ENOMEM, "policy: out of memory");
    }
    if (evidence && (rc = bptee_policy_parse(rest, strlen(rest), evidence)) < 0) {
        bptee_result_policy_free(rp);
        return rc;
    }
    if (results)
        *results = rp;
    else
        bptee_result_policy_free(rp);
    return 0;
}

int bptee_result_policy_load(const char *path, struct bptee_policy **evidence,
                             struct bptee_result_policy **results)
{
    if (!path)
        return fail(BPTEE_EINVAL, "policy: missing path");
    _cleanup_free_ uint8_t *data = NULL;
    size_t len = 0;
    int rc = file_read_all(path, BPTEE_POLICY_JSON_MAX, &data, &len);
    if (rc < 0)
        return fail_prefix(rc, "policy");
    rc = bptee_result_policy_split((const char *)data, len, evidence, results);
    return rc < 0 ? fail_prefix(rc, "%s", path) : 0;
}
