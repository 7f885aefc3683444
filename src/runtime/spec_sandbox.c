// SPDX-License-Identifier: Apache-2.0
/* The job spec's sandbox keys (docs/sandbox.md): "sandbox" widens the hardened sandbox
 * explicitly ({"writable": [PATH...], "readable": [PATH...], "network": BOOL, "io_uring":
 * BOOL}) and "limits" sets
 * its resource limits ({"memory_bytes", "cpu_seconds", "pids", "open_files"}). Strict, as the
 * rest of the spec: an unknown option is refused, never ignored, so nothing is widened or
 * left unlimited by a typo. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <bptee/runtime.h>

#include "runtime/runtime_private.h"
#include "util/error.h"
#include "util/json.h"

#define PATHS_MAX 16

static void free_paths(char ***paths, size_t *n)
{
    for (size_t i = 0; i < *n; i++)
        free((*paths)[i]);
    free(*paths);
    *paths = NULL;
    *n = 0;
}

void spec_sandbox_free(struct spec_sandbox *sb)
{
    free_paths(&sb->writable, &sb->n_writable);
    free_paths(&sb->readable, &sb->n_readable);
}

/* "writable" or "readable": absolute paths other than /, each once. */
static int path_list(const json_t *v, const char *field, char ***out, size_t *n)
{
    if (*out)
        return fail(BPTEE_EPARSE, "job spec: sandbox.%s: given twice", field);
    if (!json_is_array(v) || json_array_size(v) > PATHS_MAX)
        return fail(BPTEE_EPARSE, "job spec: sandbox.%s: expected an array of at most %d "
                                  "absolute paths", field, PATHS_MAX);
    if (!(*out = calloc(json_array_size(v) + 1, sizeof **out)))
        return fail(BPTEE_ENOMEM, "job spec: out of memory");
    size_t i;
    const json_t *p;
    json_array_foreach((json_t *)v, i, p) {
        const char *s = json_string_value(p);
        if (!s || s[0] != '/' || strlen(s) != json_string_length(p) ||
            json_string_length(p) >= PATH_MAX || !strcmp(s, "/"))
            return fail(BPTEE_EPARSE, "job spec: sandbox.%s[%zu]: expected an absolute path "
                                      "other than /", field, i);
        if (!((*out)[*n] = strdup(s)))
            return fail(BPTEE_ENOMEM, "job spec: out of memory");
        (*n)++;
    }
    return 0;
}

static int flag(const json_t *v, const char *field, bool *out)
{
    if (!json_is_boolean(v))
        return fail(BPTEE_EPARSE, "job spec: sandbox.%s: expected true or false", field);
    *out = json_is_true(v);
    return 0;
}

int spec_sandbox_parse(const json_t *v, struct spec_sandbox *sb)
{
    if (!json_is_object(v))
        return fail(BPTEE_EPARSE, "job spec: sandbox: expected an object");
    const char *key;
    const json_t *val;
    json_object_foreach((json_t *)v, key, val) {
        int rc;
        if (!strcmp(key, "writable"))
            rc = path_list(val, "writable", &sb->writable, &sb->n_writable);
        else if (!strcmp(key, "readable"))
            rc = path_list(val, "readable", &sb->readable, &sb->n_readable);
        else if (!strcmp(key, "network"))
            rc = flag(val, "network", &sb->network);
        else if (!strcmp(key, "io_uring"))
            rc = flag(val, "io_uring", &sb->io_uring);
        else
            rc = fail(BPTEE_EPARSE, "job spec: sandbox: unknown option '%.64s' (expected "
                                    "writable, network, io_uring)", key);
        if (rc < 0)
            return rc;
    }
    return 0;
}

int spec_limits_parse(const json_t *v, struct spec_sandbox *sb)
{
    static const char *const names[] = {"memory_bytes", "cpu_seconds", "pids", "open_files"};
    uint64_t *fields[] = {&sb->memory_bytes, &sb->cpu_seconds, &sb->pids, &sb->open_files};
    if (!json_is_object(v))
        return fail(BPTEE_EPARSE, "job spec: limits: expected an object");
    const char *key;
    const json_t *val;
    json_object_foreach((json_t *)v, key, val) {
        size_t i = 0;
        while (i < 4 && strcmp(names[i], key))
            i++;
        if (i == 4)
            return fail(BPTEE_EPARSE, "job spec: limits: unknown limit '%.64s' (expected "
                                      "memory_bytes, cpu_seconds, pids, open_files)", key);
        if (!json_is_integer(val) || json_integer_value(val) <= 0)
            return fail(BPTEE_EPARSE, "job spec: limits.%s: expected a positive integer", key);
        *fields[i] = (uint64_t)json_integer_value(val);
    }
    return 0;
}

void bptee_job_spec_sandbox_opts(const struct bptee_job_spec *s, struct bptee_sandbox_opts *o)
{
    const struct spec_sandbox *sb = spec_sandbox_of(s);
    if (!sb || !o)
        return;
    o->writable = (const char *const *)sb->writable;
    o->n_writable = sb->n_writable;
    o->visible = (const char *const *)sb->readable;
    o->n_visible = sb->n_readable;
    o->network = sb->network;
    o->io_uring = sb->io_uring;
    o->memory_bytes = sb->memory_bytes;
    o->cpu_seconds = sb->cpu_seconds;
    o->max_pids = sb->pids;
    o->max_open_files = sb->open_files;
}
